//! Request bodies through the service's JSON extractor, and stored live
//! events: any bytes give a typed value or a 4xx problem, never a panic.
#![no_main]

use gongfang::live::deal_model::CreateDealRequest;
use gongfang::live::events::Frame;
use gongfang::orders::model::CreateOrderRequest;
use gongfang::platform::json::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(err) = parse::<CreateOrderRequest>(data) {
        assert!(err.code.status().is_client_error(), "{err:?}");
    }
    if let Err(err) = parse::<CreateDealRequest>(data) {
        assert!(err.code.status().is_client_error(), "{err:?}");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Frame::parse_entry(text);
    }
});
