//! A minimal W3C WebDriver client over chromedriver (Debian's `chromium-driver`), driving
//! headless Chromium for the browser test.
#![allow(dead_code)]

use super::http::{free_port, request_typed, wait_ok};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};

pub struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    pub fn start() -> Browser {
        Browser::start_with(json!({}))
    }

    /// A session that emulates a phone `width` CSS pixels wide (Chromium's device emulation:
    /// the layout viewport is that wide, as on the device).
    pub fn phone(width: u32) -> Browser {
        Browser::start_with(
            json!({"mobileEmulation": {"deviceMetrics": {"width": width, "height": 800, "pixelRatio": 2.0, "mobile": true, "touch": true}}}),
        )
    }

    fn start_with(extra: Value) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; scripts/test installs it)");
        let addr = format!("127.0.0.1:{port}");
        wait_ok(&addr, "/status", 30);
        let profile = format!("--user-data-dir=/tmp/foi-chromium-profile-{port}");
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400",
                     "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", profile]
        });
        if let (Some(o), Some(e)) = (options.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                o.insert(k.clone(), v.clone());
            }
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
        let r = request_typed(
            &addr,
            "POST",
            "/session",
            None,
            Some(&caps.to_string()),
            "application/json",
        );
        let v: Value =
            serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("new session: {}", r.body));
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("new session: {v}"))
            .to_string();
        Browser {
            driver,
            addr,
            session,
        }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let p = format!("/session/{}{path}", self.session);
        let b = body.to_string();
        let r = request_typed(
            &self.addr,
            method,
            &p,
            None,
            if method == "GET" { None } else { Some(&b) },
            "application/json",
        );
        let v: Value =
            serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("{method} {path}: {}", r.body));
        if r.status != 200 {
            panic!("{method} {path} failed: {v}");
        }
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url}));
    }

    pub fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), json!({}));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        );
    }

    /// Empties a text field or area.
    pub fn clear(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/clear"), json!({}));
    }

    pub fn source(&self) -> String {
        self.call("GET", "/source", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (up to 10 s) until the page contains `text`; returns the page.
    pub fn wait_for(&self, text: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let src = self.source();
            if src.contains(text) {
                return src;
            }
            if start.elapsed().as_secs() > 10 {
                panic!(
                    "the page never showed {text:?}; it is:\n{}",
                    src.chars().take(3000).collect::<String>()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Runs JavaScript in the page (`return …` gives the value).
    pub fn execute(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    /// Runs asynchronous JavaScript: the script calls `arguments[0]` with the result.
    pub fn execute_async(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/async",
            json!({"script": script, "args": []}),
        )
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves a PNG screenshot of the viewport.
    pub fn screenshot(&self, path: &std::path::Path) {
        let b64 = self.call("GET", "/screenshot", json!({}));
        let bytes = decode_base64(b64.as_str().expect("base64 screenshot"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = request_typed(
            &self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
            None,
            "application/json",
        );
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => 0,
    };
    let clean: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let n = chunk
            .iter()
            .fold(0u32, |acc, &c| (acc << 6) | val(c) as u32)
            << (6 * (4 - chunk.len()));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad.min(2)]);
    }
    out
}

/// axe-core's WCAG 2.2 A and AA rules (and the 2.0/2.1 ones they include).
pub const AXE_TAGS: &str = "['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22a','wcag22aa']";

pub fn axe_source() -> String {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/axe/node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(p).unwrap_or_else(|e| {
        panic!("axe-core is needed for the accessibility test ({p}: {e}); scripts/test installs it with npm")
    })
}

/// The WCAG A/AA violations axe-core finds on the page loaded in `b`, one line each.
pub fn axe_violations(b: &Browser, axe: &str) -> Vec<String> {
    b.execute(&format!("{axe}\nreturn true;"));
    let v = b.execute_async(&format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{runOnly: {{type: 'tag', values: {AXE_TAGS}}}, resultTypes: ['violations']}})
            .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
            .catch(e => done(['axe failed: ' + e]));"
    ));
    v.as_array()
        .unwrap_or_else(|| panic!("axe result: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}
