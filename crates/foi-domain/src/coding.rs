//! Coding responses: validating rows of `authority,variable,value` against a codebook.
//!
//! Rules (each problem names its line): the body must be in the round; the variable must be in
//! the codebook; the value must be a category (or yes/no, a number, non-empty text); a
//! single-choice variable takes one value per body; a variable whose condition is false for
//! the body (after the import is applied) takes no value. Rows for a (body, variable) replace
//! that pair's earlier values; other variables are kept.

use super::aggregate::Values;
use super::codebook::{Codebook, VarKind, NONE_OF_THESE};
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodingRow {
    /// Line in the file (or position on the command line) for messages.
    pub line: usize,
    pub authority: String,
    pub variable: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}, line {line}, field `{field}`: {message}")]
pub struct CodingError {
    pub source_name: String,
    pub line: usize,
    pub field: &'static str,
    pub message: String,
    /// What kind of problem, for a form to say it in its own words.
    pub problem: Problem,
}

/// What kind of coding problem a [`CodingError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Problem {
    /// The value is not one the variable allows.
    NotAValue,
    /// The variable applies only when another answer allows it, and that is not so.
    NotApplicable,
    /// "None of these" ticked with a category of the same multiple choice.
    NoneWithOthers,
    #[default]
    Other,
}

/// Validates `rows` and returns the new values of every body they touch (existing values
/// merged with the rows), or every problem found.
pub fn apply(
    cb: &Codebook,
    source_name: &str,
    bodies: &HashSet<String>,
    existing: &BTreeMap<String, Values>,
    rows: &[CodingRow],
) -> Result<BTreeMap<String, Values>, Vec<CodingError>> {
    let mut errs = Vec::new();
    let err = |line, field, message: String| CodingError {
        source_name: source_name.to_string(),
        line,
        field,
        message,
        problem: Problem::Other,
    };
    let mut fresh: BTreeMap<(String, String), Vec<(usize, String)>> = BTreeMap::new();
    for r in rows {
        let code = r.authority.trim().to_ascii_uppercase();
        if !bodies.contains(&code) {
            errs.push(err(
                r.line,
                "authority",
                format!("`{}` is not a body in this round", r.authority),
            ));
            continue;
        }
        let Some(v) = cb.variable(r.variable.trim()) else {
            errs.push(err(
                r.line,
                "variable",
                format!(
                    "`{}` is not in the codebook; variables: {}",
                    r.variable,
                    cb.variables
                        .iter()
                        .map(|v| v.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            continue;
        };
        let value = r.value.trim();
        if value.is_empty() {
            // An empty value clears the variable for this body.
            fresh.entry((code, v.id.clone())).or_default();
            continue;
        }
        if !cb.is_valid_value(v, value) {
            let allowed = match v.kind {
                VarKind::Single | VarKind::Multiple => v
                    .categories
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                VarKind::YesNo => "yes, no".into(),
                VarKind::Number => "a number".into(),
                VarKind::Text => "any non-empty text".into(),
            };
            errs.push(CodingError {
                problem: Problem::NotAValue,
                ..err(
                    r.line,
                    "value",
                    format!("`{value}` is not a value of `{}`; allowed: {allowed}", v.id),
                )
            });
            continue;
        }
        let entry = fresh.entry((code, v.id.clone())).or_default();
        if matches!(v.kind, VarKind::Single | VarKind::YesNo | VarKind::Number)
            && !entry.is_empty()
            && !entry.iter().any(|(_, x)| x == value)
        {
            errs.push(err(
                r.line,
                "value",
                format!(
                    "a second value for single-choice `{}` (line {} gave `{}`)",
                    v.id, entry[0].0, entry[0].1
                ),
            ));
            continue;
        }
        if v.kind == VarKind::Multiple
            && !entry.is_empty()
            && (value == NONE_OF_THESE || entry.iter().any(|(_, x)| x == NONE_OF_THESE))
            && !entry.iter().any(|(_, x)| x == value)
        {
            errs.push(CodingError {
                problem: Problem::NoneWithOthers,
                ..err(
                    r.line,
                    "value",
                    format!(
                        "`{}`: \"none of these\" cannot go with a category (line {} gave `{}`); keep one or the other",
                        v.id, entry[0].0, entry[0].1
                    ),
                )
            });
            continue;
        }
        entry.push((r.line, value.to_string()));
    }
    let mut merged: BTreeMap<String, Values> = BTreeMap::new();
    for (code, _) in fresh.keys() {
        merged
            .entry(code.clone())
            .or_insert_with(|| existing.get(code).cloned().unwrap_or_default());
    }
    for ((code, var), vals) in &fresh {
        merged
            .get_mut(code)
            .expect("inserted above")
            .insert(var.clone(), vals.iter().map(|(_, v)| v.clone()).collect());
    }
    // Conditions, checked on the result for every variable of every body touched, so a change
    // that would leave an existing code contradicting its condition is refused too.
    let first_line = |code: &str, var: &str| {
        fresh
            .get(&(code.to_string(), var.to_string()))
            .and_then(|v| v.first())
            .map(|(l, _)| *l)
    };
    let mut row_of_body: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        let e = row_of_body
            .entry(r.authority.trim().to_ascii_uppercase())
            .or_insert(r.line);
        *e = (*e).min(r.line);
    }
    for (code, values) in &merged {
        for v in &cb.variables {
            let Some(c) = cb.condition_of(v) else {
                continue;
            };
            if values.get(&v.id).is_none_or(|s| s.is_empty()) || c.holds(values) {
                continue;
            }
            let message = format!(
                "`{}` applies only when `{}`, which is not so for {code}; clear it (`{}=` with no value) or code `{}` first",
                v.id,
                v.when.clone().unwrap_or_default(),
                v.id,
                c.variable
            );
            let line = first_line(code, &v.id)
                .or_else(|| first_line(code, &c.variable))
                .or_else(|| row_of_body.get(code).copied())
                .unwrap_or(0);
            errs.push(CodingError {
                problem: Problem::NotApplicable,
                ..err(line, "value", message)
            });
        }
    }
    if errs.is_empty() {
        Ok(merged)
    } else {
        errs.sort_by_key(|e| e.line);
        Err(errs)
    }
}

/// Parses a long-form coding CSV (`authority,variable,value`).
pub fn parse_csv(text: &str, source_name: &str) -> Result<Vec<CodingRow>, Vec<CodingError>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().cloned().map_err(|e| {
        vec![CodingError {
            source_name: source_name.into(),
            line: 1,
            field: "header",
            message: e.to_string(),
            problem: Problem::Other,
        }]
    })?;
    let col = |n: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(n))
    };
    let (Some(a), Some(v), Some(x)) = (col("authority"), col("variable"), col("value")) else {
        return Err(vec![CodingError {
            source_name: source_name.into(),
            line: 1,
            field: "header",
            message: "the header must be `authority,variable,value`".into(),
            problem: Problem::Other,
        }]);
    };
    let mut rows = Vec::new();
    let mut errs = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r)
                if r.iter()
                    .any(|v| v.chars().count() > super::text::MAX_CSV_FIELD) =>
            {
                errs.push(CodingError {
                    source_name: source_name.into(),
                    line: r.position().map(|p| p.line() as usize).unwrap_or(0),
                    field: "value",
                    message: format!(
                        "a field is longer than {} characters; shorten it and import again",
                        super::text::MAX_CSV_FIELD
                    ),
                    problem: Problem::Other,
                })
            }
            Ok(r) => rows.push(CodingRow {
                line: r.position().map(|p| p.line() as usize).unwrap_or(0),
                authority: r.get(a).unwrap_or("").to_string(),
                variable: r.get(v).unwrap_or("").to_string(),
                value: r.get(x).unwrap_or("").to_string(),
            }),
            Err(e) => errs.push(CodingError {
                source_name: source_name.into(),
                line: e.position().map(|p| p.line() as usize).unwrap_or(0),
                field: "row",
                message: format!("{e}; check quoting and the number of fields"),
                problem: Problem::Other,
            }),
        }
    }
    if errs.is_empty() {
        Ok(rows)
    } else {
        Err(errs)
    }
}

