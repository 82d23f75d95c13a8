-- Unit paths compare byte by byte, as SQLite's do: a unit's subtree is then
-- the range [path, path || '~') (codes are ASCII letters, digits, '-', '_'
-- and '.', all below '~'), which the (role, unit_path) index serves; an
-- inbox no longer tests every open task against the user's grants.
ALTER TABLE org_units ALTER COLUMN path TYPE TEXT COLLATE "C";
ALTER TABLE instances ALTER COLUMN org_path TYPE TEXT COLLATE "C";
ALTER TABLE tasks ALTER COLUMN unit_path TYPE TEXT COLLATE "C";
