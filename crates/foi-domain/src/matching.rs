//! Matching an inbound e-mail to its requests. Rules, in order (the first that decides wins,
//! and the rule is recorded):
//!
//! 1. `thread`: In-Reply-To / References (or, in a delivery failure report, the returned
//!    message's Message-ID) name one of our Message-IDs;
//! 2. `reference`: a reference token (`MSK26-QHM`) appears in the subject or body, tolerant
//!    of case, spacing and `RE:`/`FW:` prefixes;
//! 3. `plus_address`: a per-request plus-address (`foi+msk26-qhm@…`) is in To/Cc/Delivered-To;
//! 4. `sender`: the sender's address is known for the body (or bodies) with an open request;
//! 5. `sender_domain`: the sender's domain is known for exactly one such body;
//! 6. otherwise the triage queue.
//!
//! **One reply, several requests.** Clustered ICBs share one FOI team, which may answer for
//! several bodies in one e-mail. A match is therefore a set of requests, all of one round:
//! - a message threaded to one request that also names other references *of the same round*
//!   is linked to each of them (the thread's request first, the others by `reference`);
//! - a message naming several references of one round is linked to each (`reference`);
//! - a message from an address known for several bodies, each with an open request in the same
//!   round, is linked to each (`sender`).
//!
//! References of different rounds, or a sender known for requests of several rounds, do not
//! decide (a body's reply to this year's round that quotes last year's reference must not land
//! on last year's request): the next rule is tried. The sender's domain never fans out.

use super::mail::{angle, ParsedMail};
use super::reference::ReferenceIndex;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Thread,
    Reference,
    PlusAddress,
    Sender,
    SenderDomain,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Thread => "thread",
            Rule::Reference => "reference",
            Rule::PlusAddress => "plus_address",
            Rule::Sender => "sender",
            Rule::SenderDomain => "sender_domain",
        }
    }
}

/// The requests a message belongs to, each with the rule that linked it; never empty. The
/// first is the message's own request (the one it is threaded to, or the lowest id); the
/// others get a linked copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched(Vec<(i32, Rule)>);

impl Matched {
    fn one(request: i32, rule: Rule) -> Matched {
        Matched(vec![(request, rule)])
    }

    /// The message's own request and the rule that decided it.
    pub fn first(&self) -> (i32, Rule) {
        self.0[0]
    }

    /// The further requests the same message answers.
    pub fn others(&self) -> &[(i32, Rule)] {
        &self.0[1..]
    }

    /// Every request, the first first.
    pub fn all(&self) -> &[(i32, Rule)] {
        &self.0
    }
}

/// What the matcher knows about our requests.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Our outbound Message-IDs (`<…>`) → request id.
    pub message_ids: HashMap<String, i32>,
    /// Reference (`MSK26-QHM`) → request id.
    pub references: HashMap<String, i32>,
    /// Request id → its round's id (a message fans out only within one round).
    pub rounds: HashMap<i32, i32>,
    /// Reply-To pattern like `foi+{ref}@example.org` (empty for none).
    pub plus_pattern: String,
    /// Known sender address (lower case) → the open requests of the bodies it belongs to.
    pub addresses: HashMap<String, BTreeSet<i32>>,
    /// Built from the fields above on the first match (fill them first): the references by
    /// their words and the requests by sender domain, so matching one mail costs the same
    /// whatever the number of requests.
    lookups: std::sync::OnceLock<Lookups>,
}

#[derive(Debug, Clone)]
struct Lookups {
    references: ReferenceIndex,
    by_domain: HashMap<String, BTreeSet<i32>>,
}

fn domain(addr: &str) -> Option<&str> {
    addr.rsplit_once('@').map(|(_, d)| d)
}

impl Catalog {
    /// An empty catalog for replies addressed by `plus_pattern` (empty for none); fill its
    /// fields before matching.
    pub fn new(plus_pattern: &str) -> Catalog {
        Catalog {
            plus_pattern: plus_pattern.to_string(),
            ..Default::default()
        }
    }

