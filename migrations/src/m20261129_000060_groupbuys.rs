//! Community group-buys (社区团购): pickup points run by leaders, campaigns with
//! SKU items and tier prices, the orders joined to them (pickup codes) and the
//! leaders' append-only commission rows.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_pickup_points(manager).await?;
        create_campaigns(manager).await?;
        create_items(manager).await?;
        create_campaign_points(manager).await?;
        create_orders(manager).await?;
        create_commissions(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LeaderCommissions::Table.into_iden(),
            GroupbuyOrders::Table.into_iden(),
            GroupbuyCampaignPoints::Table.into_iden(),
            GroupbuyItems::Table.into_iden(),
            GroupbuyCampaigns::Table.into_iden(),
            PickupPoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn index(manager: &SchemaManager<'_>, index: IndexCreateStatement) -> Result<(), DbErr> {
    manager.create_index(index).await
}

async fn create_pickup_points(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PickupPoints::Table)
                .if_not_exists()
                .col(big_pk_auto(PickupPoints::Id))
                .col(big_integer(PickupPoints::WorkshopId))
                .col(big_integer(PickupPoints::LeaderId))
                .col(string_len(PickupPoints::Name, 64))
                .col(string_len(PickupPoints::Address, 200))
                .col(double(PickupPoints::Latitude))
                .col(double(PickupPoints::Longitude))
                .col(string_len(PickupPoints::OpeningHours, 100))
                .col(integer(PickupPoints::CapacityPerDay))
                .col(timestamp_with_time_zone(PickupPoints::CreatedAt))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        Index::create()
            .name("ix_pickup_points_workshop")
            .table(PickupPoints::Table)
            .col(PickupPoints::WorkshopId)
            .to_owned(),
    )
    .await?;
    index(
        manager,
        Index::create()
            .name("ix_pickup_points_leader")
            .table(PickupPoints::Table)
            .col(PickupPoints::LeaderId)
            .to_owned(),
    )
    .await?;
    index(
        manager,
        Index::create()
            .name("ix_pickup_points_lat_lng")
            .table(PickupPoints::Table)
            .col(PickupPoints::Latitude)
            .col(PickupPoints::Longitude)
            .to_owned(),
    )
    .await
}

async fn create_campaigns(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(GroupbuyCampaigns::Table)
                .if_not_exists()
                .col(big_pk_auto(GroupbuyCampaigns::Id))
                .col(big_integer(GroupbuyCampaigns::WorkshopId))
                .col(string_len(GroupbuyCampaigns::Title, 100))
                .col(big_integer(GroupbuyCampaigns::MinTotalUnits))
                .col(integer(GroupbuyCampaigns::PerBuyerLimit))
                .col(timestamp_with_time_zone(GroupbuyCampaigns::OpensAt))
                .col(timestamp_with_time_zone(GroupbuyCampaigns::CutsOffAt))
                .col(date(GroupbuyCampaigns::PickupDate))
                .col(integer(GroupbuyCampaigns::CommissionBps))
                // draft | open | settling | succeeded | failed | completed | cancelled
                .col(string_len(GroupbuyCampaigns::Status, 16))
                // decided once during settlement: succeeded | failed | cancelled
                .col(string_len_null(GroupbuyCampaigns::Outcome, 16))
                .col(string_len_null(GroupbuyCampaigns::Settler, 64))
                .col(timestamp_with_time_zone_null(GroupbuyCampaigns::LeaseUntil))
                .col(big_integer(GroupbuyCampaigns::Joins).default(0))
                .col(big_integer(GroupbuyCampaigns::CreatedBy))
                .col(timestamp_with_time_zone(GroupbuyCampaigns::CreatedAt))
                .col(timestamp_with_time_zone_null(GroupbuyCampaigns::SettledAt))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        Index::create()
            .name("ix_groupbuy_campaigns_status_cutoff")
            .table(GroupbuyCampaigns::Table)
            .col(GroupbuyCampaigns::Status)
            .col(GroupbuyCampaigns::CutsOffAt)
            .to_owned(),
    )
    .await?;
    index(
        manager,
        Index::create()
            .name("ix_groupbuy_campaigns_workshop")
            .table(GroupbuyCampaigns::Table)
            .col(GroupbuyCampaigns::WorkshopId)
            .to_owned(),
    )
    .await
}

async fn create_items(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(GroupbuyItems::Table)
                .if_not_exists()
                .col(big_pk_auto(GroupbuyItems::Id))
                .col(big_integer(GroupbuyItems::CampaignId))
                .col(big_integer(GroupbuyItems::SkuId))
                .col(big_integer(GroupbuyItems::BasePriceFen))
                // JSON: [{"min_units": 50, "price_fen": 3990}, ...]
                .col(text(GroupbuyItems::Tiers))
                .col(big_integer(GroupbuyItems::Quantity))
                .col(big_integer_null(GroupbuyItems::AllotmentId))
                .col(big_integer_null(GroupbuyItems::FinalPriceFen))
                .col(big_integer_null(GroupbuyItems::UnitsPaid))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        Index::create()
            .name("ux_groupbuy_items_campaign_sku")
            .table(GroupbuyItems::Table)
            .col(GroupbuyItems::CampaignId)
            .col(GroupbuyItems::SkuId)
            .unique()
            .to_owned(),
    )
    .await
}

