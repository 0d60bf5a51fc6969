//! Live session rules: scheduling, `scheduled → live → ended` and
//! `scheduled → cancelled` as conditional updates, public listings and pages.

use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::events::{EventKind, publish};
use super::model::{
    ScheduleSessionRequest, SessionChanged, SessionDetail, SessionFilter, SessionStatus,
    SessionView, UpdateSessionRequest,
};
use super::tally::SessionTally;
use super::viewers::ViewerStats;
use super::views::items_of;
use super::views::{SessionCursor, page_limit, session_views};
use crate::auth::Role;
use crate::entity::{live_session, membership};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::sql::statement;
use crate::platform::validate::Check;
use crate::state::AppState;

use live_session::Column as C;

pub async fn schedule(
    state: &AppState,
    workshop_id: i64,
    caller_account_id: i64,
    req: ScheduleSessionRequest,
) -> AppResult<SessionView> {
    let mut check = Check::new();
    check_title_cover(&mut check, Some(&req.title), Some(&req.cover_url));
    check
        .text("description", &req.description, 0, 2000)
        .finish()?;
    let start = check_start(req.scheduled_start_at)?;
    let streamer = req.streamer_account_id.unwrap_or(caller_account_id);
    check_streamer(&state.db, workshop_id, streamer).await?;
    let now = Utc::now();
    let row = live_session::ActiveModel {
        workshop_id: Set(workshop_id),
        streamer_account_id: Set(streamer),
        created_by: Set(caller_account_id),
        title: Set(req.title.trim().to_owned()),
        cover_url: Set(req.cover_url),
        description: Set(req.description),
        status: Set(SessionStatus::Scheduled.as_str().to_owned()),
        scheduled_start_at: Set(start),
        explaining_item_id: Set(None),
        peak_viewers: Set(0),
        unique_viewers: Set(0),
        signed_in_viewers: Set(0),
        anonymous_viewers: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    one_view(&state.db, row).await
}

/// Changes a scheduled session; 409 `session_not_scheduled` once it went live.
pub async fn update(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    req: UpdateSessionRequest,
) -> AppResult<SessionView> {
    let mut check = Check::new();
    check_title_cover(&mut check, req.title.as_deref(), req.cover_url.as_deref());
    check
        .optional_text("description", req.description.as_deref(), 2000)
        .finish()?;
    let mut update =
        live_session::Entity::update_many().col_expr(C::UpdatedAt, Expr::value(Utc::now()));
    if let Some(start) = req.scheduled_start_at {
        update = update.col_expr(C::ScheduledStartAt, Expr::value(check_start(start)?));
    }
    if let Some(streamer) = req.streamer_account_id {
        check_streamer(&state.db, workshop_id, streamer).await?;
        update = update.col_expr(C::StreamerAccountId, Expr::value(streamer));
    }
    if let Some(title) = req.title {
        update = update.col_expr(C::Title, Expr::value(title.trim().to_owned()));
    }
    if let Some(cover) = req.cover_url {
        update = update.col_expr(C::CoverUrl, Expr::value(cover));
    }
    if let Some(description) = req.description {
        update = update.col_expr(C::Description, Expr::value(description));
    }
    let changed = update
        .filter(C::Id.eq(session_id))
        .filter(C::WorkshopId.eq(workshop_id))
        .filter(C::Status.eq(SessionStatus::Scheduled.as_str()))
        .exec(&state.db)
        .await?
        .rows_affected;
    let row = find_in_workshop(&state.db, workshop_id, session_id).await?;
    if changed == 0 {
        return Err(not_scheduled(&row, "changed"));
    }
    one_view(&state.db, row).await
}

/// `scheduled → live`; publishes `session_started`.
pub async fn start(state: &AppState, workshop_id: i64, session_id: i64) -> AppResult<SessionView> {
    let row = transition(state, workshop_id, session_id, SessionStatus::Live).await?;
    announce(state, &row, EventKind::SessionStarted).await;
    one_view(&state.db, row).await
}

/// `live → ended`; saves the viewer figures and publishes `session_ended`.
pub async fn end(state: &AppState, workshop_id: i64, session_id: i64) -> AppResult<SessionView> {
    transition(state, workshop_id, session_id, SessionStatus::Ended).await?;
    let stats = state.live.viewer_stats(session_id).await;
    record_viewer_figures(&state.db, session_id, &stats).await?;
    let row = find_in_workshop(&state.db, workshop_id, session_id).await?;
    announce(state, &row, EventKind::SessionEnded).await;
    one_view(&state.db, row).await
}

/// `scheduled → cancelled`; publishes `session_cancelled`.
pub async fn cancel(state: &AppState, workshop_id: i64, session_id: i64) -> AppResult<SessionView> {
    let row = transition(state, workshop_id, session_id, SessionStatus::Cancelled).await?;
    announce(state, &row, EventKind::SessionCancelled).await;
    one_view(&state.db, row).await
}

/// Public: sessions live now and upcoming (or one status), soonest start first.
pub async fn list_open(
    db: &impl ConnectionTrait,
    filter: SessionFilter,
    page: PageQuery,
) -> AppResult<Page<SessionView>> {
    let statuses = match filter.status {
        Some(status) if status.is_open() => vec![status],
        Some(_) => {
            return Err(AppError::invalid(
                "status",
                "public listings show live or scheduled sessions",
            ));
        }
        None => vec![SessionStatus::Live, SessionStatus::Scheduled],
    };
    list(db, filter.workshop_id, statuses, page).await
}

/// Staff: a workshop's sessions in any status (or one).
pub async fn list_for_workshop(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    status: Option<SessionStatus>,
    page: PageQuery,
) -> AppResult<Page<SessionView>> {
    let statuses = status.map_or_else(
        || {
            vec![
                SessionStatus::Scheduled,
                SessionStatus::Live,
                SessionStatus::Ended,
                SessionStatus::Cancelled,
            ]
        },
        |s| vec![s],
    );
    list(db, Some(workshop_id), statuses, page).await
}

async fn list(
    db: &impl ConnectionTrait,
    workshop_id: Option<i64>,
    statuses: Vec<SessionStatus>,
    page: PageQuery,
) -> AppResult<Page<SessionView>> {
    let limit = page_limit(&page)?;
    let after = page
        .cursor
        .as_deref()
        .map(SessionCursor::decode)
        .transpose()?;
    let mut query = live_session::Entity::find()
        .filter(C::Status.is_in(statuses.iter().map(|s| s.as_str())))
        .order_by_asc(C::ScheduledStartAt)
        .order_by_asc(C::Id);
    if let Some(workshop_id) = workshop_id {
        query = query.filter(C::WorkshopId.eq(workshop_id));
    }
    if let Some(after) = after {
        query = query.filter(
            Condition::any()
                .add(C::ScheduledStartAt.gt(after.start))
                .add(
                    Condition::all()
                        .add(C::ScheduledStartAt.eq(after.start))
                        .add(C::Id.gt(after.id)),
                ),
        );
    }
    let mut rows = query.limit(limit + 1).all(db).await?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = has_more
        .then(|| rows.last().map(SessionCursor::encode))
        .flatten();
    Ok(Page {
        items: session_views(db, rows).await?,
        next_cursor,
    })
}

/// Public: one session with its showcase and its viewers right now.
pub async fn detail(state: &AppState, session_id: i64) -> AppResult<SessionDetail> {
    let row = live_session::Entity::find_by_id(session_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("live session"))?;
    let items = items_of(&state.db, &row).await?;
    let viewers = state.live.viewer_stats(session_id).await;
    let tally = match state.live.tally(session_id).await {
        Some(tally) => tally,
        None => counted_tally(&state.db, session_id).await?,
    };
    Ok(SessionDetail {
        session: one_view(&state.db, row).await?,
        items,
        viewers,
        tally,
    })
}

/// The running tally counted from the orders themselves (the cache and bus
/// lost it, or nothing was sold since this instance started).
async fn counted_tally(db: &impl ConnectionTrait, session_id: i64) -> AppResult<SessionTally> {
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT COUNT(*) AS orders, CAST(COALESCE(SUM(o.total_fen), 0) AS BIGINT) AS gmv, \
             CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS units \
             FROM orders o LEFT JOIN (SELECT order_id, SUM(quantity) AS quantity FROM order_lines \
             GROUP BY order_id) l ON l.order_id = o.id WHERE o.live_session_id = $1",
            vec![session_id.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(SessionTally::default());
    };
    Ok(SessionTally {
        orders: row.try_get("", "orders")?,
        units: row.try_get("", "units")?,
        gmv_fen: row.try_get("", "gmv")?,
    })
}

/// Raises the saved peak and unique viewers; never lowers them.
pub async fn record_viewer_figures(
    db: &impl ConnectionTrait,
    session_id: i64,
    stats: &ViewerStats,
) -> AppResult<()> {
    let figures = [
        (C::PeakViewers, stats.peak),
        (C::UniqueViewers, stats.unique),
        (C::SignedInViewers, stats.signed_in),
        (C::AnonymousViewers, stats.anonymous),
    ];
    for (column, value) in figures {
        live_session::Entity::update_many()
            .col_expr(column, Expr::value(value))
            .filter(C::Id.eq(session_id))
            .filter(column.lt(value))
            .exec(db)
            .await?;
    }
    Ok(())
}

pub async fn find_in_workshop(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    session_id: i64,
) -> AppResult<live_session::Model> {
    live_session::Entity::find_by_id(session_id)
        .filter(C::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("live session"))
}

pub fn status_of(row: &live_session::Model) -> SessionStatus {
    SessionStatus::parse(&row.status).unwrap_or(SessionStatus::Ended)
}

async fn transition(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    to: SessionStatus,
) -> AppResult<live_session::Model> {
    let now = Utc::now();
    let from = match to {
        SessionStatus::Ended => SessionStatus::Live,
        _ => SessionStatus::Scheduled,
    };
    let mut update = live_session::Entity::update_many()
        .col_expr(C::Status, Expr::value(to.as_str()))
        .col_expr(C::UpdatedAt, Expr::value(now));
    update = match to {
        SessionStatus::Live => update.col_expr(C::StartedAt, Expr::value(now)),
        SessionStatus::Ended => update.col_expr(C::EndedAt, Expr::value(now)),
        _ => update,
    };
    let changed = update
        .filter(C::Id.eq(session_id))
        .filter(C::WorkshopId.eq(workshop_id))
        .filter(C::Status.eq(from.as_str()))
        .exec(&state.db)
        .await?
        .rows_affected;
    let row = find_in_workshop(&state.db, workshop_id, session_id).await?;
    match (changed, to) {
        (0, SessionStatus::Ended) => Err(AppError::conflict(
            ErrorCode::SessionNotLive,
            format!("only a live session can end; this one is {}", row.status),
        )),
        (0, SessionStatus::Live) => Err(not_scheduled(&row, "go live")),
        (0, _) => Err(not_scheduled(&row, "be cancelled")),
        _ => Ok(row),
    }
}

async fn announce(state: &AppState, row: &live_session::Model, kind: EventKind) {
    let data = SessionChanged {
        session_id: row.id,
        status: status_of(row),
        at: row.updated_at,
        peak_viewers: row.peak_viewers,
        unique_viewers: row.unique_viewers,
        signed_in_viewers: row.signed_in_viewers,
        anonymous_viewers: row.anonymous_viewers,
    };
    publish(state, row.id, kind, &data).await;
}

fn not_scheduled(row: &live_session::Model, action: &str) -> AppError {
    AppError::conflict(
        ErrorCode::SessionNotScheduled,
        format!(
            "only a scheduled session can {action}; this one is {}",
            row.status
        ),
    )
}

async fn one_view(db: &impl ConnectionTrait, row: live_session::Model) -> AppResult<SessionView> {
    session_views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("live session"))
}

