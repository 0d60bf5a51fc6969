//! The order state machine. Every transition is a conditional UPDATE on the
//! expected current status, so concurrent actors cannot both win.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    Picking,
    Packed,
    Shipped,
    Delivered,
    Completed,
    Cancelled,
    Refunded,
}

use OrderStatus::*;

const ALL: [OrderStatus; 9] = [
    PendingPayment,
    Paid,
    Picking,
    Packed,
    Shipped,
    Delivered,
    Completed,
    Cancelled,
    Refunded,
];

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PendingPayment => "pending_payment",
            Paid => "paid",
            Picking => "picking",
            Packed => "packed",
            Shipped => "shipped",
            Delivered => "delivered",
            Completed => "completed",
            Cancelled => "cancelled",
            Refunded => "refunded",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The edges of the state machine.
    pub fn can_become(self, to: OrderStatus) -> bool {
        matches!(
            (self, to),
            (PendingPayment, Paid | Cancelled)
                | (Paid, Picking | Refunded)
                | (Picking, Packed | Refunded | Paid)
                | (Packed, Shipped)
                | (Shipped, Delivered)
                | (Delivered, Completed)
        )
    }

    /// States in which money has been taken and may be (partly) refunded.
    pub fn is_paid_state(self) -> bool {
        matches!(
            self,
            Paid | Picking | Packed | Shipped | Delivered | Completed
        )
    }

    /// States in which the goods have not left the workshop.
    pub fn is_unshipped(self) -> bool {
        matches!(self, Paid | Picking | Packed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_go_nowhere() {
        for to in ALL {
            assert!(!Cancelled.can_become(to));
            assert!(!Refunded.can_become(to));
            assert!(!Completed.can_become(to));
        }
    }

    #[test]
    fn names_round_trip() {
        for status in ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
    }
}
