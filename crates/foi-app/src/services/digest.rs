//! The team's digest: what needs attention this week.

use super::chasers::{awaiting_approval, overdue_each, ChaseError};
use crate::app::App;
use crate::domain::ids::{EmailAddress, MessageId};
use crate::domain::overdue::Tier;
use crate::store::{inbox, outbox, rounds};
use chrono::Duration;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, Default)]
pub struct Digest {
    pub date: String,
    pub due_this_week: Vec<String>,
    pub newly_overdue: Vec<String>,
    pub very_overdue: Vec<String>,
    pub chasers_sent: Vec<String>,
    pub awaiting_approval: Vec<String>,
    pub replies_to_classify: Vec<String>,
    pub triage: Vec<String>,
    pub delivery_problems: Vec<String>,
    /// The mailbox cannot be signed in to (a revoked OAuth sign-in): nothing goes out or
    /// comes in until someone signs in again.
    pub mailbox: Vec<String>,
    /// Each team member's own list: what needs attention on the requests assigned to them
    /// (due this week, overdue, replies to classify), by name.
    pub people: Vec<PersonList>,
}

/// One person's part of the digest.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct PersonList {
    pub name: String,
    pub items: Vec<String>,
}

/// Files a digest line under the person its request is assigned to, if anyone.
fn file_under(
    people: &mut std::collections::BTreeMap<String, Vec<String>>,
    assignees: &std::collections::HashMap<String, String>,
    reference: &str,
    what: &str,
    line: &str,
) {
    if let Some(who) = assignees.get(reference) {
        people
            .entry(who.clone())
            .or_default()
            .push(format!("{what}: {line}"));
    }
}

/// Builds the digest as of today.
pub async fn build(app: &App) -> Result<Digest, ChaseError> {
    let today = app.clock.today();
    let week_end = today + Duration::days(7);
    let mut d = Digest {
        date: today.to_string(),
        ..Default::default()
    };
    let assignees = crate::store::requests::assignees(&app.db).await?;
    let mut people = std::collections::BTreeMap::new();
    for round in rounds::list(&app.db).await? {
        // The database picks the week's due dates (kept `deadline_on`, indexed).
        for r in rounds::due_between(&app.db, round.id, today, week_end).await? {
            if let Some(due) = r.kept.deadline_on {
                let line = format!("{} {} — due {due}", r.reference, r.authority_name);
                let reference = r.reference.to_string();
                file_under(&mut people, &assignees, &reference, "due this week", &line);
                d.due_this_week.push(line);
            }
        }
    }
    overdue_each(app, None, |o| {
        let line = format!(
            "{} {} — {} working day{} overdue",
            o.reference,
            o.name,
            o.working_days_overdue,
            if o.working_days_overdue == 1 { "" } else { "s" }
        );
        let reference = o.reference.to_string();
        if o.tier == Tier::VeryOverdue {
            file_under(&mut people, &assignees, &reference, "very overdue", &line);
            d.very_overdue.push(line);
        } else if o.working_days_overdue <= 5 {
            file_under(&mut people, &assignees, &reference, "newly overdue", &line);
            d.newly_overdue.push(line);
        }
        Ok::<(), ChaseError>(())
    })
    .await?;
    let since = app.clock.now() - Duration::days(7);
    for m in crate::store::letters::chasers_sent_since(&app.db, since).await? {
        d.chasers_sent
            .push(format!("{} to {} ({})", m.kind, m.to, m.subject));
    }
    for m in awaiting_approval(app, None).await? {
        d.awaiting_approval.push(format!(
            "#{} {} {} to {}",
            m.id,
            m.reference.unwrap_or_default(),
            m.kind,
            m.to
        ));
    }
    for m in inbox::waiting_to_classify(&app.db).await? {
        let reference = m.reference.unwrap_or_default();
        let line = format!(
            "#{} {} from {} \"{}\" (suggested: {})",
            m.id,
            reference,
            m.from,
            m.subject,
            m.suggested.unwrap_or_default()
        );
        file_under(
            &mut people,
            &assignees,
            &reference,
            "reply to classify",
            &line,
        );
        d.replies_to_classify.push(line);
    }
    for m in inbox::triage(&app.db).await? {
        d.triage
            .push(format!("#{} from {} \"{}\"", m.id, m.from, m.subject));
    }
    if let Some(p) = app.mailbox.problem() {
        d.mailbox.push(format!(
            "the mailbox {} needs signing in again: {}. Nothing is sent or read until then; queued letters wait (foi mailbox login)",
            app.mailbox.mailbox, p.reason
        ));
    }
    use crate::domain::message::OutboundState;
    let problems: Vec<OutboundState> = OutboundState::ALL
        .iter()
        .copied()
        .filter(|s| s.is_problem())
        .collect();
    for m in outbox::unsent_where(&app.db, &problems, None, None).await? {
        if m.state.is_problem() {
            d.delivery_problems.push(format!(
                "#{} {} {} to {}: {}",
                m.id,
                m.state,
                m.reference.unwrap_or_default(),
                m.to,
                m.last_error.unwrap_or_default()
            ));
        }
    }
    d.people = people
        .into_iter()
        .map(|(name, items)| PersonList { name, items })
        .collect();
    Ok(d)
}

