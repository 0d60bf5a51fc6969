//! The demo catalog of the four workshops: graded strawberries, Jingshan tea,
//! Tangqi specialties and Nanyang umbrellas, farmer households and their lots.

use chrono::Days;
use serde_json::{Value, json};

use crate::catalog::farmers::model::CreateFarmerRequest;
use crate::catalog::farmers::service::create_farmer;
use crate::catalog::lots::model::ReceiveLotRequest;
use crate::catalog::lots::service::receive_lot;
use crate::catalog::policy::model::CatalogPolicy;
use crate::catalog::policy::service::set_policy;
use crate::catalog::products::service::create_product;
use crate::catalog::rules;
use crate::error::{AppError, AppResult};
use crate::platform::json;
use crate::state::AppState;

/// (name, village, low-income)
type Farmer = (&'static str, &'static str, bool);

/// (SKU code, farmer index, units, harvested days ago, guaranteed price per unit
/// in fen, expiry in days from harvest when the product has no shelf life)
type Lot = (&'static str, usize, i64, u64, i64, Option<u64>);

struct Shop {
    policy: CatalogPolicy,
    farmers: &'static [Farmer],
    products: fn() -> Vec<Value>,
    lots: &'static [Lot],
}

pub(super) async fn load(
    state: &AppState,
    code: &str,
    workshop_id: i64,
    manager_id: i64,
) -> AppResult<()> {
    let shop = match code {
        "001" => strawberries(),
        "002" => tea(),
        "003" => tangqi(),
        _ => umbrellas(),
    };
    set_policy(state, workshop_id, shop.policy).await?;
    let mut skus = Vec::new();
    for product in (shop.products)() {
        let created = create_product(state, workshop_id, parse(product)?).await?;
        skus.extend(created.skus.into_iter().map(|s| (s.info.code, s.info.id)));
    }
    let mut farmer_ids = Vec::new();
    for (n, (name, village, low_income)) in shop.farmers.iter().enumerate() {
        let farmer = CreateFarmerRequest {
            name: (*name).into(),
            village: (*village).into(),
            phone: format!("1350{code}{n:04}"),
            is_low_income: *low_income,
            settlement_ref: format!("浙江农商银行 6230 {code}{n:02} **** 88{n:02}"),
        };
        farmer_ids.push(create_farmer(&state.db, workshop_id, farmer).await?.id);
    }
    let today = rules::today();
    for (sku_code, farmer, units, days_ago, floor_fen, keeps) in shop.lots {
        let sku_id = skus
            .iter()
            .find(|(code, _)| code == sku_code)
            .map(|(_, id)| *id)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("demo SKU {sku_code} missing")))?;
        let harvest_date = today - Days::new(*days_ago);
        let lot = ReceiveLotRequest {
            sku_id,
            farmer_id: farmer_ids[*farmer],
            quantity: *units,
            grade: None,
            harvest_date,
            expiry_date: keeps.map(|days| harvest_date + Days::new(days)),
            floor_price_fen: *floor_fen,
            code: None,
        };
        receive_lot(state, workshop_id, manager_id, lot).await?;
    }
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> AppResult<T> {
    json::parse(value.to_string().as_bytes())
}

fn policy(min_bp: i32, max_bp: i32, show_exact_stock: bool, low: i32) -> CatalogPolicy {
    CatalogPolicy {
        cp_band_min_bp: min_bp,
        cp_band_max_bp: max_bp,
        show_exact_stock,
        low_stock_threshold: low,
    }
}

/// `fen` is [price, market reference]; `cp` marks a common-prosperity price.
fn sku(
    code: &str,
    name: &str,
    grade: &str,
    unit: &str,
    grams: i32,
    fen: [i64; 2],
    cp: bool,
) -> Value {
    json!({
        "code": code, "name": name, "grade": grade, "unit": unit, "net_weight_g": grams,
        "price_fen": fen[0], "market_price_fen": fen[1], "is_common_prosperity": cp,
    })
}

