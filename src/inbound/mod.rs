//! Inbound mail: parsing, the ingest use case, and the sources (IMAP, Maildir, .eml/.mbox).
pub mod imap;
pub mod ingest;
pub mod parse;
pub mod sources;
