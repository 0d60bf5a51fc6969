//! Request and response types of accounts and tokens, and the staff roles.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role an account holds in one workshop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manager,
    Streamer,
    Fulfilment,
    Leader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Streamer => "streamer",
            Role::Fulfilment => "fulfilment",
            Role::Leader => "leader",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Role::Manager,
            Role::Streamer,
            Role::Fulfilment,
            Role::Leader,
        ]
        .into_iter()
        .find(|r| r.as_str() == value)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "13800000001")]
    pub phone: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(example = "张三")]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub phone: String,
    pub password: String,
}

/// A bearer token. Send it as `Authorization: Bearer <token>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: AccountView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub phone: String,
    pub name: String,
    pub is_platform_admin: bool,
    pub is_customer: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MembershipView {
    pub workshop_id: i64,
    pub role: Role,
}

/// The caller's account and every role it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub account: AccountView,
    pub roles: Vec<MembershipView>,
}

impl From<crate::entity::account::Model> for AccountView {
    fn from(m: crate::entity::account::Model) -> Self {
        Self {
            id: m.id,
            phone: m.phone,
            name: m.name,
            is_platform_admin: m.is_platform_admin,
            is_customer: m.is_customer,
            created_at: m.created_at,
        }
    }
}
