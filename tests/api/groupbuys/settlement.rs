//! Settlement: tier differences refunded once, failure refunds everyone,
//! joins racing the cut-off, and two instances settling at once.

use std::collections::HashSet;

use futures_util::future::join_all;
use gongfang::entity::{groupbuy_campaign, outbox, refund};
use gongfang::groupbuys::settlement::settle_due;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::support::*;
use crate::helpers::{TestApp, assert_problem, json_of, spawn_app, spawn_app_with, spawn_peer};

#[tokio::test]
async fn a_successful_campaign_refunds_the_tier_difference_and_gives_pickup_codes() {
    let app = spawn_app().await;
    let scene = scene(&app, "16201", 100).await;
    let (id, item) = open_campaign(&app, &scene, &campaign_body(&scene, 40, 5)).await;
    let mut buyers = Vec::new();
    for n in 0..5 {
        let (token, _) = app.shopper(&format!("1382010000{n}")).await;
        let point = scene.points[n % 3];
        let order = join_and_pay(&app, &token, id, item, 4, point).await;
        buyers.push((token, order));
    }
    let (late, _) = app.shopper("13820100009").await;
    let unpaid = json_of(join(&app, &late, id, item, 2, scene.points[0]).await).await["id"]
        .as_i64()
        .unwrap();
    let calls = app.state.payments.sandbox_refund_calls();

    let view = cut_off(&app, &scene, id).await;
    assert_eq!(view["status"], "succeeded");
    assert_eq!(view["items"][0]["units_paid"], 20);
    assert_eq!(
        view["items"][0]["final_price_fen"], 3490,
        "20 units reach the ¥34.90 tier"
    );
    assert_eq!(
        app.state.payments.sandbox_refund_calls() - calls,
        5,
        "one refund per buyer"
    );
    let mut codes = HashSet::new();
    for (token, order) in &buyers {
        let mine = my_order(&app, token, *order).await;
        assert_eq!(mine["status"], "paid");
        assert_eq!(mine["paid_fen"], 4 * 4990);
        assert_eq!(mine["refunded_fen"], 4 * (4990 - 3490));
        assert_eq!(mine["lines"][0]["unit_price_fen"], 3490);
        let code = mine["pickup_code"].as_str().unwrap().to_owned();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
        assert!(
            codes.insert((mine["pickup_point_id"].as_i64(), code)),
            "unique per point and day"
        );
    }
    assert_eq!(my_order(&app, &late, unpaid).await["status"], "cancelled");
    let (paid, refunded, units) = assert_money_balances(&app, id).await;
    println!(
        "worked example: base 4990, tiers >=10: 3990, >=20: 3490; 5 buyers x 4 units paid {paid}, \
         refunded {refunded} (5 x 6000), kept {} = {units} units x 3490",
        paid - refunded
    );
    let stock = app.stock(scene.sku).await;
    assert_eq!(
        (stock.on_hand, stock.reserved),
        (80, 0),
        "unsold and unpaid units are back"
    );
    assert_eq!(stock.on_hand, stock.movements);
    let events = event_count(&app, "groupbuy.succeeded").await;
    assert_eq!(events, 1);
    // Left to fulfilment's dispatch, which emits it when the order reaches the point.
    assert_eq!(event_count(&app, "order.ready_for_pickup").await, 0);
}

#[tokio::test]
async fn a_failed_campaign_refunds_everyone_in_full_and_returns_its_stock() {
    let app = spawn_app().await;
    let scene = scene(&app, "16202", 100).await;
    let (id, item) = open_campaign(&app, &scene, &campaign_body(&scene, 40, 30)).await;
    let mut orders = Vec::new();
    for n in 0..3 {
        let (token, _) = app.shopper(&format!("1382020000{n}")).await;
        orders.push((
            join_and_pay(&app, &token, id, item, 5, scene.points[0]).await,
            token,
        ));
    }
    let calls = app.state.payments.sandbox_refund_calls();
    pass_cut_off(&app, id).await;
    let view = settled(&app, id).await;
    assert_eq!(view["status"], "failed", "15 units < 30");
    assert_eq!(app.state.payments.sandbox_refund_calls() - calls, 3);
    for (order, token) in &orders {
        let mine = my_order(&app, token, *order).await;
        assert_eq!(mine["status"], "refunded");
        assert_eq!(mine["pickup_code"], serde_json::Value::Null);
    }
    let (paid, refunded, units) = assert_money_balances(&app, id).await;
    assert_eq!(
        (paid - refunded, units),
        (0, 0),
        "a failed campaign nets to zero"
    );
    let stock = app.stock(scene.sku).await;
    assert_eq!((stock.on_hand, stock.reserved), (100, 0));
    assert_eq!(stock.on_hand, stock.movements);
    assert_eq!(event_count(&app, "groupbuy.failed").await, 1);
    let res = app
        .post(
            &format!(
                "/api/v1/workshops/{}/groupbuys/campaigns/{id}/complete",
                scene.shop.id
            ),
            Some(&scene.shop.manager),
            &json!({}),
        )
        .await;
    assert_eq!(json_of(res).await["status"], "completed");
}

