//! Database migrations for `foi`, run automatically at start-up and by `foi db migrate`.
//!
//! One migration holds the first full schema. Later changes go in new files; a migration that
//! has shipped is never edited.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261125_000001_events_without_request;
mod m20261125_000002_mail_identity;
mod m20261125_000003_regimes;
mod m20261125_000004_board_columns;
mod m20261125_000005_request_tallies;
mod m20261125_000006_user_disabled;
mod m20261125_000007_extracts;
mod m20261203_000001_search;
mod m20261203_000002_sources;
mod m20261205_000001_extract_attempts;
mod m20261205_000002_request_assignee;
mod m20261205_000003_message_copies;
mod m20261205_000004_searchable_notes;
mod m20261207_000001_people;
mod m20261207_000002_page_costs;
mod m20261207_000003_attachments_by_message;
mod m20261207_000004_job_claims;
mod m20261208_000001_messages_by_request_direction;
mod m20261208_000002_register_tallies;
mod m20261208_000003_send_pacing;

/// The statement that fills `request_tallies` from `requests` (`foi db recompute` reruns it).
pub use m20261125_000005_request_tallies::REBUILD as REBUILD_TALLIES;
/// The statement that fills `register_tallies` from `authorities` (`foi db recompute` reruns it).
pub use m20261208_000002_register_tallies::REBUILD as REBUILD_REGISTER_TALLIES;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261125_000001_events_without_request::Migration),
            Box::new(m20261125_000002_mail_identity::Migration),
            Box::new(m20261125_000003_regimes::Migration),
            Box::new(m20261125_000004_board_columns::Migration),
            Box::new(m20261125_000005_request_tallies::Migration),
            Box::new(m20261125_000006_user_disabled::Migration),
            Box::new(m20261125_000007_extracts::Migration),
            Box::new(m20261203_000001_search::Migration),
            Box::new(m20261203_000002_sources::Migration),
            Box::new(m20261205_000001_extract_attempts::Migration),
            Box::new(m20261205_000002_request_assignee::Migration),
            Box::new(m20261205_000003_message_copies::Migration),
            Box::new(m20261205_000004_searchable_notes::Migration),
            Box::new(m20261207_000001_people::Migration),
            Box::new(m20261207_000002_page_costs::Migration),
            Box::new(m20261207_000003_attachments_by_message::Migration),
            Box::new(m20261207_000004_job_claims::Migration),
            Box::new(m20261208_000001_messages_by_request_direction::Migration),
            Box::new(m20261208_000002_register_tallies::Migration),
            Box::new(m20261208_000003_send_pacing::Migration),
        ]
    }
}
