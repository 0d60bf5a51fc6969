//! The premium split rule and its pure rounding: basis points summing to
//! 10000, largest remainder first, ties to the earlier destination.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const TOTAL_BP: i64 = 10_000;

/// Where a premium goes, in basis points (farmer 70 %, collective 20 %,
/// workshop 10 % is `7000 / 2000 / 1000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SplitRule {
    /// The farming household whose lot was sold.
    pub farmer_bp: i64,
    /// The village collective fund (村集体).
    pub collective_bp: i64,
    /// The workshop itself.
    pub workshop_bp: i64,
}

impl Default for SplitRule {
    fn default() -> Self {
        Self {
            farmer_bp: 7000,
            collective_bp: 2000,
            workshop_bp: 1000,
        }
    }
}

/// Shares of one amount, in the rule's order: farmer, collective, workshop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shares {
    pub farmer: i64,
    pub collective: i64,
    pub workshop: i64,
}

impl Shares {
    pub fn total(self) -> i64 {
        self.farmer + self.collective + self.workshop
    }

    pub fn minus(self, other: Shares) -> Shares {
        Shares {
            farmer: self.farmer - other.farmer,
            collective: self.collective - other.collective,
            workshop: self.workshop - other.workshop,
        }
    }
}

impl SplitRule {
    pub fn is_valid(self) -> bool {
        let parts = [self.farmer_bp, self.collective_bp, self.workshop_bp];
        parts.iter().all(|bp| (0..=TOTAL_BP).contains(bp)) && parts.iter().sum::<i64>() == TOTAL_BP
    }

    /// Splits `amount_fen` (≥ 0) so the shares always sum to it exactly.
    pub fn split(self, amount_fen: i64) -> Shares {
        let [farmer, collective, workshop] = split_fen(
            amount_fen,
            [self.farmer_bp, self.collective_bp, self.workshop_bp],
        );
        Shares {
            farmer,
            collective,
            workshop,
        }
    }
}

/// Largest-remainder apportionment of `amount` by `bps` (summing to 10000):
/// each part gets its floor, then the fen left over go one each to the parts
/// with the largest fractional remainders (ties: the earlier part). Pure and
/// deterministic; the parts always sum to `amount`.
pub fn split_fen<const N: usize>(amount: i64, bps: [i64; N]) -> [i64; N] {
    let amount = i128::from(amount.max(0));
    let mut parts = [0i64; N];
    let mut remainders = [(0i128, 0usize); N];
    for (i, bp) in bps.iter().enumerate() {
        let exact = amount * i128::from(*bp);
        parts[i] = (exact / i128::from(TOTAL_BP)) as i64;
        remainders[i] = (exact % i128::from(TOTAL_BP), i);
    }
    let assigned: i128 = parts.iter().map(|p| i128::from(*p)).sum();
    let mut left = (amount - assigned) as usize;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_odd_fen_amount_over_three_destinations_assigns_every_fen() {
        let rule = SplitRule::default();
        for amount in [0, 1, 3, 7, 11, 101, 999, 12_345, 1_000_001] {
            let shares = rule.split(amount);
            assert_eq!(shares.total(), amount, "amount {amount}");
        }
        assert_eq!(split_fen(101, [7000, 2000, 1000]), [71, 20, 10]);
        assert_eq!(split_fen(1, [3334, 3333, 3333]), [1, 0, 0]);
        assert_eq!(split_fen(2, [3333, 3334, 3333]), [1, 1, 0]);
    }

    #[test]
    fn equal_thirds_give_the_leftover_fen_to_the_earlier_destinations() {
        assert_eq!(split_fen(100, [3334, 3333, 3333]), [34, 33, 33]);
        assert_eq!(split_fen(5, [3333, 3333, 3334]), [2, 1, 2]);
    }

    #[test]
    fn no_share_is_ever_more_than_one_fen_from_its_exact_value() {
        let bps = [6999, 2001, 1000];
        for amount in 0..2000i64 {
            let parts = split_fen(amount, bps);
            assert_eq!(parts.iter().sum::<i64>(), amount);
            for (part, bp) in parts.iter().zip(bps) {
                let exact = amount as f64 * bp as f64 / 10_000.0;
                assert!((*part as f64 - exact).abs() < 1.0, "{amount}: {parts:?}");
            }
        }
    }

    #[test]
    fn rules_must_sum_to_ten_thousand_basis_points() {
        assert!(SplitRule::default().is_valid());
        let bad = SplitRule {
            farmer_bp: 7000,
            collective_bp: 2000,
            workshop_bp: 999,
        };
        assert!(!bad.is_valid());
        let negative = SplitRule {
            farmer_bp: 12_000,
            collective_bp: -2000,
            workshop_bp: 0,
        };
        assert!(!negative.is_valid());
    }
}
