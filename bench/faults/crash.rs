//! Item 1: 20 buyers place orders, each retrying its own Idempotency-Key until
//! a definitive answer, while the service is SIGKILLed and restarted about ten
//! times in a minute. Then every promise is checked in the database.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::checks;
use crate::client::{self, Answer, Log, Order, by_status, ms, percentile};
use crate::procs::Service;
use crate::world::{self, Backend, World};

const CLIENTS: usize = 20;
const SKUS: usize = 5;
const STOCK: i64 = 3000;
/// A key whose request died with the process is taken over after this lease.
const LEASE_SECS: &str = "3";

#[derive(Default)]
struct ClientResult {
    token: String,
    acknowledged: Vec<(String, Order, i64)>,
    refused: Vec<String>,
    stuck: Vec<String>,
    attempts: u32,
}

pub async fn run(bin: &Path, backend: Backend, kills: u32, seconds: u64) -> anyhow::Result<bool> {
    println!(
        "== crash during order placement ({backend:?}): {CLIENTS} buyers, {kills} SIGKILLs over {seconds} s"
    );
    let world = World::new("crash", backend)?;
    let env = world.env(&[("GONGFANG__ORDERS__IDEMPOTENCY_LEASE_SECS", LEASE_SECS)]);
    let mut service = Service::new(bin, env, world.log("service"))?;
    let prepared = world::prepare(&service, &world.dir, CLIENTS, SKUS, STOCK, None)?;
    service.start().await?;
    let base = service.base();
    let service = Arc::new(Mutex::new(service));
    let stop = Arc::new(AtomicBool::new(false));
    let log = Log::new();
    let skus = Arc::new(prepared.skus.clone());
    let buyers: Vec<_> = prepared
        .customers
        .into_iter()
        .enumerate()
        .map(|(n, customer)| {
            tokio::spawn(buyer(
                n,
                customer,
                skus.clone(),
                base.clone(),
                log.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let restarts = killer(service.clone(), kills, Duration::from_secs(seconds)).await?;
    stop.store(true, Ordering::Relaxed);
    println!("   chaos over; buyers finish their current key");
    let finished_by = Instant::now() + Duration::from_secs(90);
    let mut results = Vec::new();
    for handle in buyers {
        let left = finished_by.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, handle).await {
            Ok(Ok(result)) => results.push(result),
            _ => results.push(ClientResult {
                stuck: vec!["client did not finish".into()],
                ..Default::default()
            }),
        }
    }
    let mut failures = Vec::new();
    let replays = replay_check(&base, &results, &mut failures).await;
    let db = world.connect().await?;
    let acknowledged: BTreeSet<i64> = results
        .iter()
        .flat_map(|r| r.acknowledged.iter().map(|(_, _, id)| *id))
        .collect();
    let verdict = checks::orders_and_stock(&db, &acknowledged, &prepared.skus, STOCK).await?;
    failures.extend(verdict.failures);
    let stuck: usize = results.iter().map(|r| r.stuck.len()).sum();
    if stuck > 0 {
        failures.push(format!(
            "{stuck} keys or clients without a definitive answer"
        ));
    }
    let seen = log.all();
    let server_errors = seen
        .iter()
        .filter(|s| s.status >= 500 && s.status != 503)
        .count();
    if server_errors > 0 {
        failures.push(format!("{server_errors} answers were 5xx other than 503"));
    }
    let keys: usize = results
        .iter()
        .map(|r| r.acknowledged.len() + r.refused.len())
        .sum();
    let mut refusals = std::collections::BTreeMap::<&str, usize>::new();
    for reason in results.iter().flat_map(|r| &r.refused) {
        *refusals.entry(reason).or_default() += 1;
    }
    let attempts: u32 = results.iter().map(|r| r.attempts).sum();
    let all: Vec<_> = seen.iter().collect();
    println!(
        "   kills survived: {}/{kills}; restart to healthy p50 {} max {}",
        restarts.len(),
        ms(percentile(restarts.clone(), 0.5)),
        ms(percentile(restarts, 1.0))
    );
    println!(
        "   keys resolved: {keys} ({} orders placed, refused {refusals:?}, {stuck} stuck) in {attempts} attempts",
        acknowledged.len()
    );
    println!("   answers: {}", by_status(&all));
    println!("   replayed keys answering the same order: {replays}");
    println!("   {}", verdict.summary);
    Ok(report(failures))
}

pub fn report(failures: Vec<String>) -> bool {
    if failures.is_empty() {
        println!("PASS");
        true
    } else {
        for f in &failures {
            println!("   FAIL: {f}");
        }
        println!("FAIL");
        false
    }
}

/// Kills the service with SIGKILL `kills` times over `over`, restarting it
/// each time; how long each restart took until healthy.
async fn killer(
    service: Arc<Mutex<Service>>,
    kills: u32,
    over: Duration,
) -> anyhow::Result<Vec<Duration>> {
    let gap = over / (kills + 1);
    let started = Instant::now();
    let mut restarts = Vec::new();
    for n in 0..kills {
        let jitter = Duration::from_millis(rand::random_range(0..gap.as_millis() as u64 / 2));
        tokio::time::sleep(gap / 2 + jitter).await;
        let mut service = service.lock().await;
        service.kill9()?;
        let took = service.start().await?;
        println!(
            "   kill {} at {:.1} s: healthy again in {}",
            n + 1,
            started.elapsed().as_secs_f64(),
            ms(took)
        );
        restarts.push(took);
    }
    tokio::time::sleep(gap).await;
    Ok(restarts)
}

async fn buyer(
    n: usize,
    customer: world::Customer,
    skus: Arc<Vec<i64>>,
    base: String,
    log: Log,
    stop: Arc<AtomicBool>,
) -> ClientResult {
    let client = client::http();
    let mut result = ClientResult {
        token: customer.token.clone(),
        ..Default::default()
    };
    let mut k = 0;
    while !stop.load(Ordering::Relaxed) {
        k += 1;
        let key = format!("crash-{n}-{k}");
        let sku = skus[rand::random_range(0..skus.len())];
        let order = Order::new(key.clone(), &customer, sku, rand::random_range(1..=3));
        let (answer, attempts) = client::place_until_definitive(
            &client,
            &log,
            &base,
            &customer.token,
            &order,
            Duration::from_secs(60),
        )
        .await;
        result.attempts += attempts;
        match answer {
            Answer::Placed(id) => result.acknowledged.push((key, order, id)),
            Answer::Refused(status, code) => result.refused.push(format!("{status} {code}")),
            Answer::Stuck => result.stuck.push(key),
        }
    }
    result
}

/// Sends every acknowledged key once more: the same order must come back,
/// marked as a replay. Returns how many did.
async fn replay_check(base: &str, results: &[ClientResult], failures: &mut Vec<String>) -> usize {
    let client = client::http();
    let log = Log::new();
    let mut same = 0;
    for result in results {
        for (key, order, id) in &result.acknowledged {
            let request = client
                .post(format!("{base}/api/v1/orders"))
                .bearer_auth(&result.token)
                .header("Idempotency-Key", key)
                .json(&order.body);
            let (status, body, replayed) = log.send("replay", request).await;
            if status == 201 && body["id"].as_i64() == Some(*id) && replayed {
                same += 1;
            } else {
                failures.push(format!(
                    "key {key}: first answered order {id}, replay answered {status} {body}"
                ));
            }
        }
    }
    same
}
