//! Authentication: argon2 password hashes, session cookies, CSRF tokens, a one-time setup link
//! for the first editor, and a login rate limit.

use crate::app::App;
use crate::rawstore::sha256_hex;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::{OsRng, RngCore};

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

/// The one-time token for creating the first editor, and whether it was made just now
/// (created on first use, kept in the data directory with mode 0600 until used).
pub async fn first_run_token(app: &App) -> Result<(String, bool), std::io::Error> {
    let p = setup_path(app);
    if let Ok(t) = std::fs::read_to_string(&p) {
        if !t.trim().is_empty() {
            return Ok((t.trim().to_string(), false));
        }
    }
    let t = random_token();
    {
        let mut f = std::fs::File::options();
        f.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            f.mode(0o600);
        }
        use std::io::Write;
        f.open(&p)?.write_all(t.as_bytes())?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok((t, true))
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

/// A real argon2 hash of a password nobody has: unknown user names are verified against it,
/// so a failed login costs the same whether or not the name exists.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password(&random_token()).expect("argon2 hashes a random password"))
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
    fn the_dummy_hash_is_a_real_hash_that_matches_nothing() {
        assert!(dummy_hash().starts_with("$argon2"));
        assert!(!verify_password("", dummy_hash()));
        assert!(!verify_password("a long enough password", dummy_hash()));
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
