//! Live-room fan-out benchmark (`bench/live.sh`): opens N event streams on one
//! or more instances, has the streamer change a live price M times, and prints
//! how long each `price_changed` took to reach every viewer, and whether every
//! viewer got every event once, in id order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Barrier;

struct Args {
    bases: Vec<String>,
    workshop: i64,
    session: i64,
    item: i64,
    token: String,
    viewers: usize,
    events: usize,
    interval: Duration,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    // Before any client is built: the viewers' clients need it too.
    gongfang::platform::outbound::install_tls_provider();
    let args = Arc::new(parse_args()?);
    let ready = Arc::new(Barrier::new(args.viewers + 1));
    let viewers: Vec<_> = (0..args.viewers)
        .map(|n| tokio::spawn(watch(args.clone(), n, ready.clone())))
        .collect();
    ready.wait().await;
    println!(
        "{} streams open on {} instance(s)",
        args.viewers,
        args.bases.len()
    );
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut sent_at = Vec::with_capacity(args.events);
    for k in 0..args.events {
        let price = if k % 2 == 0 { 3_990 } else { 3_980 };
        let path = format!(
            "{}/api/v1/workshops/{}/live/sessions/{}/items/{}",
            args.bases[0], args.workshop, args.session, args.item
        );
        sent_at.push(Instant::now());
        let res = client
            .patch(path)
            .bearer_auth(&args.token)
            .json(&json!({"live_price_fen": price}))
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "price change: {}", res.status());
        tokio::time::sleep(args.interval).await;
    }
    let publishing = started.elapsed();
    let mut latencies = Vec::new();
    let mut complete = 0;
    for handle in viewers {
        let received = handle.await??;
        if received.len() == args.events {
            complete += 1;
        }
        for (k, at) in received.into_iter().enumerate() {
            latencies.push(at.saturating_duration_since(sent_at[k]).as_micros() as u64);
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    println!(
        "{} events in {:.1} s to {} viewers: {} frames delivered ({:.0} frames/s)",
        args.events,
        publishing.as_secs_f64(),
        args.viewers,
        latencies.len(),
        latencies.len() as f64 / publishing.as_secs_f64()
    );
    println!(
        "publish-to-viewer latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "viewers that got every event once, in order: {complete} of {}",
        args.viewers
    );
    anyhow::ensure!(complete == args.viewers, "some viewers missed events");
    Ok(())
}

/// One viewer: the arrival time of each `price_changed`, checking ids only grow.
async fn watch(args: Arc<Args>, n: usize, ready: Arc<Barrier>) -> anyhow::Result<Vec<Instant>> {
    let base = &args.bases[n % args.bases.len()];
    let url = format!(
        "{base}/api/v1/live/sessions/{}/events?device_id=bench-{n}",
        args.session
    );
    let opened = reqwest::Client::new().get(url).send().await;
    // Everyone reaches the barrier, even a viewer that failed to connect.
    ready.wait().await;
    let mut res = opened?;
    anyhow::ensure!(res.status().is_success(), "stream: {}", res.status());
    let (mut buf, mut arrivals, mut last_id) = (String::new(), Vec::new(), 0i64);
    while arrivals.len() < args.events {
        let chunk = tokio::time::timeout(Duration::from_secs(30), res.chunk()).await??;
        let Some(chunk) = chunk else {
            anyhow::bail!("viewer {n}: stream closed after {} events", arrivals.len());
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
            arrivals.push(Instant::now());
        }
    }
    Ok(arrivals)
}

fn parse_args() -> anyhow::Result<Args> {
    let mut opts = std::collections::BTreeMap::new();
    let mut args = std::env::args().skip(1);
    while let (Some(k), Some(v)) = (args.next(), args.next()) {
        opts.insert(k.trim_start_matches("--").to_owned(), v);
    }
    let get = |k: &str| {
        opts.get(k)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("--{k} is required"))
    };
    Ok(Args {
        bases: get("bases")?.split(',').map(str::to_owned).collect(),
        workshop: get("workshop")?.parse()?,
        session: get("session")?.parse()?,
        item: get("item")?.parse()?,
        token: get("token")?,
        viewers: get("viewers")?.parse()?,
        events: get("events")?.parse()?,
        interval: Duration::from_millis(get("interval-ms")?.parse()?),
    })
}
