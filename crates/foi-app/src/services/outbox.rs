//! Use cases for the outbox: putting failed or bounced messages back in the queue, and an
//! operator's decision on an `uncertain` one. Each leaves an event naming who.

use crate::app::App;
use crate::store::{outbox, StoreError};

/// Queues failed or bounced messages again (one, or all when `id` is `None`).
pub async fn retry(app: &App, id: Option<i32>, actor: &str) -> Result<u64, StoreError> {
    outbox::retry(&app.db, id, actor, app.clock.now()).await
}

/// Records that an `uncertain` message was delivered (`delivered`) or must be sent again.
pub async fn resolve(app: &App, id: i32, delivered: bool, actor: &str) -> Result<(), StoreError> {
    outbox::resolve(
        &app.db,
        &app.calendar.get(),
        id,
        delivered,
        actor,
        app.clock.now(),
    )
    .await
}

/// Approves chaser `id` awaiting approval (any round); false when it is not waiting.
pub async fn approve_one(app: &App, id: i32, actor: &str) -> Result<bool, StoreError> {
    Ok(outbox::approve(&app.db, &[id], actor, app.clock.now()).await? == 1)
}

pub use crate::store::outbox::OutboxItem;

/// Every letter not yet sent (queued, sending, failed, bounced, uncertain, awaiting approval).
pub async fn unsent(app: &App) -> Result<Vec<OutboxItem>, StoreError> {
    outbox::list_unsent(&app.db).await
}

/// How many letters are in `state`.
pub async fn count(
    app: &App,
    state: crate::domain::message::OutboundState,
) -> Result<u64, StoreError> {
    outbox::count_in_state(&app.db, state).await
}
