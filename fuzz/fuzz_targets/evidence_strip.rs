//! Evidence photos before they leave the phone: arbitrary bytes into `strip_metadata`.
//!
//! Beyond never panicking: the output is never larger than the input, has the input's type,
//! and is a fixed point (stripping it again changes nothing), so nothing strippable survives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workvoice_core::evidence::strip_metadata;

fuzz_target!(|data: &[u8]| {
    let Ok(stripped) = strip_metadata(data) else {
        return;
    };
    assert!(stripped.bytes.len() <= data.len(), "output grew");
    let again = strip_metadata(&stripped.bytes).expect("a stripped image strips again");
    assert_eq!(again.media_type, stripped.media_type);
    assert!(again.bytes == stripped.bytes, "stripping is not idempotent");
});
