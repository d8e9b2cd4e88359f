//! IMAP source (async-imap on tokio): TLS, STARTTLS or plain (loopback only). [`Inbox`] is
//! the protocol only — open a folder, list UIDs after one, fetch, move; the ingest use case
//! (`services::ingest::ingest_imap`) remembers UIDVALIDITY and the last UID per folder.

use super::SourceError as IngestError;
use crate::config::{ImapConfig, MailAuth, Security};
use crate::hosts::is_loopback;
use crate::mailbox::MailboxAuth;
use futures::TryStreamExt;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName, RootCertStore};
use tokio_rustls::TlsConnector;

/// Any byte stream the IMAP client can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

pub(crate) type Session = async_imap::Session<Box<dyn Io>>;
pub type Client = async_imap::Client<Box<dyn Io>>;

fn err(what: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError(format!("IMAP {what}: {e}"))
}

pub(crate) fn tls_connector(cfg: &ImapConfig) -> Result<TlsConnector, IngestError> {
    let mut roots = RootCertStore::empty();
    for c in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(c);
    }
    if let Some(ca) = &cfg.ca_file {
        use rustls_pki_types::pem::PemObject;
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(ca)
            .map_err(|e| err(&format!("ca_file {}", ca.display()), e))?;
        for c in certs {
            roots
                .add(c.map_err(|e| err("ca_file", e))?)
                .map_err(|e| err("ca_file", e))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| err("TLS", e))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Connects to the server: TCP, then TLS (implicit or STARTTLS), up to the greeting. The
/// stages are separate so that `foi mailbox test` can say which one failed.
pub(crate) async fn connect_tcp(cfg: &ImapConfig) -> Result<TcpStream, IngestError> {
    if cfg.host.trim().is_empty() {
        return Err(IngestError(
            "set [imap] host (or FOI__IMAP__HOST) to ingest over IMAP".into(),
        ));
    }
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        TcpStream::connect((cfg.host.as_str(), cfg.port)),
    )
    .await
    .map_err(|_| err("connect", "timed out"))?
    .map_err(|e| err(&format!("connect to {}:{}", cfg.host, cfg.port), e))
}

/// TLS (as configured) over a connected socket, and the server's greeting.
pub async fn secure(cfg: &ImapConfig, tcp: TcpStream) -> Result<Client, IngestError> {
    let server_name = || ServerName::try_from(cfg.host.clone()).map_err(|e| err("server name", e));
    Ok(match cfg.security {
        Security::Tls => {
            let tls = tls_connector(cfg)?
                .connect(server_name()?, tcp)
                .await
                .map_err(|e| err("TLS", e))?;
            let mut c = async_imap::Client::new(Box::new(tls) as Box<dyn Io>);
            c.read_response().await.map_err(|e| err("greeting", e))?;
            c
        }
        Security::Starttls => {
            let mut c = async_imap::Client::new(tcp);
            c.read_response().await.map_err(|e| err("greeting", e))?;
            c.run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| err("STARTTLS", e))?;
            let tcp = c.into_inner();
            let tls = tls_connector(cfg)?
                .connect(server_name()?, tcp)
                .await
                .map_err(|e| err("TLS", e))?;
            async_imap::Client::new(Box::new(tls) as Box<dyn Io>)
        }
        Security::None => {
            if !is_loopback(&cfg.host) {
                return Err(IngestError(format!(
                    "[imap] security = \"none\" is only allowed to a loopback host, not `{}`",
                    cfg.host
                )));
            }
            let mut c = async_imap::Client::new(Box::new(tcp) as Box<dyn Io>);
            c.read_response().await.map_err(|e| err("greeting", e))?;
            c
        }
    })
}

/// The XOAUTH2 exchange for async-imap: the SASL string as the first response; if the server
/// refuses, it sends a JSON error as a challenge, which is answered with an empty line.
struct XOAuth2 {
    response: Option<String>,
}

impl async_imap::Authenticator for XOAuth2 {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        self.response.take().unwrap_or_default()
    }
}

fn refused(user: &str, e: impl std::fmt::Display) -> IngestError {
    let text = e.to_string();
    match crate::domain::mailbox_errors::explain(&text) {
        Some(advice) => IngestError(format!("IMAP sign-in as {user} refused ({text}): {advice}")),
        None => IngestError(format!("IMAP sign-in as {user} refused: {text}")),
    }
}

