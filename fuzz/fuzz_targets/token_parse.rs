//! Anonymous escrow tokens as the relay and the phone receive them (PROTOCOL.md 18.12): the
//! same bytes as an `Authorization: PrivateToken` header, a `Token`, a `TokenRequest`, a
//! `TokenResponse` to a pending request, and an invite code as a worker types it. Beyond "no
//! panic": a code that parses prints back to itself; a request that passes its check is
//! answered with a response of the right length; and a response that passes the DLEQ proof
//! against the issuer's key gives a token the issuer accepts (a forged answer that verifies
//! but does not unblind to a valid token would let a relay tag phones).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use workvoice_proto::token::{
    Invite, IssuerKey, PendingToken, TOKEN_LEN, TOKEN_RESPONSE_LEN, Token, TokenPurpose,
    parse_authorization,
};
use workvoice_proto::vectors::DeterministicRng;

fn key() -> &'static IssuerKey {
    static KEY: OnceLock<IssuerKey> = OnceLock::new();
    KEY.get_or_init(|| {
        IssuerKey::derive(&[7; 32], &[1; 16], 1, TokenPurpose::Escrow).expect("a key")
    })
}

fn pending() -> &'static PendingToken {
    static PENDING: OnceLock<PendingToken> = OnceLock::new();
    PENDING.get_or_init(|| PendingToken::begin(key().public_key(), &[3; 32]).expect("a request"))
}

fuzz_target!(|data: &[u8]| {
    let key = key();
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(token) = parse_authorization(text) {
            let _ = key.verify(&token);
        }
        if let Ok(invite) = Invite::parse(text) {
            assert_eq!(Invite::parse(&invite.code()).as_ref(), Ok(&invite));
        }
    }
    if Token::parse(data).is_ok() {
        assert_eq!(data.len(), TOKEN_LEN);
        let _ = key.verify(data);
    }
    if key.check_request(data).is_ok() {
        let response = key
            .issue(data, &mut DeterministicRng::new("fuzz issue"))
            .expect("a checked request is answered");
        assert_eq!(response.len(), TOKEN_RESPONSE_LEN);
    }
    if let Ok(token) = pending().finalize(key.public_key(), data) {
        assert!(key.verify(&token).is_ok(), "a verified response gives a valid token");
    }
});
