//! `foi mailbox test`: connects to IMAP and SMTP with the configured settings and reports,
//! step by step, what worked and what did not, in words a policy officer can act on.

use super::MailboxAuth;
use crate::config::{Config, MailAuth, Security, Transport as Kind};
use crate::domain::mailbox_errors::{explain, explain_tls};
use crate::inbound::imap::{self, Inbox};
use crate::outbound::transport::{SendError, Transport};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How one step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Failed,
    /// Not needed for `foi` to work (e.g. IDLE), or not checked because an earlier step failed.
    Info,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub protocol: &'static str,
    pub step: String,
    pub outcome: Outcome,
    pub detail: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub steps: Vec<Step>,
}

impl Report {
    fn push(
        &mut self,
        protocol: &'static str,
        step: impl Into<String>,
        outcome: Outcome,
        detail: impl Into<String>,
    ) {
        self.steps.push(Step {
            protocol,
            step: step.into(),
            outcome,
            detail: detail.into(),
        });
    }
    /// Everything needed works.
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.outcome != Outcome::Failed)
    }
}

/// Name resolution and a TCP connection, as two steps. `None` when either failed.
async fn reach(r: &mut Report, protocol: &'static str, host: &str, port: u16) -> Option<TcpStream> {
    match tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::lookup_host((host, port)),
    )
    .await
    {
        Ok(Ok(addrs)) => {
            let addrs: Vec<String> = addrs.map(|a| a.ip().to_string()).collect();
            r.push(
                protocol,
                format!("find {host}"),
                Outcome::Ok,
                addrs.join(", "),
            );
        }
        Ok(Err(e)) => {
            r.push(protocol, format!("find {host}"), Outcome::Failed, format!("the name does not resolve ({e}): check the host name for typos, and this machine's network"));
            return None;
        }
        Err(_) => {
            r.push(
                protocol,
                format!("find {host}"),
                Outcome::Failed,
                "no answer from DNS within 10 seconds: check this machine's network",
            );
            return None;
        }
    }
    match tokio::time::timeout(Duration::from_secs(15), TcpStream::connect((host, port))).await {
        Ok(Ok(s)) => {
            r.push(protocol, format!("connect to port {port}"), Outcome::Ok, "");
            Some(s)
        }
        Ok(Err(e)) => {
            r.push(
                protocol,
                format!("connect to port {port}"),
                Outcome::Failed,
                format!(
                    "{e}: check the port, and that a firewall lets this machine reach the server"
                ),
            );
            None
        }
        Err(_) => {
            r.push(protocol, format!("connect to port {port}"), Outcome::Failed, "no answer within 15 seconds: a firewall may be dropping the connection, or the port is wrong");
            None
        }
    }
}

/// Runs every check. `send_to`: also send a test message there, and look for it in the IMAP
/// folder for up to `wait`.
pub async fn run(
    cfg: &Config,
    data_dir: &Path,
    auth: Arc<MailboxAuth>,
    send_to: Option<&str>,
    wait: Duration,
) -> Report {
    let mut r = Report::default();
    if auth.uses_oauth() {
        // A fresh token, not the one in hand: this proves the kept sign-in still works.
        match auth.renew().await {
            Ok(_) => r.push(
                "OAuth",
                "renew the sign-in",
                Outcome::Ok,
                format!("a new access token for {}", auth.mailbox),
            ),
            Err(e) => r.push("OAuth", "renew the sign-in", Outcome::Failed, e.to_string()),
        }
    }
    let imap_ok = check_imap(cfg, &auth, &mut r).await;
    let mut sent_id = None;
    if cfg.smtp.transport == Kind::Smtp {
        sent_id = check_smtp(cfg, data_dir, auth.clone(), send_to, &mut r).await;
    } else {
        r.push("SMTP", "letters go out by SMTP", Outcome::Info, "[smtp] transport = \"file\": letters are written as files in the data directory, not sent; set transport = \"smtp\" to send them");
    }
    if let (Some(id), Some(to)) = (sent_id, send_to) {
        arrival(cfg, &auth, &id, to, wait, imap_ok, &mut r).await;
    }
    r
}

