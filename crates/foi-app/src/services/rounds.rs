//! Use cases for rounds: create from a file, preview every letter, launch (enqueue).

use super::letters::{compose_letter, LetterError};
use crate::app::App;
use crate::domain::message::{MessageKind, OutboundState};
use crate::domain::request::RequestState;
use crate::domain::round::{RoundDef, RoundError, RoundKind};
use crate::outbound::render::{Renderer, TemplateError};
use crate::rawstore::{RawStore, RawStoreError};
use crate::store::outbox;
use crate::store::rounds;
use crate::store::{authorities, StoreError};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum RoundServiceError {
    #[error("{} problem(s) in the round file; nothing was created:\n{}", .0.len(),
        .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Definition(Vec<RoundError>),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Letter(#[from] LetterError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Raw(#[from] RawStoreError),
    #[error("round {0} is a desk-research round: it sends no letters")]
    Desk(String),
    /// A record of the past (historical, launched before, or on a register with abolished
    /// bodies): the text says why.
    #[error("{0}")]
    History(String),
}

/// The bodies of a register that have been abolished (they name successors).
pub(crate) async fn abolished_in(
    app: &App,
    register: &str,
) -> Result<Vec<crate::domain::round::Abolished>, StoreError> {
    Ok(authorities::abolished(&app.db, register)
        .await?
        .into_iter()
        .map(|a| crate::domain::round::Abolished {
            code: a.record.code,
            name: a.record.name,
            successors: a.record.successors,
        })
        .collect())
}

/// Why the round cannot be launched because it is history, if so.
pub async fn history_reason(app: &App, round: &Round) -> Result<Option<String>, StoreError> {
    let abolished = abolished_in(app, &round.register).await?;
    Ok(crate::domain::round::why_history(
        &round.def,
        app.clock.today(),
        &abolished,
    ))
}

impl App {
    pub(crate) fn renderer(&self) -> Result<Renderer, TemplateError> {
        Renderer::load(
            self.config.templates.override_dir.as_deref(),
            &self.calendar.get(),
        )
    }

    pub fn raw_store(&self) -> RawStore {
        RawStore::new(&self.data_dir)
    }

    /// The name recorded in events for actions taken from this process.
    pub fn actor(&self) -> String {
        std::env::var("FOI_ACTOR")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "operator".into())
    }
}

