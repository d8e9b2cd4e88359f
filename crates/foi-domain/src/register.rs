//! Registers of public bodies: parsing and validating a register CSV.
//!
//! A register is a named snapshot of a population of bodies (e.g. `icbs-2024`, the 42 ICBs the
//! ARMA 2024 round wrote to; `icbs-2026`, the 36 in force from 1 April 2026). Bodies carry
//! successor / predecessor links so that rounds on different registers can be compared.
//!
//! The CSV is read by header name, so column order does not matter. Required: `ods_code` (or
//! `code`) and `name`. Optional: `region`, `nhser_code`, `gss_code`, `status_2026_04_01` (or
//! `status`), `valid_from`, `successor_ods_codes`, `predecessor_ods_codes` (space-separated
//! codes; a `(part)` suffix marks a body that passed on only part of its area),
//! `foi_email`, `foi_email_verified` (`yes`/`no`), `foi_email_source`.
//!
//! An address is treated as verified only when `foi_email_verified` says so; an address whose
//! source says "unverified", or with no `foi_email_verified` column, is unverified.

use super::ids::EmailAddress;
use super::regime::Regime;
use serde::Serialize;
use std::collections::HashSet;

/// One body as read from a register file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorityRecord {
    pub code: String,
    pub name: String,
    pub region: Option<String>,
    pub region_code: Option<String>,
    pub gss_code: Option<String>,
    pub status: Option<String>,
    pub valid_from: Option<String>,
    /// Codes of the bodies this one was succeeded by.
    pub successors: Vec<String>,
    /// Codes of the bodies this one succeeded. `(part)` suffixes are kept.
    pub predecessors: Vec<String>,
    pub foi_email: Option<EmailAddress>,
    pub email_verified: bool,
    /// The law the body answers under (column `regime`: foia, foisa, eir, eisr; default foia).
    pub regime: Regime,
    pub email_source: Option<String>,
}