    /// The requests a mail belongs to, with the rule that decided each.
    pub fn match_mail(&self, m: &ParsedMail) -> Option<Matched> {
        let lookups = self.lookups.get_or_init(|| self.lookups());
        // References named anywhere in the text (or in a forwarded or returned message).
        let hay = format!("{}\n{}\n{}", m.subject, m.text, m.attached_text);
        let named: BTreeSet<i32> = lookups
            .references
            .find(&hay)
            .into_iter()
            .filter_map(|r| self.references.get(r).copied())
            .collect();
        // 1. Threading headers.
        let thread: BTreeSet<i32> = m
            .in_reply_to
            .iter()
            .chain(&m.references)
            .chain(&m.returned_message_ids)
            .filter_map(|id| self.message_ids.get(&angle(id)).copied())
            .collect();
        if let (1, Some(&first)) = (thread.len(), thread.first()) {
            let mut found = vec![(first, Rule::Thread)];
            found.extend(
                named
                    .iter()
                    .filter(|r| **r != first && self.same_round(first, **r))
                    .map(|r| (*r, Rule::Reference)),
            );
            return Some(Matched(found));
        }
        // 2. Reference tokens, all of one round.
        if let Some(found) = self.one_round(&named, Rule::Reference) {
            return Some(found);
        }
        // 3. Per-request plus-address.
        if let Some((prefix, suffix)) = self.plus_pattern.split_once("{ref}") {
            let (prefix, suffix) = (prefix.to_ascii_lowercase(), suffix.to_ascii_lowercase());
            let hits: BTreeSet<i32> = m
                .recipients
                .iter()
                .filter_map(|a| {
                    a.strip_prefix(&prefix)
                        .and_then(|r| r.strip_suffix(&suffix))
                })
                .filter_map(|r| self.references.get(&r.to_ascii_uppercase()).copied())
                .collect();
            if let (1, Some(&r)) = (hits.len(), hits.first()) {
                return Some(Matched::one(r, Rule::PlusAddress));
            }
        }
        // 4. Sender address known for the bodies of open requests of one round.
        let from = m.from_addr.as_deref()?.to_ascii_lowercase();
        if let Some(found) = self
            .addresses
            .get(&from)
            .and_then(|reqs| self.one_round(reqs, Rule::Sender))
        {
            return Some(found);
        }
        // 5. Sender domain known for one body.
        let by_domain = lookups.by_domain.get(domain(&from)?)?;
        if let (1, Some(&r)) = (by_domain.len(), by_domain.first()) {
            return Some(Matched::one(r, Rule::SenderDomain));
        }
        None
    }

    fn lookups(&self) -> Lookups {
        let mut by_domain: HashMap<String, BTreeSet<i32>> = HashMap::new();
        for (a, reqs) in &self.addresses {
            if let Some(d) = domain(a) {
                by_domain.entry(d.to_string()).or_default().extend(reqs);
            }
        }
        Lookups {
            references: ReferenceIndex::new(self.references.keys().map(String::as_str)),
            by_domain,
        }
    }

    fn same_round(&self, a: i32, b: i32) -> bool {
        matches!((self.rounds.get(&a), self.rounds.get(&b)), (Some(x), Some(y)) if x == y)
    }

