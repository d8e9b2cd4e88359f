//! IMAP source (async-imap on tokio): TLS, STARTTLS or plain (loopback only). [`Inbox`] is
//! the protocol only — open a folder, list UIDs after one, fetch, move; the ingest use case
//! (`services::ingest::ingest_imap`) remembers UIDVALIDITY and the last UID per folder.

use super::SourceError as IngestError;
use crate::config::{ImapConfig, Security};
use crate::outbound::transport::is_loopback;
use futures::TryStreamExt;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName, RootCertStore};
use tokio_rustls::TlsConnector;

/// Any byte stream the IMAP client can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

type Session = async_imap::Session<Box<dyn Io>>;

fn err(what: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError(format!("IMAP {what}: {e}"))
}

fn tls_connector(cfg: &ImapConfig) -> Result<TlsConnector, IngestError> {
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

async fn connect(cfg: &ImapConfig) -> Result<Session, IngestError> {
    if cfg.host.trim().is_empty() {
        return Err(IngestError(
            "set [imap] host (or FOI__IMAP__HOST) to ingest over IMAP".into(),
        ));
    }
    let user = cfg
        .username
        .clone()
        .ok_or_else(|| IngestError("set [imap] username (or FOI__IMAP__USERNAME)".into()))?;
    let password = crate::config::secret("FOI_IMAP_PASSWORD").ok_or_else(|| {
        IngestError("FOI_IMAP_PASSWORD is not set; export it in the environment".into())
    })?;
    let tcp = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        TcpStream::connect((cfg.host.as_str(), cfg.port)),
    )
    .await
    .map_err(|_| err("connect", "timed out"))?
    .map_err(|e| err(&format!("connect to {}:{}", cfg.host, cfg.port), e))?;
    let server_name = || ServerName::try_from(cfg.host.clone()).map_err(|e| err("server name", e));
    let mut client: async_imap::Client<Box<dyn Io>> = match cfg.security {
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
    };
    let _ = &mut client;
    client
        .login(&user, &password)
        .await
        .map_err(|(e, _)| err(&format!("login as {user}"), e))
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
    /// Connects, logs in and selects `cfg.folder`.
    pub async fn open(cfg: &ImapConfig) -> Result<Inbox, IngestError> {
        let account = format!(
            "{}@{}:{}",
            cfg.username.clone().unwrap_or_default(),
            cfg.host,
            cfg.port
        );
        let mut session = connect(cfg).await?;
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

    pub async fn close(mut self) {
        let _ = self.session.logout().await;
    }
}
