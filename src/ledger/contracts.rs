//! Farmer contracts (兜底收购): per farmer and season, a product and grades
//! covered, a floor price and a committed volume. A lot received from the
//! farmer within the season is bought under the best-paying covering contract.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::entries::PURCHASE;
use super::model::{ContractQuery, ContractView, CreateContractRequest};
use crate::catalog::checks::MAX_UNITS;
use crate::catalog::lookup;
use crate::catalog::rules::MAX_PRICE_FEN;
use crate::entity::{farmer_contract, ledger_entry, lot};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::validate::Check;

pub async fn create_contract(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    by: i64,
    req: CreateContractRequest,
) -> AppResult<ContractView> {
    check(&req)?;
    referenced(
        lookup::farmer(db, workshop_id, req.farmer_id).await,
        "farmer_id",
    )?;
    referenced(
        lookup::product(db, workshop_id, req.product_id).await,
        "product_id",
    )?;
    let grades: Vec<String> = req.grades.iter().map(|g| g.trim().to_owned()).collect();
    let row = farmer_contract::ActiveModel {
        workshop_id: Set(workshop_id),
        farmer_id: Set(req.farmer_id),
        product_id: Set(req.product_id),
        season: Set(req.season.trim().to_owned()),
        starts_on: Set(req.starts_on),
        ends_on: Set(req.ends_on),
        grades: Set(serde_json::to_string(&grades).unwrap_or_else(|_| "[]".into())),
        floor_price_fen: Set(req.floor_price_fen),
        committed_units: Set(req.committed_units),
        grade_rules: Set(req.grade_rules),
        created_by: Set(by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(ContractView::new(row, 0))
}

pub async fn get_contract(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    contract_id: i64,
) -> AppResult<ContractView> {
    let row = farmer_contract::Entity::find_by_id(contract_id)
        .filter(farmer_contract::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("contract"))?;
    let delivered = delivered_units(db, row.id).await?;
    Ok(ContractView::new(row, delivered))
}

pub async fn list_contracts(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    query: ContractQuery,
) -> AppResult<Page<ContractView>> {
    let page = PageQuery::resolve_parts(query.limit, query.cursor)?;
    let mut select =
        farmer_contract::Entity::find().filter(farmer_contract::Column::WorkshopId.eq(workshop_id));
    if let Some(farmer_id) = query.farmer_id {
        select = select.filter(farmer_contract::Column::FarmerId.eq(farmer_id));
    }
    let rows = page
        .keyset(select, farmer_contract::Column::Id)
        .all(db)
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let delivered = delivered_units(db, row.id).await?;
        items.push((row, delivered));
    }
    Ok(Page::from_rows(items, page, |(c, _)| c.id).map(|(c, d)| ContractView::new(c, d)))
}

/// The covering contract paying the most for `lot` (product of its SKU,
/// grade, harvest date within the season), if any.
pub async fn covering(
    db: &impl ConnectionTrait,
    lot: &lot::Model,
    product_id: i64,
) -> AppResult<Option<farmer_contract::Model>> {
    let candidates = farmer_contract::Entity::find()
        .filter(farmer_contract::Column::WorkshopId.eq(lot.workshop_id))
        .filter(farmer_contract::Column::FarmerId.eq(lot.farmer_id))
        .filter(farmer_contract::Column::ProductId.eq(product_id))
        .filter(farmer_contract::Column::StartsOn.lte(lot.harvest_date))
        .filter(farmer_contract::Column::EndsOn.gte(lot.harvest_date))
        .order_by_desc(farmer_contract::Column::FloorPriceFen)
        .order_by_asc(farmer_contract::Column::Id)
        .all(db)
        .await?;
    Ok(candidates.into_iter().find(|c| covers_grade(c, &lot.grade)))
}

fn covers_grade(contract: &farmer_contract::Model, grade: &str) -> bool {
    let grades: Vec<String> = serde_json::from_str(&contract.grades).unwrap_or_default();
    grades.is_empty() || grades.iter().any(|g| g == grade)
}

async fn delivered_units(db: &impl ConnectionTrait, contract_id: i64) -> AppResult<i64> {
    Ok(ledger_entry::Entity::find()
        .filter(ledger_entry::Column::ContractId.eq(contract_id))
        .filter(ledger_entry::Column::Kind.eq(PURCHASE))
        .all(db)
        .await?
        .iter()
        .map(|e| e.units)
        .sum())
}

fn check(req: &CreateContractRequest) -> AppResult<()> {
    let mut check = Check::new();
    check
        .text("season", &req.season, 1, 32)
        .range("floor_price_fen", req.floor_price_fen, 0, MAX_PRICE_FEN)
        .range("committed_units", req.committed_units, 0, MAX_UNITS)
        .text("grade_rules", &req.grade_rules, 0, 500);
    if req.ends_on < req.starts_on {
        check.fail("ends_on", "must not be before starts_on");
    }
    if req.grades.len() > 10 {
        check.fail("grades", "at most 10 grades");
    }
    for (i, grade) in req.grades.iter().enumerate() {
        check.text(&format!("grades[{i}]"), grade, 1, 32);
    }
    check.finish()
}

fn referenced<T>(found: AppResult<T>, field: &str) -> AppResult<T> {
    found.map_err(|err| match err.code {
        ErrorCode::NotFound => AppError::invalid(field, "no such record in this workshop"),
        _ => err,
    })
}
