//! `naxian loadtest`: the real HTTP service under open-loop load. Requests
//! are sent at a constant arrival rate whatever the answers do (a closed loop
//! would slow down with the server and hide its queueing), half task actions
//! and half inbox reads, and each latency is taken from the moment the request
//! was due to be sent, so a stalled server shows in the figures. For each rate
//! it prints p50, p99, p99.9 and the errors.

use crate::config::Config;
use anyhow::Context as _;
use naxian_model::machine::ActionInput;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct LoadArgs {
    /// Requests per second to try, each for `--seconds`.
    #[arg(long, value_delimiter = ',', default_value = "100,250,500,750,1000")]
    pub rates: Vec<u32>,
    /// How long each rate is held.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds at the first rate before any is measured, reported apart: the
    /// generator's connections and the service's database connections open
    /// then, as they would have long been in a service at work.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// PostgreSQL server to create a scratch database on.
    #[arg(long, default_value = naxian_store_postgres::testing::DEFAULT_ADMIN_URL)]
    pub postgres: String,
    /// Workflow definitions.
    #[arg(long, default_value = "workflows")]
    pub workflows: std::path::PathBuf,
}

/// Latencies (µs) and errors of one kind of request at one rate.
#[derive(Default)]
pub(crate) struct Sample {
    pub(crate) micros: Vec<u64>,
    pub(crate) errors: usize,
}

impl Sample {
    pub(crate) fn percentile(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let mut v = self.micros.clone();
        v.sort_unstable();
        let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v[i] as f64 / 1000.0
    }
}

/// Tasks waiting for an action, handed out one per request.
struct Work {
    tasks: Vec<(String, String)>,
    next: AtomicUsize,
}

/// The service's process, stopped however the run ends.
pub(crate) struct Service(std::process::Child);

impl Service {
    /// Runs `naxian serve` as a process of its own on `database_url`, as in
    /// production, so that its memory can be read apart from the load
    /// generator's; returns it when `/readyz` says ready, with its base URL.
    pub(crate) async fn start(
        database_url: &str,
        data_dir: &std::path::Path,
        workflows: &std::path::Path,
    ) -> anyhow::Result<(Service, String)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let base = format!("http://127.0.0.1:{port}");
        let server = Service(
            std::process::Command::new(std::env::current_exe()?)
                .arg("serve")
                .env("NAXIAN_LISTEN", format!("127.0.0.1:{port}"))
                .env("NAXIAN_DATABASE_URL", database_url)
                .env("NAXIAN_DATA_DIR", data_dir)
                .env("NAXIAN_WORKFLOWS", workflows)
                .env("NAXIAN_LOG", "warn")
                .spawn()
                .context("starting naxian serve")?,
        );
        let probe = reqwest::Client::new();
        let ready = Instant::now();
        while !probe
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            if ready.elapsed() > Duration::from_secs(60) {
                anyhow::bail!("naxian serve not ready within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok((server, base))
    }

    pub(crate) fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process's resident memory and its peak, in MiB (Linux).
pub(crate) fn memory_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<f64>()
            .ok()
            .map(|kib| kib / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

pub(crate) async fn token(client: &reqwest::Client, base: &str, login: &str) -> anyhow::Result<String> {
    let v: Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"login": login, "password": "naxian-demo"}))
        .send()
        .await?
        .json()
        .await?;
    v["token"].as_str().map(str::to_string).context("no token")
}

