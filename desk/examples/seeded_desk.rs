//! A seeded desk for the browser tests and demos: an in-process relay (fixture world), a desk
//! enrolled as its union, a dozen realistic reports (Nepali, Bengali, Indonesian, Tagalog,
//! Spanish, Urdu) submitted as phones would and synced, a caseworker account, and the web UI
//! on 127.0.0.1 (port 0). Prints `DESK_URL=…`, `DESK_USER=…`, `DESK_PASSWORD=…` and runs until
//! interrupted (SIGINT).
//!
//! `cargo run -p workvoice-desk --example seeded_desk`
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/world.rs"]
mod world;

use std::io::Write;

use workvoice_desk::SyncOptions;

#[tokio::main]
async fn main() {
    let world = world::World::new().await;
    for i in 0..12 {
        world.submit_sample(i).await;
    }
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.stored, 12);
    world
        .desk
        .add_user(common::USER, common::PASSWORD)
        .await
        .unwrap();
    let server = world
        .desk
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "DESK_URL={}", server.url()).unwrap();
    writeln!(out, "DESK_USER={}", common::USER).unwrap();
    writeln!(out, "DESK_PASSWORD={}", common::PASSWORD).unwrap();
    out.flush().unwrap();
    let _ = tokio::signal::ctrl_c().await;
    server.stop().await;
    world.relay.stop().await;
}
