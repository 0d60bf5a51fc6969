//! Item 6 under load: a thousand slowloris sockets (silent, and dribbling a
//! header byte a second) must not stop others being served, and fifty
//! concurrent logins must not more than double order latency.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::{self, Log, Order, by_status, ms, percentile};
use crate::crash::report;
use crate::procs::Service;
use crate::world::{self, Backend, Customer, World};

const SLOW_SOCKETS: usize = 1000;
const LOGINS: usize = 50;
const MEASURE: Duration = Duration::from_secs(12);

pub async fn run(bin: &Path, backend: Backend) -> anyhow::Result<bool> {
    println!(
        "== resource limits ({backend:?}): {SLOW_SOCKETS} slowloris sockets; {LOGINS} concurrent logins vs order latency"
    );
    let world = World::new("limits", backend)?;
    let mut service = Service::new(bin, world.env(&[]), world.log("service"))?;
    let prepared = world::prepare(&service, &world.dir, 8, 4, 1_000_000, None)?;
    service.start().await?;
    let base = service.base();
    let mut failures = Vec::new();
    let phones = register(&base).await?;
    let baseline = Log::new();
    let (customers, skus) = (&prepared.customers, &prepared.skus);
    measure_orders(&base, customers, skus, &baseline, MEASURE).await;
    let alone = latencies(&baseline);
    println!(
        "   orders alone: {} p50 {} p99 {}",
        alone.len(),
        ms(percentile(alone.clone(), 0.5)),
        ms(percentile(alone.clone(), 0.99))
    );
    let alone_p50 = percentile(alone, 0.5);
    slowloris(
        &base,
        service.port,
        customers,
        skus,
        alone_p50,
        &mut failures,
    )
    .await;
    logins_against_orders(&base, phones, customers, skus, alone_p50, &mut failures).await;
    Ok(report(failures))
}

fn latencies(log: &Log) -> Vec<Duration> {
    log.all().iter().map(|s| s.latency).collect()
}

struct Sockets {
    closed_by_server: AtomicU64,
    longest_held_ms: AtomicU64,
    opened: AtomicU64,
}

async fn slowloris(
    base: &str,
    port: u16,
    customers: &[Customer],
    skus: &[i64],
    alone_p50: Duration,
    failures: &mut Vec<String>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let sockets = Arc::new(Sockets {
        closed_by_server: AtomicU64::new(0),
        longest_held_ms: AtomicU64::new(0),
        opened: AtomicU64::new(0),
    });
    let attackers: Vec<_> = (0..SLOW_SOCKETS)
        .map(|n| tokio::spawn(slow_client(port, n % 2 == 0, sockets.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "   {} slow sockets open; serving others for {} s",
        sockets.opened.load(Ordering::Relaxed),
        MEASURE.as_secs()
    );
    let log = Log::new();
    let served = measure_orders(base, customers, skus, &log, MEASURE).await;
    let health = Log::new();
    let client = client::http();
    for _ in 0..20 {
        health
            .send(
                "health",
                client
                    .get(format!("{base}/healthz"))
                    .timeout(Duration::from_secs(5)),
            )
            .await;
    }
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        a.abort();
    }
    let seen: Vec<_> = log.all().into_iter().chain(health.all()).collect();
    let refs: Vec<_> = seen.iter().collect();
    let ok = seen
        .iter()
        .filter(|s| s.status == 200 || s.status == 201)
        .count();
    let latencies: Vec<Duration> = seen.iter().map(|s| s.latency).collect();
    println!(
        "   others served: {ok}/{} ({}) p50 {} p99 {} max {}",
        seen.len(),
        by_status(&refs),
        ms(percentile(latencies.clone(), 0.5)),
        ms(percentile(latencies.clone(), 0.99)),
        ms(percentile(latencies.clone(), 1.0)),
    );
    println!(
        "   slow sockets: {} opened, {} closed by the server, longest held {} ms",
        sockets.opened.load(Ordering::Relaxed),
        sockets.closed_by_server.load(Ordering::Relaxed),
        sockets.longest_held_ms.load(Ordering::Relaxed),
    );
    if ok != seen.len() || served == 0 {
        failures.push("requests failed while slowloris sockets were open".into());
    }
    let ratio = percentile(latencies, 0.5).as_secs_f64() / alone_p50.as_secs_f64().max(1e-6);
    println!("   p50 with slow sockets / without: {ratio:.2}");
    if ratio > 2.0 {
        failures.push(format!(
            "latency grew {ratio:.2}x with {SLOW_SOCKETS} slow sockets"
        ));
    }
    if sockets.closed_by_server.load(Ordering::Relaxed) < SLOW_SOCKETS as u64 {
        failures.push("the server did not close every slow socket".into());
    }
    // The default client_request_timeout is 10 s.
    if sockets.longest_held_ms.load(Ordering::Relaxed) > 13_000 {
        failures.push("a slow socket was held over 13 s".into());
    }
}

/// Opens a socket and either stays silent or dribbles a header byte a second;
/// reconnects whenever the server hangs up, until stopped.
async fn slow_client(port: u16, silent: bool, sockets: Arc<Sockets>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        sockets.opened.fetch_add(1, Ordering::Relaxed);
        let opened = Instant::now();
        if !silent {
            let _ = stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .await;
        }
        let mut buf = [0u8; 512];
        loop {
            if !silent && stream.write_all(b"X").await.is_err() {
                break;
            }
            match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(_)) => continue,
                Err(_) if stop.load(Ordering::Relaxed) => return,
                Err(_) => continue,
            }
        }
        sockets.closed_by_server.fetch_add(1, Ordering::Relaxed);
        let held = opened.elapsed().as_millis() as u64;
        sockets.longest_held_ms.fetch_max(held, Ordering::Relaxed);
    }
}

