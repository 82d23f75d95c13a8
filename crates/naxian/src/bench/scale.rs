//! `naxian bench-scale`: a province-sized PostgreSQL database — 10,000 org
//! units, 100,000 appointments, 1,000,000 tasks — loaded in bulk with SQL
//! (driving that many through the engine would take hours and measure
//! something else), then the inbox query timed for users of each kind and
//! its plan printed. Exits non-zero if p99 is 5 ms or more, or if a plan
//! reads the whole tasks or instances table.

use anyhow::{bail, Context as _};
use naxian_model::TaskStatus;
use sqlx::PgPool;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct ScaleArgs {
    /// Appointments to load; a fifth of them still open, in consultation.
    #[arg(long, default_value_t = 100_000)]
    pub instances: i64,
    /// Tasks per appointment (three of them open in an open appointment).
    #[arg(long, default_value_t = 10)]
    pub tasks_per_instance: i64,
    /// Cities; each has 10 counties, each county 4 departments and 29
    /// townships with a party committee each: 16 cities make 10,097 units.
    #[arg(long, default_value_t = 16)]
    pub cities: i64,
    /// Inbox queries timed per kind of user.
    #[arg(long, default_value_t = 2000)]
    pub samples: usize,
    /// PostgreSQL server to create a scratch database on.
    #[arg(long, default_value = naxian_store_postgres::testing::DEFAULT_ADMIN_URL)]
    pub postgres: String,
    /// Keep the database afterwards (its URL is printed).
    #[arg(long)]
    pub keep: bool,
    /// Workflow definitions.
    #[arg(long, default_value = "workflows")]
    pub workflows: std::path::PathBuf,
}

