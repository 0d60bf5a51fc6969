//! Catalog: products, SKUs with stock figures, farmer households, produce lots
//! and the append-only stock movements that SKU on-hand figures sum from.
//! Workshops gain their pricing and shipping policy.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in workshop_policy_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Workshops::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager.create_table(products()).await?;
        manager.create_table(skus()).await?;
        manager.create_table(farmers()).await?;
        manager.create_table(lots()).await?;
        manager.create_table(stock_movements()).await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StockMovements::Table.into_iden(),
            Lots::Table.into_iden(),
            Farmers::Table.into_iden(),
            Skus::Table.into_iden(),
            Products::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// SQLite adds one column per ALTER TABLE statement.
fn workshop_policy_columns() -> Vec<ColumnDef> {
    vec![
        // Common-prosperity price band, in basis points of the market reference.
        integer(Workshops::CpBandMinBp).default(10_000).take(),
        integer(Workshops::CpBandMaxBp).default(13_000).take(),
        boolean(Workshops::ShowExactStock).default(false).take(),
        integer(Workshops::LowStockThreshold).default(10).take(),
        big_integer(Workshops::ShippingFlatFen)
            .default(1_000)
            .take(),
        big_integer(Workshops::FreeShippingThresholdFen)
            .default(9_900)
            .take(),
        big_integer(Workshops::ColdChainSurchargeFen)
            .default(800)
            .take(),
    ]
}

fn products() -> TableCreateStatement {
    Table::create()
        .table(Products::Table)
        .if_not_exists()
        .col(big_pk_auto(Products::Id))
        .col(big_integer(Products::WorkshopId))
        .col(string_len(Products::Title, 120))
        .col(text(Products::Description))
        .col(string_len(Products::Category, 16))
        .col(text(Products::Images))
        .col(text(Products::Tags))
        .col(string_len(Products::Status, 16))
        .col(string_len(Products::Origin, 120))
        .col(string_len(Products::Storage, 16))
        .col(integer_null(Products::ShelfLifeDays))
        .col(small_integer_null(Products::SaleStartMonth))
        .col(small_integer_null(Products::SaleEndMonth))
        .col(timestamp_with_time_zone(Products::CreatedAt))
        .col(timestamp_with_time_zone(Products::UpdatedAt))
        .foreign_key(&mut fk(
            Products::Table,
            Products::WorkshopId,
            Workshops::Table,
            Workshops::Id,
        ))
        .to_owned()
}

fn skus() -> TableCreateStatement {
    Table::create()
        .table(Skus::Table)
        .if_not_exists()
        .col(big_pk_auto(Skus::Id))
        .col(big_integer(Skus::WorkshopId))
        .col(big_integer(Skus::ProductId))
        .col(string_len(Skus::Code, 40))
        .col(string_len(Skus::Name, 120))
        .col(string_len(Skus::Grade, 32))
        .col(string_len(Skus::Unit, 16))
        .col(integer(Skus::NetWeightG))
        .col(big_integer(Skus::PriceFen))
        .col(big_integer(Skus::MarketPriceFen))
        .col(boolean(Skus::IsCommonProsperity).default(false))
        .col(integer_null(Skus::PerBuyerLimit))
        .col(string_len(Skus::Status, 16))
        // Stock: on_hand is the sum of stock_movements; reserved is held by unpaid orders.
        .col(big_integer(Skus::OnHand).default(0))
        .col(big_integer(Skus::Reserved).default(0))
        .col(timestamp_with_time_zone(Skus::CreatedAt))
        .col(timestamp_with_time_zone(Skus::UpdatedAt))
        .foreign_key(&mut fk(
            Skus::Table,
            Skus::ProductId,
            Products::Table,
            Products::Id,
        ))
        .check(Expr::col(Skus::Reserved).gte(0))
        .check(Expr::col(Skus::OnHand).gte(Expr::col(Skus::Reserved)))
        .to_owned()
}

fn farmers() -> TableCreateStatement {
    Table::create()
        .table(Farmers::Table)
        .if_not_exists()
        .col(big_pk_auto(Farmers::Id))
        .col(big_integer(Farmers::WorkshopId))
        .col(string_len(Farmers::Name, 64))
        .col(string_len(Farmers::Village, 64))
        .col(string_len(Farmers::Phone, 20))
        .col(boolean(Farmers::IsLowIncome).default(false))
        .col(string_len(Farmers::SettlementRef, 128))
        .col(timestamp_with_time_zone(Farmers::CreatedAt))
        .foreign_key(&mut fk(
            Farmers::Table,
            Farmers::WorkshopId,
            Workshops::Table,
            Workshops::Id,
        ))
        .to_owned()
}