async fn create_campaign_points(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(GroupbuyCampaignPoints::Table)
                .if_not_exists()
                .col(big_pk_auto(GroupbuyCampaignPoints::Id))
                .col(big_integer(GroupbuyCampaignPoints::CampaignId))
                .col(big_integer(GroupbuyCampaignPoints::PickupPointId))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        Index::create()
            .name("ux_groupbuy_campaign_points")
            .table(GroupbuyCampaignPoints::Table)
            .col(GroupbuyCampaignPoints::CampaignId)
            .col(GroupbuyCampaignPoints::PickupPointId)
            .unique()
            .to_owned(),
    )
    .await
}

async fn create_orders(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(GroupbuyOrders::Table)
                .if_not_exists()
                .col(big_pk_auto(GroupbuyOrders::Id))
                .col(big_integer(GroupbuyOrders::OrderId).unique_key())
                .col(big_integer(GroupbuyOrders::CampaignId))
                .col(big_integer(GroupbuyOrders::ItemId))
                .col(big_integer(GroupbuyOrders::CustomerId))
                .col(big_integer(GroupbuyOrders::PickupPointId))
                .col(date(GroupbuyOrders::PickupDate))
                .col(string_len_null(GroupbuyOrders::PickupCode, 6))
                // joined | ready | cancelled | refunded (set by settlement, once)
                .col(string_len(GroupbuyOrders::Settlement, 16))
                .col(timestamp_with_time_zone_null(GroupbuyOrders::SettledAt))
                .col(timestamp_with_time_zone_null(GroupbuyOrders::CollectedAt))
                .col(timestamp_with_time_zone(GroupbuyOrders::CreatedAt))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        Index::create()
            .name("ux_groupbuy_orders_point_date_code")
            .table(GroupbuyOrders::Table)
            .col(GroupbuyOrders::PickupPointId)
            .col(GroupbuyOrders::PickupDate)
            .col(GroupbuyOrders::PickupCode)
            .unique()
            .to_owned(),
    )
    .await?;
    index(
        manager,
        Index::create()
            .name("ix_groupbuy_orders_campaign")
            .table(GroupbuyOrders::Table)
            .col(GroupbuyOrders::CampaignId)
            .to_owned(),
    )
    .await?;
    index(
        manager,
        Index::create()
            .name("ix_groupbuy_orders_customer")
            .table(GroupbuyOrders::Table)
            .col(GroupbuyOrders::CustomerId)
            .to_owned(),
    )
    .await
}

async fn create_commissions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LeaderCommissions::Table)
                .if_not_exists()
                .col(big_pk_auto(LeaderCommissions::Id))
                .col(big_integer(LeaderCommissions::WorkshopId))
                .col(big_integer(LeaderCommissions::LeaderId))
                .col(big_integer(LeaderCommissions::PickupPointId))
                .col(big_integer(LeaderCommissions::CampaignId))
                .col(big_integer(LeaderCommissions::OrderId))
                // accrual | reversal
                .col(string_len(LeaderCommissions::Kind, 16))
                .col(big_integer(LeaderCommissions::BaseFen))
                .col(integer(LeaderCommissions::RateBps))
                .col(big_integer(LeaderCommissions::AmountFen))
                .col(timestamp_with_time_zone(LeaderCommissions::CreatedAt))
                .to_owned(),
        )
        .await?;
    index(
        manager,
        Index::create()
            .name("ix_leader_commissions_leader_time")
            .table(LeaderCommissions::Table)
            .col(LeaderCommissions::LeaderId)
            .col(LeaderCommissions::CreatedAt)
            .to_owned(),
    )
    .await?;
    index(
        manager,
        Index::create()
            .name("ix_leader_commissions_order")
            .table(LeaderCommissions::Table)
            .col(LeaderCommissions::OrderId)
            .to_owned(),
    )
    .await
}

#[derive(DeriveIden)]
enum PickupPoints {
    Table,
    Id,
    WorkshopId,
    LeaderId,
    Name,
    Address,
    Latitude,
    Longitude,
    OpeningHours,
    CapacityPerDay,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupbuyCampaigns {
    Table,
    Id,
    WorkshopId,
    Title,
    MinTotalUnits,
    PerBuyerLimit,
    OpensAt,
    CutsOffAt,
    PickupDate,
    CommissionBps,
    Status,
    Outcome,
    Settler,
    LeaseUntil,
    Joins,
    CreatedBy,
    CreatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum GroupbuyItems {
    Table,
    Id,
    CampaignId,
    SkuId,
    BasePriceFen,
    Tiers,
    Quantity,
    AllotmentId,
    FinalPriceFen,
    UnitsPaid,
}

#[derive(DeriveIden)]
enum GroupbuyCampaignPoints {
    Table,
    Id,
    CampaignId,
    PickupPointId,
}

#[derive(DeriveIden)]
enum GroupbuyOrders {
    Table,
    Id,
    OrderId,
    CampaignId,
    ItemId,
    CustomerId,
    PickupPointId,
    PickupDate,
    PickupCode,
    Settlement,
    SettledAt,
    CollectedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LeaderCommissions {
    Table,
    Id,
    WorkshopId,
    LeaderId,
    PickupPointId,
    CampaignId,
    OrderId,
    Kind,
    BaseFen,
    RateBps,
    AmountFen,
    CreatedAt,
}
