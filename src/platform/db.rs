//! Database connection: PostgreSQL when `database.url` is set, else an embedded
//! SQLite file with WAL, a busy timeout and `synchronous=NORMAL`.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseSettings;

pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let url = database_url(settings)?;
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
        .idle_timeout(Duration::from_secs(300))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts: SqliteConnectOptions| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    }
    Ok(Database::connect(options).await?)
}

/// The order writers' own pool (`database.writer_connections`): reads on the
/// main pool never make a commit wait for a connection.
pub async fn connect_writers(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let mut writers = settings.clone();
    writers.max_connections = settings.writer_connections.max(1);
    connect(&writers).await
}

/// The configured URL, or the SQLite file (its folder created on demand).
pub fn database_url(settings: &DatabaseSettings) -> anyhow::Result<String> {
    if !settings.url.is_empty() {
        return Ok(settings.url.clone());
    }
    let path = Path::new(&settings.sqlite_path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // Validate early so a bad path fails at start-up, not on first request.
    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?;
    Ok(format!("sqlite://{}?mode=rwc", path.display()))
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// True when a trivial query succeeds within the pool's acquire timeout.
pub async fn is_up(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

pub fn is_postgres(db: &DatabaseConnection) -> bool {
    matches!(
        db.get_database_backend(),
        sea_orm::DatabaseBackend::Postgres
    )
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// up front (`BEGIN IMMEDIATE`), so a read-then-write transaction waits for
/// the lock instead of failing when another writer commits first.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