/// Parses and validates a round file against the database (register) and templates.
pub async fn parse_round_file(
    app: &App,
    path: &Path,
) -> Result<(RoundDef, String), RoundServiceError> {
    let bytes = std::fs::read(path).map_err(|source| RoundServiceError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_round_bytes(app, &bytes, &path.display().to_string()).await
}

/// The same for a round file's bytes (`file` names it in problems): a file on disk, or one
/// uploaded in the dashboard.
pub async fn parse_round_bytes(
    app: &App,
    bytes: &[u8],
    file: &str,
) -> Result<(RoundDef, String), RoundServiceError> {
    let text = crate::domain::text::utf8(bytes, file)
        .map_err(|message| {
            RoundServiceError::Definition(vec![RoundError {
                file: file.to_string(),
                line: None,
                message,
            }])
        })?
        .to_string();
    let renderer = app.renderer()?;
    let file = file.to_string();
    let def = RoundDef::parse(&text, &file, &|t| renderer.has_letter(t))
        .map_err(RoundServiceError::Definition)?;
    let regs = authorities::registers(&app.db).await?;
    if !regs.iter().any(|r| r == def.register()) {
        let line = crate::domain::round::line_of(&text, def.register.span().start);
        return Err(RoundServiceError::Definition(vec![RoundError {
            file,
            line: Some(line),
            message: format!(
                "unknown register `{}`; loaded registers: {}. Run `foi init` or `foi authorities import FILE --register {}`",
                def.register(),
                if regs.is_empty() { "none".to_string() } else { regs.join(", ") },
                def.register()
            ),
        }]));
    }
    Ok((def, text))
}

/// `foi round create FILE`.
pub async fn create_round(
    app: &App,
    path: &Path,
) -> Result<(RoundDef, Created), RoundServiceError> {
    let (def, text) = parse_round_file(app, path).await?;
    create_parsed(app, def, text).await
}

/// A round from a round file's bytes (the dashboard's import), as `foi round create` makes it.
pub async fn create_round_from(
    app: &App,
    bytes: &[u8],
    file: &str,
) -> Result<(RoundDef, Created), RoundServiceError> {
    let (def, text) = parse_round_bytes(app, bytes, file).await?;
    create_parsed(app, def, text).await
}

async fn create_parsed(
    app: &App,
    def: RoundDef,
    text: String,
) -> Result<(RoundDef, Created), RoundServiceError> {
    // Every letter the round can send is rendered for one body *before* anything is written:
    // a template problem creates nothing.
    if def.kind != RoundKind::Desk {
        preflight(app, &def).await?;
    }
    let created = rounds::create(&app.db, &def, &text, &app.actor(), app.clock.now()).await?;
    Ok((def, created))
}

/// Renders the request letter and every chaser of `def` for the register's first body with an
/// FOI address, as it would be sent (strict templates: a missing variable is an error).
pub(crate) async fn preflight(app: &App, def: &RoundDef) -> Result<(), RoundServiceError> {
    let bodies = authorities::list(&app.db, Some(def.register())).await?;
    let Some(b) = bodies
        .iter()
        .find(|b| def.includes(&b.record.code) && b.record.foi_email.is_some())
    else {
        return Ok(());
    };
    let prefix = def
        .reference_prefix
        .clone()
        .unwrap_or_else(|| def.slug().to_ascii_uppercase());
    let today = app.clock.today();
    let cal = app.calendar.get();
    let row = RequestRow {
        id: 0,
        round_id: 0,
        reference: crate::domain::ids::Reference::new(&prefix, &b.record.code),
        state: RequestState::AwaitingResponse,
        regime: def.regime.unwrap_or(b.record.regime),
        to_address: b.record.foi_email.clone(),
        sent_at: Some(app.clock.now()),
        clocks: crate::domain::request::Clocks {
            received_on: Some(today),
            due_on: cal.due_date(today).ok(),
            review_due_on: None,
        },
        authority_id: b.id,
        authority_code: b.record.code.clone(),
        authority_name: b.record.name.clone(),
        region: b.record.region.clone(),
        email_verified: b.record.email_verified,
        source_url: None,
        source_title: None,
        assigned_to: None,
        kept: Default::default(),
    };
    let renderer = app.renderer()?;
    let composer = super::letters::Composer {
        renderer: &renderer,
        calendar: &cal,
        now: app.clock.now(),
        reply_to_pattern: &app.config.send.reply_to_pattern,
    };
    let original = super::letters::Original {
        sent_on: today,
        subject: "Freedom of Information request".into(),
        message_id: crate::outbound::compose::message_id(
            &row.reference,
            "request",
            "foi@example.org",
        ),
    };
    let mut letters = vec![(
        def.templates.request.get_ref().as_str(),
        MessageKind::Request.as_str(),
        None,
    )];
    for step in &def.chasers {
        letters.push((
            step.template_name(&def.templates),
            step.id.as_str(),
            Some(&original),
        ));
    }
    for (template, step, original) in letters {
        let which = super::letters::Which {
            template,
            step,
            original,
            working_days_overdue: 1,
            chase: None,
            text: None,
            enclosures: &[],
        };
        compose_letter(&composer, def, &row, which)?;
    }
    Ok(())
}

fn render_request(
    app: &App,
    renderer: &Renderer,
    round: &Round,
    r: &RequestRow,
) -> Result<super::letters::Composed, LetterError> {
    let composer = super::letters::Composer {
        renderer,
        calendar: &app.calendar.get(),
        now: app.clock.now(),
        reply_to_pattern: &app.config.send.reply_to_pattern,
    };
    let which = super::letters::Which {
        template: round.def.templates.request.get_ref(),
        step: MessageKind::Request.as_str(),
        original: None,
        working_days_overdue: 0,
        chase: None,
        text: None,
        enclosures: &[],
    };
    compose_letter(&composer, &round.def, r, which)
}

/// What a launch or preview covers.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Plan {
    pub round: String,
    pub bodies: usize,
    pub to_send: Vec<String>,
    pub already_queued_or_sent: usize,
    pub missing_address: Vec<String>,
    pub unverified_address: Vec<String>,
}

