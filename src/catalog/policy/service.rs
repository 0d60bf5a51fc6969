//! Reading and replacing a workshop's catalog policy. A change alters every
//! cached view of the workshop, so all catalog entries are dropped everywhere.

use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel, Set};

use super::model::CatalogPolicy;
use crate::catalog::{invalidation, lookup};
use crate::error::AppResult;
use crate::platform::validate::Check;
use crate::state::AppState;

pub async fn get_policy(db: &impl ConnectionTrait, workshop_id: i64) -> AppResult<CatalogPolicy> {
    Ok(CatalogPolicy::from(
        &lookup::workshop(db, workshop_id).await?,
    ))
}

/// Existing SKU prices are not re-checked: the band applies to the next price set.
pub async fn set_policy(
    state: &AppState,
    workshop_id: i64,
    policy: CatalogPolicy,
) -> AppResult<CatalogPolicy> {
    let mut check = Check::new();
    check
        .range(
            "cp_band_min_bp",
            policy.cp_band_min_bp.into(),
            10_000,
            30_000,
        )
        .range(
            "cp_band_max_bp",
            policy.cp_band_max_bp.into(),
            10_000,
            30_000,
        )
        .range(
            "low_stock_threshold",
            policy.low_stock_threshold.into(),
            0,
            1_000_000,
        );
    if policy.cp_band_min_bp > policy.cp_band_max_bp {
        check.fail("cp_band_max_bp", "must not be below cp_band_min_bp");
    }
    check.finish()?;
    let mut active = lookup::workshop(&state.db, workshop_id)
        .await?
        .into_active_model();
    active.cp_band_min_bp = Set(policy.cp_band_min_bp);
    active.cp_band_max_bp = Set(policy.cp_band_max_bp);
    active.show_exact_stock = Set(policy.show_exact_stock);
    active.low_stock_threshold = Set(policy.low_stock_threshold);
    let updated = active.update(&state.db).await?;
    invalidation::invalidate_all(state).await;
    Ok(CatalogPolicy::from(&updated))
}
