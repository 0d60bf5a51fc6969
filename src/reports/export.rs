//! Reports as CSV (UTF-8 with BOM): a workshop's report in long form
//! (section, key, metric, value) and the platform overview one row per workshop.

use super::model::{PlatformOverview, WorkshopReport};
use crate::platform::csv::Csv;

pub const REPORT_HEADER: [&str; 5] = ["period", "section", "key", "metric", "value"];

pub fn report_csv(r: &WorkshopReport) -> Csv {
    let mut csv = Csv::new(&REPORT_HEADER);
    let period = r.period.label.clone();
    let mut put = |section: &str, key: &str, metric: &str, value: i64| {
        csv.row(&[
            period.as_str(),
            section,
            key,
            metric,
            value.to_string().as_str(),
        ]);
    };
    put("totals", "", "gmv_fen", r.totals.gmv_fen);
    put("totals", "", "net_fen", r.totals.net_fen);
    put("totals", "", "orders", r.totals.orders);
    put("totals", "", "units", r.totals.units);
    put("totals", "", "unique_buyers", r.unique_buyers);
    for c in &r.channels {
        put("channel", &c.channel, "gmv_fen", c.figures.gmv_fen);
        put("channel", &c.channel, "net_fen", c.figures.net_fen);
        put("channel", &c.channel, "orders", c.figures.orders);
        put("channel", &c.channel, "units", c.figures.units);
    }
    for c in &r.categories {
        put("category", &c.category, "units", c.units);
        put("category", &c.category, "sales_fen", c.sales_fen);
    }
    put("live", "", "broadcasts", r.live.broadcasts);
    put("live", "", "total_viewers", r.live.total_viewers);
    put("live", "", "signed_in_viewers", r.live.signed_in_viewers);
    put("live", "", "anonymous_viewers", r.live.anonymous_viewers);
    put("live", "", "peak_viewers", r.live.peak_viewers);
    let h = &r.households;
    put("households", "", "supplying", h.supplying);
    put(
        "households",
        "",
        "low_income_supplying",
        h.low_income_supplying,
    );
    put("households", "", "income_fen", h.income_fen);
    put(
        "households",
        "",
        "low_income_income_fen",
        h.low_income_income_fen,
    );
    put(
        "households",
        "",
        "avg_monthly_income_per_household_fen",
        h.avg_monthly_income_per_household_fen,
    );
    for f in &r.income_by_household {
        let key = format!("{} #{}", f.name, f.farmer_id);
        put("household", &key, "purchase_fen", f.purchase_fen);
        put("household", &key, "premium_fen", f.premium_fen);
        put("household", &key, "reversals_fen", f.reversals_fen);
        put("household", &key, "income_fen", f.income_fen);
    }
    let p = &r.premium;
    put("premium", "", "total_fen", p.total_fen);
    put("premium", "", "reversed_fen", p.reversed_fen);
    put("premium", "farmer", "net_fen", p.farmer_fen);
    put("premium", "collective", "net_fen", p.collective_fen);
    put("premium", "workshop", "net_fen", p.workshop_fen);
    for l in &r.leader_commissions {
        let key = format!("{} #{}", l.name, l.leader_id);
        put("leader_commission", &key, "accrued_fen", l.accrued_fen);
        put("leader_commission", &key, "reversed_fen", l.reversed_fen);
        put("leader_commission", &key, "net_fen", l.net_fen);
    }
    for a in &r.after_sales_by_farmer {
        let key = format!("{} #{}", a.name, a.farmer_id);
        put("after_sales", &key, "units_sold", a.units_sold);
        put("after_sales", &key, "units_claimed", a.units_claimed);
        put("after_sales", &key, "rate_bp", a.rate_bp);
    }
    csv
}

pub const OVERVIEW_HEADER: [&str; 14] = [
    "period",
    "workshop_id",
    "workshop",
    "gmv_fen",
    "net_fen",
    "orders",
    "units",
    "unique_buyers",
    "broadcasts",
    "total_viewers",
    "households_supplying",
    "low_income_households",
    "household_income_fen",
    "premium_fen",
];

pub fn overview_csv(o: &PlatformOverview) -> Csv {
    let mut csv = Csv::new(&OVERVIEW_HEADER);
    for r in &o.workshops {
        csv.row(&[
            r.period.label.clone(),
            r.workshop_id.to_string(),
            r.workshop_name.clone(),
            r.totals.gmv_fen.to_string(),
            r.totals.net_fen.to_string(),
            r.totals.orders.to_string(),
            r.totals.units.to_string(),
            r.unique_buyers.to_string(),
            r.live.broadcasts.to_string(),
            r.live.total_viewers.to_string(),
            r.households.supplying.to_string(),
            r.households.low_income_supplying.to_string(),
            r.households.income_fen.to_string(),
            r.premium.total_fen.to_string(),
        ]);
    }
    csv
}
