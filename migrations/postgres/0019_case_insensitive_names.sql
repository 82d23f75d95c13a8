-- Logins and org-unit codes are unique without regard to case: `ADMIN` next
-- to `admin` would be two accounts that people cannot tell apart, and a
-- login is typed in any case. Logins and codes are ASCII, so lower() is the
-- same on both databases.
CREATE UNIQUE INDEX users_login_nocase ON users (lower(login));
CREATE UNIQUE INDEX org_units_code_nocase ON org_units (lower(code));