async fn plan_and_render(
    app: &App,
    slug: &str,
) -> Result<(Round, Plan, Vec<(RequestRow, super::letters::Composed)>), RoundServiceError> {
    let mut letters = Vec::new();
    let (round, plan) = plan_each(app, slug, |r, c| {
        letters.push((r, c));
        Ok(())
    })
    .await?;
    Ok((round, plan, letters))
}

/// Plans a launch and renders each letter that would go, handing each to `each` as it is
/// rendered: a launch of 100,000 letters keeps what the outbox needs of each, not every
/// rendered letter at once.
async fn plan_each(
    app: &App,
    slug: &str,
    mut each: impl FnMut(RequestRow, super::letters::Composed) -> Result<(), RoundServiceError>,
) -> Result<(Round, Plan), RoundServiceError> {
    let round = rounds::find(&app.db, slug).await?;
    if round.def.kind == RoundKind::Desk {
        return Err(RoundServiceError::Desk(slug.into()));
    }
    if let Some(why) = history_reason(app, &round).await? {
        return Err(RoundServiceError::History(why));
    }
    let renderer = app.renderer()?;
    let reqs = rounds::requests(&app.db, round.id).await?;
    let mut plan = Plan {
        round: slug.into(),
        bodies: reqs.len(),
        ..Default::default()
    };
    for r in reqs {
        let label = format!(
            "{} {} ({})",
            r.reference, r.authority_name, r.authority_code
        );
        if r.state != RequestState::Draft {
            plan.already_queued_or_sent += 1;
            continue;
        }
        let Some(addr) = r.to_address.clone() else {
            plan.missing_address.push(label);
            continue;
        };
        if !r.email_verified {
            plan.unverified_address.push(format!("{label} <{addr}>"));
        }
        let c = render_request(app, &renderer, &round, &r)?;
        plan.to_send.push(label);
        each(r, c)?;
    }
    Ok((round, plan))
}

/// `foi round preview SLUG --out DIR`: every letter as the `.eml` that would be sent.
pub async fn preview(app: &App, slug: &str, out: &Path) -> Result<Plan, RoundServiceError> {
    let (_, plan, letters) = plan_and_render(app, slug).await?;
    std::fs::create_dir_all(out).map_err(|source| RoundServiceError::Read {
        path: out.display().to_string(),
        source,
    })?;
    for (r, c) in letters {
        let p = out.join(format!("{}.eml", r.reference));
        std::fs::write(&p, &c.raw).map_err(|source| RoundServiceError::Read {
            path: p.display().to_string(),
            source,
        })?;
    }
    Ok(plan)
}

/// Renders every unsent request letter, stores the bytes, and queues them all in one
/// transaction. Letters already queued or sent (same Message-ID) are never queued again.
pub async fn enqueue_round(
    app: &App,
    slug: &str,
    dry_run: bool,
) -> Result<(Plan, usize), RoundServiceError> {
    enqueue(app, slug, dry_run, None).await
}

/// A held launch: the letters are queued to go no sooner than the round's call-back window
/// (`[launch] hold_minutes`, 15 by default) from now, and until then [`cancel_launch`]
/// withdraws them. Returns the plan, how many were queued, and when the first may go.
pub async fn launch_held(
    app: &App,
    slug: &str,
) -> Result<(Plan, usize, chrono::DateTime<chrono::Utc>), RoundServiceError> {
    let round = rounds::find(&app.db, slug).await?;
    let from =
        app.clock.now() + chrono::Duration::minutes(i64::from(round.def.launch.hold_minutes));
    let (plan, n) = enqueue(app, slug, false, Some(from)).await?;
    Ok((plan, n, from))
}

/// Calls a launch back: every request letter of the round not yet handed to the mail server
/// is withdrawn (an event on each request); with none gone, the round is a draft again.
/// Returns how many were withdrawn and the references whose letter had already gone.
pub async fn cancel_launch(
    app: &App,
    slug: &str,
    actor: &str,
) -> Result<(usize, Vec<String>), StoreError> {
    let round = rounds::find(&app.db, slug).await?;
    crate::store::outbox::withdraw_launch(&app.db, round.id, actor, app.clock.now()).await
}

