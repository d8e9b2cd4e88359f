//! `requests` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub round_id: i32,
    pub authority_id: i32,
    #[sea_orm(unique)]
    pub reference: String,
    pub state: String,
    pub to_address: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub received_on: Option<Date>,
    pub due_on: Option<Date>,
    pub review_due_on: Option<Date>,
    #[sea_orm(column_type = "Text", nullable)]
    pub source_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub source_title: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub regime: String,
    /// The team member the request is assigned to (a user's name), if any.
    pub assigned_to: Option<String>,
    /// Kept for the board (see `store::board_values`): inbound replies, the last one's arrival,
    /// replies matched but not yet classified, variables coded (first pass).
    pub inbound_count: i32,
    pub last_inbound_at: Option<DateTimeUtc>,
    pub waiting_count: i32,
    pub coded_count: i32,
    /// The due date the board shows, and (while a clock runs) the first day on which the
    /// request is overdue.
    pub deadline_on: Option<Date>,
    pub overdue_from: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::authority::Entity",
        from = "Column::AuthorityId",
        to = "super::authority::Column::Id"
    )]
    Authority,
}

impl Related<super::authority::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Authority.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
