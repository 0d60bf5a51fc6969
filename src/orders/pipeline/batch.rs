//! One transaction for a batch of order jobs, set-based: the rows every job
//! needs are locked in one statement per table (SKUs, allotments, live caps,
//! in that order), per-buyer limits counted in one upsert per limit value,
//! units allotted in memory in arrival order (all or none per job), then one
//! update per table and four inserts for all orders. A job refused here (out
//! of stock, over a limit, not on sale) is answered on its own; its
//! neighbours are not affected. Any database error fails the whole batch.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, Value,
};

use super::hooks::{AllotmentLeft, CapLeft, PlacedBatch, PlacedOrder, SessionPricing};
use super::intent::{CapTake, Destination, Job, OrderIntent};
use super::limits;
use super::rows::{self, PricedOrder};
use crate::entity::{allotment, cart_line, idempotency_key, product, sku, workshop};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::addresses::addresses_for_orders;
use crate::orders::model::{AddressView, CheckoutResponse, OrderView};
use crate::orders::service::Priced;
use crate::platform::db::statement;

/// Each job's answer (its orders, or why it was refused), and what the
/// batch placed for the observers.
pub struct BatchResult {
    pub answers: Vec<AppResult<Vec<OrderView>>>,
    pub placed: PlacedBatch,
}

/// Jobs still in the running, and why the others were refused.
struct Verdicts(Vec<Option<AppError>>);

impl Verdicts {
    fn open(&self, job: usize) -> bool {
        self.0[job].is_none()
    }

    fn refuse(&mut self, job: usize, err: AppError) {
        if self.0[job].is_none() {
            self.0[job] = Some(err);
        }
    }

    fn open_jobs(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.0.len()).filter(|&j| self.open(j))
    }
}

/// Writes `jobs` (at most one per customer) in `txn`; the caller commits.
pub async fn write(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    pricing: &dyn SessionPricing,
    claim_lease: Duration,
) -> AppResult<BatchResult> {
    let now = Utc::now();
    let mut verdicts = Verdicts((0..jobs.len()).map(|_| None).collect());
    lock_claims(txn, jobs, &mut verdicts, now + claim_lease).await?;
    let addresses = load_addresses(txn, jobs, &mut verdicts).await?;
    let catalog = Catalog::load(txn, jobs).await?;
    let mut pools = Pools::lock(txn, jobs, &catalog, pricing).await?;
    let locked_allotments = pools.allotments.clone();
    let locked_caps = pools.caps.clone();
    let priced = price_jobs(jobs, &catalog, &addresses, &mut verdicts);
    let counted = limits::count(txn, jobs, &priced, &mut |j, e| verdicts.refuse(j, e)).await?;
    for job in verdicts.open_jobs().collect::<Vec<_>>() {
        if let Err(err) = allot_guarded(txn, &jobs[job], &priced[job], &mut pools).await? {
            verdicts.refuse(job, err);
        }
    }
    limits::give_back(txn, jobs, &counted, |j| verdicts.open(j)).await?;
    let placing: Vec<usize> = verdicts.open_jobs().collect();
    pools
        .write(txn, jobs, &priced, &placing, pricing, now)
        .await?;
    let pairs: Vec<(&OrderIntent, &PricedOrder)> = placing
        .iter()
        .flat_map(|&j| jobs[j].intents.iter().zip(&priced[j]))
        .collect();
    let mut views = rows::insert(txn, &pairs, now).await?.into_iter();
    let mut answers: Vec<AppResult<Vec<OrderView>>> = Vec::with_capacity(jobs.len());
    let mut placed = PlacedBatch::default();
    for (j, job) in jobs.iter().enumerate() {
        if let Some(err) = verdicts.0[j].take() {
            answers.push(Err(err));
            continue;
        }
        let orders: Vec<OrderView> = views.by_ref().take(job.intents.len()).collect();
        finish_job(txn, job, &orders).await?;
        placed
            .orders
            .extend(job.intents.iter().zip(&orders).map(|(i, v)| PlacedOrder {
                view: v.clone(),
                buyer_name: i.buyer_name.clone(),
            }));
        answers.push(Ok(orders));
    }
    placed.allotments = pools.allotments_left(&locked_allotments);
    placed.caps = pools.caps_left(jobs, &locked_caps);
    Ok(BatchResult { answers, placed })
}

