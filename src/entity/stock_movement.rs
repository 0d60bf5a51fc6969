use sea_orm::entity::prelude::*;

/// Append-only: a SKU's `on_hand` is always the sum of its movements.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workshop_id: i64,
    pub sku_id: i64,
    pub lot_id: Option<i64>,
    /// receipt | adjustment | spoilage | sale | return
    pub kind: String,
    /// Signed units: positive adds to on_hand.
    pub quantity: i64,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
