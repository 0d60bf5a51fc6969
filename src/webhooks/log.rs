//! The delivery log and the manual actions on it: list and inspect deliveries,
//! redeliver one, send a test event, and list the workshop's events.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use super::events::TEST_EVENT;
use super::model::{
    AttemptView, DeliveryDetail, DeliveryStatus, DeliveryView, EventView, WebhookEvent,
};
use super::service::find_endpoint;
use crate::entity::{outbox, webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::db::begin_write;
use crate::platform::outbox::{committed, enqueue};
use crate::platform::pagination::{Page, PageRequest};
use crate::state::AppState;

/// An endpoint's deliveries, newest first.
pub async fn list_deliveries(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    endpoint_id: i64,
    status: Option<DeliveryStatus>,
    page: PageRequest,
) -> AppResult<Page<DeliveryView>> {
    use webhook_delivery::Column as D;
    find_endpoint(db, workshop_id, endpoint_id).await?;
    let mut query = webhook_delivery::Entity::find()
        .filter(D::EndpointId.eq(endpoint_id))
        .order_by_desc(D::Id);
    if let Some(status) = status {
        query = query.filter(D::Status.eq(status.as_str()));
    }
    if let Some(before) = page.after_id {
        query = query.filter(D::Id.lt(before));
    }
    let rows = query.limit(page.limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, page, |d| d.id).map(DeliveryView::from))
}

/// One delivery with the event as sent and its attempts, most recent first.
pub async fn get_delivery(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    endpoint_id: i64,
    delivery_id: i64,
) -> AppResult<DeliveryDetail> {
    let delivery = find_delivery(db, workshop_id, endpoint_id, delivery_id).await?;
    let event = outbox::Entity::find_by_id(delivery.outbox_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("event"))?;
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(delivery.id))
        .order_by_desc(webhook_attempt::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    Ok(DeliveryDetail {
        delivery: delivery.into(),
        event: WebhookEvent::from(&event),
        attempt_log: attempts.into_iter().map(AttemptView::from).collect(),
    })
}

/// Queues a delivered or dead delivery again, with the same event id, now.
pub async fn redeliver(
    state: &AppState,
    workshop_id: i64,
    endpoint_id: i64,
    delivery_id: i64,
) -> AppResult<DeliveryView> {
    use webhook_delivery::Column as D;
    require_enabled(&find_endpoint(&state.db, workshop_id, endpoint_id).await?)?;
    let delivery = find_delivery(&state.db, workshop_id, endpoint_id, delivery_id).await?;
    let now = Utc::now();
    let max_age = Duration::seconds(state.settings.webhooks.max_age_secs);
    let updated = webhook_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(DeliveryStatus::Pending.as_str()))
        .col_expr(D::NextAttemptAt, Expr::value(now))
        .col_expr(D::ExpiresAt, Expr::value(now + max_age))
        .col_expr(D::DeliveredAt, Expr::value(None::<chrono::DateTime<Utc>>))
        .col_expr(D::UpdatedAt, Expr::value(now))
        .filter(D::Id.eq(delivery.id))
        .filter(D::Status.ne(DeliveryStatus::Pending.as_str()))
        .exec(&state.db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::new(
            ErrorCode::DeliveryPending,
            "this delivery is still pending; it will be attempted without help",
        ));
    }
    committed(&state.bus).await;
    Ok(
        find_delivery(&state.db, workshop_id, endpoint_id, delivery_id)
            .await?
            .into(),
    )
}

/// Sends a `webhook.test` event to this endpoint only; answers its delivery.
pub async fn send_test(
    state: &AppState,
    workshop_id: i64,
    endpoint_id: i64,
) -> AppResult<DeliveryView> {
    let endpoint = find_endpoint(&state.db, workshop_id, endpoint_id).await?;
    require_enabled(&endpoint)?;
    let now = Utc::now();
    let data = json!({"endpoint_id": endpoint.id, "message": "a test event from Gongfang"});
    let key = format!("webhook_endpoint:{}", endpoint.id);
    let txn = begin_write(&state.db).await?;
    let event_id = enqueue(&txn, workshop_id, TEST_EVENT, &key, &data).await?;
    let delivery = webhook_delivery::ActiveModel {
        endpoint_id: Set(endpoint.id),
        workshop_id: Set(workshop_id),
        outbox_id: Set(event_id),
        event_type: Set(TEST_EVENT.into()),
        resource_key: Set(key),
        status: Set(DeliveryStatus::Pending.as_str().into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        expires_at: Set(now + Duration::seconds(state.settings.webhooks.max_age_secs)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    committed(&state.bus).await;
    Ok(delivery.into())
}

/// The workshop's events (the outbox), newest first, optionally of one type.
pub async fn list_events(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    event_type: Option<&str>,
    page: PageRequest,
) -> AppResult<Page<EventView>> {
    use outbox::Column as O;
    let mut query = outbox::Entity::find()
        .filter(O::WorkshopId.eq(workshop_id))
        .order_by_desc(O::Id);
    if let Some(event_type) = event_type {
        if !super::events::is_event_type(event_type) {
            return Err(AppError::invalid(
                "type",
                "must be an event type: lowercase words joined by dots, e.g. order.paid",
            ));
        }
        query = query.filter(O::EventType.eq(event_type));
    }
    if let Some(before) = page.after_id {
        query = query.filter(O::Id.lt(before));
    }
    let rows = query.limit(page.limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, page, |o| o.id).map(EventView::from))
}

async fn find_delivery(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    endpoint_id: i64,
    delivery_id: i64,
) -> AppResult<webhook_delivery::Model> {
    use webhook_delivery::Column as D;
    webhook_delivery::Entity::find_by_id(delivery_id)
        .filter(D::EndpointId.eq(endpoint_id))
        .filter(D::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("delivery"))
}

fn require_enabled(endpoint: &webhook_endpoint::Model) -> AppResult<()> {
    if endpoint.enabled {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::WebhookDisabled,
            "this endpoint is disabled; enable it first",
        ))
    }
}
