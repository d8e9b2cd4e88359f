//! The team's mailbox: how `foi` signs in to it (a password from the environment, or OAuth
//! 2.0 with SASL XOAUTH2 for Microsoft 365 and Google Workspace), shared by the IMAP poller,
//! IMAP IDLE, the delivery worker and one-off commands, and the checks behind
//! `foi mailbox test`.
//!
//! Access tokens are refreshed shortly before they expire, and once more when a server
//! refuses one. When the provider refuses the refresh token itself (revoked, expired), the
//! token file records it: sending and polling stop with [`AuthError::NeedsLogin`], `/health`,
//! the dashboard and the digest say so, and queued letters wait for `foi mailbox login`.

pub mod check;
pub mod oauth;
pub mod tokens;

use crate::config::{Config, MailAuth, OAuthConfig, OAuthFlow};
use chrono::{DateTime, Utc};
use oauth::{OAuthClient, OAuthError};
use std::path::Path;
use std::sync::Arc;
use tokens::{Problem, Secret, Stored, TokenFile};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A person must sign in (again); nothing will be sent or fetched until then.
    #[error("the mailbox {mailbox} needs signing in again: {reason}. Run `foi mailbox login`; queued letters wait until then")]
    NeedsLogin { mailbox: String, reason: String },
    /// The configuration cannot work.
    #[error("{0}")]
    Config(String),
    /// The sign-in service could not be reached: tried again later.
    #[error("{0}")]
    Unreachable(String),
    #[error(transparent)]
    File(#[from] tokens::TokenFileError),
}

impl AuthError {
    /// True when a person must act (sign in, fix the configuration); false when trying
    /// again later may work.
    pub(crate) fn needs_person(&self) -> bool {
        !matches!(self, AuthError::Unreachable(_))
    }
}

/// The SASL XOAUTH2 initial response (Google's and Microsoft's XOAUTH2 protocol):
/// `user=<user>^Aauth=Bearer <token>^A^A`.
pub(crate) fn xoauth2_response(user: &str, token: &Secret) -> String {
    format!("user={user}\x01auth=Bearer {}\x01\x01", token.expose())
}

#[derive(Clone)]
struct Cached {
    token: Secret,
    /// Refresh at or after this moment.
    refresh_at: DateTime<Utc>,
}

/// When to refresh a token granted now for `lifetime`: a quarter of its life before the end,
/// and never more than a minute before.
pub(crate) fn refresh_at(now: DateTime<Utc>, lifetime: chrono::Duration) -> DateTime<Utc> {
    let margin = (lifetime / 4).min(chrono::Duration::seconds(60));
    now + lifetime - margin
}

/// How the mailbox is signed in to, for every part of `foi` at once.
pub struct MailboxAuth {
    /// The account, for messages ("the mailbox foi@example.org …").
    pub mailbox: String,
    oauth_in_use: bool,
    oauth: OAuthConfig,
    file: TokenFile,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for MailboxAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxAuth")
            .field("mailbox", &self.mailbox)
            .field("oauth_in_use", &self.oauth_in_use)
            .finish()
    }
}

impl MailboxAuth {
    pub fn from_config(cfg: &Config, data_dir: &Path) -> Arc<MailboxAuth> {
        let mailbox = cfg
            .imap
            .username
            .clone()
            .or_else(|| cfg.smtp.username.clone())
            .unwrap_or_else(|| "(no username set)".into());
        let smtp_oauth = cfg.smtp.transport == crate::config::Transport::Smtp
            && cfg.smtp.auth == MailAuth::Xoauth2;
        let imap_oauth = !cfg.imap.host.trim().is_empty() && cfg.imap.auth == MailAuth::Xoauth2;
        Arc::new(MailboxAuth {
            mailbox,
            oauth_in_use: smtp_oauth || imap_oauth,
            oauth: cfg.oauth.clone(),
            file: TokenFile::in_dir(data_dir),
            cache: tokio::sync::Mutex::new(None),
        })
    }

    /// Whether any protocol signs in with OAuth.
    pub fn uses_oauth(&self) -> bool {
        self.oauth_in_use
    }

    pub fn token_file(&self) -> &TokenFile {
        &self.file
    }

    pub fn client(&self) -> Result<OAuthClient, AuthError> {
        OAuthClient::new(
            &self.oauth,
            crate::config::secret("FOI_OAUTH_CLIENT_SECRET").map(Secret::new),
        )
        .map_err(|e| AuthError::Config(e.to_string()))
    }

    /// Why the mailbox cannot be used now, as recorded by whichever process found out.
    pub fn problem(&self) -> Option<Problem> {
        if !self.oauth_in_use {
            return None;
        }
        match self.file.load() {
            Ok(Some(s)) => s.needs_login,
            Ok(None) if self.oauth.flow == OAuthFlow::DeviceCode => Some(Problem {
                reason: "nobody has signed in yet (`foi mailbox login`)".into(),
                since: DateTime::<Utc>::MIN_UTC,
            }),
            Ok(None) => None,
            Err(e) => Some(Problem {
                reason: e.to_string(),
                since: Utc::now(),
            }),
        }
    }

