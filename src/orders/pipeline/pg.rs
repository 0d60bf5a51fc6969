//! The batch on PostgreSQL in as few round trips as it can be: one statement
//! reads (and locks) every row the batch needs and sets ids aside for its new
//! orders and lines, one upserts the per-buyer counts when there are limits,
//! and one writes everything else (stock, allotments, counts given back,
//! orders, lines, history, outbox) as data-modifying CTEs. Every column
//! travels as one array parameter (`unnest`, `= ANY`), so each statement's
//! text is the same whatever the batch size and is prepared once per
//! connection. NULLs travel as 0 or '' (never a real id or value) and come
//! back through NULLIF. A prepared statement runs on a generic plan: a filter
//! only stays an index condition as one `= ANY` of one array (`a OR b` over
//! two arrays scanned every SKU of the table, each against both arrays).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement, Value};
use serde::de::DeserializeOwned;

use super::reads::{Found, Needs};
use crate::error::{AppError, AppResult};

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}

fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}

const READ: &str = "SELECT \
    (SELECT coalesce(json_agg(a), '[]') FROM addresses a WHERE a.id = ANY($1)) AS addresses, \
    (SELECT coalesce(json_agg(w), '[]') FROM workshops w WHERE w.id = ANY($2)) AS workshops, \
    (SELECT coalesce(json_agg(s), '[]') FROM \
        (SELECT * FROM skus WHERE id = ANY($3) ORDER BY id FOR UPDATE) s) AS locked_skus, \
    (SELECT coalesce(json_agg(s), '[]') FROM skus s WHERE s.id = ANY($4)) AS read_skus, \
    (SELECT coalesce(json_agg(p), '[]') FROM products p WHERE p.id IN \
        (SELECT product_id FROM skus WHERE id = ANY($3 || $4))) AS products, \
    (SELECT coalesce(json_agg(x), '[]') FROM \
        (SELECT * FROM allotments WHERE id = ANY($5) ORDER BY id FOR UPDATE) x) AS allotments, \
    (SELECT coalesce(json_agg(nextval(pg_get_serial_sequence('orders', 'id'))), '[]') \
        FROM generate_series(1, $6)) AS order_ids, \
    (SELECT coalesce(json_agg(nextval(pg_get_serial_sequence('order_lines', 'id'))), '[]') \
        FROM generate_series(1, $7)) AS line_ids";

/// Every row the batch needs, SKUs whose stock it takes and its allotments
/// locked (in id order), and ids for its orders and lines.
pub async fn read(txn: &DatabaseTransaction, needs: &Needs) -> AppResult<Found> {
    let values: Vec<Value> = vec![
        needs.addresses.clone().into(),
        needs.workshops.clone().into(),
        needs.locked_skus.clone().into(),
        needs.read_skus.clone().into(),
        needs.allotments.clone().into(),
        (needs.orders as i32).into(),
        (needs.lines as i32).into(),
    ];
    let row = txn
        .query_one_raw(statement(READ, values))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the batch read answered no row")))?;
    let json = |column: &str| -> AppResult<serde_json::Value> { Ok(row.try_get("", column)?) };
    let mut skus: Vec<crate::entity::sku::Model> = decode(json("locked_skus")?)?;
    skus.extend(decode::<Vec<crate::entity::sku::Model>>(json(
        "read_skus",
    )?)?);
    let mut found = Found::from_rows(
        decode(json("addresses")?)?,
        decode(json("workshops")?)?,
        skus,
        decode(json("products")?)?,
        decode(json("allotments")?)?,
    );
    found.order_ids = decode(json("order_ids")?)?;
    found.line_ids = decode(json("line_ids")?)?;
    Ok(found)
}

fn decode<T: DeserializeOwned>(value: serde_json::Value) -> AppResult<T> {
    serde_json::from_value(value).map_err(AppError::internal)
}

/// Adds each (customer, scope) row's units unless that would pass `limit`;
/// the rows that passed.
pub async fn count_purchases(
    db: &impl ConnectionTrait,
    customers: Vec<i64>,
    scopes: Vec<String>,
    units: Vec<i64>,
    limit: i64,
) -> AppResult<Vec<(i64, String)>> {
    let sql = "INSERT INTO purchase_counts (customer_id, scope, quantity) \
               SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) \
               ON CONFLICT (customer_id, scope) DO UPDATE \
               SET quantity = purchase_counts.quantity + excluded.quantity \
               WHERE purchase_counts.quantity + excluded.quantity <= $4 \
               RETURNING customer_id, scope";
    let values = vec![customers.into(), scopes.into(), units.into(), limit.into()];
    let rows = db.query_all_raw(statement(sql, values)).await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "customer_id")?, row.try_get("", "scope")?)))
        .collect()
}

/// The columns of new orders, one entry per order.
#[derive(Default)]
pub struct OrderColumns {
    pub id: Vec<i64>,
    pub workshop_id: Vec<i64>,
    pub customer_id: Vec<i64>,
    pub channel: Vec<String>,
    pub live_session_id: Vec<i64>,
    pub streamer_id: Vec<i64>,
    pub deal_id: Vec<i64>,
    pub campaign_id: Vec<i64>,
    pub pickup_point_id: Vec<i64>,
    pub address: Vec<String>,
    pub subtotal_fen: Vec<i64>,
    pub shipping_fen: Vec<i64>,
    pub total_fen: Vec<i64>,
    pub expires_at: Vec<DateTime<Utc>>,
    pub allotment_id: Vec<i64>,
    pub limit_scope: Vec<String>,
    /// The `order.created` outbox payload.
    pub payload: Vec<String>,
}

