//! `[send] per_minute` for the whole deployment, not per process: one row holds when the next
//! send may start, and every delivery lane of every process (and a foreground `foi send`)
//! takes its slot from it with one `UPDATE … RETURNING`. Two processes used to send at twice
//! the configured rate.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE send_pacing (id INTEGER PRIMARY KEY, next_slot_us BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO send_pacing (id, next_slot_us) VALUES (1, 0)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE send_pacing")
            .await?;
        Ok(())
    }
}
