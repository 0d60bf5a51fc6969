//! Fulfilment: pick waves and the orders they claimed, FEFO lot allocations
//! per order line, packing, shipments with carrier events, and after-sales claims.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            pick_waves(),
            pick_wave_orders(),
            pick_allocations(),
            packings(),
            shipments(),
            shipment_events(),
            claims(),
            claim_lines(),
        ] {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "claim_lines",
            "claims",
            "shipment_events",
            "shipments",
            "packings",
            "pick_allocations",
            "pick_wave_orders",
            "pick_waves",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn pick_waves() -> TableCreateStatement {
    Table::create()
        .table(PickWaves::Table)
        .if_not_exists()
        .col(big_pk_auto(PickWaves::Id))
        .col(big_integer(PickWaves::WorkshopId))
        // open | closed
        .col(string_len(PickWaves::Status, 16))
        .col(date_null(PickWaves::ShipBy))
        .col(string_len_null(PickWaves::Storage, 16))
        .col(string_len_null(PickWaves::Destination, 16))
        .col(big_integer(PickWaves::CreatedBy))
        .col(timestamp_with_time_zone(PickWaves::CreatedAt))
        .col(timestamp_with_time_zone_null(PickWaves::ClosedAt))
        .to_owned()
}

fn pick_wave_orders() -> TableCreateStatement {
    Table::create()
        .table(PickWaveOrders::Table)
        .if_not_exists()
        .col(big_pk_auto(PickWaveOrders::Id))
        .col(big_integer(PickWaveOrders::WorkshopId))
        .col(big_integer(PickWaveOrders::WaveId))
        .col(big_integer(PickWaveOrders::OrderId))
        .col(timestamp_with_time_zone(PickWaveOrders::CreatedAt))
        .to_owned()
}

fn pick_allocations() -> TableCreateStatement {
    Table::create()
        .table(PickAllocations::Table)
        .if_not_exists()
        .col(big_pk_auto(PickAllocations::Id))
        .col(big_integer(PickAllocations::WorkshopId))
        .col(big_integer(PickAllocations::WaveId))
        .col(big_integer(PickAllocations::OrderId))
        .col(big_integer(PickAllocations::OrderLineId))
        .col(big_integer(PickAllocations::SkuId))
        .col(big_integer(PickAllocations::LotId))
        .col(big_integer(PickAllocations::Units))
        .col(timestamp_with_time_zone(PickAllocations::CreatedAt))
        .check(Expr::col(PickAllocations::Units).gt(0))
        .to_owned()
}

fn packings() -> TableCreateStatement {
    Table::create()
        .table(Packings::Table)
        .if_not_exists()
        .col(big_pk_auto(Packings::Id))
        .col(big_integer(Packings::WorkshopId))
        .col(big_integer(Packings::OrderId))
        .col(integer(Packings::PackageCount))
        .col(integer(Packings::WeightG))
        .col(boolean(Packings::ColdChain))
        .col(big_integer(Packings::PackedBy))
        .col(timestamp_with_time_zone(Packings::PackedAt))
        .to_owned()
}

fn shipments() -> TableCreateStatement {
    Table::create()
        .table(Shipments::Table)
        .if_not_exists()
        .col(big_pk_auto(Shipments::Id))
        .col(big_integer(Shipments::WorkshopId))
        .col(big_integer(Shipments::OrderId))
        // carrier | pickup_point
        .col(string_len(Shipments::Kind, 16))
        .col(string_len_null(Shipments::Carrier, 32))
        .col(string_len_null(Shipments::TrackingNumber, 64))
        .col(big_integer_null(Shipments::PickupPointId))
        // shipped | in_transit | delivered | exception
        .col(string_len(Shipments::Status, 16))
        .col(big_integer(Shipments::ShippedBy))
        .col(timestamp_with_time_zone(Shipments::ShippedAt))
        .col(timestamp_with_time_zone_null(Shipments::DeliveredAt))
        .to_owned()
}

fn shipment_events() -> TableCreateStatement {
    Table::create()
        .table(ShipmentEvents::Table)
        .if_not_exists()
        .col(big_pk_auto(ShipmentEvents::Id))
        .col(big_integer(ShipmentEvents::ShipmentId))
        .col(string_len(ShipmentEvents::Status, 16))
        .col(string_len(ShipmentEvents::Detail, 200))
        .col(timestamp_with_time_zone(ShipmentEvents::OccurredAt))
        .col(timestamp_with_time_zone(ShipmentEvents::CreatedAt))
        .to_owned()
}

fn claims() -> TableCreateStatement {
    Table::create()
        .table(Claims::Table)
        .if_not_exists()
        .col(big_pk_auto(Claims::Id))
        .col(big_integer(Claims::WorkshopId))
        .col(big_integer(Claims::OrderId))
        .col(big_integer(Claims::CustomerId))
        // damaged | spoiled | missing | wrong_item
        .col(string_len(Claims::Reason, 16))
        // JSON array of photo URLs
        .col(text(Claims::Photos))
        .col(string_len(Claims::Description, 1000))
        // open | approved | rejected
        .col(string_len(Claims::Status, 16))
        // refund | reship
        .col(string_len_null(Claims::Resolution, 16))
        .col(big_integer_null(Claims::RefundFen))
        .col(big_integer_null(Claims::ReshipOrderId))
        .col(string_len_null(Claims::RejectReason, 200))
        .col(big_integer_null(Claims::ResolvedBy))
        .col(timestamp_with_time_zone(Claims::CreatedAt))
        .col(timestamp_with_time_zone_null(Claims::ResolvedAt))
        .to_owned()
}

fn claim_lines() -> TableCreateStatement {
    Table::create()
        .table(ClaimLines::Table)
        .if_not_exists()
        .col(big_pk_auto(ClaimLines::Id))
        .col(big_integer(ClaimLines::ClaimId))
        .col(big_integer(ClaimLines::OrderLineId))
        .col(big_integer(ClaimLines::Quantity))
        .to_owned()
}

fn index(
    name: &str,
    table: impl IntoIden,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for col in cols {
        statement.col(Alias::new(*col));
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index(
            "ix_pick_waves_workshop",
            PickWaves::Table,
            &["workshop_id", "id"],
            false,
        ),
        // An order is claimed by one wave only (the paid → picking transition decides which).
        index(
            "ux_pick_wave_orders_order",
            PickWaveOrders::Table,
            &["order_id"],
            true,
        ),
        index(
            "ix_pick_wave_orders_wave",
            PickWaveOrders::Table,
            &["wave_id"],
            false,
        ),
        index(
            "ix_pick_allocations_wave",
            PickAllocations::Table,
            &["wave_id"],
            false,
        ),
        index(
            "ix_pick_allocations_order",
            PickAllocations::Table,
            &["order_id"],
            false,
        ),
        index(
            "ix_pick_allocations_line",
            PickAllocations::Table,
            &["order_line_id"],
            false,
        ),
        index(
            "ix_pick_allocations_lot",
            PickAllocations::Table,
            &["lot_id"],
            false,
        ),
        index("ux_packings_order", Packings::Table, &["order_id"], true),
        index("ux_shipments_order", Shipments::Table, &["order_id"], true),
        index(
            "ux_shipments_tracking",
            Shipments::Table,
            &["carrier", "tracking_number"],
            true,
        ),
        index(
            "ix_shipment_events_shipment",
            ShipmentEvents::Table,
            &["shipment_id"],
            false,
        ),
        index(
            "ix_claims_workshop_status",
            Claims::Table,
            &["workshop_id", "status"],
            false,
        ),
        index("ix_claims_order", Claims::Table, &["order_id"], false),
        index(
            "ix_claim_lines_claim",
            ClaimLines::Table,
            &["claim_id"],
            false,
        ),
        index(
            "ix_claim_lines_line",
            ClaimLines::Table,
            &["order_line_id"],
            false,
        ),
    ]
}

#[derive(DeriveIden)]
enum PickWaves {
    Table,
    Id,
    WorkshopId,
    Status,
    ShipBy,
    Storage,
    Destination,
    CreatedBy,
    CreatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum PickWaveOrders {
    Table,
    Id,
    WorkshopId,
    WaveId,
    OrderId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PickAllocations {
    Table,
    Id,
    WorkshopId,
    WaveId,
    OrderId,
    OrderLineId,
    SkuId,
    LotId,
    Units,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Packings {
    Table,
    Id,
    WorkshopId,
    OrderId,
    PackageCount,
    WeightG,
    ColdChain,
    PackedBy,
    PackedAt,
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Id,
    WorkshopId,
    OrderId,
    Kind,
    Carrier,
    TrackingNumber,
    PickupPointId,
    Status,
    ShippedBy,
    ShippedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum ShipmentEvents {
    Table,
    Id,
    ShipmentId,
    Status,
    Detail,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Claims {
    Table,
    Id,
    WorkshopId,
    OrderId,
    CustomerId,
    Reason,
    Photos,
    Description,
    Status,
    Resolution,
    RefundFen,
    ReshipOrderId,
    RejectReason,
    ResolvedBy,
    CreatedAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum ClaimLines {
    Table,
    Id,
    ClaimId,
    OrderLineId,
    Quantity,
}
