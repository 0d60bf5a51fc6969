//! The common-prosperity ledger: farmer contracts (兜底收购), the workshop's
//! premium split rule, sale splits and ledger entries. Splits and entries are
//! append-only: triggers refuse UPDATE and DELETE on both databases.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const APPEND_ONLY: [&str; 2] = ["sale_splits", "ledger_entries"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [contracts(), split_rules(), sale_splits(), ledger_entries()] {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        let db = manager.get_connection();
        for sql in append_only_triggers(manager.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "ledger_entries",
            "sale_splits",
            "ledger_split_rules",
            "farmer_contracts",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS ledger_append_only()")
                .await?;
        }
        Ok(())
    }
}

fn append_only_triggers(backend: DatabaseBackend) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => {
            let mut sql = vec![
                "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME; END; \
                 $$ LANGUAGE plpgsql"
                    .to_owned(),
            ];
            sql.extend(APPEND_ONLY.iter().map(|t| {
                format!(
                    "CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} \
                     FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
                )
            }));
            sql
        }
        _ => APPEND_ONLY
            .iter()
            .flat_map(|t| {
                ["UPDATE", "DELETE"].map(|op| {
                    format!(
                        "CREATE TRIGGER {t}_no_{} BEFORE {op} ON {t} \
                         BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END",
                        op.to_lowercase()
                    )
                })
            })
            .collect(),
    }
}

