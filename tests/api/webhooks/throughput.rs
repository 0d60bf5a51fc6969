//! Delivery throughput with a local receiver (a measurement, not a test; ignored
//! by default). Run it with
//! `cargo test --release --test api webhooks::throughput -- --ignored --nocapture`
//! (add TEST_DATABASE_URL for PostgreSQL). WEBHOOK_BENCH_EVENTS sets the count.

use std::time::{Duration, Instant};

use gongfang::platform::outbox;
use sea_orm::TransactionTrait;
use serde_json::json;

use super::{Fixture, fast, fixture};

#[tokio::test]
#[ignore = "measurement; run with --ignored --nocapture"]
async fn webhook_delivery_throughput_with_a_local_receiver() {
    let events: usize = std::env::var("WEBHOOK_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let Fixture {
        app,
        shop,
        receiver,
        ..
    } = fixture("16901", &["order.*"], |s| {
        fast(s);
        s.webhooks.batch_size = 128;
        s.webhooks.concurrency = 32;
        s.database.max_connections = 8;
    })
    .await;
    // Enqueued up front in a few transactions, as a burst of domain writes would.
    for chunk in (0..events).collect::<Vec<_>>().chunks(500) {
        let txn = app.state.db.begin().await.unwrap();
        for n in chunk {
            let key = format!("order:{}", n % 500);
            outbox::enqueue(&txn, shop.id, "order.updated", &key, &json!({"n": n}))
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
    }
    let started = Instant::now();
    outbox::committed(&app.state.bus).await;
    let accepted = receiver
        .wait_accepted(events, Duration::from_secs(300))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(accepted.len(), events);
    let backend = if gongfang::platform::db::is_postgres(&app.state.db) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "webhook delivery: {events} events to one endpoint ({backend}) in {:.2} s = {:.0} events/s",
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64()
    );
}
