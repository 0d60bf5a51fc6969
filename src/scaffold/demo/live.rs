//! Demo live rooms: a live and a scheduled session with pinned items for 莓好集市
//! and 茶仙子, so a newcomer can open an event stream at once. Uses the demo
//! catalog's SKUs, or makes two minimal ones when the workshop has none yet.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::staff_phone;
use crate::entity::{account, product, sku, stock_movement, workshop};
use crate::error::{AppError, AppResult};
use crate::live::items::{pin, set_explaining};
use crate::live::model::{ExplainingRequest, PinItemRequest, ScheduleSessionRequest};
use crate::live::pricing::check_live_price;
use crate::live::service::{schedule, start};
use crate::live::viewers::{Viewer, ViewerStats};
use crate::state::AppState;

/// Units received for each fallback SKU (on hand = the sum of its movements).
const DEMO_STOCK: i64 = 500;

struct DemoRoom {
    workshop: &'static str,
    /// The workshop's code in `demo::staff_phone`; staff member 2 is its streamer.
    code: &'static str,
    live_title: &'static str,
    upcoming_title: &'static str,
    /// Fallback SKUs: (product, SKU name, unit, price, market price, common-prosperity).
    skus: [(&'static str, &'static str, &'static str, i64, i64, bool); 2],
}

const ROOMS: [DemoRoom; 2] = [
    DemoRoom {
        workshop: "莓好集市",
        code: "001",
        live_title: "杨村桥草莓基地现摘直播",
        upcoming_title: "章姬草莓礼盒专场",
        skus: [
            ("红颜草莓", "红颜草莓 精品 2斤装", "box", 6_800, 5_600, true),
            (
                "章姬草莓",
                "章姬草莓 礼盒 3斤装",
                "box",
                9_900,
                8_000,
                false,
            ),
        ],
    },
    DemoRoom {
        workshop: "茶仙子",
        code: "002",
        live_title: "径山茶园明前采茶直播",
        upcoming_title: "雨前径山茶品鉴夜",
        skus: [
            ("径山茶 明前", "明前特级 100g", "tin", 16_800, 13_800, true),
            (
                "径山茶 雨前",
                "雨前一级 250g",
                "pack",
                12_800,
                10_500,
                false,
            ),
        ],
    },
];

pub async fn load(state: &AppState) -> AppResult<()> {
    for room in &ROOMS {
        load_room(state, room).await?;
    }
    Ok(())
}

async fn load_room(state: &AppState, room: &DemoRoom) -> AppResult<()> {
    let shop = workshop::Entity::find()
        .filter(workshop::Column::Name.eq(room.workshop))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("demo workshop"))?;
    let streamer = account::Entity::find()
        .filter(account::Column::Phone.eq(staff_phone(room.code, 2)))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("demo streamer"))?;
    let skus = demo_skus(state, shop.id, room).await?;
    let now = Utc::now();
    let live = schedule(state, shop.id, streamer.id, session(room.live_title, now)).await?;
    let mut first_item = None;
    for sku in &skus {
        let item = pin(state, shop.id, live.id, pin_request(state, sku).await).await?;
        first_item.get_or_insert(item.id);
    }
    start(state, shop.id, live.id).await?;
    let explaining = ExplainingRequest {
        item_id: first_item,
    };
    set_explaining(state, shop.id, live.id, explaining).await?;
    launch_demo_deal(state, shop.id, live.id, streamer.id).await;

    let later = now + Duration::days(1);
    let upcoming = schedule(
        state,
        shop.id,
        streamer.id,
        session(room.upcoming_title, later),
    )
    .await?;
    for sku in skus.iter().rev() {
        pin(state, shop.id, upcoming.id, pin_request(state, sku).await).await?;
    }
    Ok(())
}

/// A day-long flash deal at 20 % off on the first SKU that allows it, so the
/// demo room has something to grab. The demo still loads if none does.
async fn launch_demo_deal(state: &AppState, workshop_id: i64, session_id: i64, streamer_id: i64) {
    let skus = sku::Entity::find()
        .filter(sku::Column::WorkshopId.eq(workshop_id))
        .filter(sku::Column::Status.eq("active"))
        .order_by_asc(sku::Column::Id)
        .all(&state.db)
        .await
        .unwrap_or_default();
    for sku in skus
        .iter()
        .filter(|s| !s.is_common_prosperity && s.on_hand > s.reserved)
    {
        let request = crate::live::deal_model::CreateDealRequest {
            sku_id: sku.id,
            price_fen: (sku.price_fen * 4 / 5).max(1),
            quantity: (sku.on_hand - sku.reserved).min(20),
            starts_at: None,
            duration_secs: 86_400,
            per_buyer_limit: Some(1),
            payment_window_secs: None,
        };
        match crate::live::deals::create_deal(state, workshop_id, session_id, streamer_id, request)
            .await
        {
            Ok(_) => return,
            Err(err) => {
                tracing::info!(sku = sku.id, error = %err.detail, "demo deal not launched on this SKU")
            }
        }
    }
}

fn session(title: &str, at: chrono::DateTime<Utc>) -> ScheduleSessionRequest {
    ScheduleSessionRequest {
        title: title.into(),
        cover_url: "https://img.gongfang.dev/demo/live-cover.jpg".into(),
        scheduled_start_at: at,
        description: "村播团直播，共富工坊直供。".into(),
        streamer_account_id: None,
    }
}

