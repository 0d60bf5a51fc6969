//! Farmer rules: register and update households (managers), list and read
//! them with private fields only for managers.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::model::{CreateFarmerRequest, FarmerQuery, FarmerView, UpdateFarmerRequest, Visibility};
use crate::catalog::lookup;
use crate::catalog::types::patch;
use crate::entity::farmer;
use crate::error::AppResult;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::validate::Check;

pub async fn create_farmer(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    req: CreateFarmerRequest,
) -> AppResult<FarmerView> {
    let row = farmer::Model {
        id: 0,
        workshop_id,
        name: req.name.trim().to_owned(),
        village: req.village.trim().to_owned(),
        phone: req.phone,
        is_low_income: req.is_low_income,
        settlement_ref: req.settlement_ref,
        created_at: Utc::now(),
    };
    check(&row)?;
    lookup::workshop(db, workshop_id).await?;
    let created = farmer::ActiveModel {
        workshop_id: Set(workshop_id),
        name: Set(row.name),
        village: Set(row.village),
        phone: Set(row.phone),
        is_low_income: Set(row.is_low_income),
        settlement_ref: Set(row.settlement_ref),
        created_at: Set(row.created_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(FarmerView::new(created, Visibility::Manager))
}

pub async fn update_farmer(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    farmer_id: i64,
    req: UpdateFarmerRequest,
) -> AppResult<FarmerView> {
    let mut row = lookup::farmer(db, workshop_id, farmer_id).await?;
    patch(&mut row.name, req.name.map(|s| s.trim().to_owned()));
    patch(&mut row.village, req.village.map(|s| s.trim().to_owned()));
    patch(&mut row.phone, req.phone);
    patch(&mut row.is_low_income, req.is_low_income);
    patch(&mut row.settlement_ref, req.settlement_ref);
    check(&row)?;
    let mut active = row.into_active_model();
    for column in [
        farmer::Column::Name,
        farmer::Column::Village,
        farmer::Column::Phone,
        farmer::Column::IsLowIncome,
        farmer::Column::SettlementRef,
    ] {
        active.reset(column);
    }
    let row = active.update(db).await?;
    Ok(FarmerView::new(row, Visibility::Manager))
}

pub async fn get_farmer(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    farmer_id: i64,
    visibility: Visibility,
) -> AppResult<FarmerView> {
    let row = lookup::farmer(db, workshop_id, farmer_id).await?;
    Ok(FarmerView::new(row, visibility))
}

pub async fn list_farmers(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    query: FarmerQuery,
    visibility: Visibility,
) -> AppResult<Page<FarmerView>> {
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .resolve()?;
    let mut select = farmer::Entity::find().filter(farmer::Column::WorkshopId.eq(workshop_id));
    if let Some(low_income) = query.low_income {
        select = select.filter(farmer::Column::IsLowIncome.eq(low_income));
    }
    let select = page.keyset(select, farmer::Column::Id);
    let rows = select.all(db).await?;
    Ok(Page::from_rows(rows, page, |f| f.id).map(|f| FarmerView::new(f, visibility)))
}

fn check(row: &farmer::Model) -> AppResult<()> {
    Check::new()
        .text("name", &row.name, 1, 64)
        .text("village", &row.village, 1, 64)
        .phone("phone", &row.phone)
        .text("settlement_ref", &row.settlement_ref, 0, 128)
        .finish()
}