fn strawberries() -> Shop {
    Shop {
        policy: policy(12_000, 12_500, false, 20),
        farmers: &[
            ("徐建国", "杨村桥镇徐坑村", true),
            ("徐秀英", "杨村桥镇徐坑村", true),
            ("汪志明", "杨村桥镇绪塘村", false),
            ("叶美华", "下涯镇丰和村", true),
            ("方德才", "下涯镇之江村", false),
        ],
        products: || {
            vec![
                json!({
                    "title": "建德红颜草莓", "category": "strawberry", "storage": "chilled",
                    "description": "杨村桥镇大棚红颜草莓，当天采摘冷链直发。A级精品果共富价，溢价部分返还种植户。",
                    "origin": "建德市杨村桥镇", "shelf_life_days": 4,
                    "sale_window": {"start_month": 11, "end_month": 4},
                    "tags": ["红颜", "奶油草莓", "共富价"], "status": "active",
                    "images": ["https://img.gongfang.dev/meihao/hongyan-1.jpg", "https://img.gongfang.dev/meihao/hongyan-2.jpg"],
                    "skus": [
                        sku("MH-HY-A-1J", "红颜 A级 精品果 1斤装", "A", "box", 500, [4800, 4000], true),
                        sku("MH-HY-A-2J", "红颜 A级 精品果 2斤装", "A", "box", 1000, [9000, 7500], true),
                        sku("MH-HY-B-2J", "红颜 B级 家庭装 2斤装", "B", "box", 1000, [5900, 5900], false),
                    ],
                }),
                json!({
                    "title": "建德章姬草莓", "category": "strawberry", "storage": "chilled",
                    "description": "章姬草莓果形长、甜度高，分级装箱；加工果适合做果酱。",
                    "origin": "建德市下涯镇", "shelf_life_days": 4,
                    "sale_window": {"start_month": 11, "end_month": 4},
                    "tags": ["章姬", "共富价"], "status": "active",
                    "images": ["https://img.gongfang.dev/meihao/zhangji.jpg"],
                    "skus": [
                        sku("MH-ZJ-A-1J", "章姬 A级 1斤装", "A", "box", 500, [4200, 3500], true),
                        sku("MH-ZJ-A-2J", "章姬 A级 2斤装", "A", "box", 1000, [8200, 6600], true),
                        sku("MH-ZJ-C-5J", "章姬 加工果 5斤", "C", "jin", 2500, [2500, 2500], false),
                    ],
                }),
                json!({
                    "title": "手工草莓酱", "category": "specialty", "storage": "ambient",
                    "description": "用章姬加工果熬制，不加香精。", "origin": "建德市杨村桥镇",
                    "shelf_life_days": 180, "tags": ["草莓酱"], "status": "active",
                    "skus": [sku("MH-JAM-250", "草莓酱 250克", "", "piece", 250, [2800, 2800], false)],
                }),
            ]
        },
        lots: &[
            ("MH-HY-A-1J", 0, 120, 1, 2600, None),
            ("MH-HY-A-1J", 1, 80, 0, 2600, None),
            ("MH-HY-A-2J", 3, 60, 1, 5000, None),
            ("MH-HY-A-2J", 0, 15, 7, 5000, None),
            ("MH-ZJ-A-1J", 2, 90, 1, 2300, None),
            ("MH-ZJ-A-2J", 4, 12, 2, 4400, None),
            ("MH-ZJ-C-5J", 1, 40, 2, 1200, None),
            ("MH-JAM-250", 2, 200, 20, 1200, None),
        ],
    }
}

fn tea() -> Shop {
    Shop {
        policy: policy(10_000, 13_000, true, 10),
        farmers: &[
            ("俞金宝", "径山镇径山村", false),
            ("沈桂芳", "径山镇小古城村", true),
            ("钱根林", "黄湖镇青山村", false),
        ],
        products: || {
            vec![
                json!({
                    "title": "径山茶 明前特级", "category": "tea", "storage": "ambient",
                    "description": "清明前手工采制的径山毛峰，一芽一叶，罐装密封。",
                    "origin": "余杭区径山镇", "shelf_life_days": 540,
                    "tags": ["明前", "径山茶", "绿茶"], "status": "active",
                    "images": ["https://img.gongfang.dev/chaxianzi/mingqian.jpg"],
                    "skus": [
                        sku("CXZ-MQ-50", "明前特级 50克 罐装", "特级", "tin", 50, [16800, 14000], true),
                        sku("CXZ-MQ-100", "明前特级 100克 礼盒", "特级", "tin", 100, [31800, 26800], true),
                    ],
                }),
                json!({
                    "title": "径山茶 雨前一级", "category": "tea", "storage": "ambient",
                    "description": "谷雨前采摘，口粮茶首选。", "origin": "余杭区径山镇",
                    "shelf_life_days": 540, "tags": ["雨前", "径山茶", "绿茶"], "status": "active",
                    "skus": [
                        sku("CXZ-YQ-100", "雨前一级 100克 罐装", "一级", "tin", 100, [9800, 9800], false),
                        sku("CXZ-YQ-250", "雨前一级 250克 家庭装", "一级", "tin", 250, [22800, 22800], false),
                    ],
                }),
            ]
        },
        lots: &[
            ("CXZ-MQ-50", 0, 60, 230, 9000, None),
            ("CXZ-MQ-100", 1, 25, 230, 17000, None),
            ("CXZ-YQ-100", 2, 150, 210, 5500, None),
            ("CXZ-YQ-250", 1, 8, 210, 12500, None),
        ],
    }
}