/// Agreement between two coders on one variable.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Agreement {
    pub variable: String,
    /// Decisions compared (bodies; for multiple choice, bodies × categories).
    pub n: usize,
    pub percent_agreement: f64,
    /// Cohen's kappa; None when undefined (both coders used one label throughout).
    pub kappa: Option<f64>,
}

/// Cohen's kappa for paired nominal labels: (p_o − p_e) / (1 − p_e).
pub(crate) fn cohen_kappa(pairs: &[(String, String)]) -> (f64, Option<f64>) {
    let n = pairs.len() as f64;
    if pairs.is_empty() {
        return (0.0, None);
    }
    let po = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let mut ca: BTreeMap<&str, f64> = BTreeMap::new();
    let mut cb: BTreeMap<&str, f64> = BTreeMap::new();
    for (a, b) in pairs {
        *ca.entry(a).or_default() += 1.0;
        *cb.entry(b).or_default() += 1.0;
    }
    let pe: f64 = ca
        .iter()
        .map(|(k, na)| na / n * cb.get(k).copied().unwrap_or(0.0) / n)
        .sum();
    let kappa = if (1.0 - pe).abs() < 1e-12 {
        None
    } else {
        Some((po - pe) / (1.0 - pe))
    };
    (po * 100.0, kappa)
}

