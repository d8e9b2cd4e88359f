//! Fetching a desk-research source over HTTP(S) with `reqwest` (rustls), within the rules of
//! [`crate::domain::fetch`]: redirects are followed here one at a time (never by the client),
//! so each new address is checked before it is asked; a host's addresses are resolved once,
//! checked, and the connection pinned to them (a name cannot resolve to a public address for
//! the check and a private one for the connection); the body is read in chunks and given up at
//! the size limit; the whole fetch has a time limit.

use crate::config::FetchConfig;
use crate::domain::fetch::{self as rules, Refusal};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What the last kept version said, so an unchanged document is not sent again.
#[derive(Debug, Clone, Default)]
pub struct Conditional {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What came of one fetch.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The address asked for, and each address redirected to (in order).
    pub redirects: Vec<String>,
    pub final_url: Option<String>,
    pub status: Option<u16>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Document(Document),
    /// 304: the server says the kept version is current.
    NotModified,
    /// Tried and failed (unreachable, timed out, an HTTP error): tried again next time.
    Failed(String),
    /// Not fetched or not kept by rule.
    Refused(Refusal),
}

#[derive(Debug, Clone)]
pub struct Document {
    pub bytes: Vec<u8>,
    pub content_type: String,
    pub file_name: String,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
}

/// Fetches `url` under `cfg`. Never panics and never returns an error: every end is an
/// [`Outcome`] to record.
pub async fn fetch(url: &str, cfg: &FetchConfig, cond: &Conditional) -> Fetched {
    let mut f = Fetched {
        redirects: Vec::new(),
        final_url: None,
        status: None,
        outcome: Outcome::Failed(String::new()),
    };
    f.outcome = run(url, cfg, cond, &mut f).await;
    f
}

async fn run(url: &str, cfg: &FetchConfig, cond: &Conditional, f: &mut Fetched) -> Outcome {
    let limit = Duration::from_secs(cfg.timeout_secs.max(1));
    let started = Instant::now();
    let mut current = match rules::parse_url(url) {
        Ok(u) => u,
        Err(r) => return Outcome::Refused(r),
    };
    for hop in 0..=cfg.max_redirects {
        if hop > 0 {
            f.redirects.push(current.to_string());
        }
        f.final_url = Some(current.to_string());
        let host = current.host_str().unwrap_or_default().to_string();
        // An IPv6 literal comes bracketed in a URL, bare to the resolver.
        let bare = host.trim_matches(['[', ']']).to_string();
        let port = current.port_or_known_default().unwrap_or(80);
        let addrs: Vec<SocketAddr> =
            match tokio::time::timeout(limit, tokio::net::lookup_host((bare.as_str(), port))).await
            {
                Ok(Ok(a)) => a.collect(),
                Ok(Err(e)) => return Outcome::Failed(format!("{host} could not be found: {e}")),
                Err(_) => return Outcome::Failed(format!("looking up {host} took too long")),
            };
        if addrs.is_empty() {
            return Outcome::Failed(format!("{host} could not be found"));
        }
        if !cfg.allow_private {
            if let Some(a) = addrs.iter().find(|a| !rules::is_public(a.ip())) {
                return Outcome::Refused(Refusal::Private { host, ip: a.ip() });
            }
        }
        let remaining = limit.saturating_sub(started.elapsed());
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(remaining)
            .user_agent(cfg.user_agent.clone())
            .resolve_to_addrs(&bare, &addrs)
            .build()
        {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(format!("could not set up the connection: {e}")),
        };
        let mut req = client.get(current.clone());
        if let Some(e) = &cond.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(m) = &cond.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Outcome::Failed(format!(
                    "the server took longer than {} seconds",
                    limit.as_secs()
                ))
            }
            Err(e) => return Outcome::Failed(format!("could not reach {host}: {}", root(&e))),
        };
        let status = resp.status();
        f.status = Some(status.as_u16());
        if status.is_redirection() && status != reqwest::StatusCode::NOT_MODIFIED {
            let Some(loc) = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
            else {
                return Outcome::Failed(format!("the server redirected ({status}) to nowhere"));
            };
            current = match current.join(loc) {
                Ok(u) => match rules::parse_url(u.as_str()) {
                    Ok(u) => u,
                    Err(r) => return Outcome::Refused(r),
                },
                Err(e) => {
                    return Outcome::Failed(format!(
                        "the server redirected to `{loc}`, which is not an address: {e}"
                    ))
                }
            };
            continue;
        }
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Outcome::NotModified;
        }
        if !status.is_success() {
            return Outcome::Failed(format!(
                "the server answered {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ));
        }
        return body(resp, cfg, &current).await;
    }
    Outcome::Refused(Refusal::TooManyRedirects(cfg.max_redirects))
}

async fn body(mut resp: reqwest::Response, cfg: &FetchConfig, at: &url::Url) -> Outcome {
    let header = |h: reqwest::header::HeaderName| {
        resp.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    let etag = header(reqwest::header::ETAG);
    let ext = match rules::accepted_type(&content_type) {
        Ok(e) => e,
        Err(r) => return Outcome::Refused(r),
    };
    let too_large = Refusal::TooLarge {
        limit: cfg.max_bytes,
    };
    if resp.content_length().is_some_and(|n| n > cfg.max_bytes) {
        return Outcome::Refused(too_large);
    }
    let mut bytes = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if bytes.len() as u64 + c.len() as u64 > cfg.max_bytes {
                    return Outcome::Refused(too_large);
                }
                bytes.extend_from_slice(&c);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => {
                return Outcome::Failed(format!(
                    "the document took longer than {} seconds to arrive",
                    cfg.timeout_secs
                ))
            }
            Err(e) => return Outcome::Failed(format!("the download broke off: {}", root(&e))),
        }
    }
    Outcome::Document(Document {
        bytes,
        content_type,
        file_name: rules::file_name(at, ext),
        last_modified,
        etag,
    })
}

/// The innermost cause of an error ("Connection refused"), which says most to a person.
fn root(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
