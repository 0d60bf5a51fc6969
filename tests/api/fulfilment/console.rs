//! The staff console in headless Chromium on a phone-sized screen: log in,
//! create a wave, pack and ship an order and watch its status change; cancel a wave.

use serde_json::json;

use super::support::Floor;
use crate::browser::Browser;
use crate::helpers::{PASSWORD, json_of, spawn_app};

#[tokio::test]
async fn fulfilment_staff_create_a_wave_pack_and_ship_an_order_in_the_console() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17401", "chilled").await;
    let wang = floor.farmer(&app, "王大伯").await;
    floor.lot(&app, wang, "UI1", 10, 3).await;
    let (_, order) = floor.paid_order(&app, "13800194001", 2).await;
    let id = order["id"].as_i64().unwrap();
    let Some(browser) = Browser::start().await else {
        return;
    };

    browser.goto(&app.url("/console")).await;
    browser.fill("#phone", "17401000003").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#login-btn").await;
    browser.find("#workshop option").await;
    browser.screenshot("console-1-logged-in").await;

    browser.click("#create-wave").await;
    let card = format!("#orders [data-order='{id}']");
    browser
        .wait_for_text(&format!("{card} .status"), "picking")
        .await;
    browser.screenshot("console-2-wave").await;

    browser.click(&format!("{card} .pack")).await;
    browser
        .wait_for_text(&format!("{card} .status"), "packed")
        .await;
    browser.fill(&format!("{card} .tracking"), "SF-UI-1").await;
    browser.click(&format!("{card} .ship")).await;
    browser
        .wait_for_text(&format!("{card} .status"), "shipped")
        .await;
    browser.screenshot("console-3-shipped").await;
    browser.close().await;

    let res = app
        .get(
            &floor.path(&format!("/orders/{id}/shipment")),
            Some(&floor.shop.manager),
        )
        .await;
    let shipment = json_of(res).await;
    assert_eq!(shipment["tracking_number"], "SF-UI-1");
    assert_eq!(shipment["order_status"], "shipped");
    let res = app
        .get(&floor.path("/waves"), Some(&floor.shop.manager))
        .await;
    assert_eq!(json_of(res).await["items"][0]["status"], json!("closed"));
}

#[tokio::test]
async fn fulfilment_staff_cancel_a_wave_in_the_console_and_its_order_is_paid_again() {
    let app = spawn_app().await;
    let floor = Floor::new(&app, "17402", "ambient").await;
    let wang = floor.farmer(&app, "王大伯").await;
    floor.lot(&app, wang, "UI2", 10, 3).await;
    let (_, order) = floor.paid_order(&app, "13800194101", 2).await;
    let id = order["id"].as_i64().unwrap();
    let Some(browser) = Browser::start().await else {
        return;
    };

    browser.goto(&app.url("/console")).await;
    browser.fill("#phone", "17402000003").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#login-btn").await;
    browser.find("#workshop option").await;
    browser.click("#create-wave").await;
    let card = format!("#orders [data-order='{id}']");
    browser
        .wait_for_text(&format!("{card} .status"), "picking")
        .await;
    browser.fill("#cancel-reason", "车没来").await;
    browser.click("#cancel-wave").await;
    browser.wait_for_text("#wave-status", "cancelled").await;
    browser
        .wait_for_text(&format!("{card} .status"), "paid")
        .await;
    browser.screenshot("console-4-cancelled").await;
    browser.close().await;

    assert_eq!(floor.order_status(&app, id).await, "paid");
    let res = app
        .get(&floor.path("/waves"), Some(&floor.shop.manager))
        .await;
    let wave = &json_of(res).await["items"][0];
    assert_eq!(wave["status"], json!("cancelled"));
}
