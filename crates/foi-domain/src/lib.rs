//! The domain: the rules of FOI campaigning as plain Rust. No database, mail or web types in
//! these signatures, no clock reads in the rules and no I/O, so every rule is unit-tested on
//! its own. `tests/layers.rs` keeps sea-orm, sqlx, lettre, axum, tokio, reqwest and mail-parser
//! out of this crate's dependencies.
//!
//! * Time and law: [`calendar`], [`holidays`] (gov.uk data), [`regime`] (FOIA, FOISA, EIR,
//!   EISR), [`dates`], [`clock`] (the injected clock's trait and the test clock; the clocks
//!   that read real time are the application's).
//! * Bodies and rounds: [`register`], [`round`] (round files, checked whole), [`reference`],
//!   [`ids`] (`EmailAddress`, `Reference`, `MessageId`).
//! * A request's life: [`request`] (states and typed changes), [`overdue`] (one definition),
//!   [`need`] (what to do next), [`chasers`] (the ladder), [`event`] (audit-log kinds),
//!   [`response`] (what a statutory response is, one definition), [`timeliness`].
//! * Mail: [`message`] (directions, states, kinds), [`mail`] (a parsed message), [`matching`],
//!   [`correspondence`] (letters the team writes), [`enclosure`] (files attached to them),
//!   [`classify`], [`mailbox_errors`].
//! * Reading and coding: [`extracted`] (what reading a file gave), [`search`], [`suggest`],
//!   [`codebook`], [`coding`], [`aggregate`], [`compare`], [`proportion`], [`report`] (the
//!   findings report's content), [`redact`], [`board`] (the board's filters and orders),
//!   [`fetch`] (desk-research fetch rules), [`text`].
pub mod aggregate;
pub mod board;
pub mod calendar;
pub mod chasers;
pub mod classify;
pub mod clock;
pub mod codebook;
pub mod coding;
pub mod compare;
pub mod composer;
pub mod correspondence;
pub mod dates;
pub mod enclosure;
pub mod event;
pub mod extracted;
pub mod fetch;
pub mod holidays;
pub mod html;
pub mod ids;
pub mod mail;
pub mod mailbox_errors;
pub mod matching;
pub mod message;
pub mod need;
pub mod overdue;
pub mod proportion;
pub mod redact;
pub mod reference;
pub mod regime;
pub mod register;
pub mod report;
pub mod request;
pub mod response;
pub mod round;
pub mod search;
pub mod suggest;
pub mod text;
pub mod timeliness;
