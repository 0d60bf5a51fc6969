//! Account rules: registration, login with rate limits, token issue and
//! revocation, and resolving a token to its caller (cached, evicted on change).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::caller::Caller;
use super::model::{
    AccountView, LoginRequest, MeResponse, MembershipView, RegisterRequest, Role, TokenResponse,
};
use super::password::Passwords;
use secrecy::ExposeSecret;

use crate::entity::{account, auth_token, membership};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::crypto::hmac_sha256_hex;
use crate::platform::validate::Check;
use crate::state::AppState;

pub async fn register(state: &AppState, req: RegisterRequest) -> AppResult<TokenResponse> {
    Check::new()
        .phone("phone", &req.phone)
        .text("password", &req.password, 8, 128)
        .text("name", &req.name, 1, 64)
        .finish()?;
    let hash = state.passwords.hash(&req.password).await?;
    let account = account::ActiveModel {
        phone: Set(req.phone),
        name: Set(req.name.trim().to_owned()),
        password_hash: Set(hash),
        is_platform_admin: Set(false),
        is_customer: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(|e| match AppError::from(e) {
        err if err.code == ErrorCode::AlreadyExists => AppError::new(
            ErrorCode::AlreadyExists,
            "this phone number is already registered",
        ),
        err => err,
    })?;
    issue_token(state, account).await
}

pub async fn login(
    state: &AppState,
    req: LoginRequest,
    client_ip: &str,
) -> AppResult<TokenResponse> {
    Check::new()
        .text("phone", &req.phone, 1, 32)
        .text("password", &req.password, 1, 128)
        .finish()?;
    let limits = LoginLimits::new(state, &req.phone, client_ip);
    limits.check().await?;
    let account = account::Entity::find()
        .filter(account::Column::Phone.eq(&req.phone))
        .one(&state.db)
        .await?;
    let hash = account.as_ref().map(|a| a.password_hash.as_str());
    let valid = state.passwords.verify(&req.password, hash).await?;
    match account {
        Some(account) if valid => {
            limits.reset().await;
            issue_token(state, account).await
        }
        _ => {
            limits.record_failure().await;
            Err(AppError::new(
                ErrorCode::InvalidCredentials,
                "phone number or password is wrong",
            ))
        }
    }
}

pub async fn logout(state: &AppState, caller: &Caller) -> AppResult<()> {
    auth_token::Entity::delete_many()
        .filter(auth_token::Column::TokenHash.eq(&caller.token_hash))
        .exec(&state.db)
        .await?;
    state.callers.revoke_token(&caller.token_hash).await;
    Ok(())
}

pub async fn me(state: &AppState, caller: &Caller) -> AppResult<MeResponse> {
    let account = account::Entity::find_by_id(caller.account_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::unauthorized("account no longer exists"))?;
    Ok(MeResponse {
        account: account.into(),
        roles: caller.memberships.clone(),
    })
}

/// Resolves a bearer token: from memory when this instance knows it (and
/// hears revocations), else through the token loader, which looks up every
/// token asked for meanwhile in one query (token, account and memberships).
pub async fn authenticate(state: &AppState, token: &str) -> AppResult<Caller> {
    let token_hash = hash_token(state.settings.auth.secret.expose_secret(), token);
    if let Some(caller) = state.callers.get(&token_hash) {
        return Ok(caller);
    }
    let caller = state
        .callers
        .load(token_hash)
        .await?
        .ok_or_else(|| AppError::unauthorized("token is invalid, expired or revoked"))?;
    state.callers.remember(&caller);
    Ok(caller)
}

pub async fn memberships_of(
    db: &impl ConnectionTrait,
    account_id: i64,
) -> AppResult<Vec<MembershipView>> {
    let rows = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account_id))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            Role::parse(&m.role).map(|role| MembershipView {
                workshop_id: m.workshop_id,
                role,
            })
        })
        .collect())
}

/// Forgets every remembered token of an account after its roles changed, on
/// every instance.
pub async fn evict_account(state: &AppState, account_id: i64) -> AppResult<()> {
    state.callers.account_changed(account_id).await;
    Ok(())
}

