//! Report endpoints: a workshop's report as JSON or CSV and its SVG charts
//! (managers), and all workshops side by side (platform admins).

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::export;
use super::model::{PlatformOverview, ReportQuery, WorkshopReport};
use super::service::{self, Chart};
use crate::auth::{Caller, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::platform::query::Query;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(workshop_report)
        .service(workshop_report_csv)
        .service(workshop_chart)
        .service(platform_overview)
        .service(platform_overview_csv);
}

/// A workshop's figures for a month or a date range (manager).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ReportQuery),
    responses(
        (status = 200, body = WorkshopReport),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/reports/summary")]
async fn workshop_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<ReportQuery>,
) -> AppResult<web::Json<WorkshopReport>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let report = service::workshop_report(&state.db, workshop_id, query.period()?).await?;
    Ok(web::Json(report))
}

/// The same report as CSV: period, section, key, metric, value (UTF-8 with BOM; manager).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ReportQuery),
    responses(
        (status = 200, description = "CSV in long form", content_type = "text/csv"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/reports/summary.csv")]
async fn workshop_report_csv(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let period = query.period()?;
    let report = service::workshop_report(&state.db, workshop_id, period).await?;
    let filename = format!("report-{workshop_id}-{}.csv", period.label());
    Ok(export::report_csv(&report).into_response(&filename))
}

/// A chart of the report, drawn as SVG: `sales-by-channel.svg` (the six
/// months ending with the period), `income-per-household.svg`,
/// `premium-flow.svg` (manager).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("chart" = String, Path, example = "sales-by-channel.svg"), ReportQuery),
    responses(
        (status = 200, description = "SVG image", content_type = "image/svg+xml"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/reports/charts/{chart}")]
async fn workshop_chart(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, String)>,
    query: Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let (workshop_id, name) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let chart = Chart::parse(&name).ok_or_else(|| AppError::not_found("chart"))?;
    let svg = service::chart_svg(&state.db, workshop_id, query.period()?, chart).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header(("Cache-Control", "private, no-store"))
        .body(svg))
}

/// Every workshop's report side by side (platform admin).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = 200, body = PlatformOverview),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/workshops")]
async fn platform_overview(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ReportQuery>,
) -> AppResult<web::Json<PlatformOverview>> {
    caller.require_platform_admin()?;
    let overview = service::platform_overview(&state.db, query.period()?).await?;
    Ok(web::Json(overview))
}

/// Every workshop side by side as CSV, one row each (platform admin).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "CSV, one row per workshop", content_type = "text/csv"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/workshops.csv")]
async fn platform_overview_csv(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    caller.require_platform_admin()?;
    let period = query.period()?;
    let overview = service::platform_overview(&state.db, period).await?;
    let filename = format!("workshops-{}.csv", period.label());
    Ok(export::overview_csv(&overview).into_response(&filename))
}
