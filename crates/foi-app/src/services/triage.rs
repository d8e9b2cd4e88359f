//! Use cases for replies no request was found for: assigning one to a request (which teaches
//! the sender's address to that body) and dismissing one. Both leave an event naming who.

use crate::app::App;
use crate::domain::ids::Reference;
use crate::store::{inbox, rounds, StoreError};

/// Puts triage message `message` on the request `reference` and links it to each of `also`
/// (one reply answering several requests: each then classifies and codes its own copy).
/// Returns the sender address learned for the first request's body, if it was new.
pub async fn assign(
    app: &App,
    message: i32,
    reference: &Reference,
    also: &[Reference],
    actor: &str,
) -> Result<Option<String>, StoreError> {
    let req = rounds::request_by_ref(&app.db, reference).await?;
    let mut others = Vec::new();
    for r in also.iter().filter(|r| *r != reference) {
        others.push(rounds::request_by_ref(&app.db, r).await?.id);
    }
    let learned = inbox::assign(&app.db, message, req.id, actor, app.clock.now()).await?;
    if !others.is_empty() {
        inbox::link_also(&app.db, message, &others, actor, app.clock.now()).await?;
    }
    Ok(learned)
}

/// Several requests named in one box, separated by `;` (or new lines): each resolved as
/// [`resolve`] does.
pub async fn resolve_many(app: &App, given: &str) -> Result<Vec<Reference>, StoreError> {
    let mut out = Vec::new();
    for part in given
        .split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let r = resolve(app, part).await?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The request the assign box names: a reference ("MSK26-QKS"), a choice from its list
/// ("Kent and Medway ICB (MSK26-QKS)"), or a body's name or part of it ("Kent"), which must
/// fit exactly one sent request.
pub async fn resolve(app: &App, given: &str) -> Result<Reference, StoreError> {
    let given = given.trim();
    if let Ok(r) = given.parse::<Reference>() {
        return Ok(r);
    }
    if let Some(inner) = given
        .strip_suffix(')')
        .and_then(|g| g.rsplit_once('(').map(|(_, r)| r))
    {
        if let Ok(r) = inner.trim().parse::<Reference>() {
            return Ok(r);
        }
    }
    if given.is_empty() {
        return Err(StoreError::Invalid(
            "type the body's name or the request's reference".into(),
        ));
    }
    // By name: the database searches (never every request loaded); a few more than one are
    // enough to say the name is ambiguous.
    let mut found = rounds::sent_to_named(&app.db, given, 6).await?;
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 => Err(StoreError::Invalid(format!(
            "no request was sent to a body called \"{given}\"; type part of the body's name, or the reference"
        ))),
        n => Err(StoreError::Invalid(format!(
            "\"{given}\" fits {}{n} requests ({}); type more of the name, or the reference",
            if n >= 6 { "at least " } else { "" },
            found
                .iter()
                .take(5)
                .map(|(name, r)| choice(name, r))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
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

/// How the assign box offers a request: the body's name, then the reference in brackets.
pub fn choice(name: &str, reference: &Reference) -> String {
    format!("{name} ({reference})")
}

/// For each sender's domain, the request a reply from it is suggested for: the one sent
/// request whose FOI address is at that domain (none when two or more are). One indexed
/// lookup per domain shown, whatever the number of requests.
pub async fn suggestions(
    app: &App,
    domains: &[String],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for d in domains {
        if d.is_empty() || out.contains_key(d) {
            continue;
        }
        let refs = rounds::sent_to_domain(&app.db, d, 2).await?;
        if let [only] = refs.as_slice() {
            out.insert(d.clone(), only.to_string());
        }
    }
    Ok(out)
}
