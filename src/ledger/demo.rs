//! Demo ledger for 莓好集市 and 茶仙子: a split rule, contracts with farmers,
//! lots received under them, paid sales through the storefront, the live room
//! and its flash deal, picked from lots (FEFO), a partial refund and payouts.
//! The demo picks its own orders with `pick_fefo` (what a pick wave does, for
//! just these orders) so the other demo orders keep the states they show.

use chrono::Days;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::model::{CreateContractRequest, PayoutRequest, SplitRuleRequest};
use super::sales::{self, Allocation};
use super::{contracts, entries, payouts, rules, statements};
use crate::catalog::lots::model::ReceiveLotRequest;
use crate::catalog::lots::service::receive_lot;
use crate::catalog::rules::today;
use crate::entity::{
    account, address, deal, live_session, lot, membership, order, order_line, sale_split, sku,
    workshop,
};
use crate::error::{AppError, AppResult};
use crate::orders::model::{LineRequest, RefundLineRequest, RefundRequest};
use crate::orders::payments::{sandbox_succeed, start_payment};
use crate::orders::queries::Viewer;
use crate::orders::refunds::refund_order;
use crate::orders::service::{PlaceOrder, place_order, transition};
use crate::orders::status::OrderStatus;
use crate::state::AppState;

const SHOPS: [(&str, SplitRuleRequest); 2] = [
    (
        "莓好集市",
        SplitRuleRequest {
            farmer_bp: 7000,
            collective_bp: 2000,
            workshop_bp: 1000,
        },
    ),
    (
        "茶仙子",
        SplitRuleRequest {
            farmer_bp: 6500,
            collective_bp: 2500,
            workshop_bp: 1000,
        },
    ),
];

pub async fn load(state: &AppState, customer_phones: &[&str]) -> AppResult<()> {
    for (name, rule) in SHOPS {
        let Some(shop) = workshop::Entity::find()
            .filter(workshop::Column::Name.eq(name))
            .one(&state.db)
            .await?
        else {
            continue;
        };
        load_shop(state, &shop, rule, customer_phones).await?;
    }
    Ok(())
}

async fn load_shop(
    state: &AppState,
    shop: &workshop::Model,
    rule: SplitRuleRequest,
    customer_phones: &[&str],
) -> AppResult<()> {
    let manager = manager_of(&state.db, shop.id).await?;
    rules::set_rule(&state.db, shop.id, manager, rule).await?;
    let sku = common_prosperity_sku(&state.db, shop.id).await?;
    let farmers = statements::farmers_of(&state.db, shop.id).await?;
    for (n, farmer) in farmers.iter().take(3).enumerate() {
        contract_and_deliver(state, shop.id, manager, &sku, farmer.id, n as i64).await?;
    }
    let customers = customers(&state.db, customer_phones).await?;
    let mut sold = Vec::new();
    for (n, (customer, address)) in customers.iter().enumerate() {
        let quantity = 2 + n as i64;
        sold.push(storefront_sale(state, *customer, *address, &sku, quantity).await?);
        live_sale(state, shop.id, *customer, *address, &sku).await?;
    }
    flash_deal_sale(state, shop.id, &customers).await;
    if let Some(first) = sold.first() {
        partial_refund(state, shop.id, manager, first).await?;
    }
    if let Some(farmer) = farmers.first() {
        let balance = entries::farmer_balance(&state.db, shop.id, farmer.id).await?;
        let payout = PayoutRequest {
            amount_fen: balance / 2,
            reference: "农商银行转账 月中结算".into(),
        };
        if payout.amount_fen > 0 {
            payouts::record_payout(&state.db, shop.id, farmer.id, manager, payout).await?;
        }
    }
    Ok(())
}

