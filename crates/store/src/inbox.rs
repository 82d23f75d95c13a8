//! The inbox query, written once: a user's open tasks (assigned to them, or
//! to a role they hold at a unit above the task's), or the tasks they did,
//! each with what the inbox page shows of its instance (workflow, data, the
//! unit's name), so that a page of any length is one query. SQLite runs the
//! text; PostgreSQL runs the open inbox and its count through functions made
//! from the same text when the store connects (`postgres_functions`): as a
//! prepared statement it was planned afresh at every call (0.5–1 ms, five
//! times its execution), a PL/pgSQL function keeps one generic plan per
//! connection. That plan is made once, not knowing how few the user's tasks
//! are: it hashed the whole instances table to join a handful of rows (a
//! scan that grew with the table, 2 ms a call at a few thousand
//! instances), so the open inbox's function joins by nested loops only —
//! at most `$2` rows, each to its instance by primary key.

use naxian_model::machine::TaskStatus;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// An inbox row's columns: (expression, name, PostgreSQL type).
const COLUMNS: &[(&str, &str, &str)] = &[
    ("t.id", "id", "text"),
    ("t.instance_id", "instance_id", "text"),
    ("t.step", "step", "text"),
    ("t.assignee_key", "assignee_key", "text"),
    ("t.role", "role", "text"),
    ("t.unit", "unit", "text"),
    ("t.unit_path", "unit_path", "text"),
    ("t.user_login", "user_login", "text"),
    ("t.status", "status", "text"),
    ("t.action", "action", "text"),
    ("t.comment", "comment", "text"),
    ("t.actor", "actor", "text"),
    ("t.on_behalf_of", "on_behalf_of", "text"),
    ("t.created_at", "created_at", "timestamptz"),
    ("t.completed_at", "completed_at", "timestamptz"),
    ("t.due_at", "due_at", "timestamptz"),
    ("i.workflow", "i_workflow", "text"),
    ("i.version", "i_version", "bigint"),
    ("i.org_unit", "i_org_unit", "text"),
    ("i.data", "i_data", "jsonb"),
    ("i.creator", "i_creator", "text"),
    // A lookup per row, not a join: the generic plan PostgreSQL keeps for
    // the function hashed all org units for a join.
    (
        "COALESCE((SELECT o.name FROM org_units o WHERE o.code = i.org_unit), '')",
        "i_unit_name",
        "text",
    ),
];

/// The task's instance, for the columns above.
const JOINS: &str = "JOIN instances i ON i.id = t.instance_id";

fn select_list() -> String {
    COLUMNS
        .iter()
        .map(|(expr, name, _)| format!("{expr} AS {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ids of the open tasks of the user `$1`. A role's task at a unit
/// belongs to the role's holders at that unit; only where the unit has none
/// does it go to every holder above it (a township without a reporter of its
/// own: its county's and city's). `Engine::recipients_of` mails by the same rule.
const OPEN_IDS: &str = "SELECT t.id FROM tasks t WHERE t.status = 'open' AND t.user_login = $1
    UNION
    SELECT t.id FROM grants g JOIN org_units u ON u.code = g.org_unit
      JOIN tasks t ON t.role = g.role AND t.status = 'open' AND t.user_login IS NULL
                  AND t.unit_path >= u.path AND t.unit_path < u.path || '~'
     WHERE g.login = $1
       AND (g.org_unit = t.unit
            OR NOT EXISTS (SELECT 1 FROM grants h WHERE h.org_unit = t.unit AND h.role = t.role))";

/// The inbox (open: by due date; done: newest first), bound to (login `$1`, limit `$2`).
pub fn sql(status: TaskStatus) -> String {
    let columns = select_list();
    if status == TaskStatus::Open {
        format!(
            "SELECT {columns} FROM ({OPEN_IDS}) mine JOIN tasks t ON t.id = mine.id {JOINS}
             ORDER BY CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.created_at, t.id
             LIMIT $2"
        )
    } else {
        format!(
            // The tasks the user completed, and those a delegate completed
            // in their name (代理): each arm read in order by its own index.
            "SELECT * FROM (SELECT {columns} FROM tasks t {JOINS}
                             WHERE t.status = 'done' AND t.actor = $1
                             ORDER BY t.completed_at DESC, t.id LIMIT $2) own
             UNION ALL
             SELECT * FROM (SELECT {columns} FROM tasks t {JOINS}
                             WHERE t.status = 'done' AND t.on_behalf_of = $1 AND t.actor <> $1
                             ORDER BY t.completed_at DESC, t.id LIMIT $2) stood_for
             ORDER BY completed_at DESC, id LIMIT $2"
        )
    }
}

/// How many open tasks the inbox of `$1` holds (the badge on every page).
pub fn count_sql() -> String {
    format!("SELECT count(*) FROM ({OPEN_IDS}) mine")
}

/// Rows of tasks picked by `condition` (over `t` and `i`), with the inbox's columns.
pub fn tasks_where(condition: &str) -> String {
    format!("SELECT {} FROM tasks t {JOINS} WHERE {condition}", select_list())
}

/// How PostgreSQL plans the open inbox's function (and its `EXPLAIN`): one
/// generic plan, joined by nested loops.
pub const POSTGRES_OPEN_SETTINGS: &[(&str, &str)] = &[
    ("plan_cache_mode", "force_generic_plan"),
    ("enable_hashjoin", "off"),
    ("enable_mergejoin", "off"),
];

/// PostgreSQL's functions for the open inbox and its count, named `open`
/// and `count`, made from the text above.
pub fn postgres_functions(open: &str, count: &str) -> String {
    let table = COLUMNS
        .iter()
        .map(|(_, name, ty)| format!("{name} {ty}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CREATE FUNCTION {open}(text, bigint) RETURNS TABLE ({table})
         LANGUAGE plpgsql STABLE {settings}
         AS $fn$
         #variable_conflict use_column
         BEGIN
             RETURN QUERY {};
         END
         $fn$;
         CREATE FUNCTION {count}(text) RETURNS bigint
         LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan
         AS $fn$
         BEGIN
             RETURN ({});
         END
         $fn$;",
        sql(TaskStatus::Open),
        count_sql(),
        settings = POSTGRES_OPEN_SETTINGS
            .iter()
            .map(|(name, value)| format!("SET {name} = {value}"))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The functions' names carry a hash of their text: a release calls the
/// functions it was built with, whatever another release installed.
pub static POSTGRES_NAMES: LazyLock<(String, String)> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(postgres_functions("open", "count").as_bytes()));
    (
        format!("naxian_inbox_{}", &digest[..12]),
        format!("naxian_inbox_count_{}", &digest[..12]),
    )
});

/// PostgreSQL's call of the open inbox, bound as [`sql`] is.
pub fn postgres_open_call() -> String {
    format!("SELECT * FROM {}($1, $2)", POSTGRES_NAMES.0)
}

/// PostgreSQL's call of the count, bound as [`count_sql`] is.
pub fn postgres_count_call() -> String {
    format!("SELECT {}($1)", POSTGRES_NAMES.1)
}
