//! Bench-only data preparation: a workshop with many SKUs and many customers
//! with tokens and addresses, inserted in bulk (no password hashing), and a
//! file the load generator reads. Never used by the service itself.

use std::io::Write;
use std::path::Path;

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use secrecy::ExposeSecret;

use crate::auth::service::hash_token;
use crate::entity::{
    account, address, auth_token, deal, live_session, product, sku, stock_movement, workshop,
};
use crate::state::AppState;

const CHUNK: usize = 1000;

pub struct Prepared {
    pub workshop_id: i64,
    pub sku_ids: Vec<i64>,
    /// With `deal_quantity`: a live session with one running flash deal.
    pub deal_id: Option<i64>,
}

/// Inserts `customers` customers and `skus` SKUs of `stock` units each, and
/// writes `token address_id` lines to `out/customers.txt` and SKU ids to `out/skus.txt`.
pub async fn prepare(
    state: &AppState,
    customers: usize,
    skus: usize,
    stock: i64,
    deal_quantity: Option<i64>,
    out: &Path,
) -> anyhow::Result<Prepared> {
    std::fs::create_dir_all(out)?;
    let db = &state.db;
    let now = Utc::now();
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let shop = workshop::ActiveModel {
        name: Set(format!("压测工坊-{run}")),
        region: Set("bench".into()),
        description: Set("bench".into()),
        contact: Set("bench".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let sku_ids = insert_skus(db, shop.id, skus, stock).await?;
    let mut file = std::fs::File::create(out.join("skus.txt"))?;
    for id in &sku_ids {
        writeln!(file, "{id}")?;
    }
    let bar = progress(customers as u64, "customers");
    let mut file = std::fs::File::create(out.join("customers.txt"))?;
    for start in (0..customers).step_by(CHUNK) {
        let end = (start + CHUNK).min(customers);
        for line in insert_customers(state, &run, start..end).await? {
            writeln!(file, "{line}")?;
        }
        bar.inc((end - start) as u64);
    }
    bar.finish();
    let deal_id = match (deal_quantity, sku_ids.first()) {
        (Some(quantity), Some(sku)) => Some(running_deal(state, shop.id, *sku, quantity).await?),
        _ => None,
    };
    Ok(Prepared {
        workshop_id: shop.id,
        sku_ids,
        deal_id,
    })
}

/// A live session with a flash deal on `sku_id`, running for an hour.
async fn running_deal(
    state: &AppState,
    workshop_id: i64,
    sku_id: i64,
    quantity: i64,
) -> anyhow::Result<i64> {
    let now = Utc::now();
    let streamer = account::ActiveModel {
        phone: Set(format!(
            "s{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        )),
        name: Set("压测主播".into()),
        password_hash: Set("!bench".into()),
        is_platform_admin: Set(false),
        is_customer: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let session = live_session::ActiveModel {
        workshop_id: Set(workshop_id),
        streamer_account_id: Set(streamer.id),
        created_by: Set(streamer.id),
        title: Set("压测直播".into()),
        cover_url: Set("https://img.example.com/bench.jpg".into()),
        description: Set("bench".into()),
        status: Set("live".into()),
        scheduled_start_at: Set(now),
        started_at: Set(Some(now)),
        ended_at: Set(None),
        explaining_item_id: Set(None),
        peak_viewers: Set(0),
        unique_viewers: Set(0),
        signed_in_viewers: Set(0),
        anonymous_viewers: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let held =
        crate::orders::allotments::allot(&state.db, workshop_id, sku_id, "deal", quantity).await?;
    let row = deal::ActiveModel {
        workshop_id: Set(workshop_id),
        live_session_id: Set(session.id),
        sku_id: Set(sku_id),
        allotment_id: Set(held.id),
        price_fen: Set(990),
        quantity: Set(quantity),
        per_buyer_limit: Set(1),
        payment_window_secs: Set(3600),
        starts_at: Set(now),
        ends_at: Set(now + chrono::Duration::hours(1)),
        status: Set("active".into()),
        created_by: Set(streamer.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(row.id)
}

async fn insert_skus(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    count: usize,
    stock: i64,
) -> anyhow::Result<Vec<i64>> {
    let now = Utc::now();
    let product = product::ActiveModel {
        workshop_id: Set(workshop_id),
        title: Set("压测草莓".into()),
        description: Set("bench".into()),
        category: Set("strawberry".into()),
        images: Set("[]".into()),
        tags: Set("[]".into()),
        status: Set("active".into()),
        origin: Set("bench".into()),
        storage: Set("ambient".into()),
        shelf_life_days: Set(None),
        sale_start_month: Set(None),
        sale_end_month: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let bar = progress(count as u64, "SKUs");
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let row = sku::ActiveModel {
            workshop_id: Set(workshop_id),
            product_id: Set(product.id),
            code: Set(format!("B{n:06}")),
            name: Set(format!("规格{n}")),
            grade: Set("A".into()),
            unit: Set("box".into()),
            net_weight_g: Set(500),
            price_fen: Set(1990),
            market_price_fen: Set(1990),
            is_common_prosperity: Set(false),
            per_buyer_limit: Set(None),
            status: Set("active".into()),
            on_hand: Set(stock),
            reserved: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        stock_movement::ActiveModel {
            workshop_id: Set(workshop_id),
            sku_id: Set(row.id),
            lot_id: Set(None),
            kind: Set("receipt".into()),
            quantity: Set(stock),
            reason: Set("bench".into()),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        ids.push(row.id);
        bar.inc(1);
    }
    bar.finish();
    Ok(ids)
}

async fn insert_customers(
    state: &AppState,
    run: &str,
    range: std::ops::Range<usize>,
) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    let now = Utc::now();
    let phones: Vec<String> = range.clone().map(|n| format!("b{run}{n:07}")).collect();
    let accounts = phones.iter().map(|phone| account::ActiveModel {
        phone: Set(phone.clone()),
        name: Set("压测顾客".into()),
        // Not a valid hash: these accounts can never log in with a password.
        password_hash: Set("!bench".into()),
        is_platform_admin: Set(false),
        is_customer: Set(true),
        created_at: Set(now),
        ..Default::default()
    });
    account::Entity::insert_many(accounts).exec(db).await?;
    let ids: Vec<i64> = account::Entity::find()
        .filter(sea_orm::ColumnTrait::is_in(
            &account::Column::Phone,
            phones.clone(),
        ))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let tokens: Vec<String> = ids
        .iter()
        .map(|id| format!("gf_bench_{run}_{id}_{}", uuid::Uuid::new_v4().simple()))
        .collect();
    let token_rows = ids
        .iter()
        .zip(&tokens)
        .map(|(id, token)| auth_token::ActiveModel {
            account_id: Set(*id),
            token_hash: Set(hash_token(
                state.settings.auth.secret.expose_secret(),
                token,
            )),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::days(1)),
            ..Default::default()
        });
    auth_token::Entity::insert_many(token_rows).exec(db).await?;
    let addresses = ids.iter().map(|id| address::ActiveModel {
        customer_id: Set(*id),
        name: Set("压测".into()),
        phone: Set("13800000000".into()),
        province: Set("浙江省".into()),
        city: Set("杭州市".into()),
        district: Set("建德市".into()),
        detail: Set("压测地址".into()),
        created_at: Set(now),
        ..Default::default()
    });
    address::Entity::insert_many(addresses).exec(db).await?;
    let address_of: std::collections::HashMap<i64, i64> = address::Entity::find()
        .filter(sea_orm::ColumnTrait::is_in(
            &address::Column::CustomerId,
            ids.clone(),
        ))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.customer_id, a.id))
        .collect();
    Ok(ids
        .iter()
        .zip(&tokens)
        .map(|(id, token)| format!("{token} {}", address_of.get(id).copied().unwrap_or(0)))
        .collect())
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template = format!("{{spinner}} {what} {{bar:40}} {{pos}}/{{len}} {{per_sec}} eta {{eta}}");
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
