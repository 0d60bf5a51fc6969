//! A fulfilment floor: a workshop with a SKU, farmers, lots received through
//! the API, and paid orders ready to be picked.

use chrono::{Days, NaiveDate};
use gongfang::catalog::service::today;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::SkuSpec;
use crate::helpers::{TestApp, Workshop, json_of};
use crate::orders::{buy, pay};

pub struct Floor {
    pub shop: Workshop,
    pub sku: i64,
}

pub fn day(offset: i64) -> NaiveDate {
    if offset >= 0 {
        today() + Days::new(offset as u64)
    } else {
        today() - Days::new(offset.unsigned_abs())
    }
}

impl Floor {
    /// A workshop (staff phones from `prefix`) with one SKU of `storage` and no stock.
    pub async fn new(app: &TestApp, prefix: &str, storage: &'static str) -> Self {
        let admin = app.admin().await;
        let shop = app.workshop(&admin, prefix).await;
        let sku = app
            .sku(
                shop.id,
                SkuSpec {
                    stock: 0,
                    storage,
                    ..Default::default()
                },
            )
            .await;
        Self { shop, sku }
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/workshops/{}{rest}", self.shop.id)
    }

    pub async fn farmer(&self, app: &TestApp, name: &str) -> i64 {
        let body = json!({"name": name, "village": "徐坑村", "phone": "13900009999"});
        let res = app
            .post(&self.path("/farmers"), Some(&self.shop.manager), &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        json_of(res).await["id"].as_i64().unwrap()
    }

    /// Receives a lot of `quantity` units expiring `expires_in` days from today.
    pub async fn lot(
        &self,
        app: &TestApp,
        farmer: i64,
        code: &str,
        quantity: i64,
        expires_in: i64,
    ) -> i64 {
        self.lot_of(app, self.sku, farmer, code, quantity, expires_in)
            .await
    }

    pub async fn lot_of(
        &self,
        app: &TestApp,
        sku: i64,
        farmer: i64,
        code: &str,
        quantity: i64,
        expires_in: i64,
    ) -> i64 {
        let harvest = day(expires_in.min(0) - 3);
        let body = json!({"sku_id": sku, "farmer_id": farmer, "quantity": quantity,
            "harvest_date": harvest, "expiry_date": day(expires_in), "floor_price_fen": 1000, "code": code});
        let res = app
            .post(&self.path("/lots"), Some(&self.shop.manager), &body)
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        json_of(res).await["id"].as_i64().unwrap()
    }

    /// A customer's paid order of `quantity` units: (customer token, order).
    pub async fn paid_order(&self, app: &TestApp, phone: &str, quantity: i64) -> (String, Value) {
        let (token, address) = app.shopper(phone).await;
        let res = buy(app, &token, address, self.sku, quantity).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let order = json_of(res).await;
        pay(app, &token, order["id"].as_i64().unwrap()).await;
        (token, order)
    }

    pub async fn create_wave(&self, app: &TestApp, body: Value) -> Value {
        let res = app
            .post(&self.path("/waves"), Some(&self.shop.fulfilment), &body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        json_of(res).await
    }

    pub async fn pack(&self, app: &TestApp, order_id: i64, cold_chain: bool) -> reqwest::Response {
        let body = json!({"package_count": 1, "weight_g": 1200, "cold_chain": cold_chain});
        app.post(
            &self.path(&format!("/orders/{order_id}/pack")),
            Some(&self.shop.fulfilment),
            &body,
        )
        .await
    }

    pub async fn ship(&self, app: &TestApp, order_id: i64, tracking: &str) -> reqwest::Response {
        let body = json!({"carrier": "sf", "tracking_number": tracking});
        app.post(
            &self.path(&format!("/orders/{order_id}/ship")),
            Some(&self.shop.fulfilment),
            &body,
        )
        .await
    }

    pub async fn order_status(&self, app: &TestApp, order_id: i64) -> String {
        let res = app
            .get(
                &self.path(&format!("/orders/{order_id}")),
                Some(&self.shop.manager),
            )
            .await;
        json_of(res).await["status"].as_str().unwrap().to_owned()
    }
}

pub fn order_ids(wave: &Value) -> Vec<i64> {
    wave["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_i64().unwrap())
        .collect()
}

impl Floor {
    /// A customer's order of `quantity` units picked, packed, shipped and
    /// delivered by a signed carrier update: (customer token, order).
    pub async fn delivered_order(
        &self,
        app: &TestApp,
        phone: &str,
        quantity: i64,
    ) -> (String, Value) {
        let (token, order) = self.paid_order(app, phone, quantity).await;
        let id = order["id"].as_i64().unwrap();
        self.create_wave(app, json!({})).await;
        assert_eq!(self.pack(app, id, true).await.status(), StatusCode::OK);
        let tracking = format!("SF{phone}");
        assert_eq!(
            self.ship(app, id, &tracking).await.status(),
            StatusCode::CREATED
        );
        let update = json!({"tracking_number": tracking, "status": "delivered"});
        let res = super::shipping::carrier_update(app, super::shipping::SF_SECRET, &update).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(self.order_status(app, id).await, "delivered");
        (token, order)
    }
}
