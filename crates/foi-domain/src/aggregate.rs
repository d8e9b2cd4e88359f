//! Aggregation: from coded responses to the findings tables. Pure functions, no I/O.
//!
//! Bases (what a percentage is "of") are always bodies that have been **coded**, never bodies
//! whose response has not been read yet (a round part-way through coding would otherwise
//! report "1 of 36 ICBs have no lead" while 32 are simply not coded):
//! * a variable without a condition: every body coded for it;
//! * a variable with a condition (`lead_title` when `msk_lead = yes`): the bodies for which the
//!   condition holds and that are coded for it ("of the 30 who identified a lead");
//! * an indicator: the bodies coded for every variable its conditions name.
//!
//! A multiple-choice variable is coded when it has a category or the explicit answer "none of
//! these" ([`NONE_OF_THESE`]); with neither it is not coded, like any other. `eligible` is how many bodies the base would hold once all are coded;
//! a body in it without a value is listed in the data-quality section, as is a value recorded
//! for a body whose condition is false, or two values for a single-choice variable.

use super::codebook::{Codebook, VarKind, NONE_OF_THESE, NONE_OF_THESE_LABEL};
use super::proportion;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One body's codes: variable → values.
pub type Values = BTreeMap<String, BTreeSet<String>>;

/// A body as the aggregation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Body {
    pub code: String,
    pub name: String,
    pub region: Option<String>,
    pub values: Values,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryCount {
    pub id: String,
    pub label: String,
    pub count: usize,
    /// Percentage of the variable's base (0 when the base is 0).
    pub percent: f64,
    /// "almost one in four", …
    pub phrase: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariableTable {
    pub id: String,
    pub label: String,
    pub kind: VarKind,
    pub condition: Option<String>,
    /// Bodies coded for the variable (where its condition holds): what percentages are of.
    pub base: usize,
    /// The same as `base` (kept for the JSON export's readers).
    pub coded: usize,
    /// Bodies the base will hold once every one is coded (its condition holds or is unknown).
    pub eligible: usize,
    pub not_coded: usize,
    /// In codebook order (single choice, yes/no) or by count, largest first (multiple choice).
    /// Every category is present, even with 0.
    pub categories: Vec<CategoryCount>,
    /// Numbers: summary statistics of the coded values.
    pub numbers: Option<NumberSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberSummary {
    pub n: usize,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub median: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorResult {
    pub id: String,
    pub label: String,
    pub count: usize,
    /// Bodies coded for every variable the indicator's conditions name.
    pub base: usize,
    pub percent: f64,
    pub phrase: String,
    pub bodies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub authority: String,
    pub variable: String,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Findings {
    pub authorities: usize,
    /// Bodies with at least one coded value.
    pub coded_bodies: usize,
    pub variables: Vec<VariableTable>,
    pub indicators: Vec<IndicatorResult>,
    pub data_quality: Vec<Issue>,
}

pub fn percent(count: usize, base: usize) -> f64 {
    if base == 0 {
        0.0
    } else {
        (count as f64 * 1000.0 / base as f64).round() / 10.0
    }
}

fn applies(cb: &Codebook, var: &super::codebook::Variable, values: &Values) -> bool {
    cb.condition_of(var)
        .map(|c| c.holds(values))
        .unwrap_or(true)
}

/// The findings for a round's bodies under a codebook.
pub fn aggregate(cb: &Codebook, bodies: &[Body]) -> Findings {
    let mut data_quality = Vec::new();
    let mut variables = Vec::new();
    for v in &cb.variables {
        let in_base: Vec<&Body> = bodies
            .iter()
            .filter(|b| applies(cb, v, &b.values))
            .collect();
        let eligible = in_base.len();
        let mut coded = 0;
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut numbers = Vec::new();
        for b in &in_base {
            match b.values.get(&v.id).filter(|s| !s.is_empty()) {
                // A body with no codes at all is reported once, below.
                None if b.values.is_empty() => {}
                None => data_quality.push(Issue {
                    authority: b.code.clone(),
                    variable: v.id.clone(),
                    problem: "not coded".into(),
                }),
                Some(vals) => {
                    coded += 1;
                    if matches!(v.kind, VarKind::Single | VarKind::YesNo) && vals.len() > 1 {
                        data_quality.push(Issue {
                            authority: b.code.clone(),
                            variable: v.id.clone(),
                            problem: format!(
                                "{} values for a single-choice variable: {}",
                                vals.len(),
                                join(vals)
                            ),
                        });
                    }
                    for val in vals {
                        *counts.entry(val.as_str()).or_default() += 1;
                        if v.kind == VarKind::Number {
                            if let Ok(x) = val.trim().parse::<f64>() {
                                numbers.push(x);
                            }
                        }
                    }
                }
            }
        }
        // Values recorded where the condition says the variable does not apply.
        for b in bodies.iter().filter(|b| !applies(cb, v, &b.values)) {
            if let Some(vals) = b.values.get(&v.id).filter(|s| !s.is_empty()) {
                data_quality.push(Issue {
                    authority: b.code.clone(),
                    variable: v.id.clone(),
                    problem: format!(
                        "coded {} although `{}` does not hold",
                        join(vals),
                        v.when.clone().unwrap_or_default()
                    ),
                });
            }
        }
        let cats: Vec<(String, String)> = match v.kind {
            VarKind::YesNo => vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())],
            VarKind::Single => v
                .categories
                .iter()
                .map(|c| (c.id.clone(), c.label.clone()))
                .collect(),
            VarKind::Multiple => v
                .categories
                .iter()
                .map(|c| (c.id.clone(), c.label.clone()))
                .chain([(NONE_OF_THESE.to_string(), NONE_OF_THESE_LABEL.to_string())])
                .collect(),
            VarKind::Number | VarKind::Text => Vec::new(),
        };
        let mut categories: Vec<CategoryCount> = cats
            .into_iter()
            .map(|(id, label)| {
                let count = counts.get(id.as_str()).copied().unwrap_or(0);
                CategoryCount {
                    percent: percent(count, coded),
                    phrase: proportion::phrase(count, coded),
                    id,
                    label,
                    count,
                }
            })
            .collect();
        if v.kind == VarKind::Multiple {
            // Stable: equal counts keep codebook order; "none of these" always last.
            categories.sort_by_key(|c| (c.id == NONE_OF_THESE, std::cmp::Reverse(c.count)));
        }
        variables.push(VariableTable {
            id: v.id.clone(),
            label: v.label.clone(),
            kind: v.kind,
            condition: v.when.clone(),
            base: coded,
            coded,
            eligible,
            not_coded: eligible - coded,
            categories,
            numbers: summarise(&mut numbers),
        });
    }
    // Bodies not coded at all come first, the last of them first (as they always have). Built
    // apart and joined once: inserting each at the front moved the whole list every time,
    // quadratic in the round (most of a 10,000-body report's time).
    let mut uncoded: Vec<Issue> = bodies
        .iter()
        .filter(|b| b.values.values().all(|s| s.is_empty()))
        .map(|b| Issue {
            authority: b.code.clone(),
            variable: "(all)".into(),
            problem: "not coded at all".into(),
        })
        .collect();
    uncoded.reverse();
    uncoded.append(&mut data_quality);
    let data_quality = uncoded;
    let n = bodies.len();
    let indicators = cb
        .indicators
        .iter()
        .map(|i| {
            let in_base: Vec<&Body> = bodies
                .iter()
                .filter(|b| indicator_coded(cb, i, &b.values))
                .collect();
            let base = in_base.len();
            let hit: Vec<String> = in_base
                .iter()
                .filter(|b| cb.indicator_holds(i, &b.values))
                .map(|b| b.code.clone())
                .collect();
            IndicatorResult {
                id: i.id.clone(),
                label: i.label.clone(),
                count: hit.len(),
                base,
                percent: percent(hit.len(), base),
                phrase: proportion::phrase(hit.len(), base),
                bodies: hit,
            }
        })
        .collect();
    Findings {
        authorities: n,
        coded_bodies: bodies
            .iter()
            .filter(|b| b.values.values().any(|s| !s.is_empty()))
            .count(),
        variables,
        indicators,
        data_quality,
    }
}

/// Whether a body is coded for `var`: it has a value (for a multiple choice, a category or
/// "none of these").
pub(crate) fn coded_for(var: &super::codebook::Variable, values: &Values) -> bool {
    values.get(&var.id).is_some_and(|s| !s.is_empty())
}

/// Whether a body is coded for every variable an indicator's conditions name.
fn indicator_coded(cb: &Codebook, i: &super::codebook::Indicator, values: &Values) -> bool {
    i.any.iter().chain(&i.all).all(|c| {
        super::codebook::Condition::parse(c)
            .ok()
            .and_then(|c| cb.variables.iter().find(|v| v.id == c.variable))
            .is_none_or(|v| coded_for(v, values))
    })
}

/// How far a body's coding has got: (variables coded, variables that apply to it).
pub fn progress(cb: &Codebook, values: &Values) -> (usize, usize) {
    let applicable: Vec<_> = cb
        .variables
        .iter()
        .filter(|v| applies(cb, v, values))
        .collect();
    let coded = applicable.iter().filter(|v| coded_for(v, values)).count();
    (coded, applicable.len())
}

/// Whether a body's coding is complete: coded for every variable that applies to it.
pub fn complete(cb: &Codebook, values: &Values) -> bool {
    values.values().any(|s| !s.is_empty())
        && cb
            .variables
            .iter()
            .filter(|v| applies(cb, v, values))
            .all(|v| coded_for(v, values))
}

fn join(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn summarise(xs: &mut [f64]) -> Option<NumberSummary> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    Some(NumberSummary {
        n,
        min: xs[0],
        max: xs[n - 1],
        mean: xs.iter().sum::<f64>() / n as f64,
        median,
    })
}

/// A cross-tabulation of a variable's categories by body region (or any grouping).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossTab {
    pub variable: String,
    /// The variable's label ("MSK lead"), for headings.
    pub label: String,
    pub by: String,
    pub groups: Vec<String>,
    pub rows: Vec<CrossRow>,
    /// Bodies in the base per group.
    pub group_bases: Vec<usize>,
    /// Bodies in the base in all.
    pub base: usize,
}

/// One category's counts per group (in `groups` order) and in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrossRow {
    pub id: String,
    pub label: String,
    pub counts: Vec<usize>,
    pub total: usize,
}

