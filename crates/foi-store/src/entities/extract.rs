//! `extracts` table: the text read out of an attachment, by content hash.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "extracts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    pub extractor: String,
    pub version: i32,
    pub status: String,
    pub reason: Option<String>,
    pub text: String,
    pub flags: String,
    pub extracted_at: DateTimeUtc,
    /// Times reading was begun while the row said `reading` (see the migration).
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
