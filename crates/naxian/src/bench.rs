//! `naxian bench`: drives N appointments through the whole workflow in-process
//! (start, submit, three opinions, election, two filing acknowledgements: eight
//! transitions each) on a fresh database, and prints the throughput.

use crate::demo;
use anyhow::Context as _;
use naxian_engine::{Actor, Engine, InstanceView, Settings, StartRequest, SystemClock};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// sqlite or postgres.
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// Appointments to drive through.
    #[arg(long, default_value_t = 500)]
    pub instances: usize,
    /// Appointments in flight at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// PostgreSQL server to create a scratch database on.
    #[arg(long, default_value = naxian_store_postgres::testing::DEFAULT_ADMIN_URL)]
    pub postgres: String,
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
    let mut view = engine.act(&cast.nominator, &t, "submit", None, None).await?;
    for a in &cast.consulted {
        let t = open_task(&view, a)?.id.clone();
        view = engine.act(a, &t, "agree", None, None).await?;
    }
    let t = open_task(&view, &cast.secretary)?.id.clone();
    view = engine
        .act(
            &cast.secretary,
            &t,
            "elected",
            None,
            Some(json!({"meeting_date": "2026-12-20"})),
        )
        .await?;
    for a in &cast.filing {
        let t = open_task(&view, a)?.id.clone();
        view = engine.act(a, &t, "acknowledge", None, None).await?;
    }
    anyhow::ensure!(
        view.instance.outcome.as_deref() == Some("appointed"),
        "instance {id} ended {:?}",
        view.instance.outcome
    );
    Ok(8)
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir()?;
    let mut pg = None;
    let url = match args.backend.as_str() {
        "sqlite" => format!("sqlite://{}", scratch.path().join("bench.db").display()),
        "postgres" => {
            std::env::set_var("NAXIAN_TEST_POSTGRES", &args.postgres);
            let db = naxian_store_postgres::testing::TestDatabase::create().await;
            let url = db.url().to_string();
            pg = Some(db);
            url
        }
        other => anyhow::bail!("unknown backend `{other}`: sqlite or postgres"),
    };
    let store = naxian_engine::open::open_store(&url).await?;
    let engine = Engine::new(store, Arc::new(SystemClock), Settings::default());
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
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (engine, cast, next) = (engine.clone(), cast.clone(), next.clone());
        let total = args.instances;
        workers.push(tokio::spawn(async move {
            let mut transitions = 0;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
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
    let secs = started.elapsed().as_secs_f64();
    println!(
        "backend={} instances={} concurrency={} transitions={} seconds={:.3}",
        args.backend, args.instances, args.concurrency, transitions, secs
    );
    println!(
        "instances/s={:.1} transitions/s={:.1} us/transition={:.1}",
        args.instances as f64 / secs,
        transitions as f64 / secs,
        secs * 1e6 / transitions as f64
    );
    let report = engine.verify_audit().await?;
    anyhow::ensure!(report.broken.is_none(), "audit chain broken after the run");
    if let Some(db) = pg {
        db.drop_now().await;
    }
    Ok(())
}