/// Opens `n` nominations in consultation through the engine (fast), each
/// giving three department tasks.
async fn prepare(
    engine: &naxian_engine::Engine,
    n: usize,
    target: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let county = &target[..5];
    let nominator = engine
        .actor(&format!("{}-nominator", county.to_lowercase()))
        .await?;
    let mut tasks = Vec::new();
    for i in 0..n {
        let data = json!({
            "candidate": {"name": format!("候选人{i}"), "gender": "female", "birth_year": 1978,
                          "phone": "13800000000", "email": "c@example.cn", "employer": "卫生院",
                          "position": "院长", "sector": "health"},
            "target_org": target, "post": "member", "mode": "part_time", "reason": "基层骨干"
        });
        let view = engine
            .start(
                &nominator,
                naxian_engine::StartRequest {
                    workflow: "sanzhang-appointment".into(),
                    data,
                },
            )
            .await?;
        let draft = view.tasks[0].id.clone();
        let view = engine
            .act(&nominator, &draft, ActionInput::named("submit"))
            .await?;
        for t in view
            .tasks
            .iter()
            .filter(|t| t.status == naxian_model::TaskStatus::Open)
        {
            let holder = t.assignee.unit.to_lowercase();
            tasks.push((t.id.clone(), holder));
        }
    }
    Ok(tasks)
}

/// A scratch PostgreSQL database on `postgres` with the workflows and the
/// demo province loaded, its data folder, and the service assembled on it.
pub(crate) async fn scratch(
    postgres: &str,
    workflows: &std::path::Path,
) -> anyhow::Result<(
    naxian_store_postgres::testing::TestDatabase,
    tempfile::TempDir,
    naxian_server::AppState,
)> {
    std::env::set_var("NAXIAN_TEST_POSTGRES", postgres);
    let db = naxian_store_postgres::testing::TestDatabase::create().await;
    let folder = tempfile::tempdir()?;
    let mut config = Config::default();
    config.database.url = db.url().to_string();
    config.paths.data_dir = folder.path().to_path_buf();
    config.paths.workflows = workflows.to_path_buf();
    let state = crate::build(&config, true, false).await?;
    Ok((db, folder, state))
}

pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let (db, scratch, state) = scratch(&args.postgres, &args.workflows).await?;
    let engine = state.engine.clone();

    let warmup = args.rates.first().map(|&r| (r, args.warmup));
    let needed: usize = warmup
        .into_iter()
        .chain(args.rates.iter().map(|&r| (r, args.seconds)))
        .map(|(r, seconds)| (r as usize * seconds as usize).div_ceil(2))
        .sum();
    eprintln!("preparing {needed} open tasks ...");
    let prepared = prepare(&engine, needed.div_ceil(3) + 1, "JN-PY-MG").await?;
    // The three tasks of an instance are far apart in the order they are
    // acted on, as departments answer at different times: consecutive
    // actions on one instance would mostly measure version conflicts.
    let mut tasks: Vec<(String, String)> = (0..3)
        .flat_map(|k| prepared.iter().skip(k).step_by(3).cloned())
        .collect();
    tasks.truncate(needed.max(1));
    // A reader with a realistic inbox: a few tasks in another county.
    prepare(&engine, 10, "JN-SH-YQ").await?;

    let (server, base) = Service::start(db.url(), scratch.path(), &args.workflows).await?;
    // The nominations above queued e-mails; the service's dispatcher sends
    // them first, and that is not what is measured here.
    while !engine.outbox_list(Some("pending"), 1).await?.is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The preparation wrote tens of thousands of rows at once: let PostgreSQL
    // take their statistics now rather than autovacuum during the measurement.
    let pool = sqlx::PgPool::connect(db.url()).await?;
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    pool.close().await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let mut tokens = std::collections::HashMap::new();
    for (_, holder) in &tasks {
        if !tokens.contains_key(holder) {
            tokens.insert(holder.clone(), token(&client, &base, holder).await?);
        }
    }
    let reader = token(&client, &base, "jn-sh-org").await?;
    let work = Arc::new(Work {
        tasks,
        next: AtomicUsize::new(0),
    });
    let tokens = Arc::new(tokens);

    println!(
        "open loop, {} s per rate, half task actions (POST /api/v1/tasks/ID/actions) and half inbox reads (GET /api/v1/tasks); PostgreSQL",
        args.seconds
    );
    println!("| offered req/s | kind | requests | p50 ms | p99 ms | p99.9 ms | errors |");
    println!("|---|---|---|---|---|---|---|");
    let load = Load {
        client,
        base,
        work,
        tokens,
        reader,
    };
    if let Some((rate, seconds)) = warmup.filter(|w| w.1 > 0) {
        let (actions, reads, achieved) = load.hold(rate, seconds).await;
        print_rows(
            &format!("{rate} warm-up, {seconds} s, not counted ({achieved:.0} done)"),
            &actions,
            &reads,
        );
    }
    for &rate in &args.rates {
        let (actions, reads, achieved) = load.hold(rate, args.seconds).await;
        print_rows(&format!("{rate} ({achieved:.0} done)"), &actions, &reads);
        if let Some((rss, peak)) = memory_mib(server.id()) {
            println!("| {rate} | service memory | resident {rss:.0} MiB | peak {peak:.0} MiB | | | |");
        }
    }
    drop(server);
    db.drop_now().await;
    Ok(())
}

