//! Real domain events: orders placed, paid and cancelled through the API reach
//! the partner as signed webhooks, in order per order.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{Fixture, Reply, fast, fixture};
use crate::fixtures::SkuSpec;
use crate::helpers::json_of;
use crate::orders::{buy, pay};

#[tokio::test]
async fn orders_placed_paid_and_cancelled_through_the_api_reach_the_partner_in_order() {
    let Fixture {
        app,
        shop,
        receiver,
        endpoint,
    } = fixture("19501", &["order.*"], fast).await;
    receiver.script([500, 503].map(Reply::status));
    let sku = app.sku(shop.id, SkuSpec::default()).await;
    let (token, address) = app.shopper("13800019501").await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        let res = buy(&app, &token, address, sku, 1).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        orders.push(json_of(res).await["id"].as_i64().unwrap());
    }
    for order in &orders {
        pay(&app, &token, *order).await;
    }
    let cancel = format!("/api/v1/orders/{}/cancel", orders[0]);
    let res = app.post(&cancel, Some(&token), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);

    // What the workshop's event list says was raised, per resource, in id order.
    let events = app
        .get(
            &format!("/api/v1/workshops/{}/events?limit=100", shop.id),
            Some(&shop.manager),
        )
        .await;
    let events = json_of(events).await["items"].as_array().unwrap().clone();
    let resource: HashMap<i64, String> = events
        .iter()
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["resource_key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut expected: HashMap<&str, Vec<i64>> = HashMap::new();
    for e in events.iter().rev() {
        let key = e["resource_key"].as_str().unwrap();
        expected
            .entry(key)
            .or_default()
            .push(e["id"].as_i64().unwrap());
    }
    assert_eq!(expected.len(), 3);
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for wanted in ["order.created", "order.paid"] {
        assert_eq!(
            types.iter().filter(|t| **t == wanted).count(),
            3,
            "{types:?}"
        );
    }

    let accepted = receiver
        .wait_accepted(events.len(), Duration::from_secs(15))
        .await;
    assert_eq!(accepted.len(), events.len());
    let mut arrived: HashMap<&str, Vec<i64>> = HashMap::new();
    for request in &accepted {
        assert!(request.verifies_with(&endpoint.secret, &request.body));
        let id = request.event_id();
        arrived.entry(resource[&id].as_str()).or_default().push(id);
    }
    assert_eq!(arrived, expected);
}
