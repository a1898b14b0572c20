//! Escrow invites (`PROTOCOL.md` 18.12) from the desk's command line against a real relay:
//! `workvoice-desk escrow-invites create 3` registers three invites and prints their codes; the
//! relay issues tokens against a printed code, and refuses one after `escrow-invites revoke`;
//! a code that does not read is named, with exit status 2, and nothing is sent.

use std::process::{Command, Output};

use workvoice_proto::api::{EscrowTokenKeys, EscrowTokenRequest, EscrowTokenResponses};
use workvoice_proto::codec::{from_base64, to_base64};
use workvoice_proto::token::{Invite, PendingToken, TokenPurpose};

use crate::common::PASSPHRASE;
use crate::world::World;

fn desk_command(world: &World, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_workvoice-desk"))
        .arg("--dir")
        .arg(world.desk_dir())
        .args(args)
        .env("WORKVOICE_DESK_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap()
}

/// Asks the relay for one escrow token against `invite`: the status, and the token when
/// issued (its proof checked against the served key).
async fn take_token(world: &World, invite: &Invite, seed: u8) -> reqwest::StatusCode {
    let union = world.relay.fixture.union_id;
    let bytes = world
        .http
        .get(
            world
                .relay
                .url(&format!("/v1/escrow/tokens/{}", union.to_hex())),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let keys: EscrowTokenKeys = serde_json::from_slice(&bytes).unwrap();
    let pending = PendingToken::begin(&keys.escrow_key, &[seed; 32]).unwrap();
    let r = world
        .http
        .post(world.relay.url("/v1/escrow/tokens"))
        .header("content-type", "application/json")
        .body(
            serde_json::to_vec(&EscrowTokenRequest {
                organisation: union.to_hex(),
                invite: hex::encode(invite.as_bytes()),
                purpose: TokenPurpose::Escrow,
                epoch: keys.epoch,
                requests: vec![to_base64(pending.request())],
            })
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    if status.is_success() {
        let answer: EscrowTokenResponses =
            serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        pending
            .finalize(
                &keys.escrow_key,
                &from_base64(&answer.responses[0]).unwrap(),
            )
            .unwrap();
    }
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_created_at_the_desk_are_honoured_by_the_relay_until_revoked() {
    let mut world = World::new().await;
    let union = world.relay.fixture.union_id;
    world.relay.set_escrow_invites(&union, true).await.unwrap();

    let out = desk_command(&world, &["escrow-invites", "create", "3"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Hand one code to each worker"), "{stdout}");
    let codes: Vec<&str> = stdout.lines().filter(|l| l.starts_with("WV-")).collect();
    assert_eq!(codes.len(), 3, "{stdout}");
    let invites: Vec<Invite> = codes.iter().map(|c| Invite::parse(c).unwrap()).collect();
    assert_ne!(invites[0], invites[1]);
    let counts = world.relay.storage.table_counts().await.unwrap();
    assert_eq!(counts["escrow_invites"], 3);

    // The relay issues against each printed code, typed as a worker might.
    let typed = codes[0].to_ascii_lowercase().replace('-', " ");
    assert_eq!(
        take_token(&world, &Invite::parse(&typed).unwrap(), 1).await,
        reqwest::StatusCode::OK
    );
    assert_eq!(
        take_token(&world, &invites[1], 2).await,
        reqwest::StatusCode::OK
    );

    // A code that does not read: named, exit status 2, nothing revoked.
    let bad = format!("{}X", codes[2]);
    let out = desk_command(&world, &["escrow-invites", "revoke", codes[1], &bad]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&bad) && stderr.contains("invalid_invite"),
        "{stderr}"
    );
    assert_eq!(
        take_token(&world, &invites[1], 3).await,
        reqwest::StatusCode::OK
    );

    // Revoked: the relay refuses it; the others still work.
    let out = desk_command(&world, &["escrow-invites", "revoke", codes[1]]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("1 of 1 invites revoked"), "{stdout}");
    assert_eq!(
        take_token(&world, &invites[1], 4).await,
        reqwest::StatusCode::NOT_FOUND
    );
    assert_eq!(
        take_token(&world, &invites[2], 5).await,
        reqwest::StatusCode::OK
    );

    // A relay that refuses the registration (the desk's API token was rotated away): no code
    // is printed, since none would be honoured.
    workvoice_relay::admin::rotate_token(&world.relay.storage, &union)
        .await
        .unwrap();
    let out = desk_command(&world, &["escrow-invites", "create", "2"]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("WV-"), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    let counts = world.relay.storage.table_counts().await.unwrap();
    assert_eq!(counts["escrow_invites"], 2);
}
