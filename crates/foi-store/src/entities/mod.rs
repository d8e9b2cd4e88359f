//! SeaORM entities, one per table (see `migrations/` for the schema and its comments).
//! These types stay inside `store`; the rest of the program sees domain types.
pub mod attachment;
pub mod authority;
pub mod authority_address;
pub mod coding;
pub mod event;
pub mod extract;
pub mod job_run;
pub mod mailbox_state;
pub mod message;
pub mod register;
pub mod request;
pub mod round;
pub mod session;
pub mod source_fetch;
pub mod user;
