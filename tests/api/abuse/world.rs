//! The world the abuse tests attack: a victim workshop and customer owning one
//! of every kind of resource (created through the API), a second workshop, two
//! more customers and a platform admin. Victims' records carry marker strings
//! that must never show up in anyone else's answers.

use std::collections::BTreeMap;

use chrono::Utc;
use gongfang::config::Settings;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use super::snapshot;
use crate::helpers::{TestApp, Workshop, json_of, spawn_app_with};

pub const OWNER_PHONE: &str = "13611110001";
pub const FARMER_PHONE: &str = "13622220009";
pub const ADDRESS_MARK: &str = "秘密地址VICTIM7F3A";
pub const FARMER_MARK: &str = "秘密农户VICTIM2B8C";
pub const HOOK_MARK: &str = "victim-hook-9c2e";

pub struct World {
    pub app: TestApp,
    pub admin: String,
    pub victim: Workshop,
    pub other: Workshop,
    /// The customer owning the victim orders and address.
    pub owner: String,
    /// Two more customers.
    pub customers: [String; 2],
    /// Path parameter name -> the id of a victim's record of that kind.
    pub ids: BTreeMap<String, String>,
    /// Strings only the victims' records hold.
    pub markers: Vec<String>,
    pub tables: Vec<String>,
}

/// Background work that would change rows on its own is off.
pub fn quiet(settings: &mut Settings) {
    settings.webhooks.worker_enabled = false;
    settings.auth.login_failures_per_account = 1_000_000;
    settings.auth.login_failures_per_ip = 1_000_000;
}

pub async fn build() -> World {
    let app = spawn_app_with(quiet).await;
    let admin = app.admin().await;
    let victim = app.workshop(&admin, "17101").await;
    let other = app.workshop(&admin, "17102").await;
    let owner = app.customer(OWNER_PHONE).await;
    let customers = [
        app.customer("13611110002").await,
        app.customer("13611110003").await,
    ];
    let tables = snapshot::tables(&app.state.db).await;
    let mut world = World {
        app,
        admin,
        victim,
        other,
        owner,
        customers,
        ids: BTreeMap::new(),
        markers: vec![
            OWNER_PHONE.into(),
            FARMER_PHONE.into(),
            ADDRESS_MARK.into(),
            FARMER_MARK.into(),
            HOOK_MARK.into(),
        ],
        tables,
    };
    world.furnish().await;
    world
}

impl World {
    /// POSTs as `token` and returns the created record, asserting 2xx.
    pub async fn create(&self, path: &str, token: &str, body: Value) -> Value {
        let res = self.app.post(path, Some(token), &body).await;
        let status = res.status();
        let created = json_of(res).await;
        assert!(status.is_success(), "POST {path}: {status} {created}");
        created
    }

    fn remember(&mut self, name: &str, value: &Value) {
        let id = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.ids.insert(name.to_owned(), id);
    }

    fn shop_path(&self, rest: &str) -> String {
        format!("/api/v1/workshops/{}{rest}", self.victim.id)
    }

    async fn furnish(&mut self) {
        let (manager, streamer) = (self.victim.manager.clone(), self.victim.streamer.clone());
        self.remember("workshop_id", &json!(self.victim.id));
        let product = self
            .create(&self.shop_path("/products"), &manager, product_body())
            .await;
        self.remember("product_id", &product["id"]);
        self.remember("sku_id", &product["skus"][0]["id"]);
        let sku_id = product["skus"][0]["id"].clone();
        let farmer = json!({"name": FARMER_MARK, "village": "徐坑村", "phone": FARMER_PHONE,
            "is_low_income": true, "settlement_ref": "农商银行 6230-0001"});
        let farmer = self
            .create(&self.shop_path("/farmers"), &manager, farmer)
            .await;
        self.remember("farmer_id", &farmer["id"]);
        let today = Utc::now().date_naive();
        let lot = json!({"sku_id": sku_id, "farmer_id": farmer["id"], "quantity": 50,
            "harvest_date": (today - chrono::Days::new(1)).to_string(),
            "expiry_date": (today + chrono::Days::new(30)).to_string(), "floor_price_fen": 1000});
        let lot = self.create(&self.shop_path("/lots"), &manager, lot).await;
        self.remember("lot_id", &lot["id"]);
        self.furnish_live(&streamer, &sku_id).await;
        self.furnish_order(&sku_id).await;
        self.furnish_webhooks(&manager).await;
        self.furnish_members(&manager).await;
    }

