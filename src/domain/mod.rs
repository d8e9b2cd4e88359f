//! The domain: the rules of FOI campaigning as plain Rust. No database, mail or web types in
//! these signatures, no clock reads and no I/O, so every rule is unit-tested on its own.
pub mod aggregate;
pub mod board;
pub mod calendar;
pub mod chasers;
pub mod classify;
pub mod codebook;
pub mod coding;
pub mod compare;
pub mod dates;
pub mod holidays;
pub mod ids;
pub mod mail;
pub mod mailbox_errors;
pub mod matching;
pub mod message;
pub mod overdue;
pub mod proportion;
pub mod reference;
pub mod regime;
pub mod register;
pub mod request;
pub mod round;
pub mod search;
pub mod suggest;
pub mod text;
pub mod timeliness;
