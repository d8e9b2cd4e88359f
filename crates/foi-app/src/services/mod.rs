//! Application services: the use cases the CLI, the scheduler and the web all call. One code
//! path per action, whoever triggers it; each leaves an event in the audit log naming who.
pub mod board;
pub mod bundle;
pub mod calendar;
pub mod chasers;
pub mod coding;
pub mod composer;
pub mod correspondence;
pub mod digest;
pub mod extract;
pub mod findings;
pub mod health;
pub mod inbox;
pub mod ingest;
pub mod jobs;
pub mod letters;
pub mod outbox;
pub mod publish;
pub mod registers;
pub mod request_view;
pub mod requests;
pub mod rounds;
pub mod search;
pub mod sources;
pub mod spreadsheets;
pub mod suggest;
pub mod triage;
pub mod users;

/// The store's error, as every service that reads or writes returns it.
pub use crate::store::StoreError;
