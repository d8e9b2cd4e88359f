//! The dashboard's users: adding, listing, disabling and re-enabling them, new passwords,
//! signing in and out, sessions, and the one-time setup link for the first editor. The same
//! functions serve `foi user …` and the dashboard's login and setup pages.
//!
//! Passwords are hashed with argon2; a session cookie is a random token of which the database
//! keeps only the SHA-256; a failed sign-in costs the same argon2 work whether or not the name
//! exists.

use crate::app::App;
use crate::rawstore::sha256_hex;
use crate::store::{users, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::{OsRng, RngCore};

pub use crate::store::users::{Role, User};

/// How long a session lasts.
pub(crate) const SESSION_HOURS: i64 = 12;
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the password must have at least {MIN_PASSWORD} characters")]
    ShortPassword,
    #[error("give a name for the user")]
    NoName,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    #[error("this setup link is not valid (or was used); ask the operator")]
    BadSetupLink,
    #[error("foi is already set up (there are users); log in, or `foi user add NAME`")]
    AlreadySetUp,
    #[error("the setup link could not be kept in the data directory: {0}")]
    SetupFile(#[from] std::io::Error),
    #[error("this link is not valid: it was used, has expired, or its user was disabled; ask an editor for a new one")]
    BadLink,
    #[error("{0} is the only editor who can sign in; make someone else an editor first")]
    LastEditor(String),
}

/// How long an invitation or a new-password link works.
pub const LINK_DAYS: i64 = 7;

/// A one-time link's path (`/welcome?token=…`): given to the person, never stored (only its
/// hash is).
fn link_path(token: &str) -> String {
    format!("/welcome?token={token}")
}

/// Invites a colleague: a user with no password yet, and a one-time link (working for
/// [`LINK_DAYS`] days) with which they set their own. Returns the link's path.
pub async fn invite(app: &App, name: &str, role: Role) -> Result<String, UserError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UserError::NoName);
    }
    users::add(&app.db, name, role, "", app.clock.now()).await?;
    new_link(app, name).await
}

/// A new one-time link for a user to set a new password (an earlier link stops working; the
/// current password works until the new one is set).
pub async fn new_link(app: &App, name: &str) -> Result<String, UserError> {
    let token = random_token();
    let expires = session_now() + chrono::Duration::days(LINK_DAYS);
    users::set_link(&app.db, name, &token_hash(&token), expires).await?;
    Ok(link_path(&token))
}

/// The user a one-time link is for, while it works.
pub async fn link_user(app: &App, token: &str) -> Result<Option<User>, StoreError> {
    users::by_link(&app.db, &token_hash(token.trim()), session_now()).await
}

/// The person sets their password with their link: the link is used up, their other
/// sessions end, and they are signed in.
pub async fn use_link(app: &App, token: &str, password: &str) -> Result<User, UserError> {
    let user = link_user(app, token).await?.ok_or(UserError::BadLink)?;
    let hash = checked_hash(password)?;
    users::use_link(&app.db, user.id, &hash).await?;
    Ok(user)
}

/// Whether `name` is the last enabled editor (who must not be demoted or disabled).
async fn last_editor(app: &App, name: &str) -> Result<bool, StoreError> {
    let all = users::list(&app.db).await?;
    let editors: Vec<&User> = all
        .iter()
        .filter(|u| u.role == Role::Editor && u.disabled_at.is_none() && !u.invited)
        .collect();
    Ok(editors.len() == 1 && editors[0].name == name)
}

/// Changes a user's role (never leaving no editor who can sign in).
pub async fn set_role(app: &App, name: &str, role: Role) -> Result<(), UserError> {
    if role == Role::Viewer && last_editor(app, name).await? {
        return Err(UserError::LastEditor(name.to_string()));
    }
    Ok(users::set_role(&app.db, name, role).await?)
}

/// Disables a user from the people page (never the last editor who can sign in).
pub async fn disable_checked(app: &App, name: &str) -> Result<(), UserError> {
    if last_editor(app, name).await? {
        return Err(UserError::LastEditor(name.to_string()));
    }
    Ok(disable(app, name).await?)
}

/// Notes that the user signed in (the people page's "last sign-in").
pub async fn signed_in(app: &App, user_id: i32) -> Result<(), StoreError> {
    users::signed_in(&app.db, user_id, session_now()).await
}

/// A random token, hex-encoded (32 bytes from the OS).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub(crate) fn hash_password(password: &str) -> Result<String, UserError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
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

/// A real argon2 hash of a password nobody has: unknown user names are verified against it,
/// so a failed sign-in costs the same whether or not the name exists.
pub(crate) fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password(&random_token()).expect("argon2 hashes a random password"))
}