/// Agreement per variable between a first and a second coding of the same bodies.
pub fn agreement(
    cb: &Codebook,
    first: &BTreeMap<String, Values>,
    second: &BTreeMap<String, Values>,
) -> Vec<Agreement> {
    cb.variables
        .iter()
        .map(|v| {
            let both: Vec<(&Values, &Values)> = first
                .iter()
                .filter_map(|(code, a)| second.get(code).map(|b| (a, b)))
                .filter(|(a, b)| a.contains_key(&v.id) || b.contains_key(&v.id))
                .collect();
            let label = |vals: Option<&std::collections::BTreeSet<String>>| {
                vals.map(|s| s.iter().cloned().collect::<Vec<_>>().join("+"))
                    .unwrap_or_else(|| "(none)".into())
            };
            let pairs: Vec<(String, String)> = if v.kind == VarKind::Multiple {
                both.iter()
                    .flat_map(|(a, b)| {
                        v.categories.iter().map(move |c| {
                            let has = |x: &Values| {
                                x.get(&v.id).is_some_and(|s| s.contains(&c.id)).to_string()
                            };
                            (has(a), has(b))
                        })
                    })
                    .collect()
            } else {
                both.iter()
                    .map(|(a, b)| (label(a.get(&v.id)), label(b.get(&v.id))))
                    .collect()
            };
            let (pct, kappa) = cohen_kappa(&pairs);
            Agreement {
                variable: v.id.clone(),
                n: pairs.len(),
                percent_agreement: (pct * 10.0).round() / 10.0,
                kappa: kappa.map(|k| (k * 1000.0).round() / 1000.0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cb() -> Codebook {
        toml::from_str(
            r#"
            [[variables]]
            id = "lead"
            label = "Lead"
            kind = "single"
            categories = [{ id = "yes", label = "Yes" }, { id = "no", label = "No" }]
            [[variables]]
            id = "title"
            label = "Title"
            kind = "single"
            when = "lead = yes"
            categories = [{ id = "director", label = "Director" }]
            [[variables]]
            id = "themes"
            label = "Themes"
            kind = "multiple"
            categories = [{ id = "a", label = "A" }, { id = "b", label = "B" }]
            "#,
        )
        .unwrap()
    }

    fn rows(text: &str) -> Vec<CodingRow> {
        parse_csv(text, "c.csv").unwrap()
    }

    fn bodies() -> HashSet<String> {
        ["A1", "B2"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_good_file_merges_with_existing_codes() {
        let mut existing = BTreeMap::new();
        existing.insert(
            "A1".to_string(),
            Values::from([("themes".to_string(), ["a".to_string()].into())]),
        );
        let r = rows(
            "authority,variable,value\na1,lead,yes\nA1,title,director\nB2,themes,a\nB2,themes,b\n",
        );
        let m = apply(&cb(), "c.csv", &bodies(), &existing, &r).unwrap();
        assert_eq!(m["A1"]["themes"].len(), 1, "kept");
        assert_eq!(m["A1"]["lead"].iter().next().unwrap(), "yes");
        assert_eq!(m["B2"]["themes"].len(), 2);
    }

    #[test]
    fn every_kind_of_bad_row_is_named() {
        let r = rows(
            "authority,variable,value\nZZ9,lead,yes\nA1,colour,red\nA1,lead,maybe\nA1,lead,no\nA1,lead,yes\nA1,title,director\n",
        );
        let e = apply(&cb(), "c.csv", &bodies(), &BTreeMap::new(), &r).unwrap_err();
        let msgs: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert_eq!(e.len(), 5, "{msgs:#?}");
        assert!(msgs[0].starts_with("c.csv, line 2, field `authority`"));
        assert!(msgs[1].starts_with("c.csv, line 3, field `variable`"));
        assert!(msgs[2].starts_with("c.csv, line 4, field `value`: `maybe`"));
        assert!(msgs[3].starts_with("c.csv, line 6, field `value`: a second value"));
        assert!(
            msgs[4].starts_with("c.csv, line 7, field `value`: `title` applies only when"),
            "{}",
            msgs[4]
        );
    }

    #[test]
    fn kappa_matches_a_worked_example() {
        // 50 items: both yes 20, both no 15, A yes/B no 5, A no/B yes 10.
        // p_o = 0.7; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.4.
        let mut pairs = Vec::new();
        for (a, b, n) in [
            ("y", "y", 20),
            ("n", "n", 15),
            ("y", "n", 5),
            ("n", "y", 10),
        ] {
            for _ in 0..n {
                pairs.push((a.to_string(), b.to_string()));
            }
        }
        let (po, k) = cohen_kappa(&pairs);
        assert!((po - 70.0).abs() < 1e-9);
        assert!((k.unwrap() - 0.4).abs() < 1e-9);
    }
}
