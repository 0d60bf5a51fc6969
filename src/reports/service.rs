//! Report queries: paid orders (by channel and category), live sessions, and
//! the ledger (household income, premium flow), for one workshop and period.
//! Everything is recomputed from the source tables; nothing is cached.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::charts;
use super::model::{
    CategoryFigures, ChannelFigures, FarmerAfterSales, HouseholdFigures, HouseholdIncome,
    LeaderCommission, LiveFigures, PlatformOverview, PremiumFigures, SalesFigures, WorkshopReport,
};
use crate::catalog::lookup;
use crate::entity::{
    account, claim, claim_line, farmer, leader_commission, ledger_entry, live_session, order,
    order_line, product, sale_split, workshop,
};
use crate::error::AppResult;
use crate::ledger::entries::{COLLECTIVE, FARMER, PREMIUM, PURCHASE, REVERSAL, WORKSHOP};
use crate::ledger::period::Period;

pub const CHANNELS: [&str; 4] = ["live", "flash_deal", "group_buy", "storefront"];

/// The channel an order was sold through: a flash deal (in a live room), a
/// group-buy campaign, a live session, else the storefront.
pub fn channel_of(o: &order::Model) -> &'static str {
    if o.deal_id.is_some() {
        "flash_deal"
    } else if o.campaign_id.is_some() {
        "group_buy"
    } else if o.live_session_id.is_some() {
        "live"
    } else {
        "storefront"
    }
}

pub async fn workshop_report(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
) -> AppResult<WorkshopReport> {
    let shop = lookup::workshop(db, workshop_id).await?;
    report_of(db, &shop, period).await
}

pub async fn platform_overview(
    db: &impl ConnectionTrait,
    period: Period,
) -> AppResult<PlatformOverview> {
    let shops = workshop::Entity::find()
        .order_by_asc(workshop::Column::Id)
        .all(db)
        .await?;
    let mut workshops = Vec::with_capacity(shops.len());
    for shop in &shops {
        workshops.push(report_of(db, shop, period).await?);
    }
    Ok(PlatformOverview {
        period: period.into(),
        workshops,
    })
}

async fn report_of(
    db: &impl ConnectionTrait,
    shop: &workshop::Model,
    period: Period,
) -> AppResult<WorkshopReport> {
    let orders = paid_orders(db, shop.id, period).await?;
    let lines = lines_of(db, &orders).await?;
    let (income, premium) = ledger_figures(db, shop.id, period).await?;
    Ok(WorkshopReport {
        workshop_id: shop.id,
        workshop_name: shop.name.clone(),
        period: period.into(),
        totals: figures(orders.iter(), &lines),
        unique_buyers: orders
            .iter()
            .map(|o| o.customer_id)
            .collect::<HashSet<_>>()
            .len() as i64,
        channels: by_channel(&orders, &lines),
        categories: by_category(db, &lines).await?,
        live: live_figures(db, shop.id, period).await?,
        households: household_figures(&income, period),
        income_by_household: income,
        premium,
        leader_commissions: commissions(db, shop.id, period).await?,
        after_sales_by_farmer: after_sales(db, shop.id, period).await?,
    })
}

/// Net sales of each of the `months`, by channel (for the monthly chart).
pub async fn monthly_channel_sales(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    months: &[Period],
) -> AppResult<Vec<(String, Vec<(String, i64)>)>> {
    let mut out = Vec::with_capacity(months.len());
    for month in months {
        let orders = paid_orders(db, workshop_id, *month).await?;
        let lines = lines_of(db, &orders).await?;
        let channels = by_channel(&orders, &lines)
            .into_iter()
            .map(|c| (c.channel, c.figures.net_fen))
            .collect();
        out.push((month.label(), channels));
    }
    Ok(out)
}

async fn paid_orders(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
) -> AppResult<Vec<order::Model>> {
    Ok(order::Entity::find()
        .filter(order::Column::WorkshopId.eq(workshop_id))
        .filter(order::Column::PaidAt.gte(period.start()))
        .filter(order::Column::PaidAt.lt(period.end()))
        .order_by_asc(order::Column::Id)
        .all(db)
        .await?)
}

