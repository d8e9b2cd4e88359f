//! Codebooks: the variables a response is coded on, and derived indicators.
//!
//! A variable is single choice (ordered categories), multiple choice, yes/no, number or free
//! text, with an optional condition saying when it applies (`lead_title` only when
//! `msk_lead = yes`). An indicator is true for a body when any (or all) of its conditions hold
//! (e.g. `no_lead_or_no_priorities`).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The value that codes a multiple-choice variable as "none of these": an answer (the body
/// is coded, in the base, with no category), distinct from not coded (no value at all).
pub const NONE_OF_THESE: &str = "none_of_these";

/// How "none of these" reads in forms and reports.
pub const NONE_OF_THESE_LABEL: &str = "None of these";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarKind {
    Single,
    Multiple,
    YesNo,
    Number,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub label: String,
    /// Words and phrases that speak for this category in a response (`orthopaed*` for words
    /// that start so): what the coding workbench suggests from (see `domain::suggest`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub id: String,
    pub label: String,
    pub kind: VarKind,
    /// A condition like `msk_lead = yes` or `priorities in none, vague`.
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Which question of the round this variable codes (for the coding form).
    #[serde(default)]
    pub question: Option<String>,
    /// The value suggested when none of the variable's hints is in any document read (desk
    /// research: a plan that never mentions pain services suggests `pain_reference = no`).
    #[serde(default)]
    pub absent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub any: Vec<String>,
    #[serde(default)]
    pub all: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codebook {
    #[serde(default)]
    pub variables: Vec<Variable>,
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

/// `variable = value` or `variable in a, b, c` (also `!=` / `not in`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub variable: String,
    pub values: Vec<String>,
    pub negated: bool,
}

impl Condition {
    pub fn parse(s: &str) -> Result<Condition, String> {
        let s = s.trim();
        let (var, vals, negated) = if let Some((v, rest)) = s.split_once(" not in ") {
            (v, rest, true)
        } else if let Some((v, rest)) = s.split_once(" in ") {
            (v, rest, false)
        } else if let Some((v, rest)) = s.split_once("!=") {
            (v, rest, true)
        } else if let Some((v, rest)) = s.split_once('=') {
            (v, rest, false)
        } else {
            return Err(format!(
                "`{s}` is not a condition; write `variable = value` or `variable in a, b`"
            ));
        };
        let values: Vec<String> = vals
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if var.trim().is_empty() || values.is_empty() {
            return Err(format!("`{s}` needs a variable and at least one value"));
        }
        Ok(Condition {
            variable: var.trim().to_string(),
            values,
            negated,
        })
    }

    /// Whether the condition holds for one body's coded values.
    pub fn holds(&self, values: &BTreeMap<String, BTreeSet<String>>) -> bool {
        let any = values
            .get(&self.variable)
            .map(|set| self.values.iter().any(|v| set.contains(v)))
            .unwrap_or(false);
        if self.negated {
            // "x != a" holds only when x is coded with something other than a.
            values.get(&self.variable).is_some_and(|s| !s.is_empty()) && !any
        } else {
            any
        }
    }
}

impl Codebook {
    pub fn variable(&self, id: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.id == id)
    }

    /// Checks ids are unique, conditions refer to known variables and categories, and choice
    /// variables have categories. Each problem says where it is (see [`Problem`]).
    pub(crate) fn validate(&self) -> Vec<Problem> {
        let mut errs = Vec::new();
        let mut seen = HashSet::new();
        for v in &self.variables {
            if !seen.insert(v.id.as_str()) {
                errs.push(Problem::at(
                    "id",
                    &v.id,
                    1,
                    format!("codebook variable `{}` is defined twice", v.id),
                ));
            }
            match v.kind {
                VarKind::Single | VarKind::Multiple if v.categories.is_empty() => {
                    errs.push(Problem::at(
                        "id",
                        &v.id,
                        0,
                        format!(
                            "codebook variable `{}` is {:?} choice but has no categories",
                            v.id, v.kind
                        ),
                    ))
                }
                _ => {}
            }
            let mut cats = HashSet::new();
            for c in &v.categories {
                if c.id == NONE_OF_THESE {
                    errs.push(Problem::at(
                        "id",
                        &c.id,
                        0,
                        format!(
                            "codebook variable `{}`: `{NONE_OF_THESE}` is foi's own answer for a multiple choice; give the category another id",
                            v.id
                        ),
                    ));
                }
                if !cats.insert(c.id.as_str()) {
                    errs.push(Problem::at(
                        "id",
                        &c.id,
                        1,
                        format!(
                            "codebook variable `{}`: category `{}` is defined twice",
                            v.id, c.id
                        ),
                    ));
                }
            }
            if v.kind == VarKind::YesNo {
                for c in &v.categories {
                    if !matches!(c.id.as_str(), "yes" | "no") {
                        errs.push(Problem::at(
                            "id",
                            &c.id,
                            0,
                            format!(
                                "codebook variable `{}` is yes/no: its categories (for hints) can only be `yes` and `no`, not `{}`",
                                v.id, c.id
                            ),
                        ));
                    }
                }
            }
            if let Some(a) = &v.absent {
                if !self.is_valid_value(v, a) {
                    errs.push(Problem::at(
                        "absent",
                        a,
                        0,
                        format!(
                            "codebook variable `{}`, `absent`: `{a}` is not one of its values",
                            v.id
                        ),
                    ));
                }
            }
            if let Some(w) = &v.when {
                if let Err(e) = self.check_condition(w) {
                    errs.push(Problem::at(
                        "when",
                        w,
                        0,
                        format!("codebook variable `{}`, `when`: {e}", v.id),
                    ));
                }
            }
        }
        let mut seen_ind = HashSet::new();
        for i in &self.indicators {
            if !seen_ind.insert(i.id.as_str()) || seen.contains(i.id.as_str()) {
                errs.push(Problem::at(
                    "id",
                    &i.id,
                    1,
                    format!("codebook indicator `{}` reuses an id", i.id),
                ));
            }
            if i.any.is_empty() && i.all.is_empty() {
                errs.push(Problem::at(
                    "id",
                    &i.id,
                    0,
                    format!(
                        "codebook indicator `{}` needs `any` or `all` conditions",
                        i.id
                    ),
                ));
            }
            for c in i.any.iter().chain(&i.all) {
                if let Err(e) = self.check_condition(c) {
                    errs.push(Problem::at(
                        "any",
                        c,
                        0,
                        format!("codebook indicator `{}`: {e}", i.id),
                    ));
                }
            }
        }
        errs
    }

    fn check_condition(&self, s: &str) -> Result<Condition, String> {
        let c = Condition::parse(s)?;
        let v = self
            .variable(&c.variable)
            .ok_or_else(|| format!("`{s}` names unknown variable `{}`", c.variable))?;
        for val in &c.values {
            if !self.is_valid_value(v, val) {
                return Err(format!("`{s}`: `{val}` is not a category of `{}`", v.id));
            }
        }
        Ok(c)
    }

    /// Whether `value` is allowed for variable `v` (category id, yes/no, a number, any text).
    pub(crate) fn is_valid_value(&self, v: &Variable, value: &str) -> bool {
        match v.kind {
            VarKind::Multiple if value == NONE_OF_THESE => true,
            VarKind::Single | VarKind::Multiple => v.categories.iter().any(|c| c.id == value),
            VarKind::YesNo => matches!(value, "yes" | "no"),
            VarKind::Number => value.trim().parse::<f64>().is_ok(),
            VarKind::Text => !value.trim().is_empty(),
        }
    }

    /// The parsed condition of a variable (validated codebooks only).
    pub fn condition_of(&self, v: &Variable) -> Option<Condition> {
        v.when.as_deref().and_then(|w| Condition::parse(w).ok())
    }

    /// Whether an indicator holds for one body's values.
    pub(crate) fn indicator_holds(
        &self,
        i: &Indicator,
        values: &BTreeMap<String, BTreeSet<String>>,
    ) -> bool {
        let parse = |s: &String| Condition::parse(s).ok();
        let any_ok = i.any.is_empty() || i.any.iter().filter_map(parse).any(|c| c.holds(values));
        let all_ok = i.all.iter().filter_map(parse).all(|c| c.holds(values));
        any_ok && all_ok
    }
}

