//! Inbound mail adapters: parsing (MIME to [`crate::domain::mail::ParsedMail`]) and the
//! sources (IMAP, Maildir, .eml/.mbox) that hand raw bytes to the ingest use case in
//! `services::ingest`.
pub mod imap;
pub mod mime;
pub mod sources;

/// A source could not be read (a file, a directory, the IMAP server); the text says which
/// and why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);
