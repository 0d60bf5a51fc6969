//! A workshop with a common-prosperity SKU, farmers and lots received over
//! the API, sales that are paid and picked from lots, and the ledger's sums
//! read straight from the database for invariant checks.

use chrono::{Days, Utc};
use gongfang::entity::{ledger_entry, sale_split};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::fixtures::SkuSpec;
use crate::helpers::{TestApp, Workshop, json_of, spawn_app};
use crate::orders::{buy, pay};

pub struct Farm {
    pub app: TestApp,
    pub admin: String,
    pub shop: Workshop,
    /// Common-prosperity: price 6800, market reference 5600.
    pub sku: i64,
}

pub const PRICE: i64 = 6800;
pub const MARKET: i64 = 5600;

pub async fn farm(prefix: &str) -> Farm {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, prefix).await;
    let sku = cp_sku(&app, shop.id, PRICE, MARKET).await;
    Farm {
        app,
        admin,
        shop,
        sku,
    }
}

pub async fn cp_sku(app: &TestApp, workshop_id: i64, price: i64, market: i64) -> i64 {
    app.sku(
        workshop_id,
        SkuSpec {
            price_fen: price,
            market_price_fen: Some(market),
            common_prosperity: true,
            stock: 0,
            ..Default::default()
        },
    )
    .await
}

pub fn days_from_today(days: i64) -> String {
    let today = Utc::now().date_naive();
    let day = if days >= 0 {
        today + Days::new(days as u64)
    } else {
        today - Days::new((-days) as u64)
    };
    day.to_string()
}

impl Farm {
    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/workshops/{}{rest}", self.shop.id)
    }

    pub async fn farmer(&self, name: &str, low_income: bool) -> i64 {
        let body = json!({"name": name, "village": "徐坑村", "phone": "13900009999",
            "is_low_income": low_income, "settlement_ref": "农商银行 6230-0001"});
        let res = self
            .app
            .post(&self.path("/farmers"), Some(&self.shop.manager), &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        json_of(res).await["id"].as_i64().unwrap()
    }

    /// Receives a lot of `sku` from `farmer` at the agreed `floor` price.
    pub async fn receive(&self, sku: i64, farmer: i64, quantity: i64, floor: i64) -> Value {
        let body = json!({"sku_id": sku, "farmer_id": farmer, "quantity": quantity,
            "harvest_date": days_from_today(-1), "expiry_date": days_from_today(10),
            "floor_price_fen": floor});
        let res = self
            .app
            .post(&self.path("/lots"), Some(&self.shop.manager), &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        json_of(res).await
    }

    /// A paid order of `quantity` units whose units are then picked from lots.
    pub async fn sell(&self, buyer: &(String, i64), sku: i64, quantity: i64) -> Value {
        let res = buy(&self.app, &buyer.0, buyer.1, sku, quantity).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let order = json_of(res).await;
        let id = order["id"].as_i64().unwrap();
        pay(&self.app, &buyer.0, id).await;
        self.pick(id).await;
        order
    }

    /// A fulfilment pick wave: it allocates the paid orders' units to lots
    /// (FEFO) and the ledger splits each allocation in the same transaction.
    /// An order the lots cannot cover stays paid and unsplit.
    pub async fn pick(&self, _order_id: i64) {
        let res = self
            .app
            .post(
                &self.path("/waves"),
                Some(&self.shop.fulfilment),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    pub async fn refund(&self, order: &Value, units: i64) -> reqwest::Response {
        let id = order["id"].as_i64().unwrap();
        let line = order["lines"][0]["id"].as_i64().unwrap();
        let body = json!({"lines": [{"line_id": line, "quantity": units}], "reason": "压坏"});
        self.app
            .post(
                &self.path(&format!("/orders/{id}/refunds")),
                Some(&self.shop.manager),
                &body,
            )
            .await
    }

    pub async fn payout(&self, farmer: i64, amount: i64, token: &str) -> reqwest::Response {
        self.app
            .post(
                &self.path(&format!("/ledger/farmers/{farmer}/payouts")),
                Some(token),
                &json!({"amount_fen": amount, "reference": "转账"}),
            )
            .await
    }

    pub async fn statement(&self, farmer: i64, token: &str) -> reqwest::Response {
        let month = Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .format("%Y-%m");
        self.app
            .get(
                &self.path(&format!("/ledger/farmers/{farmer}/statement?month={month}")),
                Some(token),
            )
            .await
    }

    pub async fn splits(&self, order_id: i64) -> Vec<Value> {
        let res = self
            .app
            .get(
                &self.path(&format!("/ledger/orders/{order_id}/splits")),
                Some(&self.shop.manager),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        json_of(res).await.as_array().unwrap().clone()
    }

    pub async fn entries(&self) -> Vec<ledger_entry::Model> {
        ledger_entry::Entity::find()
            .all(&self.app.state.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.workshop_id == self.shop.id)
            .collect()
    }

    pub async fn sale_splits(&self) -> Vec<sale_split::Model> {
        sale_split::Entity::find()
            .all(&self.app.state.db)
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.workshop_id == self.shop.id)
            .collect()
    }
}

/// The current month in China time, as the API expects it.
pub fn this_month() -> String {
    Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m")
        .to_string()
}
