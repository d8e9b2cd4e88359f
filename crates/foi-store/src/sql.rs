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
/// when the query returns no row or a NULL. Read by index, not through JSON: SQLite's
/// `PRAGMA` results carry no declared type, which the JSON conversion reads as NULL.
pub async fn scalar(db: &Db, sql: &str) -> Result<Option<String>, StoreError> {
    let stmt = Statement::from_string(db.get_database_backend(), sql.to_string());
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    if let Ok(v) = row.try_get_by_index::<Option<String>>(0) {
        return Ok(v);
    }
    if let Ok(v) = row.try_get_by_index::<Option<i64>>(0) {
        return Ok(v.map(|n| n.to_string()));
    }
    if let Ok(v) = row.try_get_by_index::<Option<f64>>(0) {
        return Ok(v.map(|n| n.to_string()));
    }
    Ok(row
        .try_get_by_index::<Option<bool>>(0)
        .ok()
        .flatten()
        .map(|b| b.to_string()))
}
