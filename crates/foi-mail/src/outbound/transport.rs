//! Transports: SMTP (lettre on tokio, STARTTLS / implicit TLS / plain on loopback only) and a
//! file transport that writes each message as an `.eml` (the default until SMTP is set up).
//!
//! SMTP signs in with a password (`FOI_SMTP_PASSWORD`) or with XOAUTH2 and an access token from
//! the mailbox's OAuth sign-in; with tokens, the connection pool is rebuilt whenever the token
//! changes, and a refused token is replaced and tried once more. A refused sign-in is
//! [`SendError::Auth`]: not the letter's fault, so the letter stays queued.

use crate::config::{MailAuth, Security, SmtpConfig, Transport as Kind};
use crate::hosts::is_loopback;
use crate::mailbox::tokens::Secret;
use crate::mailbox::MailboxAuth;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("[smtp] security = \"none\" is only allowed to a loopback host, not `{0}`; use starttls or tls")]
    PlainToRemote(String),
    #[error("[smtp] {0}")]
    Setup(String),
}

/// Why a send did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth retrying: a 4xx reply, a dropped connection, a timeout.
    Transient(String),
    /// Final: a 5xx reply (the text is kept).
    Permanent(String),
    /// The server did not accept our sign-in, or nobody is signed in: the letter waits.
    Auth(String),
}

pub enum Transport {
    Smtp(Box<Smtp>),
    File { dir: PathBuf },
}

/// The SMTP transport and how it signs in.
pub struct Smtp {
    cfg: SmtpConfig,
    timeout: Duration,
    auth: std::sync::Arc<MailboxAuth>,
    /// The pool in use and the token it signs in with (None: password or no sign-in).
    current: tokio::sync::Mutex<Option<(Option<Secret>, AsyncSmtpTransport<Tokio1Executor>)>>,
}

/// Whether an SMTP error is a refused sign-in (RFC 4954 codes; Microsoft's 5.7.30 and
/// 5.7.139), or lettre finding no mechanism it shares with the server.
fn is_auth_failure(e: &lettre::transport::smtp::Error) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    matches!(code.as_str(), "530" | "534" | "535" | "538" | "454")
        || text.contains("5.7.30")
        || text.contains("5.7.139")
        || text.contains("authentication mechanism")
}

fn auth_message(user: &str, e: &str) -> String {
    match crate::domain::mailbox_errors::explain(e) {
        Some(advice) => format!("SMTP sign-in as {user} refused ({e}): {advice}"),
        None => format!("SMTP sign-in as {user} refused: {e}"),
    }
}

impl Transport {
    pub fn from_config(
        cfg: &SmtpConfig,
        data_dir: &Path,
        auth: std::sync::Arc<MailboxAuth>,
    ) -> Result<Transport, TransportError> {
        match cfg.transport {
            Kind::File => Ok(Transport::File {
                dir: data_dir.join("outbox-files"),
            }),
            Kind::Smtp => {
                if cfg.security == Security::None && !is_loopback(&cfg.host) {
                    return Err(TransportError::PlainToRemote(cfg.host.clone()));
                }
                let smtp = Smtp {
                    cfg: cfg.clone(),
                    timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
                    auth,
                    current: tokio::sync::Mutex::new(None),
                };
                match cfg.auth {
                    MailAuth::Password => {
                        // Checked now, so a missing password stops `foi send` before anything.
                        let creds = smtp.password_credentials()?;
                        let built = smtp.build(creds, Mechanism::Plain)?;
                        *smtp.current.try_lock().expect("new") = Some((None, built));
                    }
                    MailAuth::Xoauth2 => {
                        if cfg.username.is_none() {
                            return Err(TransportError::Setup(
                                "auth = \"xoauth2\" needs username (the mailbox's address)".into(),
                            ));
                        }
                        // Check the TLS settings now; the pool itself is built per token.
                        smtp.build(None, Mechanism::Xoauth2)?;
                    }
                }
                Ok(Transport::Smtp(Box::new(smtp)))
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(s) => match s.cfg.auth {
                MailAuth::Password => "SMTP".into(),
                MailAuth::Xoauth2 => "SMTP (OAuth)".into(),
            },
            Transport::File { dir } => format!("file ({})", dir.display()),
        }
    }

    /// Sends `raw` from `from` to `to`. Returns the server's reply (or the file written).
    pub async fn send(
        &self,
        from: &str,
        to: &str,
        message_id: &str,
        raw: &[u8],
    ) -> Result<String, SendError> {
        match self {
            Transport::Smtp(smtp) => {
                let envelope = Envelope::new(
                    Some(
                        from.parse()
                            .map_err(|e| SendError::Permanent(format!("sender {from}: {e}")))?,
                    ),
                    vec![to
                        .parse()
                        .map_err(|e| SendError::Permanent(format!("recipient {to}: {e}")))?],
                )
                .map_err(|e| SendError::Permanent(e.to_string()))?;
                smtp.send(&envelope, raw).await
            }
            Transport::File { dir } => {
                let name: String = message_id
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let write = || -> std::io::Result<PathBuf> {
                    let new = dir.join("new");
                    let tmp = dir.join("tmp");
                    std::fs::create_dir_all(&new)?;
                    std::fs::create_dir_all(&tmp)?;
                    let t = tmp.join(format!("{name}.eml"));
                    std::fs::write(&t, raw)?;
                    let p = new.join(format!("{name}.eml"));
                    std::fs::rename(&t, &p)?;
                    Ok(p)
                };
                write()
                    .map(|p| format!("written to {}", p.display()))
                    .map_err(|e| SendError::Transient(format!("file transport: {e}")))
            }
        }
    }
}

impl Smtp {
    fn password_credentials(&self) -> Result<Option<Credentials>, TransportError> {
        let Some(user) = &self.cfg.username else {
            return Ok(None);
        };
        let password = crate::config::secret("FOI_SMTP_PASSWORD").ok_or_else(|| {
            TransportError::Setup(format!(
                "username `{user}` is set but FOI_SMTP_PASSWORD is not; export it in the environment"
            ))
        })?;
        Ok(Some(Credentials::new(user.clone(), password)))
    }

