//! Farmer statements as CSV rows, shared by the HTTP export and the
//! `gongfang export-statements` command.

use std::path::Path;

use indicatif::ProgressBar;
use sea_orm::ConnectionTrait;

use super::model::StatementView;
use super::period::Period;
use super::statements;
use crate::error::{AppError, AppResult};
use crate::platform::csv::Csv;

pub const HEADER: [&str; 17] = [
    "month",
    "farmer_id",
    "farmer",
    "village",
    "low_income",
    "phone",
    "settlement_ref",
    "units_delivered",
    "opening_balance_fen",
    "purchase_fen",
    "premium_fen",
    "reversals_fen",
    "owed_fen",
    "paid_fen",
    "balance_fen",
    "written_off_units",
    "written_off_fen",
];

pub fn row(s: &StatementView) -> Vec<String> {
    let f = &s.farmer;
    vec![
        s.month.clone(),
        f.id.to_string(),
        f.name.clone(),
        f.village.clone(),
        f.is_low_income.to_string(),
        f.phone.clone().unwrap_or_default(),
        f.settlement_ref.clone().unwrap_or_default(),
        s.units_delivered.to_string(),
        s.opening_balance_fen.to_string(),
        s.purchase_fen.to_string(),
        s.premium_fen.to_string(),
        s.reversals_fen.to_string(),
        s.owed_fen.to_string(),
        s.paid_fen.to_string(),
        s.balance_fen.to_string(),
        s.written_off_units.to_string(),
        s.written_off_fen.to_string(),
    ]
}

pub fn statements_csv(statements: &[StatementView]) -> Csv {
    let mut csv = Csv::new(&HEADER);
    for s in statements {
        csv.row(&row(s));
    }
    csv
}

/// Writes a month's statements of every farmer of the workshop to `out`,
/// advancing `progress` per farmer; returns how many farmers were written.
pub async fn export_month(
    db: &impl ConnectionTrait,
    workshop_id: i64,
    month: &str,
    out: &Path,
    progress: &ProgressBar,
) -> AppResult<usize> {
    let period = Period::month(month, "month")?;
    let farmers = statements::farmers_of(db, workshop_id).await?;
    progress.set_length(farmers.len() as u64);
    let mut csv = Csv::new(&HEADER);
    for farmer in &farmers {
        let statement = statements::statement_of(db, farmer, period, true).await?;
        csv.row(&row(&statement));
        progress.inc(1);
    }
    std::fs::write(out, csv.into_string()).map_err(AppError::internal)?;
    progress.finish();
    Ok(farmers.len())
}
