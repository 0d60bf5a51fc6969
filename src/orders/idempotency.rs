//! Idempotency keys: a retry with the same key and body gets the first answer,
//! a different body gets 422, a duplicate still running gets 409. The answer is
//! stored in the same transaction as the change, so a crash leaves either both
//! or neither; an abandoned claim is taken over once its lease runs out.

use std::future::Future;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::entity::idempotency_key;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::sql::changed;
use crate::state::AppState;

/// An Idempotency-Key is 1 to 64 printable ASCII characters (as documented).
pub const KEY_MAX_LEN: usize = 64;
pub const KEY_PATTERN: &str = "^[!-~]+$";

const KEY_TTL_HOURS: i64 = 24;

/// This request's hold on a key, passed to the service so it can record the
/// answer inside its own transaction.
#[derive(Debug, Clone)]
pub struct Claim {
    id: i64,
}

impl Claim {
    pub fn id(&self) -> i64 {
        self.id
    }

    pub async fn complete(
        &self,
        db: &impl ConnectionTrait,
        status: StatusCode,
        body: &impl Serialize,
    ) -> AppResult<()> {
        let body = serde_json::to_string(body).map_err(AppError::internal)?;
        let stored = changed(
            db,
            "UPDATE idempotency_keys SET status = 'done', response_status = $1, response_body = $2 \
             WHERE id = $3 AND status = 'in_progress'",
            vec![(status.as_u16() as i16).into(), body.into(), self.id.into()],
        )
        .await?;
        if stored {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::IdempotencyInProgress,
                "this request was taken over by a retry",
            ))
        }
    }
}

enum Begin {
    Proceed(Option<Claim>),
    Replay(HttpResponse),
}

/// Runs `work` at most once per (caller, scope, key). `work` gets the claim and
/// must call `Claim::complete` in its transaction; its 4xx answers are stored too.
pub async fn run<T, F, Fut>(
    state: &AppState,
    owner_id: i64,
    scope: &str,
    key: Option<&str>,
    request: &impl Serialize,
    work: F,
) -> AppResult<HttpResponse>
where
    T: Serialize,
    F: FnOnce(Option<Claim>) -> Fut,
    Fut: Future<Output = AppResult<(StatusCode, T)>>,
{
    let claim = match begin(state, owner_id, scope, key, request).await? {
        Begin::Replay(response) => return Ok(response),
        Begin::Proceed(claim) => claim,
    };
    match work(claim.clone()).await {
        Ok((status, body)) => Ok(HttpResponse::build(status).json(body)),
        Err(err) => {
            if let Some(claim) = claim {
                settle_failure(state, &claim, &err).await;
            }
            Err(err)
        }
    }
}

async fn begin(
    state: &AppState,
    owner_id: i64,
    scope: &str,
    key: Option<&str>,
    request: &impl Serialize,
) -> AppResult<Begin> {
    let Some(key) = key else {
        return Ok(Begin::Proceed(None));
    };
    let valid =
        !key.is_empty() && key.len() <= KEY_MAX_LEN && key.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "must be 1 to 64 printable ASCII characters",
        ));
    }
    let hash = request_hash(request)?;
    let lease = Duration::seconds(state.settings.orders.idempotency_lease_secs);
    for _ in 0..3 {
        if let Some(id) = try_insert(&state.db, owner_id, scope, key, &hash, lease).await? {
            return Ok(Begin::Proceed(Some(Claim { id })));
        }
        let Some(existing) = find(&state.db, owner_id, scope, key).await? else {
            continue;
        };
        if existing.expires_at < Utc::now() {
            idempotency_key::Entity::delete_by_id(existing.id)
                .exec(&state.db)
                .await?;
            continue;
        }
        return resume(&state.db, existing, &hash, lease).await;
    }
    Err(AppError::new(
        ErrorCode::IdempotencyInProgress,
        "this key is busy; retry shortly",
    ))
}

