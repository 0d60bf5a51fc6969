//! Quality feedback for farmers: after-sales claims traced through the pick
//! allocations to the lots and farmers the claimed lines came from.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::claim_model::{ClaimStats, FarmerClaims, LotClaims};
use super::claims::claimed_lines;
use super::trace::origins;
use crate::entity::pick_allocation;
use crate::error::AppResult;

#[derive(Default)]
struct Tally {
    claims: BTreeSet<i64>,
    approved: BTreeSet<i64>,
}

impl Tally {
    fn add(&mut self, claim_id: i64, approved: bool) {
        self.claims.insert(claim_id);
        if approved {
            self.approved.insert(claim_id);
        }
    }
}

/// Claims (open or approved) per lot and per farmer, most claimed first.
pub async fn claim_stats(db: &impl ConnectionTrait, workshop_id: i64) -> AppResult<ClaimStats> {
    let claimed = claimed_lines(db, workshop_id).await?;
    let allocations = pick_allocation::Entity::find()
        .filter(pick_allocation::Column::WorkshopId.eq(workshop_id))
        .filter(pick_allocation::Column::OrderLineId.is_in(claimed.iter().map(|c| c.1)))
        .filter(pick_allocation::Column::ReleasedAt.is_null())
        .all(db)
        .await?;
    let origins = origins(db, &allocations).await?;
    let mut by_lot: BTreeMap<i64, Tally> = BTreeMap::new();
    let mut by_farmer: BTreeMap<i64, Tally> = BTreeMap::new();
    for &(claim_id, line_id, approved) in &claimed {
        for a in allocations.iter().filter(|a| a.order_line_id == line_id) {
            by_lot.entry(a.lot_id).or_default().add(claim_id, approved);
            if let Some(origin) = origins.get(&a.lot_id) {
                let farmer = by_farmer.entry(origin.lot.farmer_id).or_default();
                farmer.add(claim_id, approved);
            }
        }
    }
    let mut lots: Vec<LotClaims> = by_lot
        .into_iter()
        .filter_map(|(lot_id, tally)| {
            let origin = origins.get(&lot_id)?;
            Some(LotClaims {
                lot_id,
                code: origin.lot.code.clone(),
                farmer_id: origin.lot.farmer_id,
                claims: tally.claims.len() as i64,
                approved: tally.approved.len() as i64,
            })
        })
        .collect();
    lots.sort_by_key(|l| (-l.claims, l.lot_id));
    let names: BTreeMap<i64, String> = origins
        .values()
        .map(|o| (o.lot.farmer_id, o.farmer_name.clone()))
        .collect();
    let mut farmers: Vec<FarmerClaims> = by_farmer
        .into_iter()
        .map(|(farmer_id, tally)| FarmerClaims {
            farmer_id,
            farmer_name: names.get(&farmer_id).cloned().unwrap_or_default(),
            claims: tally.claims.len() as i64,
            approved: tally.approved.len() as i64,
        })
        .collect();
    farmers.sort_by_key(|f| (-f.claims, f.farmer_id));
    Ok(ClaimStats { lots, farmers })
}