/// Finds an account by phone, or creates it (then a password is required).
pub async fn find_or_create_account(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    phone: &str,
    name: &str,
    password: Option<&str>,
) -> AppResult<account::Model> {
    if let Some(existing) = account::Entity::find()
        .filter(account::Column::Phone.eq(phone))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    let Some(password) = password else {
        return Err(AppError::invalid(
            "password",
            "required when the phone number has no account yet",
        ));
    };
    Check::new().text("password", password, 8, 128).finish()?;
    let hash = passwords.hash(password).await?;
    Ok(account::ActiveModel {
        phone: Set(phone.to_owned()),
        name: Set(name.trim().to_owned()),
        password_hash: Set(hash),
        is_platform_admin: Set(false),
        is_customer: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// What `ensure_platform_admin` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    Created,
    Promoted,
    AlreadyAdmin,
}

/// Creates a platform admin, or promotes the existing account with that phone
/// (its password is left as it is).
pub async fn ensure_platform_admin(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    phone: &str,
    password: &str,
) -> AppResult<(account::Model, AdminOutcome)> {
    Check::new().phone("phone", phone).finish()?;
    let existing = account::Entity::find()
        .filter(account::Column::Phone.eq(phone))
        .one(db)
        .await?;
    let Some(account) = existing else {
        let account =
            find_or_create_account(db, passwords, phone, "平台管理员", Some(password)).await?;
        let mut active: account::ActiveModel = account.into();
        active.is_platform_admin = Set(true);
        return Ok((active.update(db).await?, AdminOutcome::Created));
    };
    if account.is_platform_admin {
        return Ok((account, AdminOutcome::AlreadyAdmin));
    }
    let mut active: account::ActiveModel = account.into();
    active.is_platform_admin = Set(true);
    Ok((active.update(db).await?, AdminOutcome::Promoted))
}

async fn issue_token(state: &AppState, account: account::Model) -> AppResult<TokenResponse> {
    let token = format!("gf_{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()));
    let expires_at = Utc::now() + chrono::Duration::hours(state.settings.auth.token_ttl_hours);
    auth_token::ActiveModel {
        account_id: Set(account.id),
        token_hash: Set(hash_token(
            state.settings.auth.secret.expose_secret(),
            &token,
        )),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(TokenResponse {
        token,
        expires_at,
        account: AccountView::from(account),
    })
}

/// Tokens are stored only as a keyed hash: a database leak yields no usable token.
pub fn hash_token(secret: &str, token: &str) -> String {
    hmac_sha256_hex(secret.as_bytes(), token.as_bytes())
}

/// Failed-login counters per account and per client address, shared across
/// instances through the cache.
struct LoginLimits<'a> {
    state: &'a AppState,
    account_key: String,
    ip_key: String,
    window: Duration,
}

impl<'a> LoginLimits<'a> {
    fn new(state: &'a AppState, phone: &str, ip: &str) -> Self {
        Self {
            state,
            account_key: format!("login:fail:acct:{phone}"),
            ip_key: format!("login:fail:ip:{ip}"),
            window: Duration::from_secs(state.settings.auth.login_window_secs),
        }
    }

    async fn check(&self) -> AppResult<()> {
        let auth = &self.state.settings.auth;
        let account = self.state.cache.peek(&self.account_key, self.window).await;
        if account.count >= auth.login_failures_per_account {
            return Err(AppError::rate_limited(account.resets_in_secs));
        }
        let ip = self.state.cache.peek(&self.ip_key, self.window).await;
        if ip.count >= auth.login_failures_per_ip {
            return Err(AppError::rate_limited(ip.resets_in_secs));
        }
        Ok(())
    }

    async fn record_failure(&self) {
        self.state.cache.hit(&self.account_key, self.window).await;
        self.state.cache.hit(&self.ip_key, self.window).await;
    }

    async fn reset(&self) {
        self.state.cache.reset(&self.account_key).await;
    }
}
