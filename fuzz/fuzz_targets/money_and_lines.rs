//! Money rules on arbitrary integers: the common-prosperity price band (basis
//! points, checked arithmetic) and order lines (merging, bounds). Overflow is
//! a 422 `amount_overflow`, never a panic (release builds check overflow).
#![no_main]

use gongfang::catalog::rules::{Band, check_price_band};
use gongfang::error::ErrorCode;
use gongfang::orders::model::LineRequest;
use gongfang::orders::service::merge_lines;
use libfuzzer_sys::fuzz_target;

fn i64_at(data: &[u8], at: usize) -> i64 {
    let mut bytes = [0u8; 8];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = data.get(at + i).copied().unwrap_or(0);
    }
    i64::from_le_bytes(bytes)
}

fuzz_target!(|data: &[u8]| {
    let (price, market) = (i64_at(data, 0), i64_at(data, 8));
    let band = Band {
        min_bp: i64_at(data, 16) as i32,
        max_bp: (i64_at(data, 16) >> 32) as i32,
    };
    match check_price_band(price, market, band) {
        Ok(()) => {
            let scaled = i128::from(price) * 10_000;
            assert!(scaled >= i128::from(market) * i128::from(band.min_bp));
            assert!(scaled <= i128::from(market) * i128::from(band.max_bp));
        }
        Err(err) => assert!(matches!(err.code, ErrorCode::PriceOutOfBand | ErrorCode::AmountOverflow)),
    }

    let lines: Vec<LineRequest> = data
        .get(24..)
        .unwrap_or_default()
        .chunks(3)
        .map(|c| LineRequest {
            sku_id: i64::from(c[0] % 8),
            quantity: i64::from(i16::from_le_bytes([c.get(1).copied().unwrap_or(0), c.get(2).copied().unwrap_or(0)])),
        })
        .collect();
    match merge_lines(&lines, 50) {
        Ok(merged) => {
            assert!(lines.len() <= 50 && !merged.is_empty());
            assert!(merged.values().all(|q| (1..=999).contains(q)));
            assert_eq!(merged.values().sum::<i64>(), lines.iter().map(|l| l.quantity).sum::<i64>());
        }
        Err(err) => assert_eq!(err.code, ErrorCode::ValidationFailed),
    }
});
