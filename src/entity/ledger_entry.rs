use sea_orm::entity::prelude::*;

/// What an account (a farmer, the village collective, the workshop) is owed:
/// purchases and premiums credit, reversals and payouts debit. Append-only.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    /// farmer | collective | workshop
    pub account: String,
    pub farmer_id: Option<i64>,
    /// purchase | premium | reversal | payout
    pub kind: String,
    pub amount_fen: i64,
    pub units: i64,
    pub lot_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub split_id: Option<i64>,
    pub order_id: Option<i64>,
    pub reference: String,
    #[sea_orm(unique)]
    pub source_key: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