async fn lines_of(
    db: &impl ConnectionTrait,
    orders: &[order::Model],
) -> AppResult<HashMap<i64, Vec<order_line::Model>>> {
    let mut by_order: HashMap<i64, Vec<order_line::Model>> = HashMap::new();
    for chunk in orders.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|o| o.id).collect();
        for line in order_line::Entity::find()
            .filter(order_line::Column::OrderId.is_in(ids))
            .all(db)
            .await?
        {
            by_order.entry(line.order_id).or_default().push(line);
        }
    }
    Ok(by_order)
}

fn kept_units(line: &order_line::Model) -> i64 {
    i64::from(line.quantity - line.refunded_quantity)
}

fn figures<'a>(
    orders: impl Iterator<Item = &'a order::Model>,
    lines: &HashMap<i64, Vec<order_line::Model>>,
) -> SalesFigures {
    let mut f = SalesFigures::default();
    for o in orders {
        f.gmv_fen += o.paid_fen;
        f.net_fen += o.paid_fen - o.refunded_fen;
        f.orders += 1;
        f.units += lines
            .get(&o.id)
            .map_or(0, |ls| ls.iter().map(kept_units).sum());
    }
    f
}

fn by_channel(
    orders: &[order::Model],
    lines: &HashMap<i64, Vec<order_line::Model>>,
) -> Vec<ChannelFigures> {
    CHANNELS
        .iter()
        .map(|channel| ChannelFigures {
            channel: (*channel).to_owned(),
            figures: figures(orders.iter().filter(|o| channel_of(o) == *channel), lines),
        })
        .collect()
}

async fn by_category(
    db: &impl ConnectionTrait,
    lines: &HashMap<i64, Vec<order_line::Model>>,
) -> AppResult<Vec<CategoryFigures>> {
    let product_ids: HashSet<i64> = lines.values().flatten().map(|l| l.product_id).collect();
    let categories: HashMap<i64, String> = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.category))
        .collect();
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for line in lines.values().flatten() {
        let category = categories
            .get(&line.product_id)
            .cloned()
            .unwrap_or_else(|| "other".into());
        let entry = totals.entry(category).or_default();
        entry.0 += kept_units(line);
        entry.1 += kept_units(line) * line.unit_price_fen;
    }
    Ok(totals
        .into_iter()
        .map(|(category, (units, sales_fen))| CategoryFigures {
            category,
            units,
            sales_fen,
        })
        .collect())
}

async fn live_figures(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
) -> AppResult<LiveFigures> {
    let sessions = live_session::Entity::find()
        .filter(live_session::Column::WorkshopId.eq(workshop_id))
        .filter(live_session::Column::StartedAt.gte(period.start()))
        .filter(live_session::Column::StartedAt.lt(period.end()))
        .all(db)
        .await?;
    Ok(LiveFigures {
        broadcasts: sessions.len() as i64,
        total_viewers: sessions.iter().map(|s| s.unique_viewers).sum(),
        signed_in_viewers: sessions.iter().map(|s| s.signed_in_viewers).sum(),
        anonymous_viewers: sessions.iter().map(|s| s.anonymous_viewers).sum(),
        peak_viewers: sessions.iter().map(|s| s.peak_viewers).max().unwrap_or(0),
    })
}

/// Household income (farmer credits, payouts aside) and the premium flow,
/// both from ledger entries made in the period.
async fn ledger_figures(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
) -> AppResult<(Vec<HouseholdIncome>, PremiumFigures)> {
    let entries = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::WorkshopId.eq(workshop_id))
        .filter(ledger_entry::Column::CreatedAt.gte(period.start()))
        .filter(ledger_entry::Column::CreatedAt.lt(period.end()))
        .all(db)
        .await?;
    let mut premium = PremiumFigures::default();
    let mut per_farmer: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for e in &entries {
        if e.kind == PREMIUM || e.kind == REVERSAL {
            match e.account.as_str() {
                FARMER => premium.farmer_fen += e.amount_fen,
                COLLECTIVE => premium.collective_fen += e.amount_fen,
                WORKSHOP => premium.workshop_fen += e.amount_fen,
                _ => {}
            }
        }
        let Some(farmer_id) = e.farmer_id.filter(|_| e.account == FARMER) else {
            continue;
        };
        let slot = per_farmer.entry(farmer_id).or_default();
        match e.kind.as_str() {
            PURCHASE => slot.0 += e.amount_fen,
            PREMIUM => slot.1 += e.amount_fen,
            REVERSAL => slot.2 -= e.amount_fen,
            _ => {}
        }
    }
    let (total, reversed) = split_totals(db, workshop_id, period).await?;
    premium.total_fen = total;
    premium.reversed_fen = reversed;
    let farmers: HashMap<i64, farmer::Model> = farmer::Entity::find()
        .filter(farmer::Column::WorkshopId.eq(workshop_id))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut income: Vec<HouseholdIncome> = per_farmer
        .into_iter()
        .filter(|(_, (purchase, premium, _))| *purchase != 0 || *premium != 0)
        .filter_map(|(id, (purchase, premium, reversals))| {
            let f = farmers.get(&id)?;
            Some(HouseholdIncome {
                farmer_id: id,
                name: f.name.clone(),
                village: f.village.clone(),
                is_low_income: f.is_low_income,
                purchase_fen: purchase,
                premium_fen: premium,
                reversals_fen: reversals,
                income_fen: purchase + premium - reversals,
            })
        })
        .collect();
    income.sort_by(|a, b| {
        b.income_fen
            .cmp(&a.income_fen)
            .then(a.farmer_id.cmp(&b.farmer_id))
    });
    Ok((income, premium))
}

