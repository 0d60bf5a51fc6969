//! Writing domain events to the transactional outbox. Call `enqueue` with the
//! same connection (transaction) as the change, so both commit or neither does.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;

use super::bus::Bus;
use crate::entity::outbox;
use crate::error::{AppError, AppResult};

/// Bus topic that wakes the delivery workers of every instance.
pub const COMMITTED_TOPIC: &str = "outbox.committed";

/// Partner webhooks deliver the events of one `resource_key` in id order: call this
/// after the statement that locks or updates the resource's row, so that id order
/// is commit order for that resource.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    event_type: &str,
    resource_key: &str,
    data: &impl Serialize,
) -> AppResult<i64> {
    let payload = serde_json::to_string(data).map_err(AppError::internal)?;
    let row = outbox::ActiveModel {
        workshop_id: Set(workshop_id),
        event_type: Set(event_type.to_owned()),
        resource_key: Set(resource_key.to_owned()),
        payload: Set(payload),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Call after committing a transaction that enqueued events: wakes the delivery
/// workers at once instead of at their next poll. Optional; polling finds them anyway.
pub async fn committed(bus: &Bus) {
    bus.publish(COMMITTED_TOPIC, serde_json::Value::Null).await;
}
