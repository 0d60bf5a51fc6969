//! Workshop reports equal a direct recomputation from the fixture's orders,
//! live sessions and ledger; CSV has a BOM and the documented columns; the
//! platform overview is for platform admins.

use chrono::Utc;
use gongfang::entity::{leader_commission, live_session, order, order_line};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;

use super::fixtures::{Farm, farm, this_month};
use crate::helpers::{assert_problem, json_of};

/// Orders through every channel: storefront orders bought over the API,
/// some then attributed to a live session, a flash deal or a campaign.
pub async fn sales_fixture(f: &Farm) -> Vec<i64> {
    let (a, b) = (
        f.farmer("王大伯", true).await,
        f.farmer("李阿姨", false).await,
    );
    f.receive(f.sku, a, 20, 3000).await;
    f.receive(f.sku, b, 20, 3200).await;
    let session = live_session(f, 40, 25).await;
    live_session(f, 10, 8).await;
    let mut ids = Vec::new();
    let mut buyers = Vec::new();
    for n in 0..4 {
        buyers.push(f.app.shopper(&format!("1371235000{n}")).await);
    }
    for (n, units) in [1, 2, 3, 1, 2, 4].into_iter().enumerate() {
        let order = f.sell(&buyers[n % 4], f.sku, units).await;
        let id = order["id"].as_i64().unwrap();
        attribute(f, id, n, session).await;
        ids.push(id);
        if n == 2 {
            assert_eq!(f.refund(&order, 1).await.status(), StatusCode::CREATED);
        }
    }
    ids
}

async fn live_session(f: &Farm, unique: i64, peak: i64) -> i64 {
    let now = Utc::now();
    live_session::ActiveModel {
        workshop_id: Set(f.shop.id),
        streamer_account_id: Set(1),
        created_by: Set(1),
        title: Set("草莓现摘".into()),
        cover_url: Set(String::new()),
        description: Set(String::new()),
        status: Set("ended".into()),
        scheduled_start_at: Set(now),
        started_at: Set(Some(now)),
        ended_at: Set(Some(now)),
        explaining_item_id: Set(None),
        peak_viewers: Set(peak),
        unique_viewers: Set(unique),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&f.app.state.db)
    .await
    .unwrap()
    .id
}

async fn attribute(f: &Farm, order_id: i64, n: usize, session: i64) {
    let row = order::Entity::find_by_id(order_id)
        .one(&f.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: order::ActiveModel = row.into();
    match n % 4 {
        1 => active.live_session_id = Set(Some(session)),
        2 => {
            active.live_session_id = Set(Some(session));
            active.deal_id = Set(Some(9001));
        }
        3 => active.campaign_id = Set(Some(9002)),
        _ => return,
    }
    active.update(&f.app.state.db).await.unwrap();
}

fn channel(o: &order::Model) -> &'static str {
    match (o.deal_id, o.campaign_id, o.live_session_id) {
        (Some(_), _, _) => "flash_deal",
        (None, Some(_), _) => "group_buy",
        (None, None, Some(_)) => "live",
        _ => "storefront",
    }
}

#[tokio::test]
async fn report_figures_equal_a_direct_recomputation_from_the_orders() {
    let f = farm("80501").await;
    sales_fixture(&f).await;
    let db = &f.app.state.db;
    let orders = order::Entity::find()
        .filter(order::Column::WorkshopId.eq(f.shop.id))
        .all(db)
        .await
        .unwrap();
    let paid: Vec<_> = orders.iter().filter(|o| o.paid_at.is_some()).collect();
    let res = f
        .app
        .get(
            &f.path(&format!("/reports/summary?month={}", this_month())),
            Some(&f.shop.manager),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let report = json_of(res).await;

    let gmv: i64 = paid.iter().map(|o| o.paid_fen).sum();
    let net: i64 = paid.iter().map(|o| o.paid_fen - o.refunded_fen).sum();
    assert_eq!(report["totals"]["gmv_fen"], gmv);
    assert_eq!(report["totals"]["net_fen"], net);
    assert_eq!(report["totals"]["orders"], paid.len());
    assert_eq!(report["unique_buyers"], 4);
    let mut units_total = 0;
    for c in report["channels"].as_array().unwrap() {
        let name = c["channel"].as_str().unwrap();
        let mine: Vec<_> = paid.iter().filter(|o| channel(o) == name).collect();
        assert_eq!(c["orders"], mine.len(), "{name}");
        assert_eq!(c["gmv_fen"], mine.iter().map(|o| o.paid_fen).sum::<i64>());
        let units = units_of(&f, &mine).await;
        assert_eq!(c["units"], units, "{name}");
        units_total += units;
    }
    assert_eq!(report["totals"]["units"], units_total);
    assert_eq!(units_total, 13 - 1);
    assert_eq!(report["categories"][0]["category"], "strawberry");
    assert_eq!(report["categories"][0]["units"], 12);
    assert_eq!(report["categories"][0]["sales_fen"], 12 * 6800);
    assert_eq!(report["live"]["broadcasts"], 2);
    assert_eq!(report["live"]["total_viewers"], 50);
    assert_eq!(report["live"]["peak_viewers"], 25);
    check_households(&f, &report).await;
}

#[tokio::test]
async fn leader_commissions_are_summed_per_leader_net_of_reversals() {
    let f = farm("80505").await;
    let leader =
        json_of(f.app.get("/api/v1/me", Some(&f.shop.leader)).await).await["account"]["id"]
            .as_i64()
            .unwrap();
    for amount in [500, 320, -100] {
        commission(&f, leader, amount).await;
    }
    let res = f
        .app
        .get(
            &f.path(&format!("/reports/summary?month={}", this_month())),
            Some(&f.shop.manager),
        )
        .await;
    let report = json_of(res).await;
    let row = &report["leader_commissions"][0];
    assert_eq!(row["leader_id"], leader);
    assert_eq!(row["accrued_fen"], 820);
    assert_eq!(row["reversed_fen"], 100);
    assert_eq!(row["net_fen"], 720);
}

async fn commission(f: &Farm, leader: i64, amount: i64) {
    leader_commission::ActiveModel {
        workshop_id: Set(f.shop.id),
        leader_id: Set(leader),
        pickup_point_id: Set(1),
        campaign_id: Set(1),
        order_id: Set(1),
        kind: Set(if amount > 0 { "accrual" } else { "reversal" }.into()),
        base_fen: Set(amount.abs() * 10),
        rate_bps: Set(1000),
        amount_fen: Set(amount),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&f.app.state.db)
    .await
    .unwrap();
}

async fn units_of(f: &Farm, orders: &[&&order::Model]) -> i64 {
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(ids))
        .all(&f.app.state.db)
        .await
        .unwrap()
        .iter()
        .map(|l| i64::from(l.quantity - l.refunded_quantity))
        .sum()
}

