//! Drains N due e-mails (default 100,000) from the outbox to a real SMTP
//! server on loopback, with two dispatchers racing for them as two replicas
//! would, and prints the throughput; then checks that every e-mail arrived
//! exactly once.
//!
//! ```sh
//! cargo run --release -p naxian-tests --example mail_drain -- postgres 100000
//! cargo run --release -p naxian-tests --example mail_drain -- sqlite 100000
//! ```

use chrono::Utc;
use naxian_engine::{Engine, Settings, SystemClock};
use naxian_store::{OutboxMessage, Recipient, Store};
use naxian_tests::SmtpServer;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("postgres");
    let n: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let mut pg = None;
    let url = match backend {
        "sqlite" => format!("sqlite://{}", dir.path().join("drain.db").display()),
        "postgres" => {
            let db = naxian_store_postgres::testing::TestDatabase::create().await;
            let url = db.url().to_string();
            pg = Some(db);
            url
        }
        other => anyhow::bail!("unknown backend `{other}`"),
    };
    let store: Arc<dyn Store> = naxian::open::open_store(&url).await?;
    let engine = Engine::new(store.clone(), Arc::new(SystemClock), Settings::default());

    let queued = Instant::now();
    let now = Utc::now();
    for start in (0..n).step_by(1000) {
        let batch: Vec<OutboxMessage> = (start..(start + 1000).min(n))
            .map(|i| OutboxMessage {
                id: uuid::Uuid::now_v7().to_string(),
                dedupe_key: format!("drain:{i}"),
                recipients: vec![Recipient {
                    name: format!("经办人{i}"),
                    email: format!("user{i}@example.cn"),
                }],
                template: "task_assigned".into(),
                params: json!({"title": "征求意见", "subject": format!("候选人{i}"), "due_at": "", "instance_id": i, "task_id": i}),
                created_at: now,
                notice_for: None,
            })
            .collect();
        store.enqueue(&batch).await?;
    }
    println!("queued {n} e-mails in {:.1} s", queued.elapsed().as_secs_f64());

    let smtp = SmtpServer::start();
    let started = Instant::now();
    let replicas: Vec<_> = ["replica-a", "replica-b"]
        .into_iter()
        .map(|owner| {
            let (engine, mailer) = (engine.clone(), smtp.mailer(None, 8));
            tokio::spawn(async move {
                let mut sent = 0;
                loop {
                    sent += engine.dispatch_once(&mailer, owner).await?;
                    // Done when nothing is left, whoever sent it.
                    if engine.outbox_list(Some("pending"), 1).await?.is_empty() {
                        return anyhow::Ok(sent);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            })
        })
        .collect();
    let mut sent = Vec::new();
    for r in replicas {
        sent.push(r.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    let received = smtp.received();
    let ids: HashSet<String> = received.iter().map(|m| m.message_id()).collect();
    println!(
        "backend={backend} e-mails={n} seconds={secs:.1} per_second={:.0} sent_by_replicas={sent:?} received={} distinct_message_ids={}",
        n as f64 / secs,
        received.len(),
        ids.len()
    );
    let pending = store.outbox_list(None, 1).await?;
    anyhow::ensure!(
        received.len() == n,
        "{} received, {n} queued; {:?}",
        received.len(),
        pending
            .first()
            .map(|p| (&p.status, &p.last_error, p.attempts, p.next_attempt_at))
    );
    anyhow::ensure!(ids.len() == n, "an e-mail arrived twice");
    let pending = store.outbox_list(Some("pending"), 10).await?;
    anyhow::ensure!(
        pending.is_empty(),
        "e-mails left pending: {:?}",
        pending.first().map(|p| &p.last_error)
    );
    if let Some(db) = pg {
        db.drop_now().await;
    }
    Ok(())
}
