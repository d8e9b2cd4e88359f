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

pub use crate::store::inbox::InboundItem;

/// The replies no request was found for, oldest first.
pub async fn waiting(app: &App) -> Result<Vec<InboundItem>, StoreError> {
    inbox::triage(&app.db).await
}

/// Where a reply in triage could go: every request whose letter has been sent, and those of
/// each address domain (a reply from a domain only one request wrote to is suggested for it).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub by_domain: std::collections::HashMap<String, Vec<String>>,
    pub references: Vec<String>,
}

pub async fn targets(app: &App) -> Result<Targets, StoreError> {
    let mut t = Targets::default();
    for r in rounds::list(&app.db).await? {
        for q in rounds::requests(&app.db, r.id).await? {
            if q.sent_at.is_some() {
                if let Some(a) = &q.to_address {
                    t.by_domain
                        .entry(a.domain())
                        .or_default()
                        .push(q.reference.to_string());
                }
                t.references.push(q.reference.to_string());
            }
        }
    }
    Ok(t)
}
