//! Verifying a carrier's signed tracking update: one small function, so it
//! can move behind a logistics provider adapter unchanged.

use crate::error::{AppError, AppResult, ErrorCode};
use crate::platform::crypto::verify_hmac_sha256_hex;

/// The header carrying the hex HMAC-SHA256 of the raw body.
pub const CARRIER_SIGNATURE: &str = "Carrier-Signature";

/// Passes when `signature` is the HMAC-SHA256 of `body` under the carrier's secret.
pub fn verify_carrier_signature(
    secret: &str,
    body: &[u8],
    signature: Option<&str>,
) -> AppResult<()> {
    let valid = !secret.is_empty()
        && signature.is_some_and(|sig| verify_hmac_sha256_hex(secret.as_bytes(), body, sig.trim()));
    if valid {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::InvalidSignature,
            "carrier signature does not verify",
        ))
    }
}
