//! `naxian login-flood`: what a flood of logins does to everyone else. The
//! service runs as its own process on a scratch PostgreSQL database; a
//! reader polls its inbox at a steady rate throughout, first alone, then
//! while token requests for unknown logins arrive many at a time, each
//! worker from an address of its own on the loopback range (so the
//! per-address throttle does not simply turn them away and the password
//! pool is what is measured). It prints the inbox latency of both phases,
//! the answers the flood got, and the service's memory after each.

use crate::loadtest::{memory_mib, Sample, Service};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct FloodArgs {
    /// Token requests in the flood.
    #[arg(long, default_value_t = 640)]
    pub requests: usize,
    /// How many are in flight at once (each from its own loopback address).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Inbox reads a second, in both phases.
    #[arg(long, default_value_t = 20)]
    pub read_rate: u32,
    /// How long the reader runs alone before the flood.
    #[arg(long, default_value_t = 5)]
    pub baseline_seconds: u64,
    /// PostgreSQL server to create a scratch database on.
    #[arg(long, default_value = naxian_store_postgres::testing::DEFAULT_ADMIN_URL)]
    pub postgres: String,
    /// Workflow definitions.
    #[arg(long, default_value = "workflows")]
    pub workflows: std::path::PathBuf,
}

pub async fn run(args: FloodArgs) -> anyhow::Result<()> {
    let (db, scratch, state) = crate::loadtest::scratch(&args.postgres, &args.workflows).await?;
    drop(state);
    let (server, base) = Service::start(db.url(), scratch.path(), &args.workflows).await?;
    let client = reqwest::Client::new();
    let reader = crate::loadtest::token(&client, &base, "jn-py-org").await?;

    println!(
        "inbox reads (GET /api/v1/tasks) at {}/s; flood: {} token requests for unknown logins, {} at a time, from {} loopback addresses; PostgreSQL",
        args.read_rate, args.requests, args.concurrency, args.concurrency
    );
    println!("| phase | inbox reads | p50 ms | p99 ms | max ms | service resident MiB | peak MiB | flood answers |");
    println!("|---|---|---|---|---|---|---|---|");
    let (before, _) = memory_mib(server.id()).unwrap_or((f64::NAN, f64::NAN));
    let baseline = read_for(
        &client,
        &base,
        &reader,
        args.read_rate,
        Duration::from_secs(args.baseline_seconds),
    )
    .await;
    let (rss, peak) = memory_mib(server.id()).unwrap_or((f64::NAN, f64::NAN));
    row("reader alone", &baseline, rss, peak, "");
    let answers = Arc::new(Mutex::new(BTreeMap::<u16, usize>::new()));
    let flood_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let (base, answers, done) = (base.clone(), answers.clone(), flood_done.clone());
        let (requests, concurrency) = (args.requests, args.concurrency.max(1));
        tokio::spawn(async move {
            let mut workers = Vec::new();
            for w in 0..concurrency {
                let (base, answers) = (base.clone(), answers.clone());
                // 127.0.0.2, .3, …: every worker an address of its own.
                let address = Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 2)) + w as u32);
                workers.push(tokio::spawn(async move {
                    let Ok(client) = reqwest::Client::builder()
                        .local_address(IpAddr::V4(address))
                        .build()
                    else {
                        return;
                    };
                    for i in (w..requests).step_by(concurrency) {
                        let status = client
                            .post(format!("{base}/api/v1/auth/token"))
                            .json(&json!({"login": format!("flood-{i}"), "password": "wrong-password"}))
                            .send()
                            .await
                            .map_or(0, |r| r.status().as_u16());
                        *answers.lock().expect("not poisoned").entry(status).or_default() += 1;
                    }
                }));
            }
            for w in workers {
                let _ = w.await;
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let started = Instant::now();
    let mut during = Sample::default();
    while !flood_done.load(std::sync::atomic::Ordering::Relaxed) {
        let s = read_for(
            &client,
            &base,
            &reader,
            args.read_rate,
            Duration::from_millis(500),
        )
        .await;
        during.micros.extend(s.micros);
        during.errors += s.errors;
    }
    flood.await?;
    let took = started.elapsed();
    let (rss, peak) = memory_mib(server.id()).unwrap_or((f64::NAN, f64::NAN));
    let answered: Vec<String> = answers
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|(s, n)| format!("{n} × {s}"))
        .collect();
    row(
        &format!("during the flood ({:.1} s)", took.as_secs_f64()),
        &during,
        rss,
        peak,
        &answered.join(", "),
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = read_for(
        &client,
        &base,
        &reader,
        args.read_rate,
        Duration::from_secs(args.baseline_seconds),
    )
    .await;
    let (rss, peak) = memory_mib(server.id()).unwrap_or((f64::NAN, f64::NAN));
    row("5 s after", &after, rss, peak, "");
    println!("service resident before the first read: {before:.0} MiB");
    drop(server);
    db.drop_now().await;
    Ok(())
}

fn row(phase: &str, s: &Sample, rss: f64, peak: f64, answers: &str) {
    println!(
        "| {phase} | {} ({} errors) | {:.1} | {:.1} | {:.1} | {rss:.0} | {peak:.0} | {answers} |",
        s.micros.len(),
        s.errors,
        s.percentile(50.0),
        s.percentile(99.0),
        s.percentile(100.0),
    );
}

/// Reads the inbox at `rate` a second for `span`, open loop: each latency
/// counts from when the read was due.
async fn read_for(client: &reqwest::Client, base: &str, token: &str, rate: u32, span: Duration) -> Sample {
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let start = Instant::now();
    let mut handles = Vec::new();
    let mut i = 0u32;
    while start.elapsed() < span {
        let due = start + interval * i;
        tokio::time::sleep_until(due.into()).await;
        let (client, url, token) = (client.clone(), format!("{base}/api/v1/tasks"), token.to_string());
        handles.push(tokio::spawn(async move {
            let ok = match client.get(url).bearer_auth(token).send().await {
                Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                _ => false,
            };
            (due.elapsed().as_micros() as u64, ok)
        }));
        i += 1;
    }
    let mut s = Sample::default();
    for h in handles {
        if let Ok((micros, ok)) = h.await {
            s.micros.push(micros);
            if !ok {
                s.errors += 1;
            }
        }
    }
    s
}