/// Signs in as `[imap] username`: with the password from `FOI_IMAP_PASSWORD`, or with an
/// OAuth access token (XOAUTH2), refreshed and tried once more if the server refuses it.
pub async fn sign_in(
    cfg: &ImapConfig,
    auth: &MailboxAuth,
    client: Client,
) -> Result<Session, IngestError> {
    let user = cfg
        .username
        .clone()
        .ok_or_else(|| IngestError("set [imap] username (or FOI__IMAP__USERNAME)".into()))?;
    match cfg.auth {
        MailAuth::Password => {
            let password = crate::config::secret("FOI_IMAP_PASSWORD").ok_or_else(|| {
                IngestError("FOI_IMAP_PASSWORD is not set; export it in the environment".into())
            })?;
            client
                .login(&user, &password)
                .await
                .map_err(|(e, _)| refused(&user, e))
        }
        MailAuth::Xoauth2 => {
            let mut client = client;
            let mut last = String::new();
            for _ in 0..2 {
                let token = auth
                    .access_token()
                    .await
                    .map_err(|e| IngestError(e.to_string()))?;
                let sasl = XOAuth2 {
                    response: Some(crate::mailbox::xoauth2_response(&user, &token)),
                };
                match client.authenticate("XOAUTH2", sasl).await {
                    Ok(session) => return Ok(session),
                    Err((e, c)) => {
                        // Refused: perhaps revoked early or expired in flight; a fresh token
                        // is tried once.
                        auth.rejected(&token).await;
                        last = e.to_string();
                        client = c;
                    }
                }
            }
            Err(refused(&user, last))
        }
    }
}

async fn connect(cfg: &ImapConfig, auth: &MailboxAuth) -> Result<Session, IngestError> {
    // Before connecting: a mailbox that needs signing in again is not tried at all.
    if cfg.auth == MailAuth::Xoauth2 {
        auth.access_token()
            .await
            .map_err(|e| IngestError(e.to_string()))?;
    }
    let tcp = connect_tcp(cfg).await?;
    let client = secure(cfg, tcp).await?;
    sign_in(cfg, auth, client).await
}

/// Which of these Message-IDs are in `folder` (a Sent folder, say): one connection, the
/// folder examined read-only, one search each. What a letter in doubt is looked for by.
pub async fn found_in_folder(
    cfg: &ImapConfig,
    auth: &MailboxAuth,
    folder: &str,
    ids: &[String],
) -> Result<std::collections::HashSet<String>, IngestError> {
    let mut session = connect(cfg, auth).await?;
    session
        .examine(folder)
        .await
        .map_err(|e| err(&format!("EXAMINE {folder}"), e))?;
    let mut found = std::collections::HashSet::new();
    for id in ids {
        let clean = id.replace(['"', '\\'], "");
        let hits = session
            .uid_search(format!("HEADER Message-ID \"{clean}\""))
            .await
            .map_err(|e| err("UID SEARCH", e))?;
        if !hits.is_empty() {
            found.insert(id.clone());
        }
    }
    let _ = session.logout().await;
    Ok(found)
}

/// An open IMAP folder.
pub struct Inbox {
    session: Session,
    /// The folder's UIDVALIDITY: when it changes, earlier UIDs mean nothing.
    pub uid_validity: i64,
    /// `user@host:port`, the key the last UID is remembered under.
    pub account: String,
}

impl Inbox {
    /// Connects, signs in and selects `cfg.folder`.
    pub async fn open(cfg: &ImapConfig, auth: &MailboxAuth) -> Result<Inbox, IngestError> {
        let session = connect(cfg, auth).await?;
        Inbox::select(cfg, session).await
    }

    /// Selects `cfg.folder` in a signed-in session.
    pub async fn select(cfg: &ImapConfig, mut session: Session) -> Result<Inbox, IngestError> {
        let account = format!(
            "{}@{}:{}",
            cfg.username.clone().unwrap_or_default(),
            cfg.host,
            cfg.port
        );
        let mbox = session
            .select(&cfg.folder)
            .await
            .map_err(|e| err(&format!("select {}", cfg.folder), e))?;
        Ok(Inbox {
            session,
            uid_validity: mbox.uid_validity.unwrap_or(0) as i64,
            account,
        })
    }

