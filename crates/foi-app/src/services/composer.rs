//! Making and editing a round in the dashboard: start from a blank page, a shipped round or
//! an earlier round ("Repeat a round"), check the form exactly as a round file is checked, and
//! save it as a draft (every save an event). See `domain::composer` for how the form becomes
//! a round file and how a problem finds its field.

use super::rounds::{self as round_service, RoundServiceError};
use crate::app::App;
use crate::domain::composer::{self, Composition, FieldProblem};
use crate::domain::event::EventKind;
use crate::domain::register::Authority;
use crate::domain::round::{RoundDef, RoundKind};
use crate::outbound::render::TemplateError;
use crate::store::{authorities, events, rounds, StoreError};
use serde::Serialize;

/// The shipped round files, for "start from a shipped round".
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "msk-2026",
        include_str!("../../../../config/rounds/msk-2026.toml"),
    ),
    (
        "arma-msk-2024",
        include_str!("../../../../config/rounds/arma-msk-2024.toml"),
    ),
    (
        "arma-jfp-2025",
        include_str!("../../../../config/rounds/arma-jfp-2025.toml"),
    ),
];

/// A blank round: what the form starts from when nothing is chosen (read as a desk round,
/// which needs no requester or questions yet, then made a letters round).
const BLANK: &str = r#"
slug = "new-round"
title = ""
register = ""
kind = "desk"
"#;

/// Where a composition starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Blank,
    /// A shipped round file, by its name (`msk-2026`).
    Shipped(String),
    /// A copy of an earlier round's questions, letters, codebook and report wording.
    Repeat(String),
    /// The draft round itself.
    Edit(String),
}

