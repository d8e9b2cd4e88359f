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
    let want = given.to_lowercase();
    let mut found: Vec<(String, Reference)> = Vec::new();
    for r in rounds::list(&app.db).await? {
        for q in rounds::requests(&app.db, r.id).await? {
            if q.sent_at.is_some() && q.authority_name.to_lowercase().contains(&want) {
                found.push((q.authority_name.clone(), q.reference.clone()));
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 => Err(StoreError::Invalid(format!(
            "no request was sent to a body called \"{given}\"; type part of the body's name or the reference, and pick from the list"
        ))),
        n => Err(StoreError::Invalid(format!(
            "\"{given}\" fits {n} requests ({}); pick one from the list",
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

/// Where a reply in triage could go: every request whose letter has been sent, and those of
/// each address domain (a reply from a domain only one request wrote to is suggested for it).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub by_domain: std::collections::HashMap<String, Vec<String>>,
    /// Each sent request as the assign box offers it: "Kent and Medway ICB (MSK26-QKS)".
    pub choices: Vec<String>,
}

/// How the assign box offers a request: the body's name, then the reference in brackets.
pub fn choice(name: &str, reference: &Reference) -> String {
    format!("{name} ({reference})")
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
                t.choices.push(choice(&q.authority_name, &q.reference));
            }
        }
    }
    Ok(t)
}
