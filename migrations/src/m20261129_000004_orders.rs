//! Orders: addresses, carts, orders with lines and an event history,
//! payments, refunds, per-buyer purchase counters and idempotency keys.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            addresses(),
            cart_lines(),
            orders(),
            order_lines(),
            order_events(),
            payments(),
            refunds(),
            purchase_counts(),
            idempotency_keys(),
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
            "idempotency_keys",
            "purchase_counts",
            "refunds",
            "payments",
            "order_events",
            "order_lines",
            "orders",
            "cart_lines",
            "addresses",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn addresses() -> TableCreateStatement {
    Table::create()
        .table(Addresses::Table)
        .if_not_exists()
        .col(big_pk_auto(Addresses::Id))
        .col(big_integer(Addresses::CustomerId))
        .col(string_len(Addresses::Name, 64))
        .col(string_len(Addresses::Phone, 20))
        .col(string_len(Addresses::Province, 32))
        .col(string_len(Addresses::City, 32))
        .col(string_len(Addresses::District, 32))
        .col(string_len(Addresses::Detail, 200))
        .col(timestamp_with_time_zone(Addresses::CreatedAt))
        .to_owned()
}

fn cart_lines() -> TableCreateStatement {
    Table::create()
        .table(CartLines::Table)
        .if_not_exists()
        .col(big_pk_auto(CartLines::Id))
        .col(big_integer(CartLines::CustomerId))
        .col(big_integer(CartLines::SkuId))
        .col(integer(CartLines::Quantity))
        .col(timestamp_with_time_zone(CartLines::UpdatedAt))
        .to_owned()
}

fn orders() -> TableCreateStatement {
    Table::create()
        .table(Orders::Table)
        .if_not_exists()
        .col(big_pk_auto(Orders::Id))
        .col(big_integer(Orders::WorkshopId))
        .col(big_integer(Orders::CustomerId))
        .col(string_len(Orders::Status, 24))
        // storefront | live | deal | groupbuy
        .col(string_len(Orders::Channel, 16))
        .col(big_integer_null(Orders::LiveSessionId))
        .col(big_integer_null(Orders::StreamerId))
        .col(big_integer_null(Orders::DealId))
        .col(big_integer_null(Orders::CampaignId))
        .col(big_integer_null(Orders::PickupPointId))
        .col(text_null(Orders::Address))
        .col(big_integer(Orders::SubtotalFen))
        .col(big_integer(Orders::ShippingFen))
        .col(big_integer(Orders::TotalFen))
        .col(big_integer(Orders::PaidFen).default(0))
        .col(big_integer(Orders::RefundedFen).default(0))
        .col(timestamp_with_time_zone(Orders::ExpiresAt))
        .col(timestamp_with_time_zone_null(Orders::PaidAt))
        .col(timestamp_with_time_zone(Orders::CreatedAt))
        .col(timestamp_with_time_zone(Orders::UpdatedAt))
        .check(Expr::col(Orders::RefundedFen).lte(Expr::col(Orders::PaidFen)))
        .to_owned()
}

