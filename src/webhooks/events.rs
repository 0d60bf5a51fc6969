//! Event type names and the subscription patterns endpoints choose them with:
//! `order.paid` (exact), `order.*` (a family) or `*` (everything).

/// Sent only to the endpoint being tested, never by subscription.
pub const TEST_EVENT: &str = "webhook.test";
/// An endpoint was disabled after failing continuously.
pub const ENDPOINT_DISABLED: &str = "webhook.endpoint_disabled";

pub const MAX_PATTERNS: usize = 32;

/// True for `*`, `a.b_c` and `a.*`: lowercase segments joined by dots.
pub fn is_valid_pattern(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let name = pattern.strip_suffix(".*").unwrap_or(pattern);
    pattern.len() <= 64
        && !name.is_empty()
        && name.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// True for an exact event type such as `order.paid` (a pattern without `*`).
pub fn is_event_type(name: &str) -> bool {
    name != "*" && !name.ends_with(".*") && is_valid_pattern(name)
}

pub fn matches(pattern: &str, event_type: &str) -> bool {
    if event_type == TEST_EVENT {
        return false;
    }
    match pattern.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

pub fn matches_any(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| matches(p, event_type))
}

/// The stored JSON array of patterns (an unreadable value subscribes to nothing).
pub fn parse_patterns(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_by_family_or_everything() {
        assert!(matches("order.paid", "order.paid"));
        assert!(!matches("order.paid", "order.paid_out"));
        assert!(matches("order.*", "order.shipped"));
        assert!(!matches("order.*", "orders.shipped"));
        assert!(matches("*", "groupbuy.settled"));
        assert!(!matches("*", TEST_EVENT));
    }

    #[test]
    fn only_well_formed_patterns_are_valid() {
        for ok in ["*", "order.paid", "order.*", "group_buy.tier_2"] {
            assert!(is_valid_pattern(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "order.",
            "Order.paid",
            "order.*.x",
            "or der",
            "*.paid",
            "order*",
        ] {
            assert!(!is_valid_pattern(bad), "{bad}");
        }
    }
}