fn contracts() -> TableCreateStatement {
    Table::create()
        .table(FarmerContracts::Table)
        .if_not_exists()
        .col(big_pk_auto(FarmerContracts::Id))
        .col(big_integer(FarmerContracts::WorkshopId))
        .col(big_integer(FarmerContracts::FarmerId))
        .col(big_integer(FarmerContracts::ProductId))
        .col(string_len(FarmerContracts::Season, 32))
        .col(date(FarmerContracts::StartsOn))
        .col(date(FarmerContracts::EndsOn))
        // JSON array of grades covered; empty covers every grade.
        .col(text(FarmerContracts::Grades))
        .col(big_integer(FarmerContracts::FloorPriceFen))
        .col(big_integer(FarmerContracts::CommittedUnits))
        .col(text(FarmerContracts::GradeRules))
        .col(big_integer(FarmerContracts::CreatedBy))
        .col(timestamp_with_time_zone(FarmerContracts::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(FarmerContracts::Table, FarmerContracts::FarmerId)
                .to(Alias::new("farmers"), Alias::new("id")),
        )
        .to_owned()
}

fn split_rules() -> TableCreateStatement {
    Table::create()
        .table(LedgerSplitRules::Table)
        .if_not_exists()
        .col(big_integer(LedgerSplitRules::WorkshopId).primary_key())
        .col(integer(LedgerSplitRules::FarmerBp))
        .col(integer(LedgerSplitRules::CollectiveBp))
        .col(integer(LedgerSplitRules::WorkshopBp))
        .col(big_integer(LedgerSplitRules::UpdatedBy))
        .col(timestamp_with_time_zone(LedgerSplitRules::UpdatedAt))
        .to_owned()
}

fn sale_splits() -> TableCreateStatement {
    Table::create()
        .table(SaleSplits::Table)
        .if_not_exists()
        .col(big_pk_auto(SaleSplits::Id))
        .col(big_integer(SaleSplits::WorkshopId))
        // sale | reversal
        .col(string_len(SaleSplits::Kind, 16))
        .col(big_integer(SaleSplits::OrderId))
        .col(big_integer(SaleSplits::OrderLineId))
        .col(big_integer(SaleSplits::SkuId))
        .col(big_integer(SaleSplits::LotId))
        .col(big_integer(SaleSplits::FarmerId))
        .col(big_integer_null(SaleSplits::ReversesId))
        .col(big_integer_null(SaleSplits::RefundId))
        // Signed: negative on reversals.
        .col(big_integer(SaleSplits::Units))
        .col(big_integer(SaleSplits::UnitPriceFen))
        .col(big_integer(SaleSplits::MarketPriceFen))
        .col(big_integer(SaleSplits::UnitCostFen))
        .col(big_integer(SaleSplits::RevenueFen))
        .col(big_integer(SaleSplits::CostFen))
        .col(big_integer(SaleSplits::PremiumFen))
        .col(big_integer(SaleSplits::FarmerFen))
        .col(big_integer(SaleSplits::CollectiveFen))
        .col(big_integer(SaleSplits::WorkshopFen))
        .col(integer(SaleSplits::FarmerBp))
        .col(integer(SaleSplits::CollectiveBp))
        .col(integer(SaleSplits::WorkshopBp))
        .col(string_len_uniq(SaleSplits::SourceKey, 96))
        .col(timestamp_with_time_zone(SaleSplits::CreatedAt))
        .to_owned()
}

fn ledger_entries() -> TableCreateStatement {
    Table::create()
        .table(LedgerEntries::Table)
        .if_not_exists()
        .col(big_pk_auto(LedgerEntries::Id))
        .col(big_integer(LedgerEntries::WorkshopId))
        // farmer | collective | workshop
        .col(string_len(LedgerEntries::Account, 16))
        .col(big_integer_null(LedgerEntries::FarmerId))
        // purchase | premium | reversal | payout
        .col(string_len(LedgerEntries::Kind, 16))
        // Signed: what the account is owed more (+) or less (-).
        .col(big_integer(LedgerEntries::AmountFen))
        .col(big_integer(LedgerEntries::Units))
        .col(big_integer_null(LedgerEntries::LotId))
        .col(big_integer_null(LedgerEntries::ContractId))
        .col(big_integer_null(LedgerEntries::SplitId))
        .col(big_integer_null(LedgerEntries::OrderId))
        .col(string_len(LedgerEntries::Reference, 128))
        .col(string_len_uniq(LedgerEntries::SourceKey, 96))
        .col(big_integer_null(LedgerEntries::CreatedBy))
        .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
        .to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("ix_contracts_farmer")
            .table(FarmerContracts::Table)
            .col(FarmerContracts::WorkshopId)
            .col(FarmerContracts::FarmerId)
            .to_owned(),
        Index::create()
            .name("ix_sale_splits_line")
            .table(SaleSplits::Table)
            .col(SaleSplits::OrderLineId)
            .to_owned(),
        Index::create()
            .name("ix_sale_splits_workshop_time")
            .table(SaleSplits::Table)
            .col(SaleSplits::WorkshopId)
            .col(SaleSplits::CreatedAt)
            .to_owned(),
        Index::create()
            .name("ix_ledger_entries_farmer")
            .table(LedgerEntries::Table)
            .col(LedgerEntries::WorkshopId)
            .col(LedgerEntries::FarmerId)
            .col(LedgerEntries::CreatedAt)
            .to_owned(),
        Index::create()
            .name("ix_ledger_entries_workshop_time")
            .table(LedgerEntries::Table)
            .col(LedgerEntries::WorkshopId)
            .col(LedgerEntries::CreatedAt)
            .to_owned(),
    ]
}

#[derive(DeriveIden)]
enum FarmerContracts {
    Table,
    Id,
    WorkshopId,
    FarmerId,
    ProductId,
    Season,
    StartsOn,
    EndsOn,
    Grades,
    FloorPriceFen,
    CommittedUnits,
    GradeRules,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerSplitRules {
    Table,
    WorkshopId,
    FarmerBp,
    CollectiveBp,
    WorkshopBp,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SaleSplits {
    Table,
    Id,
    WorkshopId,
    Kind,
    OrderId,
    OrderLineId,
    SkuId,
    LotId,
    FarmerId,
    ReversesId,
    RefundId,
    Units,
    UnitPriceFen,
    MarketPriceFen,
    UnitCostFen,
    RevenueFen,
    CostFen,
    PremiumFen,
    FarmerFen,
    CollectiveFen,
    WorkshopFen,
    FarmerBp,
    CollectiveBp,
    WorkshopBp,
    SourceKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    WorkshopId,
    Account,
    FarmerId,
    Kind,
    AmountFen,
    Units,
    LotId,
    ContractId,
    SplitId,
    OrderId,
    Reference,
    SourceKey,
    CreatedBy,
    CreatedAt,
}
