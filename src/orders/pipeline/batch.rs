//! One transaction for a batch of order jobs, set-based: the rows every job
//! needs are read (and locked: SKUs, allotments, live caps, in that order)
//! together, per-buyer limits counted in one upsert per limit value, units
//! allotted in memory in arrival order (all or none per job), then stock,
//! counts, orders, lines, history and outbox written for all jobs at once.
//! A job refused here (out of stock, over a limit, not on sale) is answered
//! on its own; its neighbours are not affected. Any database error fails the
//! whole batch.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::hooks::{PlacedBatch, PlacedOrder, SessionPricing};
use super::intent::{Destination, Job, OrderIntent};
use super::pools::{Pools, Takes};
use super::reads::{Found, Needs, read_each};
use super::rows::{self, PricedOrder};
use super::{limits, pg};
use crate::entity::{cart_line, idempotency_key};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::addresses;
use crate::orders::model::{CheckoutResponse, OrderView};
use crate::platform::sql::{Binds, statement};

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

    fn open_jobs(&self) -> Vec<usize> {
        (0..self.0.len()).filter(|&j| self.open(j)).collect()
    }
}

/// Writes `jobs` (at most one per customer) in `txn`; the caller commits.
pub async fn write(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    pricing: &dyn SessionPricing,
    claim_lease: Duration,
) -> AppResult<BatchResult> {
    // Microseconds, as the database keeps them: answers match later reads.
    let now = Utc::now().trunc_subsecs(6);
    let postgres = pg::is_postgres(txn);
    let mut verdicts = Verdicts((0..jobs.len()).map(|_| None).collect());
    lock_claims(txn, jobs, &mut verdicts, now + claim_lease).await?;
    let needs = Needs::of(jobs);
    let found = if postgres {
        pg::read(txn, &needs).await?
    } else {
        read_each(txn, &needs).await?
    };
    let caps = lock_caps(txn, jobs, pricing).await?;
    let mut pools = Pools::new(found.available(), found.allotments.clone(), caps);
    let priced = price_jobs(jobs, &found, &mut verdicts);
    let counted = limits::count(txn, jobs, &priced, &mut |j, e| verdicts.refuse(j, e)).await?;
    for job in verdicts.open_jobs() {
        if let Err(err) = allot_guarded(txn, &jobs[job], &priced[job], &mut pools).await? {
            verdicts.refuse(job, err);
        }
    }
    let placing = verdicts.open_jobs();
    let refused_counts = limits::refused_counts(jobs, &counted, |j| verdicts.open(j));
    let took = Takes::of_jobs(jobs, &priced, &placing);
    let pairs: Vec<(&OrderIntent, &PricedOrder)> = placing
        .iter()
        .flat_map(|&j| jobs[j].intents.iter().zip(&priced[j]))
        .collect();
    let views = if postgres {
        let (views, orders, lines) =
            rows::with_ids(&pairs, &found.order_ids, &found.line_ids, now)?;
        let writes = pg::Writes {
            reserve_skus: columns(&took.skus),
            take_allotments: columns(&took.allotments),
            uncount: unzip3(refused_counts),
            orders,
            lines,
        };
        pg::write(txn, writes, now).await?;
        views
    } else {
        limits::give_back(txn, &refused_counts).await?;
        add_by_id(txn, "skus", "reserved", &took.skus, 1, Some(now)).await?;
        add_by_id(txn, "allotments", "remaining", &took.allotments, -1, None).await?;
        rows::insert(txn, &pairs, now).await?
    };
    let cap_takes = took.cap_takes();
    if !cap_takes.is_empty() {
        pricing.take_caps(txn, &cap_takes).await?;
    }
    let mut views = views.into_iter();
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
    placed.allotments = pools.allotments_left(&took);
    placed.caps = pools.caps_left(jobs, &took);
    Ok(BatchResult { answers, placed })
}

fn columns(amounts: &BTreeMap<i64, i64>) -> (Vec<i64>, Vec<i64>) {
    amounts.iter().map(|(&id, &n)| (id, n)).unzip()
}

fn unzip3(rows: Vec<(i64, String, i64)>) -> (Vec<i64>, Vec<String>, Vec<i64>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for (a, b, c) in rows {
        out.0.push(a);
        out.1.push(b);
        out.2.push(c);
    }
    out
}

/// The live items the jobs count against, locked by the live domain.
async fn lock_caps(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    pricing: &dyn SessionPricing,
) -> AppResult<HashMap<i64, Option<i64>>> {
    let mut item_ids: Vec<i64> = jobs
        .iter()
        .flat_map(|j| j.intents.iter())
        .flat_map(|i| i.caps.iter().map(|c| c.item_id))
        .collect();
    if item_ids.is_empty() {
        return Ok(HashMap::new());
    }
    item_ids.sort_unstable();
    item_ids.dedup();
    pricing.lock_caps(txn, &item_ids).await
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
    if !held.is_empty() {
        let mut binds = Binds::with_capacity(held.len() + 1);
        let until = binds.bind(until);
        let ids = binds.list(held.iter().copied());
        let sql = format!("UPDATE idempotency_keys SET locked_until = {until} WHERE id IN ({ids})");
        txn.execute_raw(statement(txn, &sql, binds.into_values()))
            .await?;
    }
    Ok(())
}

/// Each job's orders priced, or the job refused (its address is not the
/// buyer's, a SKU not on sale or of another workshop, a total too large).
fn price_jobs(jobs: &[Job], found: &Found, verdicts: &mut Verdicts) -> Vec<Vec<PricedOrder>> {
    jobs.iter()
        .enumerate()
        .map(|(j, job)| {
            if !verdicts.open(j) {
                return Vec::new();
            }
            let priced: AppResult<Vec<PricedOrder>> = job
                .intents
                .iter()
                .map(|intent| price_one(intent, found))
                .collect();
            priced.unwrap_or_else(|err| {
                verdicts.refuse(j, err);
                Vec::new()
            })
        })
        .collect()
}

fn price_one(intent: &OrderIntent, found: &Found) -> AppResult<PricedOrder> {
    let shop = found
        .workshops
        .get(&intent.workshop_id)
        .ok_or_else(|| AppError::new(ErrorCode::Unavailable, "the workshop no longer exists"))?;
    let address = match &intent.destination {
        Destination::Address(id) => {
            let saved = found
                .addresses
                .get(id)
                .filter(|a| a.customer_id == intent.customer_id)
                .ok_or_else(|| AppError::invalid("address_id", "not one of your addresses"))?;
            Some(addresses::view(saved.clone()))
        }
        Destination::Snapshot(snapshot) => snapshot.clone(),
        Destination::Pickup(_) => None,
    };
    rows::price(intent, &found.items, shop, address)
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
    let mut binds = Binds::with_capacity(amounts.len() * 3 + 1);
    let mut cases = String::new();
    for (&id, &amount) in amounts {
        let (id, by) = (binds.bind(id), binds.bind(sign * amount));
        cases.push_str(&format!(" WHEN {id} THEN {by}"));
    }
    let mut set = format!("{column} = {column} + CASE id{cases} END");
    if let Some(at) = touched {
        set.push_str(&format!(", updated_at = {}", binds.bind(at)));
    }
    let ids = binds.list(amounts.keys().copied());
    let sql = format!("UPDATE {table} SET {set} WHERE id IN ({ids})");
    txn.execute_raw(statement(txn, &sql, binds.into_values()))
        .await?;
    Ok(())
}
