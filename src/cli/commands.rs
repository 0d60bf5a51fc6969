//! What each command does, on top of the library's startup and services.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use crate::auth::service::AdminOutcome;
use crate::config::Settings;
use crate::platform::db;
use crate::scaffold::{bench, demo};
use crate::startup::{Application, build_state};
use crate::{auth, ledger};

/// How much data `bench-prepare` creates.
pub struct BenchSizes {
    pub customers: usize,
    pub skus: usize,
    pub stock: i64,
    /// Also a live session with a running flash deal of this many units.
    pub deal_quantity: Option<i64>,
}

pub async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let conn = db::connect(&settings.database).await?;
    db::migrate(&conn).await?;
    println!("migrations applied");
    Ok(())
}

pub async fn bench_prepare(
    settings: Settings,
    sizes: BenchSizes,
    out: &Path,
) -> anyhow::Result<()> {
    let conn = db::connect(&settings.database).await?;
    db::migrate(&conn).await?;
    let state = build_state(settings, conn).await?;
    let prepared = bench::prepare(
        &state,
        sizes.customers,
        sizes.skus,
        sizes.stock,
        sizes.deal_quantity,
        out,
    )
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

pub async fn serve(settings: Settings, with_demo: bool) -> anyhow::Result<()> {
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
pub async fn seed_demo(mut settings: Settings) -> anyhow::Result<()> {
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

pub async fn export_statements(
    settings: Settings,
    workshop: i64,
    month: &str,
    out: &Path,
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

pub async fn create_admin(settings: Settings, phone: &str) -> anyhow::Result<()> {
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
