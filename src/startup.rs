//! Builds the application: connects storage, binds the port (0 in tests) and
//! runs the HTTP server beside the background workers until shutdown.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};

use crate::auth::callers::Callers;
use crate::auth::password::Passwords;
use crate::catalog::cache::CatalogCache;
use crate::catalog::invalidation::Listener as CatalogListener;
use crate::config::Settings;
use crate::integrations::logistics::Logistics;
use crate::integrations::payments::Providers;
use crate::integrations::{SelfAddress, sandbox};
use crate::live::LiveHub;
use crate::orders::pipeline::{Pipeline, WriterConfig};
use crate::orders::refunds::RefundObservers;
use crate::platform::bus::Bus;
use crate::platform::cache::Cache;
use crate::platform::json::JsonLimit;
use crate::platform::rate_limit::ClientIpPolicy;
use crate::platform::rate_limit::Limiter;
use crate::platform::redis_backend::RedisBackend;
use crate::platform::{db, problems, telemetry};
use crate::state::AppState;
use crate::system::docs::{self, ApiDoc};
use crate::webhooks::worker::Worker;
use crate::{
    auth, catalog, fulfilment, groupbuys, ledger, live, orders, reports, system, webhooks,
    workshops,
};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    worker: Worker,
    catalog_listener: CatalogListener,
}

impl Application {
    /// Connects and migrates the configured database, then binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database).await?;
        db::migrate(&db).await?;
        Self::build_with_db(settings, db).await
    }

    /// Binds with an already connected (and migrated) database.
    pub async fn build_with_db(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        let state = build_state(settings, db).await?;
        let catalog_listener = CatalogListener::subscribe(&state);
        let listener = TcpListener::bind(&state.settings.server.bind)?;
        let port = listener.local_addr()?.port();
        state.own_address.set(own_base_url(&listener)?);
        let worker = Worker::new(state.clone())?;
        let server = run_server(listener, state.clone())?;
        Ok(Self {
            port,
            server,
            state,
            worker,
            catalog_listener,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM/SIGINT; in-flight requests finish first, then the
    /// webhook worker finishes its round (bounded by the attempt timeout).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let relay = self.state.bus.clone().run_relay();
        let live_relay = self.state.live.clone().run_relay();
        let stream_leases = self.state.live.gate().clone().run_renewal();
        let expiry = orders::expiry::run(self.state.clone());
        let (stop, stopped) = watch::channel(false);
        let worker = self.worker.run(stopped);
        tokio::pin!(worker);
        let result = tokio::select! {
            result = self.server => result,
            () = relay => Ok(()),
            () = live_relay => Ok(()),
            () = stream_leases => Ok(()),
            () = self.state.callers.clone().run_listener() => Ok(()),
            () = self.state.limits.clone().run_sync() => Ok(()),
            () = expiry => Ok(()),
            () = live::flash::run_listener(self.state.clone()) => Ok(()),
            () = live::deals::run_sweeper(self.state.clone()) => Ok(()),
            () = groupbuys::settlement::run(self.state.clone()) => Ok(()),
            () = self.catalog_listener.run() => Ok(()),
            () = &mut worker => Ok(()),
        };
        let _ = stop.send(true);
        let grace = Duration::from_millis(self.state.settings.webhooks.attempt_timeout_ms + 2000);
        if tokio::time::timeout(grace, worker).await.is_err() {
            tracing::warn!("webhook worker did not stop in time; its leases will expire");
        }
        Ok(result?)
    }
}

pub async fn build_state(settings: Settings, db: DatabaseConnection) -> anyhow::Result<AppState> {
    let redis = if settings.uses_redis() {
        Some(RedisBackend::new(&settings.cache)?)
    } else {
        None
    };
    let live = LiveHub::new(redis.clone(), &settings.live, db.clone());
    let bus = Bus::new(redis.clone());
    let flash = live::flash::FlashDesk::new(settings.live.flash_batching);
    let metrics = prometheus::Registry::new();
    let orders = Pipeline::new(WriterConfig {
        db: db::connect_writers(&settings.database).await?,
        bus: bus.clone(),
        pricing: Arc::new(live::LivePricing),
        observer: Arc::new(live::sales::LiveSales::new(
            live.clone(),
            flash.clone(),
            bus.clone(),
        )),
        max_batch: settings.orders.batch_max,
        queue: settings.orders.writer_queue,
        stock_writers: settings.orders.stock_writers,
        claim_lease: chrono::Duration::seconds(settings.orders.idempotency_lease_secs),
        registry: metrics.clone(),
    })?;
    let own = SelfAddress::default();
    let production = settings.is_production();
    let callers = Callers::new(db.clone(), bus.clone(), redis.is_some());
    Ok(AppState {
        db,
        cache: Cache::new(&settings.cache, redis.clone()),
        catalog: CatalogCache::new(&settings.catalog),
        bus,
        live,
        flash,
        orders,
        passwords: Passwords::new(&settings.auth)?,
        callers,
        limits: Limiter::new(redis.clone()),
        payments: Providers::new(&settings.payments, own.clone(), production)?,
        logistics: Logistics::new(&settings.logistics, own.clone(), production)?,
        own_address: own,
        warmup: Default::default(),
        lot_receipts: Arc::new(ledger::LedgerHooks),
        refund_observer: Arc::new(RefundObservers(vec![
            Arc::new(groupbuys::commission::CommissionReversal),
            Arc::new(ledger::LedgerHooks),
            Arc::new(fulfilment::refund_returns::LotReturns),
        ])),
        settings: Arc::new(settings),
        metrics,
    })
}

fn own_base_url(listener: &TcpListener) -> anyhow::Result<String> {
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        let loopback: std::net::IpAddr = if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        addr.set_ip(loopback);
    }
    Ok(format!("http://{addr}"))
}

