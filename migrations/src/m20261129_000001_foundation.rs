//! Accounts, workshops (tenants), per-workshop role memberships and bearer tokens.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(accounts()).await?;
        manager.create_table(workshops()).await?;
        manager.create_table(memberships()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_memberships_workshop_account_role")
                    .table(Memberships::Table)
                    .col(Memberships::WorkshopId)
                    .col(Memberships::AccountId)
                    .col(Memberships::Role)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_memberships_account",
                Memberships::Table,
                Memberships::AccountId,
            ))
            .await?;
        manager.create_table(auth_tokens()).await?;
        manager
            .create_index(index(
                "ix_auth_tokens_account",
                AuthTokens::Table,
                AuthTokens::AccountId,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuthTokens::Table.into_iden(),
            Memberships::Table.into_iden(),
            Workshops::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn index<T: IntoIden, C: IntoIden>(name: &str, table: T, col: C) -> IndexCreateStatement {
    Index::create().name(name).table(table).col(col).to_owned()
}

fn accounts() -> TableCreateStatement {
    Table::create()
        .table(Accounts::Table)
        .if_not_exists()
        .col(big_pk_auto(Accounts::Id))
        .col(string_len_uniq(Accounts::Phone, 20))
        .col(string_len(Accounts::Name, 64))
        .col(text(Accounts::PasswordHash))
        .col(boolean(Accounts::IsPlatformAdmin).default(false))
        .col(boolean(Accounts::IsCustomer).default(false))
        .col(timestamp_with_time_zone(Accounts::CreatedAt))
        .to_owned()
}

fn workshops() -> TableCreateStatement {
    Table::create()
        .table(Workshops::Table)
        .if_not_exists()
        .col(big_pk_auto(Workshops::Id))
        .col(string_len_uniq(Workshops::Name, 64))
        .col(string_len(Workshops::Region, 64))
        .col(text(Workshops::Description))
        .col(string_len(Workshops::Contact, 64))
        .col(timestamp_with_time_zone(Workshops::CreatedAt))
        .to_owned()
}

fn memberships() -> TableCreateStatement {
    Table::create()
        .table(Memberships::Table)
        .if_not_exists()
        .col(big_pk_auto(Memberships::Id))
        .col(big_integer(Memberships::WorkshopId))
        .col(big_integer(Memberships::AccountId))
        .col(string_len(Memberships::Role, 16))
        .col(timestamp_with_time_zone(Memberships::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(Memberships::Table, Memberships::WorkshopId)
                .to(Workshops::Table, Workshops::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(Memberships::Table, Memberships::AccountId)
                .to(Accounts::Table, Accounts::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn auth_tokens() -> TableCreateStatement {
    Table::create()
        .table(AuthTokens::Table)
        .if_not_exists()
        .col(big_pk_auto(AuthTokens::Id))
        .col(big_integer(AuthTokens::AccountId))
        .col(string_len_uniq(AuthTokens::TokenHash, 64))
        .col(timestamp_with_time_zone(AuthTokens::CreatedAt))
        .col(timestamp_with_time_zone(AuthTokens::ExpiresAt))
        .foreign_key(
            ForeignKey::create()
                .from(AuthTokens::Table, AuthTokens::AccountId)
                .to(Accounts::Table, Accounts::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Phone,
    Name,
    PasswordHash,
    IsPlatformAdmin,
    IsCustomer,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Workshops {
    Table,
    Id,
    Name,
    Region,
    Description,
    Contact,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    WorkshopId,
    AccountId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    Id,
    AccountId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
}
