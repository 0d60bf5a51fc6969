//! Demo group-buys: 莓好集市's strawberry campaign, open, with three pickup
//! points in Jiande; 鱼鹰团's zongzi campaign, settled at its top tier with
//! pickup codes, one order collected and its leader's commission booked.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{fulfil, staff_phone};
use crate::entity::{account, groupbuy_order, pickup_point, product, sku, workshop};
use crate::error::{AppError, AppResult};
use crate::fulfilment::shipping;
use crate::groupbuys::model::{
    CampaignItemRequest, CreateCampaignRequest, CreatePickupPointRequest, JoinRequest, Tier,
};
use crate::groupbuys::settlement::READY;
use crate::groupbuys::{campaigns, join, pickup, points};
use crate::orders::payments::{sandbox_succeed, start_payment};
use crate::orders::queries::Viewer;
use crate::state::AppState;

/// (name, address, latitude, longitude)
type Spot = (&'static str, &'static str, f64, f64);

const JIANDE: [Spot; 3] = [
    (
        "江滨社区自提点",
        "建德市新安江街道江滨中路 18 号",
        29.4768,
        119.2792,
    ),
    (
        "府前社区自提点",
        "建德市新安江街道府前路 66 号",
        29.4810,
        119.2850,
    ),
    (
        "洋溪社区自提点",
        "建德市洋溪街道洋安路 9 号",
        29.4600,
        119.2700,
    ),
];

const TANGQI: [Spot; 2] = [
    (
        "水北街自提点",
        "临平区塘栖镇水北街 12 号",
        30.4868,
        120.1900,
    ),
    (
        "广济桥自提点",
        "临平区塘栖镇西小河街 3 号",
        30.4850,
        120.1880,
    ),
];

const JINGSHAN: [Spot; 2] = [
    (
        "径山村数智生活馆自提点",
        "余杭区径山镇径山村 村委旁",
        30.3880,
        119.8100,
    ),
    (
        "小古城村自提点",
        "余杭区径山镇小古城村 文化礼堂",
        30.3720,
        119.8260,
    ),
];

/// 莓好集市's open strawberry campaign (joined later, see [`join_open`]) and
/// 鱼鹰团's settled zongzi one. Returns the open campaign.
pub async fn load(state: &AppState, customer_phones: &[&str]) -> AppResult<i64> {
    let customers = customer_ids(state, customer_phones).await?;
    let strawberry = Demo::prepare(state, "莓好集市", "001", &JIANDE, "草莓").await?;
    let open = strawberry
        .campaign(state, "建德红颜草莓 社区团购", 200, 30)
        .await?;
    let zongzi = Demo::prepare(state, "鱼鹰团", "003", &TANGQI, "粽").await?;
    let settled = zongzi
        .campaign(state, "塘栖鲜肉粽 端午团购", 100, 5)
        .await?;
    for (n, customer) in customers.iter().enumerate() {
        let order = zongzi.join(state, settled, *customer, 4, n).await?;
        pay(state, *customer, order).await?;
    }
    campaigns::cut_off_now(state, zongzi.workshop_id, settled).await?;
    collect_first(state, &zongzi, settled).await?;
    Ok(open)
}

/// The demo customers join the open campaign; every other one pays. Done last,
/// so no pick wave takes these orders before the campaign settles.
pub async fn join_open(state: &AppState, campaign: i64, customer_phones: &[&str]) -> AppResult<()> {
    let points = campaigns::point_ids_of(&state.db, campaign).await?;
    let item = first_item(state, campaign).await?;
    for (n, customer) in customer_ids(state, customer_phones)
        .await?
        .iter()
        .enumerate()
    {
        let request = JoinRequest {
            item_id: item,
            quantity: 2,
            pickup_point_id: points[n % points.len().max(1)],
        };
        let order = join::join(state, demo_buyer(*customer), campaign, &request, None)
            .await?
            .id;
        if n % 2 == 0 {
            pay(state, *customer, order).await?;
        }
    }
    Ok(())
}

/// A group-buy of the demo month: the workshop's pickup points (made if it has
/// none), a campaign on its first product, `buyers` (customer, units) joined
/// and paid, then settled at the cut-off.
pub async fn month_campaign(
    state: &AppState,
    workshop_id: i64,
    code: &str,
    title: &str,
    buyers: &[(i64, i64)],
) -> AppResult<i64> {
    let shop = workshop::Entity::find_by_id(workshop_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("demo workshop"))?;
    let existing = pickup_point::Entity::find()
        .filter(pickup_point::Column::WorkshopId.eq(workshop_id))
        .order_by_asc(pickup_point::Column::Id)
        .all(&state.db)
        .await?;
    let spots: &[Spot] = if existing.is_empty() { &JINGSHAN } else { &[] };
    let mut demo = Demo::prepare(state, &shop.name, code, spots, "").await?;
    demo.points.extend(existing.iter().map(|p| p.id));
    let campaign = demo.campaign(state, title, 200, 20).await?;
    for (n, (customer, units)) in buyers.iter().enumerate() {
        let order = demo.join(state, campaign, *customer, *units, n).await?;
        pay(state, *customer, order).await?;
    }
    campaigns::cut_off_now(state, workshop_id, campaign).await?;
    Ok(campaign)
}

async fn first_item(state: &AppState, campaign: i64) -> AppResult<i64> {
    campaigns::items_of(&state.db, campaign)
        .await?
        .first()
        .map(|i| i.id)
        .ok_or_else(|| AppError::not_found("demo campaign item"))
}

struct Demo {
    workshop_id: i64,
    manager_id: i64,
    leader_id: i64,
    sku: sku::Model,
    points: Vec<i64>,
}

