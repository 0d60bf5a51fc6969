//! Pick waves: claim paid orders (the paid → picking transition decides which
//! wave gets an order), allocate their lines to lots FEFO, and read waves back.
//! Each order is claimed in its own short transaction that takes lot rows in
//! (sku, expiry, id) order, so concurrent waves never deadlock.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::fefo::{self, LotStock, Take};
use super::model::{
    CreateWaveRequest, Destination, ShortageView, StorageClass, WaveCancellation, WaveOrderView,
    WaveQuery, WaveSkuView, WaveSummary, WaveView,
};
use crate::catalog::service::today;
use crate::entity::{
    groupbuy_order, lot, order, order_line, pick_allocation, pick_wave, pick_wave_order,
};
use crate::error::{AppError, AppResult};
use crate::groupbuys::settlement::READY;
use crate::ledger::sales::{Allocation, record_allocation};
use crate::orders::service::{resource_key, transition};
use crate::orders::status::OrderStatus;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::sql::changed;
use crate::platform::validate::Check;
use crate::platform::{db, outbox};
use crate::state::AppState;

/// Attempts per order when a concurrent wave took the lot units it planned on.
const CLAIM_ATTEMPTS: usize = 3;

/// Creates a wave from the workshop's paid orders that match the filters.
pub async fn create_wave(
    state: &AppState,
    workshop_id: i64,
    actor_id: i64,
    request: CreateWaveRequest,
) -> AppResult<WaveView> {
    let cap = state.settings.fulfilment.max_wave_orders;
    let limit = request.max_orders.unwrap_or(cap);
    Check::new()
        .range("max_orders", limit as i64, 1, cap as i64)
        .finish()?;
    let candidates = candidate_orders(state, workshop_id, &request, limit).await?;
    let wave = insert_wave(&state.db, workshop_id, actor_id, &request).await?;
    let mut shortages = Vec::new();
    let mut claimed = 0;
    for (order, lines) in &candidates {
        match claim_order(state, &wave, order, lines).await? {
            Claim::Claimed => claimed += 1,
            Claim::Short(short) => shortages.push(short),
            Claim::Taken => {}
        }
    }
    if claimed == 0 {
        close_wave(&state.db, wave.id).await?;
    }
    outbox::committed(&state.bus).await;
    let mut view = get_wave(&state.db, workshop_id, wave.id).await?;
    view.shortages = shortages;
    Ok(view)
}

enum Claim {
    Claimed,
    /// The lots cannot cover the order; it stays paid.
    Short(ShortageView),
    /// Another wave (or a refund) got to the order first.
    Taken,
}

/// Paid orders passing the filters, oldest payment first, with their lines.
async fn candidate_orders(
    state: &AppState,
    workshop_id: i64,
    request: &CreateWaveRequest,
    limit: u64,
) -> AppResult<Vec<(order::Model, Vec<order_line::Model>)>> {
    let mut select = order::Entity::find()
        .filter(order::Column::WorkshopId.eq(workshop_id))
        .filter(order::Column::Status.eq(OrderStatus::Paid.as_str()))
        .filter(settled_if_group_buy())
        .order_by_asc(order::Column::PaidAt)
        .order_by_asc(order::Column::Id);
    select = match request.destination {
        Some(Destination::Address) => select.filter(order::Column::PickupPointId.is_null()),
        Some(Destination::PickupPoint) => select.filter(order::Column::PickupPointId.is_not_null()),
        None => select,
    };
    if let Some(ship_by) = request.ship_by {
        let days = state.settings.fulfilment.ship_within_days;
        select = select.filter(order::Column::PaidAt.lt(paid_before(ship_by, days)));
    }
    // Storage is a property of the lines, filtered below; fetch some slack.
    let orders = select.limit(limit.saturating_mul(4)).all(&state.db).await?;
    let mut lines = lines_by_order(&state.db, orders.iter().map(|o| o.id).collect()).await?;
    Ok(orders
        .into_iter()
        .map(|o| {
            let lines = lines.remove(&o.id).unwrap_or_default();
            (o, lines)
        })
        .filter(|(_, lines)| request.storage.is_none_or(|s| storage_of(lines) == s))
        .take(limit as usize)
        .collect())
}

/// A group-buy order waits for its campaign's settlement: until then its final
/// price is unknown and the campaign may still fail and refund it.
fn settled_if_group_buy() -> Condition {
    Condition::any()
        .add(order::Column::CampaignId.is_null())
        .add(
            order::Column::Id.in_subquery(
                Query::select()
                    .column(groupbuy_order::Column::OrderId)
                    .from(groupbuy_order::Entity)
                    .and_where(groupbuy_order::Column::Settlement.eq(READY))
                    .to_owned(),
            ),
        )
}

