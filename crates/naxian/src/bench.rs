//! `naxian bench`: drives N appointments through the whole workflow in-process
//! (start, submit, three opinions, election, two filing acknowledgements: eight
//! transitions each) on a fresh database, and in the same run measures the
//! database's ceiling — as many bare transactions doing the minimal durable
//! write of one transition, on the same pool, taking turns with the engine —
//! and prints both and their ratio, for each backend and concurrency.

mod ceiling;
pub mod scale;

use crate::demo;
use anyhow::Context as _;
use naxian_engine::{Actor, Engine, InstanceView, Settings, StartRequest, SystemClock};
use naxian_model::machine::ActionInput;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// sqlite, postgres, or both.
    #[arg(long, default_value = "both")]
    pub backend: String,
    /// Appointments to drive through (eight transitions each).
    #[arg(long, default_value_t = 300)]
    pub instances: usize,
    /// Appointments in flight at once; one run per value.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    pub concurrency: Vec<usize>,
    /// PostgreSQL server to create a scratch database on.
    #[arg(long, default_value = naxian_store_postgres::testing::DEFAULT_ADMIN_URL)]
    pub postgres: String,
    /// Turns engine and ceiling take, each with a slice of the appointments.
    #[arg(long, default_value_t = 6)]
    pub rounds: usize,
    /// Workflow definitions.
    #[arg(long, default_value = "workflows")]
    pub workflows: std::path::PathBuf,
}

struct Cast {
    nominator: Actor,
    consulted: Vec<Actor>,
    secretary: Actor,
    filing: Vec<Actor>,
}

fn open_task<'a>(view: &'a InstanceView, actor: &Actor) -> anyhow::Result<&'a naxian_model::Task> {
    view.tasks
        .iter()
        .find(|t| t.status == naxian_model::TaskStatus::Open && actor.holds_task(t))
        .with_context(|| format!("no open task for {} in step {}", actor.login, view.instance.step))
}

/// One appointment from nomination to appointed; returns the transitions made.
async fn appointment(engine: &Engine, cast: &Cast, n: usize) -> anyhow::Result<usize> {
    let data = json!({
        "candidate": {"name": format!("候选人{n}"), "gender": "female", "birth_year": 1978,
                      "phone": "13800000000", "email": "c@example.cn", "employer": "玫瑰镇卫生院",
                      "position": "院长", "sector": "health"},
        "target_org": "JN-PY-MG", "post": "member", "mode": "part_time", "reason": "基层卫生骨干"
    });
    let view = engine
        .start(
            &cast.nominator,
            StartRequest {
                workflow: "sanzhang-appointment".into(),
                data,
            },
        )
        .await?;
    let id = view.instance.id.clone();
    let t = open_task(&view, &cast.nominator)?.id.clone();
    let mut view = engine
        .act(&cast.nominator, &t, ActionInput::named("submit"))
        .await?;
    for a in &cast.consulted {
        let t = open_task(&view, a)?.id.clone();
        view = engine.act(a, &t, ActionInput::named("agree")).await?;
    }
    let t = open_task(&view, &cast.secretary)?.id.clone();
    view = engine
        .act(
            &cast.secretary,
            &t,
            ActionInput {
                data: Some(json!({"meeting_date": "2026-11-28"})),
                ..ActionInput::named("elected")
            },
        )
        .await?;
    for a in &cast.filing {
        let t = open_task(&view, a)?.id.clone();
        view = engine.act(a, &t, ActionInput::named("acknowledge")).await?;
    }
    anyhow::ensure!(
        view.instance.outcome.as_deref() == Some("appointed"),
        "instance {id} ended {:?}",
        view.instance.outcome
    );
    Ok(8)
}

/// One measured run.
struct Figures {
    transitions: usize,
    engine: std::time::Duration,
    ceiling: std::time::Duration,
}

enum Scratch {
    /// The folder is kept (and removed on drop) for as long as the store is used.
    Sqlite(
        #[allow(dead_code)] tempfile::TempDir,
        Arc<naxian_store_sqlite::SqliteStore>,
    ),
    Postgres(
        naxian_store_postgres::testing::TestDatabase,
        Arc<naxian_store_postgres::PostgresStore>,
    ),
}

