//! The flash-sale hot path. Each instance keeps one runtime per deal: the
//! deal's terms in memory (so not-started, ended and sold-out are answered
//! without the database) and a single writer task that drains the deal's
//! queue into one transaction per batch (`orders::batch`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use sea_orm::EntityTrait;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::deal_model::{DealStockEvent, PurchaseEvent, mask_name};
use super::events::{EventKind, publish};
use crate::entity::{deal, live_session};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::batch::{AllotmentSale, BatchRequest, place_batch};
use crate::orders::idempotency::Claim;
use crate::orders::model::OrderView;
use crate::orders::service::load_priced;
use crate::orders::{allotments, expiry};
use crate::state::AppState;

const MAX_BATCH: usize = 512;
const QUEUE: usize = 20_000;
/// `deal_stock` at most every 200 ms, `purchase` at most every 100 ms, per deal.
const STOCK_EVERY_MS: i64 = 200;
const PURCHASE_EVERY_MS: i64 = 100;

pub const SOLD_OUT: &str = "live.deal_sold_out";
pub const ENDED: &str = "live.deal_ended";

/// All deal runtimes of this instance.
#[derive(Clone)]
pub struct FlashDesk {
    runtimes: Arc<Mutex<HashMap<i64, Arc<DealRuntime>>>>,
    /// Off: one transaction per buyer and no in-memory sold-out (the baseline).
    batching: bool,
}

pub struct DealRuntime {
    pub deal: deal::Model,
    sold_out: AtomicBool,
    ended: AtomicBool,
    queue: mpsc::Sender<BatchRequest>,
    last_stock_ms: AtomicI64,
    last_purchase_ms: AtomicI64,
}

impl FlashDesk {
    pub fn new(batching: bool) -> Self {
        Self {
            runtimes: Arc::new(Mutex::new(HashMap::new())),
            batching,
        }
    }

    fn cached(&self, deal_id: i64) -> Option<Arc<DealRuntime>> {
        self.runtimes.lock().ok()?.get(&deal_id).cloned()
    }

    fn for_allotment(&self, allotment_id: i64) -> Option<Arc<DealRuntime>> {
        let map = self.runtimes.lock().ok()?;
        map.values()
            .find(|r| r.deal.allotment_id == allotment_id)
            .cloned()
    }

    pub fn forget(&self, deal_id: i64) {
        if let Ok(mut map) = self.runtimes.lock() {
            map.remove(&deal_id);
        }
    }
}

/// Places one buyer's deal order: admitted from memory, written in a batch.
pub async fn order(
    state: &AppState,
    customer_id: i64,
    buyer_name: &str,
    deal_id: i64,
    address_id: i64,
    claim: Option<Claim>,
) -> AppResult<OrderView> {
    let runtime = runtime(state, deal_id).await?;
    runtime.admit(state.flash.batching)?;
    let (reply, answer) = oneshot::channel();
    let request = BatchRequest {
        customer_id,
        address_id,
        claim,
        reply,
    };
    runtime.queue.try_send(request).map_err(|_| {
        AppError::new(
            ErrorCode::Overloaded,
            "too many buyers at once; retry in a moment",
        )
        .with_retry_after(1)
    })?;
    let view = answer
        .await
        .map_err(|_| AppError::unavailable("the deal's writer stopped; retry"))??;
    if runtime.throttle(&runtime.last_purchase_ms, PURCHASE_EVERY_MS) {
        let event = PurchaseEvent {
            buyer: mask_name(buyer_name),
            sku_id: runtime.deal.sku_id,
            quantity: 1,
            deal_id: Some(deal_id),
        };
        publish(
            state,
            runtime.deal.live_session_id,
            EventKind::Purchase,
            &event,
        )
        .await;
    }
    Ok(view)
}

impl DealRuntime {
    fn admit(&self, gate_in_memory: bool) -> AppResult<()> {
        let now = Utc::now();
        if now < self.deal.starts_at {
            return Err(AppError::new(
                ErrorCode::DealNotStarted,
                format!("the deal starts at {}", self.deal.starts_at),
            ));
        }
        if now >= self.deal.ends_at || self.ended.load(Ordering::Acquire) {
            return Err(AppError::new(ErrorCode::DealEnded, "the deal has ended"));
        }
        if gate_in_memory && self.sold_out.load(Ordering::Acquire) {
            return Err(AppError::new(ErrorCode::SoldOut, "sold out"));
        }
        Ok(())
    }

