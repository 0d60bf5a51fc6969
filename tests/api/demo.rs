//! The demo month of 莓好集市 and 茶仙子 is believable and consistent: sales
//! through every channel, broadcasts with viewers, households paid, and every
//! order past `paid` picked from lots so the ledger split it.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{json_of, spawn_app, token_of};

#[tokio::test]
async fn the_demo_month_sells_through_every_channel_and_the_ledger_splits_every_picked_order() {
    let app = spawn_app().await;
    gongfang::scaffold::demo::load(&app.state)
        .await
        .expect("demo loads");
    for (workshop, code, farmers) in [(1, "001", 5), (2, "002", 3)] {
        let login = app
            .login(
                &gongfang::scaffold::demo::staff_phone(code, 1),
                gongfang::scaffold::demo::DEMO_PASSWORD,
            )
            .await;
        let manager = token_of(login).await;
        let path = format!("/api/v1/workshops/{workshop}/reports/summary");
        let report = json_of(app.get(&path, Some(&manager)).await).await;
        println!(
            "{}: {} buyers {} live {} households {} premium {}",
            report["workshop_name"],
            report["totals"],
            report["unique_buyers"],
            report["live"],
            report["households"],
            report["premium"]
        );
        let totals = &report["totals"];
        assert!(totals["orders"].as_i64().unwrap() >= 140, "{totals}");
        assert!(totals["net_fen"].as_i64().unwrap() < totals["gmv_fen"].as_i64().unwrap());
        assert!(report["unique_buyers"].as_i64().unwrap() >= 30);
        for channel in report["channels"].as_array().unwrap() {
            assert!(channel["orders"].as_i64().unwrap() > 0, "{channel}");
        }
        let live = &report["live"];
        assert!(live["broadcasts"].as_i64().unwrap() >= 6, "{live}");
        let (total, peak) = (
            live["total_viewers"].as_i64().unwrap(),
            live["peak_viewers"].as_i64().unwrap(),
        );
        assert!(total >= 1_000 && peak > 0 && peak < total, "{live}");
        assert_eq!(report["households"]["supplying"], farmers);
        assert!(report["premium"]["total_fen"].as_i64().unwrap() > 0);
        assert!(report["premium"]["reversed_fen"].as_i64().unwrap() > 0);
        assert!(!report["leader_commissions"].as_array().unwrap().is_empty());
        let claimed: i64 = report["after_sales_by_farmer"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["units_claimed"].as_i64().unwrap())
            .sum();
        assert_eq!(claimed, 1, "one after-sales claim");
    }

    // Every order that left `paid` for fulfilment was picked from lots, and
    // each allocation has its sale split.
    use gongfang::entity::{order, pick_allocation, sale_split};
    let db = &app.state.db;
    let picked = order::Entity::find()
        .filter(order::Column::Status.is_in([
            "picking",
            "packed",
            "shipped",
            "delivered",
            "completed",
        ]))
        .all(db)
        .await
        .unwrap();
    assert!(picked.len() > 300, "{} picked orders", picked.len());
    let allocated: HashSet<i64> = pick_allocation::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|a| a.order_id)
        .collect();
    let split: HashSet<i64> = sale_split::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|s| s.order_id)
        .collect();
    for o in &picked {
        assert!(allocated.contains(&o.id), "order {} has no lots", o.id);
        assert!(split.contains(&o.id), "order {} has no sale split", o.id);
    }
}
