//! The premium split on every sale. When units of an order line are taken
//! from a lot, one immutable `sale_splits` row records price, purchase cost,
//! premium (price above the market reference, common-prosperity SKUs only)
//! and its shares, and the shares are credited as ledger entries. A refund,
//! or a cancelled pick wave, writes reversing rows; nothing is ever updated.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::entries::{self, COLLECTIVE, FARMER, NewEntry, PREMIUM, REVERSAL, WORKSHOP};
use super::model::SaleSplitView;
use super::split::{Shares, SplitRule};
use super::{purchases, rules};
use crate::entity::{lot, order_line, sale_split, sku};
use crate::error::{AppError, AppResult};
use crate::orders::queries::{Viewer, find_order};

pub const SALE: &str = "sale";
pub const REVERSED: &str = "reversal";

/// Units of one order line taken from one lot (what fulfilment's pick
/// allocation records). `source` names the allocation, so replays are no-ops.
#[derive(Debug, Clone)]
pub struct Allocation {
    pub workshop_id: i64,
    pub order_id: i64,
    pub order_line_id: i64,
    pub lot_id: i64,
    pub units: i64,
    pub source: String,
}

/// Per-unit terms of a split, from which any number of units is priced.
#[derive(Debug, Clone, Copy)]
struct Terms {
    unit_price: i64,
    unit_cost: i64,
    unit_premium: i64,
    rule: SplitRule,
}

#[derive(Debug, Clone, Copy, Default)]
struct Amounts {
    revenue: i64,
    cost: i64,
    premium: i64,
    shares: Shares,
}

impl Terms {
    /// Amounts for `units` units; the shares of the whole are the rule's
    /// rounding of the whole, so partial reversals add up exactly.
    fn amounts(self, units: i64) -> AppResult<Amounts> {
        let mul = |a: i64| a.checked_mul(units).ok_or_else(AppError::overflow);
        let premium = mul(self.unit_premium)?;
        Ok(Amounts {
            revenue: mul(self.unit_price)?,
            cost: mul(self.unit_cost)?,
            premium,
            shares: self.rule.split(premium),
        })
    }

    fn of(split: &sale_split::Model) -> Self {
        Self {
            unit_price: split.unit_price_fen,
            unit_cost: split.unit_cost_fen,
            // Exact: a sale's premium is its unit premium times its units.
            unit_premium: split.premium_fen.checked_div(split.units).unwrap_or(0),
            rule: SplitRule {
                farmer_bp: split.farmer_bp.into(),
                collective_bp: split.collective_bp.into(),
                workshop_bp: split.workshop_bp.into(),
            },
        }
    }
}

