//! Payouts never exceed a farmer's balance, even when recorded concurrently;
//! only managers record them and see farmers' phone and settlement reference.

use futures_util::future::join_all;
use reqwest::StatusCode;

use super::fixtures::farm;
use crate::helpers::{assert_problem, json_of};

#[tokio::test]
async fn a_payout_over_the_balance_is_refused() {
    let f = farm("80301").await;
    let farmer = f.farmer("王大伯", true).await;
    f.receive(f.sku, farmer, 10, 3000).await;
    let res = f.payout(farmer, 30_001, &f.shop.manager).await;
    assert_problem(res, StatusCode::CONFLICT, "payout_exceeds_balance").await;
    let res = f.payout(farmer, 30_000, &f.shop.manager).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_of(res).await["balance_fen"], 0);
    let res = f.payout(farmer, 1, &f.shop.manager).await;
    assert_problem(res, StatusCode::CONFLICT, "payout_exceeds_balance").await;
}

#[tokio::test]
async fn concurrent_payouts_never_overdraw_a_balance() {
    let f = farm("80302").await;
    let farmer = f.farmer("王大伯", true).await;
    f.receive(f.sku, farmer, 10, 3000).await; // balance 30000
    let attempts = (0..12).map(|_| f.payout(farmer, 7_000, &f.shop.manager));
    let results = join_all(attempts).await;
    let created = results
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    let refused = results
        .iter()
        .filter(|r| r.status() == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, refused), (4, 8));
    let statement = json_of(f.statement(farmer, &f.shop.manager).await).await;
    assert_eq!(statement["paid_fen"], 28_000);
    assert_eq!(statement["balance_fen"], 2_000);
}

#[tokio::test]
async fn non_managers_neither_see_farmers_private_data_nor_record_payouts() {
    let f = farm("80303").await;
    let farmer = f.farmer("王大伯", true).await;
    f.receive(f.sku, farmer, 10, 3000).await;
    for token in [&f.shop.streamer, &f.shop.fulfilment, &f.shop.leader] {
        let res = f.payout(farmer, 100, token).await;
        assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
        let statement = json_of(f.statement(farmer, token).await).await;
        assert_eq!(statement["balance_fen"], 30_000);
        assert!(statement["farmer"].get("phone").is_none());
        assert!(statement["farmer"].get("settlement_ref").is_none());
        let all = f
            .app
            .get(&f.path("/ledger/statements.csv"), Some(token))
            .await
            .text()
            .await
            .unwrap();
        assert!(!all.contains("13900009999") && !all.contains("6230-0001"));
    }
    let statement = json_of(f.statement(farmer, &f.shop.manager).await).await;
    assert_eq!(statement["farmer"]["phone"], "13900009999");
    let customer = f.app.customer("13712340009").await;
    let res = f.statement(farmer, &customer).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = f.payout(farmer, 100, &customer).await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
}
