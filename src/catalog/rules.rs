//! Pure catalog rules: the sale window, the common-prosperity price band,
//! availability from stock, and the workshops' calendar day (Asia/Shanghai).

use chrono::{Datelike, FixedOffset, NaiveDate, Utc};

use super::types::Availability;
use crate::entity::{product, sku, workshop};
use crate::error::{AppError, AppResult, ErrorCode, FieldError};

/// The highest price, market reference or floor price accepted: 1,000,000 yuan.
pub const MAX_PRICE_FEN: i64 = 100_000_000;
const BASIS: i64 = 10_000;

/// Today in the workshops' time zone (China Standard Time, no daylight saving).
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&CHINA).date_naive()
}

const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Whether `month` (1–12) lies in the window, which may wrap the year (11 → 4).
/// No window means on sale all year.
pub fn month_in_window(month: u32, start: Option<i16>, end: Option<i16>) -> bool {
    match (start, end) {
        (Some(start), Some(end)) => {
            let (start, end, month) = (i64::from(start), i64::from(end), i64::from(month));
            if start <= end {
                (start..=end).contains(&month)
            } else {
                month >= start || month <= end
            }
        }
        _ => true,
    }
}

/// Whether the product may be bought on `date`.
pub fn in_season(product: &product::Model, date: NaiveDate) -> bool {
    month_in_window(
        date.month(),
        product.sale_start_month,
        product.sale_end_month,
    )
}

/// A workshop's common-prosperity band, in basis points of the market reference.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    pub min_bp: i32,
    pub max_bp: i32,
}

impl From<&workshop::Model> for Band {
    fn from(w: &workshop::Model) -> Self {
        Self {
            min_bp: w.cp_band_min_bp,
            max_bp: w.cp_band_max_bp,
        }
    }
}

/// A common-prosperity price must lie in `[market × min, market × max]`
/// (exact integer comparison, no rounding).
pub fn check_price_band(price_fen: i64, market_fen: i64, band: Band) -> AppResult<()> {
    let scaled = price_fen
        .checked_mul(BASIS)
        .ok_or_else(AppError::overflow)?;
    let low = market_fen
        .checked_mul(i64::from(band.min_bp))
        .ok_or_else(AppError::overflow)?;
    let high = market_fen
        .checked_mul(i64::from(band.max_bp))
        .ok_or_else(AppError::overflow)?;
    if (low..=high).contains(&scaled) {
        return Ok(());
    }
    let lowest = low.saturating_add(BASIS - 1) / BASIS;
    let highest = high / BASIS;
    let detail = format!(
        "a common-prosperity price must lie between {lowest} and {highest} fen \
         ({}%–{}% of the market reference {market_fen} fen); got {price_fen} fen",
        f64::from(band.min_bp) / 100.0,
        f64::from(band.max_bp) / 100.0,
    );
    Err(AppError {
        fields: vec![FieldError {
            field: "price_fen".into(),
            message: format!("must be between {lowest} and {highest}"),
        }],
        ..AppError::new(ErrorCode::PriceOutOfBand, detail)
    })
}

/// What the farmers are credited per unit sold: price − market reference.
pub fn premium_per_unit(sku: &sku::Model) -> Option<i64> {
    sku.is_common_prosperity
        .then(|| sku.price_fen.saturating_sub(sku.market_price_fen))
}

/// Units that can still be sold: on hand minus reserved, never negative.
pub fn available(sku: &sku::Model) -> i64 {
    sku.on_hand.saturating_sub(sku.reserved).max(0)
}

pub fn availability(available: i64, low_threshold: i32) -> Availability {
    if available <= 0 {
        Availability::SoldOut
    } else if available <= i64::from(low_threshold) {
        Availability::Low
    } else {
        Availability::InStock
    }
}

/// The best availability among SKUs: in stock if any is, else low if any is.
pub fn best(values: impl IntoIterator<Item = Availability>) -> Availability {
    values
        .into_iter()
        .min_by_key(|a| match a {
            Availability::InStock => 0,
            Availability::Low => 1,
            Availability::SoldOut => 2,
        })
        .unwrap_or(Availability::SoldOut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapping_window_covers_winter_and_spring() {
        let strawberries = |m| month_in_window(m, Some(11), Some(4));
        assert!([11, 12, 1, 2, 3, 4].into_iter().all(strawberries));
        assert!(![5, 6, 7, 8, 9, 10].into_iter().any(strawberries));
        assert!(month_in_window(6, Some(6), Some(6)));
        assert!(!month_in_window(7, Some(3), Some(6)));
        assert!(month_in_window(7, None, None));
    }

    #[test]
    fn the_band_is_inclusive_and_exact() {
        let band = Band {
            min_bp: 12_000,
            max_bp: 12_500,
        };
        assert!(check_price_band(1200, 1000, band).is_ok());
        assert!(check_price_band(1250, 1000, band).is_ok());
        assert!(check_price_band(1199, 1000, band).is_err());
        assert!(check_price_band(1251, 1000, band).is_err());
        let err = check_price_band(i64::MAX, 1, band).unwrap_err();
        assert_eq!(err.code, ErrorCode::AmountOverflow);
    }

    #[test]
    fn availability_follows_the_threshold() {
        assert_eq!(availability(0, 10), Availability::SoldOut);
        assert_eq!(availability(10, 10), Availability::Low);
        assert_eq!(availability(11, 10), Availability::InStock);
        assert_eq!(
            best([Availability::SoldOut, Availability::Low]),
            Availability::Low
        );
    }
}
