//! One client floods a live room with event streams (10,000 attempts from one
//! address, made-up device ids) while 200 ordinary viewers, each at its own
//! address, watch and buyers keep ordering: at most the address cap is
//! accepted from the flood, every ordinary viewer gets every event in order,
//! order latency stays within 1.5x of the baseline, the room's figures are
//! not inflated past the caps, and the service's memory stays bounded.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::client::{self, Log, ms, percentile};
use crate::crash::report;
use crate::limits::measure_orders;
use crate::procs::{Redis, Service};
use crate::world::{self, Backend, World, scalar, staff_token};

const FLOOD_ATTEMPTS: u64 = 10_000;
const FLOOD_ADDRESS: &str = "203.0.113.66";
const VIEWERS: usize = 200;
const EVENTS: usize = 30;
const PER_ADDRESS: u64 = 20;
const DEVICES_PER_ADDRESS: i64 = 4;
const MEASURE: Duration = Duration::from_secs(10);

pub async fn run(bin: &Path) -> anyhow::Result<bool> {
    println!(
        "== stream flood: {FLOOD_ATTEMPTS} streams from one address beside {VIEWERS} viewers and buyers"
    );
    let world = World::new("streams", Backend::Postgres)?;
    let redis = Redis::start_new()?;
    let per_address = PER_ADDRESS.to_string();
    let env = world.env(&[
        ("GONGFANG__CACHE__URL", &redis.url()),
        // Behind a proxy: the viewers' addresses come from X-Forwarded-For.
        ("GONGFANG__SERVER__TRUST_FORWARDED_FOR", "true"),
        ("GONGFANG__LIVE__STREAMS_PER_ADDRESS", &per_address),
        ("GONGFANG__LIVE__VIEWERS_INTERVAL_MS", "500"),
    ]);
    let mut service = Service::new(bin, env, world.log("service"))?;
    let prepared = world::prepare(&service, &world.dir, VIEWERS, 8, 1_000_000, Some(1000))?;
    service.start().await?;
    let base = service.base();
    let pid = service.pid().unwrap_or(0);
    let db = world.connect().await?;
    let deal = prepared.deal_id.unwrap_or(0);
    let session = scalar(
        &db,
        &format!("SELECT live_session_id FROM deals WHERE id = {deal}"),
    )
    .await?;
    let streamer = staff_token(&db, prepared.skus[0], "streamer").await?;
    let workshop = scalar(
        &db,
        &format!("SELECT workshop_id FROM deals WHERE id = {deal}"),
    )
    .await?;
    let item = pin_item(&base, workshop, session, prepared.skus[1], &streamer).await?;
    let mut failures = Vec::new();

    let ready = Arc::new(Barrier::new(VIEWERS + 1));
    let viewers: Vec<_> = (0..VIEWERS)
        .map(|n| tokio::spawn(watch(base.clone(), session, n, ready.clone())))
        .collect();
    ready.wait().await;
    let baseline = Log::new();
    measure_orders(
        &base,
        &prepared.customers,
        &prepared.skus,
        &baseline,
        MEASURE,
    )
    .await;
    let alone = latencies(&baseline);
    let alone_p50 = percentile(alone.clone(), 0.5);
    let rss_before = rss_kib(pid);
    println!(
        "   {VIEWERS} viewers open; orders alone: {} p50 {} p99 {}; service RSS {} MiB",
        alone.len(),
        ms(alone_p50),
        ms(percentile(alone, 0.99)),
        rss_before / 1024
    );

    let stop = Arc::new(AtomicBool::new(false));
    let flood = Arc::new(Flood::default());
    let flooders: Vec<_> = (0..100)
        .map(|n| {
            tokio::spawn(flood_streams(
                base.clone(),
                session,
                n,
                flood.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let publishing = tokio::spawn(publish_events(
        base.clone(),
        workshop,
        session,
        item,
        streamer,
    ));
    let during = Log::new();
    measure_orders(&base, &prepared.customers, &prepared.skus, &during, MEASURE).await;
    let rss_during = rss_kib(pid);
    publishing.await??;
    let figures = room_figures(&base, session).await?;
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        let _ = f.await;
    }
    let with_flood = latencies(&during);
    let flood_p50 = percentile(with_flood.clone(), 0.5);
    println!(
        "   flood: {} attempts, {} accepted and held, {} refused with 429, {} other",
        flood.attempts.load(Ordering::Relaxed).min(FLOOD_ATTEMPTS),
        flood.accepted.load(Ordering::Relaxed),
        flood.refused.load(Ordering::Relaxed),
        flood.other.load(Ordering::Relaxed),
    );
    println!(
        "   orders during the flood: {} p50 {} p99 {} (p50 ratio {:.2})",
        with_flood.len(),
        ms(flood_p50),
        ms(percentile(with_flood, 0.99)),
        flood_p50.as_secs_f64() / alone_p50.as_secs_f64().max(1e-6)
    );
    let mut complete = 0;
    for v in viewers {
        match v.await? {
            Ok(n) if n == EVENTS => complete += 1,
            Ok(n) => failures.push(format!("a viewer got {n} of {EVENTS} events")),
            Err(err) => failures.push(format!("a viewer failed: {err:#}")),
        }
    }
    println!("   ordinary viewers that got all {EVENTS} events in order: {complete} of {VIEWERS}");
    println!("   room figures during the flood: {figures}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_after = rss_kib(pid);
    println!(
        "   service RSS: before {} MiB, during {} MiB, 5 s after {} MiB",
        rss_before / 1024,
        rss_during / 1024,
        rss_after / 1024
    );
    judge(
        &flood,
        &figures,
        alone_p50,
        flood_p50,
        (rss_before, rss_during, rss_after),
        &mut failures,
    );
    Ok(report(failures))
}

fn judge(
    flood: &Flood,
    figures: &Value,
    alone_p50: Duration,
    flood_p50: Duration,
    (before, during, after): (u64, u64, u64),
    failures: &mut Vec<String>,
) {
    // Every accepted stream is held to the end, so accepted = held at once.
    if flood.accepted.load(Ordering::Relaxed) > PER_ADDRESS {
        failures.push(format!(
            "the flooding address got {} streams (cap {PER_ADDRESS})",
            flood.accepted.load(Ordering::Relaxed)
        ));
    }
    if flood.other.load(Ordering::Relaxed) > 0 {
        failures.push("some flood requests got neither 200 nor 429".into());
    }
    let ratio = flood_p50.as_secs_f64() / alone_p50.as_secs_f64().max(1e-6);
    if ratio > 1.5 {
        failures.push(format!("order p50 grew {ratio:.2}x during the flood"));
    }
    let viewers = VIEWERS as i64;
    let current = figures["current"].as_i64().unwrap_or(-1);
    let anonymous = figures["anonymous"].as_i64().unwrap_or(-1);
    if current > viewers + PER_ADDRESS as i64 {
        failures.push(format!(
            "{current} viewers now: the flood inflated the count"
        ));
    }
    // HyperLogLog: ±1 % on the ordinary viewers.
    if anonymous > viewers + DEVICES_PER_ADDRESS + 3 || anonymous < viewers - 3 {
        failures.push(format!(
            "{anonymous} anonymous viewers: expected {viewers} + at most {DEVICES_PER_ADDRESS}"
        ));
    }
    if during.saturating_sub(before) > 64 * 1024 {
        failures.push(format!(
            "memory grew {} MiB during the flood",
            (during - before) / 1024
        ));
    }
    if after.saturating_sub(before) > 32 * 1024 {
        failures.push(format!(
            "memory stayed {} MiB above the start after the flood",
            (after - before) / 1024
        ));
    }
}

#[derive(Default)]
struct Flood {
    attempts: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    other: AtomicU64,
}

/// One flooding task: opens streams back to back from the flooding address
/// with made-up device ids, holding every one it gets, until stopped or the
/// attempts are spent.
async fn flood_streams(
    base: String,
    session: i64,
    n: usize,
    flood: Arc<Flood>,
    stop: Arc<AtomicBool>,
) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4)
        .build()
        .expect("client");
    let mut held = Vec::new();
    let mut k = 0;
    while !stop.load(Ordering::Relaxed)
        && flood.attempts.fetch_add(1, Ordering::Relaxed) < FLOOD_ATTEMPTS
    {
        k += 1;
        let url = format!("{base}/api/v1/live/sessions/{session}/events?device_id=fake-{n}-{k}");
        let res = client
            .get(url)
            .header("X-Forwarded-For", FLOOD_ADDRESS)
            .timeout(Duration::from_secs(60))
            .send()
            .await;
        match res.map(|r| (r.status().as_u16(), r)) {
            Ok((200, res)) => {
                flood.accepted.fetch_add(1, Ordering::Relaxed);
                held.push(res);
            }
            Ok((429, _)) => {
                flood.refused.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                flood.other.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(held);
}

/// One ordinary viewer at its own address: counts `price_changed` events, ids growing.
async fn watch(base: String, session: i64, n: usize, ready: Arc<Barrier>) -> anyhow::Result<usize> {
    let url = format!("{base}/api/v1/live/sessions/{session}/events?device_id=phone-{n}");
    let opened = reqwest::Client::new()
        .get(url)
        .header(
            "X-Forwarded-For",
            format!("10.7.{}.{}", n / 250, n % 250 + 1),
        )
        .send()
        .await;
    ready.wait().await;
    let mut res = opened?;
    anyhow::ensure!(res.status().is_success(), "stream: {}", res.status());
    let (mut buf, mut got, mut last_id) = (String::new(), 0, 0i64);
    while got < EVENTS {
        let chunk = tokio::time::timeout(Duration::from_secs(60), res.chunk()).await??;
        let Some(chunk) = chunk else {
            anyhow::bail!("viewer {n}: stream closed after {got} events");
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if !frame.contains("event: price_changed") {
                continue;
            }
            let id: i64 = frame
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            anyhow::ensure!(id > last_id, "viewer {n}: id {id} after {last_id}");
            last_id = id;
            got += 1;
        }
    }
    Ok(got)
}

async fn pin_item(
    base: &str,
    workshop: i64,
    session: i64,
    sku: i64,
    token: &str,
) -> anyhow::Result<i64> {
    let res = client::http()
        .post(format!(
            "{base}/api/v1/workshops/{workshop}/live/sessions/{session}/items"
        ))
        .bearer_auth(token)
        .json(&json!({"sku_id": sku}))
        .send()
        .await?;
    anyhow::ensure!(res.status() == 201, "pin: {}", res.status());
    let body: Value = res.json().await?;
    body["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("pin: no id"))
}

/// The streamer changes the pinned item's live price `EVENTS` times.
async fn publish_events(
    base: String,
    workshop: i64,
    session: i64,
    item: i64,
    token: String,
) -> anyhow::Result<()> {
    let client = client::http();
    let started = Instant::now();
    for k in 0..EVENTS {
        // Below the bench SKUs' price of ¥19.90, alternating.
        let price = 1_500 - 10 * (k as i64 % 2);
        let res = client
            .patch(format!(
                "{base}/api/v1/workshops/{workshop}/live/sessions/{session}/items/{item}"
            ))
            .bearer_auth(&token)
            .json(&json!({"live_price_fen": price}))
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "price change: {}", res.status());
        tokio::time::sleep(MEASURE / (EVENTS as u32 + 2)).await;
    }
    println!(
        "   {EVENTS} price changes published in {} ms",
        started.elapsed().as_millis()
    );
    Ok(())
}

async fn room_figures(base: &str, session: i64) -> anyhow::Result<Value> {
    let page: Value = client::http()
        .get(format!("{base}/api/v1/live/sessions/{session}"))
        .send()
        .await?
        .json()
        .await?;
    Ok(page["viewers"].clone())
}

fn latencies(log: &Log) -> Vec<Duration> {
    log.all().iter().map(|s| s.latency).collect()
}

/// The process's resident memory (VmRSS), in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
