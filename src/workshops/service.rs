//! Workshop rules: creation with a first manager, adding and removing staff,
//! listing members with cursor pagination.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::model::{AddMemberRequest, CreateWorkshopRequest, MemberView, NewMember, WorkshopView};
use crate::auth::Role;
use crate::auth::service::{evict_account, find_or_create_account};
use crate::entity::{account, membership, workshop};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::db;
use crate::platform::pagination::{Page, PageRequest};
use crate::platform::validate::Check;
use crate::state::AppState;

pub async fn create_workshop(
    state: &AppState,
    req: CreateWorkshopRequest,
) -> AppResult<WorkshopView> {
    Check::new()
        .text("name", &req.name, 1, 64)
        .text("region", &req.region, 1, 64)
        .text("description", &req.description, 0, 2000)
        .text("contact", &req.contact, 1, 64)
        .finish()?;
    check_new_member("manager.", &req.manager)?;
    let txn = db::begin_write(&state.db).await?;
    let created = workshop::ActiveModel {
        name: Set(req.name.trim().to_owned()),
        region: Set(req.region),
        description: Set(req.description),
        contact: Set(req.contact),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| rename_conflict(e.into(), "a workshop with this name already exists"))?;
    let manager = &req.manager;
    let account = find_or_create_account(
        &txn,
        &state.passwords,
        &manager.phone,
        &manager.name,
        manager.password.as_deref(),
    )
    .await?;
    insert_membership(&txn, created.id, account.id, Role::Manager).await?;
    txn.commit().await?;
    evict_account(state, account.id).await?;
    Ok(created.into())
}

pub async fn list_workshops(
    db: &impl ConnectionTrait,
    page: PageRequest,
) -> AppResult<Page<WorkshopView>> {
    let mut query = workshop::Entity::find().order_by_asc(workshop::Column::Id);
    if let Some(after) = page.after_id {
        query = query.filter(workshop::Column::Id.gt(after));
    }
    let rows = query.limit(page.limit + 1).all(db).await?;
    Ok(Page::from_rows(rows, page, |w| w.id).map(WorkshopView::from))
}

pub async fn get_workshop(db: &impl ConnectionTrait, id: i64) -> AppResult<WorkshopView> {
    Ok(find_workshop(db, id).await?.into())
}

pub async fn add_member(
    state: &AppState,
    workshop_id: i64,
    req: AddMemberRequest,
) -> AppResult<MemberView> {
    let person = NewMember {
        phone: req.phone,
        name: req.name,
        password: req.password,
    };
    check_new_member("", &person)?;
    find_workshop(&state.db, workshop_id).await?;
    let txn = db::begin_write(&state.db).await?;
    let account = find_or_create_account(
        &txn,
        &state.passwords,
        &person.phone,
        &person.name,
        person.password.as_deref(),
    )
    .await?;
    let row = insert_membership(&txn, workshop_id, account.id, req.role).await?;
    txn.commit().await?;
    evict_account(state, account.id).await?;
    Ok(member_view(row, &account))
}

pub async fn list_members(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    page: PageRequest,
) -> AppResult<Page<MemberView>> {
    find_workshop(db, workshop_id).await?;
    let mut query = membership::Entity::find()
        .filter(membership::Column::WorkshopId.eq(workshop_id))
        .order_by_asc(membership::Column::Id);
    if let Some(after) = page.after_id {
        query = query.filter(membership::Column::Id.gt(after));
    }
    let rows = query.limit(page.limit + 1).all(db).await?;
    let account_ids: Vec<i64> = rows.iter().map(|m| m.account_id).collect();
    let accounts: HashMap<i64, account::Model> = account::Entity::find()
        .filter(account::Column::Id.is_in(account_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let page = Page::from_rows(rows, page, |m| m.id);
    Ok(Page {
        items: page
            .items
            .into_iter()
            .filter_map(|m| accounts.get(&m.account_id).map(|a| member_view(m, a)))
            .collect(),
        next_cursor: page.next_cursor,
    })
}

/// Removes one membership. The last manager of a workshop cannot be removed.
pub async fn remove_member(
    state: &AppState,
    workshop_id: i64,
    membership_id: i64,
) -> AppResult<()> {
    let row = membership::Entity::find_by_id(membership_id)
        .filter(membership::Column::WorkshopId.eq(workshop_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("member"))?;
    if row.role == Role::Manager.as_str() {
        let managers = membership::Entity::find()
            .filter(membership::Column::WorkshopId.eq(workshop_id))
            .filter(membership::Column::Role.eq(Role::Manager.as_str()))
            .count(&state.db)
            .await?;
        if managers <= 1 {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "a workshop must keep at least one manager",
            ));
        }
    }
    membership::Entity::delete_by_id(row.id)
        .exec(&state.db)
        .await?;
    evict_account(state, row.account_id).await
}

async fn find_workshop(db: &impl ConnectionTrait, id: i64) -> AppResult<workshop::Model> {
    workshop::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("workshop"))
}

async fn insert_membership(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    account_id: i64,
    role: Role,
) -> AppResult<membership::Model> {
    membership::ActiveModel {
        workshop_id: Set(workshop_id),
        account_id: Set(account_id),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| rename_conflict(e.into(), "this account already holds that role here"))
}

fn check_new_member(prefix: &str, person: &NewMember) -> AppResult<()> {
    Check::new()
        .phone(&format!("{prefix}phone"), &person.phone)
        .text(&format!("{prefix}name"), &person.name, 1, 64)
        .optional_text(
            &format!("{prefix}password"),
            person.password.as_deref(),
            128,
        )
        .finish()
}

fn rename_conflict(err: AppError, detail: &str) -> AppError {
    if err.code == ErrorCode::AlreadyExists {
        AppError::new(ErrorCode::AlreadyExists, detail)
    } else {
        err
    }
}

fn member_view(m: membership::Model, a: &account::Model) -> MemberView {
    MemberView {
        id: m.id,
        workshop_id: m.workshop_id,
        account_id: a.id,
        phone: a.phone.clone(),
        name: a.name.clone(),
        role: Role::parse(&m.role).unwrap_or(Role::Streamer),
        created_at: m.created_at,
    }
}
