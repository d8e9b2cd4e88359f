//! The OAuth tokens of the mailbox, kept in `DATA_DIR/mailbox-tokens.json`, readable and
//! writable by the owner only (0600), written atomically (a temporary file renamed over the
//! old one), so a crash mid-write leaves the previous tokens. Tokens are [`Secret`]s: their
//! `Debug` and `Display` never show the value, so a log line or an error cannot leak one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A token or password. Only [`Secret::expose`] gives the value, for the wire.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(hidden)")
    }
}

/// Why the mailbox cannot be used until a person acts, as stored for every process to see
/// (the service's `/health`, the dashboard, the digest, the next `foi send`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// What the token file holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Stored {
    /// The mailbox these tokens are for (the configured username).
    pub mailbox: String,
    pub refresh_token: Option<Secret>,
    pub access_token: Option<Secret>,
    pub expires_at: Option<DateTime<Utc>>,
    /// How long the access token was granted for, in seconds (refreshes start a quarter of
    /// that before it ends, at most a minute before).
    pub lifetime_secs: Option<i64>,
    pub signed_in_at: Option<DateTime<Utc>>,
    /// Set when the provider refused the refresh token (revoked, expired, password changed)
    /// or the app's credentials; cleared by the next successful sign-in.
    pub needs_login: Option<Problem>,
}

#[derive(Debug, thiserror::Error)]
#[error("the mailbox token file {path}: {message}")]
pub struct TokenFileError {
    pub path: String,
    pub message: String,
}

/// The token file of a data directory.
#[derive(Debug, Clone)]
pub struct TokenFile {
    path: PathBuf,
}

impl TokenFile {
    pub(crate) fn in_dir(data_dir: &Path) -> TokenFile {
        TokenFile {
            path: data_dir.join("mailbox-tokens.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, message: impl std::fmt::Display) -> TokenFileError {
        TokenFileError {
            path: self.path.display().to_string(),
            message: message.to_string(),
        }
    }

    /// The stored tokens; `None` when nobody has signed in. A file others could read is made
    /// owner-only again (with a warning).
    pub fn load(&self) -> Result<Option<Stored>, TokenFileError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(&self.path) {
                if meta.permissions().mode() & 0o077 != 0 {
                    tracing::warn!(
                        "{} was readable by others; it is now owner-only (0600)",
                        self.path.display()
                    );
                    let _ = std::fs::set_permissions(
                        &self.path,
                        std::fs::Permissions::from_mode(0o600),
                    );
                }
            }
        }
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            self.error(format!(
                "{e}; delete it and run `foi mailbox login` to sign in again"
            ))
        })
    }

    /// Replaces the stored tokens atomically; the file is created 0600.
    pub fn save(&self, s: &Stored) -> Result<(), TokenFileError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.error(e))?;
        let tmp = dir.join(format!(".mailbox-tokens.{}.tmp", std::process::id()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let write = || -> std::io::Result<()> {
            let mut f = opts.open(&tmp)?;
            f.write_all(&serde_json::to_vec_pretty(s).map_err(std::io::Error::other)?)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.error(e)
        })
    }

    /// Forgets every token. `true` when there was something to forget.
    pub fn remove(&self) -> Result<bool, TokenFileError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_or_display() {
        let s = Secret::new("eyJ-very-secret");
        assert!(!format!("{s:?} {s}").contains("very-secret"));
        let stored = Stored {
            access_token: Some(s.clone()),
            ..Stored::default()
        };
        assert!(!format!("{stored:?}").contains("very-secret"));
        assert_eq!(s.expose(), "eyJ-very-secret");
    }

    #[test]
    fn the_file_is_owner_only_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let f = TokenFile::in_dir(dir.path());
        assert!(f.load().unwrap().is_none());
        let s = Stored {
            mailbox: "foi@example.org".into(),
            refresh_token: Some(Secret::new("r1")),
            ..Stored::default()
        };
        f.save(&s).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(f.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            // A loosened file is tightened on the next read.
            std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let back = f.load().unwrap().unwrap();
        assert_eq!(back.refresh_token, Some(Secret::new("r1")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(f.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(f.remove().unwrap());
        assert!(!f.remove().unwrap());
    }

    #[test]
    fn a_damaged_file_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let f = TokenFile::in_dir(dir.path());
        std::fs::write(f.path(), "{not json").unwrap();
        let e = f.load().unwrap_err().to_string();
        assert!(e.contains("mailbox-tokens.json"), "{e}");
        assert!(e.contains("foi mailbox login"), "{e}");
    }
}
