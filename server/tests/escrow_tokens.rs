//! Anonymous escrow tokens per invite at the relay (`PROTOCOL.md` 18.12), on both backends:
//! organisations register and revoke invite hashes; phones take tokens against an invite within
//! its budget per epoch and purpose; the escrow routes of an organisation that takes invites
//! spend one token per request, once; one invite cannot release a group alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::escrow::{Phone, escrow, phone, request_for};
use common::*;
use reqwest::StatusCode;
use workvoice_proto::api::{
    ChainedOprfQueued, ChainedOprfRequest, EscrowAccepted, EscrowInviteCount, EscrowInviteHashes,
    EscrowState, EscrowSubmissionRequest, EscrowTokenKeys, EscrowTokenRequest,
    EscrowTokenResponses, OprfEvaluationRequest, OrgOprfQueue,
};
use workvoice_proto::codec::{from_base64, to_base64};
use workvoice_proto::escrow::canonical_recruiter;
use workvoice_proto::keys::OrgId;
use workvoice_proto::token::{
    self, Invite, IssuerKey, PendingToken, TOKEN_LEN, TOKEN_TYPE, TokenPurpose,
};
use workvoice_proto::vectors::DeterministicRng;
use workvoice_relay::testing::{TestDatabase, TestRelay, TestRelayOptions};

async fn inviting_relay(db: TestDatabase) -> TestRelay {
    let mut relay = TestRelay::spawn(TestRelayOptions {
        database: db,
        ..TestRelayOptions::default()
    })
    .await
    .expect("start the test relay (PostgreSQL tests need WORKVOICE_TEST_PG_URL)");
    let union = relay.union.id;
    relay.set_escrow_invites(&union, true).await.unwrap();
    relay
}

fn invite(n: u8) -> Invite {
    Invite::from_bytes(&[n; 16])
}

fn hashes(invites: &[&Invite]) -> EscrowInviteHashes {
    EscrowInviteHashes {
        hashes: invites.iter().map(|i| hex::encode(i.hash())).collect(),
    }
}

async fn post_invites(
    relay: &TestRelay,
    c: &reqwest::Client,
    path: &str,
    body: &impl serde::Serialize,
    token: Option<&str>,
) -> reqwest::Response {
    post_json(c, &relay.url(path), body, token).await
}

