//! The people page: when each user last signed in, and a one-time link (an invitation or a
//! new-password link, its SHA-256 only, with when it stops working) with which a user sets
//! their own password.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    LastSignInAt,
    LinkHash,
    LinkExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds one at a time.
        for col in [
            ColumnDef::new(Users::LastSignInAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Users::LinkHash).string().null().to_owned(),
            ColumnDef::new(Users::LinkExpiresAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_users_link_hash")
                    .table(Users::Table)
                    .col(Users::LinkHash)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ux_users_link_hash").to_owned())
            .await?;
        for c in [Users::LinkExpiresAt, Users::LinkHash, Users::LastSignInAt] {
            manager
                .alter_table(Table::alter().table(Users::Table).drop_column(c).to_owned())
                .await?;
        }
        Ok(())
    }
}
