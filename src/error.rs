//! One error type for the whole service, rendered as RFC 9457 problem+json.
//! Each `ErrorCode` owns its HTTP status; 5xx bodies never echo internal text.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

pub type AppResult<T> = Result<T, AppError>;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Stable machine-readable error codes. Clients switch on these, never on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedJson,
    InvalidBody,
    ValidationFailed,
    InvalidParameter,
    UnsupportedMediaType,
    PayloadTooLarge,
    Unauthorized,
    InvalidCredentials,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    Conflict,
    RateLimited,
    /// Too many event streams open at once for this address, account or instance.
    TooManyStreams,
    AmountOverflow,
    SessionNotScheduled,
    SessionNotLive,
    SessionClosed,
    SkuAlreadyPinned,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    OutOfStock,
    LimitExceeded,
    NotInSeason,
    Unavailable,
    InvalidTransition,
    InvalidSignature,
    PaymentMismatch,
    RefundExceedsPayment,
    SoldOut,
    DealNotStarted,
    DealEnded,
    Overloaded,
    /// The webhook endpoint is disabled; enable it first.
    WebhookDisabled,
    /// The delivery is still pending; it will be attempted without help.
    DeliveryPending,
    PriceOutOfBand,
    StockBelowReserved,
    /// A payout larger than what the workshop owes the farmer.
    PayoutExceedsBalance,
    /// The group-buy campaign takes no more orders (cut off, settled or cancelled).
    CampaignClosed,
    /// The group-buy campaign has not opened yet.
    CampaignNotStarted,
    /// The pickup point has no capacity left on the pickup date.
    PickupPointFull,
    /// No order awaiting collection at this pickup point has this code.
    InvalidPickupCode,
    /// Chilled or frozen lines must be packed in cold-chain packaging.
    ColdChainRequired,
    /// Address orders ship with a carrier; pickup-point orders are dispatched.
    WrongDestination,
    /// The after-sales window after delivery has passed.
    ClaimWindowClosed,
    /// Only an open pick wave none of whose orders is packed yet can be cancelled.
    WaveNotCancellable,
    ServiceUnavailable,
    /// A payment or logistics provider could not be reached; try again later.
    ProviderUnavailable,
    /// A payment or logistics provider refused or garbled a request.
    ProviderRejected,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            MalformedJson | InvalidParameter => StatusCode::BAD_REQUEST,
            InvalidBody | ValidationFailed | AmountOverflow | IdempotencyKeyReused
            | PaymentMismatch | PriceOutOfBand | InvalidPickupCode | ColdChainRequired => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Unauthorized | InvalidCredentials | InvalidSignature => StatusCode::UNAUTHORIZED,
            Forbidden => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AlreadyExists
            | Conflict
            | IdempotencyInProgress
            | OutOfStock
            | LimitExceeded
            | NotInSeason
            | Unavailable
            | InvalidTransition
            | RefundExceedsPayment
            | SoldOut
            | DealNotStarted
            | DealEnded
            | WebhookDisabled
            | DeliveryPending
            | StockBelowReserved
            | PayoutExceedsBalance
            | CampaignClosed
            | CampaignNotStarted
            | PickupPointFull
            | WrongDestination
            | ClaimWindowClosed
            | WaveNotCancellable => StatusCode::CONFLICT,
            SessionNotScheduled | SessionNotLive | SessionClosed | SkuAlreadyPinned => {
                StatusCode::CONFLICT
            }
            RateLimited | TooManyStreams | Overloaded => StatusCode::TOO_MANY_REQUESTS,
            ServiceUnavailable | ProviderUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProviderRejected => StatusCode::BAD_GATEWAY,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// One offending field of a request, by JSON path.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{code:?}: {detail}")]
pub struct AppError {
    pub code: ErrorCode,
    pub detail: String,
    pub fields: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    #[source]
    pub source: Option<anyhow::Error>,
}

/// The problem+json body every error answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl AppError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            fields: Vec::new(),
            retry_after_secs: None,
            source: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "your role does not allow this action")
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, detail)
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(code, detail)
    }

    /// A single invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        let detail = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            fields,
            ..Self::new(ErrorCode::ValidationFailed, detail)
        }
    }

    pub fn overflow() -> Self {
        Self::new(
            ErrorCode::AmountOverflow,
            "an amount is too large to compute",
        )
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(ErrorCode::RateLimited, "too many attempts; try again later")
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            retry_after_secs: Some(2),
            ..Self::new(ErrorCode::ServiceUnavailable, detail)
        }
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Internal, "an internal error occurred")
        }
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn problem(&self) -> Problem {
        let status = self.code.status();
        Problem {
            type_uri: format!("https://gongfang.dev/problems/{}", self.code.as_str()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.fields.clone(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if self.code.status().is_server_error() {
            tracing::error!(error = ?self, cause = ?self.source, "request failed");
        }
        let mut response = HttpResponse::build(self.code.status());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                return Self::new(
                    ErrorCode::AlreadyExists,
                    "a record with these values already exists",
                );
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return Self::new(
                    ErrorCode::ValidationFailed,
                    "a referenced record does not exist",
                );
            }
            _ => {}
        }
        if is_connection_error(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::unavailable("the database is unavailable; retry shortly");
        }
        Self::internal(err)
    }
}

fn is_connection_error(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                sea_orm::sqlx::Error::Io(_)
                    | sea_orm::sqlx::Error::PoolTimedOut
                    | sea_orm::sqlx::Error::PoolClosed
                    | sea_orm::sqlx::Error::WorkerCrashed
            ) || is_admin_shutdown(e.as_ref())
        }
        _ => false,
    }
}

/// PostgreSQL terminating our session (restart, failover) is an outage, not a bug.
/// Also SQLite's "database is locked" (5) and "busy snapshot" (517): retryable.
fn is_admin_shutdown(err: &sea_orm::sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| {
            code.starts_with("57P") || code.starts_with("08") || code == "5" || code == "517"
        })
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        match err.downcast::<AppError>() {
            Ok(app) => app,
            Err(other) => match other.downcast::<DbErr>() {
                Ok(db) => db.into(),
                Err(other) => Self::internal(other),
            },
        }
    }
}
