//! `codings` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "codings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub request_id: i32,
    pub variable: String,
    pub value: String,
    pub pass: i32,
    pub coder: String,
    pub coded_at: DateTimeUtc,
    /// `accepted` (the suggestion as it was), `changed` (another value where one was suggested),
    /// None where nothing was suggested.
    pub suggestion: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
