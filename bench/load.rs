//! Load generator for the Gongfang benchmarks (`bench/*.sh`): order placement
//! (`orders`: random customers; `cold`: each customer once, so every token is
//! new to the service), complete checkouts (order + payment + signed webhook)
//! and flash-sale bursts. Prints requests/s, p50/p99 and answers by status;
//! exits non-zero when no request succeeded.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gongfang::platform::crypto::hmac_sha256_hex;
use serde_json::{Value, json};

struct Args {
    mode: String,
    /// One or more instances (`--base a,b`), taken in turn.
    bases: Vec<String>,
    customers: Vec<(String, i64)>,
    skus: Vec<i64>,
    concurrency: usize,
    duration: Duration,
    deal: i64,
    secret: String,
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    completed: u64,
    /// When the last 2xx answer arrived (ms since start): the end of the stock.
    last_success_ms: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(parse_args()?);
    gongfang::platform::outbound::install_tls_provider();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|w| {
            tokio::spawn(worker(
                w,
                args.clone(),
                client.clone(),
                next.clone(),
                started,
            ))
        })
        .collect();
    let mut total = Stats::default();
    for handle in workers {
        let stats = handle.await?;
        total.latencies_us.extend(stats.latencies_us);
        total.completed += stats.completed;
        total.last_success_ms = total.last_success_ms.max(stats.last_success_ms);
        for (status, n) in stats.statuses {
            *total.statuses.entry(status).or_default() += n;
        }
    }
    report(&args, &mut total, started.elapsed());
    anyhow::ensure!(total.completed > 0, "no request succeeded");
    Ok(())
}

async fn worker(
    w: usize,
    args: Arc<Args>,
    client: reqwest::Client,
    next: Arc<AtomicUsize>,
    started: Instant,
) -> Stats {
    let mut stats = Stats::default();
    let mut rng = w.wrapping_mul(2654435761) + 1;
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let out_of_time = started.elapsed() >= args.duration;
        let once_each = args.mode == "flash" || args.mode == "cold";
        let out_of_customers = once_each && n >= args.customers.len();
        if out_of_time || out_of_customers {
            return stats;
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let customer = &args.customers[if once_each {
            n
        } else {
            rng % args.customers.len()
        }];
        let sku = args
            .skus
            .get(rng % args.skus.len().max(1))
            .copied()
            .unwrap_or(0);
        let base = &args.bases[n % args.bases.len()];
        let t0 = Instant::now();
        let status = match args.mode.as_str() {
            "orders" | "cold" => place(&client, base, customer, sku).await.0,
            "checkouts" => checkout(&client, &args, base, customer, sku).await,
            _ => deal_order(&client, &args, base, customer).await,
        };
        stats.latencies_us.push(t0.elapsed().as_micros() as u64);
        *stats.statuses.entry(status).or_default() += 1;
        if (200..300).contains(&status) {
            stats.completed += 1;
            stats.last_success_ms = started.elapsed().as_millis() as u64;
        }
    }
}

async fn place(
    client: &reqwest::Client,
    base: &str,
    customer: &(String, i64),
    sku: i64,
) -> (u16, Value) {
    let body = json!({"lines": [{"sku_id": sku, "quantity": 1}], "address_id": customer.1});
    send(
        client
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(&customer.0)
            .json(&body),
    )
    .await
}

async fn checkout(
    client: &reqwest::Client,
    args: &Args,
    base: &str,
    customer: &(String, i64),
    sku: i64,
) -> u16 {
    let (status, order) = place(client, base, customer, sku).await;
    if status != 201 {
        return status;
    }
    let url = format!("{base}/api/v1/orders/{}/payments", order["id"]);
    let (status, payment) = send(client.post(url).bearer_auth(&customer.0).json(&json!({}))).await;
    if status != 201 {
        return status;
    }
    let event = json!({"event_id": format!("evt_{}", payment["id"]), "type": "payment.succeeded",
        "provider_ref": payment["provider_ref"], "amount_fen": payment["amount_fen"], "occurred_at": "2026-11-29T10:00:00Z"});
    let body = serde_json::to_vec(&event).unwrap_or_default();
    let signature = hmac_sha256_hex(args.secret.as_bytes(), &body);
    let request = client
        .post(format!("{base}/api/v1/payments/webhooks/sandbox"))
        .header("content-type", "application/json")
        .header("Sandbox-Signature", signature)
        .body(body);
    send(request).await.0
}

async fn deal_order(
    client: &reqwest::Client,
    args: &Args,
    base: &str,
    customer: &(String, i64),
) -> u16 {
    let body = json!({"address_id": customer.1});
    let url = format!("{base}/api/v1/live/deals/{}/orders", args.deal);
    send(client.post(url).bearer_auth(&customer.0).json(&body))
        .await
        .0
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    match request.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let body = res.json::<Value>().await.unwrap_or(Value::Null);
            (status, body)
        }
        Err(_) => (0, Value::Null),
    }
}

fn report(args: &Args, stats: &mut Stats, elapsed: Duration) {
    stats.latencies_us.sort_unstable();
    let pct = |p: f64| {
        let i = ((stats.latencies_us.len() as f64 * p) as usize)
            .min(stats.latencies_us.len().saturating_sub(1));
        stats.latencies_us.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    let secs = elapsed.as_secs_f64();
    println!(
        "mode={} concurrency={} elapsed={secs:.1}s",
        args.mode, args.concurrency
    );
    println!(
        "requests: {} ({:.0}/s)",
        stats.latencies_us.len(),
        stats.latencies_us.len() as f64 / secs
    );
    println!(
        "completed (2xx): {} ({:.0}/s)",
        stats.completed,
        stats.completed as f64 / secs
    );
    println!(
        "latency ms: p50 {:.2}  p99 {:.2}  max {:.2}",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    println!("answers by status: {:?}", stats.statuses);
    if args.mode == "flash" && stats.last_success_ms > 0 {
        let selling = stats.last_success_ms as f64 / 1000.0;
        let after = (secs - selling).max(0.001);
        let sold_out = stats.statuses.get(&409).copied().unwrap_or(0);
        println!(
            "orders/s while stock lasted: {:.0} (stock gone after {selling:.2}s)",
            stats.completed as f64 / selling.max(0.001)
        );
        println!(
            "answers/s after the stock was gone: {:.0} ({sold_out} × 409 in total)",
            (stats.latencies_us.len() as f64 - stats.completed as f64) / after
        );
    }
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "orders".into());
    let mut opts = BTreeMap::new();
    while let (Some(k), Some(v)) = (args.next(), args.next()) {
        opts.insert(k.trim_start_matches("--").to_owned(), v);
    }
    let get = |k: &str, d: &str| opts.get(k).cloned().unwrap_or_else(|| d.to_owned());
    let dir = get("data", "bench/out");
    let customers = std::fs::read_to_string(format!("{dir}/customers.txt"))?
        .lines()
        .filter_map(|l| {
            l.split_once(' ')
                .and_then(|(t, a)| Some((t.to_owned(), a.parse().ok()?)))
        })
        .collect();
    let skus = std::fs::read_to_string(format!("{dir}/skus.txt"))?
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect();
    Ok(Args {
        mode,
        bases: get("base", "http://127.0.0.1:8080")
            .split(',')
            .map(str::to_owned)
            .collect(),
        customers,
        skus,
        concurrency: get("concurrency", "256").parse()?,
        duration: Duration::from_secs(get("duration", "20").parse()?),
        deal: get("deal", "0").parse()?,
        secret: get("secret", "sandbox-secret-change-me"),
    })
}
