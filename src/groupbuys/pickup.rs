//! Pickup (提货): six-digit codes unique per point and day, the leader's
//! pickup list, code verification (rate-limited per leader and point) that
//! marks a dispatched order collected, and residents' view of their own codes.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::commission;
use super::model::{PickupListEntry, PickupOrderView};
use super::points::find_point;
use super::settlement::READY;
use crate::entity::{account, groupbuy_order, order, pickup_point};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::model::OrderView;
use crate::orders::queries::with_lines;
use crate::orders::service::{resource_key, transition};
use crate::orders::status::OrderStatus;
use crate::platform::pagination::{Page, PageRequest};
use crate::platform::sql::changed;
use crate::platform::{db, outbox};
use crate::state::AppState;

/// A code not yet given at this point on this day (the unique index is the
/// last word if two settlements pick the same one at once).
pub async fn free_code(
    db: &impl ConnectionTrait,
    point_id: i64,
    date: NaiveDate,
) -> AppResult<String> {
    for _ in 0..50 {
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let taken = groupbuy_order::Entity::find()
            .filter(groupbuy_order::Column::PickupPointId.eq(point_id))
            .filter(groupbuy_order::Column::PickupDate.eq(date))
            .filter(groupbuy_order::Column::PickupCode.eq(code.as_str()))
            .one(db)
            .await?
            .is_some();
        if !taken {
            return Ok(code);
        }
    }
    Err(AppError::unavailable("no free pickup code; retry"))
}

/// Who is looking at pickup lists: a leader sees only their own points.
#[derive(Debug, Clone, Copy)]
pub enum Desk {
    Leader(i64),
    Manager,
}

pub async fn pickup_list(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    desk: Desk,
    date: NaiveDate,
    only_point: Option<i64>,
) -> AppResult<Vec<PickupListEntry>> {
    let mut points = super::points::points_of_workshop(db, workshop_id).await?;
    points.retain(|p| match desk {
        Desk::Leader(id) => p.leader_id == id,
        Desk::Manager => true,
    });
    if let Some(wanted) = only_point {
        points.retain(|p| p.id == wanted);
        if points.is_empty() {
            return Err(AppError::not_found("pickup point"));
        }
    }
    let joined = groupbuy_order::Entity::find()
        .filter(groupbuy_order::Column::PickupPointId.is_in(points.iter().map(|p| p.id)))
        .filter(groupbuy_order::Column::PickupDate.eq(date))
        .filter(groupbuy_order::Column::Settlement.eq(READY))
        .order_by_asc(groupbuy_order::Column::Id)
        .all(db)
        .await?;
    entries(db, joined).await
}

async fn entries(
    db: &impl ConnectionTrait,
    joined: Vec<groupbuy_order::Model>,
) -> AppResult<Vec<PickupListEntry>> {
    let orders = orders_by_id(db, joined.iter().map(|j| j.order_id).collect()).await?;
    let customers: HashMap<i64, account::Model> = account::Entity::find()
        .filter(account::Column::Id.is_in(joined.iter().map(|j| j.customer_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(joined
        .into_iter()
        .filter_map(|j| {
            let order = orders.get(&j.order_id)?.clone();
            let who = customers.get(&j.customer_id);
            Some(PickupListEntry {
                order_id: j.order_id,
                pickup_point_id: j.pickup_point_id,
                customer_name: who.map(|a| a.name.clone()).unwrap_or_default(),
                customer_phone: who.map(|a| mask_phone(&a.phone)).unwrap_or_default(),
                status: order.status,
                pickup_code: j.pickup_code,
                collected: j.collected_at.is_some(),
                collected_at: j.collected_at,
                lines: order.lines,
            })
        })
        .collect())
}

/// The point's leader checks a resident's code: the dispatched order becomes
/// delivered, the leader's commission accrues. Wrong codes are counted per
/// leader and point; too many within the window answer 429.
pub async fn verify(
    state: &AppState,
    workshop_id: i64,
    leader_id: i64,
    point_id: i64,
    code: &str,
) -> AppResult<PickupListEntry> {
    let point = find_point(&state.db, workshop_id, point_id).await?;
    if point.leader_id != leader_id {
        return Err(AppError::not_found("pickup point"));
    }
    let limiter = VerifyLimiter::new(state, leader_id, point_id);
    limiter.check().await?;
    let Some(joined) = find_by_code(&state.db, point_id, code).await? else {
        limiter.record_failure().await;
        return Err(AppError::new(
            ErrorCode::InvalidPickupCode,
            "no order awaiting collection here has this code",
        ));
    };
    collect(state, &point, &joined, leader_id).await?;
    let mut listed = entries(&state.db, vec![reload(&state.db, joined.id).await?]).await?;
    listed.pop().ok_or_else(|| AppError::not_found("order"))
}

/// The order awaiting collection with this code (earliest pickup day first),
/// else a collected one (so the leader hears "already collected").
async fn find_by_code(
    db: &impl ConnectionTrait,
    point_id: i64,
    code: &str,
) -> AppResult<Option<groupbuy_order::Model>> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let with_code = || {
        groupbuy_order::Entity::find()
            .filter(groupbuy_order::Column::PickupPointId.eq(point_id))
            .filter(groupbuy_order::Column::PickupCode.eq(code))
            .filter(groupbuy_order::Column::Settlement.eq(READY))
            .order_by_asc(groupbuy_order::Column::PickupDate)
    };
    let waiting = with_code()
        .filter(groupbuy_order::Column::CollectedAt.is_null())
        .one(db)
        .await?;
    match waiting {
        Some(found) => Ok(Some(found)),
        None => Ok(with_code().one(db).await?),
    }
}

/// Shipped → delivered, collected_at, commission and event in one transaction.
async fn collect(
    state: &AppState,
    point: &pickup_point::Model,
    joined: &groupbuy_order::Model,
    leader_id: i64,
) -> AppResult<()> {
    if joined.collected_at.is_some() {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "this order has already been collected",
        ));
    }
    let txn = db::begin_write(&state.db).await?;
    let moved = transition(
        &txn,
        joined.order_id,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        Some(leader_id),
        "collected at the pickup point",
    )
    .await?;
    if !moved {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "the order has not been dispatched to this pickup point yet",
        ));
    }
    changed(
        &txn,
        "UPDATE groupbuy_orders SET collected_at = $1 WHERE id = $2 AND collected_at IS NULL",
        vec![Utc::now().into(), joined.id.into()],
    )
    .await?;
    let current = order::Entity::find_by_id(joined.order_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    commission::accrue(&txn, point, joined, &current).await?;
    let data = json!({"order_id": current.id, "campaign_id": joined.campaign_id,
        "pickup_point_id": point.id, "leader_id": leader_id});
    let key = resource_key(current.id);
    outbox::enqueue(&txn, current.workshop_id, "order.collected", &key, &data).await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    Ok(())
}

