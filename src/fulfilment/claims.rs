//! After-sales claims (售后): customers claim lines of a delivered order within
//! a window; staff approve with a refund (through orders::refunds, so refunds
//! never exceed what was paid) or a zero-price reship, or reject with a reason.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::claim_model::{
    ApproveClaimRequest, ClaimLineRequest, ClaimLineView, ClaimQuery, ClaimView, OpenClaimRequest,
    RejectClaimRequest, Resolution,
};
use super::reship;
use super::shipping::order_lines;
use crate::entity::{claim, claim_line, order, order_event, order_line, product};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::model::RefundLineRequest;
use crate::orders::queries::{Viewer, find_order};
use crate::orders::refunds::refund_in;
use crate::orders::status::OrderStatus;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::sql::changed;
use crate::platform::validate::Check;
use crate::platform::{db, outbox};
use crate::state::AppState;

const MAX_PHOTOS: usize = 6;
/// Products keeping at most this long count as perishable.
const PERISHABLE_SHELF_DAYS: i32 = 30;

pub async fn open_claim(
    state: &AppState,
    customer_id: i64,
    order_id: i64,
    request: OpenClaimRequest,
) -> AppResult<ClaimView> {
    let order = find_order(&state.db, Viewer::Customer(customer_id), order_id).await?;
    let lines = order_lines(&state.db, order.id).await?;
    check_claim(&request, &lines)?;
    let claimed: Vec<&order_line::Model> = lines
        .iter()
        .filter(|l| request.lines.iter().any(|c| c.line_id == l.id))
        .collect();
    check_window(state, &order, &claimed).await?;
    let txn = db::begin_write(&state.db).await?;
    if has_open_claim(&txn, order.id).await? {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "this order already has an open claim",
        ));
    }
    let row = insert_claim(&txn, &order, &request).await?;
    for line in &request.lines {
        claim_line::ActiveModel {
            claim_id: Set(row.id),
            order_line_id: Set(line.line_id),
            quantity: Set(line.quantity),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let data = json!({"claim_id": row.id, "order_id": order.id, "reason": row.reason});
    outbox::enqueue(
        &txn,
        order.workshop_id,
        "claim.opened",
        &claim_key(row.id),
        &data,
    )
    .await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    claim_view(&state.db, row).await
}

fn check_claim(request: &OpenClaimRequest, lines: &[order_line::Model]) -> AppResult<()> {
    let mut check = Check::new();
    check.text("description", &request.description, 0, 1000);
    if request.lines.is_empty() || request.lines.len() > lines.len() {
        check.fail("lines", "name one or more lines of the order, each once");
    }
    check_lines(&mut check, &request.lines, |id| {
        lines.iter().find(|l| l.id == id).map(|l| l.quantity.into())
    });
    if request.photos.len() > MAX_PHOTOS {
        check.fail("photos", format!("at most {MAX_PHOTOS} photos"));
    }
    for (i, url) in request.photos.iter().enumerate() {
        let field = format!("photos[{i}]");
        check.text(&field, url, 1, 500);
        if !url.starts_with("https://") && !url.starts_with("http://") {
            check.fail(&field, "must be an http(s) URL");
        }
    }
    check.finish()
}

/// Each named line exists (its limit from `limit_of`), once, with a quantity in range.
fn check_lines(
    check: &mut Check,
    wanted: &[ClaimLineRequest],
    limit_of: impl Fn(i64) -> Option<i64>,
) {
    for (i, line) in wanted.iter().enumerate() {
        let field = format!("lines[{i}]");
        match limit_of(line.line_id) {
            None => {
                check.fail(
                    &format!("{field}.line_id"),
                    "not a line of this claim's order",
                );
            }
            Some(limit) => {
                check.range(&format!("{field}.quantity"), line.quantity, 1, limit);
            }
        }
        if wanted[..i].iter().any(|w| w.line_id == line.line_id) {
            check.fail(&format!("{field}.line_id"), "named twice");
        }
    }
}

/// Claims open after delivery, for 48 h (perishables) or the longer window.
async fn check_window(
    state: &AppState,
    order: &order::Model,
    claimed: &[&order_line::Model],
) -> AppResult<()> {
    let delivered_at = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order.id))
        .filter(order_event::Column::ToStatus.eq(OrderStatus::Delivered.as_str()))
        .order_by_desc(order_event::Column::Id)
        .one(&state.db)
        .await?
        .map(|e| e.created_at);
    let status = OrderStatus::parse(&order.status);
    let delivered = matches!(
        status,
        Some(OrderStatus::Delivered | OrderStatus::Completed)
    );
    let Some(delivered_at) = delivered_at.filter(|_| delivered) else {
        return Err(AppError::new(
            ErrorCode::InvalidTransition,
            "a claim can be opened once the order is delivered",
        ));
    };
    let settings = &state.settings.fulfilment;
    let hours = if is_perishable(&state.db, claimed).await? {
        settings.perishable_claim_window_hours
    } else {
        settings.claim_window_hours
    };
    if Utc::now() > delivered_at + Duration::hours(hours) {
        return Err(AppError::new(
            ErrorCode::ClaimWindowClosed,
            format!("claims close {hours} hours after delivery"),
        ));
    }
    Ok(())
}

