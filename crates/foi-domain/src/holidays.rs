//! Bank-holiday data from gov.uk (`https://www.gov.uk/bank-holidays.json`), and how a new
//! file is checked and merged into the calendar in force.
//!
//! One-off holidays are proclaimed at short notice (the 2012 jubilee, the 2022 state funeral,
//! the 2023 coronation, Scotland's 15 June 2026): a calendar that misses one makes `foi` tell
//! a body it is late a day early. So the data is refreshed from gov.uk, and a refresh is
//! checked before it replaces anything:
//!
//! * every division (England and Wales, Scotland, Northern Ireland) must be present, with
//!   events whose dates parse, and holidays in every year the file covers;
//! * the file must reach at least as far forward as the data in force: gov.uk's file rolls
//!   forward and drops old years, so years before the file's first are kept as they were,
//!   but a file that ends earlier would silently shrink the calendar and is refused.
//!
//! What changed (days added and removed, per division) is reported.

use super::calendar::{Calendar, Division, Holiday};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UpdateError {
    #[error("{source_name} is not the gov.uk bank-holidays JSON ({message}); nothing changed")]
    Format {
        source_name: String,
        message: String,
    },
    #[error("{source_name} has no `{division}` division; the file is incomplete, nothing changed")]
    MissingDivision {
        source_name: String,
        division: &'static str,
    },
    #[error("{source_name}, {division} event {index}: `{value}` is not a YYYY-MM-DD date; nothing changed")]
    BadDate {
        source_name: String,
        division: &'static str,
        index: usize,
        value: String,
    },
    #[error("{source_name} has no holidays for {division} in {year}; the file is incomplete, nothing changed")]
    EmptyYear {
        source_name: String,
        division: &'static str,
        year: i32,
    },
    #[error("{source_name} covers years up to {file_last}, but the calendar in force covers up to {current_last}; a file that would shrink the calendar is refused, nothing changed")]
    Shrinks {
        source_name: String,
        file_last: i32,
        current_last: i32,
    },
}

#[derive(Deserialize)]
struct GovUkDivision {
    events: Vec<GovUkEvent>,
}

#[derive(Deserialize)]
struct GovUkEvent {
    title: String,
    date: String,
}