fn lots() -> TableCreateStatement {
    Table::create()
        .table(Lots::Table)
        .if_not_exists()
        .col(big_pk_auto(Lots::Id))
        .col(big_integer(Lots::WorkshopId))
        .col(big_integer(Lots::SkuId))
        .col(big_integer(Lots::FarmerId))
        .col(string_len(Lots::Code, 40))
        .col(big_integer(Lots::Quantity))
        .col(big_integer(Lots::Remaining))
        .col(string_len(Lots::Grade, 32))
        .col(date(Lots::HarvestDate))
        .col(date(Lots::ExpiryDate))
        .col(big_integer(Lots::FloorPriceFen))
        .col(big_integer(Lots::ReceivedBy))
        .col(timestamp_with_time_zone(Lots::ReceivedAt))
        .col(boolean(Lots::WrittenOff).default(false))
        .foreign_key(&mut fk(Lots::Table, Lots::SkuId, Skus::Table, Skus::Id))
        .foreign_key(&mut fk(
            Lots::Table,
            Lots::FarmerId,
            Farmers::Table,
            Farmers::Id,
        ))
        .check(Expr::col(Lots::Remaining).gte(0))
        .to_owned()
}

fn stock_movements() -> TableCreateStatement {
    Table::create()
        .table(StockMovements::Table)
        .if_not_exists()
        .col(big_pk_auto(StockMovements::Id))
        .col(big_integer(StockMovements::WorkshopId))
        .col(big_integer(StockMovements::SkuId))
        .col(big_integer_null(StockMovements::LotId))
        // receipt | adjustment | spoilage | sale | return
        .col(string_len(StockMovements::Kind, 16))
        .col(big_integer(StockMovements::Quantity))
        .col(string_len(StockMovements::Reason, 200))
        .col(big_integer_null(StockMovements::CreatedBy))
        .col(timestamp_with_time_zone(StockMovements::CreatedAt))
        .foreign_key(&mut fk(
            StockMovements::Table,
            StockMovements::SkuId,
            Skus::Table,
            Skus::Id,
        ))
        .to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("ux_skus_workshop_code")
            .table(Skus::Table)
            .col(Skus::WorkshopId)
            .col(Skus::Code)
            .unique()
            .to_owned(),
        Index::create()
            .name("ix_skus_product")
            .table(Skus::Table)
            .col(Skus::ProductId)
            .to_owned(),
        Index::create()
            .name("ix_products_workshop_status")
            .table(Products::Table)
            .col(Products::WorkshopId)
            .col(Products::Status)
            .to_owned(),
        Index::create()
            .name("ix_products_status")
            .table(Products::Table)
            .col(Products::Status)
            .to_owned(),
        Index::create()
            .name("ix_farmers_workshop")
            .table(Farmers::Table)
            .col(Farmers::WorkshopId)
            .to_owned(),
        Index::create()
            .name("ix_lots_sku_expiry")
            .table(Lots::Table)
            .col(Lots::SkuId)
            .col(Lots::ExpiryDate)
            .to_owned(),
        Index::create()
            .name("ux_lots_workshop_code")
            .table(Lots::Table)
            .col(Lots::WorkshopId)
            .col(Lots::Code)
            .unique()
            .to_owned(),
        Index::create()
            .name("ix_stock_movements_sku")
            .table(StockMovements::Table)
            .col(StockMovements::SkuId)
            .to_owned(),
    ]
}

fn fk<T: IntoIden, C: IntoIden, R: IntoIden, RC: IntoIden>(
    table: T,
    col: C,
    ref_table: R,
    ref_col: RC,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(ref_table, ref_col)
        .to_owned()
}

#[derive(DeriveIden)]
enum Workshops {
    Table,
    Id,
    CpBandMinBp,
    CpBandMaxBp,
    ShowExactStock,
    LowStockThreshold,
    ShippingFlatFen,
    FreeShippingThresholdFen,
    ColdChainSurchargeFen,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    WorkshopId,
    Title,
    Description,
    Category,
    Images,
    Tags,
    Status,
    Origin,
    Storage,
    ShelfLifeDays,
    SaleStartMonth,
    SaleEndMonth,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Skus {
    Table,
    Id,
    WorkshopId,
    ProductId,
    Code,
    Name,
    Grade,
    Unit,
    NetWeightG,
    PriceFen,
    MarketPriceFen,
    IsCommonProsperity,
    PerBuyerLimit,
    Status,
    OnHand,
    Reserved,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Farmers {
    Table,
    Id,
    WorkshopId,
    Name,
    Village,
    Phone,
    IsLowIncome,
    SettlementRef,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Lots {
    Table,
    Id,
    WorkshopId,
    SkuId,
    FarmerId,
    Code,
    Quantity,
    Remaining,
    Grade,
    HarvestDate,
    ExpiryDate,
    FloorPriceFen,
    ReceivedBy,
    ReceivedAt,
    WrittenOff,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    WorkshopId,
    SkuId,
    LotId,
    Kind,
    Quantity,
    Reason,
    CreatedBy,
    CreatedAt,
}
