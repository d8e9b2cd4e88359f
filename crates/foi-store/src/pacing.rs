//! The send rate for the whole deployment (`[send] per_minute`): every delivery lane of every
//! process takes the next send slot from one row of `send_pacing`, so N processes together
//! send at the configured rate, not N times it.

use super::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::time::Duration;

/// Reserves the next send slot, `interval` after the one before it (or `now` when the last
/// slot is past), and returns when it starts: the caller waits until then. One statement, so
/// two lanes or two processes never get the same slot.
pub async fn reserve_slot(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    interval: Duration,
) -> Result<DateTime<Utc>, StoreError> {
    let now_us = now.timestamp_micros();
    let iv = i64::try_from(interval.as_micros()).unwrap_or(i64::MAX / 4);
    let b = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            b,
            match b {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE send_pacing SET next_slot_us = \
                     CASE WHEN next_slot_us > $1 THEN next_slot_us ELSE $1 END + $2 \
                     WHERE id = 1 RETURNING next_slot_us - $2 AS slot"
                }
                _ => {
                    "UPDATE send_pacing SET next_slot_us = \
                     CASE WHEN next_slot_us > ?1 THEN next_slot_us ELSE ?1 END + ?2 \
                     WHERE id = 1 RETURNING next_slot_us - ?2 AS slot"
                }
            },
            [now_us.into(), iv.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::NotFound("the send pacing row (run `foi db migrate`)".into()))?;
    let slot: i64 = row.try_get("", "slot")?;
    Ok(DateTime::from_timestamp_micros(slot).unwrap_or(now))
}