/// 5 % off when that is a valid live price (below normal, inside the band).
async fn pin_request(state: &AppState, sku: &sku::Model) -> PinItemRequest {
    let price = sku.price_fen / 100 * 95;
    let valid = check_live_price(&state.db, sku, price).await.is_ok();
    PinItemRequest {
        sku_id: sku.id,
        live_price_fen: valid.then_some(price),
        live_stock_cap: Some(200),
    }
}

/// Up to three active SKUs of the workshop, or two minimal ones made here.
async fn demo_skus(
    state: &AppState,
    workshop_id: i64,
    room: &DemoRoom,
) -> AppResult<Vec<sku::Model>> {
    let existing = sku::Entity::find()
        .filter(sku::Column::WorkshopId.eq(workshop_id))
        .filter(sku::Column::Status.eq("active"))
        .order_by_asc(sku::Column::Id)
        .limit(3)
        .all(&state.db)
        .await?;
    if !existing.is_empty() {
        return Ok(existing);
    }
    let mut made = Vec::new();
    for (n, (title, name, unit, price, market, cp)) in room.skus.iter().enumerate() {
        let now = Utc::now();
        let product = product::ActiveModel {
            workshop_id: Set(workshop_id),
            title: Set((*title).into()),
            description: Set(format!("{}直供", room.workshop)),
            category: Set(if room.code == "001" {
                "strawberry"
            } else {
                "tea"
            }
            .into()),
            images: Set("[]".into()),
            tags: Set("[]".into()),
            status: Set("active".into()),
            origin: Set(room.workshop.into()),
            storage: Set(if room.code == "001" {
                "chilled"
            } else {
                "ambient"
            }
            .into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;
        let row = sku::ActiveModel {
            workshop_id: Set(workshop_id),
            product_id: Set(product.id),
            code: Set(format!("LIVE-DEMO-{}-{}", room.code, n + 1)),
            name: Set((*name).into()),
            grade: Set("特级".into()),
            unit: Set((*unit).into()),
            net_weight_g: Set(1000),
            price_fen: Set(*price),
            market_price_fen: Set(*market),
            is_common_prosperity: Set(*cp),
            status: Set("active".into()),
            on_hand: Set(DEMO_STOCK),
            reserved: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;
        stock_movement::ActiveModel {
            workshop_id: Set(workshop_id),
            sku_id: Set(row.id),
            kind: Set("receipt".into()),
            quantity: Set(DEMO_STOCK),
            reason: Set("demo stock for the live rooms".into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&state.db)
        .await?;
        made.push(row);
    }
    Ok(made)
}

/// A broadcast of the demo month: scheduled now, its SKUs pinned, live.
pub async fn go_live(
    state: &AppState,
    workshop_id: i64,
    streamer_id: i64,
    title: &str,
    skus: &[sku::Model],
) -> AppResult<i64> {
    let session = schedule(state, workshop_id, streamer_id, session(title, Utc::now())).await?;
    let mut first = None;
    for sku in skus {
        let item = pin(
            state,
            workshop_id,
            session.id,
            pin_request(state, sku).await,
        )
        .await?;
        first.get_or_insert(item.id);
    }
    start(state, workshop_id, session.id).await?;
    let explaining = ExplainingRequest { item_id: first };
    set_explaining(state, workshop_id, session.id, explaining).await?;
    Ok(session.id)
}

/// A flash deal at 20 % off for the next hour, one unit per buyer.
pub async fn flash_deal(
    state: &AppState,
    workshop_id: i64,
    session_id: i64,
    streamer_id: i64,
    sku: &sku::Model,
    quantity: i64,
) -> AppResult<i64> {
    let request = crate::live::deal_model::CreateDealRequest {
        sku_id: sku.id,
        price_fen: (sku.price_fen * 4 / 5).max(1),
        quantity,
        starts_at: None,
        duration_secs: 3_600,
        per_buyer_limit: Some(1),
        payment_window_secs: None,
    };
    let deal =
        crate::live::deals::create_deal(state, workshop_id, session_id, streamer_id, request)
            .await?;
    Ok(deal.id)
}

/// Viewers watch a live session through the hub, as event streams do: the
/// signed-in `accounts`, then anonymous devices, two to an address (a phone
/// and a tablet at home); `peak` of them at once, then the rest one after
/// another. The room reports and records the figures as it does for streams.
pub async fn watch(
    state: &AppState,
    session_id: i64,
    accounts: &[i64],
    anonymous: usize,
    peak: usize,
) -> ViewerStats {
    let viewer = |n: usize| match accounts.get(n) {
        Some(id) => Viewer::Account(*id),
        None => {
            let k = n - accounts.len();
            Viewer::Device {
                address: format!("demo-{session_id}-{}", k / 2),
                device: Some(format!("d{}", k % 2)),
            }
        }
    };
    let unique = accounts.len() + anonymous;
    let peak = peak.min(unique);
    let mut held = Vec::with_capacity(peak);
    for n in 0..peak {
        held.push(state.live.join(session_id, Some(&viewer(n))).await);
    }
    let viewer = &viewer;
    // The room reports its count when it changes; wait until the peak is in.
    for _ in 0..300 {
        if state.live.viewer_stats(session_id).await.peak >= peak as i64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    drop(held);
    // The rest came and went, a few dozen at a time.
    use futures_util::StreamExt;
    futures_util::stream::iter(peak..unique)
        .for_each_concurrent(32, |n| async move {
            drop(state.live.join(session_id, Some(&viewer(n))).await);
        })
        .await;
    state.live.viewer_stats(session_id).await
}