    /// The requests as one match when they are all of one round (one request always is).
    fn one_round(&self, requests: &BTreeSet<i32>, rule: Rule) -> Option<Matched> {
        let first = *requests.first()?;
        let together = requests
            .iter()
            .all(|r| *r == first || self.same_round(first, *r));
        together.then(|| Matched(requests.iter().map(|r| (*r, rule)).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let mut c = Catalog {
            plus_pattern: "foi+{ref}@charity.org".into(),
            ..Default::default()
        };
        c.message_ids
            .insert("<foi.msk26-qhm.request@charity.org>".into(), 1);
        c.message_ids
            .insert("<foi.msk26-qf7.request@charity.org>".into(), 2);
        c.references.insert("MSK26-QHM".into(), 1);
        c.references.insert("MSK26-QF7".into(), 2);
        c.references.insert("MSK26-QWO".into(), 3);
        c.addresses.insert("nencicb.foi@nhs.net".into(), [1].into());
        c.addresses
            .insert("foi@southyorks.icb.nhs.uk".into(), [2].into());
        c.addresses.insert("wyicb.foi@nhs.net".into(), [3].into());
        // Last year's round, one of the same bodies.
        c.references.insert("MSK24-QHM".into(), 9);
        for r in [1, 2, 3] {
            c.rounds.insert(r, 26);
        }
        c.rounds.insert(9, 24);
        c
    }

    fn mail(f: impl Fn(&mut ParsedMail)) -> ParsedMail {
        let mut m = ParsedMail {
            subject: "Your request".into(),
            from_addr: Some("someone@elsewhere.org".into()),
            ..Default::default()
        };
        f(&mut m);
        m
    }

    #[test]
    fn rules_in_order() {
        let c = catalog();
        assert_eq!(
            c.match_mail(&mail(
                |m| m.in_reply_to = vec!["foi.msk26-qhm.request@charity.org".into()]
            )),
            Some(Matched(vec![(1, Rule::Thread)]))
        );
        assert_eq!(
            c.match_mail(&mail(|m| m.subject = "RE: FW: [foi ref msk26 - qf7]".into())),
            Some(Matched(vec![(2, Rule::Reference)]))
        );
        assert_eq!(
            c.match_mail(&mail(|m| m.text = "Our ref: MSK26-QWO\nRegards".into())),
            Some(Matched(vec![(3, Rule::Reference)]))
        );
        assert_eq!(
            c.match_mail(&mail(
                |m| m.recipients = vec!["foi+msk26-qf7@charity.org".into()]
            )),
            Some(Matched(vec![(2, Rule::PlusAddress)]))
        );
        assert_eq!(
            c.match_mail(&mail(|m| m.from_addr = Some("NENCICB.FOI@nhs.net".into()))),
            Some(Matched(vec![(1, Rule::Sender)]))
        );
        // A colleague at a body-specific domain.
        assert_eq!(
            c.match_mail(&mail(
                |m| m.from_addr = Some("jane.doe@southyorks.icb.nhs.uk".into())
            )),
            Some(Matched(vec![(2, Rule::SenderDomain)]))
        );
        // nhs.net is shared by several bodies: no decision.
        assert_eq!(
            c.match_mail(&mail(|m| m.from_addr = Some("someone.else@nhs.net".into()))),
            None
        );
        assert_eq!(c.match_mail(&mail(|_| {})), None);
    }

    #[test]
    fn a_threaded_reply_naming_other_references_of_its_round_answers_each() {
        let c = catalog();
        let m = mail(|m| {
            m.references = vec!["<foi.msk26-qhm.request@charity.org>".into()];
            m.subject = "Your requests MSK26-QHM and MSK26-QF7".into();
        });
        let found = c.match_mail(&m).unwrap();
        assert_eq!(found.first(), (1, Rule::Thread));
        assert_eq!(found.others(), &[(2, Rule::Reference)]);
    }

    #[test]
    fn a_threaded_reply_quoting_last_years_reference_stays_on_its_own_request() {
        let c = catalog();
        let m = mail(|m| {
            m.references = vec!["<foi.msk26-qhm.request@charity.org>".into()];
            m.text = "As in our answer to MSK24-QHM last year".into();
        });
        assert_eq!(c.match_mail(&m), Some(Matched(vec![(1, Rule::Thread)])));
    }

    #[test]
    fn two_references_of_one_round_link_both() {
        let c = catalog();
        let m = mail(|m| {
            m.subject = "MSK26-QHM and MSK26-QF7".into();
            m.from_addr = Some("wyicb.foi@nhs.net".into());
        });
        assert_eq!(
            c.match_mail(&m),
            Some(Matched(vec![(1, Rule::Reference), (2, Rule::Reference)]))
        );
    }

    #[test]
    fn references_of_two_rounds_fall_through_to_the_next_rule() {
        let c = catalog();
        let m = mail(|m| {
            m.subject = "MSK26-QF7 and MSK24-QHM".into();
            m.from_addr = Some("wyicb.foi@nhs.net".into());
        });
        assert_eq!(c.match_mail(&m), Some(Matched(vec![(3, Rule::Sender)])));
    }

    #[test]
    fn a_shared_foi_team_is_linked_to_each_of_its_bodies_requests_in_one_round() {
        let mut c = catalog();
        c.addresses
            .insert("cluster.foi@nhs.net".into(), [2, 3].into());
        let m = mail(|m| m.from_addr = Some("Cluster.FOI@nhs.net".into()));
        assert_eq!(
            c.match_mail(&m),
            Some(Matched(vec![(2, Rule::Sender), (3, Rule::Sender)]))
        );
        // Known for requests of two rounds: no decision (triage).
        c.addresses
            .insert("cluster.foi@nhs.net".into(), [3, 9].into());
        assert_eq!(c.match_mail(&m), None);
    }
}
