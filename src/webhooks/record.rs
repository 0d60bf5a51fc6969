//! Recording attempts, many per transaction: each delivery's new state (only while
//! its lease is ours), the attempt log, and each endpoint's failure count, which
//! disables the endpoint at the threshold and emits `webhook.endpoint_disabled`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::json;

use super::events::ENDPOINT_DISABLED;
use super::send::{Attempt, backoff};
use super::store::{Job, truncate};
use crate::config::WebhookSettings;
use crate::entity::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::error::AppResult;
use crate::platform::outbox::enqueue;

/// One attempt made, waiting to be recorded.
pub struct Outcome {
    pub job: Job,
    pub attempt: Attempt,
}

/// What recording an attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Delivered,
    Retrying,
    Dead,
    /// The lease ran out and another worker owns the delivery now.
    LeaseLost,
}

/// Records the outcomes in one transaction; answers what became of each.
pub async fn record(
    db: &DatabaseConnection,
    outcomes: &[Outcome],
    hooks: &WebhookSettings,
) -> AppResult<Vec<Finished>> {
    let txn = db.begin().await?;
    let mut finished = Vec::with_capacity(outcomes.len());
    let mut log = Vec::with_capacity(outcomes.len());
    let mut per_endpoint: BTreeMap<i64, (&webhook_endpoint::Model, Vec<&Attempt>)> =
        BTreeMap::new();
    for outcome in outcomes {
        let state = update_delivery(&txn, outcome, hooks).await?;
        finished.push(state);
        if state == Finished::LeaseLost {
            continue;
        }
        log.push(attempt_row(outcome));
        let endpoint = &outcome.job.endpoint;
        per_endpoint
            .entry(endpoint.id)
            .or_insert_with(|| (endpoint, Vec::new()))
            .1
            .push(&outcome.attempt);
    }
    for chunk in log.chunks(100) {
        webhook_attempt::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    for (endpoint, attempts) in per_endpoint.values() {
        count_failures(&txn, endpoint, attempts, hooks).await?;
    }
    txn.commit().await?;
    Ok(finished)
}

/// The delivery's new state, written only if our lease still holds it.
async fn update_delivery(
    db: &impl ConnectionTrait,
    outcome: &Outcome,
    hooks: &WebhookSettings,
) -> AppResult<Finished> {
    use webhook_delivery::Column as D;
    let (d, attempt) = (&outcome.job.delivery, &outcome.attempt);
    let attempts = d.attempts.saturating_add(1);
    let (state, next) = if attempt.succeeded() {
        (Finished::Delivered, d.next_attempt_at)
    } else {
        let next = attempt.at + backoff(attempts, hooks);
        let gives_up = next >= d.expires_at;
        let state = if gives_up {
            Finished::Dead
        } else {
            Finished::Retrying
        };
        (state, next)
    };
    let status = match state {
        Finished::Delivered => "delivered",
        Finished::Dead => "dead",
        _ => "pending",
    };
    let delivered_at = (state == Finished::Delivered).then_some(attempt.at);
    let updated = webhook_delivery::Entity::update_many()
        .col_expr(D::Status, Expr::value(status))
        .col_expr(D::Attempts, Expr::value(attempts))
        .col_expr(D::NextAttemptAt, Expr::value(next))
        .col_expr(D::LeasedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(D::LeaseToken, Expr::value(None::<String>))
        .col_expr(D::LastStatusCode, Expr::value(attempt.status_code))
        .col_expr(D::LastLatencyMs, Expr::value(Some(attempt.latency_ms)))
        .col_expr(D::LastError, Expr::value(attempt.error.clone()))
        .col_expr(D::UpdatedAt, Expr::value(attempt.at))
        .col_expr(D::DeliveredAt, Expr::value(delivered_at))
        .filter(D::Id.eq(d.id))
        .filter(D::LeaseToken.eq(d.lease_token.clone()))
        .exec(db)
        .await?;
    Ok(if updated.rows_affected == 0 {
        Finished::LeaseLost
    } else {
        state
    })
}

fn attempt_row(outcome: &Outcome) -> webhook_attempt::ActiveModel {
    let attempt = &outcome.attempt;
    webhook_attempt::ActiveModel {
        delivery_id: Set(outcome.job.delivery.id),
        endpoint_id: Set(outcome.job.endpoint.id),
        attempted_at: Set(attempt.at),
        status_code: Set(attempt.status_code),
        latency_ms: Set(attempt.latency_ms),
        error: Set(attempt.error.clone()),
        response_excerpt: Set(attempt.excerpt.clone()),
        ..Default::default()
    }
}

/// Applies this batch's attempts (in order) to the endpoint's count of failures
/// in a row; at the threshold the endpoint is disabled and the workshop told.
async fn count_failures(
    db: &impl ConnectionTrait,
    endpoint: &webhook_endpoint::Model,
    attempts: &[&Attempt],
    hooks: &WebhookSettings,
) -> AppResult<()> {
    use webhook_endpoint::Column as E;
    let last_success = attempts.iter().rposition(|a| a.succeeded());
    let trailing = attempts.len() - last_success.map_or(0, |i| i + 1);
    let trailing = i32::try_from(trailing).unwrap_or(i32::MAX);
    let update = webhook_endpoint::Entity::update_many().filter(E::Id.eq(endpoint.id));
    match (last_success, trailing) {
        (Some(_), 0) => update
            .col_expr(E::ConsecutiveFailures, Expr::value(0))
            .filter(E::ConsecutiveFailures.ne(0)),
        (Some(_), n) => update.col_expr(E::ConsecutiveFailures, Expr::value(n)),
        (None, n) => update.col_expr(
            E::ConsecutiveFailures,
            Expr::col(E::ConsecutiveFailures).add(n),
        ),
    }
    .exec(db)
    .await?;
    match attempts.last() {
        Some(last) if trailing > 0 => disable_if_failing(db, endpoint.id, last, hooks).await,
        _ => Ok(()),
    }
}

async fn disable_if_failing(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    last: &Attempt,
    hooks: &WebhookSettings,
) -> AppResult<()> {
    use webhook_endpoint::Column as E;
    let Some(current) = webhook_endpoint::Entity::find_by_id(endpoint_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if !current.enabled || current.consecutive_failures < hooks.disable_after_failures {
        return Ok(());
    }
    let reason = format!(
        "disabled after {} consecutive failed attempts; last: {}",
        current.consecutive_failures,
        last.describe()
    );
    let disabled = webhook_endpoint::Entity::update_many()
        .col_expr(E::Enabled, Expr::value(false))
        .col_expr(E::DisabledReason, Expr::value(Some(truncate(&reason, 300))))
        .col_expr(E::DisabledAt, Expr::value(Some(last.at)))
        .col_expr(E::UpdatedAt, Expr::value(last.at))
        .filter(E::Id.eq(endpoint_id))
        .filter(E::Enabled.eq(true))
        .exec(db)
        .await?;
    if disabled.rows_affected == 1 {
        let data = json!({
            "endpoint_id": current.id,
            "url": current.url,
            "reason": reason,
            "consecutive_failures": current.consecutive_failures,
            "disabled_at": last.at,
        });
        let key = format!("webhook_endpoint:{}", current.id);
        enqueue(db, current.workshop_id, ENDPOINT_DISABLED, &key, &data).await?;
        tracing::warn!(endpoint_id = current.id, %reason, "webhook endpoint disabled");
    }
    Ok(())
}
