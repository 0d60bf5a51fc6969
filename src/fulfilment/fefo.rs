//! First-expiry-first-out allocation as a pure function over a snapshot of
//! lots, so its rules can be property-tested without a database.

use chrono::NaiveDate;

/// What allocation needs to know about one lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotStock {
    pub id: i64,
    pub expiry_date: NaiveDate,
    pub remaining: i64,
    pub written_off: bool,
}

/// Units taken from one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Take {
    pub lot_id: i64,
    pub units: i64,
}

impl LotStock {
    /// A lot may be picked on `today` if it has units, is not written off and
    /// has not expired (a lot is still good on its expiry date).
    pub fn usable(&self, today: NaiveDate) -> bool {
        self.remaining > 0 && !self.written_off && self.expiry_date >= today
    }
}

/// Units usable on `today` across `lots`.
pub fn available(lots: &[LotStock], today: NaiveDate) -> i64 {
    lots.iter()
        .filter(|l| l.usable(today))
        .map(|l| l.remaining)
        .sum()
}

/// Takes `needed` units from the usable lots, soonest expiry first (then
/// lowest id), and lowers their `remaining`. Returns `None` and changes
/// nothing when the usable lots hold fewer than `needed`.
pub fn allocate(lots: &mut [LotStock], today: NaiveDate, needed: i64) -> Option<Vec<Take>> {
    if needed <= 0 || available(lots, today) < needed {
        return None;
    }
    lots.sort_by_key(|l| (l.expiry_date, l.id));
    let mut left = needed;
    let mut takes = Vec::new();
    for lot in lots.iter_mut().filter(|l| l.usable(today)) {
        let units = left.min(lot.remaining);
        lot.remaining -= units;
        left -= units;
        takes.push(Take {
            lot_id: lot.id,
            units,
        });
        if left == 0 {
            break;
        }
    }
    Some(takes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, n).unwrap()
    }

    fn lot(id: i64, expiry: u32, remaining: i64) -> LotStock {
        LotStock {
            id,
            expiry_date: day(expiry),
            remaining,
            written_off: false,
        }
    }

    #[test]
    fn a_line_spans_lots_soonest_expiry_first_and_skips_expired_ones() {
        let mut lots = vec![lot(1, 9, 5), lot(2, 3, 4), lot(3, 1, 100), lot(4, 5, 10)];
        let takes = allocate(&mut lots, day(2), 7).unwrap();
        assert_eq!(
            takes,
            vec![
                Take {
                    lot_id: 2,
                    units: 4
                },
                Take {
                    lot_id: 4,
                    units: 3
                }
            ]
        );
    }

    #[test]
    fn a_shortage_allocates_nothing() {
        let mut lots = vec![lot(1, 9, 5), lot(2, 1, 50)];
        assert_eq!(allocate(&mut lots, day(2), 6), None);
        assert_eq!(lots[0].remaining + lots[1].remaining, 55);
    }
}
