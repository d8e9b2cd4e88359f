//! Transports: SMTP (lettre on tokio, STARTTLS / implicit TLS / plain on loopback only) and a
//! file transport that writes each message as an `.eml` (the default until SMTP is set up).

use crate::config::{Security, SmtpConfig, Transport as Kind};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
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
}

pub enum Transport {
    Smtp {
        inner: AsyncSmtpTransport<Tokio1Executor>,
        timeout: Duration,
    },
    File {
        dir: PathBuf,
    },
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

impl Transport {
    pub fn from_config(cfg: &SmtpConfig, data_dir: &Path) -> Result<Transport, TransportError> {
        match cfg.transport {
            Kind::File => Ok(Transport::File {
                dir: data_dir.join("outbox-files"),
            }),
            Kind::Smtp => {
                let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
                let tls_params = || -> Result<TlsParameters, TransportError> {
                    let mut b = TlsParameters::builder(cfg.host.clone());
                    if let Some(ca) = &cfg.ca_file {
                        let pem = std::fs::read(ca).map_err(|e| {
                            TransportError::Setup(format!("ca_file {}: {e}", ca.display()))
                        })?;
                        let cert = Certificate::from_pem(&pem).map_err(|e| {
                            TransportError::Setup(format!("ca_file {}: {e}", ca.display()))
                        })?;
                        b = b.add_root_certificate(cert);
                    }
                    b.build_rustls()
                        .map_err(|e| TransportError::Setup(e.to_string()))
                };
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.clone())
                        .port(cfg.port)
                        .timeout(Some(timeout));
                builder = match cfg.security {
                    Security::None => {
                        if !is_loopback(&cfg.host) {
                            return Err(TransportError::PlainToRemote(cfg.host.clone()));
                        }
                        builder.tls(Tls::None)
                    }
                    Security::Starttls => builder.tls(Tls::Required(tls_params()?)),
                    Security::Tls => builder.tls(Tls::Wrapper(tls_params()?)),
                };
                if let Some(user) = &cfg.username {
                    let password = crate::config::secret("FOI_SMTP_PASSWORD").ok_or_else(|| {
                        TransportError::Setup(format!(
                            "username `{user}` is set but FOI_SMTP_PASSWORD is not; export it in the environment"
                        ))
                    })?;
                    builder = builder.credentials(Credentials::new(user.clone(), password));
                }
                Ok(Transport::Smtp {
                    inner: builder.build(),
                    timeout,
                })
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { .. } => "SMTP".into(),
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
            Transport::Smtp { inner, timeout } => {
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
                // lettre has its own socket timeout; this one bounds the whole transaction.
                match tokio::time::timeout(*timeout * 2, inner.send_raw(&envelope, raw)).await {
                    Err(_) => Err(SendError::Transient(format!(
                        "timed out after {}s",
                        (*timeout * 2).as_secs()
                    ))),
                    Ok(Ok(resp)) => Ok(format!(
                        "{} {}",
                        resp.code(),
                        resp.message().collect::<Vec<_>>().join(" ")
                    )),
                    Ok(Err(e)) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                    Ok(Err(e)) => Err(SendError::Transient(e.to_string())),
                }
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
