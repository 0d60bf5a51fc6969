//! Who may open another event stream: caps per client address (on every
//! instance together), per signed-in account and session, and per instance,
//! so one client with a loop cannot hold thousands of streams or inflate a
//! room's figures. Over a cap: 429 `too_many_streams` with `Retry-After`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::LiveSettings;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::holds::{Cap, Hold, HoldCaps};
use crate::platform::redis_backend::RedisBackend;

/// A client refused a stream may try again after this long.
const RETRY_AFTER_SECS: u64 = 10;

#[derive(Clone)]
pub struct StreamGate {
    holds: HoldCaps,
    open: Arc<AtomicU64>,
    settings: LiveSettings,
}

/// An admitted stream's place under the caps, given back when dropped.
pub struct StreamPass {
    _hold: Option<Hold>,
    _open: OpenStream,
}

struct OpenStream(Arc<AtomicU64>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl StreamGate {
    pub fn new(redis: Option<RedisBackend>, settings: &LiveSettings) -> Self {
        let lease = Duration::from_secs(settings.stream_lease_secs.max(3));
        Self {
            holds: HoldCaps::new(redis, lease),
            open: Arc::new(AtomicU64::new(0)),
            settings: settings.clone(),
        }
    }

    /// Admits one more stream of `session_id` from `address` (and `account`).
    pub async fn admit(
        &self,
        session_id: i64,
        address: &str,
        account: Option<i64>,
    ) -> AppResult<StreamPass> {
        let open = self.open.fetch_add(1, Ordering::Relaxed);
        let pass_open = OpenStream(self.open.clone());
        let ceiling = self.settings.streams_per_instance;
        if ceiling > 0 && open >= ceiling {
            return Err(refused(format!(
                "this instance serves {ceiling} event streams already; try again shortly"
            )));
        }
        let caps = self.caps(session_id, address, account);
        let hold = if caps.is_empty() {
            None
        } else {
            let hold = self.holds.acquire(&caps).await.map_err(|full| {
                refused(if full.key.starts_with("streams:ip:") {
                    format!(
                        "this address holds {} event streams open already; close one first",
                        full.max
                    )
                } else {
                    format!(
                        "this account holds {} event streams of this session open already; close one first",
                        full.max
                    )
                })
            })?;
            Some(hold)
        };
        Ok(StreamPass {
            _hold: hold,
            _open: pass_open,
        })
    }

    fn caps(&self, session_id: i64, address: &str, account: Option<i64>) -> Vec<Cap> {
        let mut caps = Vec::with_capacity(2);
        if self.settings.streams_per_address > 0 {
            caps.push(Cap {
                key: format!("streams:ip:{address}"),
                max: self.settings.streams_per_address,
            });
        }
        if let Some(account) = account
            && self.settings.streams_per_account > 0
        {
            caps.push(Cap {
                key: format!("streams:s:{session_id}:a:{account}"),
                max: self.settings.streams_per_account,
            });
        }
        caps
    }

    /// Streams this instance serves now.
    pub fn open_streams(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Renews this instance's stream leases until shutdown.
    pub async fn run_renewal(self) {
        self.holds.run_renewal().await
    }
}

fn refused(detail: String) -> AppError {
    AppError::new(ErrorCode::TooManyStreams, detail).with_retry_after(RETRY_AFTER_SECS)
}