/// Parses and checks a gov.uk bank-holidays JSON file.
pub fn parse_govuk_json(text: &str, source_name: &str) -> Result<Vec<Holiday>, UpdateError> {
    let raw: BTreeMap<String, GovUkDivision> =
        serde_json::from_str(text).map_err(|e| UpdateError::Format {
            source_name: source_name.into(),
            message: e.to_string(),
        })?;
    let mut out = Vec::new();
    for division in Division::ALL {
        let d = raw.get(division.id()).ok_or(UpdateError::MissingDivision {
            source_name: source_name.into(),
            division: division.id(),
        })?;
        let mut years = BTreeSet::new();
        for (i, e) in d.events.iter().enumerate() {
            let date = NaiveDate::parse_from_str(e.date.trim(), "%Y-%m-%d").map_err(|_| {
                UpdateError::BadDate {
                    source_name: source_name.into(),
                    division: division.id(),
                    index: i + 1,
                    value: e.date.clone(),
                }
            })?;
            years.insert(date.year());
            out.push(Holiday {
                date,
                division,
                title: e.title.trim().to_string(),
            });
        }
        if let (Some(first), Some(last)) = (years.first(), years.last()) {
            if let Some(year) = (*first..=*last).find(|y| !years.contains(y)) {
                return Err(UpdateError::EmptyYear {
                    source_name: source_name.into(),
                    division: division.id(),
                    year,
                });
            }
        } else {
            return Err(UpdateError::MissingDivision {
                source_name: source_name.into(),
                division: division.id(),
            });
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.date == b.date && a.division == b.division);
    Ok(out)
}

/// What a refresh changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub added: Vec<Holiday>,
    pub removed: Vec<Holiday>,
    /// The years the refreshed data covers.
    pub first_year: i32,
    pub last_year: i32,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// Merges `file` into `current`: years before the file's first are kept from `current`, the
/// file replaces the rest. Refused when the file ends before `current` does.
pub fn merge(
    current: &Calendar,
    file: &[Holiday],
    source_name: &str,
) -> Result<(Calendar, Diff), UpdateError> {
    let (Some(first), Some(last)) = (
        file.iter().map(|h| h.date.year()).min(),
        file.iter().map(|h| h.date.year()).max(),
    ) else {
        return Err(UpdateError::Format {
            source_name: source_name.into(),
            message: "no events".into(),
        });
    };
    let (_, current_last) = current.years();
    if last < current_last {
        return Err(UpdateError::Shrinks {
            source_name: source_name.into(),
            file_last: last,
            current_last,
        });
    }
    let key = |h: &Holiday| (h.date, h.division);
    let old: Vec<Holiday> = current.holidays();
    let old_keys: BTreeSet<_> = old
        .iter()
        .filter(|h| h.date.year() >= first)
        .map(key)
        .collect();
    let new_keys: BTreeSet<_> = file.iter().map(key).collect();
    let diff = Diff {
        added: file
            .iter()
            .filter(|h| !old_keys.contains(&key(h)) && h.date.year() <= current_last)
            .cloned()
            .collect(),
        removed: old
            .iter()
            .filter(|h| h.date.year() >= first && !new_keys.contains(&key(h)))
            .cloned()
            .collect(),
        first_year: old.first().map_or(first, |h| h.date.year().min(first)),
        last_year: last,
    };
    let merged = old
        .into_iter()
        .filter(|h| h.date.year() < first)
        .chain(file.iter().cloned());
    let cal = Calendar::from_holidays(merged).ok_or_else(|| UpdateError::Format {
        source_name: source_name.into(),
        message: "no events".into(),
    })?;
    Ok((cal, diff))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A gov.uk-shaped file built from the shipped calendar for `years`, plus `extra` days.
    pub(crate) fn govuk_json(
        years: std::ops::RangeInclusive<i32>,
        extra: &[(&str, Division, &str)],
    ) -> String {
        let cal = Calendar::shipped();
        let mut by: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
        for h in cal.holidays() {
            if years.contains(&h.date.year()) {
                by.entry(h.division.id()).or_default().push(
                    serde_json::json!({"title": h.title, "date": h.date.to_string(), "notes": "", "bunting": true}),
                );
            }
        }
        for (date, div, title) in extra {
            by.entry(div.id()).or_default().push(
                serde_json::json!({"title": title, "date": date, "notes": "", "bunting": true}),
            );
        }
        let mut root = serde_json::Map::new();
        for (id, events) in by {
            root.insert(
                id.into(),
                serde_json::json!({"division": id, "events": events}),
            );
        }
        serde_json::Value::Object(root).to_string()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_proclaimed_day_is_added_and_reported() {
        let base = Calendar::shipped();
        let text = govuk_json(
            2020..=2028,
            &[("2027-06-21", Division::Scotland, "Extra day")],
        );
        let file = parse_govuk_json(&text, "f.json").unwrap();
        let (cal, diff) = merge(&base, &file, "f.json").unwrap();
        assert_eq!(diff.added.len(), 1);
        assert_eq!(diff.added[0].date, d("2027-06-21"));
        assert!(diff.removed.is_empty());
        assert_eq!(cal.years(), (2012, 2028), "older years are kept");
        assert!(!cal.is_working_day(d("2027-06-21")).unwrap());
        // A file with nothing new changes nothing.
        let (_, diff) = merge(
            &base,
            &parse_govuk_json(&govuk_json(2020..=2028, &[]), "f").unwrap(),
            "f",
        )
        .unwrap();
        assert!(diff.is_empty());
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let base = Calendar::shipped();
        let no_scotland = govuk_json(2020..=2028, &[]).replace("\"scotland\"", "\"scotlandx\"");
        assert!(matches!(
            parse_govuk_json(&no_scotland, "f"),
            Err(UpdateError::MissingDivision {
                division: "scotland",
                ..
            })
        ));
        let bad_date = govuk_json(2020..=2028, &[("2027-13-01", Division::Scotland, "x")]);
        let e = parse_govuk_json(&bad_date, "f").unwrap_err();
        assert!(
            e.to_string()
                .contains("`2027-13-01` is not a YYYY-MM-DD date"),
            "{e}"
        );
        let short = parse_govuk_json(&govuk_json(2020..=2027, &[]), "f").unwrap();
        let e = merge(&base, &short, "f").unwrap_err();
        assert!(e.to_string().contains("covers years up to 2027"), "{e}");
        assert!(parse_govuk_json("{", "f").is_err());
    }
}
