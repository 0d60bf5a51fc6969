//! Signature headers and webhook bodies: `Gongfang-Signature` (`v1=` list,
//! partner webhooks) and the payment provider's hex HMAC + JSON body. Never
//! panics, never accepts a forged signature, always accepts a genuine one.
#![no_main]

use gongfang::orders::model::ProviderEvent;
use gongfang::platform::crypto::{hmac_sha256_hex, verify_hmac_sha256_hex};
use gongfang::webhooks::signing::{signature_header, verify};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_fuzz";

fuzz_target!(|data: &[u8]| {
    let (timestamp, rest) = match data.split_first_chunk::<8>() {
        Some((ts, rest)) => (i64::from_le_bytes(*ts), rest),
        None => (0, data),
    };
    let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let (header, body) = rest.split_at(split);
    let header = String::from_utf8_lossy(header);

    let genuine = signature_header(&[SECRET], timestamp, body);
    assert!(verify(SECRET, &genuine, timestamp, body));
    if verify(SECRET, &header, timestamp, body) {
        // Only a header carrying the genuine signature may verify.
        assert!(header.contains(&genuine[3..]), "forged header accepted: {header:?}");
    }

    let provider_signature = hmac_sha256_hex(SECRET.as_bytes(), body);
    assert!(verify_hmac_sha256_hex(SECRET.as_bytes(), body, &provider_signature));
    if verify_hmac_sha256_hex(SECRET.as_bytes(), body, &header) {
        assert!(header.eq_ignore_ascii_case(&provider_signature));
    }
    let _ = serde_json::from_slice::<ProviderEvent>(body);
});