/// The columns of new order lines, one entry per line.
#[derive(Default)]
pub struct LineColumns {
    pub id: Vec<i64>,
    pub order_id: Vec<i64>,
    pub sku_id: Vec<i64>,
    pub product_id: Vec<i64>,
    pub title: Vec<String>,
    pub storage: Vec<String>,
    pub quantity: Vec<i64>,
    pub unit_price_fen: Vec<i64>,
}

/// Everything the batch writes after deciding.
#[derive(Default)]
pub struct Writes {
    pub reserve_skus: (Vec<i64>, Vec<i64>),
    pub take_allotments: (Vec<i64>, Vec<i64>),
    /// Counts of refused jobs given back: (customer, scope, units).
    pub uncount: (Vec<i64>, Vec<String>, Vec<i64>),
    pub orders: OrderColumns,
    pub lines: LineColumns,
}

const WRITE: &str = "WITH \
    s AS (UPDATE skus SET reserved = skus.reserved + d.n, updated_at = $1 \
          FROM unnest($2::bigint[], $3::bigint[]) AS d(id, n) WHERE skus.id = d.id RETURNING 1), \
    a AS (UPDATE allotments SET remaining = allotments.remaining - d.n \
          FROM unnest($4::bigint[], $5::bigint[]) AS d(id, n) WHERE allotments.id = d.id RETURNING 1), \
    g AS (UPDATE purchase_counts SET quantity = GREATEST(purchase_counts.quantity - d.n, 0) \
          FROM unnest($6::bigint[], $7::text[], $8::bigint[]) AS d(c, sc, n) \
          WHERE purchase_counts.customer_id = d.c AND purchase_counts.scope = d.sc RETURNING 1), \
    o AS (INSERT INTO orders (id, workshop_id, customer_id, status, channel, live_session_id, \
          streamer_id, deal_id, campaign_id, pickup_point_id, address, subtotal_fen, shipping_fen, \
          total_fen, paid_fen, refunded_fen, expires_at, paid_at, created_at, updated_at, \
          allotment_id, limit_scope) \
          SELECT id, w, c, 'pending_payment', ch, NULLIF(ls, 0), NULLIF(st, 0), NULLIF(d, 0), \
          NULLIF(cp, 0), NULLIF(pp, 0), NULLIF(ad, ''), sub, ship, tot, 0, 0, ex, NULL, $1, $1, \
          NULLIF(al, 0), NULLIF(sc, '') \
          FROM unnest($9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::bigint[], \
          $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::text[], $19::bigint[], \
          $20::bigint[], $21::bigint[], $22::timestamptz[], $23::bigint[], $24::text[]) \
          AS r(id, w, c, ch, ls, st, d, cp, pp, ad, sub, ship, tot, ex, al, sc) RETURNING 1), \
    l AS (INSERT INTO order_lines (id, order_id, sku_id, product_id, title, storage, quantity, \
          unit_price_fen, line_total_fen, refunded_quantity) \
          SELECT id, o, s, p, t, st, q, u, u * q, 0 \
          FROM unnest($25::bigint[], $26::bigint[], $27::bigint[], $28::bigint[], $29::text[], \
          $30::text[], $31::bigint[], $32::bigint[]) AS r(id, o, s, p, t, st, q, u) RETURNING 1), \
    e AS (INSERT INTO order_events (order_id, from_status, to_status, actor_id, reason, created_at) \
          SELECT o, NULL, 'pending_payment', c, 'order placed', $1 \
          FROM unnest($9::bigint[], $11::bigint[]) AS r(o, c) RETURNING 1), \
    x AS (INSERT INTO outbox (workshop_id, event_type, resource_key, payload, created_at) \
          SELECT w, 'order.created', 'order:' || o, p, $1 \
          FROM unnest($10::bigint[], $9::bigint[], $33::text[]) AS r(w, o, p) RETURNING 1) \
    SELECT (SELECT count(*) FROM o) AS orders, (SELECT count(*) FROM l) AS lines";

/// Writes the batch's decisions in one statement.
pub async fn write(txn: &DatabaseTransaction, w: Writes, now: DateTime<Utc>) -> AppResult<()> {
    let (orders, lines) = (w.orders, w.lines);
    let expected = (orders.id.len() as i64, lines.id.len() as i64);
    let values: Vec<Value> = vec![
        now.into(),
        w.reserve_skus.0.into(),
        w.reserve_skus.1.into(),
        w.take_allotments.0.into(),
        w.take_allotments.1.into(),
        w.uncount.0.into(),
        w.uncount.1.into(),
        w.uncount.2.into(),
        orders.id.into(),
        orders.workshop_id.into(),
        orders.customer_id.into(),
        orders.channel.into(),
        orders.live_session_id.into(),
        orders.streamer_id.into(),
        orders.deal_id.into(),
        orders.campaign_id.into(),
        orders.pickup_point_id.into(),
        orders.address.into(),
        orders.subtotal_fen.into(),
        orders.shipping_fen.into(),
        orders.total_fen.into(),
        orders.expires_at.into(),
        orders.allotment_id.into(),
        orders.limit_scope.into(),
        lines.id.into(),
        lines.order_id.into(),
        lines.sku_id.into(),
        lines.product_id.into(),
        lines.title.into(),
        lines.storage.into(),
        lines.quantity.into(),
        lines.unit_price_fen.into(),
        orders.payload.into(),
    ];
    let row = txn
        .query_one_raw(statement(WRITE, values))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the batch write answered no row")))?;
    let written: (i64, i64) = (row.try_get("", "orders")?, row.try_get("", "lines")?);
    if written != expected {
        return Err(AppError::internal(anyhow::anyhow!(
            "the batch wrote {written:?} orders and lines, not {expected:?}"
        )));
    }
    Ok(())
}
