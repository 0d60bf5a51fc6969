//! A settler's claim on one campaign: a token and a lease in the campaign
//! row, renewed inside every step's transaction, so a settler that stalled
//! past its lease cannot commit a step after another instance took over.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::db;
use crate::platform::sql::changed;
use crate::state::AppState;

/// This instance's claim on one campaign's settlement.
pub struct Lease {
    pub campaign_id: i64,
    pub token: String,
    secs: i64,
}

impl Lease {
    pub fn new(state: &AppState, campaign_id: i64) -> Self {
        Self {
            campaign_id,
            token: uuid::Uuid::new_v4().simple().to_string(),
            secs: state.settings.groupbuys.settle_lease_secs.max(1),
        }
    }

    pub fn until(&self) -> chrono::DateTime<Utc> {
        Utc::now() + Duration::seconds(self.secs)
    }

    /// Extends the claim inside a step's transaction; a step of a settler that
    /// lost its claim (it stalled past the lease) fails and changes nothing.
    async fn renew(&self, db: &impl ConnectionTrait) -> AppResult<()> {
        let held = changed(
            db,
            "UPDATE groupbuy_campaigns SET lease_until = $1 \
             WHERE id = $2 AND settler = $3 AND status = 'settling'",
            vec![
                self.until().into(),
                self.campaign_id.into(),
                self.token.clone().into(),
            ],
        )
        .await?;
        if held {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::Conflict,
                "another instance took over this settlement",
            ))
        }
    }

    pub async fn begin(&self, state: &AppState) -> AppResult<DatabaseTransaction> {
        let txn = db::begin_write(&state.db).await?;
        self.renew(&txn).await?;
        Ok(txn)
    }
}