fn run_server(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let metrics = metrics(&state.metrics)?;
    let server_settings = state.settings.server.clone();
    let limit = JsonLimit(server_settings.json_limit_bytes);
    let request_ids = web::Data::new(telemetry::RequestIds::default());
    let client_ips = web::Data::new(ClientIpPolicy {
        trust_forwarded_for: server_settings.trust_forwarded_for,
    });
    let sandboxes = state.payments.sandbox().is_some() || state.logistics.sandbox().is_some();
    let mut server = HttpServer::new(move || {
        let (app, api) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(system::routes::configure)
            .service(
                // Matched in order: the hot paths (storefront reads, buying,
                // the live room) come first, so they are found soonest.
                scope::scope("/api/v1")
                    .configure(catalog::routes::configure_reads)
                    .configure(orders::routes::configure_buying)
                    .configure(live::routes::configure_buying)
                    .configure(catalog::routes::configure)
                    .configure(orders::routes::configure)
                    .configure(live::routes::configure)
                    .configure(auth::routes::configure)
                    .configure(workshops::routes::configure)
                    .configure(orders::cart_routes::configure)
                    .configure(webhooks::routes::configure)
                    .configure(groupbuys::routes::configure)
                    .configure(groupbuys::pickup_routes::configure)
                    .configure(fulfilment::routes::configure)
                    .configure(fulfilment::claim_routes::configure)
                    .configure(ledger::routes::configure)
                    .configure(reports::routes::configure),
            )
            .split_for_parts();
        let api = system::doc_rules::complete(api);
        app.app_data(web::Data::new(state.clone()))
            .app_data(web::Data::new(api))
            .app_data(web::Data::new(limit))
            .app_data(client_ips.clone())
            .app_data(request_ids.clone())
            .app_data(web::PathConfig::default().error_handler(problems::path_error))
            .route("/api/openapi.json", web::get().to(docs::openapi_json))
            .route("/docs", web::get().to(docs::docs_page))
            .configure(reports::page::configure)
            .route(
                "/docs/swagger-ui-bundle.js",
                web::get().to(docs::swagger_js),
            )
            .route("/docs/swagger-ui.css", web::get().to(docs::swagger_css))
            .route("/console", web::get().to(fulfilment::console::console_page))
            .route(
                "/console/console.js",
                web::get().to(fulfilment::console::console_js),
            )
            .route(
                "/console/console.css",
                web::get().to(fulfilment::console::console_css),
            )
            .configure(|cfg| {
                if sandboxes {
                    sandbox::configure(cfg);
                }
            })
            .default_service(web::to(problems::not_found))
            .wrap(ErrorHandlers::new().default_handler(problems::rewrite_plain_errors))
            .wrap(metrics.clone())
            .wrap(from_fn(telemetry::request_id))
    })
    .listen(listener)?
    .shutdown_timeout(server_settings.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_millis(
        server_settings.client_request_timeout_ms,
    ))
    .keep_alive(Duration::from_secs(server_settings.keep_alive_secs))
    .client_disconnect_timeout(Duration::from_millis(
        server_settings.client_disconnect_timeout_ms,
    ));
    if server_settings.workers > 0 {
        server = server.workers(server_settings.workers);
    }
    Ok(server.run())
}

fn metrics(registry: &prometheus::Registry) -> anyhow::Result<PrometheusMetrics> {
    PrometheusMetricsBuilder::new("gongfang")
        .registry(registry.clone())
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNKNOWN")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics: {e}"))
}
