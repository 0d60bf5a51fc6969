//! The demo seeds an open strawberry group-buy in Jiande and a settled zongzi one.

use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::{json_of, spawn_app};

#[tokio::test]
async fn the_demo_has_an_open_strawberry_campaign_and_a_settled_zongzi_one() {
    let app = spawn_app().await;
    gongfang::scaffold::demo::load(&app.state)
        .await
        .expect("demo loads");
    let near = json_of(
        app.get(
            "/api/v1/groupbuys/pickup-points/nearby?lat=29.47&lng=119.28&radius_m=3000",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        near.as_array().unwrap().len(),
        3,
        "three pickup points in Jiande"
    );

    let mut seen = Vec::new();
    for id in 1..=2 {
        let view = json_of(
            app.get(&format!("/api/v1/groupbuys/campaigns/{id}"), None)
                .await,
        )
        .await;
        let progress = json_of(
            app.get(&format!("/api/v1/groupbuys/campaigns/{id}/progress"), None)
                .await,
        )
        .await;
        println!(
            "demo campaign {id} {}: {} — base {} fen, tiers {}, units {} → price {} fen",
            view["title"],
            view["status"],
            view["items"][0]["base_price_fen"],
            view["items"][0]["tiers"],
            progress["units_sold"],
            progress["items"][0]["current_price_fen"]
        );
        seen.push(view["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, vec!["open", "succeeded"]);

    let res = app
        .login(
            &gongfang::scaffold::demo::staff_phone("003", 4),
            gongfang::scaffold::demo::DEMO_PASSWORD,
        )
        .await;
    let leader = crate::helpers::token_of(res).await;
    let me = json_of(app.get("/api/v1/me", Some(&leader)).await).await;
    let (leader_id, workshop) = (
        me["account"]["id"].as_i64().unwrap(),
        me["roles"][0]["workshop_id"].as_i64().unwrap(),
    );
    let month = Utc::now().format("%Y-%m");
    let res = app
        .get(
            &format!("/api/v1/workshops/{workshop}/groupbuys/leaders/{leader_id}/commission?month={month}"),
            Some(&leader),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let statement = json_of(res).await;
    println!("demo commission of 吴团长: {statement}");
    assert_eq!(
        statement["rows"].as_array().unwrap().len(),
        1,
        "one order collected"
    );
    assert!(statement["total_fen"].as_i64().unwrap() > 0);
}
