//! Leader commission (团长佣金): append-only rows, an accrual when an order is
//! collected and a reversal when a collected order is refunded, so that an
//! order's rows always sum to rate × its net paid amount (rounded half up).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::model::{CommissionRow, CommissionStatement};
use super::tiers::commission;
use crate::auth::Role;
use crate::entity::{
    groupbuy_campaign, groupbuy_order, leader_commission, membership, order, pickup_point,
};
use crate::error::{AppError, AppResult};
use crate::orders::refunds::RefundObserver;

/// Books the commission of a just-collected order.
pub async fn accrue(
    db: &impl ConnectionTrait,
    point: &pickup_point::Model,
    joined: &groupbuy_order::Model,
    current: &order::Model,
) -> AppResult<()> {
    let rate = campaign_rate(db, joined.campaign_id).await?;
    let base = current.paid_fen - current.refunded_fen;
    insert(
        db,
        point,
        joined,
        "accrual",
        base,
        rate,
        commission(base, rate),
    )
    .await
}

/// Reverses commission when a collected order is refunded (installed as the
/// orders domain's refund observer).
pub struct CommissionReversal;

#[async_trait::async_trait]
impl RefundObserver for CommissionReversal {
    async fn refunded(&self, db: &DatabaseTransaction, order_id: i64) -> AppResult<()> {
        let Some(joined) = groupbuy_order::Entity::find()
            .filter(groupbuy_order::Column::OrderId.eq(order_id))
            .filter(groupbuy_order::Column::CollectedAt.is_not_null())
            .one(db)
            .await?
        else {
            return Ok(());
        };
        let current = order::Entity::find_by_id(order_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("order"))?;
        let point = pickup_point::Entity::find_by_id(joined.pickup_point_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("pickup point"))?;
        let rate = campaign_rate(db, joined.campaign_id).await?;
        let booked: i64 = leader_commission::Entity::find()
            .filter(leader_commission::Column::OrderId.eq(order_id))
            .all(db)
            .await?
            .iter()
            .map(|r| r.amount_fen)
            .sum();
        let base = current.paid_fen - current.refunded_fen;
        let delta = commission(base, rate) - booked;
        if delta < 0 {
            insert(db, &point, &joined, "reversal", base, rate, delta).await?;
        }
        Ok(())
    }
}

/// A leader's rows in one UTC month, with totals.
/// Someone who is not a leader of this workshop has no statement here (404),
/// rather than an empty one that would look like a real leader's.
async fn ensure_leader_of(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    leader_id: i64,
) -> AppResult<()> {
    membership::Entity::find()
        .filter(membership::Column::WorkshopId.eq(workshop_id))
        .filter(membership::Column::AccountId.eq(leader_id))
        .filter(membership::Column::Role.eq(Role::Leader.as_str()))
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::not_found("leader"))
}

pub async fn statement(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    leader_id: i64,
    month: &str,
) -> AppResult<CommissionStatement> {
    let (from, to) = month_bounds(month)?;
    ensure_leader_of(db, workshop_id, leader_id).await?;
    let rows = leader_commission::Entity::find()
        .filter(leader_commission::Column::WorkshopId.eq(workshop_id))
        .filter(leader_commission::Column::LeaderId.eq(leader_id))
        .filter(leader_commission::Column::CreatedAt.gte(from))
        .filter(leader_commission::Column::CreatedAt.lt(to))
        .order_by_asc(leader_commission::Column::Id)
        .all(db)
        .await?;
    let accrued = rows
        .iter()
        .filter(|r| r.amount_fen > 0)
        .map(|r| r.amount_fen)
        .sum();
    let reversed: i64 = rows
        .iter()
        .filter(|r| r.amount_fen < 0)
        .map(|r| -r.amount_fen)
        .sum();
    Ok(CommissionStatement {
        leader_id,
        month: month.to_owned(),
        accrued_fen: accrued,
        reversed_fen: reversed,
        total_fen: accrued - reversed,
        rows: rows.into_iter().map(row_view).collect(),
    })
}

fn month_bounds(month: &str) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let invalid = || AppError::invalid("month", "must be YYYY-MM");
    let first =
        NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| invalid())?;
    if month.len() != 7 {
        return Err(invalid());
    }
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(invalid)?;
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(invalid)
    };
    Ok((start(first)?, start(next)?))
}

async fn campaign_rate(db: &impl ConnectionTrait, campaign_id: i64) -> AppResult<i32> {
    Ok(groupbuy_campaign::Entity::find_by_id(campaign_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("campaign"))?
        .commission_bps)
}

async fn insert(
    db: &impl ConnectionTrait,
    point: &pickup_point::Model,
    joined: &groupbuy_order::Model,
    kind: &str,
    base: i64,
    rate: i32,
    amount: i64,
) -> AppResult<()> {
    leader_commission::ActiveModel {
        workshop_id: Set(point.workshop_id),
        leader_id: Set(point.leader_id),
        pickup_point_id: Set(point.id),
        campaign_id: Set(joined.campaign_id),
        order_id: Set(joined.order_id),
        kind: Set(kind.to_owned()),
        base_fen: Set(base),
        rate_bps: Set(rate),
        amount_fen: Set(amount),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn row_view(r: leader_commission::Model) -> CommissionRow {
    CommissionRow {
        id: r.id,
        order_id: r.order_id,
        campaign_id: r.campaign_id,
        pickup_point_id: r.pickup_point_id,
        kind: r.kind,
        base_fen: r.base_fen,
        rate_bps: r.rate_bps,
        amount_fen: r.amount_fen,
        created_at: r.created_at,
    }
}
