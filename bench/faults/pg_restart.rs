//! Item 2: steady reads and orders while PostgreSQL is stopped and started
//! again, first in fast mode, then in immediate (crash) mode. The service is
//! never restarted: it must answer 503 + Retry-After quickly and recover.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::checks;
use crate::client::{Answer, Seen, by_status, ms, percentile};
use crate::crash::report;
use crate::load::{Load, watch_readiness};
use crate::procs::Service;
use crate::world::{self, Backend, World};

const CUSTOMERS: usize = 12;
const STOCK: i64 = 1_000_000;
const OUTAGE: Duration = Duration::from_secs(6);
const STEADY: Duration = Duration::from_secs(10);

pub async fn run(bin: &Path) -> anyhow::Result<bool> {
    println!(
        "== PostgreSQL restart mid-load: fast, then immediate mode ({}s outages)",
        OUTAGE.as_secs()
    );
    let world = World::new("pg", Backend::Postgres)?;
    let mut service = Service::new(bin, world.env(&[]), world.log("service"))?;
    let prepared = world::prepare(&service, &world.dir, CUSTOMERS, 4, STOCK, None)?;
    service.start().await?;
    let base = service.base();
    warm_up(&base, &prepared.customers).await;
    let reads = [
        "/api/v1/orders?limit=5".to_owned(),
        "/api/v1/products?limit=5".to_owned(),
    ];
    let load = Load::start(
        &[base.clone()],
        prepared.customers,
        &prepared.skus,
        &reads,
        8,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_readiness(base.clone(), load.log.clone(), stop.clone());
    let pg = world.postgres.as_ref().expect("own PostgreSQL");
    let mut outages = Vec::new();
    for mode in ["fast", "immediate"] {
        tokio::time::sleep(STEADY).await;
        let from = load.log.started.elapsed();
        pg.stop(mode)?;
        println!(
            "   PostgreSQL stopped ({mode}) at {:.1} s",
            from.as_secs_f64()
        );
        tokio::time::sleep(OUTAGE).await;
        pg.start()?;
        let to = load.log.started.elapsed();
        println!("   PostgreSQL started again at {:.1} s", to.as_secs_f64());
        outages.push((mode, from, to));
    }
    tokio::time::sleep(STEADY).await;
    let log = load.log.clone();
    let outcome = load.finish().await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.await;
    let seen = log.all();
    let mut failures = judge(&seen, &outages);
    let acknowledged: BTreeSet<i64> = outcome
        .answers
        .iter()
        .filter_map(|a| match a {
            Answer::Placed(id) => Some(*id),
            _ => None,
        })
        .collect();
    let mut refusals = std::collections::BTreeMap::<String, usize>::new();
    for answer in &outcome.answers {
        if let Answer::Refused(status, code) = answer {
            *refusals.entry(format!("{status} {code}")).or_default() += 1;
        }
    }
    println!(
        "   keys: {} placed, refused {refusals:?}",
        acknowledged.len()
    );
    let stuck = outcome
        .answers
        .iter()
        .filter(|a| matches!(a, Answer::Stuck))
        .count()
        + outcome.unfinished_buyers;
    if stuck > 0 {
        failures.push(format!(
            "{stuck} keys or buyers without a definitive answer"
        ));
    }
    let db = world.connect().await?;
    let verdict = checks::orders_and_stock(&db, &acknowledged, &prepared.skus, STOCK).await?;
    failures.extend(verdict.failures);
    println!("   {}", verdict.summary);
    Ok(report(failures))
}

/// What clients saw during and after each outage.
fn judge(seen: &[Seen], outages: &[(&str, Duration, Duration)]) -> Vec<String> {
    let mut failures = Vec::new();
    let all: Vec<&Seen> = seen.iter().filter(|s| s.kind != "readyz").collect();
    println!("   requests: {} ({})", all.len(), by_status(&all));
    let bad: Vec<_> = all
        .iter()
        .filter(|s| s.status >= 500 && s.status != 503)
        .collect();
    if !bad.is_empty() {
        failures.push(format!("{} answers were 5xx other than 503", bad.len()));
    }
    let unanswered = all.iter().filter(|s| s.status == 0).count();
    if unanswered > 0 {
        failures.push(format!(
            "{unanswered} requests got no answer (hung or dropped)"
        ));
    }
    let no_retry_after = all
        .iter()
        .filter(|s| s.status == 503 && !s.retry_after)
        .count();
    if no_retry_after > 0 {
        failures.push(format!("{no_retry_after} 503 answers without Retry-After"));
    }
    if let Some(slowest) = all.iter().max_by_key(|s| s.latency)
        && slowest.latency > Duration::from_secs(5)
    {
        failures.push(format!(
            "slowest request took {}: {slowest:?}",
            ms(slowest.latency)
        ));
    }
    for (mode, from, to) in outages {
        let during: Vec<&Seen> = all
            .iter()
            .copied()
            .filter(|s| s.at >= *from && s.at < *to)
            .collect();
        let unavailable: Vec<Duration> = during
            .iter()
            .filter(|s| s.status == 503)
            .map(|s| s.latency)
            .collect();
        println!(
            "   outage ({mode}, {:.1} s): {} requests ({}); 503 latency p50 {} p99 {} max {}",
            (*to - *from).as_secs_f64(),
            during.len(),
            by_status(&during),
            ms(percentile(unavailable.clone(), 0.5)),
            ms(percentile(unavailable.clone(), 0.99)),
            ms(percentile(unavailable.clone(), 1.0)),
        );
        if unavailable.is_empty() {
            failures.push(format!("no 503 seen during the {mode} outage"));
        }
        if percentile(unavailable, 1.0) > Duration::from_millis(2500) {
            failures.push(format!("a 503 during the {mode} outage took over 2.5 s"));
        }
        failures.extend(readiness_flips(seen, mode, *from, *to));
        let recovered = all
            .iter()
            .find(|s| s.at >= *to && s.kind == "order" && s.status == 201);
        match recovered {
            Some(s) => println!(
                "   first order placed {} after PostgreSQL was back",
                ms(s.at - *to)
            ),
            None => failures.push(format!("no order succeeded after the {mode} outage")),
        }
    }
    let end = all.iter().map(|s| s.at).max().unwrap_or_default();
    let tail: Vec<&Seen> = all
        .iter()
        .copied()
        .filter(|s| s.at + Duration::from_secs(5) >= end)
        .collect();
    // Keys whose request died with the database stay claimed for their lease
    // (409 idempotency_in_progress, then taken over); nothing else may fail.
    println!("   last 5 s: {}", by_status(&tail));
    let failed = tail.iter().any(|s| s.status >= 500 || s.status == 0);
    if failed || !tail.iter().any(|s| s.status == 201) {
        failures.push(format!(
            "the last 5 s did not recover: {}",
            by_status(&tail)
        ));
    }
    failures
}

fn readiness_flips(seen: &[Seen], mode: &str, from: Duration, to: Duration) -> Vec<String> {
    let probes: Vec<&Seen> = seen.iter().filter(|s| s.kind == "readyz").collect();
    let down = probes.iter().find(|s| s.at >= from && s.status == 503);
    let up = probes.iter().find(|s| s.at >= to && s.status == 200);
    match (down, up) {
        (Some(d), Some(u)) => {
            println!(
                "   /readyz: 503 {} after the stop, 200 again {} after the start",
                ms(d.at.saturating_sub(from)),
                ms(u.at.saturating_sub(to))
            );
            Vec::new()
        }
        _ => vec![format!(
            "/readyz did not flip and flip back around the {mode} outage"
        )],
    }
}

/// One read per customer first, so the pool's first connections are not counted.
async fn warm_up(base: &str, customers: &[world::Customer]) {
    let client = crate::client::http();
    for c in customers {
        let _ = client
            .get(format!("{base}/api/v1/orders"))
            .bearer_auth(&c.token)
            .send()
            .await;
    }
}
