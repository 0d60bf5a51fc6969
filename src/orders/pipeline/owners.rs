//! Which workshop a SKU belongs to, kept in memory: it never changes, so a
//! buyer's order is routed to its workshop's writer without a query.

use std::collections::HashMap;

use moka::sync::Cache;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::sku;
use crate::error::{AppError, AppResult, ErrorCode};

#[derive(Clone)]
pub struct SkuOwners {
    known: Cache<i64, i64>,
}

impl SkuOwners {
    pub fn new() -> Self {
        Self {
            known: Cache::new(1_000_000),
        }
    }

    pub async fn of(
        &self,
        db: &DatabaseConnection,
        sku_ids: &[i64],
    ) -> AppResult<HashMap<i64, i64>> {
        let mut found: HashMap<i64, i64> = HashMap::with_capacity(sku_ids.len());
        let mut missing = Vec::new();
        for &id in sku_ids {
            match self.known.get(&id) {
                Some(workshop) => {
                    found.insert(id, workshop);
                }
                None => missing.push(id),
            }
        }
        if !missing.is_empty() {
            let rows: Vec<(i64, i64)> = sku::Entity::find()
                .select_only()
                .column(sku::Column::Id)
                .column(sku::Column::WorkshopId)
                .filter(sku::Column::Id.is_in(missing))
                .into_tuple()
                .all(db)
                .await?;
            for (id, workshop) in rows {
                self.known.insert(id, workshop);
                found.insert(id, workshop);
            }
        }
        if found.len() < sku_ids.len() {
            return Err(AppError::new(
                ErrorCode::Unavailable,
                "a SKU in this order does not exist",
            ));
        }
        Ok(found)
    }
}