async fn is_perishable(db: &impl ConnectionTrait, lines: &[&order_line::Model]) -> AppResult<bool> {
    if lines.iter().any(|l| l.storage != "ambient") {
        return Ok(true);
    }
    let products = product::Entity::find()
        .filter(product::Column::Id.is_in(lines.iter().map(|l| l.product_id)))
        .all(db)
        .await?;
    Ok(products.iter().any(|p| {
        p.shelf_life_days
            .is_some_and(|d| d <= PERISHABLE_SHELF_DAYS)
    }))
}

async fn has_open_claim(db: &impl ConnectionTrait, order_id: i64) -> AppResult<bool> {
    Ok(claim::Entity::find()
        .filter(claim::Column::OrderId.eq(order_id))
        .filter(claim::Column::Status.eq("open"))
        .one(db)
        .await?
        .is_some())
}

async fn insert_claim(
    db: &impl ConnectionTrait,
    order: &order::Model,
    request: &OpenClaimRequest,
) -> AppResult<claim::Model> {
    Ok(claim::ActiveModel {
        workshop_id: Set(order.workshop_id),
        order_id: Set(order.id),
        customer_id: Set(order.customer_id),
        reason: Set(request.reason.as_str().to_owned()),
        photos: Set(json!(request.photos).to_string()),
        description: Set(request.description.clone()),
        status: Set("open".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn approve_claim(
    state: &AppState,
    workshop_id: i64,
    claim_id: i64,
    actor_id: i64,
    request: ApproveClaimRequest,
) -> AppResult<ClaimView> {
    let row = find_claim(&state.db, Viewer::Workshop(workshop_id), claim_id).await?;
    let claimed = claim_lines(&state.db, row.id).await?;
    let lines = chosen_lines(&claimed, request.lines.as_deref())?;
    let order = find_order(&state.db, Viewer::Workshop(workshop_id), row.order_id).await?;
    let txn = db::begin_write(&state.db).await?;
    settle(&txn, row.id, "approved", actor_id).await?;
    let reason = format!("after-sales claim {}", row.id);
    let (refund_fen, reship_order_id) = match request.resolution {
        Resolution::Refund => {
            let refund =
                refund_in(state, &txn, &order, Some(&lines), &reason, Some(actor_id)).await?;
            (Some(refund.amount_fen), None)
        }
        Resolution::Reship => {
            let replacement = reship::place(state, &txn, &order, &lines, &reason, actor_id).await?;
            (None, Some(replacement))
        }
    };
    changed(
        &txn,
        "UPDATE claims SET resolution = $1, refund_fen = $2, reship_order_id = $3 WHERE id = $4",
        vec![
            request.resolution.as_str().into(),
            refund_fen.into(),
            reship_order_id.into(),
            row.id.into(),
        ],
    )
    .await?;
    resolved_event(
        &txn,
        &row,
        "approved",
        json!({"resolution": request.resolution.as_str(),
        "refund_fen": refund_fen, "reship_order_id": reship_order_id}),
    )
    .await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    let row = find_claim(&state.db, Viewer::Workshop(workshop_id), claim_id).await?;
    claim_view(&state.db, row).await
}

/// The units to resolve: all claimed, or a part of them.
fn chosen_lines(
    claimed: &[claim_line::Model],
    wanted: Option<&[ClaimLineRequest]>,
) -> AppResult<Vec<RefundLineRequest>> {
    let Some(wanted) = wanted else {
        return Ok(claimed
            .iter()
            .map(|c| RefundLineRequest {
                line_id: c.order_line_id,
                quantity: c.quantity,
            })
            .collect());
    };
    let mut check = Check::new();
    if wanted.is_empty() {
        check.fail("lines", "name at least one claimed line, or omit lines");
    }
    check_lines(&mut check, wanted, |id| {
        claimed
            .iter()
            .find(|c| c.order_line_id == id)
            .map(|c| c.quantity)
    });
    check.finish()?;
    Ok(wanted
        .iter()
        .map(|w| RefundLineRequest {
            line_id: w.line_id,
            quantity: w.quantity,
        })
        .collect())
}

pub async fn reject_claim(
    state: &AppState,
    workshop_id: i64,
    claim_id: i64,
    actor_id: i64,
    request: RejectClaimRequest,
) -> AppResult<ClaimView> {
    Check::new()
        .text("reason", &request.reason, 1, 200)
        .finish()?;
    let row = find_claim(&state.db, Viewer::Workshop(workshop_id), claim_id).await?;
    let txn = db::begin_write(&state.db).await?;
    settle(&txn, row.id, "rejected", actor_id).await?;
    changed(
        &txn,
        "UPDATE claims SET reject_reason = $1 WHERE id = $2",
        vec![request.reason.clone().into(), row.id.into()],
    )
    .await?;
    resolved_event(&txn, &row, "rejected", json!({"reason": request.reason})).await?;
    txn.commit().await?;
    outbox::committed(&state.bus).await;
    let row = find_claim(&state.db, Viewer::Workshop(workshop_id), claim_id).await?;
    claim_view(&state.db, row).await
}

/// Open → `status`, once: a second resolution of the same claim is 409.
async fn settle(
    db: &impl ConnectionTrait,
    claim_id: i64,
    status: &str,
    actor_id: i64,
) -> AppResult<()> {
    let settled = changed(
        db,
        "UPDATE claims SET status = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4 AND status = 'open'",
        vec![status.into(), actor_id.into(), Utc::now().into(), claim_id.into()],
    )
    .await?;
    if settled {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::InvalidTransition,
            "the claim is already resolved",
        ))
    }
}

async fn resolved_event(
    db: &impl ConnectionTrait,
    row: &claim::Model,
    status: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    let data =
        json!({"claim_id": row.id, "order_id": row.order_id, "status": status, "details": details});
    outbox::enqueue(
        db,
        row.workshop_id,
        "claim.resolved",
        &claim_key(row.id),
        &data,
    )
    .await?;
    Ok(())
}

fn claim_key(claim_id: i64) -> String {
    format!("claim:{claim_id}")
}

pub async fn find_claim(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    claim_id: i64,
) -> AppResult<claim::Model> {
    let query = claim::Entity::find_by_id(claim_id);
    let query = match viewer {
        Viewer::Customer(id) => query.filter(claim::Column::CustomerId.eq(id)),
        Viewer::Workshop(id) => query.filter(claim::Column::WorkshopId.eq(id)),
    };
    query
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("claim"))
}

async fn claim_lines(
    db: &impl ConnectionTrait,
    claim_id: i64,
) -> AppResult<Vec<claim_line::Model>> {
    Ok(claim_line::Entity::find()
        .filter(claim_line::Column::ClaimId.eq(claim_id))
        .order_by_asc(claim_line::Column::Id)
        .all(db)
        .await?)
}

/// A customer's claims on one of their orders.
pub async fn order_claims(
    db: &impl ConnectionTrait,
    customer_id: i64,
    order_id: i64,
) -> AppResult<Vec<ClaimView>> {
    find_order(db, Viewer::Customer(customer_id), order_id).await?;
    let rows = claim::Entity::find()
        .filter(claim::Column::OrderId.eq(order_id))
        .order_by_asc(claim::Column::Id)
        .all(db)
        .await?;
    claim_views(db, rows).await
}

/// The workshop's claims, oldest first, optionally by status.
pub async fn list_claims(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    query: ClaimQuery,
) -> AppResult<Page<ClaimView>> {
    let page = PageQuery::resolve_parts(query.limit, query.cursor)?;
    let mut select = claim::Entity::find().filter(claim::Column::WorkshopId.eq(workshop_id));
    if let Some(status) = query.status {
        select = select.filter(claim::Column::Status.eq(status.as_str()));
    }
    let rows = page.keyset(select, claim::Column::Id).all(db).await?;
    let page = Page::from_rows(rows, page, |c| c.id);
    let items = claim_views(db, page.items).await?;
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

async fn claim_views(
    db: &impl ConnectionTrait,
    rows: Vec<claim::Model>,
) -> AppResult<Vec<ClaimView>> {
    let mut lines: HashMap<i64, Vec<claim_line::Model>> = HashMap::new();
    let all = claim_line::Entity::find()
        .filter(claim_line::Column::ClaimId.is_in(rows.iter().map(|r| r.id)))
        .order_by_asc(claim_line::Column::Id)
        .all(db)
        .await?;
    for line in all {
        lines.entry(line.claim_id).or_default().push(line);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = lines.remove(&row.id).unwrap_or_default();
            to_view(row, own)
        })
        .collect())
}

