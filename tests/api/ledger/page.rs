//! The report page in a real headless Chromium: sign in with the login form,
//! the page fetches the report with the bearer token and draws three SVG charts.

use fantoccini::Locator;

use super::fixtures::farm;
use super::reports::sales_fixture;
use crate::browser::Browser;
use crate::helpers::PASSWORD;

#[tokio::test]
async fn the_report_page_signs_in_and_renders_its_figures_and_svg_charts() {
    let f = farm("80601").await;
    sales_fixture(&f).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser
        .goto(&f.app.url(&format!("/reports/workshops/{}", f.shop.id)))
        .await;
    browser.fill("#phone", "80601000001").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#sign-in").await;
    browser.find("body[data-loaded='true']").await;
    for chart in ["sales-by-channel", "income-per-household", "premium-flow"] {
        browser.find(&format!("#chart-{chart} svg")).await;
    }
    let bars = browser
        .client
        .find_all(Locator::Css("#report svg rect.bar"))
        .await
        .expect("bars");
    assert!(bars.len() >= 5, "bars drawn: {}", bars.len());
    let households = browser
        .client
        .find_all(Locator::Css("#households tr"))
        .await
        .expect("rows");
    assert_eq!(households.len(), 3, "a header and two households");
    browser.screenshot("ledger-report-page").await;
    browser.close().await;
}
