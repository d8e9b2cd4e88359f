//! `messages` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub request_id: Option<i32>,
    pub direction: String,
    pub kind: String,
    pub chase_step: Option<i32>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub references_hdr: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub from_addr: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub from_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub to_addr: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub raw_sha256: Option<String>,
    pub raw_size: Option<i64>,
    pub match_rule: Option<String>,
    pub suggested_class: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub body_text: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub parse_error: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decoding_note: Option<String>,
    /// A delivery report's failed (or delayed) recipients, comma-separated.
    #[sea_orm(column_type = "Text", nullable)]
    pub failed_recipients: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub received_at: Option<DateTimeUtc>,
    /// 0 for a message itself; on a copy linking a received message to a further request
    /// it answers, that request's id.
    pub copy_for: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