fn tangqi() -> Shop {
    Shop {
        policy: policy(10_000, 13_000, false, 10),
        farmers: &[
            ("朱阿大", "塘栖镇丁山河村", true),
            ("孙月娥", "塘栖镇塘栖村", false),
        ],
        products: || {
            vec![
                json!({
                    "title": "塘栖鲜肉粽", "category": "zongzi", "storage": "frozen",
                    "description": "古镇老手艺包制，真空速冻，蒸煮即食。", "origin": "临平区塘栖镇",
                    "shelf_life_days": 180, "tags": ["粽子", "塘栖"], "status": "active",
                    "skus": [
                        sku("YY-ZZ-ROU-6", "鲜肉粽 6只装", "", "pack", 900, [3900, 3900], false),
                        sku("YY-ZZ-DS-6", "豆沙粽 6只装", "", "pack", 900, [3200, 3200], false),
                    ],
                }),
                json!({
                    "title": "塘栖板鸭", "category": "specialty", "storage": "chilled",
                    "description": "冬至前后腌晒，整只真空包装。", "origin": "临平区塘栖镇",
                    "shelf_life_days": 90, "tags": ["板鸭", "共富价"], "status": "active",
                    "skus": [sku("YY-BY-1", "板鸭 整只 约750克", "", "piece", 750, [6800, 5800], true)],
                }),
                json!({
                    "title": "塘栖茶糕", "category": "specialty", "storage": "ambient",
                    "description": "米粉蒸制的传统茶点。", "origin": "临平区塘栖镇",
                    "shelf_life_days": 7, "tags": ["茶糕", "糕点"], "status": "active",
                    "skus": [sku("YY-CG-10", "茶糕 10块装", "", "pack", 400, [1800, 1800], false)],
                }),
                json!({
                    "title": "枇杷叶茶", "category": "tea", "storage": "ambient",
                    "description": "塘栖枇杷叶晒制，润喉清肺。", "origin": "临平区塘栖镇",
                    "shelf_life_days": 365, "tags": ["枇杷", "花草茶"], "status": "active",
                    "skus": [sku("YY-PPY-100", "枇杷叶茶 100克", "", "pack", 100, [2600, 2600], false)],
                }),
            ]
        },
        lots: &[
            ("YY-ZZ-ROU-6", 1, 300, 10, 2000, None),
            ("YY-ZZ-DS-6", 1, 200, 10, 1600, None),
            ("YY-BY-1", 0, 40, 30, 3800, None),
            ("YY-CG-10", 0, 6, 1, 900, None),
            ("YY-PPY-100", 0, 80, 60, 1300, None),
        ],
    }
}

fn umbrellas() -> Shop {
    Shop {
        policy: policy(12_000, 12_500, false, 10),
        farmers: &[
            ("何建新", "南阳街道岩峰村", true),
            ("冯丽娟", "南阳街道南阳村", false),
        ],
        products: || {
            vec![
                json!({
                    "title": "南阳晴雨伞 共富款", "category": "umbrella", "storage": "ambient",
                    "description": "南阳伞业共富工坊出品，防晒防雨两用。", "origin": "萧山区南阳街道",
                    "tags": ["雨伞", "共富价"], "status": "active",
                    "images": ["https://img.gongfang.dev/nanyang/fold.jpg"],
                    "skus": [
                        sku("NY-SAN-ZD", "自动折叠伞", "", "piece", 380, [5900, 4800], true),
                        sku("NY-SAN-CB", "长柄直杆伞", "", "piece", 620, [7800, 6400], true),
                    ],
                }),
                json!({
                    "title": "手工油纸伞", "category": "umbrella", "storage": "ambient",
                    "description": "竹骨桐油纸面，可做礼品。", "origin": "萧山区南阳街道",
                    "tags": ["油纸伞", "手工"], "status": "active",
                    "skus": [sku("NY-YZS", "手工油纸伞 84厘米", "", "piece", 900, [16800, 16800], false)],
                }),
            ]
        },
        lots: &[
            ("NY-SAN-ZD", 0, 500, 15, 3000, Some(3650)),
            ("NY-SAN-CB", 1, 300, 15, 4000, Some(3650)),
            ("NY-YZS", 0, 20, 40, 9000, Some(3650)),
        ],
    }
}
