//! Tier prices (阶梯价) and commission arithmetic: pure functions over integer
//! fen, so the rules are unit-tested without a database.

use super::model::Tier;
use crate::platform::validate::Check;

pub const MAX_TIERS: usize = 10;

/// Tiers must climb in units and fall in price, all below the base price.
pub fn check_tiers(check: &mut Check, field: &str, base_price_fen: i64, tiers: &[Tier]) {
    if tiers.len() > MAX_TIERS {
        check.fail(field, format!("at most {MAX_TIERS} tiers"));
        return;
    }
    let mut previous = Tier {
        min_units: 0,
        price_fen: base_price_fen,
    };
    for (i, tier) in tiers.iter().enumerate() {
        if tier.min_units <= previous.min_units || tier.min_units > 1_000_000 {
            check.fail(
                &format!("{field}[{i}].min_units"),
                "must be strictly increasing, from 1 to 1000000",
            );
        }
        if tier.price_fen >= previous.price_fen || tier.price_fen < 1 {
            check.fail(
                &format!("{field}[{i}].price_fen"),
                "must be positive and strictly below the base price and the previous tier",
            );
        }
        previous = *tier;
    }
}

/// The price once `units` are sold: the last tier reached, else the base price.
pub fn price_at(base_price_fen: i64, tiers: &[Tier], units: i64) -> i64 {
    tiers
        .iter()
        .rev()
        .find(|t| units >= t.min_units)
        .map_or(base_price_fen, |t| t.price_fen)
}

/// The first tier not reached yet.
pub fn next_tier(tiers: &[Tier], units: i64) -> Option<Tier> {
    tiers.iter().find(|t| units < t.min_units).copied()
}

/// Commission on `amount_fen` at `rate_bps`, rounded to the nearest fen with
/// halves rounded up (amounts are never negative). i128 keeps it exact.
pub fn commission(amount_fen: i64, rate_bps: i32) -> i64 {
    let exact = i128::from(amount_fen.max(0)) * i128::from(rate_bps.max(0));
    ((exact + 5_000) / 10_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers() -> Vec<Tier> {
        vec![
            Tier {
                min_units: 50,
                price_fen: 3990,
            },
            Tier {
                min_units: 200,
                price_fen: 3490,
            },
        ]
    }

    #[test]
    fn the_price_falls_as_tiers_are_reached() {
        assert_eq!(price_at(4990, &tiers(), 0), 4990);
        assert_eq!(price_at(4990, &tiers(), 49), 4990);
        assert_eq!(price_at(4990, &tiers(), 50), 3990);
        assert_eq!(price_at(4990, &tiers(), 500), 3490);
        assert_eq!(next_tier(&tiers(), 60).map(|t| t.min_units), Some(200));
        assert_eq!(next_tier(&tiers(), 200), None);
    }

    #[test]
    fn tiers_must_climb_in_units_and_fall_in_price() {
        let mut check = Check::new();
        check_tiers(&mut check, "tiers", 4990, &tiers());
        assert!(check.finish().is_ok());
        let rising = vec![
            Tier {
                min_units: 10,
                price_fen: 3000,
            },
            Tier {
                min_units: 20,
                price_fen: 3000,
            },
        ];
        check_tiers(&mut check, "tiers", 4990, &rising);
        assert!(check.finish().is_err());
        let above_base = vec![Tier {
            min_units: 10,
            price_fen: 5000,
        }];
        check_tiers(&mut check, "tiers", 4990, &above_base);
        assert!(check.finish().is_err());
    }

    #[test]
    fn commission_rounds_halves_up_to_the_fen() {
        assert_eq!(commission(3990, 500), 200); // 199.5 -> 200
        assert_eq!(commission(3989, 500), 199); // 199.45 -> 199
        assert_eq!(commission(0, 500), 0);
        assert_eq!(commission(i64::MAX, 5000), i64::MAX / 2 + 1);
    }
}
