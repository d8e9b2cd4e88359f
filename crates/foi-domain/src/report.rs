//! What a findings report says, before it is rendered: the round, how far coding has got, the
//! findings and cross-tabulations, timeliness, the sources and documents behind them, and any
//! comparison with an earlier round. The services assemble it; the report adapter renders it.

use crate::aggregate::{CrossTab, Findings};
use crate::compare::Mapping;
use crate::timeliness::Timeliness;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RoundInfo {
    pub slug: String,
    pub title: String,
    pub register: String,
    pub kind: String,
    pub description: String,
    /// What the bodies are called in prose ("ICBs").
    pub bodies: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub code: String,
    pub name: String,
    pub url: Option<String>,
    pub title: Option<String>,
    /// When the version coded from was retrieved (UK date), if a copy is kept.
    pub retrieved: Option<String>,
    /// Distinct versions kept.
    pub versions: usize,
    /// What became of the document: "read", "no text: needs OCR", "not fetched: why" …
    pub reading: String,
}

/// Desk research: how many documents the findings rest on.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentsRead {
    /// Bodies in the round.
    pub bodies: usize,
    /// Bodies with a document kept and its text read.
    pub read: usize,
    /// Earliest and latest retrieval of the documents read.
    pub first_retrieved: Option<String>,
    pub last_retrieved: Option<String>,
    /// Bodies with no document read, and why ("Name (CODE): why").
    pub without: Vec<String>,
    pub without_count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComparedRow {
    pub id: String,
    pub label: String,
    pub current: usize,
    pub current_percent: f64,
    pub baseline: usize,
    pub baseline_percent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BodyChange {
    pub code: String,
    pub name: String,
    pub current: String,
    pub baseline: String,
    pub changed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComparedVariable {
    pub id: String,
    pub label: String,
    pub current_base: usize,
    pub baseline_base: usize,
    pub rows: Vec<ComparedRow>,
    pub bodies: Vec<BodyChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub baseline: RoundInfo,
    pub mappings: Vec<Mapping>,
    /// Baseline bodies no current body maps to (listed, never dropped silently).
    pub not_compared: Vec<String>,
    pub variables: Vec<ComparedVariable>,
    pub indicators: Vec<ComparedRow>,
    /// Rounds that ask different questions (an FOI round and a desk round) meet on the bodies
    /// both cover: each pair of indicators, counted over those bodies.
    pub together: Vec<Together>,
    /// Bodies in both rounds and fully coded in both: the base of `together`.
    pub together_base: usize,
}

/// One indicator of this round and one of the baseline, on the bodies both cover.
#[derive(Debug, Clone, Serialize)]
pub struct Together {
    pub current: String,
    pub baseline: String,
    /// Bodies for which both hold.
    pub count: usize,
    pub base: usize,
    pub percent: f64,
    pub bodies: Vec<String>,
}

/// How far coding has got: until `complete`, every report and export says so, and the
/// narrative summary prints no headline sentence.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Coverage {
    pub bodies: usize,
    /// Bodies coded for every variable that applies to them.
    pub coded: usize,
    /// Bodies whose response has not come yet (nothing coded).
    pub not_received: usize,
    /// Bodies that responded (or, in a record or desk round, are there to code) and are not
    /// fully coded.
    pub not_coded: usize,
    pub complete: bool,
    /// "Coding complete for 4 of 36 ICBs (28 responses not yet received, 4 received and not
    /// coded)."
    pub sentence: String,
}

impl Coverage {
    pub fn new(bodies: usize, coded: usize, not_received: usize, noun: &str) -> Coverage {
        let not_coded = bodies - coded - not_received;
        let complete = coded == bodies;
        let responses = |n: usize| if n == 1 { "response" } else { "responses" };
        let sentence = if complete {
            format!("Coding complete for all {bodies} {noun}.")
        } else {
            format!(
                "Coding complete for {coded} of {bodies} {noun} ({not_received} {} not yet received, {not_coded} received and not coded). These findings are provisional.",
                responses(not_received)
            )
        };
        Coverage {
            bodies,
            coded,
            not_received,
            not_coded,
            complete,
            sentence,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    pub round: RoundInfo,
    pub generated_on: String,
    pub coverage: Coverage,
    pub findings: Findings,
    pub crosstabs: Vec<CrossTab>,
    pub timeliness: Option<Timeliness>,
    pub sources: Vec<Source>,
    /// Desk-research rounds: the documents behind the findings.
    pub documents: Option<DocumentsRead>,
    pub comparison: Option<Comparison>,
}
