//! A real OAuth 2.0 authorization server on loopback for the mailbox tests: the token endpoint
//! (refresh_token, client_credentials and device_code grants), the device authorization
//! endpoint (RFC 8628) and token introspection (RFC 7662) that Dovecot's `oauth2` passdb and
//! the test SMTP server check tokens against. Served by axum on a thread of its own, so both
//! blocking tests and tokio tests can use it. The test controls it directly (revoke, approve)
//! and reads what it counted.
#![allow(dead_code)]

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Inner {
    user: String,
    client_id: String,
    client_secret: String,
    access_ttl: Duration,
    access: HashMap<String, Instant>,
    refresh: HashSet<String>,
    /// Every token ever issued, to search for in logs, output and databases.
    issued: Vec<String>,
    refresh_grants: u32,
    client_grants: u32,
    /// device_code → (user_code, approved)
    devices: HashMap<String, (String, bool)>,
    /// What each device-code poll was answered with, in order.
    device_answers: Vec<String>,
    /// Approve a device sign-in at its first poll (for tests that only need to be signed in).
    auto_approve: bool,
    /// Answer `slow_down` once (after one `authorization_pending`).
    slow_down_once: bool,
    seq: u64,
}

#[derive(Clone)]
pub struct OAuthServer {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

fn err(code: &str, desc: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": code, "error_description": desc})),
    )
        .into_response()
}

impl Inner {
    fn token(&mut self, prefix: &str) -> String {
        self.seq += 1;
        // Long and random enough to be found only where it was written.
        let t = format!(
            "{prefix}.{:x}{:x}.{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
            self.seq
        );
        self.issued.push(t.clone());
        t
    }
    fn grant(&mut self, with_refresh: bool) -> Response {
        let access = self.token("at");
        self.access
            .insert(access.clone(), Instant::now() + self.access_ttl);
        let mut body = json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_ttl.as_secs().max(1),
        });
        if with_refresh {
            // Rotated on every use, as Microsoft does.
            let r = self.token("rt");
            self.refresh.insert(r.clone());
            body["refresh_token"] = r.into();
        }
        Json(body).into_response()
    }
}

async fn token(
    State(s): State<Arc<Mutex<Inner>>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut i = s.lock().unwrap();
    if f.get("client_id").map(String::as_str) != Some(i.client_id.as_str()) {
        return err("invalid_client", "unknown client_id");
    }
    match f.get("grant_type").map(String::as_str) {
        Some("refresh_token") => {
            let rt = f.get("refresh_token").cloned().unwrap_or_default();
            if !i.refresh.remove(&rt) {
                return err(
                    "invalid_grant",
                    "AADSTS70008: The provided authorization code or refresh token has expired or was revoked.\r\nTrace ID: 1234",
                );
            }
            i.refresh_grants += 1;
            i.grant(true)
        }
        Some("client_credentials") => {
            if f.get("client_secret").map(String::as_str) != Some(i.client_secret.as_str()) {
                return err(
                    "invalid_client",
                    "AADSTS7000215: Invalid client secret provided.",
                );
            }
            i.client_grants += 1;
            i.grant(false)
        }
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            let dc = f.get("device_code").cloned().unwrap_or_default();
            let polls = i.device_answers.len();
            let auto = i.auto_approve;
            let slow = i.slow_down_once;
            let Some((_, approved)) = i.devices.get_mut(&dc) else {
                return err("invalid_grant", "unknown device code");
            };
            if auto {
                *approved = true;
            }
            let approved = *approved;
            let answer = if approved {
                "success"
            } else if slow && polls == 1 {
                "slow_down"
            } else {
                "authorization_pending"
            };
            i.device_answers.push(answer.to_string());
            match answer {
                "success" => {
                    i.devices.remove(&dc);
                    i.grant(true)
                }
                other => err(other, "waiting for the user"),
            }
        }
        _ => err("unsupported_grant_type", "no such grant"),
    }
}

async fn device(
    State(s): State<Arc<Mutex<Inner>>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let mut i = s.lock().unwrap();
    if f.get("client_id").map(String::as_str) != Some(i.client_id.as_str()) {
        return err("invalid_client", "unknown client_id");
    }
    let dc = i.token("dc");
    let n = i.devices.len() + 1;
    let user_code = format!("WDJB-MJH{n}");
    i.devices.insert(dc.clone(), (user_code.clone(), false));
    Json(json!({
        "device_code": dc,
        "user_code": user_code,
        "verification_uri": "https://login.example/device",
        "expires_in": 600,
        "interval": 1,
    }))
    .into_response()
}

