//! The world the abuse tests attack: a victim workshop and customer owning one
//! of every kind of resource (created through the API), a second workshop, two
//! more customers and a platform admin. Victims' records carry marker strings
//! that must never show up in anyone else's answers.

use std::collections::BTreeMap;

use chrono::Utc;
use gongfang::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::snapshot;
use crate::fulfilment::shipping::{SF_SECRET, carrier_update};
use crate::fulfilment::support::{Floor, order_ids};
use crate::groupbuys::support::{account_id, join_and_pay, point_with_capacity};
use crate::helpers::{TestApp, Workshop, json_of, spawn_app_with};

pub const OWNER_PHONE: &str = "13611110001";
pub const FARMER_PHONE: &str = "13622220009";
pub const ADDRESS_MARK: &str = "秘密地址VICTIM7F3A";
pub const FARMER_MARK: &str = "秘密农户VICTIM2B8C";
pub const HOOK_MARK: &str = "victim-hook-9c2e";
pub const CLAIM_MARK: &str = "秘密售后VICTIM4E1D";
pub const CONTRACT_MARK: &str = "秘密合同VICTIM8A0F";
pub const TRACKING_MARK: &str = "SFVICTIM5D1E";
/// A chart of the report page (the `{chart}` path parameter names one).
pub const CHART: &str = "sales-by-channel";
/// Where group-buy ids differ from the same-named ids elsewhere: a
/// resident's group-buy order (and a campaign's item) under this prefix.
const GROUPBUYS: &str = "/api/v1/groupbuys/";

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
    /// (path prefix, parameter name) -> id, where a name means another kind
    /// of record under that prefix (`order_id` of a group-buy order).
    pub ids_under: BTreeMap<(String, String), String>,
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
        ids_under: BTreeMap::new(),
        markers: vec![
            OWNER_PHONE.into(),
            FARMER_PHONE.into(),
            ADDRESS_MARK.into(),
            FARMER_MARK.into(),
            HOOK_MARK.into(),
            CLAIM_MARK.into(),
            CONTRACT_MARK.into(),
            TRACKING_MARK.into(),
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
        self.ids.insert(name.to_owned(), id_text(value));
    }

    /// Remembers an id for `name` in paths starting with `prefix` only.
    fn remember_under(&mut self, prefix: &str, name: &str, value: &Value) {
        let key = (prefix.to_owned(), name.to_owned());
        self.ids_under.insert(key, id_text(value));
    }

    /// GETs as `token` and returns the record, asserting 200.
    async fn read(&self, path: &str, token: &str) -> Value {
        let res = self.app.get(path, Some(token)).await;
        let status = res.status();
        let body = json_of(res).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
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
        let order = self.furnish_order(&sku_id).await;
        self.furnish_delivery(&order).await;
        self.furnish_claim(&order).await;
        self.furnish_groupbuy(&manager, &sku_id).await;
        self.furnish_contract(&manager, &farmer["id"], &product["id"])
            .await;
        // Names rather than records: a report chart, a carrier, a payment provider.
        self.remember("chart", &json!(CHART));
        self.remember("carrier", &json!("sf"));
        self.remember("provider", &json!("sandbox"));
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

    /// The owner's paid order (returned; delivered later) and a second one
    /// awaiting its payment, whose provider reference is the victim's.
    async fn furnish_order(&mut self, sku_id: &Value) -> Value {
        let address = json!({"name": "张伟", "phone": OWNER_PHONE, "province": "浙江省",
            "city": "杭州市", "district": "建德市", "detail": ADDRESS_MARK});
        let owner = self.owner.clone();
        let address = self.create("/api/v1/me/addresses", &owner, address).await;
        self.remember("address_id", &address["id"]);
        let body =
            json!({"lines": [{"sku_id": sku_id, "quantity": 1}], "address_id": address["id"]});
        let order = self.create("/api/v1/orders", &owner, body.clone()).await;
        self.remember("order_id", &order["id"]);
        let id = order["id"].as_i64().expect("order id");
        crate::orders::pay(&self.app, &owner, id).await;
        let unpaid = self.create("/api/v1/orders", &owner, body).await;
        let payment = self
            .create(
                &format!("/api/v1/orders/{}/payments", unpaid["id"]),
                &owner,
                json!({}),
            )
            .await;
        self.remember("provider_ref", &payment["provider_ref"]);
        order
    }

    /// The paid order picked in a wave (FEFO from the victim's lot), packed,
    /// shipped and delivered by a signed carrier update.
    async fn furnish_delivery(&mut self, order: &Value) {
        let floor = Floor {
            shop: self.victim.clone(),
            sku: self.ids["sku_id"].parse().expect("sku id"),
        };
        let id = order["id"].as_i64().expect("order id");
        let wave = floor.create_wave(&self.app, json!({})).await;
        assert_eq!(order_ids(&wave), [id], "{wave}");
        self.remember("wave_id", &wave["id"]);
        let res = floor.pack(&self.app, id, true).await;
        assert_eq!(res.status(), StatusCode::OK, "pack");
        let res = floor.ship(&self.app, id, TRACKING_MARK).await;
        assert_eq!(res.status(), StatusCode::CREATED, "ship");
        let update = json!({"tracking_number": TRACKING_MARK, "status": "delivered"});
        let res = carrier_update(&self.app, SF_SECRET, &update).await;
        assert_eq!(res.status(), StatusCode::OK, "carrier update");
        assert_eq!(floor.order_status(&self.app, id).await, "delivered");
    }

    /// The owner's open claim on the delivered order.
    async fn furnish_claim(&mut self, order: &Value) {
        let body = json!({"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}],
            "reason": "spoiled", "photos": ["https://img.example.com/claim.jpg"],
            "description": CLAIM_MARK});
        let path = format!("/api/v1/orders/{}/claims", order["id"]);
        let owner = self.owner.clone();
        let claim = self.create(&path, &owner, body).await;
        assert_eq!(claim["status"], "open", "{claim}");
        self.remember("claim_id", &claim["id"]);
    }

    /// An open campaign with the victim's leader running its pickup point,
    /// and the owner's joined and paid group-buy order.
    async fn furnish_groupbuy(&mut self, manager: &str, sku_id: &Value) {
        let leader = account_id(&self.app, &self.victim.leader).await;
        self.remember("leader_id", &json!(leader));
        let point = point_with_capacity(
            50,
            &self.app,
            &self.victim,
            leader,
            "江滨社区",
            29.4768,
            119.2792,
        )
        .await;
        self.remember("point_id", &json!(point));
        self.remember("pickup_point_id", &json!(point));
        let campaign = json!({
            "title": "建德红颜草莓 社区团购",
            "items": [{"sku_id": sku_id, "base_price_fen": 4990, "quantity": 10,
                "tiers": [{"min_units": 5, "price_fen": 3990}]}],
            "min_total_units": 2,
            "per_buyer_limit": 5,
            "cuts_off_at": Utc::now() + chrono::Duration::hours(2),
            "pickup_date": (Utc::now() + chrono::Duration::days(1)).date_naive(),
            "commission_bps": 500,
            "pickup_point_ids": [point],
        });
        let campaign = self
            .create(&self.shop_path("/groupbuys/campaigns"), manager, campaign)
            .await;
        let (id, item) = (campaign["id"].clone(), campaign["items"][0]["id"].clone());
        self.remember("campaign_id", &id);
        self.remember_under(GROUPBUYS, "item_id", &item);
        let open = format!("/groupbuys/campaigns/{id}/open");
        let res = self
            .app
            .post(&self.shop_path(&open), Some(manager), &json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "open the campaign");
        let (campaign, item) = (id.as_i64().expect("id"), item.as_i64().expect("id"));
        let order = join_and_pay(&self.app, &self.owner, campaign, item, 1, point).await;
        self.remember_under(GROUPBUYS, "order_id", &json!(order));
    }

    async fn furnish_contract(&mut self, manager: &str, farmer_id: &Value, product_id: &Value) {
        let today = Utc::now().date_naive();
        let contract = json!({"farmer_id": farmer_id, "product_id": product_id,
            "season": CONTRACT_MARK, "starts_on": (today - chrono::Days::new(30)).to_string(),
            "ends_on": (today + chrono::Days::new(60)).to_string(), "grades": ["A"],
            "floor_price_fen": 1200, "committed_units": 100, "grade_rules": CONTRACT_MARK});
        let contract = self
            .create(&self.shop_path("/ledger/contracts"), manager, contract)
            .await;
        self.remember("contract_id", &contract["id"]);
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
        let members = self.read(&self.shop_path("/members"), manager).await;
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

    /// The id of a victim's record named `name` in paths like `template`, if
    /// a fixture holds one.
    pub fn known(&self, template: &str, name: &str) -> Option<&str> {
        self.ids_under
            .iter()
            .find(|((prefix, param), _)| param == name && template.starts_with(prefix.as_str()))
            .map(|(_, id)| id)
            .or_else(|| self.ids.get(name))
            .map(String::as_str)
    }

    /// The victim's id for a path parameter of `template`. Every parameter
    /// names a real record: a new kind of id needs a `furnish_*` fixture.
    pub fn id_for(&self, template: &str, param: &str) -> String {
        match self.known(template, param) {
            Some(id) => id.to_owned(),
            None => panic!(
                "no victim fixture holds a {{{param}}} (for {template}): \
                 add one to tests/api/abuse/world.rs"
            ),
        }
    }

    /// The path with every parameter filled with victims' ids.
    pub fn victim_path(&self, template: &str, params: &[String]) -> String {
        let mut path = template.to_owned();
        for param in params {
            let id = self.id_for(template, param);
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

fn id_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
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
