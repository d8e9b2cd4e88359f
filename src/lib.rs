//! `foi` runs Freedom of Information request campaigns end to end.
//!
//! * [`domain`]: the rules (registers, the FOIA calendar, …), pure and unit-tested.
//! * [`store`]: the database adapter (SeaORM over SQLite or PostgreSQL).
//! * [`app`]: builds the application from configuration; [`cli`]: the command line.
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod inbound;
pub mod outbound;
pub mod output;
pub mod rawstore;
pub mod report;
pub mod schedule;
pub mod serve;
pub mod services;
pub mod store;
pub mod web;