fn checked_hash(password: &str) -> Result<String, UserError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(UserError::ShortPassword);
    }
    hash_password(password)
}

/// `foi user add NAME --role R`.
pub async fn add(app: &App, name: &str, role: Role, password: &str) -> Result<User, UserError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UserError::NoName);
    }
    let hash = checked_hash(password)?;
    Ok(users::add(&app.db, name, role, &hash, app.clock.now()).await?)
}

/// Every user, by name.
pub async fn list(app: &App) -> Result<Vec<User>, StoreError> {
    users::list(&app.db).await
}

/// Whether anyone can use the dashboard yet (otherwise the setup link is the way in).
pub async fn any(app: &App) -> Result<bool, StoreError> {
    Ok(users::count(&app.db).await? > 0)
}

/// The user can no longer sign in, and their sessions end.
pub async fn disable(app: &App, name: &str) -> Result<(), StoreError> {
    users::set_disabled(&app.db, name, Some(app.clock.now())).await
}

/// The user can sign in again.
pub async fn enable(app: &App, name: &str) -> Result<(), StoreError> {
    users::set_disabled(&app.db, name, None).await
}

/// A new password; the user's sessions end.
pub async fn reset_password(app: &App, name: &str, password: &str) -> Result<(), UserError> {
    let hash = checked_hash(password)?;
    Ok(users::set_password(&app.db, name, &hash).await?)
}

/// What a sign-in came to.
#[derive(Debug)]
pub enum SignIn {
    /// The name and password match an enabled user.
    Welcome(User),
    /// They match a disabled user.
    Disabled,
    /// No such name, or the wrong password (the two are not told apart).
    Wrong,
}

/// Checks a name and password, with the same argon2 work for an unknown name as a known one.
pub async fn sign_in(app: &App, name: &str, password: &str) -> Result<SignIn, StoreError> {
    let user = users::by_name(&app.db, name).await?;
    let verified = match &user {
        Some(u) => verify_password(password, &u.password_hash),
        None => {
            // The same argon2 work as for a real user, so timing does not tell who exists.
            verify_password(password, dummy_hash());
            false
        }
    };
    Ok(match user {
        Some(u) if verified && u.disabled_at.is_some() => SignIn::Disabled,
        Some(u) if verified => SignIn::Welcome(u),
        _ => SignIn::Wrong,
    })
}

/// Sessions run on the wall clock, not the round's clock: serving a simulated day (`--today`)
/// must neither sign everyone out nor keep a session past its real length.
fn session_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Starts a session for the user: the token for the browser's cookie (the database keeps its
/// hash) and how many seconds it lasts.
pub async fn start_session(app: &App, user_id: i32) -> Result<(String, i64), StoreError> {
    let token = random_token();
    let now = session_now();
    let expires = now + chrono::Duration::hours(SESSION_HOURS);
    users::create_session(
        &app.db,
        &token_hash(&token),
        user_id,
        &random_token(),
        now,
        expires,
    )
    .await?;
    users::signed_in(&app.db, user_id, now).await?;
    Ok((token, SESSION_HOURS * 3600))
}

/// The user of a session cookie and the session's CSRF token, if the session is current.
pub async fn session(app: &App, token: &str) -> Result<Option<(User, String)>, StoreError> {
    users::session(&app.db, &token_hash(token), session_now()).await
}

/// Ends a session (signing out).
pub async fn end_session(app: &App, token: &str) -> Result<(), StoreError> {
    users::end_session(&app.db, &token_hash(token)).await
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

/// `foi user setup-link`: the link for the first editor, while there are no users.
pub async fn setup_link(app: &App) -> Result<String, UserError> {
    if any(app).await? {
        return Err(UserError::AlreadySetUp);
    }
    let (t, _) = first_run_token(app).await?;
    Ok(format!("http://{}/setup?token={t}", app.config.web.bind))
}

/// Checks and consumes the setup token.
fn take_setup_token(app: &App, given: &str) -> bool {
    let p = setup_path(app);
    match std::fs::read_to_string(&p) {
        Ok(t) if !t.trim().is_empty() && constant_time_eq(t.trim(), given.trim()) => {
            let _ = std::fs::remove_file(&p);
            true
        }
        _ => false,
    }
}

/// The setup page: with a valid one-time token and no users yet, the first editor.
pub async fn set_up_first_editor(
    app: &App,
    token: &str,
    name: &str,
    password: &str,
) -> Result<User, UserError> {
    if any(app).await? {
        return Err(UserError::BadSetupLink);
    }
    if name.trim().is_empty() {
        return Err(UserError::NoName);
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(UserError::ShortPassword);
    }
    if !take_setup_token(app, token) {
        return Err(UserError::BadSetupLink);
    }
    add(app, name, Role::Editor, password).await
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
