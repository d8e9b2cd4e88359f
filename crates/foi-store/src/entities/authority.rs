//! `authorities` table.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub register: String,
    pub code: String,
    pub name: String,
    pub region: Option<String>,
    pub region_code: Option<String>,
    pub gss_code: Option<String>,
    pub status: Option<String>,
    pub valid_from: Option<String>,
    pub successors: String,
    pub predecessors: String,
    pub foi_email: Option<String>,
    pub email_verified: bool,
    pub email_source: Option<String>,
    pub regime: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
