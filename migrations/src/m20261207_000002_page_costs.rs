//! Pages whose cost does not grow with the round: indexes for the questions the dashboard
//! asks on every view. A register's abolished bodies (the board's and the rounds page's
//! history check) are read through a partial index holding only them; triage's suggestion
//! finds requests by their address's domain through an index on that expression.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_authorities_abolished ON authorities (register, code) \
             WHERE (successors <> '' OR lower(status) = 'abolished')",
        )
        .await?;
        // Triage's suggestion looks requests up by the domain of their FOI address.
        let domain = if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            "lower(split_part(to_address, '@', 2))"
        } else {
            "lower(substr(to_address, instr(to_address, '@') + 1))"
        };
        db.execute_unprepared(&format!(
            "CREATE INDEX ix_requests_to_domain ON requests (({domain}))"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_authorities_abolished")
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_requests_to_domain")
            .await?;
        Ok(())
    }
}
