//! Raw statements for the few hot, conditional updates: written once with
//! `$1` placeholders and run on PostgreSQL or SQLite (`?1`).

use sea_orm::{ConnectionTrait, DbBackend, ExecResult, Statement, Value};

use crate::error::AppResult;

pub fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let text = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, text, values)
}

pub async fn execute(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> AppResult<ExecResult> {
    Ok(db.execute_raw(statement(db, sql, values)).await?)
}

/// Runs a conditional statement; true when it changed at least one row.
pub async fn changed(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> AppResult<bool> {
    Ok(execute(db, sql, values).await?.rows_affected() > 0)
}
