//! Conservation over a random mix of lots, sales, refunds and payouts in two
//! workshops: credits − reversals − payouts = Σ farmer balances, and Σ premium
//! shares = Σ premiums, to the fen.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::Value;

use super::fixtures::{Farm, cp_sku, farm, this_month};
use crate::helpers::json_of;

struct Shop {
    sku: i64,
    farmers: Vec<i64>,
    sold: Vec<(Value, i64)>,
}

#[tokio::test]
async fn credits_minus_reversals_minus_payouts_equal_balances_and_shares_equal_premiums() {
    let f = farm("80401").await;
    let other = f.app.workshop(&f.admin, "80402").await;
    let second = Farm {
        app: crate::helpers::spawn_peer(&f.app).await,
        admin: f.admin.clone(),
        sku: cp_sku(&f.app, other.id, 6999, 5700).await,
        shop: other,
    };
    let mut rng = StdRng::seed_from_u64(20261129);
    for (n, farm) in [&f, &second].into_iter().enumerate() {
        let mut shop = Shop {
            sku: farm.sku,
            farmers: Vec::new(),
            sold: Vec::new(),
        };
        for i in 0..3 {
            shop.farmers
                .push(farm.farmer(&format!("农户{i}"), i == 0).await);
        }
        let buyer = farm.app.shopper(&format!("1371234{n}100")).await;
        for _ in 0..30 {
            random_step(farm, &mut shop, &buyer, &mut rng).await;
        }
        check_conservation(farm, &shop).await;
    }
}

async fn random_step(f: &Farm, shop: &mut Shop, buyer: &(String, i64), rng: &mut StdRng) {
    let farmer = shop.farmers[rng.random_range(0..shop.farmers.len())];
    match rng.random_range(0..4) {
        0 => {
            let (units, floor) = (rng.random_range(1..8), rng.random_range(1500..4000));
            f.receive(shop.sku, farmer, units, floor).await;
        }
        1 => {
            let units = rng.random_range(1..4);
            let res = crate::orders::buy(&f.app, &buyer.0, buyer.1, shop.sku, units).await;
            if res.status() == StatusCode::CREATED {
                let order = json_of(res).await;
                crate::orders::pay(&f.app, &buyer.0, order["id"].as_i64().unwrap()).await;
                f.pick(order["id"].as_i64().unwrap()).await;
                shop.sold.push((order, units));
            }
        }
        2 => {
            if let Some((order, left)) = shop.sold.iter_mut().find(|(_, left)| *left > 0) {
                assert_eq!(f.refund(order, 1).await.status(), StatusCode::CREATED);
                *left -= 1;
            }
        }
        _ => {
            let amount = rng.random_range(1..20_000);
            let status = f.payout(farmer, amount, &f.shop.manager).await.status();
            assert!(status == StatusCode::CREATED || status == StatusCode::CONFLICT);
        }
    }
}

async fn check_conservation(f: &Farm, shop: &Shop) {
    let entries = f.entries().await;
    let farmer_sum = |kind: &str| -> i64 {
        entries
            .iter()
            .filter(|e| e.account == "farmer" && e.kind == kind)
            .map(|e| e.amount_fen)
            .sum()
    };
    let credits = farmer_sum("purchase") + farmer_sum("premium");
    let reversals = -farmer_sum("reversal");
    let payouts = -farmer_sum("payout");
    assert!(payouts > 0 && reversals > 0, "the mix exercised every path");
    let month = this_month();
    let res = f
        .app
        .get(
            &f.path(&format!("/ledger/statements?month={month}")),
            Some(&f.shop.manager),
        )
        .await;
    let statements = json_of(res).await;
    let mut balances: HashMap<i64, i64> = HashMap::new();
    for s in statements.as_array().unwrap() {
        let balance = s["balance_fen"].as_i64().unwrap();
        assert!(balance >= 0, "no farmer is overdrawn: {s}");
        balances.insert(s["farmer"]["id"].as_i64().unwrap(), balance);
    }
    assert_eq!(balances.len(), shop.farmers.len());
    assert_eq!(
        credits - reversals - payouts,
        balances.values().sum::<i64>()
    );

    let splits = f.sale_splits().await;
    assert!(!splits.is_empty());
    for s in &splits {
        assert_eq!(
            s.farmer_fen + s.collective_fen + s.workshop_fen,
            s.premium_fen
        );
    }
    let premiums: i64 = splits.iter().map(|s| s.premium_fen).sum();
    let shares: i64 = entries
        .iter()
        .filter(|e| e.kind == "premium" || e.kind == "reversal")
        .map(|e| e.amount_fen)
        .sum();
    assert_eq!(shares, premiums);
}
