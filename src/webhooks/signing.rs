//! Delivery signatures: `Gongfang-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`,
//! one `v1=` per active secret (new first) while a rotated secret is still in overlap.

use chrono::{DateTime, Utc};

use crate::entity::webhook_endpoint;
use crate::platform::crypto::{hmac_sha256_hex, verify_hmac_sha256_hex};

/// A fresh endpoint secret: `whsec_` and 32 random bytes in hex.
pub fn new_secret() -> String {
    format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()))
}

/// The secrets that sign now: the current one, then the previous one during its overlap.
pub fn active_secrets(endpoint: &webhook_endpoint::Model, now: DateTime<Utc>) -> Vec<&str> {
    let mut secrets = vec![endpoint.secret.as_str()];
    if let (Some(old), Some(until)) = (
        &endpoint.previous_secret,
        endpoint.previous_secret_expires_at,
    ) && until > now
    {
        secrets.push(old.as_str());
    }
    secrets
}

/// The `Gongfang-Signature` header value for this timestamp and body.
pub fn signature_header(secrets: &[&str], timestamp: i64, body: &[u8]) -> String {
    let message = signed_message(timestamp, body);
    secrets
        .iter()
        .map(|secret| format!("v1={}", hmac_sha256_hex(secret.as_bytes(), &message)))
        .collect::<Vec<_>>()
        .join(",")
}

/// What a receiver does: true when any `v1=` signature in `header` matches.
/// (Receivers also reject timestamps outside their tolerance and seen event ids.)
pub fn verify(secret: &str, header: &str, timestamp: i64, body: &[u8]) -> bool {
    let message = signed_message(timestamp, body);
    header
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("v1="))
        .any(|sig| verify_hmac_sha256_hex(secret.as_bytes(), &message, sig))
}

fn signed_message(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_secret_timestamp_and_body() {
        let header = signature_header(&["new", "old"], 1_700_000_000, b"{\"id\":1}");
        assert_eq!(header.matches("v1=").count(), 2);
        assert!(verify("new", &header, 1_700_000_000, b"{\"id\":1}"));
        assert!(verify("old", &header, 1_700_000_000, b"{\"id\":1}"));
        assert!(!verify("other", &header, 1_700_000_000, b"{\"id\":1}"));
        assert!(!verify("new", &header, 1_700_000_001, b"{\"id\":1}"));
        assert!(!verify("new", &header, 1_700_000_000, b"{\"id\":2}"));
    }
}
