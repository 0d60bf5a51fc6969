//! Calendar months and date ranges in China time (UTC+8), as UTC instants:
//! a statement for "2026-11" covers 2026-11-01T00:00+08 up to 2026-12-01T00:00+08.

use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate, Utc};

use crate::error::{AppError, AppResult};

const CHINA_SECS: i32 = 8 * 3600;

/// A half-open range of China-time days, `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// Parses `YYYY-MM` into that whole month.
    pub fn month(text: &str, field: &str) -> AppResult<Self> {
        let invalid = || AppError::invalid(field, "must be a month like 2026-11");
        let from = NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
            .map_err(|_| invalid())?;
        if text.trim().len() != 7 || !(2000..=2100).contains(&from.year()) {
            return Err(invalid());
        }
        let to = from
            .checked_add_months(Months::new(1))
            .ok_or_else(invalid)?;
        Ok(Self { from, to })
    }

    /// The days `from..=to` (inclusive end), at most ten years.
    pub fn days(from: NaiveDate, to_inclusive: NaiveDate) -> AppResult<Self> {
        if to_inclusive < from {
            return Err(AppError::invalid("to", "must not be before from"));
        }
        if (to_inclusive - from).num_days() > 3660 {
            return Err(AppError::invalid(
                "to",
                "a range may span at most ten years",
            ));
        }
        let to = to_inclusive
            .succ_opt()
            .ok_or_else(|| AppError::invalid("to", "out of range"))?;
        Ok(Self { from, to })
    }

    pub fn start(self) -> DateTime<Utc> {
        china_midnight(self.from)
    }

    pub fn end(self) -> DateTime<Utc> {
        china_midnight(self.to)
    }

    /// The month `YYYY-MM` this period starts in.
    pub fn label(self) -> String {
        if self.from.day() == 1 && self.from.checked_add_months(Months::new(1)) == Some(self.to) {
            self.from.format("%Y-%m").to_string()
        } else {
            format!("{}..{}", self.from, self.to.pred_opt().unwrap_or(self.to))
        }
    }

    /// Calendar months touched by the range, at least one (for averages).
    pub fn month_count(self) -> i64 {
        let last = self.to.pred_opt().unwrap_or(self.to);
        let months = (last.year() - self.from.year()) * 12 + last.month() as i32
            - self.from.month() as i32
            + 1;
        i64::from(months.max(1))
    }

    /// The `count` whole months ending with the one `self` starts in.
    pub fn trailing_months(self, count: u32) -> Vec<Period> {
        let first =
            NaiveDate::from_ymd_opt(self.from.year(), self.from.month(), 1).unwrap_or(self.from);
        (0..count)
            .rev()
            .filter_map(|back| {
                let from = first.checked_sub_months(Months::new(back))?;
                let to = from.checked_add_months(Months::new(1))?;
                Some(Period { from, to })
            })
            .collect()
    }
}

/// The month (`YYYY-MM`) a UTC instant falls in, China time.
pub fn china_month(at: DateTime<Utc>) -> String {
    at.with_timezone(&china()).format("%Y-%m").to_string()
}

/// The China-time day of a UTC instant.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china()).date_naive()
}

/// Today's month in China time.
pub fn current_month() -> Period {
    let today = Utc::now().with_timezone(&china()).date_naive();
    let from = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    Period {
        from,
        to: from.checked_add_months(Months::new(1)).unwrap_or(today),
    }
}

fn china() -> FixedOffset {
    CHINA
}

const CHINA: FixedOffset = match FixedOffset::east_opt(CHINA_SECS) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (local - chrono::Duration::seconds(i64::from(CHINA_SECS))).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_starts_at_midnight_china_time() {
        let p = Period::month("2026-11", "month").unwrap();
        assert_eq!(p.start().to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert_eq!(p.end().to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(p.label(), "2026-11");
        assert_eq!(p.month_count(), 1);
        assert!(Period::month("2026-13", "month").is_err());
        assert!(Period::month("2026-1", "month").is_err());
    }

    #[test]
    fn trailing_months_end_with_the_given_one() {
        let p = Period::month("2026-02", "month").unwrap();
        let labels: Vec<_> = p.trailing_months(3).iter().map(|m| m.label()).collect();
        assert_eq!(labels, ["2025-12", "2026-01", "2026-02"]);
    }
}