impl Scratch {
    async fn create(backend: &str, postgres: &str) -> anyhow::Result<Scratch> {
        Ok(match backend {
            "sqlite" => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                let store = naxian_store_sqlite::SqliteStore::connect(&url).await?;
                Scratch::Sqlite(dir, Arc::new(store))
            }
            "postgres" => {
                std::env::set_var("NAXIAN_TEST_POSTGRES", postgres);
                let db = naxian_store_postgres::testing::TestDatabase::create().await;
                let store =
                    naxian_store_postgres::PostgresStore::connect(db.url(), crate::open::POSTGRES_POOL)
                        .await?;
                Scratch::Postgres(db, Arc::new(store))
            }
            other => anyhow::bail!("unknown backend `{other}`: sqlite, postgres or both"),
        })
    }

    fn store(&self) -> Arc<dyn naxian_store::Store> {
        match self {
            Scratch::Sqlite(_, s) => s.clone(),
            Scratch::Postgres(_, s) => s.clone(),
        }
    }

    async fn ceiling(
        &self,
        version: i64,
        round: usize,
        workers: usize,
        transactions: usize,
    ) -> anyhow::Result<std::time::Duration> {
        match self {
            Scratch::Sqlite(_, s) => {
                ceiling::run(s.writer_pool().clone(), version, round, workers, transactions).await
            }
            Scratch::Postgres(_, s) => {
                ceiling::run(s.pool().clone(), version, round, workers, transactions).await
            }
        }
    }

    async fn drop_now(self) {
        if let Scratch::Postgres(db, store) = self {
            store.close().await;
            db.drop_now().await;
        }
    }
}

/// Drives the appointments numbered `slice` through on `concurrency` tasks;
/// returns the transitions made.
async fn drive(
    engine: &Engine,
    cast: &Arc<Cast>,
    slice: std::ops::Range<usize>,
    concurrency: usize,
) -> anyhow::Result<usize> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(slice.start));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (engine, cast, next, end) = (engine.clone(), cast.clone(), next.clone(), slice.end);
        workers.push(tokio::spawn(async move {
            let mut transitions = 0;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= end {
                    return anyhow::Ok(transitions);
                }
                transitions += appointment(&engine, &cast, n).await?;
            }
        }));
    }
    let mut transitions = 0;
    for w in workers {
        transitions += w.await??;
    }
    Ok(transitions)
}

async fn measure(args: &BenchArgs, backend: &str, concurrency: usize) -> anyhow::Result<Figures> {
    let scratch = Scratch::create(backend, &args.postgres).await?;
    let engine = Engine::new(scratch.store(), Arc::new(SystemClock), Settings::default());
    engine.load_workflows(&args.workflows).await?;
    demo::load(&engine, demo::PROVINCE).await?;
    let cast = Arc::new(Cast {
        nominator: engine.actor("jn-py-nominator").await?,
        consulted: vec![
            engine.actor("jn-py-org").await?,
            engine.actor("jn-py-mg-pc").await?,
            engine.actor("jn-py-health").await?,
        ],
        secretary: engine.actor("jn-py-mg-sec").await?,
        filing: vec![
            engine.actor("jn-py-org").await?,
            engine.actor("jn-py-mg-pc").await?,
        ],
    });
    let version = engine.latest_definition("sanzhang-appointment").await?.version;
    // Engine and ceiling take turns, a slice of the appointments each round,
    // so that both see the machine as it is at the time (on a shared machine
    // its speed drifts by more than the difference being measured).
    let rounds = args.rounds.clamp(1, args.instances.max(1));
    let (mut transitions, mut engine_time, mut ceiling_time) = (0, Duration::ZERO, Duration::ZERO);
    for round in 0..rounds {
        let slice = args.instances * round / rounds..args.instances * (round + 1) / rounds;
        let started = Instant::now();
        let made = drive(&engine, &cast, slice, concurrency.max(1)).await?;
        engine_time += started.elapsed();
        transitions += made;
        ceiling_time += scratch.ceiling(version, round, concurrency.max(1), made).await?;
    }
    let report = engine.verify_audit().await?;
    anyhow::ensure!(report.broken.is_none(), "audit chain broken after the run");
    scratch.drop_now().await;
    Ok(Figures {
        transitions,
        engine: engine_time,
        ceiling: ceiling_time,
    })
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let backends: Vec<&str> = match args.backend.as_str() {
        "both" => vec!["sqlite", "postgres"],
        one => vec![one],
    };
    println!(
        "{} appointments x 8 transitions; ceiling: the same number of bare transactions \
         (version-checked UPDATE + history INSERT + outbox INSERT) on the same pool, \
         taking turns with the engine in {} rounds",
        args.instances, args.rounds
    );
    println!("| backend | concurrency | engine transitions/s | µs per transition | ceiling transactions/s | µs per transaction | engine/ceiling |");
    println!("|---|---|---|---|---|---|---|");
    for backend in backends {
        for &c in &args.concurrency {
            let f = measure(&args, backend, c).await?;
            let rate = |d: std::time::Duration| f.transitions as f64 / d.as_secs_f64();
            let us = |d: std::time::Duration| d.as_secs_f64() * 1e6 / f.transitions as f64;
            println!(
                "| {backend} | {c} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} |",
                rate(f.engine),
                us(f.engine),
                rate(f.ceiling),
                us(f.ceiling),
                rate(f.engine) / rate(f.ceiling)
            );
        }
    }
    Ok(())
}
