//! Pagination cursors and page sizes: any text is either a 422 or a cursor
//! that encodes back to itself; limits are always clamped to 1..=100.
#![no_main]

use gongfang::catalog::lots::model::LotCursor;
use gongfang::error::ErrorCode;
use gongfang::live::views::SessionCursor;
use gongfang::platform::pagination::{MAX_LIMIT, PageQuery, encode_cursor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (limit, rest) = match data.split_first_chunk::<8>() {
        Some((l, rest)) => (Some(u64::from_le_bytes(*l)), rest),
        None => (None, data),
    };
    let cursor = String::from_utf8_lossy(rest).into_owned();
    match PageQuery::resolve_parts(limit, Some(cursor.clone())) {
        Ok(page) => {
            assert!((1..=MAX_LIMIT).contains(&page.limit));
            let id = page.after_id.expect("a cursor was given");
            let again = PageQuery::resolve_parts(None, Some(encode_cursor(id))).expect("round trip");
            assert_eq!(again.after_id, Some(id));
        }
        Err(err) => assert_eq!(err.code, ErrorCode::ValidationFailed),
    }
    match LotCursor::decode(&cursor) {
        Ok(lot) => {
            let (expiry, id) = (lot.expiry_date, lot.id);
            let back = LotCursor::decode(&lot.encode()).expect("round trip");
            assert_eq!((back.expiry_date, back.id), (expiry, id));
        }
        Err(err) => assert_eq!(err.code, ErrorCode::ValidationFailed),
    }
    if let Err(err) = SessionCursor::decode(&cursor) {
        assert_eq!(err.code, ErrorCode::ValidationFailed);
    }
});
