//! A cancelled pick wave reverses what is left of its sales (after any
//! refund), so the order's sale counts once when a new wave picks it again.

use gongfang::ledger::split::split_fen;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fixtures::{MARKET, PRICE, farm};
use crate::helpers::json_of;

fn sum(splits: &[Value], field: &str) -> i64 {
    splits.iter().map(|s| s[field].as_i64().unwrap()).sum()
}

#[tokio::test]
async fn a_cancelled_wave_nets_its_sales_to_zero_and_the_next_wave_counts_once() {
    let f = farm("80301").await;
    let farmer = f.farmer("王大伯", true).await;
    let lot = f.receive(f.sku, farmer, 10, 3000).await;
    let buyer = f.app.shopper("13712350001").await;
    let order = f.sell(&buyer, f.sku, 3).await;
    let order_id = order["id"].as_i64().unwrap();
    let res = f.refund(&order, 1).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let res = f.app.get(&f.path("/waves"), Some(&f.shop.fulfilment)).await;
    let wave_id = json_of(res).await["items"][0]["id"].as_i64().unwrap();

    let res = f
        .app
        .post(
            &f.path(&format!("/waves/{wave_id}/cancel")),
            Some(&f.shop.fulfilment),
            &json!({"reason": "车没来"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let splits = f.splits(order_id).await;
    assert_eq!(
        splits.len(),
        3,
        "sale, refund reversal, wave reversal: {splits:?}"
    );
    let undo = &splits[2];
    assert_eq!(undo["kind"], "reversal");
    assert_eq!(undo["reverses_id"], splits[0]["id"]);
    assert!(undo["refund_id"].is_null());
    assert_eq!(undo["units"], -2, "the refund already reversed one unit");
    for field in [
        "units",
        "revenue_fen",
        "cost_fen",
        "premium_fen",
        "farmer_fen",
        "collective_fen",
        "workshop_fen",
    ] {
        assert_eq!(sum(&splits, field), 0, "{field} nets to zero");
    }
    let statement = json_of(f.statement(farmer, &f.shop.manager).await).await;
    assert_eq!(statement["premium_fen"], statement["reversals_fen"]);
    assert_eq!(statement["owed_fen"], 30_000, "the purchase only");
    let lot_id = lot["id"].as_i64().unwrap();
    let res = f
        .app
        .get(&f.path(&format!("/lots/{lot_id}")), Some(&f.shop.manager))
        .await;
    assert_eq!(json_of(res).await["remaining"], 10);

    // A new wave picks the two units still sold, and the ledger counts them once.
    f.pick(order_id).await;
    let splits = f.splits(order_id).await;
    assert_eq!(splits.len(), 4);
    assert_eq!(sum(&splits, "units"), 2);
    let premium = 2 * (PRICE - MARKET);
    assert_eq!(sum(&splits, "premium_fen"), premium);
    let farmer_share = split_fen(premium, [7000, 2000, 1000])[0];
    assert_eq!(sum(&splits, "farmer_fen"), farmer_share);
    let statement = json_of(f.statement(farmer, &f.shop.manager).await).await;
    assert_eq!(statement["owed_fen"], 30_000 + farmer_share);
    assert_eq!(statement["balance_fen"], 30_000 + farmer_share);
    let credited: i64 = f.entries().await.iter().map(|e| e.amount_fen).sum();
    assert_eq!(credited, 30_000 + premium, "every account nets to one sale");
}
