//! Use cases for replies no request was found for: assigning one to a request (which teaches
//! the sender's address to that body) and dismissing one. Both leave an event naming who.

use crate::app::App;
use crate::domain::ids::Reference;
use crate::store::{inbox, rounds, StoreError};

/// Puts triage message `message` on the request `reference`. Returns the sender address
/// learned for the body, if it was new.
pub async fn assign(
    app: &App,
    message: i32,
    reference: &Reference,
    actor: &str,
) -> Result<Option<String>, StoreError> {
    let req = rounds::request_by_ref(&app.db, reference).await?;
    inbox::assign(&app.db, message, req.id, actor, app.clock.now()).await
}

/// Takes message `message` out of triage; it stays stored and in the audit log.
pub async fn dismiss(app: &App, message: i32, actor: &str) -> Result<(), StoreError> {
    inbox::dismiss(&app.db, message, actor, app.clock.now()).await
}
