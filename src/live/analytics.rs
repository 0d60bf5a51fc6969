//! Live analytics: per session (GMV, orders, units, buyers, conversion, per
//! item, per deal, per minute) and per workshop (sessions, viewers, units,
//! sales by streamer and by month). Computed from paid orders, the truth.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::find_in_workshop;
use crate::entity::{live_session, order, order_line};
use crate::error::AppResult;
use crate::state::AppState;

/// Sales figures of a set of paid orders. Money in fen.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct Figures {
    /// Paid amount, before refunds.
    pub gmv_fen: i64,
    /// Paid minus refunded.
    pub net_fen: i64,
    pub orders: i64,
    /// Units sold and not refunded.
    pub units: i64,
    pub unique_buyers: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyedFigures {
    pub key: String,
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAnalytics {
    pub session_id: i64,
    pub totals: Figures,
    /// `signed_in_viewers + anonymous_viewers`.
    pub unique_viewers: i64,
    /// Distinct signed-in accounts: real reach.
    pub signed_in_viewers: i64,
    /// Distinct anonymous devices, at most a few per client address.
    pub anonymous_viewers: i64,
    pub peak_viewers: i64,
    /// Unique buyers per 10,000 unique viewers.
    pub conversion_bp: i64,
    /// By SKU (`sku:12`).
    pub per_item: Vec<KeyedFigures>,
    /// By deal (`deal:7`); orders outside deals are not listed here.
    pub per_deal: Vec<KeyedFigures>,
    /// By minute of payment (RFC 3339, UTC).
    pub per_minute: Vec<KeyedFigures>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// Sessions scheduled at or after (default: 1 year ago).
    pub from: Option<DateTime<Utc>>,
    /// Sessions scheduled before (default: now + 1 day).
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkshopLiveAnalytics {
    pub workshop_id: i64,
    /// Sessions that went live in the range (the seed report's 开播次数).
    pub broadcasts: i64,
    /// Sum of each session's unique viewers (观看人数).
    pub total_viewers: i64,
    /// Of those, signed-in accounts …
    pub signed_in_viewers: i64,
    /// … and anonymous devices.
    pub anonymous_viewers: i64,
    pub peak_viewers: i64,
    pub totals: Figures,
    /// By streamer account (`streamer:5`).
    pub per_streamer: Vec<KeyedFigures>,
    /// By month of payment (`2026-11`).
    pub per_month: Vec<KeyedFigures>,
}

struct Sale {
    order: order::Model,
    units: i64,
    skus: Vec<(i64, i64, i64)>,
}

pub async fn session_analytics(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
) -> AppResult<SessionAnalytics> {
    let session = find_in_workshop(&state.db, workshop_id, session_id).await?;
    let sales = paid_sales(&state.db, order::Column::LiveSessionId.eq(session_id)).await?;
    let live = state.live.viewer_stats(session_id).await;
    let signed_in_viewers = session.signed_in_viewers.max(live.signed_in);
    let anonymous_viewers = session.anonymous_viewers.max(live.anonymous);
    let unique_viewers = signed_in_viewers + anonymous_viewers;
    let totals = figures(sales.iter());
    let conversion_bp = if unique_viewers > 0 {
        totals.unique_buyers * 10_000 / unique_viewers
    } else {
        0
    };
    let mut per_item: BTreeMap<String, Vec<&Sale>> = BTreeMap::new();
    for sale in &sales {
        for (sku, _, _) in &sale.skus {
            per_item.entry(format!("sku:{sku}")).or_default().push(sale);
        }
    }
    let per_item = per_item
        .into_iter()
        .map(|(key, group)| {
            let sku: i64 = key[4..].parse().unwrap_or(0);
            KeyedFigures {
                figures: item_figures(&group, sku),
                key,
            }
        })
        .collect();
    Ok(SessionAnalytics {
        session_id,
        totals,
        unique_viewers,
        signed_in_viewers,
        anonymous_viewers,
        peak_viewers: session.peak_viewers.max(live.peak),
        conversion_bp,
        per_item,
        per_deal: grouped(&sales, |s| s.order.deal_id.map(|d| format!("deal:{d}"))),
        per_minute: grouped(&sales, |s| s.order.paid_at.map(|t| minute(t).to_rfc3339())),
    })
}

pub async fn workshop_analytics(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    range: &RangeQuery,
) -> AppResult<WorkshopLiveAnalytics> {
    let from = range
        .from
        .unwrap_or_else(|| Utc::now() - Duration::days(365));
    let to = range.to.unwrap_or_else(|| Utc::now() + Duration::days(1));
    let sessions = live_session::Entity::find()
        .filter(live_session::Column::WorkshopId.eq(workshop_id))
        .filter(live_session::Column::ScheduledStartAt.gte(from))
        .filter(live_session::Column::ScheduledStartAt.lt(to))
        .filter(live_session::Column::StartedAt.is_not_null())
        .all(db)
        .await?;
    let ids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
    let sales = paid_sales(db, order::Column::LiveSessionId.is_in(ids)).await?;
    Ok(WorkshopLiveAnalytics {
        workshop_id,
        broadcasts: sessions.len() as i64,
        total_viewers: sessions.iter().map(|s| s.unique_viewers).sum(),
        signed_in_viewers: sessions.iter().map(|s| s.signed_in_viewers).sum(),
        anonymous_viewers: sessions.iter().map(|s| s.anonymous_viewers).sum(),
        peak_viewers: sessions.iter().map(|s| s.peak_viewers).max().unwrap_or(0),
        totals: figures(sales.iter()),
        per_streamer: grouped(&sales, |s| {
            s.order.streamer_id.map(|id| format!("streamer:{id}"))
        }),
        per_month: grouped(&sales, |s| {
            s.order
                .paid_at
                .map(|t| format!("{:04}-{:02}", t.year(), t.month()))
        }),
    })
}

/// Orders that were paid (whatever happened after), with their kept units.
async fn paid_sales(
    db: &impl ConnectionTrait,
    condition: sea_orm::sea_query::SimpleExpr,
) -> AppResult<Vec<Sale>> {
    let orders = order::Entity::find()
        .filter(condition)
        .filter(order::Column::PaidAt.is_not_null())
        .filter(order::Column::Status.ne("cancelled"))
        .all(db)
        .await?;
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let mut lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(ids))
        .all(db)
        .await?;
    Ok(orders
        .into_iter()
        .map(|order| {
            let mine: Vec<_> = lines.extract_if(.., |l| l.order_id == order.id).collect();
            let skus = mine
                .iter()
                .map(|l| {
                    (
                        (l.sku_id),
                        (l.quantity - l.refunded_quantity) as i64,
                        l.unit_price_fen * (l.quantity - l.refunded_quantity) as i64,
                    )
                })
                .collect();
            let units = mine
                .iter()
                .map(|l| (l.quantity - l.refunded_quantity) as i64)
                .sum();
            Sale { order, units, skus }
        })
        .collect())
}

fn figures<'a>(sales: impl Iterator<Item = &'a Sale>) -> Figures {
    let mut f = Figures::default();
    let mut buyers = HashSet::new();
    for sale in sales {
        f.gmv_fen += sale.order.paid_fen;
        f.net_fen += sale.order.paid_fen - sale.order.refunded_fen;
        f.orders += 1;
        f.units += sale.units;
        buyers.insert(sale.order.customer_id);
    }
    f.unique_buyers = buyers.len() as i64;
    f
}

/// Per item the money is the item's own lines, not the whole orders.
fn item_figures(sales: &[&Sale], sku: i64) -> Figures {
    let mut f = figures(sales.iter().copied());
    let (units, money) = sales
        .iter()
        .flat_map(|s| s.skus.iter().filter(|(id, _, _)| *id == sku))
        .fold((0, 0), |(u, m), (_, units, money)| (u + units, m + money));
    f.units = units;
    f.gmv_fen = money;
    f.net_fen = money;
    f
}

fn grouped(sales: &[Sale], key: impl Fn(&Sale) -> Option<String>) -> Vec<KeyedFigures> {
    let mut groups: BTreeMap<String, Vec<&Sale>> = BTreeMap::new();
    for sale in sales {
        if let Some(k) = key(sale) {
            groups.entry(k).or_default().push(sale);
        }
    }
    groups
        .into_iter()
        .map(|(key, group)| KeyedFigures {
            key,
            figures: figures(group.into_iter()),
        })
        .collect()
}

fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}
