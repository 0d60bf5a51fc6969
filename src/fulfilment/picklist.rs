//! Pick lists (per SKU the lots to take, then per order its package) as JSON
//! and printable HTML, and each order's packing slip.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use super::model::{Destination, LotUnits, PickLine, PickList, PickOrder, PickSku, StorageClass};
use super::trace::{LotOrigin, allocations_where, line_lots, origins, wave_allocations};
use super::waves::{find_wave, lines_by_order, storage_of, wave_orders};
use crate::entity::{order, order_line, pick_allocation};
use crate::error::AppResult;
use crate::orders::queries::{Viewer, find_order};
use crate::orders::status::OrderStatus;

pub async fn pick_list(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    wave_id: i64,
) -> AppResult<PickList> {
    let wave = find_wave(db, workshop_id, wave_id).await?;
    let orders = wave_orders(db, wave.id).await?;
    let mut lines = lines_by_order(db, orders.iter().map(|o| o.id).collect()).await?;
    // A cancelled wave still shows what it took; any other shows what is
    // still allocated (refunded units went back to their lots).
    let allocations = if wave.status == "cancelled" {
        wave_allocations(db, wave.id).await?
    } else {
        allocations_where(db, pick_allocation::Column::WaveId, wave.id).await?
    };
    let origins = origins(db, &allocations).await?;
    let titles: BTreeMap<i64, String> = lines
        .values()
        .flatten()
        .map(|l| (l.sku_id, l.title.clone()))
        .collect();
    let skus = pick_skus(&allocations, &origins, &titles);
    let orders = orders
        .into_iter()
        .map(|o| {
            let lines = lines.remove(&o.id).unwrap_or_default();
            pick_order(o, lines, &allocations, &origins)
        })
        .collect();
    Ok(PickList {
        wave_id: wave.id,
        workshop_id,
        skus,
        orders,
    })
}

/// Per SKU: units to take from each lot, soonest expiry first.
fn pick_skus(
    allocations: &[pick_allocation::Model],
    origins: &std::collections::HashMap<i64, LotOrigin>,
    titles: &BTreeMap<i64, String>,
) -> Vec<PickSku> {
    let mut by_sku: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    for a in allocations {
        *by_sku
            .entry(a.sku_id)
            .or_default()
            .entry(a.lot_id)
            .or_default() += a.units;
    }
    by_sku
        .into_iter()
        .map(|(sku_id, lots)| {
            let mut lots: Vec<LotUnits> = lots
                .into_iter()
                .filter_map(|(lot_id, units)| origins.get(&lot_id).map(|o| o.units(units)))
                .collect();
            lots.sort_by_key(|l| (l.expiry_date, l.lot_id));
            PickSku {
                sku_id,
                title: titles.get(&sku_id).cloned().unwrap_or_default(),
                total_units: lots.iter().map(|l| l.units).sum(),
                lots,
            }
        })
        .collect()
}

fn pick_order(
    order: order::Model,
    lines: Vec<order_line::Model>,
    allocations: &[pick_allocation::Model],
    origins: &std::collections::HashMap<i64, LotOrigin>,
) -> PickOrder {
    PickOrder {
        order_id: order.id,
        status: OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Cancelled),
        destination: Destination::of(order.pickup_point_id),
        pickup_point_id: order.pickup_point_id,
        recipient: order.address.as_deref().and_then(recipient),
        cold_chain_required: storage_of(&lines) != StorageClass::Ambient,
        lines: lines
            .into_iter()
            .map(|l| PickLine {
                lots: line_lots(l.id, allocations, origins),
                line_id: l.id,
                sku_id: l.sku_id,
                title: l.title,
                storage: l.storage,
                quantity: (l.quantity - l.refunded_quantity).into(),
            })
            .collect(),
    }
}

/// "name phone, province city district detail" from the address snapshot.
fn recipient(snapshot: &str) -> Option<String> {
    let a: serde_json::Value = serde_json::from_str(snapshot).ok()?;
    let field = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
    Some(format!(
        "{} {}, {}{}{} {}",
        field("name"),
        field("phone"),
        field("province"),
        field("city"),
        field("district"),
        field("detail")
    ))
}

/// One order's packing slip, from its wave's pick list entry.
pub async fn packing_slip(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    order_id: i64,
) -> AppResult<String> {
    let order = find_order(db, Viewer::Workshop(workshop_id), order_id).await?;
    let allocations = allocations_where(db, pick_allocation::Column::OrderId, order.id).await?;
    let origins = origins(db, &allocations).await?;
    let lines = super::shipping::order_lines(db, order.id).await?;
    let entry = pick_order(order, lines, &allocations, &origins);
    Ok(page(
        &format!("Packing slip · order {}", entry.order_id),
        &order_section(&entry),
    ))
}

pub fn pick_list_html(list: &PickList) -> String {
    let mut body = String::from(
        "<h2>Lots to take</h2><table><tr><th>SKU</th><th>Lot</th><th>Farmer</th><th>Harvest</th><th>Expiry</th><th>Units</th></tr>",
    );
    for sku in &list.skus {
        for lot in &sku.lots {
            body += &format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=n>{}</td></tr>",
                esc(&sku.title),
                esc(&lot.code),
                esc(&lot.farmer_name),
                lot.harvest_date,
                lot.expiry_date,
                lot.units
            );
        }
    }
    body += "</table><h2>Packages</h2>";
    for order in &list.orders {
        body += &order_section(order);
    }
    page(&format!("Pick list · wave {}", list.wave_id), &body)
}

fn order_section(order: &PickOrder) -> String {
    let destination = match (order.destination, order.pickup_point_id) {
        (Destination::PickupPoint, Some(id)) => format!("Pickup point #{id}"),
        _ => esc(order.recipient.as_deref().unwrap_or("")),
    };
    let cold = if order.cold_chain_required {
        " <strong>❄ cold chain</strong>"
    } else {
        ""
    };
    let mut html = format!(
        "<section><h3>Order {} — {}{cold}</h3><table><tr><th>Item</th><th>Qty</th><th>From lots</th></tr>",
        order.order_id, destination
    );
    for line in &order.lines {
        let lots: Vec<String> = line
            .lots
            .iter()
            .map(|l| format!("{} ×{} ({})", esc(&l.code), l.units, esc(&l.farmer_name)))
            .collect();
        html += &format!(
            "<tr><td>{}</td><td class=n>{}</td><td>{}</td></tr>",
            esc(&line.title),
            line.quantity,
            lots.join("<br>")
        );
    }
    html + "</table></section>"
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=zh><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
         <style>body{{font:14px sans-serif;margin:1em}}table{{border-collapse:collapse;width:100%;margin-bottom:1em}}\
         td,th{{border:1px solid #999;padding:4px;text-align:left}}.n{{text-align:right}}\
         section{{page-break-inside:avoid}}@media print{{button{{display:none}}}}</style></head>\
         <body><h1>{t}</h1><button onclick=\"print()\">Print</button>{body}</body></html>",
        t = esc(title)
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
