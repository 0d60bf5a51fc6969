//! The `gongfang` command: serve (default), migrate, seed, admin.
//! A thin shim over the library; all behaviour lives in `gongfang::*`.

use std::io::Read;
use std::time::Instant;

use clap::{Parser, Subcommand};
use gongfang::auth::service::AdminOutcome;
use gongfang::config::Settings;
use gongfang::platform::{db, telemetry};
use gongfang::startup::{Application, build_state};
use gongfang::{auth, demo, ledger};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gongfang",
    version,
    about = "Live-commerce backend for common-prosperity workshops"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (default from config).
        #[arg(long)]
        bind: Option<String>,
        /// Load demo data if the database is empty, and print the demo accounts.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load data into an existing database.
    Seed {
        /// The demo workshops, staff and customers from the seed report.
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Bench-only: bulk-insert customers with tokens and SKUs for load tests.
    #[command(hide = true)]
    BenchPrepare {
        #[arg(long, default_value_t = 5000)]
        customers: usize,
        #[arg(long, default_value_t = 1000)]
        skus: usize,
        #[arg(long, default_value_t = 1_000_000)]
        stock: i64,
        /// Also create a live session with a running flash deal of this many units.
        #[arg(long)]
        deal_quantity: Option<i64>,
        #[arg(long, default_value = "bench/out")]
        out: std::path::PathBuf,
    },
    /// Export a month's farmer statements of a workshop as CSV (UTF-8 with BOM).
    ExportStatements {
        #[arg(long)]
        workshop: i64,
        /// The month, e.g. 2026-11 (China time).
        #[arg(long)]
        month: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform admin, or promote an existing account.
    /// The password is read from GONGFANG_ADMIN_PASSWORD or standard input.
    Create {
        #[arg(long)]
        phone: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    gongfang::platform::outbound::install_tls_provider();
    let mut settings = Settings::load()?;
    telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve {
        bind: None,
        demo: false,
    }) {
        Command::Serve { bind, demo } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            serve(settings, demo).await
        }
        Command::Migrate => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed { .. } => seed_demo(settings).await,
        Command::BenchPrepare {
            customers,
            skus,
            stock,
            deal_quantity,
            out,
        } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let state = build_state(settings, conn).await?;
            let prepared =
                gongfang::benchprep::prepare(&state, customers, skus, stock, deal_quantity, &out)
                    .await?;
            println!(
                "workshop {} with {} SKUs; customers in {}",
                prepared.workshop_id,
                prepared.sku_ids.len(),
                out.display()
            );
            if let Some(deal) = prepared.deal_id {
                std::fs::write(out.join("deal.txt"), deal.to_string())?;
                println!("flash deal {deal} is running");
            }
            Ok(())
        }
        Command::ExportStatements {
            workshop,
            month,
            out,
        } => export_statements(settings, workshop, &month, &out).await,
        Command::Admin {
            command: AdminCommand::Create { phone },
        } => create_admin(settings, &phone).await,
    }
}

async fn serve(settings: Settings, with_demo: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let app = Application::build(settings).await?;
    let state = app.state().clone();
    let port = app.port();
    let base = format!("http://{}", display_addr(&state.settings.server.bind, port));
    // Demo payments go through the sandbox provider over HTTP, so the demo
    // loads while the instance serves (unready, `/readyz` says why); a failed
    // load is reported there and in the log, and the instance serves on.
    let server = tokio::spawn(app.run_until_stopped());
    if with_demo {
        let outcome = demo::load_while_serving(&state).await;
        print_summary(&base, started);
        match outcome {
            Ok(loaded) => {
                let what = if loaded {
                    "loaded"
                } else {
                    "already in the database"
                };
                println!(
                    "Demo data {what}. Demo accounts (password {}):\n{}",
                    demo::DEMO_PASSWORD,
                    demo::accounts_summary()
                );
            }
            Err(reason) => println!("Demo data NOT loaded ({reason}); serving without it."),
        }
    } else {
        print_summary(&base, started);
    }
    server.await?
}

fn print_summary(base: &str, started: Instant) {
    println!(
        "Gongfang is listening on {base} (ready in {} ms)",
        started.elapsed().as_millis()
    );
    println!("  API docs:  {base}/docs");
    println!("  OpenAPI:   {base}/api/openapi.json");
    println!("  Health:    {base}/healthz  {base}/readyz  {base}/metrics");
}

/// Seeding pays demo orders through the sandbox provider, which is served over
/// HTTP, so a private instance listens on a loopback port meanwhile.
async fn seed_demo(mut settings: Settings) -> anyhow::Result<()> {
    settings.server.bind = "127.0.0.1:0".into();
    settings.webhooks.worker_enabled = false;
    let app = Application::build(settings).await?;
    let state = app.state().clone();
    let server = tokio::spawn(app.run_until_stopped());
    let loaded = demo::load_if_empty(&state).await;
    server.abort();
    if loaded? {
        println!("Demo data loaded.\n{}", demo::accounts_summary());
    } else {
        println!("The database already has workshops; demo data not loaded again.");
    }
    Ok(())
}

async fn export_statements(
    settings: Settings,
    workshop: i64,
    month: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let conn = db::connect(&settings.database).await?;
    db::migrate(&conn).await?;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} farmers")?
            .progress_chars("=> "),
    );
    bar.set_message(format!("statements {month}"));
    let written = ledger::export::export_month(&conn, workshop, month, out, &bar)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
    println!("{written} farmer statements written to {}", out.display());
    Ok(())
}

async fn create_admin(settings: Settings, phone: &str) -> anyhow::Result<()> {
    let password = match std::env::var("GONGFANG_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("Password (from standard input):");
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input)?;
            input.lines().next().unwrap_or("").to_owned()
        }
    };
    let conn = db::connect(&settings.database).await?;
    db::migrate(&conn).await?;
    let state = build_state(settings, conn).await?;
    let (account, outcome) =
        auth::service::ensure_platform_admin(&state.db, &state.passwords, phone, &password)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
    let what = match outcome {
        AdminOutcome::Created => "created",
        AdminOutcome::Promoted => "promoted (password unchanged)",
        AdminOutcome::AlreadyAdmin => "already a platform admin; nothing changed",
    };
    println!(
        "platform admin {}: account {}, {what}",
        account.phone, account.id
    );
    Ok(())
}

fn display_addr(bind: &str, port: u16) -> String {
    let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
    let host = if host == "0.0.0.0" { "127.0.0.1" } else { host };
    format!("{host}:{port}")
}
