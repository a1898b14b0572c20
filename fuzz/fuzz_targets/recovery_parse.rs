//! A recovery code as a worker types it into a new phone: arbitrary UTF-8 into
//! `RecoveryCode::parse`. A code that parses prints back to a code that parses to the same
//! secret, and every secret's printed code parses back to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use workvoice_proto::recovery::{CODE_CHARS, RecoveryCode};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(code) = RecoveryCode::parse(text)
    {
        let printed = code.to_text();
        assert_eq!(printed.chars().filter(|c| *c != '-').count(), CODE_CHARS);
        assert_eq!(RecoveryCode::parse(&printed).as_ref(), Ok(&code));
        assert_eq!(
            RecoveryCode::parse(&printed.to_lowercase()).as_ref(),
            Ok(&code)
        );
    }
    if let Some(secret) = data.first_chunk::<16>() {
        let code = RecoveryCode::from_secret(*secret);
        assert_eq!(RecoveryCode::parse(&code.to_text()), Ok(code));
    }
});
