//! The fan-out's to-do list moves out of the outbox into a narrow table.
//!
//! Marking a fanned-out event used to rewrite its whole outbox row (payload
//! and all, with a new entry in every index): under a buying burst that update
//! was a fifth of PostgreSQL's time. Now every outbox insert also files the
//! event's id in `outbox_pending` (a trigger, so no writer can forget), and the
//! fan-out deletes the ids it took. The outbox itself is written once and never
//! updated. Its `resource_key` index goes too: nothing looks events up that way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let trigger: &[&str] = match manager.get_database_backend() {
            // One statement-level trigger per batch insert, not one call per row.
            DatabaseBackend::Postgres => &[
                "CREATE FUNCTION outbox_file_pending() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN INSERT INTO outbox_pending (outbox_id) SELECT id FROM new_events; \
                 RETURN NULL; END $$",
                "CREATE TRIGGER outbox_pending_on_insert AFTER INSERT ON outbox \
                 REFERENCING NEW TABLE AS new_events \
                 FOR EACH STATEMENT EXECUTE FUNCTION outbox_file_pending()",
            ],
            _ => &[
                "CREATE TRIGGER outbox_pending_on_insert AFTER INSERT ON outbox \
                 BEGIN INSERT INTO outbox_pending (outbox_id) VALUES (NEW.id); END",
            ],
        };
        let mut steps = vec![
            "CREATE TABLE outbox_pending (outbox_id BIGINT NOT NULL PRIMARY KEY)",
            "INSERT INTO outbox_pending (outbox_id) SELECT id FROM outbox WHERE fanned_out_at IS NULL",
        ];
        steps.extend_from_slice(trigger);
        steps.extend([
            "DROP INDEX ix_outbox_not_fanned_out",
            "DROP INDEX ix_outbox_resource",
            "ALTER TABLE outbox DROP COLUMN fanned_out_at",
        ]);
        for sql in steps {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let mut steps = vec![
            "ALTER TABLE outbox ADD COLUMN fanned_out_at TIMESTAMP WITH TIME ZONE NULL",
            "UPDATE outbox SET fanned_out_at = created_at \
             WHERE id NOT IN (SELECT outbox_id FROM outbox_pending)",
            "CREATE INDEX ix_outbox_not_fanned_out ON outbox (id) WHERE fanned_out_at IS NULL",
            "CREATE INDEX ix_outbox_resource ON outbox (resource_key, id)",
            "DROP TRIGGER outbox_pending_on_insert",
        ];
        if postgres {
            steps.pop();
            steps.push("DROP TRIGGER outbox_pending_on_insert ON outbox");
            steps.push("DROP FUNCTION outbox_file_pending()");
        }
        steps.push("DROP TABLE outbox_pending");
        for sql in steps {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