impl Demo {
    async fn prepare(
        state: &AppState,
        name: &str,
        code: &str,
        spots: &[Spot],
        product_hint: &str,
    ) -> AppResult<Self> {
        let shop = workshop::Entity::find()
            .filter(workshop::Column::Name.eq(name))
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found("demo workshop"))?;
        let manager_id = account_id(state, &staff_phone(code, 1)).await?;
        let leader_id = account_id(state, &staff_phone(code, 4)).await?;
        let mut points = Vec::new();
        for (name, address, latitude, longitude) in spots {
            let request = CreatePickupPointRequest {
                leader_id,
                name: (*name).into(),
                address: (*address).into(),
                latitude: *latitude,
                longitude: *longitude,
                opening_hours: "08:00-20:00".into(),
                capacity_per_day: 200,
            };
            points.push(points::create_point(state, shop.id, request).await?.id);
        }
        Ok(Self {
            workshop_id: shop.id,
            manager_id,
            leader_id,
            sku: demo_sku(state, shop.id, product_hint).await?,
            points,
        })
    }

    /// An open campaign: tiers at 10 % and 20 % off for 5 and 10 units.
    async fn campaign(
        &self,
        state: &AppState,
        title: &str,
        quantity: i64,
        minimum: i64,
    ) -> AppResult<i64> {
        let base = self.sku.price_fen;
        let sku = sku::Entity::find_by_id(self.sku.id)
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::not_found("demo SKU"))?;
        // Half of what is available, so the live rooms seeded later can still sell it.
        let quantity = quantity.min((sku.on_hand - sku.reserved) / 2).max(1);
        let minimum = minimum.min(quantity);
        let request = CreateCampaignRequest {
            title: title.into(),
            items: vec![CampaignItemRequest {
                sku_id: self.sku.id,
                base_price_fen: base,
                tiers: vec![
                    Tier {
                        min_units: 5,
                        price_fen: base * 9 / 10,
                    },
                    Tier {
                        min_units: 10,
                        price_fen: base * 8 / 10,
                    },
                ],
                quantity,
            }],
            min_total_units: minimum,
            per_buyer_limit: 6,
            opens_at: None,
            cuts_off_at: Utc::now() + Duration::days(2),
            pickup_date: (Utc::now() + Duration::days(3)).date_naive(),
            commission_bps: 500,
            pickup_point_ids: self.points.clone(),
        };
        let created = campaigns::create(state, self.workshop_id, self.manager_id, request).await?;
        campaigns::open(state, self.workshop_id, created.id).await?;
        Ok(created.id)
    }

    async fn join(
        &self,
        state: &AppState,
        campaign: i64,
        customer: i64,
        quantity: i64,
        n: usize,
    ) -> AppResult<i64> {
        let item = first_item(state, campaign).await?;
        let request = JoinRequest {
            item_id: item,
            quantity,
            pickup_point_id: self.points[n % self.points.len()],
        };
        Ok(
            join::join(state, demo_buyer(customer), campaign, &request, None)
                .await?
                .id,
        )
    }
}

fn demo_buyer(customer_id: i64) -> crate::orders::service::Buyer<'static> {
    crate::orders::service::Buyer {
        customer_id,
        name: "",
    }
}

async fn pay(state: &AppState, customer: i64, order: i64) -> AppResult<()> {
    let payment = start_payment(state, customer, order, "sandbox", None).await?;
    sandbox_succeed(state, Viewer::Customer(customer), &payment.provider_ref).await?;
    Ok(())
}

/// Fulfilment waves the settled orders (lots FEFO), packs and dispatches the
/// first to its point, and the leader checks its code; the rest are being picked.
async fn collect_first(state: &AppState, demo: &Demo, campaign: i64) -> AppResult<()> {
    let Some(first) = groupbuy_order::Entity::find()
        .filter(groupbuy_order::Column::CampaignId.eq(campaign))
        .filter(groupbuy_order::Column::Settlement.eq(READY))
        .order_by_asc(groupbuy_order::Column::Id)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    fulfil::wave_all(state, demo.workshop_id, demo.manager_id).await?;
    fulfil::pack(state, demo.workshop_id, demo.manager_id, first.order_id).await?;
    shipping::dispatch(state, demo.workshop_id, first.order_id, demo.manager_id).await?;
    let code = first.pickup_code.unwrap_or_default();
    pickup::verify(
        state,
        demo.workshop_id,
        demo.leader_id,
        first.pickup_point_id,
        &code,
    )
    .await?;
    Ok(())
}

async fn demo_sku(state: &AppState, workshop_id: i64, hint: &str) -> AppResult<sku::Model> {
    let product = product::Entity::find()
        .filter(product::Column::WorkshopId.eq(workshop_id))
        .filter(product::Column::Title.contains(hint))
        .order_by_asc(product::Column::Id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("demo product"))?;
    sku::Entity::find()
        .filter(sku::Column::ProductId.eq(product.id))
        .filter(sku::Column::Status.eq("active"))
        .order_by_asc(sku::Column::Id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("demo SKU"))
}

async fn account_id(state: &AppState, phone: &str) -> AppResult<i64> {
    account::Entity::find()
        .filter(account::Column::Phone.eq(phone))
        .one(&state.db)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| AppError::not_found("demo account"))
}

async fn customer_ids(state: &AppState, phones: &[&str]) -> AppResult<Vec<i64>> {
    let mut ids = Vec::new();
    for phone in phones {
        ids.push(account_id(state, phone).await?);
    }
    Ok(ids)
}
