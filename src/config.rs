//! Settings: `config/default.toml` ← `config/{profile}.toml` ← `GONGFANG__SECTION__KEY`.
//! Built once at start-up and passed down; tests build a copy and change it.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const DEFAULT_TOML: &str = include_str!("../config/default.toml");
const DEFAULT_SECRET: &str = "dev-only-secret-change-me";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(default = "default_profile")]
    pub profile: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub cache: CacheSettings,
    pub catalog: CatalogSettings,
    pub auth: AuthSettings,
    pub orders: OrderSettings,
    pub payments: PaymentSettings,
    pub logistics: LogisticsSettings,
    pub log: LogSettings,
    pub webhooks: WebhookSettings,
    #[serde(default)]
    pub live: LiveSettings,
    #[serde(default)]
    pub groupbuys: GroupbuySettings,
    pub fulfilment: FulfilmentSettings,
    pub rate_limits: RateLimitSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct FulfilmentSettings {
    /// An order's ship-by date is its payment date plus this many days.
    pub ship_within_days: u32,
    /// Orders one wave takes when the request names no smaller number.
    pub max_wave_orders: u64,
    /// After-sales claims open this long after delivery: perishables
    /// (chilled, frozen or a shelf life of at most 30 days) and the rest.
    pub perishable_claim_window_hours: i64,
    pub claim_window_hours: i64,
    /// Per-carrier secrets for signed tracking updates (HMAC-SHA256 of the raw body).
    pub carrier_secrets: std::collections::HashMap<String, SecretString>,
}

impl Default for FulfilmentSettings {
    fn default() -> Self {
        Self {
            ship_within_days: 1,
            max_wave_orders: 200,
            perishable_claim_window_hours: 48,
            claim_window_hours: 168,
            carrier_secrets: std::collections::HashMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: usize,
    pub json_limit_bytes: usize,
    pub shutdown_timeout_secs: u64,
    pub trust_forwarded_for: bool,
    /// A client must send its whole request head within this long (slowloris), else 408.
    pub client_request_timeout_ms: u64,
    /// Idle keep-alive connections are closed after this long.
    pub keep_alive_secs: u64,
    /// A closing connection gets this long to go before it is dropped.
    pub client_disconnect_timeout_ms: u64,
}

#[derive(Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub sqlite_path: String,
    pub max_connections: u32,
    /// The order writers' own pool, so reads never delay a commit.
    #[serde(default = "default_writer_connections")]
    pub writer_connections: u32,
    pub acquire_timeout_ms: u64,
    pub connect_timeout_ms: u64,
}

#[derive(Clone, Deserialize)]
pub struct CacheSettings {
    pub url: String,
    pub key_prefix: String,
    pub response_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub local_capacity: u64,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &without_password(&self.url))
            .field("sqlite_path", &self.sqlite_path)
            .field("max_connections", &self.max_connections)
            .field("writer_connections", &self.writer_connections)
            .field("acquire_timeout_ms", &self.acquire_timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .finish()
    }
}

impl std::fmt::Debug for CacheSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheSettings")
            .field("url", &without_password(&self.url))
            .field("key_prefix", &self.key_prefix)
            .field("response_timeout_ms", &self.response_timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("local_capacity", &self.local_capacity)
            .finish()
    }
}

/// A connection URL with its password replaced, fit for logs:
/// `postgres://app:s3cret@db/gf` becomes `postgres://app:***@db/gf`.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogSettings {
    pub cache: bool,
    pub cache_ttl_secs: u64,
    pub cache_capacity: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// Keys token hashes; never printed (`Debug` shows it redacted).
    pub secret: SecretString,
    pub token_ttl_hours: i64,
    pub hash_concurrency: usize,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub login_failures_per_account: u64,
    pub login_failures_per_ip: u64,
    pub login_window_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderSettings {
    pub payment_window_secs: i64,
    pub expiry_interval_ms: u64,
    pub idempotency_lease_secs: i64,
    pub max_lines: usize,
    /// Most order jobs one writer puts in one transaction.
    #[serde(default = "default_batch_max")]
    pub batch_max: usize,
    /// Jobs a writer queues; past this a buyer gets 429 `overloaded`.
    #[serde(default = "default_writer_queue")]
    pub writer_queue: usize,
    /// Writers SKU stock is spread over (by SKU id); deals and campaigns
    /// get one each besides.
    #[serde(default = "default_stock_writers")]
    pub stock_writers: u64,
}

