//! Item 3: two instances under steady load while their Redis is killed,
//! SIGSTOPped for 20 s and made slow (`DEBUG SLEEP`). Checks: no 5xx, orders
//! unaffected, reads stay fast, the login limit holds (in-process fallback),
//! a changed price is stale at most the catalog cache TTL, and live events
//! cross instances again once Redis is back.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::checks;
use crate::client::{self, Answer, Log, Seen, by_status, ms, percentile};
use crate::crash::report;
use crate::load::Load;
use crate::procs::{Redis, Service, signal};
use crate::world::{self, Backend, Customer, World};

const BUYERS: usize = 10;
const DEAL_BUYERS: usize = 30;
const STOCK: i64 = 1_000_000;
const CACHE_TTL_SECS: u64 = 10;
const STEADY: Duration = Duration::from_secs(6);

struct Room {
    events: Arc<Mutex<Vec<(Instant, String)>>>,
    stop: Arc<AtomicBool>,
}

struct Harness {
    a: String,
    b: String,
    manager: String,
    workshop_id: i64,
    product_id: i64,
    sku_id: i64,
    deal_id: i64,
    deal_buyers: Vec<Customer>,
    next_deal_buyer: AtomicUsize,
    room: Room,
    failures: Vec<String>,
    http: reqwest::Client,
    log: Log,
}

pub async fn run(bin: &Path) -> anyhow::Result<bool> {
    println!("== Redis killed, paused 20 s and slow, under load on two instances");
    let world = World::new("redis", Backend::Postgres)?;
    let mut redis = Redis::start_new()?;
    let ttl = CACHE_TTL_SECS.to_string();
    let env = world.env(&[
        ("GONGFANG__CACHE__URL", &redis.url()),
        ("GONGFANG__CATALOG__CACHE_TTL_SECS", &ttl),
    ]);
    let mut a = Service::new(bin, env.clone(), world.log("a"))?;
    let mut b = Service::new(bin, env, world.log("b"))?;
    let mut prepared = world::prepare(&a, &world.dir, BUYERS + DEAL_BUYERS, 3, STOCK, Some(1000))?;
    a.start().await?;
    b.start().await?;
    let db = world.connect().await?;
    let deal_id = prepared.deal_id.expect("a running deal");
    let deal_sku = world::scalar(
        &db,
        &format!("SELECT sku_id FROM deals WHERE id = {deal_id}"),
    )
    .await?;
    let session = world::scalar(
        &db,
        &format!("SELECT live_session_id FROM deals WHERE id = {deal_id}"),
    )
    .await?;
    let sku_id = *prepared
        .skus
        .iter()
        .find(|s| **s != deal_sku)
        .expect("a SKU");
    let deal_buyers = prepared.customers.split_off(BUYERS);
    let order_skus: Vec<i64> = prepared
        .skus
        .iter()
        .copied()
        .filter(|s| *s != deal_sku)
        .collect();
    let product_id = world::scalar(
        &db,
        &format!("SELECT product_id FROM skus WHERE id = {sku_id}"),
    )
    .await?;
    for base in [a.base(), b.base()] {
        warm_up(&base, &prepared.customers, product_id).await;
    }
    let reads = vec![
        format!("/api/v1/products/{product_id}"),
        format!("/api/v1/live/deals/{deal_id}"),
    ];
    let load = Load::start(
        &[a.base(), b.base()],
        prepared.customers,
        &order_skus,
        &reads,
        8,
    );
    let mut h = Harness {
        manager: world::staff_token(&db, sku_id, "manager").await?,
        workshop_id: world::scalar(
            &db,
            &format!("SELECT workshop_id FROM skus WHERE id = {sku_id}"),
        )
        .await?,
        a: a.base(),
        b: b.base(),
        product_id,
        sku_id,
        deal_id,
        deal_buyers,
        next_deal_buyer: AtomicUsize::new(0),
        room: Room::watch(format!(
            "{}/api/v1/live/sessions/{session}/events",
            b.base()
        )),
        failures: Vec::new(),
        http: client::http(),
        log: load.log.clone(),
    };
    tokio::time::sleep(STEADY).await;
    h.events_cross_instances("baseline", Instant::now()).await;
    let mut phases = vec![("baseline", Duration::ZERO, h.log.started.elapsed())];

    let from = h.log.started.elapsed();
    redis.kill()?;
    println!("   redis killed (SIGKILL)");
    h.during_fault("killed").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    redis.start()?;
    phases.push(("killed", from, h.log.started.elapsed()));
    h.events_cross_instances("after kill", Instant::now()).await;

    let from = h.log.started.elapsed();
    signal(redis.pid(), "STOP")?;
    println!("   redis paused (SIGSTOP) for 20 s");
    let resume_at = Instant::now() + Duration::from_secs(20);
    h.during_fault("paused").await;
    tokio::time::sleep(resume_at.saturating_duration_since(Instant::now())).await;
    signal(redis.pid(), "CONT")?;
    phases.push(("paused", from, h.log.started.elapsed()));
    h.events_cross_instances("after pause", Instant::now())
        .await;

    let from = h.log.started.elapsed();
    println!("   redis slow (DEBUG SLEEP 0.4 back to back) for 15 s");
    let slow = slow_redis(redis.port, Duration::from_secs(15));
    h.during_fault("slow").await;
    slow.await??;
    phases.push(("slow", from, h.log.started.elapsed()));
    h.events_cross_instances("after slow", Instant::now()).await;
    tokio::time::sleep(STEADY).await;
    phases.push((
        "after",
        phases.last().expect("phase").2,
        h.log.started.elapsed(),
    ));

    h.room.stop.store(true, Ordering::Relaxed);
    let outcome = load.finish().await;
    let seen = h.log.all();
    judge_requests(&seen, &phases, &mut h.failures);
    let acknowledged: BTreeSet<i64> = outcome
        .answers
        .iter()
        .filter_map(|a| match a {
            Answer::Placed(id) => Some(*id),
            _ => None,
        })
        .collect();
    let refused = outcome
        .answers
        .iter()
        .filter(|a| !matches!(a, Answer::Placed(_)))
        .count();
    if refused + outcome.unfinished_buyers > 0 {
        h.failures.push(format!(
            "{refused} orders refused or stuck, {} buyers unfinished",
            outcome.unfinished_buyers
        ));
    }
    let verdict =
        checks::orders_and_stock_where(&db, &acknowledged, &order_skus, STOCK, "deal_id IS NULL")
            .await?;
    h.failures.extend(verdict.failures);
    println!("   {}", verdict.summary);
    Ok(report(h.failures))
}