#[tokio::test]
async fn joins_racing_the_cut_off_are_refused_after_it_and_settled_before_it() {
    let app = spawn_app().await;
    let scene = scene(&app, "16203", 500).await;
    let mut body = campaign_body(&scene, 200, 5);
    body["per_buyer_limit"] = json!(2);
    let (id, item) = open_campaign(&app, &scene, &body).await;
    let mut shoppers = Vec::new();
    for n in 0..40 {
        shoppers.push(app.shopper(&format!("138203{n:05}")).await.0);
    }
    for token in &shoppers[..8] {
        join_and_pay(&app, token, id, item, 1, scene.points[0]).await;
    }
    let points = &scene.points;
    let joins = shoppers[8..].iter().enumerate().map(|(n, token)| {
        let app = &app;
        async move {
            let res = join(app, token, id, item, 2, points[n % 3]).await;
            let status = res.status();
            let body = json_of(res).await;
            if status == StatusCode::CREATED {
                let order = body["id"].as_i64().unwrap();
                try_pay(app, token, order).await;
                Some(order)
            } else {
                assert_eq!(status, StatusCode::CONFLICT, "{body}");
                assert_eq!(body["code"], "campaign_closed");
                None
            }
        }
    });
    // The cut-off lands once some of the racing joins are in, while the rest are in flight.
    let (accepted, view) = tokio::join!(join_all(joins), async {
        while joins_so_far(&app, id).await < 8 + 6 {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        cut_off(&app, &scene, id).await
    });
    assert_eq!(view["status"], "succeeded");
    let refused = 32 - accepted.iter().flatten().count();
    let res = join(&app, &shoppers[0], id, item, 1, scene.points[0]).await;
    assert_problem(res, StatusCode::CONFLICT, "campaign_closed").await;
    let accepted: Vec<i64> = accepted.into_iter().flatten().collect();
    let campaign = groupbuy_campaign::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let rows = joined_rows(&app, id).await;
    assert_eq!(
        rows.len(),
        8 + accepted.len(),
        "every accepted order joined the campaign"
    );
    assert_eq!(
        campaign.joins as usize,
        rows.len(),
        "no join slipped past the cut-off"
    );
    for row in &rows {
        assert!(
            row.settled_at.is_some(),
            "order {} was settled",
            row.order_id
        );
        let paid = row.settlement == "ready";
        assert_eq!(paid, row.pickup_code.is_some());
    }
    let (_, _, units) = assert_money_balances(&app, id).await;
    let view = super::support::campaign(&app, id).await;
    assert_eq!(view["items"][0]["units_paid"].as_i64().unwrap(), units);
    assert!(
        accepted.len() >= 6,
        "the cut-off came after some racing joins"
    );
    println!(
        "race: {} racing joins accepted before the cut-off, {refused} refused, {units} units settled",
        accepted.len()
    );
}

#[tokio::test]
async fn two_instances_settling_at_once_settle_once_with_one_set_of_refunds() {
    let app = spawn_app().await;
    let peer = spawn_peer(&app).await;
    let scene = scene(&app, "16204", 100).await;
    let (id, item) = open_campaign(&app, &scene, &campaign_body(&scene, 60, 5)).await;
    for n in 0..6 {
        let (token, _) = app.shopper(&format!("1382040000{n}")).await;
        join_and_pay(&app, &token, id, item, 4, scene.points[n % 3]).await;
    }
    let before = refund_calls(&app, &peer);
    pass_cut_off(&app, id).await;
    let runs = (0..4).map(|n| {
        let state = if n % 2 == 0 {
            app.state.clone()
        } else {
            peer.state.clone()
        };
        tokio::spawn(async move { settle_due(&state).await })
    });
    let finished: u64 = join_all(runs)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap_or(0))
        .sum();
    let view = settled(&app, id).await;
    assert_eq!(view["status"], "succeeded");
    assert!(
        finished <= 1,
        "at most one explicit run settled it (the jobs may have)"
    );
    assert_eq!(
        refund_calls(&app, &peer) - before,
        6,
        "one refund per buyer across both instances"
    );
    let refunds = refund::Entity::find().count(&app.state.db).await.unwrap();
    assert_eq!(refunds, 6);
    assert_eq!(event_count(&app, "groupbuy.succeeded").await, 1);
    assert_money_balances(&app, id).await;
}

