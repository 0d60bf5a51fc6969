//! The live room's sales feed: after every committed batch of orders, each
//! session they were placed in gets its running tally (at most every 200 ms,
//! and once more after the last change), a sampled `purchase` event (masked
//! buyer, item, quantity, at most every 100 ms), its capped items' live
//! units left, and each deal's gate and stock feed follow its allotment.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::deal_model::{PurchaseEvent, mask_name};
use super::events::EventKind;
use super::flash::{self, FlashDesk};
use super::hub::LiveHub;
use super::tally::SessionTally;
use crate::orders::pipeline::{PlacedBatch, PlacedObserver, PlacedOrder};
use crate::platform::bus::Bus;

const TALLY_EVERY_MS: i64 = 200;
const PURCHASE_EVERY_MS: i64 = 100;

/// Installed as the order pipeline's observer at start-up.
#[derive(Clone)]
pub struct LiveSales {
    hub: LiveHub,
    flash: FlashDesk,
    bus: Bus,
    sent: Arc<Mutex<HashMap<(i64, EventKind), Sent>>>,
}

/// When a session's feed last sent an event of one kind, and whether a
/// trailing one is already on its way.
#[derive(Default, Clone, Copy)]
struct Sent {
    at_ms: i64,
    trailing: bool,
}

enum Due {
    Now,
    After(Duration),
    Scheduled,
}

impl LiveSales {
    pub fn new(hub: LiveHub, flash: FlashDesk, bus: Bus) -> Self {
        Self {
            hub,
            flash,
            bus,
            sent: Arc::default(),
        }
    }

    async fn feed(self, batch: Arc<PlacedBatch>) {
        flash::follow_batch(&self.flash, &self.hub, &self.bus, &batch.allotments).await;
        let mut sessions: BTreeMap<i64, Vec<&PlacedOrder>> = BTreeMap::new();
        for placed in &batch.orders {
            if let Some(session) = placed.view.live_session_id {
                sessions.entry(session).or_default().push(placed);
            }
        }
        for (session_id, orders) in sessions {
            self.count(session_id, &orders).await;
            if let Some(last) = orders.last() {
                self.sample_purchase(session_id, last).await;
            }
        }
        for cap in &batch.caps {
            let data = json!({"item_id": cap.item_id, "remaining": cap.remaining.max(0)});
            self.hub
                .publish(cap.session_id, EventKind::ItemStock, &data)
                .await;
        }
    }

    async fn count(&self, session_id: i64, orders: &[&PlacedOrder]) {
        let more = SessionTally {
            orders: orders.len() as i64,
            units: orders
                .iter()
                .flat_map(|o| o.view.lines.iter())
                .map(|l| l.quantity)
                .sum(),
            gmv_fen: orders.iter().map(|o| o.view.total_fen).sum(),
        };
        let tally = self.hub.add_tally(session_id, more).await;
        match self.due(session_id, EventKind::Tally, TALLY_EVERY_MS, true) {
            Due::Now => publish_tally(&self.hub, session_id, tally).await,
            Due::After(wait) => {
                let me = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    me.settle_trailing(session_id);
                    if let Some(tally) = me.hub.tally(session_id).await {
                        publish_tally(&me.hub, session_id, tally).await;
                    }
                });
            }
            Due::Scheduled => {}
        }
    }

    async fn sample_purchase(&self, session_id: i64, placed: &PlacedOrder) {
        if !matches!(
            self.due(session_id, EventKind::Purchase, PURCHASE_EVERY_MS, false),
            Due::Now
        ) {
            return;
        }
        let Some(line) = placed.view.lines.first() else {
            return;
        };
        let event = PurchaseEvent {
            buyer: mask_name(&placed.buyer_name),
            sku_id: line.sku_id,
            title: line.title.clone(),
            quantity: line.quantity,
            deal_id: placed.view.deal_id,
        };
        self.hub
            .publish(session_id, EventKind::Purchase, &event)
            .await;
    }

    /// Whether an event of `kind` may go now; else when a trailing one should
    /// (if `trailing`), or that one is already scheduled.
    fn due(&self, session_id: i64, kind: EventKind, every_ms: i64, trailing: bool) -> Due {
        let now = chrono::Utc::now().timestamp_millis();
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        let entry = sent.entry((session_id, kind)).or_default();
        let wait = entry.at_ms + every_ms - now;
        if wait <= 0 {
            entry.at_ms = now;
            return Due::Now;
        }
        if !trailing {
            return Due::Scheduled;
        }
        if entry.trailing {
            return Due::Scheduled;
        }
        entry.trailing = true;
        Due::After(Duration::from_millis(wait as u64))
    }

    fn settle_trailing(&self, session_id: i64) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = sent.get_mut(&(session_id, EventKind::Tally)) {
            entry.trailing = false;
            entry.at_ms = chrono::Utc::now().timestamp_millis();
        }
    }
}

async fn publish_tally(hub: &LiveHub, session_id: i64, tally: SessionTally) {
    let data = json!({
        "session_id": session_id,
        "orders": tally.orders,
        "units": tally.units,
        "gmv_fen": tally.gmv_fen,
    });
    hub.publish(session_id, EventKind::Tally, &data).await;
}

impl PlacedObserver for LiveSales {
    fn placed(&self, batch: Arc<PlacedBatch>) {
        tokio::spawn(self.clone().feed(batch));
    }
}
