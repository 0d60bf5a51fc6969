//! argon2id hashing off the async executor, behind a small semaphore so a
//! burst of logins queues here instead of starving order traffic.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::AuthSettings;
use crate::error::{AppError, AppResult};

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so unknown phones
    /// take as long as wrong passwords.
    dummy_hash: Arc<OnceCell<String>>,
}

/// The configured number, or with 0 half the cores (at least one): hashing
/// must leave CPU for orders, or a login burst doubles their latency.
fn hash_permits(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / 2).max(1)
}

impl Passwords {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            settings.argon2_parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(hash_permits(settings.hash_concurrency))),
            dummy_hash: Arc::new(OnceCell::new()),
        })
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        let params = self.params.clone();
        self.blocking(move || {
            let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
                .map_err(|e| AppError::internal(anyhow::anyhow!("salt encoding failed: {e}")))?;
            hasher(params)
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AppError::internal(anyhow::anyhow!("hashing failed: {e}")))
        })
        .await
    }

    /// Verifies `password` against `hash`, or against a dummy when `hash` is None.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let hash = match hash {
            Some(h) => h.to_owned(),
            None => self.dummy().await?,
        };
        let password = password.to_owned();
        let params = self.params.clone();
        self.blocking(move || {
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return Ok(false);
            };
            Ok(hasher(params)
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }

    async fn dummy(&self) -> AppResult<String> {
        self.dummy_hash
            .get_or_try_init(|| self.hash("gongfang-dummy-password"))
            .await
            .cloned()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(AppError::internal)?
    }
}

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}
