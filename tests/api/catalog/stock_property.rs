//! Property: after any seeded random sequence of lot receipts, adjustments,
//! lot spoilage and write-offs, every SKU's on_hand equals the sum of its
//! movements, and equals what a simple model of the rules predicts.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fixtures::{
    adjust, assert_ledger_balances, create_farmer, create_product, days_ago, days_ahead, id,
    product_body, receive, sku_body,
};
use crate::helpers::{TestApp, Workshop, json_of, spawn_app};

/// What the test expects of one SKU: on_hand and its open lots.
#[derive(Default)]
struct Model {
    on_hand: i64,
    /// (lot id, remaining, expired)
    lots: Vec<(i64, i64, bool)>,
}

#[tokio::test]
async fn on_hand_always_equals_the_sum_of_movements() {
    for seed in [7, 2026] {
        run(seed).await;
    }
}

async fn run(seed: u64) {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let shop = app.workshop(&admin, &format!("34{:03}", seed % 1000)).await;
    let mut body = product_body("红颜草莓", 5800);
    body["skus"] = json!([
        sku_body(5800, 5800, false),
        sku_body(6000, 5000, true),
        sku_body(3000, 3000, false)
    ]);
    let product = create_product(&app, &shop, &body).await;
    let skus: Vec<i64> = product["skus"].as_array().unwrap().iter().map(id).collect();
    let farmers = [
        create_farmer(&app, &shop, "王大伯", true).await,
        create_farmer(&app, &shop, "李阿姨", false).await,
    ];
    let mut models: Vec<Model> = skus.iter().map(|_| Model::default()).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    for step in 0..80 {
        let i = rng.random_range(0..skus.len());
        match rng.random_range(0..10) {
            0..=3 => {
                let units = rng.random_range(1..=60);
                let expired = rng.random_bool(0.4);
                let expiry = if expired { days_ago(1) } else { days_ahead(10) };
                let farmer = farmers[rng.random_range(0..farmers.len())];
                let res = receive(&app, &shop, skus[i], farmer, units, &expiry).await;
                assert_eq!(res.status(), StatusCode::CREATED, "step {step}");
                models[i].on_hand += units;
                models[i]
                    .lots
                    .push((id(&json_of(res).await), units, expired));
            }
            4..=6 => {
                let drawn = rng.random_range(-40..40_i64);
                let delta = if drawn >= 0 { drawn + 1 } else { drawn };
                let res = adjust(&app, &shop, skus[i], "count_correction", delta).await;
                expect(res, models[i].on_hand + delta >= 0, step).await;
                if models[i].on_hand + delta >= 0 {
                    models[i].on_hand += delta;
                }
            }
            7..=8 => spoil_from_a_lot(&app, &shop, skus[i], &mut models[i], &mut rng, step).await,
            _ => write_off(&app, &shop, &mut models, step).await,
        }
    }
    for (sku_id, model) in skus.iter().zip(&models) {
        assert_eq!(
            assert_ledger_balances(&app, &shop, *sku_id).await,
            model.on_hand
        );
    }
}

async fn spoil_from_a_lot(
    app: &TestApp,
    shop: &Workshop,
    sku_id: i64,
    model: &mut Model,
    rng: &mut StdRng,
    step: usize,
) {
    let open: Vec<usize> = (0..model.lots.len())
        .filter(|&k| model.lots[k].1 > 0)
        .collect();
    if open.is_empty() {
        return;
    }
    let k = open[rng.random_range(0..open.len())];
    let units = rng.random_range(1..=model.lots[k].1);
    let body = json!({"kind": "spoilage", "quantity": -units, "reason": "霉变", "lot_id": model.lots[k].0});
    let path = format!("/api/v1/workshops/{}/skus/{sku_id}/adjustments", shop.id);
    let res = app.post(&path, Some(&shop.manager), &body).await;
    let allowed = model.on_hand >= units;
    expect(res, allowed, step).await;
    if allowed {
        model.on_hand -= units;
        model.lots[k].1 -= units;
    }
}

/// All or nothing: refused if any SKU holds fewer units than its expired lots.
async fn write_off(app: &TestApp, shop: &Workshop, models: &mut [Model], step: usize) {
    let expired = |m: &Model| -> i64 { m.lots.iter().filter(|l| l.2).map(|l| l.1).sum() };
    let allowed = models.iter().all(|m| m.on_hand >= expired(m));
    let path = format!("/api/v1/workshops/{}/lots/write-off-expired", shop.id);
    let res = app.post(&path, Some(&shop.manager), &json!({})).await;
    let expected_units: i64 = models.iter().map(expired).sum();
    let status = res.status();
    let body: Value = json_of(res).await;
    if !allowed {
        assert_eq!(status, StatusCode::CONFLICT, "step {step}: {body}");
        return;
    }
    assert_eq!(status, StatusCode::OK, "step {step}: {body}");
    assert_eq!(body["units"], expected_units, "step {step}");
    for model in models.iter_mut() {
        model.on_hand -= expired(model);
        for lot in model.lots.iter_mut().filter(|l| l.2) {
            lot.1 = 0;
        }
    }
}

async fn expect(res: reqwest::Response, allowed: bool, step: usize) {
    let status = res.status();
    let body = json_of(res).await;
    if allowed {
        assert_eq!(status, StatusCode::CREATED, "step {step}: {body}");
    } else {
        assert_eq!(status, StatusCode::CONFLICT, "step {step}: {body}");
        assert_eq!(body["code"], "stock_below_reserved");
    }
}
