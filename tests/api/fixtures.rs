//! Catalog fixtures written straight to the database (products, SKUs with a
//! receipt movement), and stock read-back for balance checks.

use chrono::Utc;
use gongfang::entity::{product, sku, stock_movement};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::helpers::{TestApp, json_of};

#[derive(Clone)]
pub struct SkuSpec {
    pub price_fen: i64,
    pub stock: i64,
    pub per_buyer_limit: Option<i32>,
    pub storage: &'static str,
    pub season: Option<(i16, i16)>,
    pub status: &'static str,
    /// The market reference price (default: the price).
    pub market_price_fen: Option<i64>,
    pub common_prosperity: bool,
}

impl Default for SkuSpec {
    fn default() -> Self {
        Self {
            price_fen: 2990,
            stock: 100,
            per_buyer_limit: None,
            storage: "ambient",
            season: None,
            status: "active",
            market_price_fen: None,
            common_prosperity: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Stock {
    pub on_hand: i64,
    pub reserved: i64,
    pub movements: i64,
}

impl TestApp {
    /// An active product with one SKU holding `spec.stock` units.
    pub async fn sku(&self, workshop_id: i64, spec: SkuSpec) -> i64 {
        let now = Utc::now();
        let product = product::ActiveModel {
            workshop_id: Set(workshop_id),
            title: Set("建德红颜草莓".into()),
            description: Set("A级精品果".into()),
            category: Set("strawberry".into()),
            images: Set("[]".into()),
            tags: Set("[]".into()),
            status: Set("active".into()),
            origin: Set("杨村桥镇".into()),
            storage: Set(spec.storage.into()),
            shelf_life_days: Set(Some(5)),
            sale_start_month: Set(spec.season.map(|s| s.0)),
            sale_end_month: Set(spec.season.map(|s| s.1)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.state.db)
        .await
        .unwrap();
        let sku = sku::ActiveModel {
            workshop_id: Set(workshop_id),
            product_id: Set(product.id),
            code: Set(format!("SKU-{}", uuid::Uuid::new_v4().simple())),
            name: Set("2斤装".into()),
            grade: Set("A".into()),
            unit: Set("box".into()),
            net_weight_g: Set(1000),
            price_fen: Set(spec.price_fen),
            market_price_fen: Set(spec.market_price_fen.unwrap_or(spec.price_fen)),
            is_common_prosperity: Set(spec.common_prosperity),
            per_buyer_limit: Set(spec.per_buyer_limit),
            status: Set(spec.status.into()),
            on_hand: Set(spec.stock),
            reserved: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.state.db)
        .await
        .unwrap();
        stock_movement::ActiveModel {
            workshop_id: Set(workshop_id),
            sku_id: Set(sku.id),
            lot_id: Set(None),
            kind: Set("receipt".into()),
            quantity: Set(spec.stock),
            reason: Set("fixture".into()),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.state.db)
        .await
        .unwrap();
        sku.id
    }

    pub async fn stock(&self, sku_id: i64) -> Stock {
        let sku = sku::Entity::find_by_id(sku_id)
            .one(&self.state.db)
            .await
            .unwrap()
            .unwrap();
        let movements = stock_movement::Entity::find()
            .filter(stock_movement::Column::SkuId.eq(sku_id))
            .all(&self.state.db)
            .await
            .unwrap()
            .iter()
            .map(|m| m.quantity)
            .sum();
        Stock {
            on_hand: sku.on_hand,
            reserved: sku.reserved,
            movements,
        }
    }

    /// A registered customer with one address: (token, address id).
    pub async fn shopper(&self, phone: &str) -> (String, i64) {
        let token = self.customer(phone).await;
        let address = json!({"name": "张伟", "phone": phone, "province": "浙江省", "city": "杭州市",
            "district": "建德市", "detail": "新安江街道 江滨路 8 号"});
        let res = self
            .post("/api/v1/me/addresses", Some(&token), &address)
            .await;
        assert_eq!(res.status(), 201);
        let id = json_of(res).await["id"].as_i64().unwrap();
        (token, id)
    }
}
