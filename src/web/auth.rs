//! Authentication: argon2 password hashes, session cookies, CSRF tokens, a one-time setup link
//! for the first editor, and a login rate limit.

use crate::app::App;
use crate::rawstore::sha256_hex;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::{OsRng, RngCore};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE: &str = "foi_session";
pub const SESSION_HOURS: i64 = 12;

/// A random token, hex-encoded (32 bytes from the OS).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The SHA-256 of a session cookie: what the database keeps.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

fn setup_path(app: &App) -> std::path::PathBuf {
    app.data_dir.join("setup-token")
}

/// The one-time token for creating the first editor (created on first use, kept in the data
/// directory with mode 0600 until used).
pub async fn first_run_token(app: &App) -> Result<String, std::io::Error> {
    let p = setup_path(app);
    if let Ok(t) = std::fs::read_to_string(&p) {
        if !t.trim().is_empty() {
            return Ok(t.trim().to_string());
        }
    }
    let t = random_token();
    std::fs::write(&p, &t)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(t)
}

/// Checks and consumes the setup token.
pub fn take_setup_token(app: &App, given: &str) -> bool {
    let p = setup_path(app);
    match std::fs::read_to_string(&p) {
        Ok(t) if !t.trim().is_empty() && constant_time_eq(t.trim(), given.trim()) => {
            let _ = std::fs::remove_file(&p);
            true
        }
        _ => false,
    }
}

/// At most `MAX_FAILURES` failed logins per user name (and per client) in `WINDOW`.
pub struct RateLimit {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            failures: Mutex::new(HashMap::new()),
        }
    }
}

impl RateLimit {
    pub fn blocked(&self, key: &str) -> bool {
        let mut g = self.failures.lock().expect("rate limit lock");
        let v = g.entry(key.to_string()).or_default();
        v.retain(|t| t.elapsed() < WINDOW);
        v.len() >= MAX_FAILURES
    }
    pub fn fail(&self, key: &str) {
        self.failures
            .lock()
            .expect("rate limit lock")
            .entry(key.to_string())
            .or_default()
            .push(Instant::now());
    }
    pub fn clear(&self, key: &str) {
        self.failures.lock().expect("rate limit lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
    }

    #[test]
    fn rate_limit_blocks_after_five_failures() {
        let r = RateLimit::default();
        for _ in 0..5 {
            assert!(!r.blocked("ann"));
            r.fail("ann");
        }
        assert!(r.blocked("ann"));
        assert!(!r.blocked("bob"));
        r.clear("ann");
        assert!(!r.blocked("ann"));
    }

    #[test]
    fn tokens_are_random_and_compare_safely() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &random_token()));
    }
}
