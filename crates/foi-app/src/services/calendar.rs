//! The calendar in force, and keeping it lawful: the shipped gov.uk data, or a refresh stored
//! in the data directory (`foi calendar update`, or weekly from `foi serve`). A refresh that
//! adds or removes a bank holiday moves the due dates of the open requests whose window it
//! falls in, each with an event saying why, in one transaction.

use crate::app::App;
use crate::domain::calendar::{
    Calendar, CalendarError, Holiday, FOIA_RESPONSE_DAYS, INTERNAL_REVIEW_DAYS,
};
use crate::domain::holidays::{self, Diff};
use crate::domain::request::RequestState;
use crate::store::changes::{self, DueChange};
use crate::store::rounds;
use crate::store::{events, StoreError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// When the shipped data was last refreshed (from gov.uk, plus Scotland's 15 June 2026 from
/// the Royal Proclamation of 4 February 2026): see `config/calendars/SOURCE.md`.
pub(crate) const SHIPPED_REFRESHED: &str = "2026-11-25";
/// A calendar older than this is flagged on `/health` and the dashboard.
pub(crate) const STALE_AFTER_DAYS: i64 = 90;
/// The largest file accepted from a source.
const MAX_BYTES: usize = 5 * 1024 * 1024;

fn file(data_dir: &Path) -> PathBuf {
    crate::store::calendar_file::path(data_dir)
}

fn meta_file(data_dir: &Path) -> PathBuf {
    data_dir.join("calendar").join("refreshed.json")
}

pub use crate::store::calendar_file::{load, CalendarFileError};

/// When and from where the calendar in force was refreshed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refreshed {
    pub on: NaiveDate,
    pub source: String,
}

pub fn refreshed(data_dir: &Path) -> Refreshed {
    std::fs::read_to_string(meta_file(data_dir))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| Refreshed {
            on: SHIPPED_REFRESHED.parse().expect("a valid date"),
            source: "shipped with foi (config/calendars/uk-bank-holidays.csv)".into(),
        })
}

