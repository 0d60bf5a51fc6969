//! Reading orders: a customer's own, a workshop's with filters, one order
//! with its lines, and its history. Ownership is part of every query.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::model::{OrderEventView, OrderView, StaffOrderFilter};
use super::service::{line_view, order_view};
use crate::entity::{order, order_event, order_line};
use crate::error::{AppError, AppResult};
use crate::platform::pagination::{Page, PageRequest};

/// Who is asking: a customer sees only their orders, staff only their workshop's.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    Customer(i64),
    Workshop(i64),
}

pub async fn find_order(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    order_id: i64,
) -> AppResult<order::Model> {
    let query = order::Entity::find_by_id(order_id);
    let query = match viewer {
        Viewer::Customer(id) => query.filter(order::Column::CustomerId.eq(id)),
        Viewer::Workshop(id) => query.filter(order::Column::WorkshopId.eq(id)),
    };
    query
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("order"))
}

pub async fn get_order(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    order_id: i64,
) -> AppResult<OrderView> {
    let order = find_order(db, viewer, order_id).await?;
    with_lines(db, vec![order]).await.map(|mut v| v.remove(0))
}

pub async fn order_history(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    order_id: i64,
) -> AppResult<Vec<OrderEventView>> {
    find_order(db, viewer, order_id).await?;
    let events = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order_id))
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?;
    Ok(events
        .into_iter()
        .map(|e| OrderEventView {
            from_status: e.from_status,
            to_status: e.to_status,
            actor_id: e.actor_id,
            reason: e.reason,
            created_at: e.created_at,
        })
        .collect())
}

pub async fn list_for_customer(
    db: &impl ConnectionTrait,
    customer_id: i64,
    page: PageRequest,
) -> AppResult<Page<OrderView>> {
    let query = order::Entity::find().filter(order::Column::CustomerId.eq(customer_id));
    list(db, query, page).await
}

pub async fn list_for_workshop(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    filter: &StaffOrderFilter,
    page: PageRequest,
) -> AppResult<Page<OrderView>> {
    let mut query = order::Entity::find().filter(order::Column::WorkshopId.eq(workshop_id));
    if let Some(status) = filter.status {
        query = query.filter(order::Column::Status.eq(status.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(order::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(order::Column::CreatedAt.lt(to));
    }
    if let Some(session) = filter.live_session_id {
        query = query.filter(order::Column::LiveSessionId.eq(session));
    }
    if let Some(sku_id) = filter.sku_id {
        let with_sku = order_line::Entity::find()
            .select_only()
            .column(order_line::Column::OrderId)
            .filter(order_line::Column::SkuId.eq(sku_id))
            .into_query();
        query = query.filter(order::Column::Id.in_subquery(with_sku));
    }
    list(db, query, page).await
}

/// Newest first; the cursor is the last id seen.
async fn list(
    db: &impl ConnectionTrait,
    mut query: sea_orm::Select<order::Entity>,
    page: PageRequest,
) -> AppResult<Page<OrderView>> {
    if let Some(before) = page.after_id {
        query = query.filter(order::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(order::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let page = Page::from_rows(rows, page, |o| o.id);
    Ok(Page {
        items: with_lines(db, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

pub async fn with_lines(
    db: &impl ConnectionTrait,
    orders: Vec<order::Model>,
) -> AppResult<Vec<OrderView>> {
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let mut lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(ids))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?;
    Ok(orders
        .into_iter()
        .map(|o| {
            let mine: Vec<_> = lines
                .extract_if(.., |l| l.order_id == o.id)
                .map(line_view)
                .collect();
            order_view(o, mine)
        })
        .collect())
}