    /// A valid access token: the one in hand, the one stored by another process, or a new one
    /// (refresh token or client credentials). Real time, not the application's clock: tokens
    /// expire by the provider's clock whatever day `--today` simulates.
    pub async fn access_token(&self) -> Result<Secret, AuthError> {
        let mut cache = self.cache.lock().await;
        let now = Utc::now();
        if let Some(c) = cache.as_ref() {
            if now < c.refresh_at {
                return Ok(c.token.clone());
            }
        }
        let stored = self.file.load()?;
        // Another process (or an earlier run) may hold a token that is still good.
        if let Some(s) = &stored {
            if s.needs_login.is_none() {
                if let (Some(t), Some(exp), Some(life)) =
                    (&s.access_token, s.expires_at, s.lifetime_secs)
                {
                    let at = refresh_at(
                        exp - chrono::Duration::seconds(life),
                        chrono::Duration::seconds(life),
                    );
                    if now < at {
                        *cache = Some(Cached {
                            token: t.clone(),
                            refresh_at: at,
                        });
                        return Ok(t.clone());
                    }
                }
            }
        }
        let client = self.client()?;
        let result = match client.flow() {
            OAuthFlow::ClientCredentials => client.client_credentials().await,
            OAuthFlow::DeviceCode => {
                let Some(rt) = stored.as_ref().and_then(|s| s.refresh_token.clone()) else {
                    let reason = stored
                        .as_ref()
                        .and_then(|s| s.needs_login.as_ref())
                        .map(|p| p.reason.clone())
                        .unwrap_or_else(|| "nobody has signed in yet".into());
                    return Err(AuthError::NeedsLogin {
                        mailbox: self.mailbox.clone(),
                        reason,
                    });
                };
                client.refresh(&rt).await
            }
        };
        match result {
            Ok(g) => {
                let mut s = stored.unwrap_or_default();
                s.mailbox = self.mailbox.clone();
                self.record_grant(&mut s, g, now)?;
                let token = s.access_token.clone().expect("just set");
                let life = chrono::Duration::seconds(s.lifetime_secs.unwrap_or(3600));
                *cache = Some(Cached {
                    token: token.clone(),
                    refresh_at: refresh_at(now, life),
                });
                tracing::info!(mailbox = %self.mailbox, "mailbox access token renewed");
                Ok(token)
            }
            Err(OAuthError::Refused(reason)) => {
                let mut s = stored.unwrap_or_default();
                s.mailbox = self.mailbox.clone();
                // A refused refresh token is of no further use: forget it.
                s.refresh_token = None;
                s.access_token = None;
                s.expires_at = None;
                s.needs_login = Some(Problem {
                    reason: reason.clone(),
                    since: now,
                });
                self.file.save(&s)?;
                *cache = None;
                tracing::error!(mailbox = %self.mailbox, "{reason}");
                Err(AuthError::NeedsLogin {
                    mailbox: self.mailbox.clone(),
                    reason,
                })
            }
            Err(OAuthError::Unreachable(e)) => Err(AuthError::Unreachable(e)),
            Err(OAuthError::Config(e)) => Err(AuthError::Config(format!("[oauth] {e}"))),
        }
    }

    fn record_grant(
        &self,
        s: &mut Stored,
        g: oauth::Grant,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let life = g
            .expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .unwrap_or(chrono::Duration::hours(1));
        s.access_token = Some(g.access_token);
        if g.refresh_token.is_some() {
            s.refresh_token = g.refresh_token;
        }
        s.expires_at = Some(now + life);
        s.lifetime_secs = Some(life.num_seconds().max(1));
        s.needs_login = None;
        self.file.save(s)?;
        Ok(())
    }

    /// A new access token now, whatever the one in hand (`foi mailbox test`).
    pub async fn renew(&self) -> Result<Secret, AuthError> {
        *self.cache.lock().await = None;
        if let Ok(Some(mut s)) = self.file.load() {
            if s.access_token.take().is_some() {
                s.expires_at = None;
                self.file.save(&s)?;
            }
        }
        self.access_token().await
    }

    /// When the token in hand should be replaced (None: none in hand). A session signed in
    /// with it is renewed by then.
    pub async fn renew_at(&self) -> Option<DateTime<Utc>> {
        self.cache.lock().await.as_ref().map(|c| c.refresh_at)
    }

    /// A server refused `token`: forget it, so the next [`Self::access_token`] gets a new one.
    pub async fn rejected(&self, token: &Secret) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| &c.token == token) {
            *cache = None;
        }
        if let Ok(Some(mut s)) = self.file.load() {
            if s.access_token.as_ref() == Some(token) {
                s.access_token = None;
                s.expires_at = None;
                let _ = self.file.save(&s);
            }
        }
    }

    /// Stores the result of a completed device sign-in (`foi mailbox login`).
    pub async fn signed_in(&self, g: oauth::Grant) -> Result<(), AuthError> {
        let now = Utc::now();
        let mut s = Stored {
            mailbox: self.mailbox.clone(),
            signed_in_at: Some(now),
            ..Stored::default()
        };
        if g.refresh_token.is_none() && self.oauth.flow == OAuthFlow::DeviceCode {
            tracing::warn!("the provider issued no refresh token: add the `offline_access` scope (Microsoft) or the sign-in will last only until the access token expires");
        }
        self.record_grant(&mut s, g, now)?;
        *self.cache.lock().await = None;
        Ok(())
    }

    /// Forgets every token (`foi mailbox logout`).
    pub async fn forget(&self) -> Result<bool, AuthError> {
        *self.cache.lock().await = None;
        Ok(self.file.remove()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_starts_a_quarter_before_expiry_at_most_a_minute() {
        let now = Utc::now();
        assert_eq!(
            refresh_at(now, chrono::Duration::seconds(2)),
            now + chrono::Duration::milliseconds(1500)
        );
        assert_eq!(
            refresh_at(now, chrono::Duration::hours(1)),
            now + chrono::Duration::seconds(3540)
        );
    }

    #[test]
    fn the_sasl_string_is_xoauth2() {
        assert_eq!(
            xoauth2_response("a@b.org", &Secret::new("T")),
            "user=a@b.org\x01auth=Bearer T\x01\x01"
        );
    }
}