fn default_writer_connections() -> u32 {
    6
}

fn default_batch_max() -> usize {
    512
}

fn default_stock_writers() -> u64 {
    4
}

fn default_writer_queue() -> usize {
    8192
}

/// Requests scalpers script, per customer and per client address, per window.
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    pub window_secs: u64,
    /// Buy now and cart checkout.
    pub orders: Limit,
    /// Flash-deal purchases.
    pub deals: Limit,
}

/// Requests allowed per window; 0 = unlimited.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Limit {
    pub per_customer: u64,
    pub per_ip: u64,
}

/// The payment provider adapter. With `base_url` empty the adapter calls the
/// sandbox provider this service serves itself under `/sandbox/payments`.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentSettings {
    /// The provider's name as stored on payments and used in webhook URLs.
    pub provider: String,
    /// Serve the sandbox provider (never in production).
    pub sandbox_enabled: bool,
    pub base_url: String,
    pub merchant_id: String,
    pub api_key: SecretString,
    /// HMAC-SHA256 secret the provider signs its webhooks with.
    pub webhook_secret: SecretString,
    /// The header carrying that signature (hex).
    pub signature_header: String,
    /// Where the provider sends webhooks; empty means this instance's own URL.
    pub notify_base_url: String,
    pub timeout_ms: u64,
}

/// The logistics provider adapter (bookings, tracking, carrier updates); same
/// shape as payments, with its sandbox under `/sandbox/logistics`.
#[derive(Debug, Clone, Deserialize)]
pub struct LogisticsSettings {
    pub provider: String,
    pub sandbox_enabled: bool,
    pub base_url: String,
    pub api_key: SecretString,
    pub webhook_secret: SecretString,
    pub signature_header: String,
    pub notify_base_url: String,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: String,
    pub level: String,
}

/// Partner webhook delivery: worker pacing, retries, limits and target policy.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    pub worker_enabled: bool,
    pub poll_interval_ms: u64,
    pub batch_size: u64,
    pub concurrency: usize,
    pub lease_ms: u64,
    pub attempt_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    pub max_age_secs: i64,
    pub disable_after_failures: i32,
    pub secret_overlap_secs: i64,
    pub max_response_bytes: usize,
    pub endpoints_per_workshop: u64,
    pub allow_insecure_local: bool,
}

impl WebhookSettings {
    /// http:// and loopback targets: only outside the production profile, and only when allowed.
    pub fn insecure_local_allowed(&self, production: bool) -> bool {
        self.allow_insecure_local && !production
    }
}

/// Group-buys: the settlement job, its lease, pickup-code attempts, progress caching.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GroupbuySettings {
    /// How often each instance looks for campaigns past their cut-off.
    pub settle_interval_ms: u64,
    /// A settling instance must renew its claim within this long, or another takes over.
    pub settle_lease_secs: i64,
    /// Wrong pickup codes allowed per leader and point within the window.
    pub verify_failures: u64,
    pub verify_window_secs: u64,
    /// Public campaign progress is cached this long (and dropped on every join).
    pub progress_cache_secs: u64,
}

impl Default for GroupbuySettings {
    fn default() -> Self {
        Self {
            settle_interval_ms: 1000,
            settle_lease_secs: 60,
            verify_failures: 5,
            verify_window_secs: 300,
            progress_cache_secs: 5,
        }
    }
}