    /// True at most once per `every_ms` (events are sampled, not sent per buyer).
    fn throttle(&self, last: &AtomicI64, every_ms: i64) -> bool {
        let now = Utc::now().timestamp_millis();
        let prev = last.load(Ordering::Relaxed);
        now - prev >= every_ms
            && last
                .compare_exchange(prev, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
    }
}

/// The deal's runtime on this instance, loading it on first use.
async fn runtime(state: &AppState, deal_id: i64) -> AppResult<Arc<DealRuntime>> {
    if let Some(found) = state.flash.cached(deal_id) {
        return Ok(found);
    }
    let deal = deal::Entity::find_by_id(deal_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("deal"))?;
    let session = live_session::Entity::find_by_id(deal.live_session_id)
        .one(&state.db)
        .await?;
    let mut priced = load_priced(&state.db, vec![deal.sku_id]).await?;
    let item = priced
        .remove(&deal.sku_id)
        .ok_or_else(|| AppError::not_found("deal SKU"))?;
    let allotment = allotments::find(&state.db, deal.allotment_id).await?;
    let sale = AllotmentSale {
        workshop_id: deal.workshop_id,
        item,
        allotment_id: deal.allotment_id,
        unit_price_fen: deal.price_fen,
        limit_scope: format!("deal:{}", deal.id),
        per_buyer_limit: deal.per_buyer_limit as i64,
        channel: "deal",
        deal_id: Some(deal.id),
        live_session_id: Some(deal.live_session_id),
        streamer_id: session.map(|s| s.streamer_account_id),
        payment_window: Duration::seconds(deal.payment_window_secs as i64),
    };
    let (queue, rx) = mpsc::channel(QUEUE);
    let runtime = Arc::new(DealRuntime {
        sold_out: AtomicBool::new(allotment.remaining == 0),
        ended: AtomicBool::new(deal.status == "ended" || !allotment.open),
        deal,
        queue,
        last_stock_ms: AtomicI64::new(0),
        last_purchase_ms: AtomicI64::new(0),
    });
    let mut map = state
        .flash
        .runtimes
        .lock()
        .map_err(|_| AppError::internal(anyhow::anyhow!("flash desk poisoned")))?;
    if let Some(existing) = map.get(&deal_id) {
        return Ok(existing.clone());
    }
    map.insert(deal_id, runtime.clone());
    drop(map);
    let max = if state.flash.batching { MAX_BATCH } else { 1 };
    tokio::spawn(write_loop(state.clone(), runtime.clone(), sale, rx, max));
    Ok(runtime)
}

/// The deal's single writer: whatever queued while the last batch committed
/// becomes the next batch. Costs nothing when idle.
async fn write_loop(
    state: AppState,
    runtime: Arc<DealRuntime>,
    sale: AllotmentSale,
    mut rx: mpsc::Receiver<BatchRequest>,
    max: usize,
) {
    let mut carry: Vec<BatchRequest> = Vec::new();
    loop {
        if carry.is_empty() {
            match rx.recv().await {
                Some(first) => carry.push(first),
                None => return,
            }
        }
        while carry.len() < max {
            match rx.try_recv() {
                Ok(next) => carry.push(next),
                Err(_) => break,
            }
        }
        let batch = std::mem::take(&mut carry);
        if Utc::now() >= runtime.deal.ends_at {
            for request in batch {
                let _ = request.reply.send(Err(AppError::new(
                    ErrorCode::DealEnded,
                    "the deal has ended",
                )));
            }
            continue;
        }
        let outcome = place_batch(&state.db, &sale, batch).await;
        carry = outcome.deferred;
        if let Some(remaining) = outcome.remaining {
            announce_stock(&state, &runtime, remaining).await;
        }
    }
}

async fn announce_stock(state: &AppState, runtime: &DealRuntime, remaining: i64) {
    let session = runtime.deal.live_session_id;
    if remaining == 0 && !runtime.sold_out.swap(true, Ordering::AcqRel) {
        state
            .bus
            .publish(SOLD_OUT, json!({"deal_id": runtime.deal.id}))
            .await;
        publish(
            state,
            session,
            EventKind::DealSoldOut,
            &json!({"deal_id": runtime.deal.id}),
        )
        .await;
    }
    if remaining == 0 || runtime.throttle(&runtime.last_stock_ms, STOCK_EVERY_MS) {
        publish(
            state,
            session,
            EventKind::DealStock,
            &DealStockEvent {
                deal_id: runtime.deal.id,
                remaining,
            },
        )
        .await;
    }
}

/// Keeps this instance's gates in step with the others: sold out, reopened
/// (an unpaid order gave units back) and ended.
pub async fn run_listener(state: AppState) {
    let mut messages = state.bus.subscribe();
    loop {
        let message = match messages.recv().await {
            Ok(m) => m,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return,
        };
        let id_of = |key: &str| message.payload.get(key).and_then(|v| v.as_i64());
        match message.topic.as_str() {
            SOLD_OUT => {
                if let Some(rt) = id_of("deal_id").and_then(|id| state.flash.cached(id)) {
                    rt.sold_out.store(true, Ordering::Release);
                }
            }
            ENDED => {
                if let Some(id) = id_of("deal_id") {
                    if let Some(rt) = state.flash.cached(id) {
                        rt.ended.store(true, Ordering::Release);
                    }
                    state.flash.forget(id);
                }
            }
            expiry::REPLENISHED => {
                if let Some(rt) = id_of("allotment_id").and_then(|id| state.flash.for_allotment(id))
                {
                    rt.sold_out.store(false, Ordering::Release);
                }
            }
            _ => {}
        }
    }
}
