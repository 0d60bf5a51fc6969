//! Single-writer tasks, one per shard (a bucket of SKUs, or a deal's or
//! campaign's allotment): each takes whatever queued while its previous commit was in
//! flight as its next batch, so it batches under load and adds nothing when
//! idle (no timers). A writer idle for a minute retires; the next job starts
//! a new one.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use super::batch::{self, BatchResult};
use super::hooks::{PlacedObserver, SessionPricing};
use super::intent::Job;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::model::OrderView;
use crate::platform::bus::Bus;
use crate::platform::{db, outbox};

const IDLE: Duration = Duration::from_secs(60);

/// Which writer writes a job: the allotment it draws from (a hot deal gets
/// its own), else one of `stock_writers` writers chosen by its lowest SKU id
/// (one SKU's orders always meet in one writer's batches; the long tail
/// spreads over the others, whose transactions run side by side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shard {
    Stock(u64),
    Allotment(i64),
}

impl Shard {
    pub fn of(job: &Job, stock_writers: u64) -> Self {
        if let Some(id) = job.intents.first().and_then(|i| i.allotment_id) {
            return Self::Allotment(id);
        }
        let lowest = job
            .intents
            .iter()
            .flat_map(|i| i.lines.iter().map(|l| l.sku_id))
            .min()
            .unwrap_or(0);
        Self::Stock(lowest.unsigned_abs() % stock_writers.max(1))
    }
}

pub type Answer = AppResult<Vec<OrderView>>;

pub struct Pending {
    pub job: Job,
    pub reply: oneshot::Sender<Answer>,
}

pub struct Writers {
    db: DatabaseConnection,
    bus: Bus,
    pricing: Arc<dyn SessionPricing>,
    observer: Arc<dyn PlacedObserver>,
    max_batch: usize,
    queue: usize,
    stock_writers: u64,
    claim_lease: chrono::Duration,
    /// Writers run on the service's main runtime, not on an HTTP worker's
    /// thread, so their round trips never wait behind request handling.
    runtime: tokio::runtime::Handle,
    next_id: AtomicU64,
    running: Mutex<HashMap<Shard, (u64, mpsc::Sender<Pending>)>>,
    metrics: super::metrics::PipelineMetrics,
}

pub struct WriterConfig {
    pub db: DatabaseConnection,
    pub bus: Bus,
    pub pricing: Arc<dyn SessionPricing>,
    pub observer: Arc<dyn PlacedObserver>,
    pub max_batch: usize,
    pub queue: usize,
    pub stock_writers: u64,
    pub claim_lease: chrono::Duration,
    pub registry: prometheus::Registry,
}

impl Writers {
    pub fn new(config: WriterConfig) -> anyhow::Result<Self> {
        Ok(Self {
            db: config.db,
            bus: config.bus,
            pricing: config.pricing,
            observer: config.observer,
            max_batch: config.max_batch.max(1),
            queue: config.queue.max(1),
            stock_writers: config.stock_writers.max(1),
            claim_lease: config.claim_lease,
            runtime: tokio::runtime::Handle::current(),
            next_id: AtomicU64::new(0),
            running: Mutex::new(HashMap::new()),
            metrics: super::metrics::PipelineMetrics::register(&config.registry)?,
        })
    }

    pub fn pricing(&self) -> &dyn SessionPricing {
        self.pricing.as_ref()
    }

    /// Queues `job` on its shard's writer and waits for the committed answer.
    pub async fn submit(self: &Arc<Self>, job: Job) -> Answer {
        let shard = Shard::of(&job, self.stock_writers);
        let (reply, answer) = oneshot::channel();
        let mut pending = Pending { job, reply };
        for _ in 0..3 {
            let (id, sender) = self.sender(shard);
            match sender.try_send(pending) {
                Ok(()) => {
                    return answer
                        .await
                        .map_err(|_| AppError::unavailable("the order writer stopped; retry"))?;
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.metrics.overloaded.inc();
                    return Err(AppError::new(
                        ErrorCode::Overloaded,
                        "too many orders at once; retry in a moment",
                    )
                    .with_retry_after(1));
                }
                Err(mpsc::error::TrySendError::Closed(back)) => {
                    self.forget(shard, id);
                    pending = back;
                }
            }
        }
        Err(AppError::unavailable(
            "the order writer is restarting; retry",
        ))
    }

