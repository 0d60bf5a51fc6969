//! A customer's delivery addresses (at most 20), owned and seen only by them.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::model::{AddressRequest, AddressView};
use crate::entity::address;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::validate::Check;

pub const MAX_ADDRESSES: u64 = 20;

pub async fn add_address(
    db: &impl ConnectionTrait,
    customer_id: i64,
    req: AddressRequest,
) -> AppResult<AddressView> {
    validate(&req)?;
    let count = address::Entity::find()
        .filter(address::Column::CustomerId.eq(customer_id))
        .count(db)
        .await?;
    if count >= MAX_ADDRESSES {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("at most {MAX_ADDRESSES} addresses per customer"),
        ));
    }
    let row = address::ActiveModel {
        customer_id: Set(customer_id),
        name: Set(req.name),
        phone: Set(req.phone),
        province: Set(req.province),
        city: Set(req.city),
        district: Set(req.district),
        detail: Set(req.detail),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(view(row))
}

pub async fn update_address(
    db: &impl ConnectionTrait,
    customer_id: i64,
    id: i64,
    req: AddressRequest,
) -> AppResult<AddressView> {
    validate(&req)?;
    let mut row: address::ActiveModel = find(db, customer_id, id).await?.into();
    row.name = Set(req.name);
    row.phone = Set(req.phone);
    row.province = Set(req.province);
    row.city = Set(req.city);
    row.district = Set(req.district);
    row.detail = Set(req.detail);
    Ok(view(row.update(db).await?))
}

pub async fn delete_address(db: &impl ConnectionTrait, customer_id: i64, id: i64) -> AppResult<()> {
    let row = find(db, customer_id, id).await?;
    address::Entity::delete_by_id(row.id).exec(db).await?;
    Ok(())
}

pub async fn list_addresses(
    db: &impl ConnectionTrait,
    customer_id: i64,
) -> AppResult<Vec<AddressView>> {
    let rows = address::Entity::find()
        .filter(address::Column::CustomerId.eq(customer_id))
        .order_by_asc(address::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(view).collect())
}

/// The caller's address as it should be snapshotted onto an order.
pub async fn address_for_order(
    db: &impl ConnectionTrait,
    customer_id: i64,
    id: i64,
) -> AppResult<AddressView> {
    match find(db, customer_id, id).await {
        Ok(address) => Ok(view(address)),
        // Only a missing address is the client's mistake; an outage stays a 503.
        Err(err) if err.code == ErrorCode::NotFound => {
            Err(AppError::invalid("address_id", "not one of your addresses"))
        }
        Err(err) => Err(err),
    }
}

async fn find(db: &impl ConnectionTrait, customer_id: i64, id: i64) -> AppResult<address::Model> {
    address::Entity::find_by_id(id)
        .filter(address::Column::CustomerId.eq(customer_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("address"))
}

fn validate(req: &AddressRequest) -> AppResult<()> {
    Check::new()
        .text("name", &req.name, 1, 64)
        .phone("phone", &req.phone)
        .text("province", &req.province, 1, 32)
        .text("city", &req.city, 1, 32)
        .text("district", &req.district, 1, 32)
        .text("detail", &req.detail, 1, 200)
        .finish()
}

pub(crate) fn view(a: address::Model) -> AddressView {
    AddressView {
        id: a.id,
        name: a.name,
        phone: a.phone,
        province: a.province,
        city: a.city,
        district: a.district,
        detail: a.detail,
    }
}