/// The bulk load, statement by statement: units, users with their grants,
/// instances, tasks. `$1` cities, `$2` instances, `$3` tasks per instance.
const LOAD: &[(&str, &str)] = &[
    (
        "province",
        "INSERT INTO org_units (code, name, kind, parent, function, path, created_at)
         VALUES ('P', '省科协', 'province', NULL, NULL, '/P/', now())",
    ),
    (
        "cities",
        "INSERT INTO org_units (code, name, kind, parent, function, path, created_at)
         SELECT 'C' || c, '市科协' || c, 'city', 'P', NULL, '/P/C' || c || '/', now()
         FROM generate_series(1, $1::bigint) c",
    ),
    (
        "counties",
        "INSERT INTO org_units (code, name, kind, parent, function, path, created_at)
         SELECT u.code || '-K' || k, '县科协' || k, 'county', u.code, NULL, u.path || u.code || '-K' || k || '/', now()
         FROM org_units u, generate_series(1, 10) k WHERE u.kind = 'city'",
    ),
    (
        "county departments",
        "INSERT INTO org_units (code, name, kind, parent, function, path, created_at)
         SELECT u.code || '-' || d.suffix, d.suffix, 'department', u.code, d.function,
                u.path || u.code || '-' || d.suffix || '/', now()
         FROM org_units u,
              (VALUES ('ORG', 'organization'), ('HEALTH', 'health'), ('EDU', 'education'), ('AGRI', 'agriculture'))
              AS d (suffix, function)
         WHERE u.kind = 'county'",
    ),
    (
        "townships",
        "INSERT INTO org_units (code, name, kind, parent, function, path, created_at)
         SELECT u.code || '-T' || t, '镇科协' || t, 'township', u.code, NULL, u.path || u.code || '-T' || t || '/', now()
         FROM org_units u, generate_series(1, 29) t WHERE u.kind = 'county'",
    ),
    (
        "township party committees",
        "INSERT INTO org_units (code, name, kind, parent, function, path, created_at)
         SELECT u.code || '-PC', '镇党委', 'department', u.code, 'party_committee', u.path || u.code || '-PC/', now()
         FROM org_units u WHERE u.kind = 'township'",
    ),
    (
        "users",
        "INSERT INTO users (login, name, email, password_hash, is_admin, created_at)
         SELECT lower(code), name, lower(code) || '@scale.naxian.local', '-', FALSE, now()
         FROM org_units WHERE kind = 'department'
         UNION ALL
         SELECT 'sec-' || lower(code), name, 'sec-' || lower(code) || '@scale.naxian.local', '-', FALSE, now()
         FROM org_units WHERE kind = 'township'
         UNION ALL
         SELECT 'nom-' || lower(code), name, 'nom-' || lower(code) || '@scale.naxian.local', '-', FALSE, now()
         FROM org_units WHERE kind = 'county'",
    ),
    (
        "grants",
        "INSERT INTO grants (login, role, org_unit, created_at)
         SELECT lower(code), 'department', code, now() FROM org_units WHERE kind = 'department'
         UNION ALL
         SELECT 'sec-' || lower(code), 'secretary', code, now() FROM org_units WHERE kind = 'township'
         UNION ALL
         SELECT 'nom-' || lower(code), 'nominator', code, now() FROM org_units WHERE kind = 'county'",
    ),
    (
        "townships numbered",
        "CREATE TEMP TABLE tw AS
         SELECT row_number() OVER (ORDER BY t.code) - 1 AS i, t.code, t.path, c.code AS county, c.path AS cpath
         FROM org_units t JOIN org_units c ON c.code = t.parent WHERE t.kind = 'township'",
    ),
    (
        "instances",
        "INSERT INTO instances (id, workflow, version, step, status, outcome, data, creator, org_unit, org_path,
                                completed, revision, audit_seq, audit_head, created_at, updated_at)
         SELECT 'i' || n, 'sanzhang-appointment',
                (SELECT max(version) FROM workflow_versions WHERE name = 'sanzhang-appointment'),
                CASE WHEN n % 5 = 0 THEN 'consultation' ELSE 'appointed' END,
                CASE WHEN n % 5 = 0 THEN 'active' ELSE 'completed' END,
                CASE WHEN n % 5 = 0 THEN NULL ELSE 'appointed' END,
                jsonb_build_object('candidate', jsonb_build_object('name', '候选人' || n), 'target_org', tw.code),
                'nom-' || lower(tw.county), tw.code, tw.path, '[]'::jsonb, $3::bigint, $3::bigint, 'x',
                now() - make_interval(mins => n::int), now() - make_interval(mins => (n / 2)::int)
         FROM generate_series(1, $2::bigint) n JOIN tw ON tw.i = n % (SELECT count(*) FROM tw)",
    ),
    (
        "tasks",
        "INSERT INTO tasks (id, instance_id, step, assignee_key, role, unit, unit_path, user_login, status,
                            action, comment, actor, created_at, completed_at, due_at)
         SELECT 't' || n || '-' || k, 'i' || n, 'consultation', 'k' || k,
                CASE WHEN k = 1 THEN NULL WHEN k % 5 = 3 AND NOT open THEN 'secretary' ELSE 'department' END,
                unit, unit_path,
                CASE WHEN k = 1 THEN 'nom-' || lower(county) END,
                CASE WHEN open THEN 'open' ELSE 'done' END,
                CASE WHEN open THEN NULL ELSE 'agree' END, NULL,
                CASE WHEN open THEN NULL WHEN k = 1 THEN 'nom-' || lower(county)
                     WHEN k % 5 = 3 THEN 'sec-' || lower(unit) ELSE lower(unit) END,
                now() - make_interval(mins => n::int), CASE WHEN open THEN NULL ELSE now() - make_interval(mins => (n / 2)::int) END,
                now() + make_interval(mins => n::int)
         FROM (
           SELECT n, k, tw.county, n % 5 = 0 AND k > $3::bigint - 3 AS open,
                  CASE (CASE WHEN n % 5 = 0 AND k > $3::bigint - 3 THEN k - ($3::bigint - 3) ELSE k % 5 END)
                    WHEN 1 THEN tw.county || '-ORG' WHEN 2 THEN tw.code || '-PC' WHEN 3 THEN
                      CASE WHEN n % 5 = 0 AND k > $3::bigint - 3 THEN tw.county || '-HEALTH' ELSE tw.code END
                    WHEN 4 THEN tw.county || '-AGRI' ELSE tw.county || '-EDU' END AS unit,
                  CASE (CASE WHEN n % 5 = 0 AND k > $3::bigint - 3 THEN k - ($3::bigint - 3) ELSE k % 5 END)
                    WHEN 1 THEN tw.cpath || tw.county || '-ORG/' WHEN 2 THEN tw.path || tw.code || '-PC/' WHEN 3 THEN
                      CASE WHEN n % 5 = 0 AND k > $3::bigint - 3 THEN tw.cpath || tw.county || '-HEALTH/' ELSE tw.path END
                    WHEN 4 THEN tw.cpath || tw.county || '-AGRI/' ELSE tw.cpath || tw.county || '-EDU/' END AS unit_path
           FROM generate_series(1, $2::bigint) n JOIN tw ON tw.i = n % (SELECT count(*) FROM tw),
                generate_series(1, $3::bigint) k
         ) x",
    ),
    ("statistics", "ANALYZE"),
];

