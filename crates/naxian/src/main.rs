//! `naxian`: the service and its command-line tools.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use naxian::config::Config;
use naxian_engine::{Engine, NewUser, SystemClock};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "naxian",
    version,
    about = "纳贤 — workflow and approval engine for the \"3+1\" work"
)]
struct Cli {
    /// Settings file (default: config/naxian.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the HTTP service.
    Serve {
        /// Load the demo province into an empty directory.
        #[arg(long)]
        demo: bool,
        /// Expose POST /api/v1/test/clock to move the service's clock (tests only).
        #[arg(long)]
        test_clock: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Workflow definitions.
    Workflow {
        #[command(subcommand)]
        command: WorkflowCmd,
    },
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCmd,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCmd,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// Workflow schedules.
    Schedule {
        #[command(subcommand)]
        command: ScheduleCmd,
    },
    /// The e-mail outbox.
    Outbox {
        #[command(subcommand)]
        command: OutboxCmd,
    },
    /// Remove personal data from instances finished longer ago than
    /// retention.personal_data_days (the service also does this hourly).
    Retention {
        #[command(subcommand)]
        command: RetentionCmd,
    },
    /// Import org units, bodies or users (with grants) from a CSV or XLSX file;
    /// nothing is imported if any row is bad.
    Import {
        /// org_units, bodies or users.
        sheet: String,
        file: PathBuf,
    },
    /// Drive appointments through the whole workflow in-process and print throughput.
    Bench(naxian::bench::BenchArgs),
    /// Load a province-sized PostgreSQL database (10,000 units, 100,000
    /// appointments, 1,000,000 tasks) and time the inbox query; print its plans.
    BenchScale(naxian::bench::scale::ScaleArgs),
    /// The HTTP service on PostgreSQL under open-loop load: latency percentiles per rate.
    Loadtest(naxian::loadtest::LoadArgs),
    /// Token requests for unknown logins, many at once from many addresses,
    /// against a steady inbox reader: its latency and the service's memory.
    LoginFlood(naxian::login_flood::FloodArgs),
}

#[derive(Subcommand)]
enum WorkflowCmd {
    /// Validate definitions (a file or a directory; default: the configured workflows folder).
    Check { path: Option<PathBuf> },
    /// Print a definition's steps as a Graphviz graph.
    Graph { path: PathBuf },
    /// Print the JSON Schema of workflow files (workflows/schema.json).
    Schema,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user.
    Add {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// A global administrator (to bootstrap a deployment).
        #[arg(long)]
        admin: bool,
        /// A phone number, for the liaison list.
        #[arg(long)]
        phone: Option<String>,
        /// 职务, or the responsible department.
        #[arg(long)]
        position: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Issue an API token for a user and print it.
    Create {
        #[arg(long)]
        user: String,
    },
}

#[derive(Subcommand)]
enum ScheduleCmd {
    /// Every schedule with its last recorded slot and next firing.
    List,
}

#[derive(Subcommand)]
enum OutboxCmd {
    /// E-mails in the outbox, newest first.
    List {
        /// pending, sent or dead.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put a dead e-mail back in the queue.
    Retry { id: String },
}

#[derive(Subcommand)]
enum RetentionCmd {
    /// Purge now and print how many instances were purged.
    Purge,
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Recompute every instance's hash chain; exit non-zero at the first broken link.
    Verify,
}

async fn engine(config: &Config) -> anyhow::Result<Engine> {
    let store = naxian::open::open_store(&config.database_url()).await?;
    Ok(Engine::new(
        store,
        Arc::new(SystemClock),
        config.engine_settings(),
    ))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    naxian::logging::init();
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Cmd::Serve { demo, test_clock } => {
            let state = naxian::build(&config, demo, test_clock).await?;
            let mailer = config.mailer()?;
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let engine = state.engine.clone();
            let every = std::time::Duration::from_secs(config.mail.poll_seconds.max(1));
            let background = tokio::spawn(async move { engine.run_background(mailer, every, stop_rx).await });
            let listener = tokio::net::TcpListener::bind(&config.server.listen)
                .await
                .with_context(|| format!("listening on {}", config.server.listen))?;
            tracing::info!(
                address = %listener.local_addr()?,
                database = state.engine.backend(),
                "naxian is serving"
            );
            if test_clock {
                tracing::warn!("--test-clock: the service's clock can be moved through the API");
            }
            naxian_server::serve(listener, state, shutdown_signal()).await?;
            let _ = stop_tx.send(true);
            let _ = background.await;
        }
        Cmd::Migrate => {
            engine(&config).await?;
            println!("schema is up to date");
        }
        Cmd::Workflow { command } => match command {
            WorkflowCmd::Check { path } => {
                let path = path.unwrap_or(config.paths.workflows.clone());
                match naxian_engine::check_definitions(&path, &config.catalogue()?) {
                    Ok(defs) => {
                        for d in defs {
                            println!(
                                "ok  {} version {} ({} steps)",
                                d.name.as_str(),
                                d.version,
                                d.steps.len()
                            );
                        }
                    }
                    Err(problems) => {
                        for p in &problems {
                            eprintln!("{p}");
                        }
                        bail!("{} problem(s) found", problems.len());
                    }
                }
            }
            WorkflowCmd::Schema => print!("{}", naxian_model::Definition::json_schema()),
            WorkflowCmd::Graph { path } => {
                let src = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
                let def =
                    naxian_model::Definition::parse(&path.display().to_string(), &src, &config.catalogue()?)?;
                print!("{}", def.dot());
            }
        },
        Cmd::User { command } => match command {
            UserCmd::Add {
                login,
                name,
                email,
                password,
                admin,
                phone,
                position,
            } => {
                let engine = engine(&config).await?;
                let user = engine
                    .create_user(
                        None,
                        NewUser {
                            login,
                            name,
                            email,
                            password,
                            is_admin: admin,
                            phone,
                            position,
                        },
                    )
                    .await?;
                println!(
                    "created user {}{}",
                    user.login,
                    if user.is_admin { " (administrator)" } else { "" }
                );
            }
        },
        Cmd::Token { command } => match command {
            TokenCmd::Create { user } => {
                let engine = engine(&config).await?;
                let (token, expires) = engine.issue_token(&user).await?;
                eprintln!("token for {user}, valid until {expires}:");
                println!("{token}");
            }
        },
        Cmd::Audit { command } => match command {
            AuditCmd::Verify => {
                let engine = engine(&config).await?;
                let report = engine.verify_audit().await?;
                match report.broken {
                    None => println!(
                        "audit log intact: {} entries across {} instances",
                        report.entries, report.instances
                    ),
                    Some(b) => {
                        eprintln!(
                            "audit log BROKEN at instance {} entry {}: {}",
                            b.instance_id, b.seq, b.reason
                        );
                        std::process::exit(1);
                    }
                }
            }
        },
        Cmd::Schedule { command } => match command {
            ScheduleCmd::List => {
                let engine = engine(&config).await?;
                engine.load_workflows(&config.paths.workflows).await?;
                let show = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map(|t| t.with_timezone(&naxian_engine::clock::shanghai()).to_rfc3339())
                        .unwrap_or_else(|| "—".into())
                };
                for s in engine.schedule_list().await? {
                    println!(
                        "{:<40} {:<20} {:<14} {:<14} last {:<26} next {}",
                        s.name,
                        s.cron,
                        s.timezone,
                        s.job,
                        show(s.last),
                        show(s.next)
                    );
                }
            }
        },
        Cmd::Outbox { command } => {
            let engine = engine(&config).await?;
            match command {
                OutboxCmd::List { status, limit } => {
                    if let Some(s) = &status {
                        if !["pending", "sent", "dead"].contains(&s.as_str()) {
                            bail!("--status must be pending, sent or dead");
                        }
                    }
                    for o in engine.outbox_list(status.as_deref(), limit).await? {
                        let to: Vec<&str> = o.message.recipients.iter().map(|r| r.email.as_str()).collect();
                        println!(
                            "{}  {:<7} attempts={} {:<18} to={} key={}{}",
                            o.message.id,
                            o.status,
                            o.attempts,
                            o.message.template,
                            to.join(","),
                            o.message.dedupe_key,
                            o.last_error.map(|e| format!(" error={e}")).unwrap_or_default()
                        );
                    }
                }
                OutboxCmd::Retry { id } => {
                    if engine.outbox_retry(&id).await? {
                        println!("{id} queued again");
                    } else {
                        bail!("no dead e-mail {id}");
                    }
                }
            }
        }
        Cmd::Retention {
            command: RetentionCmd::Purge,
        } => {
            let engine = engine(&config).await?;
            let days = config.retention.personal_data_days;
            if days == 0 {
                println!("retention.personal_data_days is 0: personal data is kept");
            } else {
                let n = engine.purge_personal_data(days).await?;
                println!("removed personal data from {n} instances finished more than {days} days ago");
            }
        }
        Cmd::Import { sheet, file } => {
            let engine = engine(&config).await?;
            naxian::import::run(&engine, &sheet, &file).await?;
        }
        Cmd::Bench(args) => naxian::bench::run(args).await?,
        Cmd::BenchScale(args) => naxian::bench::scale::run(args).await?,
        Cmd::Loadtest(args) => naxian::loadtest::run(args).await?,
        Cmd::LoginFlood(args) => naxian::login_flood::run(args).await?,
    }
    Ok(())
}