async fn contract_and_deliver(
    state: &AppState,
    workshop_id: i64,
    manager: i64,
    sku: &sku::Model,
    farmer_id: i64,
    n: i64,
) -> AppResult<()> {
    let floor = sku.market_price_fen * 55 / 100;
    let contract = CreateContractRequest {
        farmer_id,
        product_id: sku.product_id,
        season: "2026-27 当季".into(),
        starts_on: today() - Days::new(30),
        ends_on: today() + Days::new(150),
        grades: vec![],
        floor_price_fen: floor,
        committed_units: 300,
        grade_rules: "按果径与外观分级，畸形果降级收购".into(),
    };
    contracts::create_contract(&state.db, workshop_id, manager, contract).await?;
    let lot = ReceiveLotRequest {
        sku_id: sku.id,
        farmer_id,
        quantity: 30 + 10 * n,
        grade: None,
        harvest_date: today() - Days::new(1),
        expiry_date: Some(today() + Days::new(20)),
        // Below the contract: the farmer is paid the contract's floor.
        floor_price_fen: floor - 200,
        code: None,
    };
    receive_lot(state, workshop_id, manager, lot).await?;
    Ok(())
}

async fn storefront_sale(
    state: &AppState,
    customer: i64,
    address: i64,
    sku: &sku::Model,
    quantity: i64,
) -> AppResult<order::Model> {
    let request = PlaceOrder {
        channel: "storefront",
        ..base_order(state, customer, address, sku.id, quantity).await?
    };
    paid_and_shipped(state, customer, request).await
}

async fn live_sale(
    state: &AppState,
    workshop_id: i64,
    customer: i64,
    address: i64,
    sku: &sku::Model,
) -> AppResult<()> {
    let Some(session) = live_session::Entity::find()
        .filter(live_session::Column::WorkshopId.eq(workshop_id))
        .filter(live_session::Column::Status.eq("live"))
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let request = PlaceOrder {
        channel: "live",
        live_session_id: Some(session.id),
        streamer_id: Some(session.streamer_account_id),
        ..base_order(state, customer, address, sku.id, 1).await?
    };
    paid_and_shipped(state, customer, request).await?;
    Ok(())
}

/// Flash-deal orders go through the live domain's batched path; a demo
/// without a running deal simply has none.
async fn flash_deal_sale(state: &AppState, workshop_id: i64, customers: &[(i64, i64)]) {
    let Ok(Some(running)) = deal::Entity::find()
        .filter(deal::Column::WorkshopId.eq(workshop_id))
        .filter(deal::Column::Status.eq("active"))
        .one(&state.db)
        .await
    else {
        return;
    };
    for (customer, address) in customers {
        let placed =
            crate::live::flash::order(state, *customer, "demo", running.id, *address, None).await;
        let Ok(placed) = placed else { continue };
        if let Err(err) = pay_and_ship(state, *customer, placed.id).await {
            tracing::warn!(error = %err, "demo flash-deal order not completed");
        }
    }
}

async fn base_order(
    state: &AppState,
    customer: i64,
    address: i64,
    sku_id: i64,
    quantity: i64,
) -> AppResult<PlaceOrder> {
    let address = crate::orders::addresses::address_for_order(&state.db, customer, address).await?;
    Ok(PlaceOrder {
        customer_id: customer,
        lines: vec![LineRequest { sku_id, quantity }],
        address: Some(address),
        ..Default::default()
    })
}

async fn paid_and_shipped(
    state: &AppState,
    customer: i64,
    request: PlaceOrder,
) -> AppResult<order::Model> {
    let placed = place_order(state, request, None).await?;
    pay_and_ship(state, customer, placed.id).await
}

async fn pay_and_ship(state: &AppState, customer: i64, order_id: i64) -> AppResult<order::Model> {
    let payment = start_payment(state, customer, order_id, "sandbox", None).await?;
    sandbox_succeed(state, Viewer::Customer(customer), &payment.provider_ref).await?;
    let steps = [
        OrderStatus::Paid,
        OrderStatus::Picking,
        OrderStatus::Packed,
        OrderStatus::Shipped,
    ];
    for pair in steps.windows(2) {
        let txn = crate::platform::db::begin_write(&state.db).await?;
        transition(&txn, order_id, pair[0], pair[1], None, "demo fulfilment").await?;
        if pair[0] == OrderStatus::Paid {
            pick_fefo(&txn, order_id).await?;
        }
        txn.commit().await?;
    }
    order::Entity::find_by_id(order_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("order"))
}

