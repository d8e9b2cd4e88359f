//! `foi round create|list|preview|launch`, `foi send`.

use crate::app::{App, Globals};
use crate::domain::request::RequestState;
use crate::outbound::worker::{self, Mode, Throttle};
use crate::output::{self, Format};
use crate::services::rounds as svc;
use crate::services::rounds::{self, Created};
use anyhow::Context;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum RoundCommand {
    /// Validate a round file and create one request per body of its register
    Create { file: PathBuf },
    /// Write the round as a round file that `foi round create` turns back into the same round
    /// (to standard output, or --out FILE)
    Export {
        slug: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write one letter to many bodies, each threaded into its own request: foi round write
    /// SLUG --filter overdue --kind follow_up --text-file letter.txt ({{body}}, {{reference}},
    /// {{sent_on}} and {{due_on}} are filled for each); shows the count and the first letter,
    /// --yes queues them all
    Write {
        slug: String,
        /// Every request this board filter shows today: all, overdue, classify, coding, answered
        #[arg(long, conflicts_with = "refs")]
        filter: Option<String>,
        /// These references, comma-separated
        #[arg(long, value_delimiter = ',')]
        refs: Vec<crate::domain::ids::Reference>,
        #[arg(long, value_parser = |s: &str| s.parse::<crate::domain::correspondence::WriteKind>())]
        kind: crate::domain::correspondence::WriteKind,
        #[arg(long)]
        text_file: PathBuf,
        /// Queue them (without: show what would go and change nothing)
        #[arg(long)]
        yes: bool,
    },
    /// List rounds with counts by state
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write every letter as the .eml that would be sent, and summarise
    Preview {
        slug: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Record the public document a desk-research entry is coded from: its web address (then
    /// `foi round fetch` keeps a copy) or a file the team already has (kept now)
    Source {
        slug: String,
        /// Body code, e.g. QHM
        code: String,
        /// https://… address, or the path of a file (PDF, Word …)
        url: String,
        #[arg(long)]
        title: Option<String>,
    },
    /// Fetch and keep each body's source document (every distinct version is kept; failures
    /// are recorded and tried again next time)
    Fetch {
        slug: String,
        /// Only this body
        #[arg(long)]
        code: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Queue every unsent request letter (one transaction) and deliver them
    Launch {
        slug: String,
        /// Show what would be sent; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
        /// Queue only; `foi send` or `foi serve` delivers
        #[arg(long)]
        enqueue_only: bool,
        /// Queue with the round's call-back window (`[launch] hold_minutes`, 15 by default):
        /// nothing goes before it ends, and `foi round cancel` calls the launch back until then
        #[arg(long, conflicts_with = "dry_run")]
        hold: bool,
    },
    /// Call a launch back: withdraw every request letter not yet handed to the mail server
    /// and make the round a draft again (letters already sent stay sent, and are listed)
    Cancel { slug: String },
}

fn print_plan(p: &svc::Plan) {
    println!(
        "round {}: {} bodies; {} letter(s) to send; {} already queued or sent; {} without an address; {} with an unverified address",
        p.round,
        p.bodies,
        p.to_send.len(),
        p.already_queued_or_sent,
        p.missing_address.len(),
        p.unverified_address.len()
    );
    for m in &p.missing_address {
        println!("  skipped, no FOI address: {m}");
    }
}

pub async fn run(g: &Globals, cmd: RoundCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        RoundCommand::Export { slug, out } => {
            let text = svc::export(&app, &slug).await?;
            match out {
                Some(path) => {
                    std::fs::write(&path, &text)
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                    println!("round {slug} written to {}", path.display());
                }
                None => print!("{text}"),
            }
        }
        RoundCommand::Create { file } => {
            let (def, created) = svc::create_round(&app, &file).await?;
            match created {
                Created::New { requests } => println!(
                    "round {} created: {requests} requests ({})",
                    def.slug(),
                    def.register()
                ),
                Created::AlreadyExists => println!(
                    "round {} already exists with this definition; nothing changed",
                    def.slug()
                ),
            }
        }
        RoundCommand::List { format } => list(&app, format).await?,
        RoundCommand::Source {
            slug,
            code,
            url,
            title,
        } => source(&app, &slug, &code, &url, title).await?,
        RoundCommand::Fetch { slug, code, format } => fetch(&app, &slug, code, format).await?,
        RoundCommand::Write {
            slug,
            filter,
            refs,
            kind,
            text_file,
            yes,
        } => {
            use crate::services::correspondence::{self as write, Chosen};
            let chosen = match filter {
                Some(f) => Chosen::Filter(crate::domain::board::Filter::parse(&f)),
                None if !refs.is_empty() => Chosen::Refs(refs),
                None => anyhow::bail!("choose the requests: --filter FILTER or --refs A,B,…"),
            };
            let text = std::fs::read_to_string(&text_file).map_err(|e| {
                anyhow::anyhow!("cannot read {} as UTF-8 text: {e}", text_file.display())
            })?;
            if yes {
                let n = write::write_many(&app, &slug, &chosen, kind, &text, &app.actor()).await?;
                println!("{n} letter(s) queued, each in its own request's thread; foi send or foi serve delivers them");
            } else {
                let p = write::preview_many(&app, &slug, &chosen, kind, &text).await?;
                println!(
                    "{} letter(s), to: {}\n\nThe first ({}):\nTo: {}\nSubject: {}\n\n{}\n\n{}\nNothing was queued: add --yes to send them.",
                    p.count,
                    p.references.join(", "),
                    p.sample_body,
                    p.sample.to,
                    p.sample.subject,
                    p.sample.text,
                    p.sample.effect
                );
            }
        }
        RoundCommand::Preview { slug, out } => {
            let plan = svc::preview(&app, &slug, &out).await?;
            print_plan(&plan);
            println!(
                "{} letter(s) written to {}",
                plan.to_send.len(),
                out.display()
            );
        }
        RoundCommand::Launch {
            slug,
            dry_run,
            yes,
            enqueue_only,
            hold,
        } => {
            if hold {
                if !yes {
                    anyhow::bail!("add --yes to launch with a call-back window (foi round launch SLUG --dry-run shows what would go)");
                }
                let (plan, n, from) = svc::launch_held(&app, &slug).await?;
                print_plan(&plan);
                println!(
                    "{n} letter(s) queued; none goes before {} (call it back until then: foi round cancel {slug})",
                    crate::domain::dates::moment(from)
                );
            } else {
                launch(&app, &slug, dry_run, yes, enqueue_only).await?
            }
        }
        RoundCommand::Cancel { slug } => {
            let (n, gone) = svc::cancel_launch(&app, &slug, &app.actor()).await?;
            println!("{n} letter(s) withdrawn before they went");
            if gone.is_empty() {
                println!("round {slug} is a draft again");
            } else {
                println!(
                    "{} letter(s) had already gone (or are going) and stay sent: {}",
                    gone.len(),
                    gone.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// `foi round list`: every round with its requests counted by state.
async fn list(app: &App, format: Format) -> anyhow::Result<()> {
    let list = rounds::list(app).await?;
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for r in list {
        let reqs = rounds::requests(app, r.id).await?;
        let mut by: BTreeMap<RequestState, usize> = BTreeMap::new();
        for q in &reqs {
            *by.entry(q.state).or_default() += 1;
        }
        let states = by
            .iter()
            .map(|(s, n)| format!("{s}={n}"))
            .collect::<Vec<_>>()
            .join(" ");
        rows.push(vec![
            r.slug.clone(),
            r.kind.clone(),
            r.register.clone(),
            reqs.len().to_string(),
            states.clone(),
            r.title.clone(),
        ]);
        items.push(serde_json::json!({"slug": r.slug, "kind": r.kind, "register": r.register, "requests": reqs.len(),
            "states": by.iter().map(|(s, n)| (s.as_str().to_string(), *n)).collect::<BTreeMap<_, _>>(), "title": r.title,
            "launched_at": r.launched_at.map(|t| t.to_rfc3339())}));
    }
    print!(
        "{}",
        output::render(
            format,
            &["slug", "kind", "register", "requests", "states", "title"],
            &rows,
            &items
        )
    );
    Ok(())
}

/// `foi round source SLUG CODE URL|FILE`: a web address is recorded (and fetched later); a
/// file the team has is kept at once.
async fn source(
    app: &App,
    slug: &str,
    code: &str,
    url: &str,
    title: Option<String>,
) -> anyhow::Result<()> {
    let is_web = url.to_ascii_lowercase().starts_with("http://")
        || url.to_ascii_lowercase().starts_with("https://");
    let path = std::path::Path::new(&url);
    if !is_web && path.is_file() {
        let line =
            crate::services::sources::add_file(app, slug, code, path, title.as_deref()).await?;
        println!("{slug}: {}: {}", line.code, line.note);
    } else if !is_web && !url.contains("://") {
        anyhow::bail!(
            "`{url}` is not a web address: only http:// and https:// links are kept (or give the path of a file that exists)"
        );
    } else {
        crate::services::findings::record_source(app, slug, code, url, title.as_deref()).await?;
        println!("{slug}: source recorded for {code}; `foi round fetch {slug} --code {code}` keeps a copy");
    }
    Ok(())
}

/// `foi round fetch SLUG [--code CODE]`.
async fn fetch(app: &App, slug: &str, code: Option<String>, format: Format) -> anyhow::Result<()> {
    let pb = ProgressBar::new_spinner();
    let s = crate::services::sources::fetch_round(app, slug, code.as_deref(), |c| {
        pb.set_message(format!("fetching {c}"))
    })
    .await?;
    pb.finish_and_clear();
    let rows: Vec<Vec<String>> = s
        .lines
        .iter()
        .map(|l| {
            vec![
                l.code.clone(),
                l.outcome.as_str().to_string(),
                l.note.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::render(format, &["code", "outcome", "note"], &rows, &s.lines)
    );
    if format == Format::Table {
        println!("{}", s.line());
        if s.kept > 0 {
            println!("`foi extract` reads the new documents now (`foi serve` does it on its own).");
        }
    }
    Ok(())
}

/// `foi round launch SLUG [--dry-run] [--yes] [--enqueue-only]`.
async fn launch(
    app: &App,
    slug: &str,
    dry_run: bool,
    yes: bool,
    enqueue_only: bool,
) -> anyhow::Result<()> {
    if dry_run {
        let (plan, _) = svc::enqueue_round(app, slug, true).await?;
        print_plan(&plan);
        for s in &plan.to_send {
            println!("  would send: {s}");
        }
        return Ok(());
    }
    if !yes {
        let (plan, _) = svc::enqueue_round(app, slug, true).await?;
        print_plan(&plan);
        if !std::io::stdin().is_terminal() {
            anyhow::bail!("not a terminal: add --yes to launch without confirmation");
        }
        eprint!("Send {} letter(s)? [y/N] ", plan.to_send.len());
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("nothing sent");
            return Ok(());
        }
    }
    let (plan, n) = svc::enqueue_round(app, slug, false).await?;
    print_plan(&plan);
    println!("{n} letter(s) queued");
    if !enqueue_only {
        let round = rounds::find(app, slug).await?;
        let mut throttle = Throttle::from_config(&app.config.send)?;
        if let Some(pm) = round.def.throttle.per_minute {
            throttle.per_minute = pm;
        }
        if let Some(pd) = round.def.throttle.per_day {
            throttle.per_day = pd;
        }
        deliver_foreground(app, &throttle).await?;
    }
    Ok(())
}

/// Delivers the outbox in the foreground with a progress bar; Ctrl-C stops after the send in
/// flight.
pub(crate) async fn deliver_foreground(app: &App, throttle: &Throttle) -> anyhow::Result<()> {
    let transport = app.transport()?;
    let delivery = app.delivery();
    let lease = std::time::Duration::from_secs(app.config.smtp.timeout_secs * 2 + 60);
    let (_lock, recovered) = match worker::prepare(&delivery, lease).await {
        Ok(x) => x,
        Err(worker::DeliveryError::Busy(p)) => {
            println!("another foi process is delivering ({p}); it will send the queued letters");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    if recovered > 0 {
        println!("{recovered} message(s) found mid-send after a crash are now `uncertain`: see `foi outbox`");
    }
    let queued =
        crate::services::outbox::count(app, crate::domain::message::OutboundState::Queued).await?;
    let pb = ProgressBar::new(queued);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} sent, {per_sec}, ETA {eta}")
            .context("progress style")?,
    );
    let (tx, rx) = tokio::sync::watch::channel(false);
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(true);
        }
    });
    println!("delivering via {}", transport.describe());
    let report = match worker::deliver(
        &delivery,
        &transport,
        throttle,
        Mode::UntilEmpty,
        rx,
        Some(&pb),
    )
    .await
    {
        Ok(r) => r,
        Err(worker::DeliveryError::Mailbox(e)) => {
            ctrl_c.abort();
            pb.finish_and_clear();
            let left =
                crate::services::outbox::count(app, crate::domain::message::OutboundState::Queued)
                    .await?;
            anyhow::bail!("{e}\n{left} letter(s) stay queued; none was marked sent or failed");
        }
        Err(e) => return Err(e.into()),
    };
    ctrl_c.abort();
    pb.finish_and_clear();
    println!(
        "sent {}, bounced {}, failed {}, retried {}",
        report.sent, report.bounced, report.failed, report.retried
    );
    let left =
        crate::services::outbox::count(app, crate::domain::message::OutboundState::Queued).await?;
    if report.gave_up && report.last_error.is_none() {
        println!(
            "{left} message(s) stay queued: they are not due yet (a held launch's call-back window, or a retry later); `foi send` then, or `foi serve` sends them on its own"
        );
    } else if report.gave_up {
        println!(
            "{left} message(s) stay queued for a later retry: the mail server did not take them ({}). Check [smtp] host, port and security, and that the server accepts connections from here; `foi send` again later, or `foi serve` retries on its own",
            report.last_error.as_deref().unwrap_or("no answer")
        );
    } else if left > 0 {
        println!(
            "{left} message(s) still queued (outside the send window or over the daily limit); `foi serve` sends them when allowed"
        );
    }
    Ok(())
}