/// Sales whose allocation was undone (a cancelled pick wave reverses all
/// that is left of them, and the re-picked order is split again): not sold.
async fn undone_sales(db: &impl ConnectionTrait, workshop_id: i64) -> AppResult<HashSet<i64>> {
    Ok(sale_split::Entity::find()
        .filter(sale_split::Column::WorkshopId.eq(workshop_id))
        .filter(sale_split::Column::Kind.eq("reversal"))
        .filter(sale_split::Column::RefundId.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.reverses_id)
        .collect())
}

/// Claimed units per farmer: a claim line's units are charged to the lots
/// its order line was picked from, in pick order.
async fn after_sales(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
) -> AppResult<Vec<FarmerAfterSales>> {
    let sold = sale_split::Entity::find()
        .filter(sale_split::Column::WorkshopId.eq(workshop_id))
        .filter(sale_split::Column::Kind.eq("sale"))
        .filter(sale_split::Column::CreatedAt.gte(period.start()))
        .filter(sale_split::Column::CreatedAt.lt(period.end()))
        .order_by_asc(sale_split::Column::Id)
        .all(db)
        .await?;
    let undone = undone_sales(db, workshop_id).await?;
    let sold: Vec<_> = sold
        .into_iter()
        .filter(|s| !undone.contains(&s.id))
        .collect();
    let mut per_farmer: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for s in &sold {
        per_farmer.entry(s.farmer_id).or_default().0 += s.units;
    }
    let claims: Vec<i64> = claim::Entity::find()
        .filter(claim::Column::WorkshopId.eq(workshop_id))
        .filter(claim::Column::CreatedAt.gte(period.start()))
        .filter(claim::Column::CreatedAt.lt(period.end()))
        .all(db)
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    let lines = claim_line::Entity::find()
        .filter(claim_line::Column::ClaimId.is_in(claims))
        .all(db)
        .await?;
    for line in lines {
        let mut left = line.quantity;
        for s in sold
            .iter()
            .filter(|s| s.order_line_id == line.order_line_id)
        {
            let take = Ord::min(left, s.units);
            per_farmer.entry(s.farmer_id).or_default().1 += take;
            left -= take;
        }
    }
    let names: HashMap<i64, String> = farmer::Entity::find()
        .filter(farmer::Column::WorkshopId.eq(workshop_id))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f.name))
        .collect();
    let mut out: Vec<FarmerAfterSales> = per_farmer
        .into_iter()
        .map(
            |(farmer_id, (units_sold, units_claimed))| FarmerAfterSales {
                farmer_id,
                name: names.get(&farmer_id).cloned().unwrap_or_default(),
                units_sold,
                units_claimed,
                rate_bp: if units_sold > 0 {
                    units_claimed * 10_000 / units_sold
                } else {
                    0
                },
            },
        )
        .collect();
    out.sort_by(|a, b| {
        b.rate_bp
            .cmp(&a.rate_bp)
            .then(a.farmer_id.cmp(&b.farmer_id))
    });
    Ok(out)
}

