//! Request and response types for workshops and their members.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::entity::workshop;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkshopRequest {
    #[schema(example = "莓好集市")]
    pub name: String,
    #[schema(example = "杭州市建德市")]
    pub region: String,
    #[serde(default)]
    pub description: String,
    #[schema(example = "0571-64000000")]
    pub contact: String,
    /// The workshop's first manager: an existing account by phone, or a new one.
    pub manager: NewMember,
}

/// A person to add: found by phone, or created (then `password` is required).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub phone: String,
    pub name: String,
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub phone: String,
    pub name: String,
    pub role: Role,
    /// Required when the phone number has no account yet.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkshopView {
    pub id: i64,
    pub name: String,
    pub region: String,
    pub description: String,
    pub contact: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// The membership id (use it to remove the member).
    pub id: i64,
    pub workshop_id: i64,
    pub account_id: i64,
    pub phone: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl From<workshop::Model> for WorkshopView {
    fn from(w: workshop::Model) -> Self {
        Self {
            id: w.id,
            name: w.name,
            region: w.region,
            description: w.description,
            contact: w.contact,
            created_at: w.created_at,
        }
    }
}