/// The digest as plain text.
pub fn render(d: &Digest) -> String {
    let mut s = format!("foi digest for {}\n", d.date);
    for line in &d.mailbox {
        s.push_str(&format!("\nACTION NEEDED: {line}\n"));
    }
    for (title, items) in [
        ("Due this week", &d.due_this_week),
        ("Newly overdue", &d.newly_overdue),
        ("Very overdue", &d.very_overdue),
        ("Chasers sent in the last 7 days", &d.chasers_sent),
        (
            "Chasers awaiting approval (foi chase SLUG --approve ID|--all)",
            &d.awaiting_approval,
        ),
        (
            "Replies needing classification (foi request set REF STATE)",
            &d.replies_to_classify,
        ),
        ("Triage (foi triage list)", &d.triage),
        (
            "Failed, bounced or uncertain messages (foi outbox)",
            &d.delivery_problems,
        ),
    ] {
        s.push_str(&format!("\n{title}: {}\n", items.len()));
        for i in items {
            s.push_str(&format!("  - {i}\n"));
        }
    }
    if !d.people.is_empty() {
        s.push_str("\nEach person's own list (requests assigned to them):\n");
        for p in &d.people {
            s.push_str(&format!("\n{}: {}\n", p.name, p.items.len()));
            for i in &p.items {
                s.push_str(&format!("  - {i}\n"));
            }
        }
    }
    s
}

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Build(#[from] ChaseError),
    #[error("[team] digest_to: {0}")]
    Address(String),
    #[error("composing the digest: {0}")]
    Compose(String),
    #[error(transparent)]
    Raw(#[from] crate::rawstore::RawStoreError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Queues today's digest to `[team] digest_to` (once a day: its Message-ID names the date).
pub async fn queue(app: &App) -> Result<String, DigestError> {
    let d = build(app).await?;
    let Some(to) = app.config.team.digest_to.clone() else {
        return Ok("skipped: no [team] digest_to configured".into());
    };
    let to: EmailAddress = to.parse().map_err(DigestError::Address)?;
    let text = render(&d);
    let mid: MessageId = format!("<foi.digest.{}@{}>", d.date, to.domain())
        .parse()
        .map_err(DigestError::Compose)?;
    let letter = crate::outbound::render::Letter {
        subject: format!("foi digest {}", d.date),
        html: format!("<pre>{}</pre>", crate::report::charts::xml_escape(&text)),
        text,
    };
    let env = crate::outbound::compose::Envelope {
        from_name: "foi",
        from_email: &to,
        to_name: "",
        to_email: &to,
        reply_to: None,
        message_id: &mid,
        in_reply_to: None,
        date: app.clock.now().into(),
        reference: "digest",
    };
    let raw = crate::outbound::compose::compose(&env, &letter)
        .map_err(|e| DigestError::Compose(e.to_string()))?;
    let sha = app.raw_store().put(&raw)?;
    outbox::enqueue_digest(
        &app.db,
        outbox::NewDigest {
            message_id: &mid,
            subject: &letter.subject,
            to: &to,
            raw_sha256: &sha,
            raw_size: raw.len() as i64,
        },
        app.clock.now(),
    )
    .await?;
    Ok(format!("digest queued to {to}"))
}