async fn claim_view(db: &impl ConnectionTrait, row: claim::Model) -> AppResult<ClaimView> {
    let lines = claim_lines(db, row.id).await?;
    Ok(to_view(row, lines))
}

fn to_view(row: claim::Model, lines: Vec<claim_line::Model>) -> ClaimView {
    ClaimView {
        id: row.id,
        workshop_id: row.workshop_id,
        order_id: row.order_id,
        customer_id: row.customer_id,
        reason: row.reason,
        photos: serde_json::from_str(&row.photos).unwrap_or_default(),
        description: row.description,
        status: row.status,
        lines: lines
            .into_iter()
            .map(|l| ClaimLineView {
                line_id: l.order_line_id,
                quantity: l.quantity,
            })
            .collect(),
        resolution: row.resolution,
        refund_fen: row.refund_fen,
        reship_order_id: row.reship_order_id,
        reject_reason: row.reject_reason,
        created_at: row.created_at,
        resolved_at: row.resolved_at,
    }
}

/// Claimed line ids of the workshop's non-rejected claims, with whether approved.
pub async fn claimed_lines(
    db: &impl ConnectionTrait,
    workshop_id: i64,
) -> AppResult<Vec<(i64, i64, bool)>> {
    let claims: HashMap<i64, bool> = claim::Entity::find()
        .filter(claim::Column::WorkshopId.eq(workshop_id))
        .filter(claim::Column::Status.ne("rejected"))
        .select_only()
        .column(claim::Column::Id)
        .column(claim::Column::Status)
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, status)| (id, status == "approved"))
        .collect();
    let lines = claim_line::Entity::find()
        .filter(claim_line::Column::ClaimId.is_in(claims.keys().copied()))
        .all(db)
        .await?;
    Ok(lines
        .into_iter()
        .map(|l| {
            let approved = claims.get(&l.claim_id).copied().unwrap_or(false);
            (l.claim_id, l.order_line_id, approved)
        })
        .collect())
}