    fn sender(self: &Arc<Self>, shard: Shard) -> (u64, mpsc::Sender<Pending>) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((id, sender)) = running.get(&shard) {
            return (*id, sender.clone());
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, rx) = mpsc::channel(self.queue);
        running.insert(shard, (id, sender.clone()));
        self.runtime.spawn(self.clone().run(shard, id, rx));
        (id, sender)
    }

    fn forget(&self, shard: Shard, id: u64) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running
            .get(&shard)
            .is_some_and(|(current, _)| *current == id)
        {
            running.remove(&shard);
        }
    }

    async fn run(self: Arc<Self>, shard: Shard, id: u64, mut rx: mpsc::Receiver<Pending>) {
        let mut carry: VecDeque<Pending> = VecDeque::new();
        loop {
            if carry.is_empty() {
                match tokio::time::timeout(IDLE, rx.recv()).await {
                    Ok(Some(first)) => carry.push_back(first),
                    Ok(None) => return,
                    Err(_) => {
                        // Retire: no new sender finds us; what is queued is still written.
                        self.forget(shard, id);
                        rx.close();
                        continue;
                    }
                }
            }
            while carry.len() < self.max_batch * 4 {
                match rx.try_recv() {
                    Ok(next) => carry.push_back(next),
                    Err(_) => break,
                }
            }
            self.metrics.queued.observe((carry.len() + rx.len()) as f64);
            let batch = take_batch(&mut carry, self.max_batch);
            if let Err(outage) = self.write(batch).await {
                // What queued while the database failed us would only wait for
                // the same answer: give it now, not one connect timeout per batch.
                while let Ok(next) = rx.try_recv() {
                    carry.push_back(next);
                }
                fail(carry.drain(..).map(|p| p.reply).collect(), &outage);
            }
        }
    }

    /// Writes one batch and answers its jobs; the error when the database is down.
    async fn write(&self, batch: Vec<Pending>) -> Result<(), AppError> {
        let started = Instant::now();
        let mut outage = None;
        let (jobs, replies): (Vec<Job>, Vec<_>) =
            batch.into_iter().map(|p| (p.job, p.reply)).unzip();
        self.metrics.batch_jobs.observe(jobs.len() as f64);
        match self.commit(&jobs).await {
            Ok(result) => self.answer(replies, result),
            Err(err) if jobs.len() > 1 && !is_outage(&err) => {
                // One job's rows broke the statement: write each alone, so it
                // fails on its own and its neighbours are placed.
                tracing::warn!(error = ?err, jobs = jobs.len(), "order batch failed; writing its jobs one by one");
                for (job, reply) in jobs.into_iter().zip(replies) {
                    match self.commit(std::slice::from_ref(&job)).await {
                        Ok(result) => self.answer(vec![reply], result),
                        Err(err) => fail(vec![reply], &err),
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = ?err, jobs = jobs.len(), "order batch failed");
                fail(replies, &err);
                outage = is_outage(&err).then_some(err);
            }
        }
        self.metrics
            .batch_seconds
            .observe(started.elapsed().as_secs_f64());
        outage.map_or(Ok(()), Err)
    }

    async fn commit(&self, jobs: &[Job]) -> AppResult<BatchResult> {
        let txn = db::begin_write(&self.db).await?;
        let result = batch::write(&txn, jobs, self.pricing.as_ref(), self.claim_lease).await?;
        txn.commit().await?;
        Ok(result)
    }

    fn answer(&self, replies: Vec<oneshot::Sender<Answer>>, result: BatchResult) {
        let placed = result.placed.orders.len();
        for (reply, answer) in replies.into_iter().zip(result.answers) {
            let _ = reply.send(answer);
        }
        self.metrics.orders.inc_by(placed as u64);
        if placed > 0 {
            self.observer.placed(Arc::new(result.placed));
            let bus = self.bus.clone();
            self.runtime
                .spawn(async move { outbox::committed(&bus).await });
        }
    }
}

/// The next batch: queued jobs in arrival order, one per customer (a second
/// one waits for the next batch), a job written alone only by itself.
fn take_batch(carry: &mut VecDeque<Pending>, max: usize) -> Vec<Pending> {
    let mut batch: Vec<Pending> = Vec::new();
    let mut customers = HashSet::new();
    let mut kept = VecDeque::with_capacity(carry.len());
    while let Some(next) = carry.pop_front() {
        let alone = next.job.is_alone() || batch.first().is_some_and(|b| b.job.is_alone());
        let fits = (batch.is_empty() || !alone) && batch.len() < max;
        if fits && customers.insert(next.job.customer_id()) {
            batch.push(next);
        } else {
            kept.push_back(next);
        }
    }
    *carry = kept;
    batch
}

/// Nothing of the batch was acknowledged: every job answers 503 with `Retry-After`.
fn fail(replies: Vec<oneshot::Sender<Answer>>, err: &AppError) {
    let detail = if is_outage(err) {
        err.detail.clone()
    } else {
        "the order could not be written; retry".to_owned()
    };
    for reply in replies {
        let _ = reply.send(Err(
            AppError::unavailable(detail.clone()).with_retry_after(1)
        ));
    }
}

fn is_outage(err: &AppError) -> bool {
    err.code == ErrorCode::ServiceUnavailable
}
