//! The premium split on every sale, to the fen: cost, premium and shares per
//! lot; odd amounts over three destinations lose nothing; refunds reverse;
//! rows can be neither updated nor deleted.

use gongfang::ledger::split::split_fen;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use super::fixtures::{MARKET, PRICE, cp_sku, farm};
use super::purchases::put;

#[tokio::test]
async fn each_lot_of_a_sale_is_split_into_cost_premium_and_shares_to_the_fen() {
    let f = farm("80201").await;
    let (a, b) = (
        f.farmer("王大伯", true).await,
        f.farmer("李阿姨", false).await,
    );
    f.receive(f.sku, a, 2, 3000).await;
    f.receive(f.sku, b, 10, 3100).await;
    let buyer = f.app.shopper("13712340001").await;
    let order = f.sell(&buyer, f.sku, 3).await;
    let splits = f.splits(order["id"].as_i64().unwrap()).await;
    assert_eq!(splits.len(), 2, "two lots, FEFO: {splits:?}");
    let premium_per_unit = PRICE - MARKET;
    for (split, (farmer, units, cost)) in splits.iter().zip([(a, 2, 3000), (b, 1, 3100)]) {
        assert_eq!(split["farmer_id"], farmer);
        assert_eq!(split["units"], units);
        assert_eq!(split["revenue_fen"], PRICE * units);
        assert_eq!(split["cost_fen"], cost * units);
        let premium = premium_per_unit * units;
        assert_eq!(split["premium_fen"], premium);
        let [fa, co, wo] = split_fen(premium, [7000, 2000, 1000]);
        assert_eq!(split["farmer_fen"], fa);
        assert_eq!(split["collective_fen"], co);
        assert_eq!(split["workshop_fen"], wo);
    }
    let farmer_a = f.statement(a, &f.shop.manager).await;
    let statement = crate::helpers::json_of(farmer_a).await;
    assert_eq!(
        statement["premium_fen"],
        split_fen(2 * 1200, [7000, 2000, 1000])[0]
    );
}

#[tokio::test]
async fn an_odd_premium_over_three_equal_destinations_assigns_every_fen() {
    let f = farm("80202").await;
    let odd = cp_sku(&f.app, f.shop.id, 5601, 5000).await; // 601 fen premium per unit
    let rule = json!({"farmer_bp": 3334, "collective_bp": 3333, "workshop_bp": 3333});
    assert_eq!(
        put(&f, &rule, &f.shop.manager).await.status(),
        StatusCode::OK
    );
    let farmer = f.farmer("王大伯", true).await;
    f.receive(odd, farmer, 5, 2000).await;
    let buyer = f.app.shopper("13712340002").await;
    let order = f.sell(&buyer, odd, 1).await;
    let split = &f.splits(order["id"].as_i64().unwrap()).await[0];
    assert_eq!(split["premium_fen"], 601);
    assert_eq!(split["farmer_fen"], 201);
    assert_eq!(split["collective_fen"], 200);
    assert_eq!(split["workshop_fen"], 200);
    let credited: i64 = f
        .entries()
        .await
        .iter()
        .filter(|e| e.kind == "premium")
        .map(|e| e.amount_fen)
        .sum();
    assert_eq!(credited, 601);
}

#[tokio::test]
async fn refunds_write_reversing_rows_that_cancel_the_sale_exactly() {
    let f = farm("80203").await;
    let odd = cp_sku(&f.app, f.shop.id, 5607, 5000).await; // 607 per unit
    let farmer = f.farmer("王大伯", true).await;
    f.receive(odd, farmer, 10, 2000).await;
    let buyer = f.app.shopper("13712340003").await;
    let order = f.sell(&buyer, odd, 3).await;
    for _ in 0..3 {
        assert_eq!(f.refund(&order, 1).await.status(), StatusCode::CREATED);
    }
    let splits = f.splits(order["id"].as_i64().unwrap()).await;
    assert_eq!(splits.len(), 4, "one sale, three reversals");
    for field in [
        "units",
        "revenue_fen",
        "premium_fen",
        "farmer_fen",
        "collective_fen",
        "workshop_fen",
    ] {
        let net: i64 = splits.iter().map(|s| s[field].as_i64().unwrap()).sum();
        assert_eq!(net, 0, "{field} nets to zero");
    }
    let premium_net: i64 = f
        .entries()
        .await
        .iter()
        .filter(|e| e.kind == "premium" || e.kind == "reversal")
        .map(|e| e.amount_fen)
        .sum();
    assert_eq!(premium_net, 0);
    let statement = crate::helpers::json_of(f.statement(farmer, &f.shop.manager).await).await;
    assert_eq!(statement["reversals_fen"], statement["premium_fen"]);
    assert_eq!(statement["balance_fen"], 20_000);
}

#[tokio::test]
async fn ledger_rows_can_be_neither_updated_nor_deleted() {
    let f = farm("80204").await;
    let farmer = f.farmer("王大伯", true).await;
    f.receive(f.sku, farmer, 5, 3000).await;
    let buyer = f.app.shopper("13712340004").await;
    f.sell(&buyer, f.sku, 1).await;
    let db = &f.app.state.db;
    for sql in [
        "UPDATE ledger_entries SET amount_fen = amount_fen + 1",
        "DELETE FROM ledger_entries",
        "UPDATE sale_splits SET premium_fen = 0",
        "DELETE FROM sale_splits",
    ] {
        let result = db
            .execute_raw(Statement::from_string(db.get_database_backend(), sql))
            .await;
        let err = result.expect_err(sql).to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(
        f.entries().await.len(),
        4,
        "purchase and three shares remain"
    );
    assert_eq!(f.sale_splits().await.len(), 1);
}
