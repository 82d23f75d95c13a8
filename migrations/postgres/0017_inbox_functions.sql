-- The inbox, open tasks of a user: the query the store sent as text before,
-- now inside functions that keep one generic plan per connection.
--
-- As a prepared statement PostgreSQL planned it afresh at every call: its
-- generic plan's estimated cost stays above the custom plans', so the plan
-- cache never switched, and planning the union of two joins took 0.5-1 ms,
-- five times its execution and the largest single cost of the service under
-- load. Inside a PL/pgSQL function with plan_cache_mode set, the plan is made
-- once per connection; it reaches rows by index as the custom plan did
-- (`naxian scale` prints it, `Store::explain_inbox`).
CREATE FUNCTION naxian_inbox(p_login text, p_limit bigint)
RETURNS TABLE (id text, instance_id text, step text, assignee_key text, role text, unit text, unit_path text,
               user_login text, status text, action text, comment text, actor text, created_at timestamptz,
               completed_at timestamptz, due_at timestamptz, i_workflow text, i_version bigint, i_org_unit text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT * FROM (
        SELECT t.id, t.instance_id, t.step, t.assignee_key, t.role, t.unit, t.unit_path, t.user_login, t.status,
               t.action, t.comment, t.actor, t.created_at, t.completed_at, t.due_at,
               i.workflow, i.version, i.org_unit
          FROM tasks t JOIN instances i ON i.id = t.instance_id
         WHERE t.status = 'open' AND t.user_login = p_login
        UNION
        SELECT t.id, t.instance_id, t.step, t.assignee_key, t.role, t.unit, t.unit_path, t.user_login, t.status,
               t.action, t.comment, t.actor, t.created_at, t.completed_at, t.due_at,
               i.workflow, i.version, i.org_unit
          FROM grants g JOIN org_units u ON u.code = g.org_unit
          JOIN tasks t ON t.role = g.role AND t.status = 'open' AND t.user_login IS NULL
                      AND t.unit_path >= u.path AND t.unit_path < u.path || '~'
          JOIN instances i ON i.id = t.instance_id
         WHERE g.login = p_login) x
    ORDER BY CASE WHEN x.due_at IS NULL THEN 1 ELSE 0 END, x.due_at, x.created_at, x.id
    LIMIT p_limit;
END
$$;

-- How many open tasks that inbox holds, for the badge on every page.
CREATE FUNCTION naxian_inbox_count(p_login text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN (SELECT count(*) FROM (
        SELECT t.id FROM tasks t WHERE t.status = 'open' AND t.user_login = p_login
        UNION
        SELECT t.id
          FROM grants g JOIN org_units u ON u.code = g.org_unit
          JOIN tasks t ON t.role = g.role AND t.status = 'open' AND t.user_login IS NULL
                      AND t.unit_path >= u.path AND t.unit_path < u.path || '~'
         WHERE g.login = p_login) x);
END
$$;
