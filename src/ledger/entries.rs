//! Ledger entries: the only insert path, balances summed from them, and the
//! list. Entries are never updated or deleted (a trigger refuses both).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::model::{EntryQuery, EntryView};
use crate::entity::ledger_entry;
use crate::error::AppResult;
use crate::platform::pagination::{Page, PageQuery};
use crate::platform::sql::statement;

/// The three accounts a premium is split between.
pub const FARMER: &str = "farmer";
pub const COLLECTIVE: &str = "collective";
pub const WORKSHOP: &str = "workshop";

pub const PURCHASE: &str = "purchase";
pub const PREMIUM: &str = "premium";
pub const REVERSAL: &str = "reversal";
pub const PAYOUT: &str = "payout";

/// An entry to append; `source_key` is unique, so replaying the same event
/// cannot credit twice.
#[derive(Debug, Clone, Default)]
pub struct NewEntry {
    pub workshop_id: i64,
    pub account: &'static str,
    pub farmer_id: Option<i64>,
    pub kind: &'static str,
    pub amount_fen: i64,
    pub units: i64,
    pub lot_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub split_id: Option<i64>,
    pub order_id: Option<i64>,
    pub reference: String,
    pub source_key: String,
    pub created_by: Option<i64>,
}

pub async fn append(db: &impl ConnectionTrait, e: NewEntry) -> AppResult<ledger_entry::Model> {
    Ok(ledger_entry::ActiveModel {
        workshop_id: Set(e.workshop_id),
        account: Set(e.account.to_owned()),
        farmer_id: Set(e.farmer_id),
        kind: Set(e.kind.to_owned()),
        amount_fen: Set(e.amount_fen),
        units: Set(e.units),
        lot_id: Set(e.lot_id),
        contract_id: Set(e.contract_id),
        split_id: Set(e.split_id),
        order_id: Set(e.order_id),
        reference: Set(e.reference.chars().take(128).collect()),
        source_key: Set(e.source_key),
        created_by: Set(e.created_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// What the workshop owes a farmer now: every credit, minus reversals and payouts.
pub async fn farmer_balance(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    farmer_id: i64,
) -> AppResult<i64> {
    let sql = "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS total FROM ledger_entries \
               WHERE workshop_id = $1 AND account = $2 AND farmer_id = $3";
    let values = vec![workshop_id.into(), FARMER.into(), farmer_id.into()];
    let row = db.query_one_raw(statement(db, sql, values)).await?;
    Ok(match row {
        Some(row) => row.try_get::<i64>("", "total")?,
        None => 0,
    })
}

pub async fn list_entries(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    query: EntryQuery,
) -> AppResult<Page<EntryView>> {
    let page = PageQuery::resolve_parts(query.limit, query.cursor)?;
    let mut select =
        ledger_entry::Entity::find().filter(ledger_entry::Column::WorkshopId.eq(workshop_id));
    if let Some(farmer_id) = query.farmer_id {
        select = select.filter(ledger_entry::Column::FarmerId.eq(farmer_id));
    }
    if let Some(account) = query.account {
        select = select.filter(ledger_entry::Column::Account.eq(account.as_str()));
    }
    let rows = page
        .keyset(select, ledger_entry::Column::Id)
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, page, |e| e.id).map(EntryView::from))
}
