//! Steady load shared by the outage harnesses: buyers placing orders with
//! idempotency keys (retrying until definitive) and readers, across one or
//! more instances, until told to stop; plus a `/readyz` watcher.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::client::{self, Answer, Log, Order};
use crate::world::Customer;

pub struct Load {
    pub log: Log,
    stop: Arc<AtomicBool>,
    buyers: Vec<JoinHandle<Vec<Answer>>>,
    readers: Vec<JoinHandle<()>>,
}

pub struct Outcome {
    pub answers: Vec<Answer>,
    pub unfinished_buyers: usize,
}

impl Load {
    /// One buyer per customer (orders of 1 unit of `skus`, instances in turn)
    /// and `readers` readers of the paths in `reads` (with the customers' tokens).
    pub fn start(
        bases: &[String],
        customers: Vec<Customer>,
        skus: &[i64],
        reads: &[String],
        readers: usize,
    ) -> Self {
        let log = Log::new();
        let stop = Arc::new(AtomicBool::new(false));
        let bases = Arc::new(bases.to_vec());
        let skus = Arc::new(skus.to_vec());
        let tokens: Vec<String> = customers.iter().map(|c| c.token.clone()).collect();
        let buyers = customers
            .into_iter()
            .enumerate()
            .map(|(n, c)| {
                tokio::spawn(buy(
                    n,
                    c,
                    bases.clone(),
                    skus.clone(),
                    log.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        let reads = Arc::new(reads.to_vec());
        let readers = (0..readers)
            .map(|n| {
                let token = tokens[n % tokens.len()].clone();
                tokio::spawn(read(
                    n,
                    token,
                    bases.clone(),
                    reads.clone(),
                    log.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        Self {
            log,
            stop,
            buyers,
            readers,
        }
    }

    /// Stops issuing new work; buyers finish their current key (bounded).
    pub async fn finish(self) -> Outcome {
        self.stop.store(true, Ordering::Relaxed);
        let mut answers = Vec::new();
        let mut unfinished_buyers = 0;
        for handle in self.buyers {
            match tokio::time::timeout(Duration::from_secs(90), handle).await {
                Ok(Ok(mine)) => answers.extend(mine),
                _ => unfinished_buyers += 1,
            }
        }
        for handle in self.readers {
            let _ = handle.await;
        }
        Outcome {
            answers,
            unfinished_buyers,
        }
    }
}

async fn buy(
    n: usize,
    customer: Customer,
    bases: Arc<Vec<String>>,
    skus: Arc<Vec<i64>>,
    log: Log,
    stop: Arc<AtomicBool>,
) -> Vec<Answer> {
    let client = client::http();
    let mut answers = Vec::new();
    let mut k = 0;
    while !stop.load(Ordering::Relaxed) {
        k += 1;
        let base = &bases[k % bases.len()];
        let sku = skus[(n + k) % skus.len()];
        let order = Order::new(format!("load-{n}-{k}"), &customer, sku, 1);
        let (answer, _) = client::place_until_definitive(
            &client,
            &log,
            base,
            &customer.token,
            &order,
            Duration::from_secs(60),
        )
        .await;
        answers.push(answer);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    answers
}

async fn read(
    n: usize,
    token: String,
    bases: Arc<Vec<String>>,
    paths: Arc<Vec<String>>,
    log: Log,
    stop: Arc<AtomicBool>,
) {
    let client = client::http();
    let mut k = n;
    while !stop.load(Ordering::Relaxed) {
        k += 1;
        let url = format!("{}{}", bases[k % bases.len()], paths[k % paths.len()]);
        let request = client
            .get(url)
            .bearer_auth(&token)
            .timeout(Duration::from_secs(10));
        log.send("read", request).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `/readyz` every 200 ms; the log records each answer (kind `readyz`).
pub fn watch_readiness(base: String, log: Log, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = client::http();
        while !stop.load(Ordering::Relaxed) {
            let request = client
                .get(format!("{base}/readyz"))
                .timeout(Duration::from_secs(5));
            log.send("readyz", request).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}