fn check_title_cover(check: &mut Check, title: Option<&str>, cover: Option<&str>) {
    if let Some(title) = title {
        check.text("title", title, 1, 120);
    }
    if let Some(cover) = cover {
        check.text("cover_url", cover, 1, 500);
        if !(cover.starts_with("https://") || cover.starts_with("http://")) {
            check.fail("cover_url", "must be an http(s) URL");
        }
    }
}

/// Whole seconds, from ten minutes ago to a year ahead.
fn check_start(start: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    let now = Utc::now();
    if start < now - Duration::minutes(10) || start > now + Duration::days(366) {
        return Err(AppError::invalid(
            "scheduled_start_at",
            "must be between ten minutes ago and a year from now",
        ));
    }
    start
        .duration_trunc(Duration::seconds(1))
        .map_err(|_| AppError::invalid("scheduled_start_at", "not a usable time"))
}

/// The named streamer must be a streamer or manager of the workshop.
async fn check_streamer(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    account_id: i64,
) -> AppResult<()> {
    let roles = [Role::Streamer.as_str(), Role::Manager.as_str()];
    let member = membership::Entity::find()
        .filter(membership::Column::WorkshopId.eq(workshop_id))
        .filter(membership::Column::AccountId.eq(account_id))
        .filter(membership::Column::Role.is_in(roles))
        .one(db)
        .await?;
    match member {
        Some(_) => Ok(()),
        None => Err(AppError::invalid(
            "streamer_account_id",
            "must be a streamer or manager of this workshop",
        )),
    }
}
