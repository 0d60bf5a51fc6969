//! Per-buyer limits for a batch: every (customer, scope) the jobs count
//! against, added in one conditional upsert per limit value, so a limit is
//! never passed even by two instances at once; a job over any of its limits
//! is refused, and a job refused later gives its counts back.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::intent::Job;
use super::rows::PricedOrder;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::stock::uncount_purchase;
use crate::platform::sql::{Binds, statement};

/// One count a job adds: scope, units and the limit with the reason it exists.
struct Count {
    scope: String,
    units: i64,
    limit: i64,
    refusal: String,
}

/// The counts each job holds after `count` (empty for refused jobs).
pub type Counted = Vec<Vec<(String, i64)>>;

fn counts_of(job: &Job, priced: &[PricedOrder]) -> Vec<Count> {
    let mut counts: BTreeMap<String, Count> = BTreeMap::new();
    for (intent, order) in job.intents.iter().zip(priced) {
        if intent.sku_limits {
            for line in &order.lines {
                let Some(limit) = line.item.sku.per_buyer_limit else {
                    continue;
                };
                let scope = format!("sku:{}", line.item.sku.id);
                let refusal = format!("{} is limited to {limit} per buyer", line.item.sku.name);
                let count = counts.entry(scope.clone()).or_insert(Count {
                    scope,
                    units: 0,
                    limit: limit.into(),
                    refusal,
                });
                count.units += line.quantity;
            }
        }
        if let Some((scope, limit)) = &intent.extra_limit {
            counts.insert(
                scope.clone(),
                Count {
                    scope: scope.clone(),
                    units: intent.units(),
                    limit: *limit,
                    refusal: format!("at most {limit} per buyer"),
                },
            );
        }
    }
    counts.into_values().collect()
}

/// Counts the open jobs' units against their limits; `refuse` is told of
/// every job over one. Returns what each job counted.
pub async fn count(
    txn: &DatabaseTransaction,
    jobs: &[Job],
    priced: &[Vec<PricedOrder>],
    refuse: &mut impl FnMut(usize, AppError),
) -> AppResult<Counted> {
    let mut wanted: Vec<(usize, Count)> = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        if priced[j].is_empty() {
            continue;
        }
        for count in counts_of(job, &priced[j]) {
            if count.units > count.limit {
                refuse(
                    j,
                    AppError::new(ErrorCode::LimitExceeded, count.refusal.clone()),
                );
            } else {
                wanted.push((j, count));
            }
        }
    }
    let mut by_limit: BTreeMap<i64, Vec<&(usize, Count)>> = BTreeMap::new();
    for entry in &wanted {
        by_limit.entry(entry.1.limit).or_default().push(entry);
    }
    let mut passed: HashMap<(i64, String), ()> = HashMap::new();
    for (limit, entries) in by_limit {
        let rows: Vec<(i64, &Count)> = entries
            .iter()
            .map(|(j, c)| (jobs[*j].customer_id(), c))
            .collect();
        for key in upsert(txn, limit, &rows).await? {
            passed.insert(key, ());
        }
    }
    let mut counted: Counted = vec![Vec::new(); jobs.len()];
    for (j, count) in wanted {
        let customer = jobs[j].customer_id();
        if passed.contains_key(&(customer, count.scope.clone())) {
            counted[j].push((count.scope, count.units));
        } else {
            refuse(j, AppError::new(ErrorCode::LimitExceeded, count.refusal));
        }
    }
    Ok(counted)
}

/// Adds each row's units unless that would pass `limit`; the rows that passed.
async fn upsert(
    txn: &DatabaseTransaction,
    limit: i64,
    rows: &[(i64, &Count)],
) -> AppResult<Vec<(i64, String)>> {
    let mut sorted: Vec<&(i64, &Count)> = rows.iter().collect();
    sorted.sort_by(|a, b| (a.0, &a.1.scope).cmp(&(b.0, &b.1.scope)));
    if super::pg::is_postgres(txn) {
        let customers = sorted.iter().map(|(c, _)| *c).collect();
        let scopes = sorted.iter().map(|(_, n)| n.scope.clone()).collect();
        let units = sorted.iter().map(|(_, n)| n.units).collect();
        return super::pg::count_purchases(txn, customers, scopes, units, limit).await;
    }
    let mut binds = Binds::with_capacity(sorted.len() * 3 + 1);
    let rows_sql: Vec<String> = sorted
        .iter()
        .map(|(customer, count)| {
            let customer = binds.bind(*customer);
            let scope = binds.bind(count.scope.clone());
            let units = binds.bind(count.units);
            format!("({customer}, {scope}, {units})")
        })
        .collect();
    let limit = binds.bind(limit);
    let sql = format!(
        "INSERT INTO purchase_counts (customer_id, scope, quantity) VALUES {} \
         ON CONFLICT (customer_id, scope) DO UPDATE SET quantity = purchase_counts.quantity + excluded.quantity \
         WHERE purchase_counts.quantity + excluded.quantity <= {limit} RETURNING customer_id, scope",
        rows_sql.join(", ")
    );
    let answered = txn
        .query_all_raw(statement(txn, &sql, binds.into_values()))
        .await?;
    answered
        .iter()
        .map(|row| Ok((row.try_get("", "customer_id")?, row.try_get("", "scope")?)))
        .collect()
}

/// The counts of jobs refused after counting, to take back:
/// (customer, scope, units).
pub fn refused_counts(
    jobs: &[Job],
    counted: &Counted,
    placing: impl Fn(usize) -> bool,
) -> Vec<(i64, String, i64)> {
    counted
        .iter()
        .enumerate()
        .filter(|(j, _)| !placing(*j))
        .flat_map(|(j, counts)| {
            counts
                .iter()
                .map(move |(scope, units)| (jobs[j].customer_id(), scope.clone(), *units))
        })
        .collect()
}

/// Takes counts back one by one (SQLite; PostgreSQL does it in the batch's write).
pub async fn give_back(txn: &DatabaseTransaction, counts: &[(i64, String, i64)]) -> AppResult<()> {
    for (customer, scope, units) in counts {
        uncount_purchase(txn, *customer, scope, *units).await?;
    }
    Ok(())
}