async fn joins_so_far(app: &TestApp, id: i64) -> i64 {
    groupbuy_campaign::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .joins
}

fn refund_calls(app: &TestApp, peer: &TestApp) -> u64 {
    app.state.payments.sandbox_refund_calls() + peer.state.payments.sandbox_refund_calls()
}

async fn event_count(app: &TestApp, kind: &str) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::EventType.eq(kind))
        .count(&app.state.db)
        .await
        .unwrap()
}

/// Pays if the order can still be paid (the cut-off may have cancelled it).
async fn try_pay(app: &TestApp, token: &str, order: i64) {
    let res = app
        .post(
            &format!("/api/v1/orders/{order}/payments"),
            Some(token),
            &json!({}),
        )
        .await;
    if res.status() != StatusCode::CREATED {
        return;
    }
    let payment = json_of(res).await;
    let provider_ref = payment["provider_ref"].as_str().unwrap();
    let res = app
        .post(
            &format!("/api/v1/payments/sandbox/{provider_ref}/succeed"),
            Some(token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_settlement_stopped_mid_way_is_resumed_without_paying_anyone_twice() {
    let app = spawn_app_with(|s| s.groupbuys.settle_interval_ms = 3_600_000).await;
    let scene = scene(&app, "16205", 100).await;
    let (id, item) = open_campaign(&app, &scene, &campaign_body(&scene, 60, 5)).await;
    for n in 0..10 {
        let (token, _) = app.shopper(&format!("1382050000{n}")).await;
        join_and_pay(&app, &token, id, item, 2, scene.points[n % 3]).await;
    }
    pass_cut_off(&app, id).await;
    // A settler that dies (its task is dropped, as in a crash) after a few orders.
    let state = app.state.clone();
    let settler = tokio::spawn(async move { settle_due(&state).await });
    while settled_rows(&app, id).await < 3 && !settler.is_finished() {
        tokio::task::yield_now().await;
    }
    settler.abort();
    let _ = settler.await;
    let stopped_at = settled_rows(&app, id).await;
    // Its lease runs out; the next pass takes over and finishes.
    expire_lease(&app, id).await;
    assert_eq!(settle_due(&app.state).await.unwrap(), 1);
    let view = super::support::campaign(&app, id).await;
    assert_eq!(view["status"], "succeeded");
    assert_eq!(view["items"][0]["final_price_fen"], 3490);
    let refunds = refund::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(refunds.len(), 10, "one refund per buyer");
    assert_eq!(
        app.state.payments.sandbox_refund_calls(),
        10,
        "the provider paid each once"
    );
    assert_money_balances(&app, id).await;
    println!("resume: the first settler stopped after {stopped_at} of 10 orders");
}

async fn settled_rows(app: &TestApp, id: i64) -> usize {
    joined_rows(app, id)
        .await
        .iter()
        .filter(|r| r.settled_at.is_some())
        .count()
}

/// Moves the settler's lease into the past, as the clock would.
async fn expire_lease(app: &TestApp, id: i64) {
    use sea_orm::{ActiveModelTrait, Set};
    let row = groupbuy_campaign::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: groupbuy_campaign::ActiveModel = row.into();
    row.lease_until = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
    row.update(&app.state.db).await.unwrap();
}