/// The guard's rows, the idempotency answer and (for a checkout) the empty cart.
async fn finish_job(txn: &DatabaseTransaction, job: &Job, orders: &[OrderView]) -> AppResult<()> {
    for (intent, view) in job.intents.iter().zip(orders) {
        if let Some(guard) = &intent.guard {
            guard.placed(txn, view).await?;
        }
    }
    if job.checkout {
        cart_line::Entity::delete_many()
            .filter(cart_line::Column::CustomerId.eq(job.customer_id()))
            .exec(txn)
            .await?;
    }
    if let Some(claim) = &job.claim {
        let status = actix_web::http::StatusCode::CREATED;
        if job.checkout {
            let body = CheckoutResponse {
                orders: orders.to_vec(),
            };
            claim.complete(txn, status, &body).await?;
        } else if let Some(view) = orders.first() {
            claim.complete(txn, status, view).await?;
        }
    }
    Ok(())
}

/// Holds every job's idempotency claim until commit; a claim another request
/// took over meanwhile refuses its job.
async fn lock_claims(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    verdicts: &mut Verdicts,
    until: DateTime<Utc>,
) -> AppResult<()> {
    let claims: Vec<(usize, i64)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(j, job)| job.claim.as_ref().map(|c| (j, c.id())))
        .collect();
    if claims.is_empty() {
        return Ok(());
    }
    let held: HashSet<i64> = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Id.is_in(claims.iter().map(|(_, id)| *id)))
        .filter(idempotency_key::Column::Status.eq("in_progress"))
        .order_by_asc(idempotency_key::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?
        .into_iter()
        .map(|k| k.id)
        .collect();
    let lost: Vec<usize> = claims
        .iter()
        .filter(|(_, id)| !held.contains(id))
        .map(|(j, _)| *j)
        .collect();
    for j in lost {
        verdicts.refuse(
            j,
            AppError::new(
                ErrorCode::IdempotencyInProgress,
                "this request was taken over by a retry",
            ),
        );
    }
    let ids: Vec<Value> = held.iter().map(|&id| id.into()).collect();
    if !ids.is_empty() {
        let marks = vec!["?"; ids.len()].join(", ");
        let mut values = vec![until.into()];
        values.extend(ids);
        let sql = format!("UPDATE idempotency_keys SET locked_until = ? WHERE id IN ({marks})");
        txn.execute_raw(statement(txn, &sql, values)).await?;
    }
    Ok(())
}

/// Saved addresses named by the jobs, each checked against its customer.
async fn load_addresses(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    verdicts: &mut Verdicts,
) -> AppResult<HashMap<i64, AddressView>> {
    let wanted: Vec<(i64, i64)> = jobs
        .iter()
        .flat_map(|job| job.intents.iter())
        .filter_map(|i| match i.destination {
            Destination::Address(id) => Some((i.customer_id, id)),
            _ => None,
        })
        .collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let found = addresses_for_orders(txn, &wanted).await?;
    for (j, job) in jobs.iter().enumerate() {
        let missing = job
            .intents
            .iter()
            .any(|i| matches!(i.destination, Destination::Address(id) if !found.contains_key(&id)));
        if missing {
            verdicts.refuse(
                j,
                AppError::invalid("address_id", "not one of your addresses"),
            );
        }
    }
    Ok(found)
}

/// The SKUs (locked where the jobs take their stock), their products and the
/// workshops, as they are inside the transaction.
struct Catalog {
    items: HashMap<i64, Arc<Priced>>,
    shops: HashMap<i64, workshop::Model>,
}

