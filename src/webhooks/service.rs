//! Webhook endpoint rules: registration with URL checks (SSRF guard), updates,
//! enabling and disabling, deletion and secret rotation with an overlap.

use chrono::{Duration, Utc};
use reqwest::Url;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::events::{MAX_PATTERNS, is_valid_pattern};
use super::model::{
    CreateEndpointRequest, EndpointView, EndpointWithSecret, RotateSecretRequest, SecretView,
    UpdateEndpointRequest,
};
use super::signing::new_secret;
use crate::config::Settings;
use crate::entity::{webhook_endpoint, workshop};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::outbound::TargetPolicy;
use crate::platform::pagination::{Page, PageRequest};
use crate::platform::validate::Check;
use crate::state::AppState;

const MAX_OVERLAP_SECS: i64 = 7 * 24 * 3600;

/// The outbound target rules for this deployment's profile.
pub fn target_policy(settings: &Settings) -> TargetPolicy {
    TargetPolicy {
        allow_insecure_local: settings
            .webhooks
            .insecure_local_allowed(settings.is_production()),
    }
}

pub async fn create_endpoint(
    state: &AppState,
    workshop_id: i64,
    req: CreateEndpointRequest,
) -> AppResult<EndpointWithSecret> {
    Check::new()
        .text("description", &req.description, 0, 500)
        .finish()?;
    let patterns = check_patterns(&req.event_types)?;
    let url = check_url(&state.settings, &req.url).await?;
    workshop::Entity::find_by_id(workshop_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("workshop"))?;
    let limit = state.settings.webhooks.endpoints_per_workshop;
    if endpoints_of(workshop_id).count(&state.db).await? >= limit {
        return Err(AppError::new(
            ErrorCode::LimitReached,
            format!("a workshop has at most {limit} webhook endpoints"),
        ));
    }
    let now = Utc::now();
    let secret = new_secret();
    let row = webhook_endpoint::ActiveModel {
        workshop_id: Set(workshop_id),
        url: Set(url),
        description: Set(req.description),
        event_types: Set(patterns),
        secret: Set(secret.clone()),
        enabled: Set(true),
        consecutive_failures: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(EndpointWithSecret {
        endpoint: row.into(),
        secret,
    })
}

pub async fn list_endpoints(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    page: PageRequest,
) -> AppResult<Page<EndpointView>> {
    let mut query = endpoints_of(workshop_id).order_by_asc(webhook_endpoint::Column::Id);
    if let Some(after) = page.after_id {
        query = query.filter(webhook_endpoint::Column::Id.gt(after));
    }
    let rows = query.limit(page.limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, page, |e| e.id).map(EndpointView::from))
}

pub async fn get_endpoint(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    id: i64,
) -> AppResult<EndpointView> {
    Ok(find_endpoint(db, workshop_id, id).await?.into())
}

pub async fn update_endpoint(
    state: &AppState,
    workshop_id: i64,
    id: i64,
    req: UpdateEndpointRequest,
) -> AppResult<EndpointView> {
    if let Some(description) = &req.description {
        Check::new()
            .text("description", description, 0, 500)
            .finish()?;
    }
    let patterns = req.event_types.as_deref().map(check_patterns).transpose()?;
    let url = match &req.url {
        Some(url) => Some(check_url(&state.settings, url).await?),
        None => None,
    };
    let current = find_endpoint(&state.db, workshop_id, id).await?;
    let now = Utc::now();
    let mut row: webhook_endpoint::ActiveModel = current.clone().into();
    if let Some(url) = url {
        row.url = Set(url);
    }
    if let Some(patterns) = patterns {
        row.event_types = Set(patterns);
    }
    if let Some(description) = req.description {
        row.description = Set(description);
    }
    match req.enabled {
        Some(true) if !current.enabled => {
            row.enabled = Set(true);
            row.consecutive_failures = Set(0);
            row.disabled_reason = Set(None);
            row.disabled_at = Set(None);
        }
        Some(false) if current.enabled => {
            row.enabled = Set(false);
            row.disabled_reason = Set(Some("disabled by a manager".into()));
            row.disabled_at = Set(Some(now));
        }
        _ => {}
    }
    row.updated_at = Set(now);
    Ok(row.update(&state.db).await?.into())
}

/// Deletes the endpoint with its deliveries and their log.
pub async fn delete_endpoint(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    id: i64,
) -> AppResult<()> {
    let row = find_endpoint(db, workshop_id, id).await?;
    webhook_endpoint::Entity::delete_by_id(row.id)
        .exec(db)
        .await?;
    Ok(())
}

/// A new secret, shown once; the old one keeps signing beside it for the overlap.
pub async fn rotate_secret(
    state: &AppState,
    workshop_id: i64,
    id: i64,
    req: RotateSecretRequest,
) -> AppResult<SecretView> {
    let overlap = req
        .overlap_secs
        .unwrap_or(state.settings.webhooks.secret_overlap_secs);
    Check::new()
        .range("overlap_secs", overlap, 0, MAX_OVERLAP_SECS)
        .finish()?;
    let current = find_endpoint(&state.db, workshop_id, id).await?;
    let now = Utc::now();
    let secret = new_secret();
    let expires = (overlap > 0).then(|| now + Duration::seconds(overlap));
    let mut row: webhook_endpoint::ActiveModel = current.clone().into();
    row.previous_secret = Set(expires.map(|_| current.secret.clone()));
    row.previous_secret_expires_at = Set(expires);
    row.secret = Set(secret.clone());
    row.updated_at = Set(now);
    row.update(&state.db).await?;
    Ok(SecretView {
        secret,
        previous_secret_expires_at: expires,
    })
}

pub async fn find_endpoint(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    id: i64,
) -> AppResult<webhook_endpoint::Model> {
    endpoints_of(workshop_id)
        .filter(webhook_endpoint::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("webhook endpoint"))
}

fn endpoints_of(workshop_id: i64) -> sea_orm::Select<webhook_endpoint::Entity> {
    webhook_endpoint::Entity::find().filter(webhook_endpoint::Column::WorkshopId.eq(workshop_id))
}

/// The patterns as stored JSON, deduplicated, after checking each.
fn check_patterns(patterns: &[String]) -> AppResult<String> {
    let mut check = Check::new();
    if patterns.is_empty() || patterns.len() > MAX_PATTERNS {
        check.fail(
            "event_types",
            format!("give 1 to {MAX_PATTERNS} event types"),
        );
    }
    for (i, pattern) in patterns.iter().enumerate() {
        if !is_valid_pattern(pattern) {
            check.fail(
                &format!("event_types[{i}]"),
                "must be an event type like order.paid, a family like order.* or *",
            );
        }
    }
    check.finish()?;
    let mut unique = patterns.to_vec();
    unique.sort();
    unique.dedup();
    serde_json::to_string(&unique).map_err(AppError::internal)
}

/// Parses the URL and applies the target policy, resolving the host name.
async fn check_url(settings: &Settings, raw: &str) -> AppResult<String> {
    if raw.len() > 2048 {
        return Err(AppError::invalid("url", "must be at most 2048 characters"));
    }
    let url = Url::parse(raw).map_err(|e| AppError::invalid("url", format!("not a URL: {e}")))?;
    target_policy(settings)
        .check_resolved(&url)
        .await
        .map_err(|refused| AppError::invalid("url", refused.0))?;
    Ok(url.to_string())
}