async fn check_imap(cfg: &Config, auth: &MailboxAuth, r: &mut Report) -> bool {
    let c = &cfg.imap;
    if c.host.trim().is_empty() {
        r.push(
            "IMAP",
            "replies are read over IMAP",
            Outcome::Info,
            "no [imap] host: replies are only read from files (`foi ingest FILE`)",
        );
        return false;
    }
    let Some(tcp) = reach(r, "IMAP", &c.host, c.port).await else {
        return false;
    };
    let client = match imap::secure(c, tcp).await {
        Ok(cl) => {
            let how = match c.security {
                Security::Tls => "TLS",
                Security::Starttls => "STARTTLS",
                Security::None => "none (loopback only)",
            };
            r.push("IMAP", "secure connection", Outcome::Ok, how);
            cl
        }
        Err(e) => {
            r.push(
                "IMAP",
                "secure connection",
                Outcome::Failed,
                format!("{}: {e}", explain_tls(&e.to_string())),
            );
            return false;
        }
    };
    let user = c.username.clone().unwrap_or_default();
    let how = match c.auth {
        MailAuth::Password => "password",
        MailAuth::Xoauth2 => "OAuth (XOAUTH2)",
    };
    let session = match imap::sign_in(c, auth, client).await {
        Ok(s) => {
            r.push("IMAP", format!("sign in as {user}"), Outcome::Ok, how);
            s
        }
        Err(e) => {
            r.push(
                "IMAP",
                format!("sign in as {user}"),
                Outcome::Failed,
                e.to_string(),
            );
            return false;
        }
    };
    let mut inbox = match Inbox::select(c, session).await {
        Ok(i) => {
            r.push("IMAP", format!("open folder {}", c.folder), Outcome::Ok, "");
            i
        }
        Err(e) => {
            r.push(
                "IMAP",
                format!("open folder {}", c.folder),
                Outcome::Failed,
                format!("{e}: check [imap] folder (names are case-sensitive on some servers)"),
            );
            return false;
        }
    };
    for (key, folder) in [
        ("processed_folder", c.processed_folder.clone()),
        ("[smtp] save_sent_to", cfg.smtp.save_sent_to.clone()),
    ] {
        if let Some(f) = folder.filter(|f| !f.trim().is_empty()) {
            match inbox.has_folder(&f).await {
                Ok(true) => r.push("IMAP", format!("folder {f} exists"), Outcome::Ok, key),
                Ok(false) => r.push("IMAP", format!("folder {f} exists"), Outcome::Failed, format!("there is no folder {f} ({key}): create it in the mail client, or change the setting")),
                Err(e) => r.push("IMAP", format!("folder {f} exists"), Outcome::Failed, e.to_string()),
            }
        }
    }
    match inbox.offers_idle().await {
        Ok(true) => r.push(
            "IMAP",
            "IDLE (replies within seconds)",
            Outcome::Info,
            if c.idle {
                "offered and used by foi serve"
            } else {
                "offered, but [imap] idle = false"
            },
        ),
        Ok(false) => r.push(
            "IMAP",
            "IDLE (replies within seconds)",
            Outcome::Info,
            "not offered: foi serve checks on the [schedule] inbox_poll",
        ),
        Err(e) => r.push(
            "IMAP",
            "IDLE (replies within seconds)",
            Outcome::Info,
            e.to_string(),
        ),
    }
    inbox.close().await;
    true
}

/// Reads one SMTP reply (multi-line aware); returns its code and text.
async fn smtp_reply<S: tokio::io::AsyncRead + Unpin>(
    rd: &mut BufReader<S>,
) -> std::io::Result<(u16, String)> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        if rd.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        text.push_str(line.trim_end());
        text.push(' ');
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            return Ok((code, text.trim().to_string()));
        }
    }
}

