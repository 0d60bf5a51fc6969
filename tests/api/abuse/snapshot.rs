//! Every row of every table, read generically (no entity types), so a test can
//! prove a rejected request left the database exactly as it was.

use std::collections::BTreeMap;

use futures_util::future::join_all;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult, JsonValue, Statement,
};

/// Tables whose rows change without being asked: the migration bookkeeping.
const IGNORED: [&str; 1] = ["seaql_migrations"];

pub async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("list tables");
    let mut names: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "t").ok())
        .filter(|t| !IGNORED.contains(&t.as_str()))
        .collect();
    names.sort();
    names
}

/// Table name -> all its rows (ordered by the first column), as JSON text.
pub type Snapshot = BTreeMap<String, String>;

pub async fn take(db: &DatabaseConnection, tables: &[String]) -> Snapshot {
    let reads = tables.iter().map(|table| rows_of(db, table));
    tables.iter().cloned().zip(join_all(reads).await).collect()
}

async fn rows_of(db: &DatabaseConnection, table: &str) -> String {
    let sql = format!("SELECT * FROM \"{table}\" ORDER BY 1");
    let statement = Statement::from_string(db.get_database_backend(), sql);
    let rows = JsonValue::find_by_statement(statement)
        .all(db)
        .await
        .unwrap_or_else(|err| panic!("read {table}: {err}"));
    serde_json::to_string(&rows).expect("rows")
}

/// The tables whose rows differ.
pub fn changed(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    after
        .iter()
        .filter(|(table, rows)| before.get(*table) != Some(*rows))
        .map(|(table, _)| table.clone())
        .collect()
}
