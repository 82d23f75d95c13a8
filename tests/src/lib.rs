//! The end-to-end test harness: the real service, assembled as `naxian serve
//! --demo --test-clock` does, on 127.0.0.1:0 with a fresh database (a temporary
//! SQLite file, or a new PostgreSQL database), driven over HTTP.

pub mod web;

use naxian::config::Config;
use naxian_engine::{Engine, ManualClock};
use naxian_store_postgres::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A TCP relay that a test can cut (connections closed) or freeze
/// (connections open, no byte passed either way), to see the service
/// without its database or its mail server.
pub struct TcpRelay {
    pub port: u16,
    cut: tokio::sync::watch::Sender<bool>,
    frozen: tokio::sync::watch::Sender<bool>,
}

/// Copies `from` to `to`, holding every chunk while the relay is frozen.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen.wait_for(|f| !*f).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl TcpRelay {
    /// Relays 127.0.0.1:<port> to `target` until cut.
    pub async fn start(target: std::net::SocketAddr) -> TcpRelay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        let (frozen, frozen_watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut watch = watch.clone();
                if *watch.borrow() {
                    continue; // dropped: the client sees the connection closed
                }
                let frozen = frozen_watch.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let (in_read, in_write) = inbound.into_split();
                    let (out_read, out_write) = outbound.into_split();
                    tokio::select! {
                        _ = pump(in_read, out_write, frozen.clone()) => {}
                        _ = pump(out_read, in_write, frozen) => {}
                        _ = watch.wait_for(|c| *c) => {}
                    }
                });
            }
        });
        TcpRelay { port, cut, frozen }
    }

    /// Drops every relayed connection and refuses new ones.
    pub fn cut(&self) {
        let _ = self.cut.send(true);
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        let _ = self.cut.send(false);
    }

    /// Stops passing bytes on every connection, old and new, without closing any.
    pub fn freeze(&self) {
        let _ = self.frozen.send(true);
    }

    /// Passes the bytes held and what follows.
    pub fn thaw(&self) {
        let _ = self.frozen.send(false);
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub database_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    pg: Option<TestDatabase>,
    _dir: tempfile::TempDir,
}

pub fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shipped appointment workflow's source, numbered as `version`.
pub fn appointment_as_version(version: i64) -> String {
    let source =
        std::fs::read_to_string(workspace_dir().join("workflows/sanzhang-appointment.yaml")).unwrap();
    let shipped = "\nversion: 5\n";
    assert!(source.contains(shipped), "the shipped appointment is version 4");
    source.replacen(shipped, &format!("\nversion: {version}\n"), 1)
}