#[derive(Debug, thiserror::Error)]
pub enum CalendarUpdateError {
    #[error("cannot read {source_name}: {message}; nothing changed")]
    Fetch {
        source_name: String,
        message: String,
    },
    #[error(transparent)]
    Invalid(#[from] holidays::UpdateError),
    #[error("cannot store the calendar in {path}: {message}; nothing changed")]
    Write { path: String, message: String },
    #[error("the calendar was stored but the due dates could not be updated ({0}); run `foi calendar update` again")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// What a refresh did.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    pub source: String,
    pub added: Vec<HolidayRow>,
    pub removed: Vec<HolidayRow>,
    pub years: (i32, i32),
    pub moved: Vec<DueChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HolidayRow {
    pub date: NaiveDate,
    pub division: String,
    pub title: String,
}

impl From<&Holiday> for HolidayRow {
    fn from(h: &Holiday) -> HolidayRow {
        HolidayRow {
            date: h.date,
            division: h.division.label().into(),
            title: h.title.clone(),
        }
    }
}

impl UpdateReport {
    pub fn summary(&self) -> String {
        format!(
            "calendar refreshed from {}: {} day(s) added, {} removed; covers {}–{}; {} due date(s) moved",
            self.source,
            self.added.len(),
            self.removed.len(),
            self.years.0,
            self.years.1,
            self.moved.len()
        )
    }
}

async fn fetch(source: &str) -> Result<String, CalendarUpdateError> {
    let err = |message: String| CalendarUpdateError::Fetch {
        source_name: source.into(),
        message,
    };
    if source.starts_with("http://") || source.starts_with("https://") {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("foi/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| err(e.to_string()))?;
        let res = client
            .get(source)
            .send()
            .await
            .map_err(|e| err(e.to_string()))?;
        if !res.status().is_success() {
            return Err(err(format!("the server answered {}", res.status())));
        }
        if res.content_length().is_some_and(|n| n as usize > MAX_BYTES) {
            return Err(err(format!("larger than {MAX_BYTES} bytes")));
        }
        let bytes = res.bytes().await.map_err(|e| err(e.to_string()))?;
        if bytes.len() > MAX_BYTES {
            return Err(err(format!("larger than {MAX_BYTES} bytes")));
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| err("not UTF-8 text".into()))
    } else {
        let meta = std::fs::metadata(source).map_err(|e| err(e.to_string()))?;
        if meta.len() as usize > MAX_BYTES {
            return Err(err(format!("larger than {MAX_BYTES} bytes")));
        }
        std::fs::read_to_string(source).map_err(|e| err(e.to_string()))
    }
}

/// Words for why a window moved: the changed days inside it.
fn reason(diff: &Diff, from: NaiveDate, to: NaiveDate) -> String {
    let within = |h: &&Holiday| h.date > from && h.date <= to;
    let mut parts: Vec<String> = diff
        .added
        .iter()
        .filter(within)
        .map(|h| {
            format!(
                "bank holiday added in {} ({}, {})",
                h.division.label(),
                h.date,
                h.title
            )
        })
        .collect();
    parts.extend(diff.removed.iter().filter(within).map(|h| {
        format!(
            "bank holiday removed in {} ({})",
            h.division.label(),
            h.date
        )
    }));
    if parts.is_empty() {
        "the calendar was refreshed".into()
    } else {
        parts.join("; ")
    }
}

/// The due dates the calendar `cal` gives each open request, where they differ from today's.
async fn changes(
    app: &App,
    cal: &Calendar,
    diff: &Diff,
) -> Result<Vec<DueChange>, CalendarUpdateError> {
    let mut out = Vec::new();
    for round in rounds::list(&app.db).await? {
        let reqs = rounds::requests(&app.db, round.id).await?;
        let ids: Vec<i32> = reqs.iter().map(|r| r.id).collect();
        let review_asked: std::collections::HashMap<i32, NaiveDate> =
            events::for_requests(&app.db, &ids)
                .await?
                .into_iter()
                .filter(|e| {
                    e.event.to_state.as_deref()
                        == Some(RequestState::InternalReviewRequested.as_str())
                })
                .filter_map(|e| Some((e.event.request_id?, e.event.effective_on?)))
                .collect();
        for r in reqs {
            let c = cal.for_regime(r.regime);
            // A body's own extension date (s.10(3)) is its date, not a count: left alone.
            if r.state.awaiting_body() && r.state != RequestState::Extended {
                if let (Some(received), Some(old)) = (r.clocks.received_on, r.clocks.due_on) {
                    let new = c.add_working_days(
                        round.def.receipt.date_of_receipt(&c, received)?,
                        FOIA_RESPONSE_DAYS,
                    )?;
                    if new != old {
                        out.push(DueChange {
                            request_id: r.id,
                            reference: r.reference.to_string(),
                            review: false,
                            from: old,
                            to: new,
                            because: reason(diff, received, old.max(new)),
                        });
                    }
                }
            }
            if r.state == RequestState::InternalReviewRequested {
                if let (Some(asked), Some(old)) = (review_asked.get(&r.id), r.clocks.review_due_on)
                {
                    let new = c.add_working_days(*asked, INTERNAL_REVIEW_DAYS)?;
                    if new != old {
                        out.push(DueChange {
                            request_id: r.id,
                            reference: r.reference.to_string(),
                            review: true,
                            from: old,
                            to: new,
                            because: reason(diff, *asked, old.max(new)),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Refreshes the bank holidays from `source` (a gov.uk-shaped JSON file or URL): checks it,
/// stores it in the data directory, moves the due dates it changes (one transaction, an event
/// on each), and puts it in force. Running it again with the same data changes nothing.
pub async fn update(
    app: &App,
    source: &str,
    actor: &str,
) -> Result<UpdateReport, CalendarUpdateError> {
    let text = fetch(source).await?;
    let file_days = holidays::parse_govuk_json(&text, source)?;
    let current = app.calendar.get();
    let (new_cal, diff) = holidays::merge(&current, &file_days, source)?;
    // Every due date the new calendar gives, checked before anything is written.
    let moved = changes(app, &new_cal, &diff).await?;
    let path = file(&app.data_dir);
    let write = |p: &Path, text: &str| -> Result<(), CalendarUpdateError> {
        let werr = |e: std::io::Error| CalendarUpdateError::Write {
            path: p.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(p.parent().expect("has a parent")).map_err(werr)?;
        let tmp = p.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(werr)?;
        std::fs::rename(&tmp, p).map_err(werr)
    };
    write(&path, &new_cal.to_csv())?;
    let today = app.clock.today();
    let meta = Refreshed {
        on: today,
        source: source.into(),
    };
    write(
        &meta_file(&app.data_dir),
        &serde_json::to_string(&meta).unwrap_or_default(),
    )?;
    changes::apply_due_changes(&app.db, &new_cal, &moved, actor, app.clock.now()).await?;
    // A new holiday straight after a due date moves the day the request becomes overdue
    // even where the due date stays.
    crate::store::board_values::refresh_running_deadlines(&app.db, &new_cal).await?;
    app.calendar.set(new_cal);
    Ok(UpdateReport {
        source: source.into(),
        added: diff.added.iter().map(HolidayRow::from).collect(),
        removed: diff.removed.iter().map(HolidayRow::from).collect(),
        years: (diff.first_year, diff.last_year),
        moved,
    })
}

/// The calendar's health: how old it is, and open requests whose clocks run past its data.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarHealth {
    pub refreshed: Refreshed,
    pub covers: (i32, i32),
    pub warnings: Vec<String>,
}

pub async fn health(app: &App, now: DateTime<Utc>) -> Result<CalendarHealth, StoreError> {
    let cal = app.calendar.get();
    let refreshed = refreshed(&app.data_dir);
    let today = now.with_timezone(&chrono_tz::Europe::London).date_naive();
    let mut warnings = Vec::new();
    let age = (today - refreshed.on).num_days();
    if age > STALE_AFTER_DAYS {
        warnings.push(format!(
            "the bank-holiday calendar was last refreshed {age} days ago ({}); run `foi calendar update` so a newly proclaimed holiday is not missed",
            refreshed.on
        ));
    }
    let (_, last) = cal.years();
    let mut beyond = Vec::new();
    // Only requests due in the data's last year can run past it: asked by their kept due date
    // (indexed), never by reading every request.
    let from = chrono::NaiveDate::from_ymd_opt(last, 1, 1).unwrap_or(today);
    for round in rounds::list(&app.db).await? {
        for r in rounds::deadlines_from(&app.db, round.id, from).await? {
            let due = match r.state {
                RequestState::InternalReviewRequested => r.clocks.review_due_on,
                s if s.awaiting_body() => r.clocks.due_on,
                _ => None,
            };
            // The chaser ladder counts up to 40 working days past the due date: only a due date
            // in the data's last year can run past it (40 working days is under three months).
            if let Some(due) = due.filter(|d| d.year() >= last) {
                if cal.for_regime(r.regime).add_working_days(due, 40).is_err() {
                    beyond.push(r.reference.to_string());
                }
            }
        }
    }
    if !beyond.is_empty() {
        warnings.push(format!(
            "{} open request(s) have clocks running past {last}, the last year of bank-holiday data ({}); add the next year (`foi calendar update`)",
            beyond.len(),
            beyond.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(CalendarHealth {
        refreshed,
        covers: cal.years(),
        warnings,
    })
}
