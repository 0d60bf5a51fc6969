//! Leaders (团长, staff with the `leader` role) and their pickup points
//! (自提点); residents find the points near them, nearest first.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::model::{
    AppointLeaderRequest, CreatePickupPointRequest, LeaderView, NearbyQuery, PickupPointView,
};
use crate::auth::Role;
use crate::entity::{account, membership, pickup_point};
use crate::error::{AppError, AppResult};
use crate::platform::validate::Check;
use crate::state::AppState;
use crate::workshops::model::{AddMemberRequest, MemberView};
use crate::workshops::service::add_member;

const EARTH_RADIUS_M: f64 = 6_371_000.0;
const METRES_PER_DEGREE: f64 = 111_320.0;

/// Gives an account (created if the phone is new) the leader role.
pub async fn appoint_leader(
    state: &AppState,
    workshop_id: i64,
    req: AppointLeaderRequest,
) -> AppResult<MemberView> {
    let request = AddMemberRequest {
        phone: req.phone,
        name: req.name,
        role: Role::Leader,
        password: req.password,
    };
    add_member(state, workshop_id, request).await
}

pub async fn list_leaders(
    db: &impl ConnectionTrait,
    workshop_id: i64,
) -> AppResult<Vec<LeaderView>> {
    let members = membership::Entity::find()
        .filter(membership::Column::WorkshopId.eq(workshop_id))
        .filter(membership::Column::Role.eq(Role::Leader.as_str()))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = members.iter().map(|m| m.account_id).collect();
    let accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let points = points_of_workshop(db, workshop_id).await?;
    Ok(accounts
        .into_iter()
        .map(|a| LeaderView {
            pickup_point_ids: points
                .iter()
                .filter(|p| p.leader_id == a.id)
                .map(|p| p.id)
                .collect(),
            account_id: a.id,
            name: a.name,
            phone: a.phone,
        })
        .collect())
}

pub async fn create_point(
    state: &AppState,
    workshop_id: i64,
    req: CreatePickupPointRequest,
) -> AppResult<PickupPointView> {
    let mut check = Check::new();
    check
        .text("name", &req.name, 1, 64)
        .text("address", &req.address, 1, 200)
        .text("opening_hours", &req.opening_hours, 1, 100)
        .range("capacity_per_day", req.capacity_per_day.into(), 1, 100_000);
    if !(-90.0..=90.0).contains(&req.latitude) {
        check.fail("latitude", "must be between -90 and 90");
    }
    if !(-180.0..=180.0).contains(&req.longitude) {
        check.fail("longitude", "must be between -180 and 180");
    }
    check.finish()?;
    if !is_leader(&state.db, workshop_id, req.leader_id).await? {
        return Err(AppError::invalid(
            "leader_id",
            "must be an account with the leader role in this workshop",
        ));
    }
    let row = pickup_point::ActiveModel {
        workshop_id: Set(workshop_id),
        leader_id: Set(req.leader_id),
        name: Set(req.name.trim().to_owned()),
        address: Set(req.address),
        latitude: Set(req.latitude),
        longitude: Set(req.longitude),
        opening_hours: Set(req.opening_hours),
        capacity_per_day: Set(req.capacity_per_day),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(view(row, None))
}

/// A workshop's points; `leader` narrows them to that leader's own.
pub async fn list_points(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    leader: Option<i64>,
) -> AppResult<Vec<PickupPointView>> {
    Ok(points_of_workshop(db, workshop_id)
        .await?
        .into_iter()
        .filter(|p| leader.is_none_or(|id| p.leader_id == id))
        .map(|p| view(p, None))
        .collect())
}

/// Points within the radius, nearest first (a bounding box in SQL, exact
/// great-circle distance here).
pub async fn nearby(db: &impl ConnectionTrait, q: &NearbyQuery) -> AppResult<Vec<PickupPointView>> {
    let radius = q.radius_m.unwrap_or(3000);
    let mut check = Check::new();
    check.range("radius_m", radius, 1, 50_000);
    if !(-90.0..=90.0).contains(&q.lat) {
        check.fail("lat", "must be between -90 and 90");
    }
    if !(-180.0..=180.0).contains(&q.lng) {
        check.fail("lng", "must be between -180 and 180");
    }
    check.finish()?;
    let radius = radius as f64;
    let dlat = radius / METRES_PER_DEGREE;
    let dlng = radius / (METRES_PER_DEGREE * q.lat.to_radians().cos().max(0.01));
    let rows = pickup_point::Entity::find()
        .filter(pickup_point::Column::Latitude.between(q.lat - dlat, q.lat + dlat))
        .filter(pickup_point::Column::Longitude.between(q.lng - dlng, q.lng + dlng))
        .all(db)
        .await?;
    let mut found: Vec<(f64, pickup_point::Model)> = rows
        .into_iter()
        .map(|p| (distance_m(q.lat, q.lng, p.latitude, p.longitude), p))
        .filter(|(d, _)| *d <= radius)
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    let limit = q.limit.unwrap_or(20).clamp(1, 100) as usize;
    Ok(found
        .into_iter()
        .take(limit)
        .map(|(d, p)| view(p, Some(d.round() as i64)))
        .collect())
}

pub async fn find_point(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    point_id: i64,
) -> AppResult<pickup_point::Model> {
    pickup_point::Entity::find_by_id(point_id)
        .filter(pickup_point::Column::WorkshopId.eq(workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("pickup point"))
}

pub async fn points_of_workshop(
    db: &impl ConnectionTrait,
    workshop_id: i64,
) -> AppResult<Vec<pickup_point::Model>> {
    Ok(pickup_point::Entity::find()
        .filter(pickup_point::Column::WorkshopId.eq(workshop_id))
        .order_by_asc(pickup_point::Column::Id)
        .all(db)
        .await?)
}

async fn is_leader(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    account_id: i64,
) -> AppResult<bool> {
    Ok(membership::Entity::find()
        .filter(membership::Column::WorkshopId.eq(workshop_id))
        .filter(membership::Column::AccountId.eq(account_id))
        .filter(membership::Column::Role.eq(Role::Leader.as_str()))
        .one(db)
        .await?
        .is_some())
}

/// Haversine distance in metres.
fn distance_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

pub fn view(p: pickup_point::Model, distance_m: Option<i64>) -> PickupPointView {
    PickupPointView {
        id: p.id,
        workshop_id: p.workshop_id,
        leader_id: p.leader_id,
        name: p.name,
        address: p.address,
        latitude: p.latitude,
        longitude: p.longitude,
        opening_hours: p.opening_hours,
        capacity_per_day: p.capacity_per_day,
        distance_m,
    }
}

#[cfg(test)]
mod tests {
    use super::distance_m;

    #[test]
    fn a_thousandth_of_a_degree_of_latitude_is_about_111_metres() {
        let d = distance_m(29.470, 119.280, 29.471, 119.280);
        assert!((d - 111.2).abs() < 1.0, "{d}");
    }
}
