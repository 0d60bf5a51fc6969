//! FEFO allocation as a property: over random lots and orders, never an
//! expired or written-off lot, never more than a lot holds, the soonest-expiring
//! usable lot first, and each served order gets exactly what it needs.

use chrono::NaiveDate;
use gongfang::fulfilment::fefo::{LotStock, Take, allocate, available};

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, n).unwrap()
}

/// Random lots and orders (a seeded generator, so a failure reproduces):
/// never an expired or written-off lot, never beyond a lot, soonest expiry
/// first, and each served order gets exactly what it needs.
#[test]
fn fefo_rules_hold_over_random_lots_and_orders() {
    let mut rng = Lcg(0x5eed_f3f0);
    for _ in 0..2000 {
        let today = day(10);
        let mut lots: Vec<LotStock> = (0..rng.below(8))
            .map(|id| LotStock {
                id: id as i64,
                expiry_date: day(1 + rng.below(20) as u32),
                remaining: rng.below(12) as i64,
                written_off: rng.below(10) == 0,
            })
            .collect();
        for _ in 0..rng.below(6) {
            let needed = 1 + rng.below(15) as i64;
            let before = lots.clone();
            match allocate(&mut lots, today, needed) {
                None => {
                    assert!(available(&before, today) < needed);
                    assert_eq!(sorted(lots.clone()), sorted(before));
                }
                Some(takes) => check_takes(&before, &takes, today, needed),
            }
        }
    }
}

fn check_takes(before: &[LotStock], takes: &[Take], today: NaiveDate, needed: i64) {
    assert_eq!(takes.iter().map(|t| t.units).sum::<i64>(), needed);
    for take in takes {
        let lot = before.iter().find(|l| l.id == take.lot_id).unwrap();
        assert!(lot.usable(today), "took from unusable lot {lot:?}");
        assert!(take.units > 0 && take.units <= lot.remaining);
        // Every usable lot expiring sooner was emptied by this allocation.
        for sooner in before
            .iter()
            .filter(|l| l.usable(today) && (l.expiry_date, l.id) < (lot.expiry_date, lot.id))
        {
            let taken: i64 = takes
                .iter()
                .filter(|t| t.lot_id == sooner.id)
                .map(|t| t.units)
                .sum();
            assert_eq!(taken, sooner.remaining, "skipped a sooner lot {sooner:?}");
        }
    }
}

fn sorted(mut lots: Vec<LotStock>) -> Vec<LotStock> {
    lots.sort_by_key(|l| l.id);
    lots
}

/// A tiny linear congruential generator: deterministic, no dependency.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}
