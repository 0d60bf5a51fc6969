//! The `gongfang` command line: serve (the default), migrate, seed, export,
//! admin. Argument parsing lives here and each command in [`commands`]; the
//! binary's `main.rs` only calls [`run`].

mod commands;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::platform::telemetry;

#[derive(Parser)]
#[command(
    name = "gongfang",
    version,
    about = "Live-commerce backend for common-prosperity workshops"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
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
pub enum AdminCommand {
    /// Create a platform admin, or promote an existing account.
    /// The password is read from GONGFANG_ADMIN_PASSWORD or standard input.
    Create {
        #[arg(long)]
        phone: String,
    },
}

/// Parses the command line and runs the command (serve when none is given).
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    crate::platform::outbound::install_tls_provider();
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
            commands::serve(settings, demo).await
        }
        Command::Migrate => commands::migrate(settings).await,
        Command::Seed { .. } => commands::seed_demo(settings).await,
        Command::BenchPrepare {
            customers,
            skus,
            stock,
            deal_quantity,
            out,
        } => {
            let sizes = commands::BenchSizes {
                customers,
                skus,
                stock,
                deal_quantity,
            };
            commands::bench_prepare(settings, sizes, &out).await
        }
        Command::ExportStatements {
            workshop,
            month,
            out,
        } => commands::export_statements(settings, workshop, &month, &out).await,
        Command::Admin {
            command: AdminCommand::Create { phone },
        } => commands::create_admin(settings, &phone).await,
    }
}
