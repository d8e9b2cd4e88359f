//! The team's private notes are searchable by the team: `search_docs.event_id` names the note
//! (an event of kind `note_added`) an index entry is the text of. Search is for signed-in
//! users only; notes still never reach a letter, a publication or a bundle.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE search_docs ADD COLUMN event_id integer NULL")
            .await?;
        db.execute_unprepared("CREATE INDEX ix_search_docs_event ON search_docs (event_id)")
            .await?;
        // The index's catch-up looks for notes not yet indexed by kind.
        db.execute_unprepared("CREATE INDEX ix_events_kind ON events (kind)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM search_docs WHERE event_id IS NOT NULL")
            .await?;
        db.execute_unprepared("DROP INDEX ix_events_kind").await?;
        db.execute_unprepared("DROP INDEX ix_search_docs_event")
            .await?;
        db.execute_unprepared("ALTER TABLE search_docs DROP COLUMN event_id")
            .await?;
        Ok(())
    }
}