/// Cross-tabulates `variable` by region, over the variable's base (bodies coded for it).
pub fn crosstab_by_region(cb: &Codebook, bodies: &[Body], variable: &str) -> Option<CrossTab> {
    let v = cb.variable(variable)?;
    let in_base: Vec<&Body> = bodies
        .iter()
        .filter(|b| applies(cb, v, &b.values) && coded_for(v, &b.values))
        .collect();
    let groups: Vec<String> = in_base
        .iter()
        .map(|b| b.region.clone().unwrap_or_else(|| "(no region)".into()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let group_of = |b: &Body| b.region.clone().unwrap_or_else(|| "(no region)".into());
    let cats: Vec<(String, String)> = match v.kind {
        VarKind::YesNo => vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())],
        _ => v
            .categories
            .iter()
            .map(|c| (c.id.clone(), c.label.clone()))
            .collect(),
    };
    let rows = cats
        .into_iter()
        .map(|(id, label)| {
            let per: Vec<usize> = groups
                .iter()
                .map(|g| {
                    in_base
                        .iter()
                        .filter(|b| {
                            &group_of(b) == g
                                && b.values.get(variable).is_some_and(|s| s.contains(&id))
                        })
                        .count()
                })
                .collect();
            let total = per.iter().sum();
            CrossRow {
                id,
                label,
                counts: per,
                total,
            }
        })
        .collect();
    let group_bases = groups
        .iter()
        .map(|g| in_base.iter().filter(|b| &group_of(b) == g).count())
        .collect();
    Some(CrossTab {
        variable: variable.into(),
        label: v.label.clone(),
        by: "region".into(),
        groups,
        rows,
        group_bases,
        base: in_base.len(),
    })
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
            categories = [{ id = "director", label = "Director" }, { id = "head", label = "Head" }]
            [[variables]]
            id = "themes"
            label = "Themes"
            kind = "multiple"
            categories = [{ id = "a", label = "A" }, { id = "b", label = "B" }, { id = "c", label = "C" }]
            [[indicators]]
            id = "no_lead"
            label = "No lead"
            any = ["lead = no"]
            "#,
        )
        .unwrap()
    }

    fn body(code: &str, region: &str, pairs: &[(&str, &str)]) -> Body {
        let mut values = Values::new();
        for (k, v) in pairs {
            values
                .entry(k.to_string())
                .or_default()
                .insert(v.to_string());
        }
        Body {
            code: code.into(),
            name: code.into(),
            region: Some(region.into()),
            values,
        }
    }

    #[test]
    fn bodies_not_yet_coded_are_never_in_a_base() {
        // 4 of 36 coded, one of them without a lead: one in four, not "1 of 36".
        let mut bodies: Vec<Body> = (0..32).map(|i| body(&format!("U{i}"), "N", &[])).collect();
        bodies.push(body("A", "N", &[("lead", "no"), ("themes", NONE_OF_THESE)]));
        for c in ["B", "C", "D"] {
            bodies.push(body(
                c,
                "N",
                &[("lead", "yes"), ("title", "director"), ("themes", "a")],
            ));
        }
        let f = aggregate(&cb(), &bodies);
        assert_eq!(f.authorities, 36);
        let lead = &f.variables[0];
        assert_eq!((lead.base, lead.eligible), (4, 36));
        assert_eq!(lead.categories[1].percent, 25.0);
        assert_eq!(f.indicators[0].base, 4);
        assert_eq!(f.indicators[0].count, 1);
        assert_eq!(f.indicators[0].phrase, "one in four");
        assert!(
            !complete(&cb(), &bodies[0].values),
            "an uncoded body is not complete"
        );
        assert!(complete(&cb(), &bodies[33].values));
        assert!(
            complete(&cb(), &bodies[32].values),
            "no lead: the title does not apply"
        );
    }

    #[test]
    fn counts_with_the_right_bases_and_zero_categories() {
        let bodies = vec![
            body(
                "A",
                "N",
                &[
                    ("lead", "yes"),
                    ("title", "director"),
                    ("themes", "b"),
                    ("themes", "c"),
                ],
            ),
            body(
                "B",
                "N",
                &[("lead", "yes"), ("title", "director"), ("themes", "b")],
            ),
            body("C", "S", &[("lead", "no"), ("themes", NONE_OF_THESE)]),
            body("D", "S", &[("lead", "yes")]),
        ];
        let f = aggregate(&cb(), &bodies);
        assert_eq!(f.authorities, 4);
        let lead = &f.variables[0];
        assert_eq!((lead.base, lead.coded), (4, 4));
        assert_eq!(
            lead.categories.iter().map(|c| c.count).collect::<Vec<_>>(),
            vec![3, 1]
        );
        assert_eq!(lead.categories[0].percent, 75.0);
        let title = &f.variables[1];
        assert_eq!(
            (title.base, title.coded, title.eligible, title.not_coded),
            (2, 2, 3, 1),
            "base: bodies with a lead that are coded for the title; D (a lead, no title) waits"
        );
        assert_eq!(title.categories[0].percent, 100.0, "2 of the 2 coded");
        assert_eq!(title.categories[1].count, 0, "zero categories are present");
        let themes = &f.variables[2];
        assert_eq!(
            themes
                .categories
                .iter()
                .map(|c| (c.id.as_str(), c.count))
                .collect::<Vec<_>>(),
            vec![("b", 2), ("c", 1), ("a", 0), (NONE_OF_THESE, 1)]
        );
        assert_eq!(
            (themes.base, themes.not_coded),
            (3, 1),
            "C answered none of these (in the base); D is not coded (out of it)"
        );
        assert_eq!(f.indicators[0].count, 1);
        assert_eq!(f.indicators[0].bodies, vec!["C"]);
        // D has a lead but no title, and no themes: both are gaps. C's "none of these" is an
        // answer, not a gap.
        assert!(f
            .data_quality
            .iter()
            .any(|i| i.authority == "D" && i.variable == "title"));
        assert_eq!(
            f.data_quality
                .iter()
                .filter(|i| i.variable == "themes")
                .map(|i| i.authority.as_str())
                .collect::<Vec<_>>(),
            ["D"]
        );
        // A body with no codes at all is reported once.
        let f = aggregate(&cb(), &[body("E", "N", &[])]);
        assert_eq!(f.data_quality.len(), 1);
        assert_eq!(f.data_quality[0].problem, "not coded at all");
    }

    #[test]
    fn contradictions_are_reported() {
        let bodies = vec![
            body(
                "A",
                "N",
                &[("lead", "no"), ("title", "head"), ("themes", "a")],
            ),
            body(
                "B",
                "N",
                &[
                    ("lead", "yes"),
                    ("lead", "no"),
                    ("title", "head"),
                    ("themes", "a"),
                ],
            ),
        ];
        let f = aggregate(&cb(), &bodies);
        let problems: Vec<String> = f
            .data_quality
            .iter()
            .map(|i| format!("{} {} {}", i.authority, i.variable, i.problem))
            .collect();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("A title coded head although `lead = yes` does not hold")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with("B lead 2 values")),
            "{problems:?}"
        );
    }

    #[test]
    fn crosstab_groups_by_region() {
        let bodies = vec![
            body("A", "North", &[("lead", "yes")]),
            body("B", "North", &[("lead", "no")]),
            body("C", "South", &[("lead", "yes")]),
        ];
        let x = crosstab_by_region(&cb(), &bodies, "lead").unwrap();
        assert_eq!(x.groups, vec!["North", "South"]);
        assert_eq!(x.rows[0].counts, vec![1, 1]);
        assert_eq!(x.rows[1].counts, vec![1, 0]);
        assert_eq!(x.group_bases, vec![2, 1]);
    }
}
