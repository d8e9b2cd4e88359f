//! Identities parsed once at the edge, so nothing further in can hold a malformed one:
//! [`EmailAddress`] (checked when a register is imported, not first at send time),
//! [`Reference`] (a request's `PREFIX-CODE`, never confused with a numeric id) and
//! [`MessageId`] (always angle-bracketed, however a mail system wrote it).
//!
//! Each dereferences to `str`, so reading one is as easy as reading a string.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, o: &str) -> bool {
                self.0 == o
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, o: &&str) -> bool {
                self.0 == *o
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An e-mail address (`local@domain.tld`): one `@`, a non-empty local part, a dotted domain,
/// no spaces or angle brackets. Delivery is the real test; this catches typos and pasted names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);
string_newtype!(EmailAddress);

impl EmailAddress {
    /// The part after the `@`, lower case.
    pub fn domain(&self) -> String {
        self.0
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default()
    }
    /// The address lower-cased, as matching compares addresses.
    pub fn normalised(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl FromStr for EmailAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<EmailAddress, String> {
        let s = s.trim();
        let bad = || format!("`{s}` is not an e-mail address (expected name@example.org)");
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let ok = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c));
        if ok {
            Ok(EmailAddress(s.to_string()))
        } else {
            Err(bad())
        }
    }
}

/// A request's reference, `PREFIX-CODE` in upper case (e.g. `MSK26-QHM`): what letters carry
/// in `[FOI ref …]` and what people type. A number is never a reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference(String);
string_newtype!(Reference);

impl Reference {
    /// The reference for a body in a round.
    pub fn new(prefix: &str, code: &str) -> Reference {
        Reference(super::reference::reference(prefix, code))
    }
}

impl FromStr for Reference {
    type Err = String;
    fn from_str(s: &str) -> Result<Reference, String> {
        let t = s.trim().to_ascii_uppercase();
        let ok = !t.is_empty()
            && t.contains('-')
            && !t.starts_with('-')
            && !t.ends_with('-')
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok {
            Ok(Reference(t))
        } else {
            Err(format!(
                "`{}` is not a request reference (like MSK26-QHM); `foi status SLUG` lists them",
                s.trim()
            ))
        }
    }
}

/// A Message-ID, always stored and compared as `<left@right>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(String);
string_newtype!(MessageId);

impl FromStr for MessageId {
    type Err = String;
    fn from_str(s: &str) -> Result<MessageId, String> {
        let t = s
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c == '<' || c == '>') {
            return Err(format!("`{}` is not a Message-ID", s.trim()));
        }
        Ok(MessageId(format!("<{t}>")))
    }
}

/// A web address: `http://` or `https://`, at most 2,000 characters, no spaces or control
/// characters. Anything else (`javascript:`, `data:`, `file:`) is refused where a link is kept,
/// so a report never carries a live link that runs code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebUrl(String);
string_newtype!(WebUrl);

/// The longest web address accepted.
pub(crate) const MAX_URL: usize = 2000;

impl FromStr for WebUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<WebUrl, String> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let scheme_ok = (lower.starts_with("https://") || lower.starts_with("http://"))
            && t.len() > "https://".len();
        if !scheme_ok {
            return Err(format!(
                "`{}` is not a web address: only http:// and https:// links are kept",
                t.chars().take(80).collect::<String>()
            ));
        }
        if t.len() > MAX_URL {
            return Err(format!(
                "the web address is longer than {MAX_URL} characters"
            ));
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("a web address cannot contain spaces or control characters".into());
        }
        Ok(WebUrl(t.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        let a: EmailAddress = " NENCICB.foi@NHS.net ".parse().unwrap();
        assert_eq!(a.as_str(), "NENCICB.foi@NHS.net");
        assert_eq!(a.domain(), "nhs.net");
        assert_eq!(a.normalised(), "nencicb.foi@nhs.net");
        for bad in [
            "nhs.net",
            "a@b",
            "a b@c.org",
            "a@@c.org",
            "<a@c.org>",
            "a@c.org,b@c.org",
            "",
        ] {
            assert!(bad.parse::<EmailAddress>().is_err(), "{bad}");
        }
    }

    #[test]
    fn references_are_upper_case_and_never_numbers() {
        assert_eq!("msk26-qhm".parse::<Reference>().unwrap(), "MSK26-QHM");
        assert_eq!(Reference::new("msk26", "qhm").as_str(), "MSK26-QHM");
        for bad in ["12", "", "MSK26", "-QHM", "MSK26 QHM"] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }

    #[test]
    fn message_ids_are_always_angle_bracketed() {
        for s in ["abc@x.org", "<abc@x.org>", " <abc@x.org> "] {
            assert_eq!(s.parse::<MessageId>().unwrap().as_str(), "<abc@x.org>");
        }
        assert!("".parse::<MessageId>().is_err());
        assert!("<>".parse::<MessageId>().is_err());
        assert!("a b@x".parse::<MessageId>().is_err());
    }

    #[test]
    fn only_web_addresses_are_links() {
        assert!("https://www.nhs.uk/plan.pdf".parse::<WebUrl>().is_ok());
        assert!("HTTP://example.org/a".parse::<WebUrl>().is_ok());
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "https://",
            "https://a b",
        ] {
            assert!(bad.parse::<WebUrl>().is_err(), "{bad}");
        }
        assert!(format!("https://x.org/{}", "a".repeat(MAX_URL))
            .parse::<WebUrl>()
            .is_err());
    }
}
