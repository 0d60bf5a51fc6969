//! Raw SQL for the few hot or conditional statements the query builder does
//! not express well. One convention: numbered `$1` placeholders, run as they
//! are on PostgreSQL and as `?1` on SQLite. Statements built in a loop take
//! their placeholders from [`Binds`], which numbers them as it keeps the values.

use sea_orm::{ConnectionTrait, DbBackend, ExecResult, Statement, Value};

use crate::error::AppResult;

/// `sql` with `$n` placeholders for the connection's backend. The SQL must
/// not contain `$` anywhere else.
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

/// The values of a statement being built: each `bind` keeps a value and
/// answers its placeholder, so text and values cannot drift apart.
#[derive(Default)]
pub struct Binds {
    values: Vec<Value>,
}

impl Binds {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            values: Vec::with_capacity(capacity),
        }
    }

    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Placeholders for every value, comma-separated (for `IN (…)`).
    pub fn list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> String {
        let marks: Vec<String> = values.into_iter().map(|v| self.bind(v)).collect();
        marks.join(", ")
    }

    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}

#[cfg(test)]
mod tests {
    use super::Binds;

    #[test]
    fn binds_number_placeholders_in_the_order_values_are_kept() {
        let mut binds = Binds::default();
        let first = binds.bind(7_i64);
        let list = binds.list([1_i64, 2, 3]);
        assert_eq!(first, "$1");
        assert_eq!(list, "$2, $3, $4");
        assert_eq!(binds.into_values().len(), 4);
    }
}