fn order_lines() -> TableCreateStatement {
    Table::create()
        .table(OrderLines::Table)
        .if_not_exists()
        .col(big_pk_auto(OrderLines::Id))
        .col(big_integer(OrderLines::OrderId))
        .col(big_integer(OrderLines::SkuId))
        .col(big_integer(OrderLines::ProductId))
        .col(string_len(OrderLines::Title, 240))
        .col(string_len(OrderLines::Storage, 16))
        .col(integer(OrderLines::Quantity))
        .col(big_integer(OrderLines::UnitPriceFen))
        .col(big_integer(OrderLines::LineTotalFen))
        .col(integer(OrderLines::RefundedQuantity).default(0))
        .foreign_key(
            ForeignKey::create()
                .from(OrderLines::Table, OrderLines::OrderId)
                .to(Orders::Table, Orders::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn order_events() -> TableCreateStatement {
    Table::create()
        .table(OrderEvents::Table)
        .if_not_exists()
        .col(big_pk_auto(OrderEvents::Id))
        .col(big_integer(OrderEvents::OrderId))
        .col(string_len_null(OrderEvents::FromStatus, 24))
        .col(string_len(OrderEvents::ToStatus, 24))
        .col(big_integer_null(OrderEvents::ActorId))
        .col(string_len(OrderEvents::Reason, 200))
        .col(timestamp_with_time_zone(OrderEvents::CreatedAt))
        .to_owned()
}

fn payments() -> TableCreateStatement {
    Table::create()
        .table(Payments::Table)
        .if_not_exists()
        .col(big_pk_auto(Payments::Id))
        .col(big_integer(Payments::OrderId))
        .col(string_len(Payments::Provider, 16))
        .col(string_len_uniq(Payments::ProviderRef, 64))
        .col(big_integer(Payments::AmountFen))
        // pending | succeeded | failed
        .col(string_len(Payments::Status, 16))
        .col(timestamp_with_time_zone(Payments::CreatedAt))
        .col(timestamp_with_time_zone_null(Payments::ConfirmedAt))
        .to_owned()
}

fn refunds() -> TableCreateStatement {
    Table::create()
        .table(Refunds::Table)
        .if_not_exists()
        .col(big_pk_auto(Refunds::Id))
        .col(big_integer(Refunds::OrderId))
        .col(big_integer(Refunds::PaymentId))
        .col(big_integer(Refunds::AmountFen))
        .col(text(Refunds::Lines))
        .col(string_len(Refunds::Reason, 200))
        .col(string_len(Refunds::ProviderRef, 64))
        .col(string_len(Refunds::Status, 16))
        .col(big_integer_null(Refunds::CreatedBy))
        .col(timestamp_with_time_zone(Refunds::CreatedAt))
        .to_owned()
}

fn purchase_counts() -> TableCreateStatement {
    Table::create()
        .table(PurchaseCounts::Table)
        .if_not_exists()
        .col(big_integer(PurchaseCounts::CustomerId))
        // "sku:12" or "deal:7": what the per-buyer limit applies to.
        .col(string_len(PurchaseCounts::Scope, 32))
        .col(integer(PurchaseCounts::Quantity))
        .primary_key(
            Index::create()
                .col(PurchaseCounts::CustomerId)
                .col(PurchaseCounts::Scope),
        )
        .check(Expr::col(PurchaseCounts::Quantity).gte(0))
        .to_owned()
}

fn idempotency_keys() -> TableCreateStatement {
    Table::create()
        .table(IdempotencyKeys::Table)
        .if_not_exists()
        .col(big_pk_auto(IdempotencyKeys::Id))
        .col(big_integer(IdempotencyKeys::OwnerId))
        .col(string_len(IdempotencyKeys::Scope, 64))
        .col(string_len(IdempotencyKeys::Key, 64))
        .col(string_len(IdempotencyKeys::RequestHash, 64))
        // in_progress | done
        .col(string_len(IdempotencyKeys::Status, 16))
        .col(small_integer_null(IdempotencyKeys::ResponseStatus))
        .col(text_null(IdempotencyKeys::ResponseBody))
        .col(timestamp_with_time_zone(IdempotencyKeys::LockedUntil))
        .col(timestamp_with_time_zone(IdempotencyKeys::ExpiresAt))
        .to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    let plain = |name: &str, table: Alias, cols: &[&str]| {
        let mut index = Index::create();
        index.name(name).table(table);
        for col in cols {
            index.col(Alias::new(*col));
        }
        index.to_owned()
    };
    vec![
        plain(
            "ix_addresses_customer",
            Alias::new("addresses"),
            &["customer_id"],
        ),
        plain(
            "ux_cart_lines_customer_sku",
            Alias::new("cart_lines"),
            &["customer_id", "sku_id"],
        )
        .unique()
        .to_owned(),
        plain(
            "ix_orders_customer",
            Alias::new("orders"),
            &["customer_id", "id"],
        ),
        plain(
            "ix_orders_workshop",
            Alias::new("orders"),
            &["workshop_id", "id"],
        ),
        plain(
            "ix_orders_status_expiry",
            Alias::new("orders"),
            &["status", "expires_at"],
        ),
        plain(
            "ix_order_lines_order",
            Alias::new("order_lines"),
            &["order_id"],
        ),
        plain("ix_order_lines_sku", Alias::new("order_lines"), &["sku_id"]),
        plain(
            "ix_order_events_order",
            Alias::new("order_events"),
            &["order_id"],
        ),
        plain("ix_payments_order", Alias::new("payments"), &["order_id"]),
        plain("ix_refunds_order", Alias::new("refunds"), &["order_id"]),
        plain(
            "ux_idempotency_owner_scope_key",
            Alias::new("idempotency_keys"),
            &["owner_id", "scope", "key"],
        )
        .unique()
        .to_owned(),
        plain(
            "ix_idempotency_expires",
            Alias::new("idempotency_keys"),
            &["expires_at"],
        ),
    ]
}

#[derive(DeriveIden)]
enum Addresses {
    Table,
    Id,
    CustomerId,
    Name,
    Phone,
    Province,
    City,
    District,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CartLines {
    Table,
    Id,
    CustomerId,
    SkuId,
    Quantity,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    WorkshopId,
    CustomerId,
    Status,
    Channel,
    LiveSessionId,
    StreamerId,
    DealId,
    CampaignId,
    PickupPointId,
    Address,
    SubtotalFen,
    ShippingFen,
    TotalFen,
    PaidFen,
    RefundedFen,
    ExpiresAt,
    PaidAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    SkuId,
    ProductId,
    Title,
    Storage,
    Quantity,
    UnitPriceFen,
    LineTotalFen,
    RefundedQuantity,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    FromStatus,
    ToStatus,
    ActorId,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    Provider,
    ProviderRef,
    AmountFen,
    Status,
    CreatedAt,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    OrderId,
    PaymentId,
    AmountFen,
    Lines,
    Reason,
    ProviderRef,
    Status,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PurchaseCounts {
    Table,
    CustomerId,
    Scope,
    Quantity,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    OwnerId,
    Scope,
    Key,
    RequestHash,
    Status,
    ResponseStatus,
    ResponseBody,
    LockedUntil,
    ExpiresAt,
}
