//! Viewer figures split by kind: signed-in accounts and anonymous devices
//! (at most a few per address), so a workshop can tell reach from noise.
//! `unique_viewers` stays their sum.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            LiveSessions::SignedInViewers,
            LiveSessions::AnonymousViewers,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LiveSessions::Table)
                        .add_column(big_integer(column).default(0).take())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            LiveSessions::SignedInViewers,
            LiveSessions::AnonymousViewers,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(LiveSessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum LiveSessions {
    Table,
    SignedInViewers,
    AnonymousViewers,
}
