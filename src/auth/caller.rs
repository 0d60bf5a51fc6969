//! The authenticated caller, extracted from `Authorization: Bearer <token>`,
//! and the role checks every handler uses.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::{Deserialize, Serialize};

use super::model::{MembershipView, Role};
use super::service;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Caller {
    pub account_id: i64,
    pub name: String,
    pub is_platform_admin: bool,
    pub is_customer: bool,
    pub memberships: Vec<MembershipView>,
    #[serde(skip)]
    pub token_hash: String,
    /// When the token stops being valid.
    #[serde(skip)]
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl Caller {
    /// Passes platform admins and members holding one of `roles` in `workshop_id`.
    /// A non-member learns nothing (404); a member without the role gets 403.
    pub fn require_role(&self, workshop_id: i64, roles: &[Role]) -> AppResult<()> {
        if self.is_platform_admin {
            return Ok(());
        }
        let mut held = self
            .memberships
            .iter()
            .filter(|m| m.workshop_id == workshop_id)
            .peekable();
        if held.peek().is_none() {
            return Err(AppError::not_found("workshop"));
        }
        if held.any(|m| roles.contains(&m.role)) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }

    pub fn require_platform_admin(&self) -> AppResult<()> {
        if self.is_platform_admin {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }

    pub fn require_customer(&self) -> AppResult<()> {
        if self.is_customer {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }

    /// Workshops where the caller holds any of `roles`.
    pub fn workshops_with(&self, roles: &[Role]) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .memberships
            .iter()
            .filter(|m| roles.contains(&m.role))
            .map(|m| m.workshop_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::internal(anyhow::anyhow!("app state missing")))?;
            let token = token
                .ok_or_else(|| AppError::unauthorized("send Authorization: Bearer <token>"))?;
            service::authenticate(&state, &token).await
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 256)
        .then(|| token.to_owned())
}
