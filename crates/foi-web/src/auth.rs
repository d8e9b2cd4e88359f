//! The dashboard's side of signing in: the session cookie's name. Passwords, sessions, tokens
//! and the setup link are the users service's (`services::users`); the login rate limit is
//! [`super::throttle`].

pub(crate) const COOKIE: &str = "foi_session";
