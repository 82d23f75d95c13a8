//! Faults with real processes: `naxian serve` replicas killed with SIGKILL
//! under load, a replica paused with SIGSTOP past its lease, and a PostgreSQL
//! server of the test's own stopped with `immediate` and started again. After
//! each, the database is checked for what must hold: every acknowledged
//! action present, none applied twice, every e-mail sent once, the audit
//! chain intact.
//!
//! The short forms run in CI (PostgreSQL's own tools from
//! /usr/lib/postgresql/*/bin start a server of the test's own). `NAXIAN_FAULT_ROUNDS=N` makes the kill test do
//! N times as many appointments and kills (see docs/RELIABILITY.md).

use naxian_tests::{nomination, SmtpServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{PgPool, Row};
use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rounds() -> usize {
    std::env::var("NAXIAN_FAULT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// One `naxian serve` process with a settings file of its own.
struct Replica {
    name: String,
    port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Replica {
    fn new(dir: &Path, name: &str, database_url: &str, smtp_port: u16) -> Replica {
        let port = free_port();
        let data = dir.join(name);
        std::fs::create_dir_all(&data).unwrap();
        let ws = workspace();
        let config = dir.join(format!("{name}.toml"));
        // The core demo units are all the scenarios use: generating the
        // rest of the province would only compete with the load for the cores.
        std::fs::write(
            &config,
            format!(
                r#"[server]
listen = "127.0.0.1:{port}"
lost_request_after_seconds = 3
[paths]
data_dir = "{data}"
workflows = "{ws}/workflows"
holidays = "{ws}/config/holidays"
[database]
url = "{database_url}"
[retention]
personal_data_days = 0
[mail]
smtp_url = "smtp://127.0.0.1:{smtp_port}"
from = "纳贤 <{name}@naxian.local>"
poll_seconds = 1
lease_seconds = 4
retry_after_seconds = 1
[demo]
whole_province = false
"#,
                data = data.display(),
                ws = ws.display(),
            ),
        )
        .unwrap();
        Replica {
            name: name.into(),
            port,
            config,
            log: dir.join(format!("{name}.log")),
            child: None,
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_naxian"))
            .arg("--config")
            .arg(&self.config)
            .args(["serve", "--demo"])
            .current_dir(workspace())
            .env("HOSTNAME", &self.name)
            .env("NAXIAN_LOG", "info,sqlx=warn")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start naxian serve");
        self.child = Some(child);
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let ok = Command::new("kill").args([sig, &pid]).status().unwrap().success();
        assert!(ok, "kill {sig} {pid}");
    }

    /// SIGKILL, then reaps the process and checks the kill is what ended it:
    /// a replica that had already died by itself would hide a crash.
    fn kill(&mut self) {
        let mut c = self.child.take().expect("a running replica to kill");
        assert!(
            c.try_wait().unwrap().is_none(),
            "{} had exited before its kill:\n{}",
            self.name,
            self.log_text()
        );
        c.kill().unwrap();
        let status = c.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "{} ended by SIGKILL", self.name);
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.base())).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready within 60 s:\n{}",
                self.name,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `naxian audit verify` against this replica's database.
    fn audit_verify(&self) -> (bool, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_naxian"))
            .arg("--config")
            .arg(&self.config)
            .args(["audit", "verify"])
            .current_dir(workspace())
            .env("NAXIAN_LOG", "warn")
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").args(["-CONT", &c.id().to_string()]).status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A client that, like a careful real one, sends each POST with an
/// Idempotency-Key and, when a replica does not answer or the database is
/// away, sends it again (to the next replica) until it has an answer.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    bases: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    /// Every answer with a 5xx status, by status.
    server_errors: Arc<Mutex<HashMap<u16, usize>>>,
}

impl Client {
    fn new(bases: Vec<String>) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            bases: Arc::new(bases),
            next: Arc::default(),
            server_errors: Arc::default(),
        }
    }

    async fn send(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let base = &self.bases[n % self.bases.len()];
            let mut req = self
                .http
                .request(method.parse().unwrap(), format!("{base}{path}"));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(k) = key {
                req = req.header("Idempotency-Key", k);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let answer = match req.send().await {
                Ok(r) => {
                    let status = r.status();
                    match r.text().await {
                        Ok(t) => Some((status, serde_json::from_str(&t).unwrap_or(Value::String(t)))),
                        Err(_) => None,
                    }
                }
                Err(_) => None,
            };
            match answer {
                Some((s, b)) if s.is_server_error() => {
                    *self.server_errors.lock().unwrap().entry(s.as_u16()).or_default() += 1;
                    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{method} {path}: {b}");
                    assert!(b["error"]["code"].is_string(), "the API's error shape: {b}");
                }
                Some((s, b))
                    if s == StatusCode::CONFLICT && b["error"]["code"] == "idempotency_in_progress" => {}
                Some(answer) => return answer,
                None => {}
            }
            assert!(
                Instant::now() < deadline,
                "{method} {path}: no answer within 90 s"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    async fn token(&self, login: &str) -> String {
        let (s, b) = self
            .send(
                None,
                "POST",
                "/api/v1/auth/token",
                Some(&json!({"login": login, "password": "naxian-demo"})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {login}: {b}");
        b["token"].as_str().unwrap().to_string()
    }
}

/// What the load did and what the servers acknowledged.
#[derive(Default)]
struct Ledger {
    instances: Vec<String>,
    /// (task id, action) answered 200.
    acknowledged: Vec<(String, String)>,
}

/// The steps of an appointment to a township whose body is mid-term:
/// (who, action, data).
fn script() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("jn-py-nominator", "submit", json!({})),
        ("jn-py-org", "agree", json!({})),
        ("jn-py-mg-pc", "agree", json!({})),
        ("jn-py-health", "agree", json!({})),
        (
            "jn-py-mg-sec",
            "elected",
            json!({"data": {"meeting_date": "2026-11-28", "votes": 23}}),
        ),
        ("jn-py-org", "acknowledge", json!({})),
        ("jn-py-mg-pc", "acknowledge", json!({})),
    ]
}

const HISTORY: [&str; 8] = [
    "create",
    "submit",
    "agree",
    "agree",
    "agree",
    "elected",
    "acknowledge",
    "acknowledge",
];

/// An appointment's tasks when it is done: (step, status), in that order.
const TASKS: [(&str, &str); 7] = [
    ("committee_by_election", "done"),
    ("consultation", "done"),
    ("consultation", "done"),
    ("consultation", "done"),
    ("drafting", "done"),
    ("filing", "done"),
    ("filing", "done"),
];

/// The e-mails of one appointment, by kind: one per task opened for someone
/// other than its actor (three consulted departments, the township's
/// secretary — not the county's, who holds the role only above it — two
/// filing departments), the copy of the filing to the city, the outcome to
/// the nominator.
const MAILS: [&str; 8] = [
    "assigned", "assigned", "assigned", "assigned", "assigned", "assigned", "copy", "outcome",
];

/// Drives appointments from nomination to appointed, one after another,
/// until `enough` turns true.
async fn appointments(
    client: Client,
    tokens: Arc<HashMap<String, String>>,
    worker: usize,
    enough: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
) {
    let mut a = 0;
    while !enough.load(Ordering::Relaxed) {
        a += 1;
        let key = format!("w{worker}-a{a}-{}", uuid::Uuid::new_v4().simple());
        let body = json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "health")});
        let (s, inst) = client
            .send(
                Some(&tokens["jn-py-nominator"]),
                "POST",
                "/api/v1/instances",
                Some(&body),
                Some(&key),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{inst}");
        let id = inst["id"].as_str().unwrap().to_string();
        ledger.lock().unwrap().instances.push(id.clone());
        for (login, action, extra) in script() {
            let token = &tokens[login];
            // The task, from the inbox; an earlier answer may have been lost
            // with a killed replica, so look until it shows, for a minute at most.
            let shows_by = Instant::now() + Duration::from_secs(60);
            let task = loop {
                let (s, tasks) = client.send(Some(token), "GET", "/api/v1/tasks", None, None).await;
                assert_eq!(s, StatusCode::OK, "{tasks}");
                if let Some(t) = tasks
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["instance_id"] == id.as_str())
                {
                    break t["id"].as_str().unwrap().to_string();
                }
                assert!(
                    Instant::now() < shows_by,
                    "{login}'s task on {id} for {action} never showed: an earlier action was lost"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            let mut req = json!({"action": action});
            if let Value::Object(m) = extra {
                for (k, v) in m {
                    req[k] = v;
                }
            }
            let (s, b) = client
                .send(
                    Some(token),
                    "POST",
                    &format!("/api/v1/tasks/{task}/actions"),
                    Some(&req),
                    Some(&format!("{task}:{action}")),
                )
                .await;
            // Every action is answered 200, even one whose first answer was
            // lost with a killed replica: its key replays what was committed.
            assert_eq!(s, StatusCode::OK, "{action} on {task}: {b}");
            ledger
                .lock()
                .unwrap()
                .acknowledged
                .push((task, action.to_string()));
        }
    }
}

/// Clients driving appointments until told to stop.
struct Load {
    ledger: Arc<Mutex<Ledger>>,
    enough: Arc<AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(client: &Client, tokens: &Arc<HashMap<String, String>>, workers: usize) -> Load {
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let enough = Arc::new(AtomicBool::new(false));
        let workers = (0..workers)
            .map(|w| {
                tokio::spawn(appointments(
                    client.clone(),
                    tokens.clone(),
                    w,
                    enough.clone(),
                    ledger.clone(),
                ))
            })
            .collect();
        Load {
            ledger,
            enough,
            workers,
        }
    }

    /// How many actions have been answered so far.
    fn acknowledged(&self) -> usize {
        self.ledger.lock().unwrap().acknowledged.len()
    }

    /// Stops the clients once each has finished its appointment in hand.
    async fn finish(self) -> Ledger {
        self.enough.store(true, Ordering::Relaxed);
        for w in self.workers {
            w.await.unwrap();
        }
        std::mem::take(&mut *self.ledger.lock().unwrap())
    }
}

async fn tokens(client: &Client) -> Arc<HashMap<String, String>> {
    let mut tokens = HashMap::new();
    for (login, _, _) in script() {
        if !tokens.contains_key(login) {
            tokens.insert(login.to_string(), client.token(login).await);
        }
    }
    Arc::new(tokens)
}

/// Waits until no e-mail is pending.
async fn drained(db: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")
            .fetch_one(db)
            .await
            .unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} e-mails still pending after 90 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What must hold in the database after the faults: each acknowledged action
/// is there, every appointment went through its steps exactly once, no
/// instance was started twice, every e-mail ended sent and was recorded sent once.
async fn check_state(db: &PgPool, ledger: &Ledger) {
    for (task, action) in &ledger.acknowledged {
        let row = sqlx::query("SELECT status, action FROM tasks WHERE id = $1")
            .bind(task)
            .fetch_one(db)
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("status"), "done", "acknowledged task {task}");
        assert_eq!(
            row.get::<Option<String>, _>("action").as_deref(),
            Some(action.as_str())
        );
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM instances WHERE workflow = 'sanzhang-appointment'")
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(
        count as usize,
        ledger.instances.len(),
        "one instance per nomination, none started twice"
    );
    for id in &ledger.instances {
        let inst = sqlx::query("SELECT status, outcome FROM instances WHERE id = $1")
            .bind(id)
            .fetch_one(db)
            .await
            .unwrap();
        assert_eq!(inst.get::<String, _>("status"), "completed", "{id}");
        assert_eq!(
            inst.get::<Option<String>, _>("outcome").as_deref(),
            Some("appointed")
        );
        let actions: Vec<String> =
            sqlx::query_scalar("SELECT action FROM history WHERE instance_id = $1 ORDER BY seq")
                .bind(id)
                .fetch_all(db)
                .await
                .unwrap();
        assert_eq!(actions, HISTORY, "instance {id} moved once per action");
        let open: i64 =
            sqlx::query_scalar("SELECT count(*) FROM tasks WHERE instance_id = $1 AND status = 'open'")
                .bind(id)
                .fetch_one(db)
                .await
                .unwrap();
        assert_eq!(open, 0, "a completed instance has no open task");
        let tasks: Vec<(String, String)> =
            sqlx::query_as("SELECT step, status FROM tasks WHERE instance_id = $1 ORDER BY step, status")
                .bind(id)
                .fetch_all(db)
                .await
                .unwrap();
        assert_eq!(
            tasks,
            TASKS.map(|(s, t)| (s.to_string(), t.to_string())),
            "instance {id}'s tasks, each once"
        );
        let members: i64 = sqlx::query_scalar("SELECT count(*) FROM members WHERE instance_id = $1")
            .bind(id)
            .fetch_one(db)
            .await
            .unwrap();
        assert_eq!(members, 1, "instance {id} made one member");
        let mails: Vec<String> = sqlx::query_scalar(
            "SELECT split_part(dedupe_key, ':', 1) FROM outbox WHERE params->>'instance_id' = $1 ORDER BY 1",
        )
        .bind(id)
        .fetch_all(db)
        .await
        .unwrap();
        assert_eq!(mails, MAILS, "instance {id}'s e-mails, each once");
    }
    let not_sent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status <> 'sent'")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(
        not_sent, 0,
        "every e-mail sent (the SMTP server was up throughout)"
    );
    assert_eq!(recorded_sent_twice(db).await, 0, "no e-mail recorded sent twice");
}

/// How many e-mails have more than one successful delivery recorded.
async fn recorded_sent_twice(db: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT outbox_id FROM outbox_attempts WHERE ok GROUP BY outbox_id HAVING count(*) > 1) x",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

/// Message-ID → how many times the SMTP server took it in.
fn deliveries(smtp: &SmtpServer) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for m in smtp.received() {
        *seen.entry(m.message_id()).or_insert(0) += 1;
    }
    seen
}

async fn sent_ids(db: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT id || '@naxian.local' FROM outbox WHERE status = 'sent'")
        .fetch_all(db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_killed_under_load_lose_and_repeat_nothing() {
    let db = naxian_store_postgres::testing::TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start();
    let mut a = Replica::new(dir.path(), "replica-a", db.url(), smtp.addr.port());
    let mut b = Replica::new(dir.path(), "replica-b", db.url(), smtp.addr.port());
    a.start();
    a.wait_ready().await;
    b.start();
    b.wait_ready().await;
    let client = Client::new(vec![a.base(), b.base()]);
    let tokens = tokens(&client).await;

    // Load runs until the replicas have been killed this many times.
    let target_kills = 6 * rounds();
    let load = Load::start(&client, &tokens, 4);
    let mut replicas = [a, b];
    let mut answered = load.acknowledged();
    for kill in 0..target_kills {
        tokio::time::sleep(Duration::from_millis(700)).await;
        // Each kill lands on a service at work: actions were answered since the last.
        let now = load.acknowledged();
        assert!(now > answered, "no action answered before kill {kill}");
        answered = now;
        let r = &mut replicas[kill % 2];
        r.kill();
        tokio::time::sleep(Duration::from_millis(200)).await;
        r.start();
        r.wait_ready().await;
    }
    let ledger = load.finish().await;
    let [a, _b] = replicas;
    let kills = target_kills;

    let pool = PgPool::connect(db.url()).await.unwrap();
    drained(&pool).await;
    check_state(&pool, &ledger).await;

    // Each e-mail reached the SMTP server; a second copy of one is possible
    // only where a replica died between the server's acceptance and its own
    // record of it, and carries the same Message-ID for the receiver to drop.
    let seen = deliveries(&smtp);
    let sent = sent_ids(&pool).await;
    for id in &sent {
        assert!(
            seen.contains_key(id),
            "e-mail {id} recorded sent but never arrived"
        );
    }
    assert_eq!(
        seen.len(),
        sent.len(),
        "no message arrived that the outbox does not hold"
    );
    let repeated: usize = seen.values().map(|n| n - 1).sum();
    assert!(
        repeated <= kills,
        "{repeated} repeated deliveries for {kills} kills"
    );
    let (ok, out) = a.audit_verify();
    assert!(ok, "{out}");
    eprintln!(
        "{kills} kills; {} appointments, {} acknowledged actions, {} e-mails ({repeated} delivered again after a kill), 5xx answers {:?}",
        ledger.instances.len(),
        ledger.acknowledged.len(),
        sent.len(),
        client.server_errors.lock().unwrap()
    );
    drop(pool);
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_paused_past_its_lease_sends_nothing_it_lost() {
    let db = naxian_store_postgres::testing::TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    // Each message answered after 200 ms: the first replica is still working
    // through its claimed batch when it is paused.
    let smtp = SmtpServer::start_slow(Duration::from_millis(200));
    let mut a = Replica::new(dir.path(), "replica-a", db.url(), smtp.addr.port());
    let mut b = Replica::new(dir.path(), "replica-b", db.url(), smtp.addr.port());
    a.start();
    a.wait_ready().await;
    let client = Client::new(vec![a.base()]);
    let tokens = tokens(&client).await;
    // Twelve nominations submitted: each mails the three departments.
    for _ in 0..12 {
        let body = json!({"workflow": "sanzhang-appointment", "data": nomination("JN-PY-MG", "health")});
        let (s, inst) = client
            .send(
                Some(&tokens["jn-py-nominator"]),
                "POST",
                "/api/v1/instances",
                Some(&body),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{inst}");
        let task = inst["tasks"][0]["id"].as_str().unwrap();
        let (s, b) = client
            .send(
                Some(&tokens["jn-py-nominator"]),
                "POST",
                &format!("/api/v1/tasks/{task}/actions"),
                Some(&json!({"action": "submit"})),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let pool = PgPool::connect(db.url()).await.unwrap();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(total >= 36, "{total} e-mails queued");
    let from_a = |smtp: &SmtpServer| {
        smtp.received()
            .iter()
            .filter(|m| m.from.starts_with("replica-a@"))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while from_a(&smtp) < 2 {
        assert!(
            Instant::now() < deadline,
            "replica-a sent nothing:\n{}",
            a.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.signal("-STOP");
    // What replica-a holds as it stops, and until when (ms, the database's clock).
    let leased_to_a: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, lease_until FROM outbox WHERE status = 'pending' AND lease_owner LIKE 'replica-a-%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!leased_to_a.is_empty(), "replica-a holds e-mails when paused");

    b.start();
    b.wait_ready().await;
    // Past the lease (4 s) replica-b takes replica-a's e-mails over.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")
            .fetch_one(&pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{left} e-mails left with replica-a paused:\n{}",
            b.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each e-mail replica-a held was sent only once its lease had run out.
    for (id, until) in &leased_to_a {
        let sent_ms: i64 = sqlx::query_scalar(
            "SELECT CAST(EXTRACT(EPOCH FROM min(at)) * 1000 AS BIGINT) FROM outbox_attempts WHERE outbox_id = $1 AND ok",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(
            sent_ms >= *until,
            "e-mail {id} taken over {} ms before replica-a's lease ran out",
            until - sent_ms
        );
    }
    let resumed_at = Instant::now();
    a.signal("-CONT");
    // Resumed, replica-a finds its lease gone: it sends none of the rest of
    // its batch, and what it was sending when paused it cannot record as its own.
    tokio::time::sleep(Duration::from_secs(3)).await;
    a.wait_ready().await;
    let after: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.from.starts_with("replica-a@") && m.at > resumed_at)
        .collect();
    assert!(
        after.is_empty(),
        "replica-a sent {} e-mails it had lost",
        after.len()
    );
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox o WHERE status = 'sent' AND EXISTS (SELECT 1 FROM outbox_attempts t WHERE t.outbox_id = o.id AND t.ok)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(recorded, total, "every e-mail recorded sent");
    assert_eq!(
        recorded_sent_twice(&pool).await,
        0,
        "no e-mail recorded sent twice"
    );
    let seen = deliveries(&smtp);
    let repeated: usize = seen.values().map(|n| n - 1).sum();
    assert!(
        repeated <= 1,
        "only the message in flight at the pause may arrive twice, got {repeated}"
    );
    assert!(
        smtp.received().iter().any(|m| m.from.starts_with("replica-b@")),
        "replica-b took the work over"
    );
    drop(pool);
    drop((a, b));
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_and_started_under_load() {
    // A server of the test's own, so that stopping it touches no other test.
    let pg = naxian_store_postgres::testing::PrivateCluster::init();
    pg.start();
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start();
    let mut replica = Replica::new(dir.path(), "replica-a", &pg.url(), smtp.addr.port());
    replica.start();
    replica.wait_ready().await;
    let client = Client::new(vec![replica.base()]);
    let tokens = tokens(&client).await;
    let load = Load::start(&client, &tokens, 3);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.stop_immediate();

    // While the database is away every request is answered, and with 503.
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    let outage = Instant::now();
    while outage.elapsed() < Duration::from_secs(6) {
        let asked = Instant::now();
        let r = http
            .get(format!("{}/api/v1/tasks", replica.base()))
            .bearer_auth(&tokens["jn-py-org"])
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .expect("the service answers while its database is away");
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "answered within the pool's wait"
        );
        statuses.push(r.status().as_u16());
        let ready = http
            .get(format!("{}/readyz", replica.base()))
            .send()
            .await
            .unwrap();
        statuses.push(ready.status().as_u16());
    }
    assert!(statuses.len() >= 2, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 503),
        "503 while the database is away: {statuses:?}"
    );

    pg.start();
    replica.wait_ready().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ledger = load.finish().await;
    let pool = PgPool::connect(&pg.url()).await.unwrap();
    drained(&pool).await;
    check_state(&pool, &ledger).await;
    let (ok, out) = replica.audit_verify();
    assert!(ok, "{out}");
    eprintln!(
        "{} probes during the outage, all 503; {} appointments, {} acknowledged actions; 5xx answers to the load {:?}",
        statuses.len(),
        ledger.instances.len(),
        ledger.acknowledged.len(),
        client.server_errors.lock().unwrap()
    );
    pool.close().await;
}
