//! Use cases for the outbox: putting failed or bounced messages back in the queue, and an
//! operator's decision on an `uncertain` one. Each leaves an event naming who.

use crate::app::App;
use crate::domain::message::OutboundState;
use crate::store::{outbox, StoreError};
use chrono::Duration;

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

/// What the outbox page shows: every letter with a problem or on its way (failed, bounced,
/// uncertain, sending), and the first `queued_shown` of those queued, with how many are
/// queued in all. A launch of 100,000 letters is a count, not 100,000 rows.
pub async fn page(app: &App, queued_shown: u64) -> Result<(Vec<OutboxItem>, u64), StoreError> {
    let moving: Vec<OutboundState> = OutboundState::ALL
        .iter()
        .copied()
        .filter(|s| {
            !matches!(
                s,
                OutboundState::Sent
                    | OutboundState::Skipped
                    | OutboundState::Queued
                    | OutboundState::Draft
                    | OutboundState::Approval
            )
        })
        .collect();
    let mut items = outbox::unsent_where(&app.db, &moving, None, None).await?;
    items.extend(
        outbox::unsent_where(&app.db, &[OutboundState::Queued], None, Some(queued_shown)).await?,
    );
    items.sort_by_key(|m| m.id);
    let queued = outbox::count_in_state(&app.db, OutboundState::Queued).await?;
    Ok((items, queued))
}

/// How many letters are in `state`.
pub async fn count(
    app: &App,
    state: crate::domain::message::OutboundState,
) -> Result<u64, StoreError> {
    outbox::count_in_state(&app.db, state).await
}

/// What [`settle_in_doubt`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Settled {
    /// Found delivered (in the sent folder, or answered) and recorded as sent.
    pub found: usize,
    /// Not found: `uncertain`, with what was checked.
    pub uncertain: usize,
    /// Not found after `[send] resend_unconfirmed_after_minutes`: queued again.
    pub resent: usize,
}

/// How long an `uncertain` letter is looked for again when no resend is set.
const LOOK_AGAIN_FOR: Duration = Duration::hours(1);

/// Letters whose sending process stopped mid-send (`sending` past the claim's lease), and
/// `uncertain` ones of the last two days, looked for where foi can know their fate: a reply
/// or bounce threaded to them (in the database), and the mailbox's sent folder over IMAP
/// (`[smtp] sent_folder`, and `save_sent_to`), by Message-ID. Found: sent, with the evidence
/// in the request's history. Not found: `uncertain`, saying what was checked; once
/// `[send] resend_unconfirmed_after_minutes` have passed, queued again (when that is set).
/// Run every half minute by `foi serve`, in every process (each change is conditional on the
/// letter's state, so two processes settling at once do not clash).
pub async fn settle_in_doubt(app: &App) -> Result<Settled, StoreError> {
    let now = app.clock.now();
    let lease = Duration::from_std(app.claim_lease()).unwrap_or_default();
    let doubts = outbox::in_doubt(&app.db, now - lease).await?;
    let mut done = Settled::default();
    if doubts.is_empty() {
        return Ok(done);
    }
    let ids: Vec<String> = doubts.iter().map(|d| d.message_id.clone()).collect();
    let answered = outbox::answered(&app.db, &ids).await?;
    let folders: Vec<String> = [
        app.config.smtp.sent_folder.clone(),
        app.config.smtp.save_sent_to.clone(),
    ]
    .into_iter()
    .flatten()
    .filter(|f| !f.trim().is_empty())
    .collect();
    let imap_on = !app.config.imap.host.trim().is_empty();
    let mut in_folder: std::collections::HashMap<String, String> = Default::default();
    let mut checked = vec!["no reply or bounce threaded to it".to_string()];
    for folder in folders.iter().filter(|_| imap_on) {
        let wanted: Vec<String> = ids
            .iter()
            .filter(|i| !answered.contains(*i) && !in_folder.contains_key(*i))
            .cloned()
            .collect();
        match crate::inbound::imap::found_in_folder(&app.config.imap, &app.mailbox, folder, &wanted)
            .await
        {
            Ok(found) => {
                checked.push(format!("not in the folder {folder}"));
                for id in found {
                    in_folder.insert(id, folder.clone());
                }
            }
            Err(e) => checked.push(format!("the folder {folder} could not be read ({e})")),
        }
    }
    if folders.is_empty() || !imap_on {
        checked.push("no sent folder to look in ([smtp] sent_folder)".into());
    }
    let cal = app.calendar.get();
    let resend_after = app.config.send.resend_unconfirmed_after_minutes;
    for d in doubts {
        let evidence = if answered.contains(&d.message_id) {
            Some("delivered: a reply or bounce received is threaded to it".to_string())
        } else {
            in_folder.get(&d.message_id).map(|f| {
                format!("delivered: found in the folder {f} after its sending process stopped")
            })
        };
        if let Some(e) = evidence {
            outbox::resolve_found(&app.db, &cal, d.id, &e, now).await?;
            done.found += 1;
            continue;
        }
        // How long it is looked for again: until it is resent, or for an hour when a person
        // decides (a sent folder can lag a little; looking for ever would open the mailbox
        // every half minute).
        let wait = if resend_after > 0 {
            Duration::minutes(i64::from(resend_after))
        } else {
            LOOK_AGAIN_FOR
        };
        let why = || in_doubt_why(now, &checked, resend_after);
        match (d.state, d.resend_at) {
            (OutboundState::Sending, _) => {
                if outbox::mark_uncertain(&app.db, d.id, &why(), Some(now + wait)).await? {
                    done.uncertain += 1;
                }
            }
            (_, Some(at)) if at <= now && resend_after > 0 => {
                let actor = format!(
                    "foi (not found {resend_after} minutes after its sending process stopped)"
                );
                outbox::resolve(&app.db, &cal, d.id, false, &actor, now).await?;
                done.resent += 1;
            }
            // Looked for long enough: a person decides; it is not looked for again.
            (_, Some(at)) if at <= now => {
                outbox::mark_uncertain(&app.db, d.id, &why(), None).await?;
            }
            (_, _) => {}
        }
    }
    Ok(done)
}

/// What an `uncertain` letter says: what was checked, and what happens next.
fn in_doubt_why(
    now: chrono::DateTime<chrono::Utc>,
    checked: &[String],
    resend_after: u32,
) -> String {
    format!(
        "its sending process stopped during the SMTP transaction; checked {}: {}. {}",
        crate::domain::dates::day_of(now),
        checked.join("; "),
        if resend_after > 0 {
            format!("Sent again by itself if still not found {resend_after} minutes on.")
        } else {
            "Decide with foi outbox resolve --sent or --resend.".into()
        }
    )
}
