//! Matching an inbound e-mail to its request. Rules, in order (the first that decides wins,
//! and the rule is recorded):
//!
//! 1. `thread`: In-Reply-To / References (or, in a delivery failure report, the returned
//!    message's Message-ID) name one of our Message-IDs;
//! 2. `reference`: a reference token (`MSK26-QHM`) appears in the subject or body, tolerant
//!    of case, spacing and `RE:`/`FW:` prefixes;
//! 3. `plus_address`: a per-request plus-address (`foi+msk26-qhm@…`) is in To/Cc/Delivered-To;
//! 4. `sender`: the sender's address is known for exactly one body with an open request;
//! 5. `sender_domain`: the sender's domain is known for exactly one such body;
//! 6. otherwise the triage queue.
//!
//! A rule that finds more than one candidate request does not decide; the next rule is tried.

use super::mail::{angle, ParsedMail};
use super::reference::find_references;
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

/// What the matcher knows about our requests.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Our outbound Message-IDs (`<…>`) → request id.
    pub message_ids: HashMap<String, i32>,
    /// Reference (`MSK26-QHM`) → request id.
    pub references: HashMap<String, i32>,
    /// Reply-To pattern like `foi+{ref}@example.org` (empty for none).
    pub plus_pattern: String,
    /// Known sender address (lower case) → the open requests of the body it belongs to.
    pub addresses: HashMap<String, BTreeSet<i32>>,
}

fn domain(addr: &str) -> Option<&str> {
    addr.rsplit_once('@').map(|(_, d)| d)
}

impl Catalog {
    /// Finds the request a mail belongs to, with the rule that decided.
    pub fn match_mail(&self, m: &ParsedMail) -> Option<(i32, Rule)> {
        // 1. Threading headers.
        let thread: BTreeSet<i32> = m
            .in_reply_to
            .iter()
            .chain(&m.references)
            .chain(&m.returned_message_ids)
            .filter_map(|id| self.message_ids.get(&angle(id)).copied())
            .collect();
        if thread.len() == 1 {
            return thread.first().map(|r| (*r, Rule::Thread));
        }
        // 2. Reference token in subject or body (or in a forwarded or returned message).
        let hay = format!("{}\n{}\n{}", m.subject, m.text, m.attached_text);
        let found: BTreeSet<i32> =
            find_references(&hay, self.references.keys().map(String::as_str))
                .into_iter()
                .filter_map(|r| self.references.get(r).copied())
                .collect();
        if found.len() == 1 {
            return found.first().map(|r| (*r, Rule::Reference));
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
            if hits.len() == 1 {
                return hits.first().map(|r| (*r, Rule::PlusAddress));
            }
        }
        // 4. Sender address known for one body.
        let from = m.from_addr.as_deref()?.to_ascii_lowercase();
        if let Some(reqs) = self.addresses.get(&from) {
            if reqs.len() == 1 {
                return reqs.first().map(|r| (*r, Rule::Sender));
            }
        }
        // 5. Sender domain known for one body.
        let d = domain(&from)?;
        let by_domain: BTreeSet<i32> = self
            .addresses
            .iter()
            .filter(|(a, _)| domain(a) == Some(d))
            .flat_map(|(_, r)| r.iter().copied())
            .collect();
        if by_domain.len() == 1 {
            return by_domain.first().map(|r| (*r, Rule::SenderDomain));
        }
        None
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
            Some((1, Rule::Thread))
        );
        assert_eq!(
            c.match_mail(&mail(|m| m.subject = "RE: FW: [foi ref msk26 - qf7]".into())),
            Some((2, Rule::Reference))
        );
        assert_eq!(
            c.match_mail(&mail(|m| m.text = "Our ref: MSK26-QWO\nRegards".into())),
            Some((3, Rule::Reference))
        );
        assert_eq!(
            c.match_mail(&mail(
                |m| m.recipients = vec!["foi+msk26-qf7@charity.org".into()]
            )),
            Some((2, Rule::PlusAddress))
        );
        assert_eq!(
            c.match_mail(&mail(|m| m.from_addr = Some("NENCICB.FOI@nhs.net".into()))),
            Some((1, Rule::Sender))
        );
        // A colleague at a body-specific domain.
        assert_eq!(
            c.match_mail(&mail(
                |m| m.from_addr = Some("jane.doe@southyorks.icb.nhs.uk".into())
            )),
            Some((2, Rule::SenderDomain))
        );
        // nhs.net is shared by several bodies: no decision.
        assert_eq!(
            c.match_mail(&mail(|m| m.from_addr = Some("someone.else@nhs.net".into()))),
            None
        );
        assert_eq!(c.match_mail(&mail(|_| {})), None);
    }

    #[test]
    fn thread_beats_a_conflicting_reference() {
        let c = catalog();
        let m = mail(|m| {
            m.references = vec!["<foi.msk26-qhm.request@charity.org>".into()];
            m.subject = "About MSK26-QF7".into();
        });
        assert_eq!(c.match_mail(&m), Some((1, Rule::Thread)));
    }

    #[test]
    fn two_references_fall_through_to_the_next_rule() {
        let c = catalog();
        let m = mail(|m| {
            m.subject = "MSK26-QHM and MSK26-QF7".into();
            m.from_addr = Some("wyicb.foi@nhs.net".into());
        });
        assert_eq!(c.match_mail(&m), Some((3, Rule::Sender)));
    }
}