impl Catalog {
    async fn load(txn: &DatabaseTransaction, jobs: &[Job]) -> AppResult<Self> {
        let mut locked = BTreeMap::new();
        let mut read = BTreeMap::new();
        for intent in jobs.iter().flat_map(|j| j.intents.iter()) {
            for line in &intent.lines {
                match (intent.allotment_id, &line.known) {
                    (None, _) => locked.insert(line.sku_id, ()),
                    (Some(_), None) => read.insert(line.sku_id, ()),
                    (Some(_), Some(_)) => None,
                };
            }
        }
        read.retain(|id, _| !locked.contains_key(id));
        let mut skus = Vec::new();
        if !locked.is_empty() {
            skus = sku::Entity::find()
                .filter(sku::Column::Id.is_in(locked.into_keys()))
                .order_by_asc(sku::Column::Id)
                .lock_exclusive()
                .all(txn)
                .await?;
        }
        if !read.is_empty() {
            let more = sku::Entity::find()
                .filter(sku::Column::Id.is_in(read.into_keys()))
                .all(txn)
                .await?;
            skus.extend(more);
        }
        let product_ids: HashSet<i64> = skus.iter().map(|s| s.product_id).collect();
        let products: HashMap<i64, product::Model> = if product_ids.is_empty() {
            HashMap::new()
        } else {
            product::Entity::find()
                .filter(product::Column::Id.is_in(product_ids))
                .all(txn)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect()
        };
        let items = skus
            .into_iter()
            .filter_map(|sku| {
                let product = products.get(&sku.product_id)?.clone();
                Some((sku.id, Arc::new(Priced { sku, product })))
            })
            .collect();
        let shop_ids: HashSet<i64> = jobs
            .iter()
            .flat_map(|j| j.intents.iter().map(|i| i.workshop_id))
            .collect();
        let shops = workshop::Entity::find()
            .filter(workshop::Column::Id.is_in(shop_ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|w| (w.id, w))
            .collect();
        Ok(Self { items, shops })
    }
}

/// Each job's orders priced, or the job refused (a SKU not on sale, another
/// workshop's SKU, a total too large).
fn price_jobs(
    jobs: &[Job],
    catalog: &Catalog,
    addresses: &HashMap<i64, AddressView>,
    verdicts: &mut Verdicts,
) -> Vec<Vec<PricedOrder>> {
    jobs.iter()
        .enumerate()
        .map(|(j, job)| {
            if !verdicts.open(j) {
                return Vec::new();
            }
            let priced: AppResult<Vec<PricedOrder>> = job
                .intents
                .iter()
                .map(|intent| {
                    let shop = catalog.shops.get(&intent.workshop_id).ok_or_else(|| {
                        AppError::new(ErrorCode::Unavailable, "the workshop no longer exists")
                    })?;
                    let address = match &intent.destination {
                        Destination::Address(id) => addresses.get(id).cloned(),
                        Destination::Snapshot(snapshot) => snapshot.clone(),
                        Destination::Pickup(_) => None,
                    };
                    rows::price(intent, &catalog.items, shop, address)
                })
                .collect();
            priced.unwrap_or_else(|err| {
                verdicts.refuse(j, err);
                Vec::new()
            })
        })
        .collect()
}

/// Checks the job's own rules (a campaign's cut-off), then takes its units;
/// the rules' writes are kept only when both pass (a savepoint per guarded
/// job). The inner result is the job's refusal; the outer, a database error.
async fn allot_guarded(
    txn: &DatabaseTransaction,
    job: &Job,
    priced: &[PricedOrder],
    pools: &mut Pools,
) -> AppResult<AppResult<()>> {
    let guards: Vec<_> = job
        .intents
        .iter()
        .filter_map(|i| i.guard.as_ref())
        .collect();
    if guards.is_empty() {
        return Ok(pools.allot(job, priced));
    }
    let savepoint = txn.begin().await?;
    for guard in guards {
        match guard.check(&savepoint).await {
            Ok(()) => {}
            Err(err) if err.code.status().is_client_error() => {
                savepoint.rollback().await?;
                return Ok(Err(err));
            }
            Err(err) => return Err(err),
        }
    }
    match pools.allot(job, priced) {
        Ok(()) => {
            savepoint.commit().await?;
            Ok(Ok(()))
        }
        Err(err) => {
            savepoint.rollback().await?;
            Ok(Err(err))
        }
    }
}

/// The stock the batch draws from, locked: what is left as jobs are allotted
/// in arrival order.
struct Pools {
    /// Units a SKU can still sell (on hand minus reserved), by SKU.
    skus: HashMap<i64, i64>,
    /// Units an open allotment has left, by allotment.
    allotments: HashMap<i64, i64>,
    /// What a pinned live item may still sell (None: no cap), by item.
    caps: HashMap<i64, Option<i64>>,
    /// What the placing jobs took, once `write` ran.
    took: Takes,
}

/// Units taken by SKU, allotment and live item.
#[derive(Default)]
struct Takes {
    skus: BTreeMap<i64, i64>,
    allotments: BTreeMap<i64, i64>,
    caps: BTreeMap<i64, i64>,
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

