//! Round-over-round comparison across registers: mapping each body of the current round to
//! the body or bodies it is compared with in the baseline round.
//!
//! Same code in both registers → compared with itself. A new body (e.g. an ICB formed in April
//! 2026) → compared with the *set* of its predecessors (`predecessor_ods_codes`, and any
//! baseline body naming it as a successor). A baseline body that maps to no current body is
//! listed as not compared, never dropped silently.

use super::register::{link_code, AuthorityRecord};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub code: String,
    pub name: String,
    /// Baseline codes compared with (with `(part)` where only part of the area passed on).
    pub baseline: Vec<String>,
    /// How the body was compared, in words.
    pub how: String,
}

/// Maps every current body to its baseline bodies; returns the mappings and the baseline
/// codes that no current body maps to.
pub fn map_bodies(
    current: &[AuthorityRecord],
    baseline: &[AuthorityRecord],
) -> (Vec<Mapping>, Vec<String>) {
    let base_codes: BTreeSet<&str> = baseline.iter().map(|b| b.code.as_str()).collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for c in current {
        let mut links: Vec<String> = Vec::new();
        if base_codes.contains(c.code.as_str()) {
            links.push(c.code.clone());
        }
        for p in &c.predecessors {
            if base_codes.contains(link_code(p))
                && !links.iter().any(|l| link_code(l) == link_code(p))
            {
                links.push(p.clone());
            }
        }
        for b in baseline {
            if b.successors.iter().any(|s| link_code(s) == c.code)
                && !links.iter().any(|l| link_code(l) == b.code)
            {
                let partial = b.successors.len() > 1;
                links.push(if partial {
                    format!("{}(part)", b.code)
                } else {
                    b.code.clone()
                });
            }
        }
        let how = match links.as_slice() {
            [] => "new body with no predecessor in the baseline: not compared".to_string(),
            [one] if link_code(one) == c.code => "same body in both rounds".to_string(),
            _ => format!(
                "successor compared against the set of its predecessors: {}",
                links.join(", ")
            ),
        };
        used.extend(links.iter().map(|l| link_code(l).to_string()));
        out.push(Mapping {
            code: c.code.clone(),
            name: c.name.clone(),
            baseline: links,
            how,
        });
    }
    let unmapped = baseline
        .iter()
        .filter(|b| !used.contains(&b.code))
        .map(|b| b.code.clone())
        .collect();
    (out, unmapped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::parse_register;

    #[test]
    fn every_2026_body_maps_to_2024_and_none_is_dropped() {
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
        let (maps, unmapped) = map_bodies(&r26, &r24);
        assert_eq!(maps.len(), 36);
        assert!(unmapped.is_empty(), "{unmapped:?}");
        assert!(maps.iter().all(|m| !m.baseline.is_empty()));
        let central = maps.iter().find(|m| m.code == "S1Y5D").unwrap();
        assert_eq!(central.baseline, vec!["QHG", "QUE", "QM7(part)"]);
        assert!(central
            .how
            .starts_with("successor compared against the set of its predecessors"));
        let same = maps.iter().find(|m| m.code == "QHM").unwrap();
        assert_eq!(same.how, "same body in both rounds");
        // Hampshire and Isle of Wight continues and gains part of Frimley.
        let hiow = maps.iter().find(|m| m.code == "QRL").unwrap();
        assert_eq!(hiow.baseline, vec!["QRL", "QNQ(part)"]);
    }
}
