//! Plain SQL, for what a person checks or repairs by hand and for the tests and benchmarks
//! that tamper with or inspect the database directly (a stale kept value, a hand-edited row,
//! a database that stops taking connections). The application itself never uses it: its
//! queries are named, in the modules beside this one.
//!
//! Rows come back as JSON objects (column name to value), so a caller needs no SeaORM type.

use crate::{Db, StoreError};
use sea_orm::{ConnectionTrait, FromQueryResult, JsonValue, Statement};

/// Runs one or more statements that return no rows; the number of rows changed by the last.
pub async fn execute(db: &Db, sql: &str) -> Result<u64, StoreError> {
    Ok(db.execute_unprepared(sql).await?.rows_affected())
}

/// Runs a query; each row as a JSON object keyed by column name.
pub async fn rows(db: &Db, sql: &str) -> Result<Vec<JsonValue>, StoreError> {
    let stmt = Statement::from_string(db.get_database_backend(), sql.to_string());
    Ok(JsonValue::find_by_statement(stmt).all(db).await?)
}

/// The first column of the first row as text (numbers and booleans written out), or `None`
/// when the query returns no row or a NULL.
pub async fn scalar(db: &Db, sql: &str) -> Result<Option<String>, StoreError> {
    let rows = rows(db, sql).await?;
    let Some(JsonValue::Object(row)) = rows.into_iter().next() else {
        return Ok(None);
    };
    Ok(row.into_iter().next().and_then(|(_, v)| match v {
        JsonValue::Null => None,
        JsonValue::String(s) => Some(s),
        other => Some(other.to_string()),
    }))
}
