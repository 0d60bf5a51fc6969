//! What a channel hands the pipeline: one order intent per order, built by the
//! domain that sells (storefront, live room, deal, group-buy, reship) with the
//! prices it is entitled to set. The pipeline prices the rest, takes the stock
//! and writes the rows; nothing outside it inserts orders.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;

use super::hooks::IntentGuard;
use crate::orders::idempotency::Claim;
use crate::orders::model::AddressView;
use crate::orders::service::Priced;

/// Where an order's channel column says it was sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Storefront,
    Live,
    Deal,
    Groupbuy,
    Reship,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Storefront => "storefront",
            Self::Live => "live",
            Self::Deal => "deal",
            Self::Groupbuy => "groupbuy",
            Self::Reship => "reship",
        }
    }
}

/// Where the goods go: a customer's saved address (checked in the batch), an
/// address already snapshotted (reships), or a pickup point (free shipping).
#[derive(Debug, Clone)]
pub enum Destination {
    Address(i64),
    Snapshot(Option<AddressView>),
    Pickup(i64),
}

/// One line: the SKU, how many, and the unit price when the channel sets it
/// (else the SKU's price when the batch commits).
#[derive(Debug, Clone)]
pub struct IntentLine {
    pub sku_id: i64,
    pub quantity: i64,
    pub entitled_price_fen: Option<i64>,
    /// The SKU and product as the channel already knows them (a deal's): the
    /// batch then reads no catalog rows for it.
    pub known: Option<Arc<Priced>>,
}

/// Units counted against a live session's pinned item cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapTake {
    pub item_id: i64,
    pub quantity: i64,
}

#[derive(Clone)]
pub struct OrderIntent {
    pub customer_id: i64,
    /// Shown masked in the live room's purchase feed.
    pub buyer_name: String,
    pub workshop_id: i64,
    pub lines: Vec<IntentLine>,
    pub destination: Destination,
    pub channel: Channel,
    pub live_session_id: Option<i64>,
    pub streamer_id: Option<i64>,
    pub deal_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// The units come from this allotment (deal or campaign), not the SKU.
    pub allotment_id: Option<i64>,
    /// A per-buyer limit besides the SKUs' own: (scope such as "deal:3", limit).
    pub extra_limit: Option<(String, i64)>,
    /// Whether the SKUs' own per-buyer limits apply (not to a reship).
    pub sku_limits: bool,
    pub caps: Vec<CapTake>,
    pub payment_window: Duration,
    /// A channel's own rule checked and recorded in the order's transaction.
    pub guard: Option<Arc<dyn IntentGuard>>,
}

impl OrderIntent {
    /// An intent with the usual defaults: SKU limits apply, no live terms.
    pub fn new(
        customer_id: i64,
        workshop_id: i64,
        lines: Vec<IntentLine>,
        destination: Destination,
        channel: Channel,
        payment_window: Duration,
    ) -> Self {
        Self {
            customer_id,
            buyer_name: String::new(),
            workshop_id,
            lines,
            destination,
            channel,
            live_session_id: None,
            streamer_id: None,
            deal_id: None,
            campaign_id: None,
            allotment_id: None,
            extra_limit: None,
            sku_limits: true,
            caps: Vec::new(),
            payment_window,
            guard: None,
        }
    }

    pub fn units(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}

/// Lines from merged quantities, priced by the catalog unless `entitled` says.
pub fn lines_of(merged: &BTreeMap<i64, i64>, entitled: &BTreeMap<i64, i64>) -> Vec<IntentLine> {
    merged
        .iter()
        .map(|(&sku_id, &quantity)| IntentLine {
            sku_id,
            quantity,
            entitled_price_fen: entitled.get(&sku_id).copied(),
            known: None,
        })
        .collect()
}

/// What the pipeline writes as one unit: one order, or a cart's orders (one
/// per workshop), all or none; with the idempotency claim whose answer it is.
#[derive(Clone)]
pub struct Job {
    pub intents: Vec<OrderIntent>,
    pub claim: Option<Claim>,
    /// A cart checkout: answered `{"orders": [...]}` and the cart emptied.
    pub checkout: bool,
    /// Written in a transaction of its own (the one-per-buyer baseline).
    pub alone: bool,
}

impl Job {
    pub fn single(intent: OrderIntent, claim: Option<Claim>) -> Self {
        Self {
            intents: vec![intent],
            claim,
            checkout: false,
            alone: false,
        }
    }

    pub fn customer_id(&self) -> i64 {
        self.intents.first().map_or(0, |i| i.customer_id)
    }

    /// Written in a transaction of its own: asked for, or a channel rule
    /// (a guard) that counts rows earlier jobs of a batch have not written yet.
    pub fn is_alone(&self) -> bool {
        self.alone || self.intents.iter().any(|i| i.guard.is_some())
    }
}