impl TestApp {
    /// Registers a workflow as the administrator, which must be new.
    pub async fn register_workflow(&self, source: &str) {
        let admin = self.token("admin").await;
        let (status, body) = self
            .send(
                Some(&admin),
                "POST",
                "/api/v1/workflows",
                Some(json!({"source": source})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_via(backend, None).await
    }

    /// Like [`TestApp::spawn`] on PostgreSQL, reaching it through `proxy`.
    pub async fn spawn_via(backend: Backend, proxy: Option<&TcpRelay>) -> TestApp {
        Self::spawn_configured(backend, proxy, |_| {}).await
    }

    /// Like [`TestApp::spawn_via`], with the configuration changed by `tune`.
    pub async fn spawn_configured(
        backend: Backend,
        proxy: Option<&TcpRelay>,
        tune: impl FnOnce(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut pg = None;
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("naxian.db").display()),
            Backend::Postgres => {
                let db = TestDatabase::create().await;
                let mut url = db.url().to_string();
                if let Some(p) = proxy {
                    url = url.replace("127.0.0.1:5432", &format!("127.0.0.1:{}", p.port));
                }
                pg = Some(db);
                url
            }
        };
        let mut config = Config::default();
        config.database.url = database_url.clone();
        config.paths.data_dir = dir.path().to_path_buf();
        config.paths.workflows = workspace_dir().join("workflows");
        config.paths.holidays = workspace_dir().join("config/holidays");
        config.paths.catalogue = workspace_dir().join("config/catalogue.yaml");
        config.paths.mail_templates = workspace_dir().join("templates/mail");
        // The core units only: scenarios name them, and count cities and reports.
        config.demo.whole_province = false;
        tune(&mut config);
        let state = naxian::build(&config, true, true).await.expect("build the app");
        let clock = state.test_clock.clone().expect("test clock");
        let engine = state.engine.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            naxian_server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        TestApp {
            base,
            client: reqwest::Client::new(),
            engine,
            clock,
            database_url,
            shutdown: Some(tx),
            server: Some(server),
            pg,
            _dir: dir,
        }
    }

    /// Stops the server and drops a PostgreSQL test database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        if let Some(db) = self.pg.take() {
            db.drop_now().await;
        }
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use naxian_engine::Clock;
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Logs in as a demo user (password `naxian-demo`) and returns the token.
    pub async fn token(&self, login: &str) -> String {
        let (status, body) = self
            .send(
                None,
                "POST",
                "/api/v1/auth/token",
                Some(json!({"login": login, "password": "naxian-demo"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {login}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn send(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.send_with(token, method, path, body, &[]).await
    }

    pub async fn send_with(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    pub async fn get(&self, token: &str, path: &str) -> Value {
        let (status, body) = self.send(Some(token), "GET", path, None).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// Starts an appointment and returns the instance.
    pub async fn nominate(&self, token: &str, data: Value) -> Value {
        let (status, body) = self
            .send(
                Some(token),
                "POST",
                "/api/v1/instances",
                Some(json!({"workflow": "sanzhang-appointment", "data": data})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "nominate: {body}");
        body
    }

    /// Starts an appointment for 玫瑰镇 (a health-sector candidate) and
    /// submits it: the three consulted departments have their tasks.
    /// Returns the instance's id.
    pub async fn in_consultation(&self, nominator: &str) -> String {
        let id = self.nominate(nominator, nomination("JN-PY-MG", "health")).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        self.act(nominator, &id, "submit", json!({})).await;
        id
    }

    /// The caller's open task on an instance (from their inbox).
    pub async fn task_of(&self, token: &str, instance_id: &str) -> Value {
        let tasks = self.get(token, "/api/v1/tasks").await;
        tasks
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["instance_id"] == instance_id)
            .cloned()
            .unwrap_or_else(|| panic!("no open task on {instance_id} in the inbox: {tasks}"))
    }

    /// Takes an action on the caller's open task of the instance; returns the instance.
    pub async fn act(&self, token: &str, instance_id: &str, action: &str, extra: Value) -> Value {
        let (status, body) = self.try_act(token, instance_id, action, extra).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        body["instance"].clone()
    }

    /// Uploads one file to an instance's attachments over the API.
    pub async fn upload(
        &self,
        token: &str,
        instance: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        self.upload_into(token, instance, None, name, bytes).await
    }

    /// Uploads one file into an attachment slot of the instance's workflow.
    pub async fn upload_into(
        &self,
        token: &str,
        instance: &str,
        slot: Option<&str>,
        name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        if let Some(slot) = slot {
            form = form.text("slot", slot.to_string());
        }
        let r = reqwest::Client::new()
            .post(self.url(&format!("/api/v1/instances/{instance}/attachments")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn try_act(
        &self,
        token: &str,
        instance_id: &str,
        action: &str,
        extra: Value,
    ) -> (StatusCode, Value) {
        let task = self.task_of(token, instance_id).await;
        let mut body = json!({"action": action});
        if let Value::Object(m) = extra {
            for (k, v) in m {
                body[k] = v;
            }
        }
        let path = format!("/api/v1/tasks/{}/actions", task["id"].as_str().unwrap());
        self.send(Some(token), "POST", &path, Some(body)).await
    }
}

/// The start of an Office Open XML file whose first entry lies under `dir`
/// (`word/` a Word file, `xl/` an Excel one): all the type check reads.
pub fn ooxml(dir: &str) -> Vec<u8> {
    let mut b = b"PK\x03\x04".to_vec();
    b.extend([0u8; 26]);
    b.extend(format!("{dir}document.xml").as_bytes());
    b.extend([0u8; 64]);
    b
}

/// The smallest file the attachment check takes for a PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// A valid nomination of a health-sector candidate for `target`.
pub fn nomination(target: &str, sector: &str) -> Value {
    json!({
        "candidate": {
            "name": "王卫东", "gender": "male", "birth_year": 1976, "phone": "138-0531-0000",
            "email": "wang@example.cn", "employer": "玫瑰镇卫生院", "position": "院长",
            "sector": sector, "title": "副主任医师"
        },
        "target_org": target, "post": "vice_chair", "mode": "part_time",
        "reason": "基层卫生骨干，群众基础好"
    })
}

/// Runs a scenario (`async fn NAME(app: &TestApp)`) on both backends as two
/// tests, `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::TestApp::spawn($crate::Backend::Sqlite).await;
                super::$name(&app).await;
                app.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::TestApp::spawn($crate::Backend::Postgres).await;
                super::$name(&app).await;
                app.stop().await;
            }
        }
        )+
    };
}

/// One message the test SMTP server received.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// When the server took the message in.
    pub at: std::time::Instant,
}

impl ReceivedMail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(self.data.as_bytes())
            .expect("a parseable message")
    }

    /// The Message-ID, without angle brackets.
    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_string()
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    pub fn body(&self) -> String {
        self.parsed().body_text(0).unwrap_or_default().to_string()
    }

    /// The HTML alternative, if the message has one.
    pub fn html(&self) -> Option<String> {
        let parsed = self.parsed();
        (parsed.html_body_count() > 0 && parsed.text_body_count() > 0)
            .then(|| parsed.body_html(0).unwrap_or_default().to_string())
            .filter(|h| h.contains("<html"))
    }

    /// Every header name, lower-cased, in order.
    pub fn header_names(&self) -> Vec<String> {
        self.parsed()
            .headers()
            .iter()
            .map(|h| h.name().to_ascii_lowercase())
            .collect()
    }
}

/// A real SMTP server (mailin-embedded) on 127.0.0.1, recording what it receives.
#[derive(Clone)]
pub struct SmtpServer {
    pub addr: std::net::SocketAddr,
    received: Arc<std::sync::Mutex<Vec<ReceivedMail>>>,
}

#[derive(Clone)]
struct Recorder {
    received: Arc<std::sync::Mutex<Vec<ReceivedMail>>>,
    /// How long the server takes to answer a message it has taken in.
    delay: std::time::Duration,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl mailin_embedded::Handler for Recorder {
    fn data_start(
        &mut self,
        _domain: &str,
        from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.from = from.to_string();
        self.to = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        self.received.lock().unwrap().push(ReceivedMail {
            from: self.from.clone(),
            to: self.to.clone(),
            data: String::from_utf8_lossy(&self.data).into_owned(),
            at: std::time::Instant::now(),
        });
        std::thread::sleep(self.delay);
        mailin_embedded::response::OK
    }
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        Self::start_slow(std::time::Duration::ZERO)
    }

    /// A server that takes each message in at once but answers it only after
    /// `delay`, as a loaded mail server does.
    pub fn start_slow(delay: std::time::Duration) -> SmtpServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind SMTP");
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let handler = Recorder {
            received: received.clone(),
            delay,
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("smtp.test")
            .with_tcp_listener(listener)
            .with_num_threads(4);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { addr, received }
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }

    /// A mailer sending here (or to `port` instead, e.g. a relay in front of it).
    pub fn mailer(&self, port: Option<u16>, max_attempts: i32) -> naxian_engine::runner::Mailer {
        let port = port.unwrap_or(self.addr.port());
        naxian_engine::runner::Mailer {
            transport: naxian_mail::Transport::from_url(
                &format!("smtp://127.0.0.1:{port}"),
                "/nonexistent".into(),
            )
            .expect("SMTP URL"),
            templates: std::sync::Arc::new(
                naxian_mail::MailTemplates::load(
                    &workspace_dir().join("templates/mail"),
                    Some(&workspace_dir().join("workflows")),
                )
                .expect("the shipped mail templates"),
            ),
            public_url: "https://naxian.example.cn".into(),
            from: "纳贤 <noreply@naxian.local>".into(),
            max_attempts,
            backoff: chrono::Duration::seconds(30),
        }
    }
}