    async fn furnish_live(&mut self, streamer: &str, sku_id: &Value) {
        let session = json!({"title": "红颜草莓现摘直播", "cover_url": "https://img.example.com/live.jpg",
            "scheduled_start_at": (Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
            "description": "杨村桥镇草莓基地"});
        let session = self
            .create(&self.shop_path("/live/sessions"), streamer, session)
            .await;
        let session_path = self.shop_path(&format!("/live/sessions/{}", session["id"]));
        self.remember("session_id", &session["id"]);
        self.create(&format!("{session_path}/start"), streamer, json!({}))
            .await;
        let item = self
            .create(
                &format!("{session_path}/items"),
                streamer,
                json!({"sku_id": sku_id}),
            )
            .await;
        self.remember("item_id", &item["id"]);
        let deal =
            json!({"sku_id": sku_id, "price_fen": 990, "quantity": 5, "duration_secs": 3600});
        let deal = self
            .create(&format!("{session_path}/deals"), streamer, deal)
            .await;
        self.remember("deal_id", &deal["id"]);
    }

    async fn furnish_order(&mut self, sku_id: &Value) {
        let address = json!({"name": "张伟", "phone": OWNER_PHONE, "province": "浙江省",
            "city": "杭州市", "district": "建德市", "detail": ADDRESS_MARK});
        let owner = self.owner.clone();
        let address = self.create("/api/v1/me/addresses", &owner, address).await;
        self.remember("address_id", &address["id"]);
        let order =
            json!({"lines": [{"sku_id": sku_id, "quantity": 1}], "address_id": address["id"]});
        let order = self.create("/api/v1/orders", &owner, order).await;
        self.remember("order_id", &order["id"]);
        let payment = self
            .create(
                &format!("/api/v1/orders/{}/payments", order["id"]),
                &owner,
                json!({}),
            )
            .await;
        self.remember("provider_ref", &payment["provider_ref"]);
    }

    async fn furnish_webhooks(&mut self, manager: &str) {
        let endpoint = json!({"url": format!("http://127.0.0.1:9/{HOOK_MARK}"),
            "event_types": ["order.paid"], "description": HOOK_MARK});
        let endpoint = self
            .create(&self.shop_path("/webhooks"), manager, endpoint)
            .await;
        self.markers
            .push(endpoint["secret"].as_str().expect("secret").to_owned());
        self.remember("endpoint_id", &endpoint["id"]);
        let test = format!("/webhooks/{}/test", endpoint["id"]);
        let delivery = self
            .create(&self.shop_path(&test), manager, json!({}))
            .await;
        self.remember("delivery_id", &delivery["id"]);
    }

    async fn furnish_members(&mut self, manager: &str) {
        let res = self
            .app
            .get(&self.shop_path("/members"), Some(manager))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let members = json_of(res).await;
        let streamer = members["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["role"] == "streamer")
            .expect("a streamer member");
        let id = streamer
            .get("account_id")
            .unwrap_or(&streamer["id"])
            .clone();
        self.remember("member_id", &id);
    }

    /// The victim's id for a path parameter; parameters without a fixture get
    /// a victim-workshop row of the table their name suggests, else the
    /// victim workshop's own id.
    pub async fn id_for(&self, param: &str) -> String {
        if let Some(id) = self.ids.get(param) {
            return id.clone();
        }
        let stem = param.trim_end_matches("_id");
        for table in self.tables.iter().filter(|t| t.contains(stem)) {
            let sql = format!(
                "SELECT id FROM \"{table}\" WHERE workshop_id = {} ORDER BY id LIMIT 1",
                self.victim.id
            );
            let db = &self.app.state.db;
            let statement = Statement::from_string(db.get_database_backend(), sql);
            if let Ok(Some(row)) = db.query_one_raw(statement).await
                && let Ok(id) = row.try_get::<i64>("", "id")
            {
                return id.to_string();
            }
        }
        self.victim.id.to_string()
    }

    /// The path with every parameter filled with victims' ids.
    pub async fn victim_path(&self, template: &str, params: &[String]) -> String {
        let mut path = template.to_owned();
        for param in params {
            let id = self.id_for(param).await;
            path = path.replace(&format!("{{{param}}}"), &id);
        }
        path
    }

    /// Any marker in `body`.
    pub fn leaked<'a>(&'a self, body: &str) -> Option<&'a str> {
        self.markers
            .iter()
            .find(|m| body.contains(m.as_str()))
            .map(String::as_str)
    }
}

fn product_body() -> Value {
    json!({
        "title": "建德红颜草莓",
        "description": "当天采摘",
        "category": "strawberry",
        "images": ["https://img.example.com/berry.jpg"],
        "tags": ["草莓"],
        "origin": "建德市杨村桥镇",
        "storage": "chilled",
        "shelf_life_days": 5,
        "status": "active",
        "skus": [{"code": "VICTIM-SKU-1", "name": "A级 2斤装", "grade": "A", "unit": "box",
            "net_weight_g": 1000, "price_fen": 2990, "market_price_fen": 2990,
            "is_common_prosperity": false}],
    })
}