/// Leader commissions booked in the period, per leader.
async fn commissions(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
) -> AppResult<Vec<LeaderCommission>> {
    let rows = leader_commission::Entity::find()
        .filter(leader_commission::Column::WorkshopId.eq(workshop_id))
        .filter(leader_commission::Column::CreatedAt.gte(period.start()))
        .filter(leader_commission::Column::CreatedAt.lt(period.end()))
        .all(db)
        .await?;
    let mut per_leader: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for row in &rows {
        let slot = per_leader.entry(row.leader_id).or_default();
        if row.amount_fen >= 0 {
            slot.0 += row.amount_fen;
        } else {
            slot.1 -= row.amount_fen;
        }
    }
    let names: HashMap<i64, String> = account::Entity::find()
        .filter(account::Column::Id.is_in(per_leader.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let mut out: Vec<LeaderCommission> = per_leader
        .into_iter()
        .map(|(leader_id, (accrued, reversed))| LeaderCommission {
            leader_id,
            name: names.get(&leader_id).cloned().unwrap_or_default(),
            accrued_fen: accrued,
            reversed_fen: reversed,
            net_fen: accrued - reversed,
        })
        .collect();
    out.sort_by(|a, b| {
        b.net_fen
            .cmp(&a.net_fen)
            .then(a.leader_id.cmp(&b.leader_id))
    });
    Ok(out)
}

/// Premium of the period's sale splits, and what refunds reversed.
async fn split_totals(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
) -> AppResult<(i64, i64)> {
    let splits = sale_split::Entity::find()
        .filter(sale_split::Column::WorkshopId.eq(workshop_id))
        .filter(sale_split::Column::CreatedAt.gte(period.start()))
        .filter(sale_split::Column::CreatedAt.lt(period.end()))
        .all(db)
        .await?;
    let sold = splits
        .iter()
        .filter(|s| s.premium_fen > 0)
        .map(|s| s.premium_fen)
        .sum();
    let reversed = -splits
        .iter()
        .filter(|s| s.premium_fen < 0)
        .map(|s| s.premium_fen)
        .sum::<i64>();
    Ok((sold, reversed))
}

fn household_figures(income: &[HouseholdIncome], period: Period) -> HouseholdFigures {
    let supplying = income.len() as i64;
    let total: i64 = income.iter().map(|h| h.income_fen).sum();
    let low: Vec<&HouseholdIncome> = income.iter().filter(|h| h.is_low_income).collect();
    HouseholdFigures {
        supplying,
        low_income_supplying: low.len() as i64,
        income_fen: total,
        low_income_income_fen: low.iter().map(|h| h.income_fen).sum(),
        avg_monthly_income_per_household_fen: if supplying > 0 {
            total / supplying / period.month_count()
        } else {
            0
        },
    }
}

/// The charts of the report page, drawn as SVG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    SalesByChannel,
    IncomePerHousehold,
    PremiumFlow,
}

impl Chart {
    pub fn parse(name: &str) -> Option<Self> {
        match name.strip_suffix(".svg").unwrap_or(name) {
            "sales-by-channel" => Some(Self::SalesByChannel),
            "income-per-household" => Some(Self::IncomePerHousehold),
            "premium-flow" => Some(Self::PremiumFlow),
            _ => None,
        }
    }
}

pub async fn chart_svg(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    period: Period,
    chart: Chart,
) -> AppResult<String> {
    lookup::workshop(db, workshop_id).await?;
    Ok(match chart {
        Chart::SalesByChannel => {
            let months = monthly_channel_sales(db, workshop_id, &period.trailing_months(6)).await?;
            charts::sales_by_channel("Monthly net sales by channel", &months)
        }
        Chart::IncomePerHousehold => {
            let (income, _) = ledger_figures(db, workshop_id, period).await?;
            let rows: Vec<_> = income
                .iter()
                .map(|h| {
                    (
                        format!("{} ({})", h.name, h.village),
                        h.income_fen,
                        h.is_low_income,
                    )
                })
                .collect();
            let title = format!(
                "Income per household, {} (low-income in orange)",
                period.label()
            );
            charts::horizontal_bars(&title, "income-per-household", &rows)
        }
        Chart::PremiumFlow => {
            let (_, p) = ledger_figures(db, workshop_id, period).await?;
            let rows = vec![
                ("premium of sales".to_owned(), p.total_fen, false),
                ("reversed by refunds".to_owned(), p.reversed_fen, true),
                ("→ farmers".to_owned(), p.farmer_fen, false),
                ("→ village collective".to_owned(), p.collective_fen, false),
                ("→ workshop".to_owned(), p.workshop_fen, false),
            ];
            let title = format!("Common-prosperity premium flow, {}", period.label());
            charts::horizontal_bars(&title, "premium-flow", &rows)
        }
    })
}