    fn build(
        &self,
        creds: Option<Credentials>,
        mechanism: Mechanism,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, TransportError> {
        let cfg = &self.cfg;
        let tls_params = || -> Result<TlsParameters, TransportError> {
            let mut b = TlsParameters::builder(cfg.host.clone());
            if let Some(ca) = &cfg.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| TransportError::Setup(format!("ca_file {}: {e}", ca.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| TransportError::Setup(format!("ca_file {}: {e}", ca.display())))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls()
                .map_err(|e| TransportError::Setup(e.to_string()))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.clone())
            .port(cfg.port)
            .timeout(Some(self.timeout));
        builder = match cfg.security {
            Security::None => builder.tls(Tls::None),
            Security::Starttls => builder.tls(Tls::Required(tls_params()?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls_params()?)),
        };
        if let Some(c) = creds {
            builder = builder.credentials(c).authentication(match mechanism {
                Mechanism::Xoauth2 => vec![Mechanism::Xoauth2],
                _ => vec![Mechanism::Plain, Mechanism::Login],
            });
        }
        Ok(builder.build())
    }

    /// The pool to send with now: for XOAUTH2, one signed in with a valid token.
    async fn pool(
        &self,
    ) -> Result<(AsyncSmtpTransport<Tokio1Executor>, Option<Secret>), SendError> {
        let mut current = self.current.lock().await;
        if self.cfg.auth == MailAuth::Password {
            let (_, pool) = current.as_ref().expect("built in from_config");
            return Ok((pool.clone(), None));
        }
        let token = self.auth.access_token().await.map_err(|e| {
            if e.needs_person() {
                SendError::Auth(e.to_string())
            } else {
                SendError::Transient(e.to_string())
            }
        })?;
        if let Some((Some(t), pool)) = current.as_ref() {
            if *t == token {
                return Ok((pool.clone(), Some(token)));
            }
        }
        let user = self.cfg.username.clone().unwrap_or_default();
        let pool = self
            .build(
                Some(Credentials::new(user, token.expose().to_string())),
                Mechanism::Xoauth2,
            )
            .map_err(|e| SendError::Transient(e.to_string()))?;
        *current = Some((Some(token.clone()), pool.clone()));
        Ok((pool, Some(token)))
    }

    async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<String, SendError> {
        let user = self.cfg.username.clone().unwrap_or_default();
        let mut tries = 0;
        loop {
            tries += 1;
            let (pool, token) = self.pool().await?;
            // lettre has its own socket timeout; this one bounds the whole transaction.
            let limit = self.timeout * 2;
            match tokio::time::timeout(limit, pool.send_raw(envelope, raw)).await {
                Err(_) => {
                    return Err(SendError::Transient(format!(
                        "timed out after {}s",
                        limit.as_secs()
                    )))
                }
                Ok(Ok(resp)) => {
                    return Ok(format!(
                        "{} {}",
                        resp.code(),
                        resp.message().collect::<Vec<_>>().join(" ")
                    ))
                }
                Ok(Err(e)) if is_auth_failure(&e) => match token {
                    // A refused token (revoked early, expired in flight): a new one, once.
                    Some(t) if tries < 2 => {
                        self.auth.rejected(&t).await;
                        *self.current.lock().await = None;
                    }
                    _ => return Err(SendError::Auth(auth_message(&user, &e.to_string()))),
                },
                Ok(Err(e)) if e.is_permanent() => return Err(SendError::Permanent(e.to_string())),
                Ok(Err(e)) => return Err(SendError::Transient(e.to_string())),
            }
        }
    }

    /// Connects and signs in without sending (`foi mailbox test`).
    pub(crate) async fn test_connection(&self) -> Result<(), SendError> {
        let user = self.cfg.username.clone().unwrap_or_default();
        let (pool, token) = self.pool().await?;
        match pool.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Transient(
                "the server did not answer NOOP".into(),
            )),
            Err(e) if is_auth_failure(&e) => {
                if let Some(t) = token {
                    self.auth.rejected(&t).await;
                }
                Err(SendError::Auth(auth_message(&user, &e.to_string())))
            }
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}