async fn register(relay: &TestRelay, c: &reqwest::Client, invites: &[&Invite]) -> u32 {
    let r = post_invites(
        relay,
        c,
        "/v1/org/escrow/invites",
        &hashes(invites),
        Some(&relay.union.token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    json::<EscrowInviteCount>(r).await.count
}

async fn keys(relay: &TestRelay, c: &reqwest::Client, org: &OrgId) -> EscrowTokenKeys {
    let r = get(
        c,
        &relay.url(&format!("/v1/escrow/tokens/{}", org.to_hex())),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    json(r).await
}

fn key_of(keys: &EscrowTokenKeys, purpose: TokenPurpose) -> Vec<u8> {
    match purpose {
        TokenPurpose::Oprf => keys.oprf_key.clone(),
        TokenPurpose::Escrow => keys.escrow_key.clone(),
    }
}

fn pending(key: &[u8], seed: u64, purpose: TokenPurpose) -> PendingToken {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_be_bytes());
    s[8] = purpose.as_byte();
    PendingToken::begin(key, &s).unwrap()
}

fn token_request(
    org: &OrgId,
    invite: &Invite,
    purpose: TokenPurpose,
    epoch: u32,
    requests: &[&PendingToken],
) -> EscrowTokenRequest {
    EscrowTokenRequest {
        organisation: org.to_hex(),
        invite: hex::encode(invite.as_bytes()),
        purpose,
        epoch,
        requests: requests.iter().map(|p| to_base64(p.request())).collect(),
    }
}

async fn issue(
    relay: &TestRelay,
    c: &reqwest::Client,
    body: &EscrowTokenRequest,
) -> reqwest::Response {
    post_json(c, &relay.url("/v1/escrow/tokens"), body, None).await
}

/// `n` tokens of `purpose` for the union against `invite`, seeds from `seed`: the phone's
/// whole flow (keys, requests, issuance, proof checked, tokens).
async fn tokens(
    relay: &TestRelay,
    c: &reqwest::Client,
    invite: &Invite,
    purpose: TokenPurpose,
    n: u64,
    seed: u64,
) -> Vec<[u8; TOKEN_LEN]> {
    let keys = keys(relay, c, &relay.union.id).await;
    let key = key_of(&keys, purpose);
    let pendings: Vec<PendingToken> = (0..n).map(|i| pending(&key, seed + i, purpose)).collect();
    let refs: Vec<&PendingToken> = pendings.iter().collect();
    let r = issue(
        relay,
        c,
        &token_request(&relay.union.id, invite, purpose, keys.epoch, &refs),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let answer: EscrowTokenResponses = json(r).await;
    assert_eq!(answer.responses.len(), pendings.len());
    pendings
        .iter()
        .zip(&answer.responses)
        .map(|(p, r)| p.finalize(&key, &from_base64(r).unwrap()).unwrap())
        .collect()
}

/// A token the relay never issued, made with a key derived as the relay would for `org`,
/// `epoch` and `purpose` (for the previous epoch, and for another organisation).
fn local_token(relay: &TestRelay, org: &OrgId, epoch: u32, purpose: TokenPurpose) -> Vec<u8> {
    let key = IssuerKey::derive(relay.fixture.relay.seed(), &org.0, epoch, purpose).unwrap();
    let p = pending(key.public_key(), 9_000 + u64::from(epoch), purpose);
    let response = key
        .issue(p.request(), &mut DeterministicRng::new("local token"))
        .unwrap();
    p.finalize(key.public_key(), &response).unwrap().to_vec()
}

/// `phone`'s escrow submission of `text` about `recruiter` to the union.
async fn submission(
    relay: &TestRelay,
    c: &reqwest::Client,
    phone: &Phone,
    recruiter: &str,
    text: &str,
    rng: &mut DeterministicRng,
) -> EscrowSubmissionRequest {
    escrow(relay, c, phone, recruiter, text, rng).await.1
}

async fn post_paid(
    c: &reqwest::Client,
    url: &str,
    body: &impl serde::Serialize,
    authorization: Option<&str>,
) -> reqwest::Response {
    let mut r = c.post(url).json(body);
    if let Some(a) = authorization {
        r = r.header("authorization", a);
    }
    r.send().await.unwrap()
}

async fn submit(
    relay: &TestRelay,
    c: &reqwest::Client,
    body: &EscrowSubmissionRequest,
    token: &[u8],
) -> (StatusCode, EscrowState) {
    let r = post_paid(
        c,
        &relay.url("/v1/escrow"),
        body,
        Some(&token::authorization(token)),
    )
    .await;
    let status = r.status();
    assert!(status.is_success(), "{status}: {}", r.text().await.unwrap());
    let accepted: EscrowAccepted = json(r).await;
    (status, accepted.state)
}

async fn count(relay: &TestRelay, table: &str) -> i64 {
    relay.storage.table_counts().await.unwrap()[table]
}

/// Registration and revocation of invite hashes: the organisation's token, every bad input
/// refused whole, hashes counted once, another organisation's hash left alone.
async fn invites_are_registered_and_revoked(db: TestDatabase) {
    let relay = inviting_relay(db).await;
    let c = client();
    let (a, b, other) = (invite(1), invite(2), invite(3));
    let digest = relay.storage.content_digest().await.unwrap();

    for path in ["/v1/org/escrow/invites", "/v1/org/escrow/invites/revoke"] {
        // No organisation token, or an unknown one.
        for token in [None, Some("wv_not_a_token")] {
            expect_error(
                post_invites(&relay, &c, path, &hashes(&[&a]), token).await,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
            )
            .await;
        }
        // Each bad input, after a good hash: nothing is stored.
        let good = hex::encode(a.hash());
        let too_many = EscrowInviteHashes {
            hashes: (0..1001u32)
                .map(|n| hex::encode(Invite::from_bytes(&[(n % 256) as u8; 16]).hash()))
                .collect(),
        };
        for bad in [
            EscrowInviteHashes {
                hashes: vec![good.clone(), good[..62].to_string()],
            },
            EscrowInviteHashes {
                hashes: vec![good.clone(), format!("{}zz", &good[..62])],
            },
            EscrowInviteHashes {
                hashes: vec![good.clone(), hex::encode(a.as_bytes())],
            },
            too_many,
        ] {
            expect_error(
                post_invites(&relay, &c, path, &bad, Some(&relay.union.token)).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_invite",
            )
            .await;
        }
        let r = c
            .post(relay.url(path))
            .bearer_auth(&relay.union.token)
            .header("content-type", "application/json")
            .body("{\"hashes\": 5}")
            .send()
            .await
            .unwrap();
        expect_error(r, StatusCode::BAD_REQUEST, "malformed_json").await;
    }
    assert_eq!(relay.storage.content_digest().await.unwrap(), digest);

    // Registered once: a hash sent again is not added again.
    assert_eq!(register(&relay, &c, &[&a, &b]).await, 2);
    assert_eq!(register(&relay, &c, &[&a, &b, &a]).await, 0);
    assert_eq!(count(&relay, "escrow_invites").await, 2);
    // Another organisation can neither take nor revoke the union's invite.
    for path in ["/v1/org/escrow/invites", "/v1/org/escrow/invites/revoke"] {
        let r = post_invites(
            &relay,
            &c,
            path,
            &hashes(&[&a]),
            Some(&relay.inspectorate.token),
        )
        .await;
        assert_eq!(json::<EscrowInviteCount>(r).await.count, 0);
    }
    assert_eq!(
        tokens(&relay, &c, &a, TokenPurpose::Escrow, 1, 1)
            .await
            .len(),
        1
    );

    // Revoked: b, and a hash never registered counts nothing.
    let r = post_invites(
        &relay,
        &c,
        "/v1/org/escrow/invites/revoke",
        &hashes(&[&b, &other]),
        Some(&relay.union.token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json::<EscrowInviteCount>(r).await.count, 1);
    assert_eq!(count(&relay, "escrow_invites").await, 1);
    let k = keys(&relay, &c, &relay.union.id).await;
    let p = pending(&k.escrow_key, 50, TokenPurpose::Escrow);
    expect_error(
        issue(
            &relay,
            &c,
            &token_request(&relay.union.id, &b, TokenPurpose::Escrow, k.epoch, &[&p]),
        )
        .await,
        StatusCode::NOT_FOUND,
        "unknown_invite",
    )
    .await;
    relay.stop().await;
}

/// The keys route, and issuance within the budget of an invite per epoch and purpose: `k - 1`
/// escrow and `2(k - 1)` OPRF tokens at the union's `k = 3`; the next refused with nothing
/// counted; the same requests answered again without counting; every bad request refused
/// in the specified order with nothing stored.
async fn tokens_are_issued_within_the_budget(db: TestDatabase) {
    let relay = inviting_relay(db).await;
    let c = client();
    let union = relay.union.id;
    let a = invite(1);
    register(&relay, &c, &[&a]).await;

    // The keys: the relay's derivation for this organisation, epoch and purpose.
    let k = keys(&relay, &c, &union).await;
    assert_eq!(
        u64::from(k.epoch),
        workvoice_relay::domain::unix_now() / relay.settings.escrow_epoch_secs
    );
    for purpose in TokenPurpose::ALL {
        let expected =
            IssuerKey::derive(relay.fixture.relay.seed(), &union.0, k.epoch, purpose).unwrap();
        assert_eq!(key_of(&k, purpose), expected.public_key().to_vec());
    }
    assert_ne!(k.oprf_key, k.escrow_key);
    assert_eq!((k.escrow_budget, k.oprf_budget), (2, 4));
    let keys_url = |org: &str| relay.url(&format!("/v1/escrow/tokens/{org}"));
    expect_error(
        get(&c, &keys_url("not-hex"), None).await,
        StatusCode::BAD_REQUEST,
        "invalid_path",
    )
    .await;
    expect_error(
        get(&c, &keys_url(&"00".repeat(16)), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_recipient",
    )
    .await;
    expect_error(
        get(&c, &keys_url(&relay.inspectorate.id.to_hex()), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "escrow_tokens_off",
    )
    .await;

    // Bad requests, each refused with nothing stored.
    let digest = relay.storage.content_digest().await.unwrap();
    let e = |n: u64| pending(&k.escrow_key, n, TokenPurpose::Escrow);
    let (e1, e2, e3) = (e(1), e(2), e(3));
    let good = token_request(&union, &a, TokenPurpose::Escrow, k.epoch, &[&e1]);
    let mut cases: Vec<(EscrowTokenRequest, StatusCode, &str)> = Vec::new();
    let mut x = good.clone();
    x.organisation = "00".repeat(16);
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "unknown_recipient"));
    let mut x = good.clone();
    x.organisation = "union".into();
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "unknown_recipient"));
    let mut x = good.clone();
    x.organisation = relay.inspectorate.id.to_hex();
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "escrow_tokens_off"));
    let mut x = good.clone();
    x.invite = a.code();
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "invalid_invite"));
    let mut x = good.clone();
    x.invite = hex::encode(a.hash());
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "invalid_invite"));
    for epoch in [k.epoch + 1, k.epoch - 1] {
        let mut x = good.clone();
        x.epoch = epoch;
        cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "escrow_stale_epoch"));
    }
    let mut x = good.clone();
    x.requests.clear();
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token_request"));
    let mut x = good.clone();
    x.requests = vec![good.requests[0].clone(); 33];
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token_request"));
    // A request for the OPRF key, sent for escrow tokens.
    let mut x = good.clone();
    x.requests = vec![to_base64(
        pending(&k.oprf_key, 1, TokenPurpose::Oprf).request(),
    )];
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token_request"));
    for bytes in [
        e1.request()[..51].to_vec(),
        [&[0u8, 2][..], &e1.request()[2..]].concat(),
        [&e1.request()[..3], &[0xff; 49][..]].concat(),
    ] {
        let mut x = good.clone();
        x.requests = vec![good.requests[0].clone(), to_base64(&bytes)];
        cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token_request"));
    }
    let mut x = good.clone();
    x.requests = vec!["not base64!".into()];
    cases.push((x, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token_request"));
    let mut x = good.clone();
    x.invite = hex::encode(invite(9).as_bytes());
    cases.push((x, StatusCode::NOT_FOUND, "unknown_invite"));
    for (body, status, code) in cases {
        expect_error(issue(&relay, &c, &body).await, status, code).await;
    }
    let mut unknown_purpose = serde_json::to_value(&good).unwrap();
    unknown_purpose["purpose"] = "submission".into();
    expect_error(
        post_json(&c, &relay.url("/v1/escrow/tokens"), &unknown_purpose, None).await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    assert_eq!(relay.storage.content_digest().await.unwrap(), digest);

    // Escrow: k - 1 = 2 tokens, each verifying under the relay's key.
    let issuer = IssuerKey::derive(
        relay.fixture.relay.seed(),
        &union.0,
        k.epoch,
        TokenPurpose::Escrow,
    )
    .unwrap();
    let two = token_request(&union, &a, TokenPurpose::Escrow, k.epoch, &[&e1, &e2]);
    let answer: EscrowTokenResponses = json(issue(&relay, &c, &two).await).await;
    assert_eq!(answer.epoch, k.epoch);
    for (p, r) in [&e1, &e2].iter().zip(&answer.responses) {
        let t = p.finalize(&k.escrow_key, &from_base64(r).unwrap()).unwrap();
        assert_eq!(issuer.verify(&t).unwrap(), *p.nonce());
    }
    assert_eq!(count(&relay, "escrow_token_issuance").await, 2);
    // A third is refused, alone or with the two before; nothing is counted.
    let digest = relay.storage.content_digest().await.unwrap();
    for body in [
        token_request(&union, &a, TokenPurpose::Escrow, k.epoch, &[&e3]),
        token_request(&union, &a, TokenPurpose::Escrow, k.epoch, &[&e1, &e3]),
    ] {
        expect_error(
            issue(&relay, &c, &body).await,
            StatusCode::TOO_MANY_REQUESTS,
            "token_budget_spent",
        )
        .await;
    }
    assert_eq!(relay.storage.content_digest().await.unwrap(), digest);
    // The same requests again (a phone that lost the answer) are answered, not counted.
    for body in [
        two.clone(),
        token_request(&union, &a, TokenPurpose::Escrow, k.epoch, &[&e2, &e2]),
    ] {
        let again: EscrowTokenResponses = json(issue(&relay, &c, &body).await).await;
        for r in &again.responses {
            assert_eq!(from_base64(r).unwrap().len(), token::TOKEN_RESPONSE_LEN);
        }
        let t = e2
            .finalize(&k.escrow_key, &from_base64(&again.responses[1]).unwrap())
            .unwrap();
        assert!(issuer.verify(&t).is_ok());
    }
    assert_eq!(relay.storage.content_digest().await.unwrap(), digest);

    // OPRF: its own budget, 2(k - 1) = 4, in one call; a fifth refused.
    let o: Vec<PendingToken> = (0..5)
        .map(|n| pending(&k.oprf_key, n, TokenPurpose::Oprf))
        .collect();
    let four: Vec<&PendingToken> = o[..4].iter().collect();
    let r = issue(
        &relay,
        &c,
        &token_request(&union, &a, TokenPurpose::Oprf, k.epoch, &four),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    expect_error(
        issue(
            &relay,
            &c,
            &token_request(&union, &a, TokenPurpose::Oprf, k.epoch, &[&o[4]]),
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "token_budget_spent",
    )
    .await;
    assert_eq!(count(&relay, "escrow_token_issuance").await, 6);
    // Another invite has its own budget.
    let b = invite(2);
    register(&relay, &c, &[&b]).await;
    assert_eq!(
        tokens(&relay, &c, &b, TokenPurpose::Escrow, 2, 100)
            .await
            .len(),
        2
    );

    // Retention: issuance goes once its epoch is older than the previous one.
    relay.storage.purge_escrow(k.epoch).await.unwrap();
    assert_eq!(count(&relay, "escrow_token_issuance").await, 8);
    relay.storage.purge_escrow(k.epoch + 1).await.unwrap();
    assert_eq!(count(&relay, "escrow_token_issuance").await, 0);
    relay.stop().await;
}

/// Spending on `POST /v1/escrow`: no token, a bad or foreign token, a token spent on another
/// submission are refused with nothing stored; a retry is answered; a request refused by a
/// later check spends nothing; a token of the previous epoch is taken, one older is not.
async fn escrow_submissions_spend_a_token(db: TestDatabase) {
    let relay = inviting_relay(db).await;
    let c = client();
    let union = relay.union.id;
    let mut rng = DeterministicRng::new("escrow tokens");
    let a = invite(1);
    register(&relay, &c, &[&a]).await;
    let url = relay.url("/v1/escrow");
    let k = keys(&relay, &c, &union).await;
    let s1 = submission(&relay, &c, &phone(0), "Everest Manpower", "one", &mut rng).await;
    let s2 = submission(&relay, &c, &phone(1), "Everest Manpower", "two", &mut rng).await;
    let oprf_token = tokens(&relay, &c, &a, TokenPurpose::Oprf, 1, 500).await[0].to_vec();
    let digest = relay.storage.content_digest().await.unwrap();

    // No token: the challenge for the current escrow key.
    let r = post_paid(&c, &url, &s1, None).await;
    let challenge = r
        .headers()
        .get("www-authenticate")
        .expect("a challenge")
        .to_str()
        .unwrap()
        .to_string();
    let escrow_key: [u8; 49] = k.escrow_key.clone().try_into().unwrap();
    assert_eq!(challenge, token::www_authenticate(&escrow_key));
    expect_error(r, StatusCode::UNAUTHORIZED, "token_required").await;

    // Invalid: not a PrivateToken, not a token, forged, another organisation's, another
    // purpose's, two epochs old.
    let mut forged = [0u8; TOKEN_LEN];
    forged[..2].copy_from_slice(&TOKEN_TYPE.to_be_bytes());
    forged[66..98].copy_from_slice(&token::key_id(&escrow_key));
    let mut altered = local_token(&relay, &union, k.epoch, TokenPurpose::Escrow);
    altered[TOKEN_LEN - 1] ^= 1;
    let bad = [
        format!("Bearer {}", relay.union.token),
        "PrivateToken".to_string(),
        "PrivateToken token=\"@@@\"".to_string(),
        token::authorization(&forged[..100]),
        token::authorization(&forged),
        token::authorization(&altered),
        token::authorization(&local_token(
            &relay,
            &relay.inspectorate.id,
            k.epoch,
            TokenPurpose::Escrow,
        )),
        token::authorization(&oprf_token),
        token::authorization(&local_token(
            &relay,
            &union,
            k.epoch - 2,
            TokenPurpose::Escrow,
        )),
    ];
    for header in &bad {
        expect_error(
            post_paid(&c, &url, &s1, Some(header)).await,
            StatusCode::UNAUTHORIZED,
            "token_invalid",
        )
        .await;
    }
    assert_eq!(relay.storage.content_digest().await.unwrap(), digest);

    // Spent once: S1 is stored; its retry with the same token is answered 200; the same
    // token on S2 is refused and S2 is not stored.
    let t = tokens(&relay, &c, &a, TokenPurpose::Escrow, 2, 1).await;
    assert_eq!(
        submit(&relay, &c, &s1, &t[0]).await,
        (StatusCode::CREATED, EscrowState::Waiting)
    );
    assert_eq!(
        submit(&relay, &c, &s1, &t[0]).await,
        (StatusCode::OK, EscrowState::Waiting)
    );
    assert_eq!(count(&relay, "escrow_token_spends").await, 1);
    let before = relay.storage.content_digest().await.unwrap();
    expect_error(
        post_paid(&c, &url, &s2, Some(&token::authorization(&t[0]))).await,
        StatusCode::UNAUTHORIZED,
        "token_spent",
    )
    .await;
    assert_eq!(relay.storage.content_digest().await.unwrap(), before);
    assert_eq!(count(&relay, "escrow_submissions").await, 1);
    // A retry of S1 with another (unspent) token is the same retry, and spends nothing.
    assert_eq!(
        submit(&relay, &c, &s1, &t[1]).await,
        (StatusCode::OK, EscrowState::Waiting)
    );
    assert_eq!(count(&relay, "escrow_token_spends").await, 1);

    // Refused by a later check (the same device about the same recruiter): nothing spent, and
    // the token then pays for S2.
    let again = submission(
        &relay,
        &c,
        &phone(0),
        "Everest Manpower",
        "one more",
        &mut rng,
    )
    .await;
    expect_error(
        post_paid(&c, &url, &again, Some(&token::authorization(&t[1]))).await,
        StatusCode::CONFLICT,
        "escrow_duplicate_source",
    )
    .await;
    assert_eq!(count(&relay, "escrow_token_spends").await, 1);
    assert_eq!(
        submit(&relay, &c, &s2, &t[1]).await,
        (StatusCode::CREATED, EscrowState::Waiting)
    );
    // A token of the previous epoch (fetched before the epoch turned) still pays.
    let s3 = submission(&relay, &c, &phone(2), "Everest Manpower", "three", &mut rng).await;
    let previous = local_token(&relay, &union, k.epoch - 1, TokenPurpose::Escrow);
    assert_eq!(
        submit(&relay, &c, &s3, &previous).await,
        (StatusCode::CREATED, EscrowState::Released)
    );
    assert_eq!(count(&relay, "escrow_token_spends").await, 3);

    // Retention: spends go with their epoch.
    relay.storage.purge_escrow(k.epoch).await.unwrap();
    assert_eq!(count(&relay, "escrow_token_spends").await, 2);

    // An organisation that takes no invites needs no token (the escrow tests cover the rest).
    let mut relay = relay;
    relay.set_escrow_invites(&union, false).await.unwrap();
    let s4 = submission(&relay, &c, &phone(3), "Himal Overseas", "four", &mut rng).await;
    let r = post_paid(&c, &url, &s4, None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    relay.stop().await;
}

/// Spending on `POST /v1/escrow/oprf/org`: a token per request, bound to the blinded
/// element; a retry is answered with the request queued first and queues nothing.
async fn chained_oprf_requests_spend_a_token(db: TestDatabase) {
    let relay = inviting_relay(db).await;
    let c = client();
    let union = relay.union.id;
    let mut rng = DeterministicRng::new("oprf tokens");
    let a = invite(1);
    register(&relay, &c, &[&a]).await;
    let url = relay.url("/v1/escrow/oprf/org");
    let k = keys(&relay, &c, &union).await;
    let recruiter = canonical_recruiter("Everest Manpower", None).unwrap();
    let chained = |body: &OprfEvaluationRequest, org: &OrgId| ChainedOprfRequest {
        organisation: org.to_hex(),
        blinded: body.blinded.clone(),
        pow_nonce: body.pow_nonce,
    };
    let (_, b1) = request_for(&relay, &recruiter, &mut rng);
    let (_, b2) = request_for(&relay, &recruiter, &mut rng);

    let r = post_paid(&c, &url, &chained(&b1, &union), None).await;
    let oprf_key: [u8; 49] = k.oprf_key.clone().try_into().unwrap();
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap(),
        token::www_authenticate(&oprf_key)
    );
    expect_error(r, StatusCode::UNAUTHORIZED, "token_required").await;
    let escrow_token = tokens(&relay, &c, &a, TokenPurpose::Escrow, 1, 1).await;
    expect_error(
        post_paid(
            &c,
            &url,
            &chained(&b1, &union),
            Some(&token::authorization(&escrow_token[0])),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;
    let digest = relay.storage.content_digest().await.unwrap();

    let t = tokens(&relay, &c, &a, TokenPurpose::Oprf, 1, 1).await;
    let auth = token::authorization(&t[0]);
    let r = post_paid(&c, &url, &chained(&b1, &union), Some(&auth)).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let first: ChainedOprfQueued = json(r).await;
    // The same token and element: the same request, nothing queued again.
    let r = post_paid(&c, &url, &chained(&b1, &union), Some(&auth)).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let retry: ChainedOprfQueued = json(r).await;
    assert_eq!(
        (retry.request, retry.epoch),
        (first.request.clone(), first.epoch)
    );
    let queue: OrgOprfQueue = json(
        get(
            &c,
            &relay.url("/v1/org/escrow/oprf"),
            Some(&relay.union.token),
        )
        .await,
    )
    .await;
    assert_eq!(queue.requests.len(), 1);
    assert_eq!(count(&relay, "escrow_token_spends").await, 1);
    // Another element with the same token: refused, nothing stored.
    let before = relay.storage.content_digest().await.unwrap();
    assert_ne!(before, digest);
    expect_error(
        post_paid(&c, &url, &chained(&b2, &union), Some(&auth)).await,
        StatusCode::UNAUTHORIZED,
        "token_spent",
    )
    .await;
    assert_eq!(relay.storage.content_digest().await.unwrap(), before);

    // The inspectorate takes no invites: its requests need no token.
    let r = post_paid(&c, &url, &chained(&b2, &relay.inspectorate.id), None).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    relay.stop().await;
}

/// Sybil: one person with one invite invents three sources about one recruiter. The invite
/// takes only `k - 1 = 2` escrow tokens, so the third submission has none and the group stays
/// sealed; a token from a second invite (a second person the union met) releases it. The
/// relay's files never hold an invite in clear.
async fn one_invite_cannot_release_a_group_alone(db: TestDatabase) {
    let is_sqlite = matches!(db, TestDatabase::Sqlite);
    let relay = inviting_relay(db).await;
    let c = client();
    let mut rng = DeterministicRng::new("sybil");
    let (a, b) = (invite(0x5a), invite(0xa5));
    register(&relay, &c, &[&a, &b]).await;
    let url = relay.url("/v1/escrow");
    let forged: Vec<EscrowSubmissionRequest> = {
        let mut out = Vec::new();
        for i in 0..3 {
            out.push(
                submission(
                    &relay,
                    &c,
                    &phone(i),
                    "Everest Manpower",
                    "forged",
                    &mut rng,
                )
                .await,
            );
        }
        out
    };
    let mine = tokens(&relay, &c, &a, TokenPurpose::Escrow, 2, 1).await;
    assert_eq!(
        submit(&relay, &c, &forged[0], &mine[0]).await.1,
        EscrowState::Waiting
    );
    assert_eq!(
        submit(&relay, &c, &forged[1], &mine[1]).await.1,
        EscrowState::Waiting
    );
    // A third token for the same invite: refused; so the third source has none.
    let k = keys(&relay, &c, &relay.union.id).await;
    let third = pending(&k.escrow_key, 3, TokenPurpose::Escrow);
    expect_error(
        issue(
            &relay,
            &c,
            &token_request(
                &relay.union.id,
                &a,
                TokenPurpose::Escrow,
                k.epoch,
                &[&third],
            ),
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "token_budget_spent",
    )
    .await;
    expect_error(
        post_paid(&c, &url, &forged[2], None).await,
        StatusCode::UNAUTHORIZED,
        "token_required",
    )
    .await;
    expect_error(
        post_paid(&c, &url, &forged[2], Some(&token::authorization(&mine[0]))).await,
        StatusCode::UNAUTHORIZED,
        "token_spent",
    )
    .await;
    let released = json::<workvoice_proto::api::EscrowGroupPage>(
        get(&c, &relay.url("/v1/org/escrow"), Some(&relay.union.token)).await,
    )
    .await;
    assert!(released.groups.is_empty());
    // A second invite's token: k tokens from two invites release the group.
    let theirs = tokens(&relay, &c, &b, TokenPurpose::Escrow, 1, 10).await;
    assert_eq!(
        submit(&relay, &c, &forged[2], &theirs[0]).await.1,
        EscrowState::Released
    );

    if is_sqlite {
        relay.storage.scrub().await.unwrap();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&relay.settings.data_dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                files.extend(std::fs::read(path).unwrap());
            }
        }
        let contains = |needle: &[u8]| files.windows(needle.len()).any(|w| w == needle);
        // The hash is there (the test would pass for a relay that kept nothing otherwise).
        assert!(contains(&a.hash()));
        for i in [&a, &b] {
            assert!(!contains(i.as_bytes()));
            assert!(!contains(hex::encode(i.as_bytes()).as_bytes()));
            assert!(!contains(i.code().as_bytes()));
        }
    }
    relay.stop().await;
}

/// One token posted at once on two submissions pays for exactly one: the other is refused
/// `token_spent` (on PostgreSQL the loser's insert of the spend meets the winner's unique key,
/// and the check, run again, says why), in each of five rounds.
async fn a_token_posted_twice_at_once_pays_once(db: TestDatabase) {
    let relay = inviting_relay(db).await;
    let c = client();
    let mut rng = DeterministicRng::new("concurrent tokens");
    for round in 0..5u8 {
        let invite = invite(round + 1);
        register(&relay, &c, &[&invite]).await;
        let t = tokens(
            &relay,
            &c,
            &invite,
            TokenPurpose::Escrow,
            1,
            u64::from(round),
        )
        .await[0]
            .to_vec();
        let mut bodies = Vec::new();
        for i in 0..2 {
            let p = phone(2 * round + i);
            bodies.push(
                submission(
                    &relay,
                    &c,
                    &p,
                    &format!("Recruiter {round}"),
                    "race",
                    &mut rng,
                )
                .await,
            );
        }
        let posts: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let (c, url, auth) = (c.clone(), relay.url("/v1/escrow"), token::authorization(&t));
                tokio::spawn(async move { post_paid(&c, &url, &body, Some(&auth)).await.status() })
            })
            .collect();
        let mut statuses = Vec::new();
        for post in posts {
            statuses.push(post.await.unwrap());
        }
        statuses.sort();
        assert_eq!(
            statuses,
            vec![StatusCode::CREATED, StatusCode::UNAUTHORIZED],
            "round {round}: one token pays for one submission"
        );
        let round = i64::from(round) + 1;
        assert_eq!(count(&relay, "escrow_submissions").await, round);
        assert_eq!(count(&relay, "escrow_token_spends").await, round);
    }
    relay.stop().await;
}

on_both_backends!(
    a_token_posted_twice_at_once_pays_once,
    invites_are_registered_and_revoked,
    tokens_are_issued_within_the_budget,
    escrow_submissions_spend_a_token,
    chained_oprf_requests_spend_a_token,
    one_invite_cannot_release_a_group_alone,
);
