//! Fault-injection harnesses (issue 10): kill -9 during order placement, a
//! PostgreSQL restart, a Redis outage, resource limits and a stream flood. Each starts its
//! own PostgreSQL/Redis and release-built service processes, injects the
//! fault by PID on loopback, checks the promises and prints PASS or FAIL with
//! figures. Run through `bench/faults/*.sh` (one command each).

mod checks;
mod client;
mod crash;
mod limits;
mod load;
mod pg_restart;
mod procs;
mod redis_outage;
mod streams;
mod world;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use world::Backend;

#[derive(Parser)]
struct Cli {
    /// The service binary (default: `gongfang` beside this one).
    #[arg(long, global = true)]
    bin: Option<PathBuf>,
    #[command(subcommand)]
    harness: Harness,
}

#[derive(Subcommand)]
enum Harness {
    /// SIGKILL the service ~10 times while 20 buyers retry their keys.
    Crash {
        #[arg(long, value_enum, default_value = "sqlite")]
        db: Backend,
        #[arg(long, default_value_t = 10)]
        kills: u32,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Stop and start PostgreSQL (fast, then immediate) under load.
    PgRestart,
    /// Kill, pause and slow Redis under load on two instances.
    Redis,
    /// Slowloris sockets and concurrent logins against order latency.
    Limits {
        #[arg(long, value_enum, default_value = "sqlite")]
        db: Backend,
    },
    /// 10,000 event streams from one address beside ordinary viewers and buyers.
    Streams,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    gongfang::platform::outbound::install_tls_provider();
    let bin = cli.bin.unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("gongfang")))
            .unwrap_or_else(|| PathBuf::from("target/release/gongfang"))
    });
    let result = match cli.harness {
        Harness::Crash { db, kills, seconds } => crash::run(&bin, db, kills, seconds).await,
        Harness::PgRestart => pg_restart::run(&bin).await,
        Harness::Redis => redis_outage::run(&bin).await,
        Harness::Limits { db } => limits::run(&bin, db).await,
        Harness::Streams => streams::run(&bin).await,
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            println!("ERROR: {err:#}");
            ExitCode::FAILURE
        }
    }
}