/// Whose inbox is timed: a county's organization department (about 125 open
/// tasks), a township's party committee (a few), a county's nominator
/// (their own drafts, all done: the 已办 list).
const KINDS: &[(&str, &str, TaskStatus)] = &[
    (
        "county organization department, open tasks",
        "SELECT lower(code) FROM org_units WHERE kind = 'department' AND function = 'organization' ORDER BY code",
        TaskStatus::Open,
    ),
    (
        "township party committee, open tasks",
        "SELECT lower(code) FROM org_units WHERE kind = 'department' AND function = 'party_committee' ORDER BY code",
        TaskStatus::Open,
    ),
    (
        "county nominator, done tasks",
        "SELECT 'nom-' || lower(code) FROM org_units WHERE kind = 'county' ORDER BY code",
        TaskStatus::Done,
    ),
];

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

pub async fn run(args: ScaleArgs) -> anyhow::Result<()> {
    std::env::set_var("NAXIAN_TEST_POSTGRES", &args.postgres);
    let db = naxian_store_postgres::testing::TestDatabase::create().await;
    let store = crate::open::open_store(db.url()).await?;
    let engine = naxian_engine::Engine::new(
        store.clone(),
        std::sync::Arc::new(naxian_engine::SystemClock),
        naxian_engine::Settings::default(),
    );
    engine.load_workflows(&args.workflows).await?;
    let pool = PgPool::connect(db.url()).await?;
    let mut conn = pool.acquire().await?;
    let started = Instant::now();
    for (what, sql) in LOAD {
        let t = Instant::now();
        let mut q = sqlx::query(sql);
        if sql.contains("$3") {
            q = q
                .bind(args.cities)
                .bind(args.instances)
                .bind(args.tasks_per_instance);
        } else if sql.contains("$1") {
            q = q.bind(args.cities);
        }
        let done = q
            .execute(&mut *conn)
            .await
            .with_context(|| format!("loading {what}"))?;
        eprintln!(
            "loaded {what}: {} rows in {:.1} s",
            done.rows_affected(),
            t.elapsed().as_secs_f64()
        );
    }
    drop(conn);
    let count = |table: &str| format!("SELECT count(*) FROM {table}");
    let mut sizes = Vec::new();
    for table in ["org_units", "users", "instances", "tasks"] {
        let n: i64 = sqlx::query_scalar(&count(table)).fetch_one(&pool).await?;
        sizes.push(format!("{n} {table}"));
    }
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks WHERE status = 'open'")
        .fetch_one(&pool)
        .await?;
    println!(
        "PostgreSQL, loaded in {:.0} s: {}, {open} of the tasks open",
        started.elapsed().as_secs_f64(),
        sizes.join(", ")
    );
    println!();
    println!("| inbox of | users | queries | rows (mean) | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|---|");
    let mut failed = Vec::new();
    let mut plans = Vec::new();
    for (kind, users_sql, status) in KINDS {
        let all: Vec<String> = sqlx::query_scalar(users_sql).fetch_all(&pool).await?;
        // Twenty users spread over the province.
        let users: Vec<&String> = all.iter().step_by((all.len() / 20).max(1)).take(20).collect();
        let mut times = Vec::with_capacity(args.samples);
        let mut rows = 0usize;
        for i in 0..args.samples {
            let login = users[i % users.len()];
            let t = Instant::now();
            rows += store.inbox(login, *status, 500).await?.len();
            times.push(t.elapsed());
        }
        times.sort();
        let p99 = percentile(&times, 99.0);
        println!(
            "| {kind} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            users.len(),
            times.len(),
            rows as f64 / times.len() as f64,
            percentile(&times, 50.0),
            p99,
            times.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or_default()
        );
        if p99 >= 5.0 {
            failed.push(format!("{kind}: p99 {p99:.2} ms"));
        }
        let plan = store.explain_inbox(users[0], *status, 500).await?;
        if plan.iter().any(|l| l.contains("Seq Scan on tasks")) {
            failed.push(format!("{kind}: the plan reads the whole tasks table"));
        }
        // A user's few tasks join their instances by key, not by hashing them all.
        if plan.iter().any(|l| l.contains("Seq Scan on instances")) {
            failed.push(format!("{kind}: the plan reads the whole instances table"));
        }
        plans.push((kind, users[0].clone(), plan));
    }
    for (kind, login, plan) in plans {
        println!();
        println!("EXPLAIN (ANALYZE, BUFFERS) of the inbox of {login} ({kind}):");
        println!("```");
        for line in plan {
            println!("{line}");
        }
        println!("```");
    }
    pool.close().await;
    if args.keep {
        eprintln!("database kept: {}", db.url());
    } else {
        db.drop_now().await;
    }
    if !failed.is_empty() {
        bail!("inbox targets not met: {}", failed.join("; "));
    }
    Ok(())
}
