//! Fresh PostgreSQL databases for tests: each test gets a database of its own
//! on the server named by `NAXIAN_TEST_POSTGRES`; without it, on the machine's
//! server at 127.0.0.1:5432 when that answers, and otherwise on a private
//! cluster that the first test of the process starts with the installed
//! PostgreSQL's `initdb` and `pg_ctl` and that is stopped when the process
//! ends. Without PostgreSQL installed the tests fail saying what to install;
//! they are never skipped.

use sqlx::{Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// The server this process's tests use, chosen once.
async fn admin_url() -> String {
    static URL: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    URL.get_or_init(|| choose_server(std::env::var("NAXIAN_TEST_POSTGRES").ok(), DEFAULT_ADMIN_URL))
        .await
        .clone()
}

/// `configured` if set; else `default` if a server answers there; else a
/// private cluster started for this process.
pub async fn choose_server(configured: Option<String>, default: &str) -> String {
    if let Some(url) = configured {
        return url;
    }
    if PgConnection::connect(default).await.is_ok() {
        return default.to_string();
    }
    let cluster = tokio::task::spawn_blocking(|| {
        let cluster = PrivateCluster::init();
        cluster.start();
        cluster.keep_until_exit()
    })
    .await
    .expect("start a private PostgreSQL cluster");
    tracing::info!(url = %cluster, "nothing answered at {}: using a private cluster", crate::redact(default));
    cluster
}

impl TestDatabase {
    /// Creates an empty database with a unique name.
    pub async fn create() -> TestDatabase {
        let admin_url = admin_url().await;
        let mut conn = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server at {} (set NAXIAN_TEST_POSTGRES to use another): {e}",
                crate::redact(&admin_url)
            )
        });
        let name = format!("naxian_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
        let url = format!("{base}/{name}");
        TestDatabase { admin_url, name, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database, ending any connections still open to it.
    pub async fn drop_now(self) {
        if let Ok(mut conn) = PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut conn)
                .await;
        }
    }
}

/// A PostgreSQL cluster of a test's own: `initdb` in a temporary folder, its
/// own port, trust auth. It can be stopped and started without touching the
/// machine's server; dropped, it is stopped and its folder removed.
pub struct PrivateCluster {
    dir: Option<tempfile::TempDir>,
    port: u16,
    bin: PathBuf,
}

/// The newest installed server's binaries (Debian: /usr/lib/postgresql/N/bin).
fn server_binaries() -> PathBuf {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists() && p.join("initdb").exists())
        .max()
        .unwrap_or_else(|| {
            panic!(
                "the PostgreSQL tests need a server: none answers at 127.0.0.1:5432 and none is \
                 installed to start (Debian: apt-get install postgresql), or set NAXIAN_TEST_POSTGRES"
            )
        })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl PrivateCluster {
    /// Runs a PostgreSQL tool, as the `postgres` user when running as root
    /// (initdb and postgres refuse to run as root).
    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn folder(&self) -> &Path {
        self.dir.as_ref().expect("the cluster's folder").path()
    }

    /// A new, stopped cluster.
    pub fn init() -> PrivateCluster {
        let bin = server_binaries();
        let dir = tempfile::tempdir().expect("a folder for the cluster");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown the cluster's folder to postgres");
        }
        let cluster = PrivateCluster {
            dir: Some(dir),
            port: free_port(),
            bin,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        cluster
    }

    fn data(&self) -> String {
        self.folder().join("data").display().to_string()
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.folder().display()
        );
        let log = self.folder().join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-l", &log, "-o", &options, "-w", "start"],
        );
    }

    /// Stops at once, as a crash would: no checkpoint, recovery at the next start.
    pub fn stop_immediate(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    /// Keeps the cluster running until this process ends, then stops it and
    /// removes its folder (a watcher process does, since a process-wide
    /// value is never dropped); returns its URL.
    pub fn keep_until_exit(mut self) -> String {
        let url = self.url();
        let folder = self.dir.take().expect("the cluster's folder").keep();
        let stop = format!(
            "{} -D {} -m immediate stop",
            self.command_line("pg_ctl"),
            folder.join("data").display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {folder}",
            pid = std::process::id(),
            folder = folder.display()
        );
        // Never waited for: it outlives this process on purpose.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the cluster's watcher");
        url
    }

    fn command_line(&self, tool: &str) -> String {
        let exe = self.bin.join(tool).display().to_string();
        if is_root() {
            format!("runuser -u postgres -- {exe}")
        } else {
            exe
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if self.dir.is_some() {
            let _ = self
                .command("pg_ctl")
                .args(["-D", &self.data(), "-m", "immediate", "stop"])
                .output();
        }
    }
}
