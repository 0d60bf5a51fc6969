//! The flash-sale hot path. Each instance keeps one runtime per deal: the
//! deal's terms in memory, so not-started, ended and sold-out are answered
//! without the database; admitted buyers become order intents that the
//! order pipeline writes in batches on the deal's own writer. After each
//! batch the gate and the room's stock feed follow what the deal has left.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use sea_orm::EntityTrait;
use serde_json::json;

use super::deal_model::DealStockEvent;
use super::events::EventKind;
use super::hub::LiveHub;
use crate::entity::{deal, live_session};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::orders::idempotency::Claim;
use crate::orders::model::OrderView;
use crate::orders::pipeline::{AllotmentLeft, Channel, Destination, IntentLine, Job, OrderIntent};
use crate::orders::service::{Priced, load_priced};
use crate::orders::{allotments, expiry};
use crate::platform::bus::Bus;
use crate::state::AppState;

/// `deal_stock` at most every 200 ms per deal.
const STOCK_EVERY_MS: i64 = 200;

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
    item: Arc<Priced>,
    streamer_id: Option<i64>,
    sold_out: AtomicBool,
    ended: AtomicBool,
    last_stock_ms: AtomicI64,
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
    let deal = &runtime.deal;
    let line = IntentLine {
        sku_id: deal.sku_id,
        quantity: 1,
        entitled_price_fen: Some(deal.price_fen),
        known: Some(runtime.item.clone()),
    };
    let window = Duration::seconds(deal.payment_window_secs as i64);
    let mut intent = OrderIntent::new(
        customer_id,
        deal.workshop_id,
        vec![line],
        Destination::Address(address_id),
        Channel::Deal,
        window,
    );
    intent.buyer_name = buyer_name.to_owned();
    intent.live_session_id = Some(deal.live_session_id);
    intent.streamer_id = runtime.streamer_id;
    intent.deal_id = Some(deal.id);
    intent.allotment_id = Some(deal.allotment_id);
    intent.extra_limit = Some((format!("deal:{}", deal.id), deal.per_buyer_limit as i64));
    intent.sku_limits = false;
    let mut job = Job::single(intent, claim);
    job.alone = !state.flash.batching;
    let mut placed = state.orders.submit(job).await?;
    placed
        .pop()
        .ok_or_else(|| AppError::unavailable("the deal's order was not written; retry"))
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

    /// True at most once per `every_ms` (the stock feed is sampled, not sent per buyer).
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
    let runtime = Arc::new(DealRuntime {
        sold_out: AtomicBool::new(allotment.remaining == 0),
        ended: AtomicBool::new(deal.status == "ended" || !allotment.open),
        item: Arc::new(item),
        streamer_id: session.map(|s| s.streamer_account_id),
        deal,
        last_stock_ms: AtomicI64::new(0),
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
    Ok(runtime)
}

/// After a batch: each deal's gate closes when its allotment is empty (here at
/// once, elsewhere over the bus) and the room hears what is left.
pub async fn follow_batch(desk: &FlashDesk, hub: &LiveHub, bus: &Bus, left: &[AllotmentLeft]) {
    for entry in left {
        if let Some(runtime) = desk.for_allotment(entry.allotment_id) {
            announce_stock(hub, bus, &runtime, entry.remaining).await;
        }
    }
}

async fn announce_stock(hub: &LiveHub, bus: &Bus, runtime: &DealRuntime, remaining: i64) {
    let session = runtime.deal.live_session_id;
    let deal_id = runtime.deal.id;
    if remaining <= 0 && !runtime.sold_out.swap(true, Ordering::AcqRel) {
        bus.publish(SOLD_OUT, json!({"deal_id": deal_id})).await;
        hub.publish(
            session,
            EventKind::DealSoldOut,
            &json!({"deal_id": deal_id}),
        )
        .await;
    }
    if remaining <= 0 || runtime.throttle(&runtime.last_stock_ms, STOCK_EVERY_MS) {
        let event = DealStockEvent {
            deal_id,
            remaining: remaining.max(0),
        };
        hub.publish(session, EventKind::DealStock, &event).await;
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
