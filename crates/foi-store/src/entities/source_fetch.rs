//! `source_fetches` table: each attempt to fetch (or add) a desk-research source document.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "source_fetches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub request_id: i32,
    pub url: String,
    pub final_url: Option<String>,
    /// JSON array of the URLs redirected through, in order.
    pub redirects: String,
    pub http_status: Option<i32>,
    /// `kept`, `unchanged`, `failed` or `refused`.
    pub outcome: String,
    pub reason: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub content_type: Option<String>,
    pub filename: Option<String>,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub fetched_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
