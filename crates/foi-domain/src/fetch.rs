//! What `foi round fetch` may fetch, and why it refuses the rest: the rules, with no network.
//!
//! A desk-research source is a public body's published document, so only `http` and `https`
//! addresses are fetched, and only from public internet addresses: a URL pasted into the round
//! must never make `foi` read the team's own network (a router page, a cloud metadata service
//! at 169.254.169.254, a database on loopback). Every address a host name resolves to is
//! checked, at every redirect, before connecting (see `crate::fetch`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::Url;

/// Why a fetch was not made or not kept, in words for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("`{0}` is not a web address foi fetches: only http:// and https:// addresses are")]
    Scheme(String),
    #[error("`{0}` is not a web address: {1}")]
    Malformed(String, String),
    #[error(
        "{host} is on a private, loopback or link-local network address ({ip}): foi fetches \
         only from the public internet"
    )]
    Private { host: String, ip: IpAddr },
    #[error("more than {0} redirects: the address may loop; open it in a browser to check")]
    TooManyRedirects(usize),
    #[error("the document is larger than the {}-byte limit ([fetch] max_bytes)", thousands(*limit))]
    TooLarge { limit: u64 },
    #[error(
        "the server sent {0}, not a document foi reads (PDF, Word, OpenDocument, spreadsheet, \
         RTF, HTML or text)"
    )]
    ContentType(String),
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Parses a source address: `http` or `https`, with a host.
pub fn parse_url(s: &str) -> Result<Url, Refusal> {
    let u = Url::parse(s.trim()).map_err(|e| Refusal::Malformed(s.to_string(), e.to_string()))?;
    match u.scheme() {
        "http" | "https" => {}
        _ => return Err(Refusal::Scheme(s.to_string())),
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(Refusal::Malformed(s.to_string(), "it has no host".into()));
    }
    Ok(u)
}

/// Whether an address is on the public internet (not private, loopback, link-local, shared,
/// multicast, documentation or otherwise reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local, 2001:db8::/32 documentation
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)
                // 64:ff9b::/96 NAT64 can reach any IPv4 address
                || (seg[0] == 0x64 && seg[1] == 0xff9b)
                || v6 == Ipv6Addr::UNSPECIFIED)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        // 100.64.0.0/10 shared address space (carrier-grade NAT)
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        // 192.0.0.0/24 protocol assignments, 198.18.0.0/15 benchmarking, 240.0.0.0/4 reserved
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        || o[0] >= 240)
}

/// Checks a declared content type; `Ok` carries a file-name extension for it (for a document
/// whose URL does not say).
pub fn accepted_type(content_type: &str) -> Result<&'static str, Refusal> {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ext = match ct.as_str() {
        "application/pdf" | "application/x-pdf" => "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.oasis.opendocument.text" => "odt",
        "application/vnd.oasis.opendocument.spreadsheet" => "ods",
        "application/rtf" | "text/rtf" => "rtf",
        "text/html" | "application/xhtml+xml" => "html",
        "text/plain" => "txt",
        "text/csv" => "csv",
        // Servers that do not know what they serve: the bytes decide (extraction reads them).
        "application/octet-stream" | "binary/octet-stream" | "" => "",
        _ => return Err(Refusal::ContentType(content_type.to_string())),
    };
    Ok(ext)
}

/// A file name for a kept document: the last path segment of its final URL when it has one,
/// else `document` with the type's extension.
pub fn file_name(final_url: &Url, ext: &str) -> String {
    let last = final_url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .map(|s| {
            percent_decode(s)
                .chars()
                .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
                .collect::<String>()
        })
        .unwrap_or_default();
    if last.contains('.') {
        last
    } else if ext.is_empty() {
        "document".into()
    } else {
        format!("document.{ext}")
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_with_a_host() {
        assert!(parse_url("https://www.example.nhs.uk/plan.pdf").is_ok());
        assert!(parse_url(" http://example.org/a ").is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://example.org/plan.pdf",
            "gopher://example.org/",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(parse_url(bad), Err(Refusal::Scheme(_))),
                "{bad}: {:?}",
                parse_url(bad)
            );
        }
        assert!(matches!(parse_url("plan.pdf"), Err(Refusal::Malformed(..))));
        assert!(matches!(parse_url("http://"), Err(Refusal::Malformed(..))));
    }

    #[test]
    fn private_loopback_link_local_and_reserved_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.10",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} counted as public");
        }
        for ip in [
            "8.8.8.8",
            "151.101.0.1",
            "2a00:1450:4009::200e",
            "172.32.0.1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip} counted as private");
        }
    }

    #[test]
    fn document_types_pass_and_others_are_refused() {
        assert_eq!(accepted_type("application/pdf").unwrap(), "pdf");
        assert_eq!(accepted_type("text/html; charset=utf-8").unwrap(), "html");
        assert_eq!(accepted_type("application/octet-stream").unwrap(), "");
        assert!(matches!(
            accepted_type("image/png"),
            Err(Refusal::ContentType(_))
        ));
        assert!(matches!(
            accepted_type("application/x-msdownload"),
            Err(Refusal::ContentType(_))
        ));
    }

    #[test]
    fn file_names_come_from_the_final_address() {
        let u = Url::parse("https://x.nhs.uk/media/Joint%20Forward%20Plan.pdf?v=2").unwrap();
        assert_eq!(file_name(&u, "pdf"), "Joint Forward Plan.pdf");
        let u = Url::parse("https://x.nhs.uk/download/1234").unwrap();
        assert_eq!(file_name(&u, "pdf"), "document.pdf");
        let u = Url::parse("https://x.nhs.uk/a/..%2F..%2Fetc%2Fpasswd").unwrap();
        assert!(!file_name(&u, "").contains('/'));
    }
}