/// What the requests need: where to send them, as whom, and the tasks to act on.
struct Load {
    client: reqwest::Client,
    base: String,
    work: Arc<Work>,
    tokens: Arc<std::collections::HashMap<String, String>>,
    reader: String,
}

impl Load {
    /// Sends `rate` requests a second for `seconds`, half actions and half
    /// inbox reads; returns their samples and the rate achieved.
    async fn hold(&self, rate: u32, seconds: u64) -> (Sample, Sample, f64) {
        let actions = Arc::new(Mutex::new(Sample::default()));
        let reads = Arc::new(Mutex::new(Sample::default()));
        let total = rate as u64 * seconds;
        let interval = Duration::from_secs_f64(1.0 / rate as f64);
        let start = Instant::now();
        let mut handles = Vec::with_capacity(total as usize);
        for i in 0..total {
            let due = start + interval * i as u32;
            tokio::time::sleep_until(due.into()).await;
            let (client, base, work, tokens, reader) = (
                self.client.clone(),
                self.base.clone(),
                self.work.clone(),
                self.tokens.clone(),
                self.reader.clone(),
            );
            let (actions, reads) = (actions.clone(), reads.clone());
            handles.push(tokio::spawn(async move {
                let (ok, sample) = if i % 2 == 0 {
                    let n = work.next.fetch_add(1, Ordering::Relaxed);
                    let Some((task, holder)) = work.tasks.get(n) else {
                        return;
                    };
                    let r = client
                        .post(format!("{base}/api/v1/tasks/{task}/actions"))
                        .bearer_auth(&tokens[holder])
                        .json(&json!({"action": "agree"}))
                        .send()
                        .await;
                    (r.is_ok_and(|r| r.status().is_success()), actions)
                } else {
                    let r = client
                        .get(format!("{base}/api/v1/tasks"))
                        .bearer_auth(&reader)
                        .send()
                        .await;
                    let ok = match r {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        _ => false,
                    };
                    (ok, reads)
                };
                let micros = due.elapsed().as_micros() as u64;
                let mut s = sample.lock().expect("not poisoned");
                s.micros.push(micros);
                if !ok {
                    s.errors += 1;
                }
            }));
        }
        for h in handles {
            let _ = h.await;
        }
        let achieved = total as f64 / start.elapsed().as_secs_f64();
        let take = |s: Arc<Mutex<Sample>>| std::mem::take(&mut *s.lock().expect("not poisoned"));
        (take(actions), take(reads), achieved)
    }
}

/// One table row per kind of request.
fn print_rows(label: &str, actions: &Sample, reads: &Sample) {
    for (kind, s) in [("action", actions), ("inbox", reads)] {
        println!(
            "| {label} | {kind} | {} | {:.1} | {:.1} | {:.1} | {} |",
            s.micros.len(),
            s.percentile(50.0),
            s.percentile(99.0),
            s.percentile(99.9),
            s.errors
        );
    }
}
