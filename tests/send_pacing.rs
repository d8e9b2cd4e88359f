//! The deployment's send slots (`[send] per_minute`): reservations made at once, from many
//! lanes, each get their own slot, one interval apart, on both stores; a slot already past
//! starts again from now.

mod common;

use common::{test_app, Backend};
use std::time::Duration;

async fn slots_are_distinct_and_evenly_spaced(backend: Backend) {
    let t = test_app(backend).await;
    let db = t.app.db.clone();
    // Slots are kept to the microsecond.
    let now =
        chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros()).unwrap();
    let iv = Duration::from_secs(2);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { foi::store::pacing::reserve_slot(&db, now, iv).await })
        })
        .collect();
    let mut slots = Vec::new();
    for task in tasks {
        slots.push(task.await.unwrap().unwrap());
    }
    slots.sort();
    assert_eq!(slots[0], now, "the first slot is now");
    for (i, s) in slots.iter().enumerate() {
        assert_eq!(
            *s,
            now + chrono::Duration::seconds(2 * i as i64),
            "slot {i} of 16"
        );
    }
    // Long after the last slot: the next one is now, not in the past.
    let later = now + chrono::Duration::hours(1);
    assert_eq!(
        foi::store::pacing::reserve_slot(&db, later, iv)
            .await
            .unwrap(),
        later
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_send_slots_are_distinct_and_evenly_spaced() {
    slots_are_distinct_and_evenly_spaced(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_send_slots_are_distinct_and_evenly_spaced() {
    slots_are_distinct_and_evenly_spaced(Backend::Postgres).await;
}