/// A resident's own group-buy orders, newest first.
pub async fn my_orders(
    db: &impl ConnectionTrait,
    customer_id: i64,
    page: PageRequest,
) -> AppResult<Page<PickupOrderView>> {
    let mut query = groupbuy_order::Entity::find()
        .filter(groupbuy_order::Column::CustomerId.eq(customer_id))
        .order_by_desc(groupbuy_order::Column::Id);
    if let Some(before) = page.after_id {
        query = query.filter(groupbuy_order::Column::Id.lt(before));
    }
    use sea_orm::QuerySelect;
    let rows = query.limit(page.limit + 1).all(db).await?;
    let page = Page::from_rows(rows, page, |j| j.id);
    Ok(Page {
        items: resident_views(db, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// One of the caller's group-buy orders (another resident's is 404).
pub async fn my_order(
    db: &impl ConnectionTrait,
    customer_id: i64,
    order_id: i64,
) -> AppResult<PickupOrderView> {
    let joined = groupbuy_order::Entity::find()
        .filter(groupbuy_order::Column::OrderId.eq(order_id))
        .filter(groupbuy_order::Column::CustomerId.eq(customer_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("order"))?;
    let mut views = resident_views(db, vec![joined]).await?;
    views.pop().ok_or_else(|| AppError::not_found("order"))
}

async fn resident_views(
    db: &impl ConnectionTrait,
    joined: Vec<groupbuy_order::Model>,
) -> AppResult<Vec<PickupOrderView>> {
    let orders = orders_by_id(db, joined.iter().map(|j| j.order_id).collect()).await?;
    let points: HashMap<i64, pickup_point::Model> = pickup_point::Entity::find()
        .filter(pickup_point::Column::Id.is_in(joined.iter().map(|j| j.pickup_point_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(joined
        .into_iter()
        .filter_map(|j| {
            let order = orders.get(&j.order_id)?.clone();
            Some(PickupOrderView {
                order_id: j.order_id,
                campaign_id: j.campaign_id,
                status: order.status,
                pickup_point_id: j.pickup_point_id,
                pickup_point_name: points
                    .get(&j.pickup_point_id)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                pickup_date: j.pickup_date,
                pickup_code: j.pickup_code,
                collected_at: j.collected_at,
                paid_fen: order.paid_fen,
                refunded_fen: order.refunded_fen,
                lines: order.lines,
            })
        })
        .collect())
}

async fn orders_by_id(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, OrderView>> {
    let rows = order::Entity::find()
        .filter(order::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(with_lines(db, rows)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect())
}

async fn reload(db: &impl ConnectionTrait, id: i64) -> AppResult<groupbuy_order::Model> {
    groupbuy_order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("order"))
}

/// 13812345678 → 138****5678.
fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (&chars[..3], &chars[chars.len() - 4..]);
    format!(
        "{}****{}",
        head.iter().collect::<String>(),
        tail.iter().collect::<String>()
    )
}

/// Wrong-code counter per leader and point, shared through the cache (Redis,
/// or this process when Redis is absent or down), like the login limiter.
struct VerifyLimiter<'a> {
    state: &'a AppState,
    key: String,
    window: Duration,
}

impl<'a> VerifyLimiter<'a> {
    fn new(state: &'a AppState, leader_id: i64, point_id: i64) -> Self {
        Self {
            state,
            key: format!("groupbuy:verify:{leader_id}:{point_id}"),
            window: Duration::from_secs(state.settings.groupbuys.verify_window_secs.max(1)),
        }
    }

    async fn check(&self) -> AppResult<()> {
        let seen = self.state.cache.peek(&self.key, self.window).await;
        if seen.count >= self.state.settings.groupbuys.verify_failures {
            return Err(AppError::rate_limited(seen.resets_in_secs));
        }
        Ok(())
    }

    async fn record_failure(&self) {
        self.state.cache.hit(&self.key, self.window).await;
    }
}