/// Live rooms: event replay, viewer ticks, heartbeats and per-client buffers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LiveSettings {
    /// How long published events stay replayable for `Last-Event-ID`.
    pub replay_secs: u64,
    /// At most this many events are kept per session for replay.
    pub replay_max_events: usize,
    /// How often each instance sends `viewers` to its streams.
    pub viewers_interval_ms: u64,
    /// SSE comment lines keep idle streams open through proxies.
    pub heartbeat_secs: u64,
    /// Frames queued for one client; a client that falls further behind is dropped.
    pub client_buffer: usize,
    /// Streams stay open this long after `session_ended`, then close.
    pub end_grace_ms: u64,
    /// Flash-deal orders are written in batches and sold-out is answered from
    /// memory; off means one transaction per buyer (the benchmark's baseline).
    pub flash_batching: bool,
    /// Unpaid flash-deal orders expire after this long unless the deal says otherwise.
    pub deal_payment_window_secs: i32,
    /// Event streams one client address may hold open at once, on every
    /// instance together (0 = unlimited).
    pub streams_per_address: u64,
    /// Event streams one signed-in account may hold open per session (0 = unlimited).
    pub streams_per_account: u64,
    /// Event streams one instance serves at once, whoever asks (0 = unlimited).
    pub streams_per_instance: u64,
    /// A stream's hold on the caps lapses this long after its instance stops
    /// renewing it (a crashed instance).
    pub stream_lease_secs: u64,
    /// Anonymous devices counted as viewers per client address and session.
    pub devices_per_address: u64,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            replay_secs: 300,
            replay_max_events: 2000,
            viewers_interval_ms: 3000,
            heartbeat_secs: 15,
            client_buffer: 256,
            end_grace_ms: 5000,
            flash_batching: true,
            deal_payment_window_secs: 300,
            streams_per_address: 20,
            streams_per_account: 3,
            streams_per_instance: 20_000,
            stream_lease_secs: 30,
            devices_per_address: 4,
        }
    }
}

fn default_profile() -> String {
    "development".into()
}

impl Settings {
    /// Loads the profile named by `GONGFANG_PROFILE` (default `development`).
    pub fn load() -> anyhow::Result<Self> {
        let profile = std::env::var("GONGFANG_PROFILE").unwrap_or_else(|_| default_profile());
        Self::load_profile(&profile)
    }

    pub fn load_profile(profile: &str) -> anyhow::Result<Self> {
        let dir = config_dir();
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml))
            .add_source(File::from(dir.join("default.toml")).required(false))
            .add_source(File::from(dir.join(format!("{profile}.toml"))).required(false))
            .set_override("profile", profile)?;
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        if let Ok(url) = std::env::var("REDIS_URL") {
            builder = builder.set_override("cache.url", url)?;
        }
        let settings: Settings = builder
            .add_source(
                Environment::with_prefix("GONGFANG")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings that are unsafe for the profile.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.is_production() {
            anyhow::ensure!(
                self.auth.secret.expose_secret() != DEFAULT_SECRET
                    && self.auth.secret.expose_secret().len() >= 32,
                "production needs GONGFANG__AUTH__SECRET set to a random value of 32+ characters"
            );
            anyhow::ensure!(
                self.database.url.starts_with("postgres"),
                "production needs DATABASE_URL pointing at PostgreSQL"
            );
        }
        let hooks = &self.webhooks;
        anyhow::ensure!(
            hooks.lease_ms >= hooks.attempt_timeout_ms + 1000,
            "webhooks.lease_ms must exceed webhooks.attempt_timeout_ms by at least 1000"
        );
        anyhow::ensure!(
            hooks.batch_size > 0 && hooks.concurrency > 0 && hooks.poll_interval_ms > 0,
            "webhooks.batch_size, concurrency and poll_interval_ms must be > 0"
        );
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.profile == "production"
    }

    pub fn uses_redis(&self) -> bool {
        !self.cache.url.is_empty()
    }
}

/// `GONGFANG_CONFIG_DIR`, else `./config`; the defaults are compiled in either way.
fn config_dir() -> PathBuf {
    std::env::var("GONGFANG_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new("config").to_path_buf())
}