/// The TLS step on its own (implicit TLS, or EHLO + STARTTLS), so a certificate problem is
/// reported as one and not as a sign-in failure.
async fn smtp_tls(cfg: &crate::config::SmtpConfig, tcp: TcpStream) -> Result<(), String> {
    let imap_like = crate::config::ImapConfig {
        host: cfg.host.clone(),
        ca_file: cfg.ca_file.clone(),
        ..crate::config::ImapConfig::default()
    };
    let connector = imap::tls_connector(&imap_like).map_err(|e| e.to_string())?;
    let name =
        rustls_pki_types::ServerName::try_from(cfg.host.clone()).map_err(|e| e.to_string())?;
    match cfg.security {
        Security::None => Ok(()),
        Security::Tls => connector
            .connect(name, tcp)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Security::Starttls => {
            let mut rd = BufReader::new(tcp);
            let io = |e: std::io::Error| e.to_string();
            let (code, text) = smtp_reply(&mut rd).await.map_err(io)?;
            if code != 220 {
                return Err(format!("greeting: {text}"));
            }
            rd.get_mut()
                .write_all(b"EHLO foi.invalid\r\n")
                .await
                .map_err(io)?;
            let (code, text) = smtp_reply(&mut rd).await.map_err(io)?;
            if code != 250 || !text.to_ascii_uppercase().contains("STARTTLS") {
                return Err(format!("the server does not offer STARTTLS ({text}): try security = \"tls\" on port 465"));
            }
            rd.get_mut().write_all(b"STARTTLS\r\n").await.map_err(io)?;
            let (code, text) = smtp_reply(&mut rd).await.map_err(io)?;
            if code != 220 {
                return Err(format!("STARTTLS refused: {text}"));
            }
            connector
                .connect(name, rd.into_inner())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

async fn check_smtp(
    cfg: &Config,
    data_dir: &Path,
    auth: Arc<MailboxAuth>,
    send_to: Option<&str>,
    r: &mut Report,
) -> Option<String> {
    let c = &cfg.smtp;
    let tcp = reach(r, "SMTP", &c.host, c.port).await?;
    match smtp_tls(c, tcp).await {
        Ok(()) if c.security == Security::None => r.push(
            "SMTP",
            "secure connection",
            Outcome::Info,
            "security = \"none\" (loopback only)",
        ),
        Ok(()) => r.push(
            "SMTP",
            "secure connection",
            Outcome::Ok,
            if c.security == Security::Tls {
                "TLS"
            } else {
                "STARTTLS"
            },
        ),
        Err(e) => {
            r.push(
                "SMTP",
                "secure connection",
                Outcome::Failed,
                format!("{}: {e}", explain_tls(&e)),
            );
            return None;
        }
    }
    let transport = match Transport::from_config(c, data_dir, auth) {
        Ok(t) => t,
        Err(e) => {
            r.push("SMTP", "settings", Outcome::Failed, e.to_string());
            return None;
        }
    };
    let Transport::Smtp(smtp) = &transport else {
        return None;
    };
    let user = c.username.clone().unwrap_or_else(|| "(no username)".into());
    match smtp.test_connection().await {
        Ok(()) => r.push(
            "SMTP",
            format!("sign in as {user}"),
            Outcome::Ok,
            match c.auth {
                MailAuth::Password => "password",
                MailAuth::Xoauth2 => "OAuth (XOAUTH2)",
            },
        ),
        Err(e) => {
            let text = match e {
                SendError::Auth(t) | SendError::Transient(t) | SendError::Permanent(t) => t,
            };
            let advice = explain(&text)
                .filter(|_| !text.contains(':'))
                .map(|a| format!(": {a}"))
                .unwrap_or_default();
            r.push(
                "SMTP",
                format!("sign in as {user}"),
                Outcome::Failed,
                format!("{text}{advice}"),
            );
            return None;
        }
    }
    let to = send_to?;
    let from = c
        .username
        .clone()
        .filter(|u| u.contains('@'))
        .unwrap_or_else(|| to.to_string());
    let id = format!(
        "<foi-mailbox-test.{}@foi.invalid>",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let raw = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: foi mailbox test\r\nMessage-ID: {id}\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nA test message from `foi mailbox test`. It can be deleted.\r\n",
        chrono::Utc::now().to_rfc2822()
    );
    match transport.send(&from, to, &id, raw.as_bytes()).await {
        Ok(reply) => {
            r.push(
                "SMTP",
                format!("send a test message to {to}"),
                Outcome::Ok,
                format!("accepted: {reply}"),
            );
            Some(id)
        }
        Err(SendError::Auth(t)) | Err(SendError::Transient(t)) | Err(SendError::Permanent(t)) => {
            r.push(
                "SMTP",
                format!("send a test message to {to}"),
                Outcome::Failed,
                t,
            );
            None
        }
    }
}

/// Looks for the test message in the IMAP folder. Required when it was sent to this mailbox.
async fn arrival(
    cfg: &Config,
    auth: &MailboxAuth,
    id: &str,
    to: &str,
    wait: Duration,
    imap_ok: bool,
    r: &mut Report,
) {
    let ours = [cfg.imap.username.as_deref(), cfg.smtp.username.as_deref()]
        .into_iter()
        .flatten()
        .any(|u| u.eq_ignore_ascii_case(to));
    let step = format!("the test message arrives in {}", cfg.imap.folder);
    if !imap_ok {
        r.push("IMAP", step, Outcome::Info, format!("not checked (IMAP is not working): look for the subject \"foi mailbox test\" at {to}"));
        return;
    }
    let started = Instant::now();
    loop {
        let found = async {
            let mut inbox = Inbox::open(&cfg.imap, auth).await?;
            let hit = inbox.has_message_id(id).await;
            inbox.close().await;
            hit
        }
        .await;
        match found {
            Ok(true) => {
                r.push(
                    "IMAP",
                    step,
                    Outcome::Ok,
                    format!("after {:.1} s", started.elapsed().as_secs_f64()),
                );
                return;
            }
            Ok(false) if started.elapsed() < wait => {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            Ok(false) => {
                let (outcome, detail) = if ours {
                    (Outcome::Failed, format!("not there after {} s: the server accepted it, so look in junk or quarantine, and check the mailbox's mail flow rules", wait.as_secs()))
                } else {
                    (Outcome::Info, format!("{to} is not this mailbox: look for the subject \"foi mailbox test\" there"))
                };
                r.push("IMAP", step, outcome, detail);
                return;
            }
            Err(e) => {
                r.push("IMAP", step, Outcome::Failed, e.to_string());
                return;
            }
        }
    }
}