async fn resume(
    db: &impl ConnectionTrait,
    existing: idempotency_key::Model,
    hash: &str,
    lease: Duration,
) -> AppResult<Begin> {
    if existing.request_hash != hash {
        return Err(AppError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request",
        ));
    }
    if existing.status == "done" {
        let status = StatusCode::from_u16(existing.response_status.unwrap_or(200) as u16)
            .unwrap_or(StatusCode::OK);
        let content_type = if status.is_success() {
            "application/json"
        } else {
            crate::error::PROBLEM_JSON
        };
        let body = existing.response_body.unwrap_or_default();
        return Ok(Begin::Replay(
            HttpResponse::build(status)
                .content_type(content_type)
                .insert_header(("Idempotent-Replayed", "true"))
                .body(body),
        ));
    }
    let now = Utc::now();
    let taken_over = changed(
        db,
        "UPDATE idempotency_keys SET locked_until = $1 WHERE id = $2 AND status = 'in_progress' AND locked_until < $3",
        vec![(now + lease).into(), existing.id.into(), now.into()],
    )
    .await?;
    if taken_over {
        Ok(Begin::Proceed(Some(Claim { id: existing.id })))
    } else {
        Err(AppError::new(
            ErrorCode::IdempotencyInProgress,
            "a request with this Idempotency-Key is still running",
        )
        .with_retry_after(1))
    }
}

async fn try_insert(
    db: &impl ConnectionTrait,
    owner_id: i64,
    scope: &str,
    key: &str,
    hash: &str,
    lease: Duration,
) -> AppResult<Option<i64>> {
    let now = Utc::now();
    let row = idempotency_key::ActiveModel {
        owner_id: Set(owner_id),
        scope: Set(scope.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(hash.to_owned()),
        status: Set("in_progress".into()),
        response_status: Set(None),
        response_body: Set(None),
        locked_until: Set(now + lease),
        expires_at: Set(now + Duration::hours(KEY_TTL_HOURS)),
        ..Default::default()
    };
    match row.insert(db).await {
        Ok(model) => Ok(Some(model.id)),
        Err(err) => match AppError::from(err) {
            e if e.code == ErrorCode::AlreadyExists => Ok(None),
            e => Err(e),
        },
    }
}

async fn find(
    db: &impl ConnectionTrait,
    owner_id: i64,
    scope: &str,
    key: &str,
) -> AppResult<Option<idempotency_key::Model>> {
    Ok(idempotency_key::Entity::find()
        .filter(idempotency_key::Column::OwnerId.eq(owner_id))
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?)
}

/// How long a failing answer waits for its claim to be released. Releasing
/// needs the database, which is often what just failed: the release goes on in
/// the background and the 5xx answers without a second acquire timeout.
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// A client error is the request's answer and is kept; a server error or an
/// outage frees the key so a retry can run the request again.
async fn settle_failure(state: &AppState, claim: &Claim, err: &AppError) {
    if err.code.status().is_client_error() && err.code != ErrorCode::IdempotencyInProgress {
        if let Err(e) = claim
            .complete(&state.db, err.code.status(), &err.problem())
            .await
        {
            tracing::warn!(error = ?e, "could not store a refused request; its lease will expire");
        }
        return;
    }
    let db = state.db.clone();
    let id = claim.id;
    let release = tokio::spawn(async move {
        let deleted = idempotency_key::Entity::delete_by_id(id)
            .filter(idempotency_key::Column::Status.eq("in_progress"))
            .exec(&db)
            .await;
        if let Err(e) = deleted {
            tracing::warn!(error = ?e, "could not release idempotency key; its lease will expire");
        }
    });
    let _ = tokio::time::timeout(RELEASE_WAIT, release).await;
}

fn request_hash(request: &impl Serialize) -> AppResult<String> {
    let bytes = serde_json::to_vec(request).map_err(AppError::internal)?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

/// Deletes keys past their 24 h life.
pub async fn purge_expired(db: &impl ConnectionTrait) -> AppResult<u64> {
    let result = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lt(Utc::now()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