impl Start {
    /// From the form's hidden `from` field: `blank`, `shipped:NAME`, `repeat:SLUG`,
    /// `edit:SLUG`.
    pub fn parse(s: &str) -> Start {
        match s.split_once(':') {
            Some(("shipped", n)) => Start::Shipped(n.into()),
            Some(("repeat", n)) => Start::Repeat(n.into()),
            Some(("edit", n)) => Start::Edit(n.into()),
            _ => Start::Blank,
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            Start::Blank => "blank".into(),
            Start::Shipped(n) => format!("shipped:{n}"),
            Start::Repeat(n) => format!("repeat:{n}"),
            Start::Edit(n) => format!("edit:{n}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// Problems with the form, each naming its field: nothing was saved.
    #[error("{} problem(s); nothing was saved", .0.len())]
    Fields(Vec<FieldProblem>),
    #[error(transparent)]
    Round(#[from] RoundServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// The definition a start gives, before the form's values are applied.
pub async fn base(app: &App, start: &Start) -> Result<RoundDef, ComposeError> {
    let parse = |text: &str, name: &str| {
        RoundDef::parse(text, name, &|_| true)
            .map_err(|e| ComposeError::Round(RoundServiceError::Definition(e)))
    };
    let mut def = match start {
        Start::Blank => parse(BLANK, "blank")?,
        Start::Shipped(name) => {
            let text = SHIPPED
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| *t)
                .ok_or_else(|| StoreError::NotFound(format!("no shipped round `{name}`")))?;
            parse(text, name)?
        }
        Start::Repeat(slug) => rounds::find(&app.db, slug).await?.def,
        Start::Edit(slug) => {
            let round = rounds::find(&app.db, slug).await?;
            if round.launched_at.is_some() || round.def.launched_on.is_some() {
                return Err(ComposeError::Round(RoundServiceError::History(format!(
                    "round {slug} has been launched: only a draft can be edited. \"Repeat a round\" makes a new one from it"
                ))));
            }
            round.def
        }
    };
    if matches!(start, Start::Blank) {
        def.kind = RoundKind::Letters;
        def.title.clear();
        def.chasers = Vec::new();
    }
    if matches!(start, Start::Repeat(_) | Start::Shipped(_)) {
        // A new round: its own slug, title, register and bodies; the old round's description
        // (shown on its publication) and launch date never carry over.
        def.title = format!("{} (repeat)", def.title);
        def.description = None;
        def.launched_on = None;
        def.bodies = None;
        if def.kind == RoundKind::Historical {
            def.kind = RoundKind::Letters;
        }
        let registers = authorities::registers(&app.db).await?;
        if let Some(newest) = registers.iter().max() {
            def.set_register(newest);
        }
    }
    Ok(def)
}

/// The form's values for a start (a blank round gets today's chaser ladder).
pub async fn form(app: &App, start: &Start) -> Result<Composition, ComposeError> {
    let def = base(app, start).await?;
    let renderer = app.renderer()?;
    let mut form = Composition::of(&def, &|n| renderer.letter_source(n));
    match start {
        Start::Blank => {
            form.chasers = composer::default_ladder();
            form.slug.clear();
            form.reference_prefix.clear();
            if form.questions.is_empty() {
                form.questions.push(Default::default());
            }
        }
        Start::Shipped(_) | Start::Repeat(_) => {
            form.slug = composer::slug_of(&form.title);
            form.reference_prefix = composer::prefix_of(&form.title);
        }
        Start::Edit(_) => {}
    }
    Ok(form)
}

/// What a save did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Saved {
    pub slug: String,
    /// `made` or `edited`.
    pub what: &'static str,
    pub requests: usize,
}

/// Checks the form as a round file is checked and, when nothing is wrong, saves it: a new
/// draft round (one `round_composed` event) or the draft's new definition (one
/// `round_edited` event). On any problem nothing is saved.
pub async fn save(
    app: &App,
    start: &Start,
    form: &Composition,
    actor: &str,
) -> Result<Saved, ComposeError> {
    let (def, text) = check(app, start, form).await?;
    let now = app.clock.now();
    match start {
        Start::Edit(slug) => {
            let round = rounds::find(&app.db, slug).await?;
            let note = what_changed(&round.def, &def);
            let r =
                rounds::replace_draft(&app.db, round.id, &def, &text, actor, now, &note).await?;
            Ok(Saved {
                slug: slug.clone(),
                what: "edited",
                requests: r.kept + r.added,
            })
        }
        _ => {
            let created = rounds::create(&app.db, &def, &text, actor, now).await?;
            let note = format!("round {} made ({})", def.slug(), start.as_string());
            made(app, &def, created, &note, actor).await
        }
    }
}

/// A new draft round's `round_composed` event, and what was saved.
async fn made(
    app: &App,
    def: &RoundDef,
    created: rounds::Created,
    note: &str,
    actor: &str,
) -> Result<Saved, ComposeError> {
    events::append(
        &app.db,
        events::NewEvent {
            actor: actor.to_string(),
            kind: EventKind::RoundComposed,
            note: Some(note.to_string()),
            data: Some(serde_json::json!({ "round": def.slug() })),
            ..Default::default()
        },
        app.clock.now(),
    )
    .await?;
    Ok(Saved {
        slug: def.slug().to_string(),
        what: "made",
        requests: match created {
            rounds::Created::New { requests } => requests,
            rounds::Created::AlreadyExists => 0,
        },
    })
}

/// A round file given in the dashboard: checked as `foi round create` checks it,
/// then made as a draft, with a `round_composed` event.
pub async fn import(
    app: &App,
    name: &str,
    bytes: &[u8],
    actor: &str,
) -> Result<Saved, ComposeError> {
    let (def, created) = round_service::create_round_from(app, bytes, name).await?;
    let note = format!("round {} made from the round file {name}", def.slug());
    made(app, &def, created, &note, actor).await
}

/// The form applied, written and checked: the definition and its round file, or every
/// problem by field.
pub async fn check(
    app: &App,
    start: &Start,
    form: &Composition,
) -> Result<(RoundDef, String), ComposeError> {
    let renderer = app.renderer()?;
    let mut def = base(app, start).await?;
    let mut problems = form.apply(&mut def, &|n| renderer.letter_source(n));
    let text = composer::write(&def);
    let by_line = |line: Option<usize>| {
        line.and_then(|l| composer::field_at_line(&text, l))
            .unwrap_or_default()
    };
    let def = match RoundDef::parse(&text, "the round", &|t| renderer.has_letter(t)) {
        Ok(def) => def,
        Err(errs) => {
            problems.extend(errs.into_iter().map(|e| FieldProblem {
                field: by_line(e.line),
                message: e.message,
            }));
            return Err(ComposeError::Fields(problems));
        }
    };
    problems.extend(against_the_database(app, start, &def).await?);
    if problems.is_empty() && def.kind != RoundKind::Desk {
        if let Err(e) = round_service::preflight(app, &def).await {
            problems.push(letter_problem(e));
        }
    }
    if problems.is_empty() {
        Ok((def, text))
    } else {
        Err(ComposeError::Fields(problems))
    }
}

/// A letter that does not render, beside the letter's field.
fn letter_problem(e: RoundServiceError) -> FieldProblem {
    let inline = |t: &TemplateError| match t {
        TemplateError::Inline {
            letter,
            part,
            line,
            message,
        } => Some(FieldProblem {
            field: format!("letters.{}.{part}", letter.replace(' ', "_")),
            message: match line {
                Some(l) => format!("line {l}: {message}"),
                None => message.clone(),
            },
        }),
        _ => None,
    };
    let found = match &e {
        RoundServiceError::Template(t) => inline(t),
        RoundServiceError::Letter(super::letters::LetterError::Template(t)) => inline(t),
        _ => None,
    };
    found.unwrap_or_else(|| FieldProblem {
        field: String::new(),
        message: e.to_string(),
    })
}

/// What only the database can say: the register exists, the chosen bodies are in it and
/// not abolished, the slug and reference prefix are not another round's.
async fn against_the_database(
    app: &App,
    start: &Start,
    def: &RoundDef,
) -> Result<Vec<FieldProblem>, StoreError> {
    let mut out = Vec::new();
    let p = |field: &str, message: String| FieldProblem {
        field: field.into(),
        message,
    };
    let editing = match start {
        Start::Edit(s) => Some(s.as_str()),
        _ => None,
    };
    let all = rounds::list(&app.db).await?;
    if editing != Some(def.slug()) && all.iter().any(|r| r.slug == def.slug()) {
        out.push(p(
            "slug",
            format!("`{}` is already a round's; choose another", def.slug()),
        ));
    }
    let prefix = def.reference_prefix.clone().unwrap_or_default();
    if let Some(other) = all.iter().find(|r| {
        Some(r.slug.as_str()) != editing
            && r.def.reference_prefix.as_deref() == Some(prefix.as_str())
    }) {
        out.push(p(
            "reference_prefix",
            format!(
                "`{prefix}` is round `{}`'s prefix; choose another",
                other.slug
            ),
        ));
    }
    let registers = authorities::registers(&app.db).await?;
    if !registers.iter().any(|r| r == def.register()) {
        out.push(p(
            "register",
            format!(
                "choose a register ({})",
                if registers.is_empty() {
                    "none loaded yet: add one on the registers page".to_string()
                } else {
                    registers.join(", ")
                }
            ),
        ));
        return Ok(out);
    }
    let bodies = authorities::list(&app.db, Some(def.register())).await?;
    out.extend(body_problems(def, &bodies));
    Ok(out)
}

/// The chosen bodies are in the register and none is abolished (naming its successors);
/// with every body chosen, the register has no abolished body.
fn body_problems(def: &RoundDef, bodies: &[Authority]) -> Vec<FieldProblem> {
    let p = |message: String| FieldProblem {
        field: "bodies".into(),
        message,
    };
    let Some(chosen) = &def.bodies else {
        return bodies
            .iter()
            .find(|b| !b.record.successors.is_empty())
            .map(|b| {
                p(format!(
                    "{} has abolished bodies ({} became {}): choose the bodies, or a newer register",
                    def.register(),
                    b.record.code,
                    b.record.successors.join(", ")
                ))
            })
            .into_iter()
            .collect();
    };
    let mut out = Vec::new();
    if chosen.is_empty() {
        out.push(p("choose at least one body".into()));
    }
    for code in chosen {
        match bodies
            .iter()
            .find(|b| b.record.code.eq_ignore_ascii_case(code))
        {
            None => out.push(p(format!("`{code}` is not a body of {}", def.register()))),
            Some(b) if !b.record.successors.is_empty() => out.push(p(format!(
                "{} ({}) was abolished; write to its successor{} {} instead",
                b.record.name,
                b.record.code,
                if b.record.successors.len() > 1 {
                    "s"
                } else {
                    ""
                },
                b.record.successors.join(", ")
            ))),
            Some(_) => {}
        }
    }
    out
}

/// In words, what an edit changed (the `round_edited` event's note).
fn what_changed(old: &RoundDef, new: &RoundDef) -> String {
    let mut parts = Vec::new();
    let mut diff = |name: &str, same: bool| {
        if !same {
            parts.push(name.to_string());
        }
    };
    diff("title", old.title == new.title);
    diff(
        "reference prefix",
        old.reference_prefix == new.reference_prefix,
    );
    diff("register", old.register() == new.register());
    diff("bodies", old.bodies == new.bodies);
    diff("requester", old.requester == new.requester);
    diff("questions", old.questions == new.questions);
    diff("letters", old.letters == new.letters);
    diff("chaser ladder", old.chasers == new.chasers);
    diff("throttle", old.throttle == new.throttle);
    diff("codebook", old.codebook == new.codebook);
    diff("report", old.report == new.report);
    diff("publication", old.publish == new.publish);
    diff("launch window", old.launch == new.launch);
    if parts.is_empty() {
        "saved without changes".into()
    } else {
        format!("changed: {}", parts.join(", "))
    }
}

/// Every change to a round's definition (made, edited), oldest first.
pub async fn history(app: &App, slug: &str) -> Result<Vec<events::Event>, StoreError> {
    events::for_round(&app.db, slug).await
}