async fn enqueue(
    app: &App,
    slug: &str,
    dry_run: bool,
    not_before: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(Plan, usize), RoundServiceError> {
    // Each letter's bytes are kept as it is rendered and only what the outbox row needs is
    // held; the rows are then queued in one transaction (all or none). Bytes kept for a launch
    // that then fails are harmless: the raw store is addressed by content.
    let raw = app.raw_store();
    let mut items = Vec::new();
    let (round, mut plan) = plan_each(app, slug, |r, c| {
        if dry_run {
            return Ok(());
        }
        let sha = raw.put_opts(&c.raw, false)?;
        let mut item =
            c.into_outbound(r.id, MessageKind::Request, None, sha, OutboundState::Queued);
        item.not_before = not_before;
        items.push(item);
        Ok(())
    })
    .await?;
    if dry_run {
        return Ok((plan, 0));
    }
    let n = outbox::enqueue_many(&app.db, items, &app.actor(), app.clock.now()).await?;
    rounds::mark_launched(&app.db, round.id, app.clock.now()).await?;
    plan.already_queued_or_sent += plan.to_send.len() - n;
    Ok((plan, n))
}

pub use crate::store::rounds::{Created, RequestRow, Round};

/// Every round.
pub async fn list(app: &App) -> Result<Vec<Round>, StoreError> {
    rounds::list(&app.db).await
}

/// The round called `slug`.
pub async fn find(app: &App, slug: &str) -> Result<Round, StoreError> {
    rounds::find(&app.db, slug).await
}

/// The round a request belongs to.
pub async fn round_of(app: &App, request: &RequestRow) -> Result<Round, StoreError> {
    rounds::find_by_id(&app.db, request.round_id).await
}

/// Every request of a round with its body, by body code.
pub async fn requests(app: &App, round_id: i32) -> Result<Vec<RequestRow>, StoreError> {
    rounds::requests(&app.db, round_id).await
}

/// One request by its reference.
pub async fn request(
    app: &App,
    reference: &crate::domain::ids::Reference,
) -> Result<RequestRow, StoreError> {
    rounds::request_by_ref(&app.db, reference).await
}

/// How many of a round's requests are in each state, and how many are overdue today.
pub async fn state_counts(
    app: &App,
    round_id: i32,
) -> Result<(Vec<(RequestState, u64)>, u64), StoreError> {
    crate::store::board::state_counts(&app.db, round_id, app.clock.today()).await
}

/// What the dashboard's launch page shows before anything goes: the plan (who, with the
/// flagged addresses), one letter exactly as it will go (for the body chosen, else the
/// first), when the first and the last letter would go, and the call-back window.
#[derive(Debug, Clone, Serialize)]
pub struct LaunchReview {
    pub plan: Plan,
    /// (reference, body) of every letter that would go, to choose the one shown.
    pub bodies: Vec<(String, String)>,
    pub sample: Option<SampleLetter>,
    pub hold_minutes: u32,
    /// When the first letter may go (after the window) and the last would, at the throttle.
    pub first_at: chrono::DateTime<chrono::Utc>,
    pub last_at: chrono::DateTime<chrono::Utc>,
    /// The send window and days, in words, when one is set.
    pub window: Option<String>,
}

/// One request letter as it will go.
#[derive(Debug, Clone, Serialize)]
pub struct SampleLetter {
    pub reference: String,
    pub body: String,
    pub to: String,
    pub subject: String,
    /// The header block exactly as it will be sent.
    pub headers: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (its source).
    pub html: String,
}

impl SampleLetter {
    fn of(r: &RequestRow, c: &super::letters::Composed) -> SampleLetter {
        let raw = String::from_utf8_lossy(&c.raw);
        let headers = raw
            .split_once("\r\n\r\n")
            .or_else(|| raw.split_once("\n\n"))
            .map(|(h, _)| h.replace("\r\n", "\n"))
            .unwrap_or_default();
        SampleLetter {
            reference: r.reference.to_string(),
            body: r.authority_name.clone(),
            to: c.to.to_string(),
            subject: c.subject.clone(),
            headers,
            text: c.text.clone(),
            html: c.html.clone(),
        }
    }
}

/// One page of every letter a draft round will send, as each will go.
#[derive(Debug, Clone, Serialize)]
pub struct LettersPage {
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub letters: Vec<SampleLetter>,
    /// Bodies without an FOI address (no letter can go to them).
    pub missing_address: Vec<String>,
}

/// Letters `page` (from 1) of a draft round, `per_page` at a time, in reference order.
pub async fn letters_page(
    app: &App,
    slug: &str,
    page: usize,
    per_page: usize,
) -> Result<LettersPage, RoundServiceError> {
    let (_, plan, letters) = plan_and_render(app, slug).await?;
    let per_page = per_page.max(1);
    let pages = letters.len().div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    Ok(LettersPage {
        total: letters.len(),
        page,
        pages,
        letters: letters
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|(r, c)| SampleLetter::of(r, c))
            .collect(),
        missing_address: plan.missing_address,
    })
}