async fn check_households(f: &Farm, report: &Value) {
    let entries = f.entries().await;
    let income: i64 = entries
        .iter()
        .filter(|e| e.account == "farmer" && e.kind != "payout")
        .map(|e| e.amount_fen)
        .sum();
    let h = &report["households"];
    assert_eq!(h["supplying"], 2);
    assert_eq!(h["low_income_supplying"], 1);
    assert_eq!(h["income_fen"], income);
    assert_eq!(h["avg_monthly_income_per_household_fen"], income / 2);
    let splits = f.sale_splits().await;
    let premium: i64 = splits
        .iter()
        .filter(|s| s.premium_fen > 0)
        .map(|s| s.premium_fen)
        .sum();
    assert_eq!(report["premium"]["total_fen"], premium);
    let net_shares: i64 = ["farmer_fen", "collective_fen", "workshop_fen"]
        .iter()
        .map(|k| report["premium"][k].as_i64().unwrap())
        .sum();
    let reversed = report["premium"]["reversed_fen"].as_i64().unwrap();
    assert!(reversed > 0);
    assert_eq!(net_shares, premium - reversed);
    let picked: i64 = splits
        .iter()
        .filter(|s| s.kind == "sale")
        .map(|s| s.units)
        .sum();
    let after_sales = report["after_sales_by_farmer"].as_array().unwrap();
    let sold: i64 = after_sales
        .iter()
        .map(|a| a["units_sold"].as_i64().unwrap())
        .sum();
    assert_eq!(sold, picked);
    assert!(
        after_sales
            .iter()
            .all(|a| a["units_claimed"] == 0 && a["rate_bp"] == 0)
    );
}

#[tokio::test]
async fn reports_come_as_csv_with_a_bom_and_the_documented_columns() {
    let f = farm("80502").await;
    sales_fixture(&f).await;
    let month = this_month();
    let res = f
        .app
        .get(
            &f.path(&format!("/reports/summary.csv?month={month}")),
            Some(&f.shop.manager),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let body = text.strip_prefix('\u{FEFF}').expect("UTF-8 BOM");
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("period,section,key,metric,value"));
    let report = json_of(
        f.app
            .get(
                &f.path(&format!("/reports/summary?month={month}")),
                Some(&f.shop.manager),
            )
            .await,
    )
    .await;
    let gmv_row = format!("{month},totals,,gmv_fen,{}", report["totals"]["gmv_fen"]);
    assert!(body.lines().any(|l| l == gmv_row), "{body}");

    let res = f
        .app
        .get(
            &f.path(&format!("/ledger/statements.csv?month={month}")),
            Some(&f.shop.manager),
        )
        .await;
    let text = res.text().await.unwrap();
    let header = text
        .strip_prefix('\u{FEFF}')
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert_eq!(header, gongfang::ledger::export::HEADER.join(","));
    assert!(header.starts_with("month,farmer_id,farmer,village,low_income,phone,settlement_ref"));
    assert_eq!(text.lines().count(), 3, "a header and two farmers");
}

#[tokio::test]
async fn charts_are_svg_and_the_platform_overview_is_for_admins_only() {
    let f = farm("80503").await;
    sales_fixture(&f).await;
    for chart in ["sales-by-channel", "income-per-household", "premium-flow"] {
        let res = f
            .app
            .get(
                &f.path(&format!("/reports/charts/{chart}.svg")),
                Some(&f.shop.manager),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("image/svg+xml")
        );
        let svg = res.text().await.unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("class=\"bar\""),
            "{chart}: {svg}"
        );
    }
    let res = f
        .app
        .get(&f.path("/reports/charts/pie.svg"), Some(&f.shop.manager))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = f
        .app
        .get(&f.path("/reports/summary"), Some(&f.shop.streamer))
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;

    let res = f
        .app
        .get("/api/v1/reports/workshops", Some(&f.shop.manager))
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let other = f.app.workshop(&f.admin, "80504").await;
    let res = f.app.get("/api/v1/reports/workshops", Some(&f.admin)).await;
    let overview = json_of(res).await;
    let ids: Vec<i64> = overview["workshops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["workshop_id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&f.shop.id) && ids.contains(&other.id));
    let res = f
        .app
        .get(
            &f.path("/reports/summary?month=2026-13"),
            Some(&f.shop.manager),
        )
        .await;
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}