/// Customers place orders back to back for `how_long`; orders placed.
pub async fn measure_orders(
    base: &str,
    customers: &[Customer],
    skus: &[i64],
    log: &Log,
    how_long: Duration,
) -> usize {
    let started = Instant::now();
    let workers: Vec<_> = customers
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let (base, log, token, sku) = (
                base.to_owned(),
                log.clone(),
                c.token.clone(),
                skus[n % skus.len()],
            );
            let order = Order::new(String::new(), c, sku, 1);
            tokio::spawn(async move {
                let client = client::http();
                let mut placed = 0;
                while started.elapsed() < how_long {
                    let request = client
                        .post(format!("{base}/api/v1/orders"))
                        .bearer_auth(&token)
                        .timeout(Duration::from_secs(10))
                        .json(&order.body);
                    if log.send("order", request).await.0 == 201 {
                        placed += 1;
                    }
                }
                placed
            })
        })
        .collect();
    let mut placed = 0;
    for w in workers {
        placed += w.await.unwrap_or(0);
    }
    placed
}

/// Customers with real passwords for the login burst.
async fn register(base: &str) -> anyhow::Result<Vec<String>> {
    let client = client::http();
    let phones: Vec<String> = (0..LOGINS).map(|n| format!("1370000{n:04}")).collect();
    for phone in &phones {
        let res = client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&json!({"phone": phone, "password": "correct-horse-battery", "name": "登录压测"}))
            .send()
            .await?;
        anyhow::ensure!(res.status() == 201, "register {phone}: {}", res.status());
    }
    Ok(phones)
}

async fn logins_against_orders(
    base: &str,
    phones: Vec<String>,
    customers: &[Customer],
    skus: &[i64],
    alone_p50: Duration,
    failures: &mut Vec<String>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let logins = Log::new();
    let loggers: Vec<_> = phones
        .into_iter()
        .map(|phone| {
            let (base, logins, stop) = (base.to_owned(), logins.clone(), stop.clone());
            tokio::spawn(async move {
                let client = client::http();
                while !stop.load(Ordering::Relaxed) {
                    let request = client
                        .post(format!("{base}/api/v1/auth/login"))
                        .timeout(Duration::from_secs(30))
                        .json(&json!({"phone": phone, "password": "correct-horse-battery"}));
                    logins.send("login", request).await;
                }
            })
        })
        .collect();
    let during = Log::new();
    measure_orders(base, customers, skus, &during, MEASURE).await;
    stop.store(true, Ordering::Relaxed);
    for l in loggers {
        let _ = l.await;
    }
    let (with_logins, login) = (latencies(&during), latencies(&logins));
    let login_seen = logins.all();
    let login_refs: Vec<_> = login_seen.iter().collect();
    println!(
        "   orders with {LOGINS} concurrent logins: {} p50 {} p99 {}",
        with_logins.len(),
        ms(percentile(with_logins.clone(), 0.5)),
        ms(percentile(with_logins.clone(), 0.99)),
    );
    println!(
        "   logins meanwhile: {} ({}) p50 {} p99 {}",
        login.len(),
        by_status(&login_refs),
        ms(percentile(login.clone(), 0.5)),
        ms(percentile(login, 0.99)),
    );
    let ratio = percentile(with_logins, 0.5).as_secs_f64() / alone_p50.as_secs_f64().max(1e-6);
    println!("   order p50 with logins / without: {ratio:.2}");
    if ratio > 2.0 {
        failures.push(format!(
            "order latency grew {ratio:.2}x with {LOGINS} concurrent logins"
        ));
    }
    if login_seen.iter().any(|s| s.status != 200) {
        failures.push("some logins failed".into());
    }
}