    /// The UIDs above `last`, ascending.
    pub async fn uids_after(&mut self, last: i64) -> Result<Vec<u32>, IngestError> {
        let mut v: Vec<u32> = self
            .session
            .uid_search(format!("UID {}:*", last + 1))
            .await
            .map_err(|e| err("UID SEARCH", e))?
            .into_iter()
            .filter(|u| (*u as i64) > last)
            .collect();
        v.sort_unstable();
        Ok(v)
    }

    /// The raw bytes of these messages (without setting \\Seen), by ascending UID.
    pub async fn fetch(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, IngestError> {
        let set = uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut fetched: Vec<(u32, Vec<u8>)> = self
            .session
            .uid_fetch(&set, "(UID BODY.PEEK[])")
            .await
            .map_err(|e| err("UID FETCH", e))?
            .try_filter_map(|f| async move { Ok(f.uid.zip(f.body().map(<[u8]>::to_vec))) })
            .try_collect()
            .await
            .map_err(|e| err("UID FETCH", e))?;
        fetched.sort_by_key(|(u, _)| *u);
        Ok(fetched)
    }

    /// Moves one message to `dest` (e.g. the processed folder).
    pub async fn move_to(&mut self, uid: u32, dest: &str) -> Result<(), IngestError> {
        self.session
            .uid_mv(uid.to_string(), dest)
            .await
            .map_err(|e| err(&format!("move to {dest}"), e))
    }

    /// Whether the server offers IDLE (RFC 2177).
    pub async fn offers_idle(&mut self) -> Result<bool, IngestError> {
        Ok(self
            .session
            .capabilities()
            .await
            .map_err(|e| err("CAPABILITY", e))?
            .has_str("IDLE"))
    }

    /// Waits in IDLE until the server reports a change, `limit` passes, or `stop` turns
    /// true; then ends the IDLE (DONE). `true` when something changed.
    pub async fn idle(
        self,
        limit: std::time::Duration,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<(Inbox, bool), IngestError> {
        let Inbox {
            session,
            uid_validity,
            account,
        } = self;
        let mut handle = session.idle();
        handle.init().await.map_err(|e| err("IDLE", e))?;
        let changed = {
            let (wait, _interrupt) = handle.wait_with_timeout(limit);
            tokio::select! {
                r = wait => matches!(r.map_err(|e| err("IDLE", e))?, async_imap::extensions::idle::IdleResponse::NewData(_)),
                _ = tokio::time::sleep(limit) => false,
                _ = stop.wait_for(|v| *v) => false,
            }
        };
        let session = handle.done().await.map_err(|e| err("IDLE DONE", e))?;
        Ok((
            Inbox {
                session,
                uid_validity,
                account,
            },
            changed,
        ))
    }

    /// Appends a message to `folder`, marked as read (a copy of a sent letter).
    pub async fn append(&mut self, folder: &str, raw: &[u8]) -> Result<(), IngestError> {
        self.session
            .append(folder, Some("(\\Seen)"), None, raw)
            .await
            .map_err(|e| err(&format!("APPEND to {folder}"), e))
    }

    /// Whether a message with this Message-ID is in the selected folder.
    pub(crate) async fn has_message_id(&mut self, message_id: &str) -> Result<bool, IngestError> {
        let id = message_id.replace(['"', '\\'], "");
        Ok(!self
            .session
            .uid_search(format!("HEADER Message-ID \"{id}\""))
            .await
            .map_err(|e| err("UID SEARCH", e))?
            .is_empty())
    }

    /// Whether `folder` exists (EXAMINE, read-only).
    pub(crate) async fn has_folder(&mut self, folder: &str) -> Result<bool, IngestError> {
        match self.session.examine(folder).await {
            Ok(_) => Ok(true),
            Err(async_imap::error::Error::No(_)) => Ok(false),
            Err(e) => Err(err(&format!("EXAMINE {folder}"), e)),
        }
    }

    pub async fn close(mut self) {
        let _ = self.session.logout().await;
    }
}