async fn partial_refund(
    state: &AppState,
    workshop_id: i64,
    manager: i64,
    sold: &order::Model,
) -> AppResult<()> {
    let Some(line) = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(sold.id))
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let request = RefundRequest {
        lines: Some(vec![RefundLineRequest {
            line_id: line.id,
            quantity: 1,
        }]),
        reason: "一盒草莓运输压坏，退一盒".into(),
    };
    refund_order(state, workshop_id, sold.id, request, manager, None).await?;
    Ok(())
}

/// Takes an order's units from its SKUs' lots, soonest expiry first, and
/// records each allocation's split: what fulfilment's pick wave does. Units
/// no lot can cover stay unallocated.
pub async fn pick_fefo(
    db: &impl ConnectionTrait,
    order_id: i64,
) -> AppResult<Vec<sale_split::Model>> {
    let order = order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?;
    let mut splits = Vec::new();
    for line in lines {
        let mut left = i64::from(line.quantity - line.refunded_quantity);
        let lots = lot::Entity::find()
            .filter(lot::Column::SkuId.eq(line.sku_id))
            .filter(lot::Column::Remaining.gt(0))
            .filter(lot::Column::WrittenOff.eq(false))
            .order_by_asc(lot::Column::ExpiryDate)
            .order_by_asc(lot::Column::Id)
            .all(db)
            .await?;
        for lot in lots {
            let take = Ord::min(left, lot.remaining);
            if take <= 0 || !take_from_lot(db, lot.id, take).await? {
                continue;
            }
            let allocation = Allocation {
                workshop_id: order.workshop_id,
                order_id,
                order_line_id: line.id,
                lot_id: lot.id,
                units: take,
                source: format!("pick:line:{}:lot:{}", line.id, lot.id),
            };
            splits.push(sales::record_allocation(db, &allocation).await?);
            left -= take;
        }
    }
    Ok(splits)
}

async fn take_from_lot(db: &impl ConnectionTrait, lot_id: i64, units: i64) -> AppResult<bool> {
    let result = lot::Entity::update_many()
        .col_expr(
            lot::Column::Remaining,
            Expr::col(lot::Column::Remaining).sub(units),
        )
        .filter(lot::Column::Id.eq(lot_id))
        .filter(lot::Column::Remaining.gte(units))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn manager_of(db: &impl ConnectionTrait, workshop_id: i64) -> AppResult<i64> {
    membership::Entity::find()
        .filter(membership::Column::WorkshopId.eq(workshop_id))
        .filter(membership::Column::Role.eq("manager"))
        .one(db)
        .await?
        .map(|m| m.account_id)
        .ok_or_else(|| AppError::not_found("demo manager"))
}

/// The workshop's common-prosperity SKU with the most stock.
async fn common_prosperity_sku(
    db: &impl ConnectionTrait,
    workshop_id: i64,
) -> AppResult<sku::Model> {
    sku::Entity::find()
        .filter(sku::Column::WorkshopId.eq(workshop_id))
        .filter(sku::Column::IsCommonProsperity.eq(true))
        .filter(sku::Column::Status.eq("active"))
        .order_by_desc(sku::Column::OnHand)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("demo common-prosperity SKU"))
}

/// Each demo customer with their first address.
async fn customers(db: &impl ConnectionTrait, phones: &[&str]) -> AppResult<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for phone in phones {
        let Some(customer) = account::Entity::find()
            .filter(account::Column::Phone.eq(*phone))
            .one(db)
            .await?
        else {
            continue;
        };
        if let Some(addr) = address::Entity::find()
            .filter(address::Column::CustomerId.eq(customer.id))
            .one(db)
            .await?
        {
            out.push((customer.id, addr.id));
        }
    }
    Ok(out)
}