async fn introspect(
    State(s): State<Arc<Mutex<Inner>>>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let i = s.lock().unwrap();
    let t = f.get("token").cloned().unwrap_or_default();
    let active = i.access.get(&t).is_some_and(|exp| Instant::now() < *exp);
    if active {
        Json(json!({"active": true, "username": i.user, "scope": "mail"})).into_response()
    } else {
        Json(json!({"active": false})).into_response()
    }
}

impl OAuthServer {
    /// Starts a server for mailbox `user`, issuing access tokens that live `access_ttl`.
    pub fn start(user: &str, access_ttl: Duration) -> OAuthServer {
        let inner = Arc::new(Mutex::new(Inner {
            user: user.into(),
            client_id: "foi-test-client".into(),
            client_secret: "s3cret-client-value".into(),
            access_ttl,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/token", post(token))
            .route("/device", post(device))
            .route("/introspect", post(introspect))
            .with_state(inner.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap()).unwrap();
                axum::serve(l, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        OAuthServer {
            url: format!("http://{addr}"),
            inner,
        }
    }

    pub fn client_id(&self) -> String {
        self.inner.lock().unwrap().client_id.clone()
    }
    pub fn client_secret(&self) -> String {
        self.inner.lock().unwrap().client_secret.clone()
    }
    pub fn set_auto_approve(&self, on: bool) {
        self.inner.lock().unwrap().auto_approve = on;
    }
    pub fn set_slow_down_once(&self, on: bool) {
        self.inner.lock().unwrap().slow_down_once = on;
    }
    /// Approves the pending device sign-in with this code. `false` if there is none.
    pub fn approve(&self, user_code: &str) -> bool {
        let mut i = self.inner.lock().unwrap();
        let mut found = false;
        for (code, approved) in i.devices.values_mut() {
            if code == user_code {
                *approved = true;
                found = true;
            }
        }
        found
    }
    /// Revokes every refresh and access token (an administrator signing the user out).
    pub fn revoke_all(&self) {
        let mut i = self.inner.lock().unwrap();
        i.refresh.clear();
        i.access.clear();
    }
    /// Revokes the access tokens only (the provider ending sessions early): a refresh works.
    pub fn revoke_access_tokens(&self) {
        self.inner.lock().unwrap().access.clear();
    }
    pub fn refresh_grants(&self) -> u32 {
        self.inner.lock().unwrap().refresh_grants
    }
    pub fn client_grants(&self) -> u32 {
        self.inner.lock().unwrap().client_grants
    }
    pub fn device_answers(&self) -> Vec<String> {
        self.inner.lock().unwrap().device_answers.clone()
    }
    pub fn issued(&self) -> Vec<String> {
        self.inner.lock().unwrap().issued.clone()
    }

    /// The environment that points `foi` at this server (generic provider, device code).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("FOI__OAUTH__PROVIDER".into(), "generic".into()),
            ("FOI__OAUTH__FLOW".into(), "device_code".into()),
            ("FOI__OAUTH__CLIENT_ID".into(), self.client_id()),
            (
                "FOI__OAUTH__TOKEN_URL".into(),
                format!("{}/token", self.url),
            ),
            (
                "FOI__OAUTH__DEVICE_AUTHORIZATION_URL".into(),
                format!("{}/device", self.url),
            ),
            (
                "FOI__OAUTH__SCOPES".into(),
                "[\"mail\", \"offline_access\"]".into(),
            ),
        ]
    }

    /// Asserts that no token this server issued appears in `text` (`what` names it), neither
    /// as itself nor inside the base64 SASL XOAUTH2 string that carries it on the wire.
    pub fn assert_no_token_in(&self, what: &str, text: &[u8]) {
        let hay = String::from_utf8_lossy(text);
        let user = self.inner.lock().unwrap().user.clone();
        for t in self.issued() {
            assert!(!hay.contains(&t), "a token appears in {what}");
            let sasl = base64(format!("user={user}\x01auth=Bearer {t}\x01\x01").as_bytes());
            assert!(
                !hay.contains(&sasl),
                "a token (as SASL XOAUTH2) appears in {what}"
            );
        }
    }
}

/// Standard base64 with padding (RFC 4648 §4), for the SASL form of a token.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