/// Records the split of `a.units` units and credits the premium's shares.
pub async fn record_allocation(
    db: &impl ConnectionTrait,
    a: &Allocation,
) -> AppResult<sale_split::Model> {
    let source_key = format!("sale:{}", a.source);
    if let Some(existing) = by_source(db, &source_key).await? {
        return Ok(existing);
    }
    let line = order_line::Entity::find_by_id(a.order_line_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("order line"))?;
    let lot = lot::Entity::find_by_id(a.lot_id)
        .filter(lot::Column::WorkshopId.eq(a.workshop_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("lot"))?;
    let sku = sku::Entity::find_by_id(line.sku_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("SKU"))?;
    let terms = Terms {
        unit_price: line.unit_price_fen,
        unit_cost: purchases::unit_cost(db, &lot).await?,
        unit_premium: premium_per_unit(&sku, line.unit_price_fen),
        rule: rules::current_rule(db, a.workshop_id).await?,
    };
    let amounts = terms.amounts(a.units)?;
    let row = insert_split(db, a, &line, &lot, &sku, terms, amounts, source_key).await?;
    credit_shares(
        db,
        &row,
        PREMIUM,
        amounts.shares,
        &format!("order {}", a.order_id),
    )
    .await?;
    Ok(row)
}

/// The common-prosperity premium of one unit sold at `price`.
pub fn premium_per_unit(sku: &sku::Model, price: i64) -> i64 {
    if sku.is_common_prosperity {
        (price - sku.market_price_fen).max(0)
    } else {
        0
    }
}

/// Why a reversal is written: a refund, or an allocation undone (a
/// cancelled pick wave). `key` makes the reversal's source key unique.
struct Cause {
    refund_id: Option<i64>,
    key: String,
    reference: String,
}

/// Reverses the splits of `quantity` refunded units of a line, newest
/// allocation first. Units never allocated (refunded before picking) have
/// nothing to reverse.
pub async fn reverse_refund(
    db: &impl ConnectionTrait,
    refund_id: i64,
    line_id: i64,
    quantity: i64,
) -> AppResult<()> {
    let splits = sale_split::Entity::find()
        .filter(sale_split::Column::OrderLineId.eq(line_id))
        .order_by_desc(sale_split::Column::Id)
        .all(db)
        .await?;
    let mut left = quantity;
    for sale in splits.iter().filter(|s| s.kind == SALE) {
        if left == 0 {
            break;
        }
        let reversed = reversed_units(&splits, sale);
        let take = left.min(sale.units - reversed);
        if take <= 0 {
            continue;
        }
        let cause = Cause {
            refund_id: Some(refund_id),
            key: format!("refund:{refund_id}"),
            reference: format!("refund {refund_id} of order {}", sale.order_id),
        };
        reverse_units(db, &cause, sale, reversed, take).await?;
        left -= take;
    }
    Ok(())
}

/// Reverses what is left of an allocation's split when the allocation is
/// undone (its pick wave cancelled before packing): the sale nets to zero,
/// and the order's next allocation is split afresh. `undo_key` names the undo.
pub async fn reverse_allocation(
    db: &impl ConnectionTrait,
    a: &Allocation,
    undo_key: &str,
    reference: &str,
) -> AppResult<()> {
    let Some(sale) = by_source(db, &format!("sale:{}", a.source)).await? else {
        return Ok(()); // nothing was split (no such allocation in the ledger)
    };
    let splits = sale_split::Entity::find()
        .filter(sale_split::Column::ReversesId.eq(sale.id))
        .all(db)
        .await?;
    let reversed = reversed_units(&splits, &sale);
    let take = sale.units - reversed;
    if take <= 0 {
        return Ok(()); // refunds already reversed every unit
    }
    let cause = Cause {
        refund_id: None,
        key: undo_key.to_owned(),
        reference: reference.to_owned(),
    };
    reverse_units(db, &cause, &sale, reversed, take).await
}

/// Units of `sale` already reversed by the reversal rows among `splits`.
fn reversed_units(splits: &[sale_split::Model], sale: &sale_split::Model) -> i64 {
    splits
        .iter()
        .filter(|s| s.reverses_id == Some(sale.id))
        .map(|s| -s.units)
        .sum()
}

async fn reverse_units(
    db: &impl ConnectionTrait,
    cause: &Cause,
    sale: &sale_split::Model,
    already: i64,
    take: i64,
) -> AppResult<()> {
    let terms = Terms::of(sale);
    let before = terms.amounts(already)?;
    let after = terms.amounts(already + take)?;
    let delta = Amounts {
        revenue: before.revenue - after.revenue,
        cost: before.cost - after.cost,
        premium: before.premium - after.premium,
        shares: before.shares.minus(after.shares),
    };
    let row = sale_split::ActiveModel {
        kind: Set(REVERSED.into()),
        reverses_id: Set(Some(sale.id)),
        refund_id: Set(cause.refund_id),
        units: Set(-take),
        revenue_fen: Set(delta.revenue),
        cost_fen: Set(delta.cost),
        premium_fen: Set(delta.premium),
        farmer_fen: Set(delta.shares.farmer),
        collective_fen: Set(delta.shares.collective),
        workshop_fen: Set(delta.shares.workshop),
        source_key: Set(format!("reversal:{}:split:{}", cause.key, sale.id)),
        created_at: Set(Utc::now()),
        ..copy_of(sale)
    }
    .insert(db)
    .await?;
    credit_shares(db, &row, REVERSAL, delta.shares, &cause.reference).await
}

/// The sale row's identity and terms, for a reversal to start from.
fn copy_of(sale: &sale_split::Model) -> sale_split::ActiveModel {
    sale_split::ActiveModel {
        workshop_id: Set(sale.workshop_id),
        order_id: Set(sale.order_id),
        order_line_id: Set(sale.order_line_id),
        sku_id: Set(sale.sku_id),
        lot_id: Set(sale.lot_id),
        farmer_id: Set(sale.farmer_id),
        unit_price_fen: Set(sale.unit_price_fen),
        market_price_fen: Set(sale.market_price_fen),
        unit_cost_fen: Set(sale.unit_cost_fen),
        farmer_bp: Set(sale.farmer_bp),
        collective_bp: Set(sale.collective_bp),
        workshop_bp: Set(sale.workshop_bp),
        ..Default::default()
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_split(
    db: &impl ConnectionTrait,
    a: &Allocation,
    line: &order_line::Model,
    lot: &lot::Model,
    sku: &sku::Model,
    terms: Terms,
    amounts: Amounts,
    source_key: String,
) -> AppResult<sale_split::Model> {
    Ok(sale_split::ActiveModel {
        workshop_id: Set(a.workshop_id),
        kind: Set(SALE.into()),
        order_id: Set(a.order_id),
        order_line_id: Set(line.id),
        sku_id: Set(sku.id),
        lot_id: Set(lot.id),
        farmer_id: Set(lot.farmer_id),
        reverses_id: Set(None),
        refund_id: Set(None),
        units: Set(a.units),
        unit_price_fen: Set(terms.unit_price),
        market_price_fen: Set(sku.market_price_fen),
        unit_cost_fen: Set(terms.unit_cost),
        revenue_fen: Set(amounts.revenue),
        cost_fen: Set(amounts.cost),
        premium_fen: Set(amounts.premium),
        farmer_fen: Set(amounts.shares.farmer),
        collective_fen: Set(amounts.shares.collective),
        workshop_fen: Set(amounts.shares.workshop),
        farmer_bp: Set(terms.rule.farmer_bp as i32),
        collective_bp: Set(terms.rule.collective_bp as i32),
        workshop_bp: Set(terms.rule.workshop_bp as i32),
        source_key: Set(source_key),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// One ledger entry per non-zero share: the farmer's to the lot's farmer.
async fn credit_shares(
    db: &impl ConnectionTrait,
    split: &sale_split::Model,
    kind: &'static str,
    shares: Shares,
    reference: &str,
) -> AppResult<()> {
    let accounts = [
        (FARMER, Some(split.farmer_id), shares.farmer),
        (COLLECTIVE, None, shares.collective),
        (WORKSHOP, None, shares.workshop),
    ];
    for (account, farmer_id, amount) in accounts {
        if amount == 0 {
            continue;
        }
        entries::append(
            db,
            NewEntry {
                workshop_id: split.workshop_id,
                account,
                farmer_id,
                kind,
                amount_fen: amount,
                units: split.units,
                lot_id: Some(split.lot_id),
                split_id: Some(split.id),
                order_id: Some(split.order_id),
                reference: reference.to_owned(),
                source_key: format!("{kind}:split:{}:{account}", split.id),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

async fn by_source(
    db: &impl ConnectionTrait,
    source_key: &str,
) -> AppResult<Option<sale_split::Model>> {
    Ok(sale_split::Entity::find()
        .filter(sale_split::Column::SourceKey.eq(source_key))
        .one(db)
        .await?)
}

/// Every split of an order, sales and reversals, oldest first.
pub async fn order_splits(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    order_id: i64,
) -> AppResult<Vec<SaleSplitView>> {
    // Another workshop's order is not found here, even though it has no rows to show.
    find_order(db, Viewer::Workshop(workshop_id), order_id).await?;
    Ok(sale_split::Entity::find()
        .filter(sale_split::Column::WorkshopId.eq(workshop_id))
        .filter(sale_split::Column::OrderId.eq(order_id))
        .order_by_asc(sale_split::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(SaleSplitView::from)
        .collect())
}
