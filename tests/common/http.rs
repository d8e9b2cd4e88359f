//! A minimal HTTP/1.1 client over std's TcpStream for the tests (no extra dependencies):
//! GET and form POST with cookies, returning status, headers and body.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body as sent (a download's bytes).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Sends one request to `addr` (host:port) with a form body.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> Response {
    request_typed(
        addr,
        method,
        path,
        cookie,
        body,
        "application/x-www-form-urlencoded",
    )
}

/// Sends one request with a body of the given content type.
pub fn request_typed(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
    content_type: &str,
) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    s.write_all(req.as_bytes()).unwrap();
    parse(&read_response(&mut s))
}

/// Reads one response: headers, then Content-Length bytes, or chunks to the last one, or to
/// the end of the stream (servers may keep the connection open despite `Connection: close`).
fn read_response(s: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        raw.extend_from_slice(&buf[..n]);
        let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
        let body = raw.len() - end - 4;
        if let Some(len) = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            if body >= len {
                break;
            }
        } else if head.contains("transfer-encoding: chunked") {
            if raw.ends_with(b"0\r\n\r\n") {
                break;
            }
        } else if head.starts_with("http/1.1 304") || head.starts_with("http/1.1 204") {
            break;
        }
    }
    raw
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(String::from_utf8_lossy(&rest[..nl]).trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + size]);
            rest = &rest[nl + 2 + size + 2..];
        }
        body = out;
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body,
    }
}

/// A logged-in browser-like session: keeps the cookie, reads CSRF tokens from pages.
pub struct Client {
    pub addr: String,
    pub cookie: Option<String>,
}

impl Client {
    pub fn new(addr: &str) -> Client {
        Client {
            addr: addr.into(),
            cookie: None,
        }
    }
    pub fn get(&self, path: &str) -> Response {
        request(&self.addr, "GET", path, self.cookie.as_deref(), None)
    }
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        request(
            &self.addr,
            "POST",
            path,
            self.cookie.as_deref(),
            Some(&form(fields)),
        )
    }
    /// A `multipart/form-data` POST (a form with files): `files` as (field, file name, text).
    pub fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str)],
    ) -> Response {
        let boundary = "----foi-test-boundary-7d1f";
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        for (k, name, content) in files {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        request_typed(
            &self.addr,
            "POST",
            path,
            self.cookie.as_deref(),
            Some(&body),
            &format!("multipart/form-data; boundary={boundary}"),
        )
    }
    /// Logs in; panics unless it succeeds.
    pub fn login(&mut self, name: &str, password: &str) {
        let r = self.post("/login", &[("name", name), ("password", password)]);
        assert_eq!(r.status, 303, "login failed: {} {}", r.status, r.body);
        let c = r.header("set-cookie").expect("session cookie");
        self.cookie = Some(c.split(';').next().unwrap().to_string());
    }
    /// The CSRF token in a page's forms.
    pub fn csrf(&self, path: &str) -> String {
        let page = self.get(path).body;
        let i = page
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        page[i + 19..].split('"').next().unwrap().to_string()
    }
}

/// Waits until GET `path` answers 200 (or panics after `secs`).
pub fn wait_ok(addr: &str, path: &str, secs: u64) -> Response {
    let start = std::time::Instant::now();
    loop {
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            let raw = read_response(&mut s);
            if raw.len() > 12 && raw.windows(4).any(|w| w == b"\r\n\r\n") {
                let r = parse(&raw);
                if r.status == 200 {
                    return r;
                }
            }
        }
        assert!(
            start.elapsed().as_secs() < secs,
            "{addr}{path} did not answer 200 within {secs}s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn query_map(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

/// The values a browser would submit from the form whose `action` is `action` in `page`:
/// inputs (checked boxes and radios only; no files or buttons), text areas, and each select's
/// selected option (or its first), HTML entities decoded.
pub fn form_fields(page: &str, action: &str) -> Vec<(String, String)> {
    let start = page
        .find(&format!("action=\"{action}\" class=\"compose\""))
        .or_else(|| page.find(&format!("action=\"{action}\"")))
        .expect("the form");
    let form = &page[start..start + page[start..].find("</form>").expect("form end")];
    let unescape = |s: &str| {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#x60;", "`")
            .replace("&#x3D;", "=")
            .replace("&amp;", "&")
    };
    let attr = |tag: &str, name: &str| {
        regex::Regex::new(&format!(r#"\s{name}="([^"]*)""#))
            .unwrap()
            .captures(tag)
            .map(|c| unescape(&c[1]))
    };
    let mut out = Vec::new();
    let tags = regex::Regex::new(
        r#"(?s)<input[^>]*>|<textarea([^>]*)>(.*?)</textarea>|<select([^>]*)>(.*?)</select>"#,
    )
    .unwrap();
    let option = regex::Regex::new(r#"<option([^>]*)>"#).unwrap();
    for c in tags.captures_iter(form) {
        let whole = &c[0];
        if whole.starts_with("<input") {
            let kind = attr(whole, "type").unwrap_or_else(|| "text".into());
            if kind == "file" || kind == "submit" {
                continue;
            }
            if (kind == "checkbox" || kind == "radio") && !whole.contains(" checked") {
                continue;
            }
            if whole.contains(" disabled") {
                continue;
            }
            if let Some(n) = attr(whole, "name") {
                out.push((n, attr(whole, "value").unwrap_or_default()));
            }
        } else if let Some(a) = c.get(1) {
            if let Some(n) = attr(a.as_str(), "name") {
                out.push((n, unescape(&c[2])));
            }
        } else if let Some(a) = c.get(3) {
            let Some(n) = attr(a.as_str(), "name") else {
                continue;
            };
            let opts: Vec<&str> = option
                .captures_iter(&c[4])
                .map(|o| o.get(1).unwrap().as_str())
                .collect();
            let chosen = opts
                .iter()
                .find(|o| o.contains(" selected"))
                .or(opts.first());
            if let Some(o) = chosen {
                out.push((n, attr(o, "value").unwrap_or_default()));
            }
        }
    }
    out
}