impl Harness {
    /// The checks run while Redis is unusable: the login limit and a price change.
    async fn during_fault(&mut self, phase: &str) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.login_limit_holds(phase).await;
        self.price_fresh_within_ttl(phase).await;
    }

    async fn login_limit_holds(&mut self, phase: &str) {
        let phone = format!("1390000{:04}", rand::random_range(0..10000));
        for attempt in 1..=10 {
            let request = self
                .http
                .post(format!("{}/api/v1/auth/login", self.a))
                .json(&json!({"phone": phone, "password": "wrong-password-123"}));
            let (status, _, _) = self.log.send("login", request).await;
            if status == 429 {
                println!("   [{phase}] login limit: attempt {attempt} refused with 429");
                return;
            }
        }
        self.failures
            .push(format!("[{phase}] 10 failed logins and no 429"));
    }

    /// Changes the price on A; B must show it within the cache TTL.
    async fn price_fresh_within_ttl(&mut self, phase: &str) {
        let _ = self.price_on(&self.b.clone()).await;
        let new_price = 2000 + rand::random_range(0..900);
        let request = self
            .http
            .patch(format!(
                "{}/api/v1/workshops/{}/skus/{}",
                self.a, self.workshop_id, self.sku_id
            ))
            .bearer_auth(&self.manager)
            .json(&json!({"price_fen": new_price}));
        let (status, body, _) = self.log.send("write", request).await;
        if status != 200 {
            self.failures
                .push(format!("[{phase}] price change answered {status} {body}"));
            return;
        }
        let changed = Instant::now();
        let limit = Duration::from_secs(CACHE_TTL_SECS + 2);
        while changed.elapsed() < limit + Duration::from_secs(5) {
            if self.price_on(&self.b.clone()).await == Some(new_price) {
                let stale = changed.elapsed();
                println!(
                    "   [{phase}] new price visible on the other instance after {}",
                    ms(stale)
                );
                if stale > limit {
                    self.failures
                        .push(format!("[{phase}] price stale for {}", ms(stale)));
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.failures.push(format!(
            "[{phase}] the other instance never showed the new price"
        ));
    }

    async fn price_on(&self, base: &str) -> Option<i64> {
        let request = self
            .http
            .get(format!("{base}/api/v1/products/{}", self.product_id));
        let (_, body, _) = self.log.send("read", request).await;
        body["skus"]
            .as_array()?
            .iter()
            .find(|s| s["id"].as_i64() == Some(self.sku_id))?["price_fen"]
            .as_i64()
    }

    /// Buys the deal on A until a `purchase` event reaches B's live stream.
    async fn events_cross_instances(&mut self, phase: &str, since: Instant) {
        while since.elapsed() < Duration::from_secs(20) {
            let n = self.next_deal_buyer.fetch_add(1, Ordering::Relaxed);
            let Some(buyer) = self.deal_buyers.get(n) else {
                break;
            };
            let seen_before = self.room.count("purchase");
            let request = self
                .http
                .post(format!(
                    "{}/api/v1/live/deals/{}/orders",
                    self.a, self.deal_id
                ))
                .bearer_auth(&buyer.token)
                .header("Idempotency-Key", format!("deal-{n}"))
                .json(&json!({"address_id": buyer.address_id}));
            let (status, _, _) = self.log.send("deal", request).await;
            let bought = Instant::now();
            while bought.elapsed() < Duration::from_secs(3) {
                if self.room.count("purchase") > seen_before {
                    println!(
                        "   [{phase}] live event crossed instances {} after the check began (purchase answered {status})",
                        ms(since.elapsed())
                    );
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        self.failures.push(format!(
            "[{phase}] no live event reached the other instance within 20 s"
        ));
    }
}

impl Room {
    /// Follows a live room's SSE stream, reconnecting when it closes.
    fn watch(url: String) -> Self {
        let events = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopped) = (events.clone(), stop.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while !stopped.load(Ordering::Relaxed) {
                if let Ok(mut res) = http.get(&url).send().await {
                    let mut pending = String::new();
                    while let Ok(Some(chunk)) = res.chunk().await {
                        pending.push_str(&String::from_utf8_lossy(&chunk));
                        while let Some(end) = pending.find('\n') {
                            let line: String = pending.drain(..=end).collect();
                            if let Some(name) = line.trim().strip_prefix("event:") {
                                seen.lock()
                                    .expect("events")
                                    .push((Instant::now(), name.trim().to_owned()));
                            }
                        }
                        if stopped.load(Ordering::Relaxed) {
                            return;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Self { events, stop }
    }

    fn count(&self, name: &str) -> usize {
        self.events
            .lock()
            .expect("events")
            .iter()
            .filter(|(_, n)| n == name)
            .count()
    }
}

/// Keeps Redis busy sleeping (`DEBUG SLEEP 0.4` back to back through
/// redis-cli, each longer than the services' call timeout) for `how_long`.
fn slow_redis(port: u16, how_long: Duration) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        while started.elapsed() < how_long {
            let status = std::process::Command::new("redis-cli")
                .args(["-p", &port.to_string(), "DEBUG", "SLEEP", "0.4"])
                .stdout(std::process::Stdio::null())
                .status()?;
            anyhow::ensure!(status.success(), "redis-cli DEBUG SLEEP failed");
        }
        Ok(())
    })
}

fn judge_requests(
    seen: &[Seen],
    phases: &[(&str, Duration, Duration)],
    failures: &mut Vec<String>,
) {
    let all: Vec<&Seen> = seen.iter().collect();
    println!("   requests: {} ({})", all.len(), by_status(&all));
    let server_errors = all
        .iter()
        .filter(|s| s.status >= 500 || s.status == 0)
        .count();
    if server_errors > 0 {
        failures.push(format!(
            "{server_errors} requests answered 5xx or not at all"
        ));
    }
    for (name, from, to) in phases {
        let in_phase = |kind: &str| -> Vec<Duration> {
            all.iter()
                .filter(|s| s.kind == kind && s.at >= *from && s.at < *to)
                .map(|s| s.latency)
                .collect()
        };
        let (reads, orders) = (in_phase("read"), in_phase("order"));
        println!(
            "   {name:>8}: {} reads p50 {} p99 {} max {}; {} orders p50 {} p99 {}",
            reads.len(),
            ms(percentile(reads.clone(), 0.5)),
            ms(percentile(reads.clone(), 0.99)),
            ms(percentile(reads.clone(), 1.0)),
            orders.len(),
            ms(percentile(orders.clone(), 0.5)),
            ms(percentile(orders.clone(), 0.99)),
        );
        if percentile(reads, 0.99) > Duration::from_secs(1) {
            failures.push(format!("reads slow while Redis was {name}"));
        }
    }
}

/// A few reads per customer on each instance first, so connection pools and
/// caches are warm before the baseline is measured.
async fn warm_up(base: &str, customers: &[Customer], product_id: i64) {
    let http = client::http();
    for c in customers {
        let _ = http
            .get(format!("{base}/api/v1/orders"))
            .bearer_auth(&c.token)
            .send()
            .await;
        let _ = http
            .get(format!("{base}/api/v1/products/{product_id}"))
            .send()
            .await;
    }
}