/// Every letter of a draft round as `.eml` files in a ZIP archive (`REFERENCE.eml`).
pub async fn letters_zip(app: &App, slug: &str) -> Result<Vec<u8>, RoundServiceError> {
    let (_, _, letters) = plan_and_render(app, slug).await?;
    let entries: Vec<super::bundle::Entry> = letters
        .into_iter()
        .map(|(r, c)| super::bundle::Entry {
            path: format!("{}.eml", r.reference),
            bytes: c.raw,
        })
        .collect();
    super::bundle::zip(&entries).map_err(|e| RoundServiceError::Read {
        path: format!("{slug} letters"),
        source: std::io::Error::other(e.to_string()),
    })
}

pub async fn launch_review(
    app: &App,
    slug: &str,
    pick: Option<&str>,
) -> Result<LaunchReview, RoundServiceError> {
    let (round, plan, letters) = plan_and_render(app, slug).await?;
    let bodies: Vec<(String, String)> = letters
        .iter()
        .map(|(r, _)| (r.reference.to_string(), r.authority_name.clone()))
        .collect();
    let chosen = letters
        .iter()
        .find(|(r, _)| Some(r.reference.as_str()) == pick)
        .or(letters.first());
    let sample = chosen.map(|(r, c)| SampleLetter::of(r, c));
    let hold = round.def.launch.hold_minutes;
    let first_at = app.clock.now() + chrono::Duration::minutes(i64::from(hold));
    let per_minute = round
        .def
        .throttle
        .per_minute
        .unwrap_or(app.config.send.per_minute);
    let spread = match (per_minute, letters.len()) {
        (0, _) | (_, 0) => chrono::Duration::zero(),
        (pm, n) => chrono::Duration::seconds(((n as i64 - 1) * 60) / i64::from(pm)),
    };
    let s = &app.config.send;
    let window = (!s.window_start.is_empty() || s.weekdays_only).then(|| {
        let hours = if s.window_start.is_empty() {
            "at any time".to_string()
        } else {
            format!("between {} and {}", s.window_start, s.window_end)
        };
        format!(
            "letters go {hours}{}, so they may wait for the window",
            if s.weekdays_only { " on weekdays" } else { "" }
        )
    });
    Ok(LaunchReview {
        plan,
        bodies,
        sample,
        hold_minutes: hold,
        first_at,
        last_at: first_at + spread,
        window,
    })
}

/// The round's request letters queued and still held (not yet due): the call-back window is
/// open until the returned moment.
pub async fn held_until(
    app: &App,
    slug: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let round = rounds::find(&app.db, slug).await?;
    crate::store::outbox::held_until(&app.db, round.id, app.clock.now()).await
}

/// The request letter a draft request will send, exactly as it will go; `None` once it has
/// been queued, for a desk-research round, or when the body has no FOI address.
pub async fn draft_letter(
    app: &App,
    req: &RequestRow,
) -> Result<Option<SampleLetter>, RoundServiceError> {
    let round = rounds::find_by_id(&app.db, req.round_id).await?;
    if req.state != RequestState::Draft || round.def.kind == RoundKind::Desk {
        return Ok(None);
    }
    if req.to_address.is_none() || round.def.launched_on.is_some() {
        return Ok(None);
    }
    let renderer = app.renderer()?;
    let c = render_request(app, &renderer, &round, req)?;
    Ok(Some(SampleLetter::of(req, &c)))
}

/// The round as a round file (`foi round export`): the definition the round was made from, so
/// `foi round create` makes the same round from it (the same letters, byte for byte apart
/// from Message-ID and Date).
pub async fn export(app: &App, slug: &str) -> Result<String, StoreError> {
    rounds::definition_text(&app.db, slug).await
}
