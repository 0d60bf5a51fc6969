//! Who a bearer token belongs to, kept in process memory: a known token is
//! authenticated with no database or Redis round trip. Logout, expiry and a
//! role change still take effect at once everywhere: revocations travel on
//! the bus to every instance, memory is used only while this instance hears
//! the bus (Redis pub/sub), and everything is dropped when it reconnects.
//! A short time-to-live is only the safety net.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use moka::sync::Cache;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::caller::Caller;
use super::model::{MembershipView, Role};
use crate::error::AppResult;
use crate::platform::batcher::Batcher;
use crate::platform::bus::{Bus, RELAY_CONNECTED};

/// Bus topic: a token was revoked (`{"token_hash": …}`).
pub const TOKEN_REVOKED: &str = "auth.token_revoked";
/// Bus topic: an account's roles or flags changed (`{"account_id": …}`).
pub const ACCOUNT_CHANGED: &str = "auth.account_changed";

const TTL: Duration = Duration::from_secs(30);
const CAPACITY: u64 = 1_000_000;

#[derive(Clone)]
pub struct Callers {
    known: Cache<String, Arc<Caller>>,
    bus: Bus,
    /// Only with a shared bus can other instances tell this one of revocations.
    shared: bool,
    loader: TokenLoader,
}

impl Callers {
    /// Starts the token loader on the current runtime.
    pub fn new(db: DatabaseConnection, bus: Bus, shared: bool) -> Self {
        let known = Cache::builder()
            .max_capacity(CAPACITY)
            .time_to_live(TTL)
            .support_invalidation_closures()
            .build();
        Self {
            known,
            bus,
            shared,
            loader: TokenLoader::start(db),
        }
    }

    /// Looks the token up in the database (batched with others asked meanwhile).
    pub async fn load(&self, token_hash: String) -> AppResult<Option<Caller>> {
        self.loader.load(token_hash).await
    }

    /// The caller of `token_hash` if this instance knows it and may trust that.
    pub fn get(&self, token_hash: &str) -> Option<Caller> {
        if !self.trusted() {
            return None;
        }
        let caller = self.known.get(token_hash)?;
        if caller.expires_at <= Utc::now() {
            self.known.invalidate(token_hash);
            return None;
        }
        Some((*caller).clone())
    }

    pub fn remember(&self, caller: &Caller) {
        if self.trusted() {
            self.known
                .insert(caller.token_hash.clone(), Arc::new(caller.clone()));
        }
    }

    fn trusted(&self) -> bool {
        self.shared && self.bus.relay_subscribed()
    }

    /// Forgets the token here and on every other instance.
    pub async fn revoke_token(&self, token_hash: &str) {
        self.known.invalidate(token_hash);
        self.bus
            .publish(TOKEN_REVOKED, json!({"token_hash": token_hash}))
            .await;
    }

    /// Forgets every token of the account here and on every other instance.
    pub async fn account_changed(&self, account_id: i64) {
        self.forget_account(account_id);
        self.bus
            .publish(ACCOUNT_CHANGED, json!({"account_id": account_id}))
            .await;
    }

    fn forget_account(&self, account_id: i64) {
        let _ = self
            .known
            .invalidate_entries_if(move |_, c| c.account_id == account_id);
    }

    /// Applies other instances' revocations until shutdown.
    pub async fn run_listener(self) {
        let mut messages = self.bus.subscribe();
        loop {
            let message = match messages.recv().await {
                Ok(message) => message,
                // Missed revocations: nothing remembered can be trusted.
                Err(RecvError::Lagged(_)) => {
                    self.known.invalidate_all();
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            match message.topic.as_str() {
                TOKEN_REVOKED => {
                    if let Some(hash) = message.payload["token_hash"].as_str() {
                        self.known.invalidate(hash);
                    }
                }
                ACCOUNT_CHANGED => {
                    if let Some(id) = message.payload["account_id"].as_i64() {
                        self.forget_account(id);
                    }
                }
                RELAY_CONNECTED => self.known.invalidate_all(),
                _ => {}
            }
        }
    }
}

/// A token to look up and where its answer goes.
/// Looks tokens up in batches: whatever was asked while the previous query
/// ran goes into the next one, so a crowd of first-time buyers costs a few
/// queries, not one each.
#[derive(Clone)]
pub struct TokenLoader {
    batcher: Batcher<String, Option<Caller>>,
}

const LOOKUPS_PER_QUERY: usize = 512;

impl TokenLoader {
    /// Starts the loader on the current runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let batcher = Batcher::start("token loader", LOOKUPS_PER_QUERY, move |hashes| {
            let db = db.clone();
            async move {
                let found = load_callers(&db, hashes.clone()).await?;
                // The same token may be asked for several times in a batch.
                Ok(hashes.iter().map(|h| found.get(h).cloned()).collect())
            }
        });
        Self { batcher }
    }

    pub async fn load(&self, token_hash: String) -> AppResult<Option<Caller>> {
        self.batcher.ask(token_hash).await
    }
}

/// The callers of the unexpired tokens among `hashes`, with their
/// memberships, in one query (one row per token and membership).
async fn load_callers(
    db: &DatabaseConnection,
    mut hashes: Vec<String>,
) -> AppResult<HashMap<String, Caller>> {
    hashes.sort_unstable();
    hashes.dedup();
    let select = "SELECT t.token_hash, t.expires_at, a.id, a.name, a.is_platform_admin, \
                  a.is_customer, m.workshop_id, m.role \
                  FROM auth_tokens t JOIN accounts a ON a.id = t.account_id \
                  LEFT JOIN memberships m ON m.account_id = a.id";
    let statement = if db.get_database_backend() == DatabaseBackend::Postgres {
        let sql = format!("{select} WHERE t.token_hash = ANY($1) AND t.expires_at > $2");
        Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            vec![hashes.into(), Utc::now().into()],
        )
    } else {
        let marks = vec!["?"; hashes.len()].join(", ");
        let sql = format!("{select} WHERE t.token_hash IN ({marks}) AND t.expires_at > ?");
        let mut values: Vec<Value> = hashes.into_iter().map(Value::from).collect();
        values.push(Utc::now().into());
        Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, values)
    };
    let mut callers: HashMap<String, Caller> = HashMap::new();
    for row in db.query_all_raw(statement).await? {
        let hash: String = row.try_get("", "token_hash")?;
        if !callers.contains_key(&hash) {
            let caller = Caller {
                account_id: row.try_get("", "id")?,
                name: row.try_get("", "name")?,
                is_platform_admin: row.try_get("", "is_platform_admin")?,
                is_customer: row.try_get("", "is_customer")?,
                memberships: Vec::new(),
                token_hash: hash.clone(),
                expires_at: row.try_get("", "expires_at")?,
            };
            callers.insert(hash.clone(), caller);
        }
        let workshop: Option<i64> = row.try_get("", "workshop_id")?;
        let role: Option<String> = row.try_get("", "role")?;
        if let (Some(workshop_id), Some(role)) = (workshop, role.as_deref().and_then(Role::parse))
            && let Some(caller) = callers.get_mut(&hash)
        {
            caller
                .memberships
                .push(MembershipView { workshop_id, role });
        }
    }
    Ok(callers)
}