/// A problem in a codebook, and where in the round file it is: the `nth` (0-based) line that
/// sets `field` to `value` (the second `id = "x"` of a duplicate, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub field: &'static str,
    pub value: String,
    pub nth: usize,
}

impl Problem {
    pub fn at(field: &'static str, value: &str, nth: usize, message: String) -> Problem {
        Problem {
            message,
            field,
            value: value.to_string(),
            nth,
        }
    }
    pub fn contains(&self, s: &str) -> bool {
        self.message.contains(s)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (k, v) in pairs {
            m.entry(k.to_string()).or_default().insert(v.to_string());
        }
        m
    }

    #[test]
    fn conditions_parse_and_hold() {
        let c = Condition::parse("msk_lead = yes").unwrap();
        assert!(c.holds(&values(&[("msk_lead", "yes")])));
        assert!(!c.holds(&values(&[("msk_lead", "no")])));
        assert!(!c.holds(&values(&[])));
        let c = Condition::parse("priorities in none, vague").unwrap();
        assert!(c.holds(&values(&[("priorities", "vague")])));
        assert!(!c.holds(&values(&[("priorities", "specific")])));
        let c = Condition::parse("priorities != specific").unwrap();
        assert!(c.holds(&values(&[("priorities", "vague")])));
        assert!(!c.holds(&values(&[])));
        assert!(Condition::parse("nonsense").is_err());
    }

    #[test]
    fn validation_names_the_problem() {
        let cb: Codebook = toml::from_str(
            r#"
            [[variables]]
            id = "a"
            label = "A"
            kind = "single"
            categories = [{ id = "yes", label = "Yes" }]
            [[variables]]
            id = "b"
            label = "B"
            kind = "single"
            when = "a = maybe"
            categories = [{ id = "x", label = "X" }]
            [[indicators]]
            id = "i"
            label = "I"
            any = ["zzz = yes"]
            "#,
        )
        .unwrap();
        let errs = cb.validate();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("`maybe` is not a category of `a`"));
        assert!(errs[1].contains("unknown variable `zzz`"));
    }
}
