-- Who holds a role at a unit is asked on every transition (to mail the new
-- tasks' holders): look grants up by unit, not by scanning them all.
CREATE INDEX grants_unit ON grants (org_unit, role);