/// Orders paid before China midnight starting the day after `ship_by - days`
/// must ship by `ship_by`.
fn paid_before(ship_by: NaiveDate, days: u32) -> chrono::DateTime<Utc> {
    let last_paid_day = ship_by
        .checked_sub_days(Days::new(days.into()))
        .unwrap_or(NaiveDate::MIN);
    let next = last_paid_day.succ_opt().unwrap_or(NaiveDate::MAX);
    next.and_time(NaiveTime::MIN).and_utc() - Duration::hours(8)
}

/// The coldest storage class among an order's lines.
pub fn storage_of(lines: &[order_line::Model]) -> StorageClass {
    lines
        .iter()
        .map(|l| StorageClass::parse(&l.storage))
        .max()
        .unwrap_or(StorageClass::Ambient)
}

pub async fn lines_by_order(
    db: &impl ConnectionTrait,
    order_ids: Vec<i64>,
) -> AppResult<HashMap<i64, Vec<order_line::Model>>> {
    let mut grouped: HashMap<i64, Vec<order_line::Model>> = HashMap::new();
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(order_ids))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?;
    for line in lines {
        grouped.entry(line.order_id).or_default().push(line);
    }
    Ok(grouped)
}

async fn insert_wave(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    actor_id: i64,
    request: &CreateWaveRequest,
) -> AppResult<pick_wave::Model> {
    Ok(pick_wave::ActiveModel {
        workshop_id: Set(workshop_id),
        status: Set("open".into()),
        ship_by: Set(request.ship_by),
        storage: Set(request.storage.map(|s| s.as_str().to_owned())),
        destination: Set(request.destination.map(|d| d.as_str().to_owned())),
        created_by: Set(actor_id),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

async fn close_wave(db: &impl ConnectionTrait, wave_id: i64) -> AppResult<bool> {
    changed(
        db,
        "UPDATE pick_waves SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = 'open'",
        vec![Utc::now().into(), wave_id.into()],
    )
    .await
}

/// Closes the wave holding `order_id` once none of its orders is still
/// being picked or packed.
pub async fn close_wave_if_done(db: &impl ConnectionTrait, order_id: i64) -> AppResult<()> {
    changed(
        db,
        "UPDATE pick_waves SET status = 'closed', closed_at = $1 \
         WHERE status = 'open' AND id IN (SELECT wave_id FROM pick_wave_orders WHERE order_id = $2) \
         AND NOT EXISTS (SELECT 1 FROM pick_wave_orders wo JOIN orders o ON o.id = wo.order_id \
           WHERE wo.wave_id = pick_waves.id AND o.status IN ('picking', 'packed'))",
        vec![Utc::now().into(), order_id.into()],
    )
    .await?;
    Ok(())
}

async fn claim_order(
    state: &AppState,
    wave: &pick_wave::Model,
    order: &order::Model,
    lines: &[order_line::Model],
) -> AppResult<Claim> {
    for _ in 0..CLAIM_ATTEMPTS {
        let txn = db::begin_write(&state.db).await?;
        let reason = format!("picked in wave {}", wave.id);
        let moved = transition(
            &txn,
            order.id,
            OrderStatus::Paid,
            OrderStatus::Picking,
            Some(wave.created_by),
            &reason,
        )
        .await?;
        if !moved {
            txn.rollback().await?;
            return Ok(Claim::Taken);
        }
        let plan = match plan_order(&txn, order, lines).await? {
            Ok(plan) => plan,
            Err(short) => {
                txn.rollback().await?;
                return Ok(Claim::Short(short));
            }
        };
        if !take_lots(&txn, &plan).await? {
            txn.rollback().await?; // a concurrent wave took units we planned on
            continue;
        }
        record_claim(&txn, wave, order, &plan).await?;
        txn.commit().await?;
        return Ok(Claim::Claimed);
    }
    Ok(Claim::Taken)
}

/// Units to take per line, lot by lot, or the first line the lots cannot cover.
type Plan = Vec<(order_line::Model, Vec<Take>)>;

async fn plan_order(
    db: &impl ConnectionTrait,
    order: &order::Model,
    lines: &[order_line::Model],
) -> AppResult<Result<Plan, ShortageView>> {
    let mut lines: Vec<_> = lines.to_vec();
    lines.sort_by_key(|l| (l.sku_id, l.id));
    let mut lots = lots_by_sku(db, order.workshop_id, lines.iter().map(|l| l.sku_id)).await?;
    let today = today();
    let mut plan = Vec::new();
    for line in lines {
        let needed = (line.quantity - line.refunded_quantity) as i64;
        if needed <= 0 {
            continue;
        }
        let sku_lots = lots.entry(line.sku_id).or_default();
        match fefo::allocate(sku_lots, today, needed) {
            Some(takes) => plan.push((line, takes)),
            None => {
                return Ok(Err(ShortageView {
                    order_id: order.id,
                    sku_id: line.sku_id,
                    needed,
                    available: fefo::available(sku_lots, today),
                }));
            }
        }
    }
    Ok(Ok(plan))
}

async fn lots_by_sku(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    sku_ids: impl Iterator<Item = i64>,
) -> AppResult<BTreeMap<i64, Vec<LotStock>>> {
    let rows = lot::Entity::find()
        .filter(lot::Column::WorkshopId.eq(workshop_id))
        .filter(lot::Column::SkuId.is_in(sku_ids.collect::<Vec<_>>()))
        .filter(lot::Column::Remaining.gt(0))
        .filter(lot::Column::WrittenOff.eq(false))
        .all(db)
        .await?;
    let mut grouped: BTreeMap<i64, Vec<LotStock>> = BTreeMap::new();
    for row in rows {
        grouped.entry(row.sku_id).or_default().push(LotStock {
            id: row.id,
            expiry_date: row.expiry_date,
            remaining: row.remaining,
            written_off: row.written_off,
        });
    }
    Ok(grouped)
}

/// Decrements every planned lot if it still holds the units; false (and the
/// caller rolls back) as soon as one does not.
async fn take_lots(db: &impl ConnectionTrait, plan: &Plan) -> AppResult<bool> {
    let today = today();
    for take in plan.iter().flat_map(|(_, takes)| takes) {
        let taken = changed(
            db,
            "UPDATE lots SET remaining = remaining - $1 \
             WHERE id = $2 AND remaining >= $1 AND written_off = $3 AND expiry_date >= $4",
            vec![
                take.units.into(),
                take.lot_id.into(),
                false.into(),
                today.into(),
            ],
        )
        .await?;
        if !taken {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn record_claim(
    db: &impl ConnectionTrait,
    wave: &pick_wave::Model,
    order: &order::Model,
    plan: &Plan,
) -> AppResult<()> {
    let now = Utc::now();
    pick_wave_order::ActiveModel {
        workshop_id: Set(order.workshop_id),
        wave_id: Set(wave.id),
        order_id: Set(order.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let rows = plan.iter().flat_map(|(line, takes)| {
        takes.iter().map(|take| pick_allocation::ActiveModel {
            workshop_id: Set(order.workshop_id),
            wave_id: Set(wave.id),
            order_id: Set(order.id),
            order_line_id: Set(line.id),
            sku_id: Set(line.sku_id),
            lot_id: Set(take.lot_id),
            units: Set(take.units),
            created_at: Set(now),
            ..Default::default()
        })
    });
    pick_allocation::Entity::insert_many(rows.collect::<Vec<_>>())
        .exec(db)
        .await?;
    split_for_ledger(db, wave, order, plan).await?;
    let data = json!({"order_id": order.id, "wave_id": wave.id});
    outbox::enqueue(
        db,
        order.workshop_id,
        "order.picking",
        &resource_key(order.id),
        &data,
    )
    .await?;
    Ok(())
}

/// The ledger splits each lot's units of each line (cost, premium, shares)
/// in this same transaction: the allocation is where a sale meets its lot.
async fn split_for_ledger(
    db: &impl ConnectionTrait,
    wave: &pick_wave::Model,
    order: &order::Model,
    plan: &Plan,
) -> AppResult<()> {
    for (line, takes) in plan {
        for take in takes {
            let allocation = Allocation {
                workshop_id: order.workshop_id,
                order_id: order.id,
                order_line_id: line.id,
                lot_id: take.lot_id,
                units: take.units,
                source: allocation_source(wave.id, line.id, take.lot_id),
            };
            record_allocation(db, &allocation).await?;
        }
    }
    Ok(())
}

/// Names one allocation for the ledger: its sale split's source.
pub fn allocation_source(wave_id: i64, line_id: i64, lot_id: i64) -> String {
    format!("wave:{wave_id}:line:{line_id}:lot:{lot_id}")
}

pub async fn find_wave(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    wave_id: i64,
) -> AppResult<pick_wave::Model> {
    pick_wave::Entity::find_by_id(wave_id)
        .filter(pick_wave::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("wave"))
}

/// The orders a wave claimed, in claim order.
pub async fn wave_orders(db: &impl ConnectionTrait, wave_id: i64) -> AppResult<Vec<order::Model>> {
    let ids: Vec<i64> = pick_wave_order::Entity::find()
        .filter(pick_wave_order::Column::WaveId.eq(wave_id))
        .order_by_asc(pick_wave_order::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.order_id)
        .collect();
    let mut orders: HashMap<i64, order::Model> = order::Entity::find()
        .filter(order::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    Ok(ids.iter().filter_map(|id| orders.remove(id)).collect())
}

pub async fn get_wave(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    wave_id: i64,
) -> AppResult<WaveView> {
    let wave = find_wave(db, workshop_id, wave_id).await?;
    let orders = wave_orders(db, wave.id).await?;
    let lines = lines_by_order(db, orders.iter().map(|o| o.id).collect()).await?;
    let skus = aggregate_skus(lines.values().flatten());
    let cancellation = cancellation_of(&wave);
    let orders = orders
        .into_iter()
        .map(|o| WaveOrderView {
            order_id: o.id,
            status: OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Cancelled),
            destination: Destination::of(o.pickup_point_id),
            pickup_point_id: o.pickup_point_id,
            storage: storage_of(lines.get(&o.id).map(Vec::as_slice).unwrap_or_default()),
        })
        .collect();
    Ok(WaveView {
        id: wave.id,
        workshop_id: wave.workshop_id,
        status: wave.status,
        ship_by: wave.ship_by,
        storage: wave.storage,
        destination: wave.destination,
        created_by: wave.created_by,
        created_at: wave.created_at,
        orders,
        skus,
        shortages: Vec::new(),
        cancellation,
    })
}

fn cancellation_of(wave: &pick_wave::Model) -> Option<WaveCancellation> {
    Some(WaveCancellation {
        cancelled_by: wave.cancelled_by?,
        cancelled_at: wave.cancelled_at?,
        reason: wave.cancel_reason.clone(),
    })
}

/// Lines summed by SKU: units still to ship and the number of orders.
fn aggregate_skus<'a>(lines: impl Iterator<Item = &'a order_line::Model>) -> Vec<WaveSkuView> {
    let mut by_sku: BTreeMap<i64, WaveSkuView> = BTreeMap::new();
    for line in lines {
        let entry = by_sku.entry(line.sku_id).or_insert_with(|| WaveSkuView {
            sku_id: line.sku_id,
            title: line.title.clone(),
            total_units: 0,
            orders: 0,
        });
        entry.total_units += (line.quantity - line.refunded_quantity) as i64;
        entry.orders += 1;
    }
    by_sku.into_values().collect()
}

/// The workshop's waves, newest first.
pub async fn list_waves(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    query: WaveQuery,
) -> AppResult<Page<WaveSummary>> {
    let page = PageQuery::resolve_parts(query.limit, query.cursor)?;
    let mut select = pick_wave::Entity::find()
        .filter(pick_wave::Column::WorkshopId.eq(workshop_id))
        .order_by_desc(pick_wave::Column::Id)
        .limit(page.limit + 1);
    if let Some(status) = query.status {
        select = select.filter(pick_wave::Column::Status.eq(status.as_str()));
    }
    if let Some(before) = page.after_id {
        select = select.filter(pick_wave::Column::Id.lt(before));
    }
    let waves = select.all(db).await?;
    let counts = order_counts(db, waves.iter().map(|w| w.id).collect()).await?;
    let page = Page::from_rows(waves, page, |w| w.id);
    Ok(page.map(|w| WaveSummary {
        order_count: counts.get(&w.id).copied().unwrap_or(0),
        id: w.id,
        status: w.status,
        ship_by: w.ship_by,
        storage: w.storage,
        destination: w.destination,
        created_at: w.created_at,
    }))
}

async fn order_counts(
    db: &impl ConnectionTrait,
    wave_ids: Vec<i64>,
) -> AppResult<HashMap<i64, i64>> {
    let mut counts = HashMap::new();
    let rows = pick_wave_order::Entity::find()
        .filter(pick_wave_order::Column::WaveId.is_in(wave_ids))
        .all(db)
        .await?;
    for row in rows {
        *counts.entry(row.wave_id).or_insert(0) += 1;
    }
    Ok(counts)
}