    fn add(&mut self, other: Takes) {
        for (map, more) in [
            (&mut self.skus, other.skus),
            (&mut self.allotments, other.allotments),
            (&mut self.caps, other.caps),
        ] {
            for (id, n) in more {
                *map.entry(id).or_default() += n;
            }
        }
    }
}

impl Pools {
    async fn lock(
        txn: &DatabaseTransaction,
        jobs: &[Job],
        catalog: &Catalog,
        pricing: &dyn SessionPricing,
    ) -> AppResult<Self> {
        let intents = || jobs.iter().flat_map(|j| j.intents.iter());
        let allotment_ids: HashSet<i64> = intents().filter_map(|i| i.allotment_id).collect();
        let allotments = if allotment_ids.is_empty() {
            HashMap::new()
        } else {
            allotment::Entity::find()
                .filter(allotment::Column::Id.is_in(allotment_ids))
                .order_by_asc(allotment::Column::Id)
                .lock_exclusive()
                .all(txn)
                .await?
                .into_iter()
                .map(|a| (a.id, if a.open { a.remaining } else { 0 }))
                .collect()
        };
        let mut item_ids: Vec<i64> = intents()
            .flat_map(|i| i.caps.iter().map(|c| c.item_id))
            .collect();
        item_ids.sort_unstable();
        item_ids.dedup();
        let caps = if item_ids.is_empty() {
            HashMap::new()
        } else {
            pricing.lock_caps(txn, &item_ids).await?
        };
        let skus = catalog
            .items
            .iter()
            .map(|(&id, item)| (id, item.sku.on_hand - item.sku.reserved))
            .collect();
        Ok(Self {
            skus,
            allotments,
            caps,
            took: Takes::default(),
        })
    }

    /// Takes every unit `job` needs, or nothing and says what ran out.
    fn allot(&mut self, job: &Job, priced: &[PricedOrder]) -> AppResult<()> {
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

    /// One update per table for what the placing jobs take.
    async fn write(
        &mut self,
        txn: &DatabaseTransaction,
        jobs: &[Job],
        priced: &[Vec<PricedOrder>],
        placing: &[usize],
        pricing: &dyn SessionPricing,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        for &j in placing {
            self.took.add(Takes::of(&jobs[j], &priced[j]).0);
        }
        add_by_id(txn, "skus", "reserved", &self.took.skus, 1, Some(now)).await?;
        add_by_id(
            txn,
            "allotments",
            "remaining",
            &self.took.allotments,
            -1,
            None,
        )
        .await?;
        let takes: Vec<CapTake> = self
            .took
            .caps
            .iter()
            .map(|(&item_id, &quantity)| CapTake { item_id, quantity })
            .collect();
        if !takes.is_empty() {
            pricing.take_caps(txn, &takes).await?;
        }
        Ok(())
    }

    /// Each capped live item sold from and what its cap has left after the batch.
    fn caps_left(&self, jobs: &[Job], locked: &HashMap<i64, Option<i64>>) -> Vec<CapLeft> {
        let sessions: HashMap<i64, i64> = jobs
            .iter()
            .flat_map(|j| j.intents.iter())
            .filter_map(|i| i.live_session_id.map(|s| (i, s)))
            .flat_map(|(i, s)| i.caps.iter().map(move |c| (c.item_id, s)))
            .collect();
        self.took
            .caps
            .iter()
            .filter_map(|(&id, &took)| {
                let cap = (*locked.get(&id)?)?;
                Some(CapLeft {
                    session_id: *sessions.get(&id)?,
                    item_id: id,
                    remaining: cap - took,
                })
            })
            .collect()
    }

    /// Each allotment drawn from and what it has left after the batch.
    fn allotments_left(&self, locked: &HashMap<i64, i64>) -> Vec<AllotmentLeft> {
        self.took
            .allotments
            .iter()
            .map(|(&id, &took)| AllotmentLeft {
                allotment_id: id,
                remaining: locked.get(&id).copied().unwrap_or(0) - took,
            })
            .collect()
    }
}

/// `UPDATE table SET column = column ± n` for every id, in one statement.
async fn add_by_id(
    txn: &DatabaseTransaction,
    table: &str,
    column: &str,
    amounts: &BTreeMap<i64, i64>,
    sign: i64,
    touched: Option<DateTime<Utc>>,
) -> AppResult<()> {
    if amounts.is_empty() {
        return Ok(());
    }
    let mut values: Vec<Value> = Vec::with_capacity(amounts.len() * 3 + 1);
    let mut cases = String::new();
    for (&id, &amount) in amounts {
        cases.push_str(" WHEN ? THEN ?");
        values.push(id.into());
        values.push((sign * amount).into());
    }
    let mut set = format!("{column} = {column} + CASE id{cases} END");
    if let Some(at) = touched {
        set.push_str(", updated_at = ?");
        values.push(at.into());
    }
    let ids = vec!["?"; amounts.len()].join(", ");
    values.extend(amounts.keys().map(|&id| Value::from(id)));
    let sql = format!("UPDATE {table} SET {set} WHERE id IN ({ids})");
    txn.execute_raw(statement(txn, &sql, values)).await?;
    Ok(())
}
