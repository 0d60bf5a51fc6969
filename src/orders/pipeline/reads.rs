//! What a batch reads before it decides: the buyers' saved addresses, the
//! workshops, the SKUs (locked where their stock is taken) with their
//! products, and the allotments (locked). On PostgreSQL one statement reads
//! them all (`pg::read`); elsewhere one statement per table.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::intent::{Destination, Job};
use crate::entity::{address, allotment, product, sku, workshop};
use crate::error::AppResult;
use crate::orders::service::Priced;

/// The ids a batch needs rows of.
#[derive(Debug, Default)]
pub struct Needs {
    pub addresses: Vec<i64>,
    pub workshops: Vec<i64>,
    /// SKUs whose stock the batch takes: locked.
    pub locked_skus: Vec<i64>,
    /// SKUs only read (lines drawn from an allotment the channel did not describe).
    pub read_skus: Vec<i64>,
    pub allotments: Vec<i64>,
    /// How many orders and lines the batch may write (ids to set aside).
    pub orders: usize,
    pub lines: usize,
}

impl Needs {
    pub fn of(jobs: &[Job]) -> Self {
        let intents = || jobs.iter().flat_map(|j| j.intents.iter());
        let mut locked = BTreeSet::new();
        let mut read = BTreeSet::new();
        for intent in intents() {
            for line in &intent.lines {
                match (intent.allotment_id, &line.known) {
                    (None, _) => {
                        locked.insert(line.sku_id);
                    }
                    (Some(_), None) => {
                        read.insert(line.sku_id);
                    }
                    (Some(_), Some(_)) => {}
                }
            }
        }
        let read = read.difference(&locked).copied().collect();
        let addresses: BTreeSet<i64> = intents()
            .filter_map(|i| match i.destination {
                Destination::Address(id) => Some(id),
                _ => None,
            })
            .collect();
        let workshops: BTreeSet<i64> = intents().map(|i| i.workshop_id).collect();
        let allotments: BTreeSet<i64> = intents().filter_map(|i| i.allotment_id).collect();
        Self {
            addresses: addresses.into_iter().collect(),
            workshops: workshops.into_iter().collect(),
            locked_skus: locked.into_iter().collect(),
            read_skus: read,
            allotments: allotments.into_iter().collect(),
            orders: intents().count(),
            lines: intents().map(|i| i.lines.len()).sum(),
        }
    }
}

/// The rows found, and (PostgreSQL) ids set aside for the new orders and lines.
#[derive(Default)]
pub struct Found {
    pub addresses: HashMap<i64, address::Model>,
    pub workshops: HashMap<i64, workshop::Model>,
    pub items: HashMap<i64, Arc<Priced>>,
    /// Units each allotment has left (0 once closed).
    pub allotments: HashMap<i64, i64>,
    pub order_ids: Vec<i64>,
    pub line_ids: Vec<i64>,
}

impl Found {
    pub fn from_rows(
        addresses: Vec<address::Model>,
        workshops: Vec<workshop::Model>,
        skus: Vec<sku::Model>,
        products: Vec<product::Model>,
        allotments: Vec<allotment::Model>,
    ) -> Self {
        let products: HashMap<i64, product::Model> =
            products.into_iter().map(|p| (p.id, p)).collect();
        Self {
            addresses: addresses.into_iter().map(|a| (a.id, a)).collect(),
            workshops: workshops.into_iter().map(|w| (w.id, w)).collect(),
            items: skus
                .into_iter()
                .filter_map(|sku| {
                    let product = products.get(&sku.product_id)?.clone();
                    Some((sku.id, Arc::new(Priced { sku, product })))
                })
                .collect(),
            allotments: allotments
                .into_iter()
                .map(|a| (a.id, if a.open { a.remaining } else { 0 }))
                .collect(),
            order_ids: Vec::new(),
            line_ids: Vec::new(),
        }
    }

    /// Units each SKU read can still sell.
    pub fn available(&self) -> HashMap<i64, i64> {
        self.items
            .iter()
            .map(|(&id, item)| (id, item.sku.on_hand - item.sku.reserved))
            .collect()
    }
}

/// One statement per table (SQLite: one writer at a time, no row locks).
pub async fn read_each(txn: &DatabaseTransaction, needs: &Needs) -> AppResult<Found> {
    let addresses = address::Entity::find()
        .filter(address::Column::Id.is_in(needs.addresses.clone()))
        .all(txn)
        .await?;
    let workshops = workshop::Entity::find()
        .filter(workshop::Column::Id.is_in(needs.workshops.clone()))
        .all(txn)
        .await?;
    let sku_ids: Vec<i64> = needs
        .locked_skus
        .iter()
        .chain(&needs.read_skus)
        .copied()
        .collect();
    let skus = sku::Entity::find()
        .filter(sku::Column::Id.is_in(sku_ids))
        .all(txn)
        .await?;
    let product_ids: HashSet<i64> = skus.iter().map(|s| s.product_id).collect();
    let products = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(txn)
        .await?;
    let allotments = allotment::Entity::find()
        .filter(allotment::Column::Id.is_in(needs.allotments.clone()))
        .all(txn)
        .await?;
    Ok(Found::from_rows(
        addresses, workshops, skus, products, allotments,
    ))
}
