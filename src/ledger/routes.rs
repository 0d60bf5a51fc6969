//! Ledger endpoints: contracts and the split rule (managers write, staff
//! read), sale splits, entries, statements (private farmer fields for
//! managers only) and payouts (managers).

use actix_web::{HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::model::{
    ContractQuery, ContractView, CreateContractRequest, EntryQuery, EntryView, MonthQuery,
    PayoutRequest, PayoutView, SaleSplitView, SplitRuleRequest, SplitRuleView, StatementView,
};
use super::period::{Period, current_month};
use super::{contracts, entries, export, payouts, rules, sales, statements};
use crate::auth::{Caller, Role};
use crate::error::{AppResult, Problem};
use crate::platform::json::Json;
use crate::platform::pagination::Page;
use crate::platform::query::Query;
use crate::state::AppState;

const STAFF: [Role; 4] = [
    Role::Manager,
    Role::Streamer,
    Role::Fulfilment,
    Role::Leader,
];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_contract)
        .service(list_contracts)
        .service(get_contract)
        .service(get_split_rule)
        .service(set_split_rule)
        .service(order_splits)
        .service(list_entries)
        .service(farmer_statement)
        .service(statements_json)
        .service(statements_csv)
        .service(record_payout);
}

/// Staff may read; true when the caller may also see farmers' private fields.
fn staff_sees_private(caller: &Caller, workshop_id: i64) -> AppResult<bool> {
    caller.require_role(workshop_id, &STAFF)?;
    Ok(caller.require_role(workshop_id, &[Role::Manager]).is_ok())
}

fn month_of(query: &MonthQuery) -> AppResult<Period> {
    match &query.month {
        Some(text) => Period::month(text, "month"),
        None => Ok(current_month()),
    }
}

/// Sign a farmer contract (兜底收购) for a season (manager).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = CreateContractRequest,
    responses(
        (status = 201, body = ContractView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/ledger/contracts")]
async fn create_contract(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<CreateContractRequest>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let view =
        contracts::create_contract(&state.db, workshop_id, caller.account_id, body.0).await?;
    Ok(HttpResponse::Created().json(view))
}

/// The workshop's farmer contracts with units delivered so far (staff).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ContractQuery),
    responses(
        (status = 200, body = Page<ContractView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/ledger/contracts")]
async fn list_contracts(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<ContractQuery>,
) -> AppResult<web::Json<Page<ContractView>>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &STAFF)?;
    let page = contracts::list_contracts(&state.db, workshop_id, query.into_inner()).await?;
    Ok(web::Json(page))
}

/// One farmer contract (staff).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("contract_id" = i64, Path)),
    responses(
        (status = 200, body = ContractView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/ledger/contracts/{contract_id}")]
async fn get_contract(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<ContractView>> {
    let (workshop_id, contract_id) = path.into_inner();
    caller.require_role(workshop_id, &STAFF)?;
    let view = contracts::get_contract(&state.db, workshop_id, contract_id).await?;
    Ok(web::Json(view))
}

/// The premium split rule in basis points (staff).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    responses(
        (status = 200, body = SplitRuleView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/ledger/split-rule")]
async fn get_split_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> AppResult<web::Json<SplitRuleView>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &STAFF)?;
    Ok(web::Json(rules::get_rule(&state.db, workshop_id).await?))
}

/// Set the premium split rule; the rates must sum to 10000 (manager). Applies
/// to sales split from now on; past splits keep the rule they were made with.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path)),
    request_body = SplitRuleRequest,
    responses(
        (status = 200, body = SplitRuleView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/workshops/{workshop_id}/ledger/split-rule")]
async fn set_split_rule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Json<SplitRuleRequest>,
) -> AppResult<web::Json<SplitRuleView>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let view = rules::set_rule(&state.db, workshop_id, caller.account_id, body.0).await?;
    Ok(web::Json(view))
}

/// Where every fen of an order went: one row per lot of each line, and
/// reversals for refunds (manager).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("order_id" = i64, Path)),
    responses(
        (status = 200, body = Vec<SaleSplitView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/ledger/orders/{order_id}/splits")]
async fn order_splits(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<Vec<SaleSplitView>>> {
    let (workshop_id, order_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let splits = sales::order_splits(&state.db, workshop_id, order_id).await?;
    Ok(web::Json(splits))
}

/// The append-only ledger entries, oldest first (manager).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), EntryQuery),
    responses(
        (status = 200, body = Page<EntryView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/ledger/entries")]
async fn list_entries(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<EntryQuery>,
) -> AppResult<web::Json<Page<EntryView>>> {
    let workshop_id = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let page = entries::list_entries(&state.db, workshop_id, query.into_inner()).await?;
    Ok(web::Json(page))
}

/// One farmer's monthly statement (staff; phone and settlement reference for managers only).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("farmer_id" = i64, Path), MonthQuery),
    responses(
        (status = 200, body = StatementView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/ledger/farmers/{farmer_id}/statement")]
async fn farmer_statement(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    query: Query<MonthQuery>,
) -> AppResult<web::Json<StatementView>> {
    let (workshop_id, farmer_id) = path.into_inner();
    let private = staff_sees_private(&caller, workshop_id)?;
    let period = month_of(&query)?;
    let view =
        statements::farmer_statement(&state.db, workshop_id, farmer_id, period, private).await?;
    Ok(web::Json(view))
}

/// Every farmer's statement for a month (staff; private fields for managers only).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), MonthQuery),
    responses(
        (status = 200, body = Vec<StatementView>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/ledger/statements")]
async fn statements_json(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<MonthQuery>,
) -> AppResult<web::Json<Vec<StatementView>>> {
    let workshop_id = path.into_inner();
    let private = staff_sees_private(&caller, workshop_id)?;
    let period = month_of(&query)?;
    let all = statements::workshop_statements(&state.db, workshop_id, period, private).await?;
    Ok(web::Json(all))
}

/// The month's farmer statements as CSV (UTF-8 with BOM; staff, private
/// columns filled for managers only).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), MonthQuery),
    responses(
        (status = 200, description = "CSV, one row per farmer", content_type = "text/csv"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/workshops/{workshop_id}/ledger/statements.csv")]
async fn statements_csv(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: Query<MonthQuery>,
) -> AppResult<HttpResponse> {
    let workshop_id = path.into_inner();
    let private = staff_sees_private(&caller, workshop_id)?;
    let period = month_of(&query)?;
    let all = statements::workshop_statements(&state.db, workshop_id, period, private).await?;
    let filename = format!("statements-{workshop_id}-{}.csv", period.label());
    Ok(export::statements_csv(&all).into_response(&filename))
}

/// Record a payout to a farmer; refused (409) above the farmer's balance (manager).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("workshop_id" = i64, Path), ("farmer_id" = i64, Path)),
    request_body = PayoutRequest,
    responses(
        (status = 201, body = PayoutView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "payout_exceeds_balance", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workshops/{workshop_id}/ledger/farmers/{farmer_id}/payouts")]
async fn record_payout(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: Json<PayoutRequest>,
) -> AppResult<HttpResponse> {
    let (workshop_id, farmer_id) = path.into_inner();
    caller.require_role(workshop_id, &[Role::Manager])?;
    let view = payouts::record_payout(&state.db, workshop_id, farmer_id, caller.account_id, body.0)
        .await?;
    Ok(HttpResponse::Created().json(view))
}
