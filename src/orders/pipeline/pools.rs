//! The stock a batch draws from, as locked at its start: SKUs' available
//! units, allotments' remaining units and live items' caps. Jobs take from
//! it in arrival order, all or nothing; what the placing jobs took is written
//! back in one statement per table.

use std::collections::{BTreeMap, HashMap};

use super::hooks::{AllotmentLeft, CapLeft};
use super::intent::{CapTake, Job};
use super::rows::PricedOrder;
use crate::error::{AppError, AppResult, ErrorCode};

pub struct Pools {
    /// Units a SKU can still sell (on hand minus reserved), by SKU.
    skus: HashMap<i64, i64>,
    /// Units an open allotment has left, by allotment.
    allotments: HashMap<i64, i64>,
    /// What a pinned live item may still sell (None: no cap), by item.
    caps: HashMap<i64, Option<i64>>,
}

/// Units taken by SKU, allotment and live item.
#[derive(Default)]
pub struct Takes {
    pub skus: BTreeMap<i64, i64>,
    pub allotments: BTreeMap<i64, i64>,
    pub caps: BTreeMap<i64, i64>,
}

impl Takes {
    /// What `job` needs, with a SKU name per SKU and allotment for messages.
    fn of<'a>(job: &Job, priced: &'a [PricedOrder]) -> (Self, HashMap<i64, &'a str>) {
        let mut takes = Self::default();
        let mut names = HashMap::new();
        for (intent, order) in job.intents.iter().zip(priced) {
            for line in &order.lines {
                let (map, key) = match intent.allotment_id {
                    Some(a) => (&mut takes.allotments, a),
                    None => (&mut takes.skus, line.item.sku.id),
                };
                *map.entry(key).or_default() += line.quantity;
                names.insert(key, line.item.sku.name.as_str());
            }
            for cap in &intent.caps {
                *takes.caps.entry(cap.item_id).or_default() += cap.quantity;
            }
        }
        (takes, names)
    }

    /// What all `placing` jobs take together.
    pub fn of_jobs(jobs: &[Job], priced: &[Vec<PricedOrder>], placing: &[usize]) -> Self {
        let mut all = Self::default();
        for &j in placing {
            let (takes, _) = Self::of(&jobs[j], &priced[j]);
            for (map, more) in [
                (&mut all.skus, takes.skus),
                (&mut all.allotments, takes.allotments),
                (&mut all.caps, takes.caps),
            ] {
                for (id, n) in more {
                    *map.entry(id).or_default() += n;
                }
            }
        }
        all
    }

    pub fn cap_takes(&self) -> Vec<CapTake> {
        self.caps
            .iter()
            .map(|(&item_id, &quantity)| CapTake { item_id, quantity })
            .collect()
    }
}

impl Pools {
    pub fn new(
        skus: HashMap<i64, i64>,
        allotments: HashMap<i64, i64>,
        caps: HashMap<i64, Option<i64>>,
    ) -> Self {
        Self {
            skus,
            allotments,
            caps,
        }
    }

    /// Takes every unit `job` needs, or nothing and says what ran out.
    pub fn allot(&mut self, job: &Job, priced: &[PricedOrder]) -> AppResult<()> {
        let (need, names) = Takes::of(job, priced);
        let name = |id: &i64| names.get(id).copied().unwrap_or("a SKU");
        for (id, want) in &need.skus {
            if self.skus.get(id).copied().unwrap_or(0) < *want {
                return Err(AppError::new(
                    ErrorCode::OutOfStock,
                    format!("{} has fewer than {want} left", name(id)),
                ));
            }
        }
        for (id, want) in &need.allotments {
            if self.allotments.get(id).copied().unwrap_or(0) < *want {
                return Err(AppError::new(
                    ErrorCode::SoldOut,
                    format!("{} is sold out", name(id)),
                ));
            }
        }
        for (id, want) in &need.caps {
            match self.caps.get(id) {
                None => {
                    return Err(AppError::conflict(
                        ErrorCode::SessionNotLive,
                        "the live session no longer sells this item; order without it",
                    ));
                }
                Some(Some(left)) if left < want => {
                    return Err(AppError::conflict(
                        ErrorCode::OutOfStock,
                        format!("pinned item {id} has no live units left in this session"),
                    ));
                }
                Some(_) => {}
            }
        }
        for (id, want) in &need.skus {
            *self.skus.entry(*id).or_default() -= want;
        }
        for (id, want) in &need.allotments {
            *self.allotments.entry(*id).or_default() -= want;
        }
        for (id, want) in &need.caps {
            if let Some(Some(left)) = self.caps.get_mut(id) {
                *left -= want;
            }
        }
        Ok(())
    }

    /// Each allotment the placing jobs drew from and what it has left (only
    /// placing jobs were allotted, so the pool holds exactly that).
    pub fn allotments_left(&self, took: &Takes) -> Vec<AllotmentLeft> {
        took.allotments
            .keys()
            .map(|&id| AllotmentLeft {
                allotment_id: id,
                remaining: self.allotments.get(&id).copied().unwrap_or(0),
            })
            .collect()
    }

    /// Each capped live item sold from and what its cap has left.
    pub fn caps_left(&self, jobs: &[Job], took: &Takes) -> Vec<CapLeft> {
        let sessions: HashMap<i64, i64> = jobs
            .iter()
            .flat_map(|j| j.intents.iter())
            .filter_map(|i| i.live_session_id.map(|s| (i, s)))
            .flat_map(|(i, s)| i.caps.iter().map(move |c| (c.item_id, s)))
            .collect();
        took.caps
            .keys()
            .filter_map(|&id| {
                let left = (*self.caps.get(&id)?)?;
                Some(CapLeft {
                    session_id: *sessions.get(&id)?,
                    item_id: id,
                    remaining: left,
                })
            })
            .collect()
    }
}
