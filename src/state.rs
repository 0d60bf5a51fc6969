//! What every request handler can reach: the database, cache, bus, password
//! hasher, metrics registry and settings. Built once by `startup` and shared by all workers.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::password::Passwords;
use crate::catalog::cache::CatalogCache;
use crate::catalog::lots::receipts::LotReceipts;
use crate::config::Settings;
use crate::integrations::SelfAddress;
use crate::integrations::logistics::Logistics;
use crate::integrations::payments::Providers;
use crate::live::LiveHub;
use crate::orders::refunds::RefundObserver;
use crate::platform::bus::Bus;
use crate::platform::cache::Cache;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub cache: Cache,
    pub bus: Bus,
    pub live: LiveHub,
    /// Flash-deal gates of this instance.
    pub flash: crate::live::flash::FlashDesk,
    /// The order pipeline: every order is written through it.
    pub orders: crate::orders::pipeline::Pipeline,
    pub passwords: Passwords,
    /// Buying limits, counted in memory and shared through Redis.
    pub limits: crate::platform::rate_limit::Limiter,
    /// Callers of known tokens, kept in memory (revoked over the bus).
    pub callers: crate::auth::callers::Callers,
    pub payments: Providers,
    pub logistics: Logistics,
    /// This instance's own base URL once it listens (sandbox providers call back here).
    pub own_address: SelfAddress,
    /// What the instance still loads before it is ready (demo data): `/readyz` names it.
    pub warmup: crate::platform::warmup::Warmup,
    /// Told of every lot received (the ledger records the guaranteed purchase).
    pub lot_receipts: Arc<dyn LotReceipts>,
    /// Told of every refund inside its transaction (group-buy commissions,
    /// the ledger's reversals).
    pub refund_observer: Arc<dyn RefundObserver>,
    /// Ready-to-send catalog answers, kept in this process.
    pub catalog: CatalogCache,
    pub settings: Arc<Settings>,
    /// Served on `/metrics`; domains register their collectors here.
    pub metrics: prometheus::Registry,
}