/// A body as stored: its record plus its id and the register it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authority {
    pub id: i32,
    pub register: String,
    #[serde(flatten)]
    pub record: AuthorityRecord,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegisterError {
    #[error("{file}, line {line}, field `{field}`: {message}")]
    Row {
        file: String,
        line: usize,
        field: String,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
}

/// All the problems found in a register file; an import proceeds only when this is empty.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{} problem(s) in the register; nothing was imported. Fix these rows and import again:\n{}",
    .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
pub struct RegisterErrors(pub Vec<RegisterError>);

/// A cheap, strict-enough e-mail check: one `@`, a non-empty local part, a dotted domain, no
/// spaces or angle brackets. Delivery is the real test; this catches typos and pasted names.
pub(crate) fn is_plausible_email(s: &str) -> bool {
    s.parse::<EmailAddress>().is_ok()
}

/// A body code: letters and digits only (ODS codes like `QHM`, new ones like `S1Y5D`).
pub(crate) fn is_valid_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn split_codes(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The bare code of a link, without a `(part)` suffix.
pub fn link_code(link: &str) -> &str {
    link.split('(').next().unwrap_or(link)
}

/// Parses and validates a whole register CSV. Every row is checked; all problems are returned
/// together, each naming its line and field.
pub fn parse_register(text: &str, file: &str) -> Result<Vec<AuthorityRecord>, RegisterErrors> {
    let file_err = |message: String| {
        RegisterErrors(vec![RegisterError::File {
            file: file.to_string(),
            message,
        }])
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| file_err(format!("cannot read the header row: {e}")))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let code_col = col(&["ods_code", "code"]).ok_or_else(|| {
        file_err("no `ods_code` (or `code`) column in the header row".to_string())
    })?;
    let name_col =
        col(&["name"]).ok_or_else(|| file_err("no `name` column in the header row".to_string()))?;
    let region_col = col(&["region"]);
    let region_code_col = col(&["nhser_code", "region_code"]);
    let gss_col = col(&["gss_code"]);
    let status_col = col(&["status_2026_04_01", "status"]);
    let valid_from_col = col(&["valid_from"]);
    let succ_col = col(&["successor_ods_codes", "successors"]);
    let pred_col = col(&["predecessor_ods_codes", "predecessors"]);
    let email_col = col(&["foi_email", "email"]);
    let verified_col = col(&["foi_email_verified", "email_verified"]);
    let source_col = col(&["foi_email_source", "email_source"]);
    let regime_col = col(&["regime"]);

    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                errors.push(RegisterError::Row {
                    file: file.into(),
                    line,
                    field: "row".into(),
                    message: format!("{e}; check quoting and the number of fields"),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        // Bounded fields: a register row is names and codes, not documents.
        let too_long = rec.iter().enumerate().find_map(|(i, v)| {
            let field = headers.get(i).unwrap_or("field").trim().to_string();
            super::text::check_len(&field, v, super::text::MAX_CSV_FIELD)
                .err()
                .map(|m| (field, m))
        });
        if let Some((field, message)) = too_long {
            errors.push(RegisterError::Row {
                file: file.into(),
                line,
                field,
                message: format!("{message}; shorten it and import again"),
            });
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let mut row_err = |field: &str, message: String| {
            errors.push(RegisterError::Row {
                file: file.into(),
                line,
                field: field.into(),
                message,
            })
        };
        let code = get(Some(code_col)).unwrap_or_default();
        if code.is_empty() {
            row_err("ods_code", "the code is missing".into());
        } else if !is_valid_code(&code) {
            row_err(
                "ods_code",
                format!("`{code}` is not a code (letters and digits only, e.g. QHM or S1Y5D)"),
            );
        } else if !seen.insert(code.to_ascii_uppercase()) {
            row_err(
                "ods_code",
                format!("duplicate code `{code}`: each body must appear once"),
            );
        }
        let name = get(Some(name_col));
        if name.is_none() {
            row_err("name", "the name is missing".into());
        }
        // Parsed here, once: every address stored is a well-formed one.
        let email: Option<EmailAddress> = match get(email_col) {
            None => None,
            Some(e) => {
                match e.parse() {
                    Ok(a) => Some(a),
                    Err(_) => {
                        row_err(
                        "foi_email",
                        format!("`{e}` is not an e-mail address; correct it or leave the field empty"),
                    );
                        None
                    }
                }
            }
        };
        let verified = match get(verified_col).as_deref().map(str::to_ascii_lowercase) {
            None => false,
            Some(v) if ["yes", "true", "1", "y"].contains(&v.as_str()) => true,
            Some(v) if ["no", "false", "0", "n"].contains(&v.as_str()) => false,
            Some(v) => {
                row_err("foi_email_verified", format!("`{v}` is not yes or no"));
                false
            }
        };
        let regime = match get(regime_col) {
            None => Regime::Foia,
            Some(v) => v.parse().unwrap_or_else(|e: String| {
                row_err("regime", e);
                Regime::Foia
            }),
        };
        out.push(AuthorityRecord {
            regime,
            code: code.to_ascii_uppercase(),
            name: name.unwrap_or_default(),
            region: get(region_col),
            region_code: get(region_code_col),
            gss_code: get(gss_col),
            status: get(status_col),
            valid_from: get(valid_from_col),
            successors: get(succ_col).map(|s| split_codes(&s)).unwrap_or_default(),
            predecessors: get(pred_col).map(|s| split_codes(&s)).unwrap_or_default(),
            email_verified: verified && email.is_some(),
            foi_email: email,
            email_source: get(source_col),
        });
    }
    if out.is_empty() && errors.is_empty() {
        return Err(file_err("the register has no rows".into()));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(RegisterErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "ods_code,name,region,foi_email,foi_email_verified\n";

    #[test]
    fn shipped_registers_parse_with_the_right_counts() {
        let r24 = parse_register(
            include_str!("../../../config/registers/icbs-2024.csv"),
            "24",
        )
        .unwrap();
        let r26 = parse_register(
            include_str!("../../../config/registers/icbs-2026.csv"),
            "26",
        )
        .unwrap();
        assert_eq!(r24.len(), 42);
        assert_eq!(r26.len(), 36);
        // 12 abolished bodies in 2024, each with at least one successor in 2026.
        let codes26: HashSet<&str> = r26.iter().map(|r| r.code.as_str()).collect();
        let abolished: Vec<_> = r24.iter().filter(|r| !r.successors.is_empty()).collect();
        assert_eq!(abolished.len(), 12);
        for a in abolished {
            for s in &a.successors {
                assert!(codes26.contains(link_code(s)), "{} -> {s}", a.code);
            }
        }
        // 6 new bodies, each with predecessors in 2024.
        assert_eq!(r26.iter().filter(|r| !r.predecessors.is_empty()).count(), 6);
        assert!(r26.iter().any(|r| r.code == "S1Y5D"));
    }

    #[test]
    fn every_problem_is_reported_with_line_and_field() {
        let text = format!(
            "{HEADER}QHM,North East,NE,foi@nhs.net,yes\nQHM,Dup,NE,x@nhs.net,no\nQF7,,NE,,\nQWO,West,NE,not an email,\n"
        );
        let errs = parse_register(&text, "bad.csv").unwrap_err().0;
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0]
            .to_string()
            .starts_with("bad.csv, line 3, field `ods_code`: duplicate code `QHM`"));
        assert!(errs[1]
            .to_string()
            .starts_with("bad.csv, line 4, field `name`"));
        assert!(errs[2]
            .to_string()
            .starts_with("bad.csv, line 5, field `foi_email`"));
    }

    #[test]
    fn verified_only_when_said_and_an_address_exists() {
        let text = format!("{HEADER}A1,One,R,a@b.org,yes\nB2,Two,R,b@b.org,\nC3,Three,R,,yes\n");
        let rows = parse_register(&text, "t").unwrap();
        assert!(rows[0].email_verified);
        assert!(!rows[1].email_verified);
        assert!(!rows[2].email_verified);
    }

    #[test]
    fn email_plausibility() {
        assert!(is_plausible_email("nencicb.foi@nhs.net"));
        assert!(!is_plausible_email("nhs.net"));
        assert!(!is_plausible_email("a@b"));
        assert!(!is_plausible_email("a b@c.org"));
        assert!(!is_plausible_email("a@@c.org"));
    }

    #[test]
    fn part_links_keep_their_code() {
        assert_eq!(link_code("QM7(part)"), "QM7");
        assert_eq!(link_code("QHG"), "QHG");
    }
}
