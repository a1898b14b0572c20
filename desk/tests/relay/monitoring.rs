//! Key monitoring: when the relay's directory stops carrying this desk's certificate unchanged,
//! the desk raises an alarm shown on every page and stops acknowledging until it is cleared.

use axum::http::StatusCode;
use workvoice_desk::Desk;
use workvoice_desk::SyncOptions;
use workvoice_desk::secrets::Passphrase;
use workvoice_proto::directory::{
    Listing, OrgKind, REVOCATION_CONTEXT, RevocationList, RevokedKey, Signed, SignedDirectory,
};
use workvoice_relay::admin;

use crate::common::{PASSPHRASE, certificate_with, logged_in};
use crate::world::{Proxy, World, unix_now};

#[tokio::test]
async fn a_changed_key_in_the_directory_raises_an_alarm_and_stops_acks() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    let first = world.submit_sample(0).await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(
        (report.stored, report.acknowledged, report.acks_withheld),
        (1, 1, false)
    );

    // A report arrives sealed to the desk's key; then the directory swaps in another key for
    // this organisation (root-signed, so it verifies: only the desk can tell it is not its own).
    let second = world.submit_sample(1).await;
    let f = &world.relay.fixture;
    let foreign = workvoice_proto::keys::HpkePrivateKey::generate(
        &mut workvoice_proto::system_rng::SystemRng::new(),
    );
    let swapped = certificate_with(f, f.union_id, OrgKind::Union, foreign.public_key(), 3);
    admin::set_certificate(
        &world.relay.storage,
        Some(&f.root.public_key()),
        &f.union_id,
        &swapped,
        unix_now(),
    )
    .await
    .unwrap();
    world.publish().await;

    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.stored, 1, "what opens is still pulled and stored");
    assert_eq!(report.acknowledged, 0);
    assert!(report.acks_withheld);
    assert_eq!(report.alarms, vec!["certificate_changed".to_string()]);
    assert_eq!(
        proxy.acks(),
        vec![first.report.report_id.to_hex()],
        "no acknowledgement after the change"
    );
    let inbox = world.relay_inbox(&world.relay.union.token).await;
    let entry = inbox
        .entries
        .iter()
        .find(|e| e.report_id == second.report.report_id)
        .unwrap();
    assert!(!entry.acknowledged);

    // The alarm is on every page, saying what changed.
    let mut web = logged_in(&world.desk).await;
    let new_fp = workvoice_desk::fingerprint(&foreign.public_key());
    let own_fp = workvoice_desk::fingerprint(&world.desk.keys()[0].public_key);
    for uri in [
        "/",
        "/dashboard",
        &format!("/cases/{}", world.case_id(&second).await),
        "/alarms",
    ] {
        let page = web.get(uri).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("Key-monitoring alarm: acknowledgements to the relay are stopped"),
            "{uri}"
        );
        assert!(
            page.body.contains(&new_fp) && page.body.contains(&own_fp),
            "{uri}: what changed"
        );
    }

    // Syncing again keeps withholding; clearing after review resumes acknowledgements, but the
    // unchanged bad directory raises the alarm again at once.
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert!(report.acks_withheld);
    assert_eq!(
        world.desk.store().active_alarms().await.unwrap().len(),
        1,
        "seen again, not duplicated"
    );
    let page = web
        .post(
            "/alarms/clear",
            &[("note", "Checked with the root key holder: not our key.")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert!(
        report.acks_withheld,
        "the directory still carries a foreign key"
    );
    assert_eq!(proxy.acks().len(), 1);
}

#[tokio::test]
async fn a_legitimate_rotation_is_reviewed_then_acknowledgements_resume() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    let before = world.submit_sample(2).await;
    world.desk.sync(SyncOptions::default(), &()).await.unwrap();

    // The desk rotates its key; the root certifies it; the relay publishes it.
    let rotated = world.desk.rotate_key().await.unwrap();
    let f = &world.relay.fixture;
    let cert = certificate_with(f, f.union_id, OrgKind::Union, rotated.public_key, 3);
    admin::set_certificate(
        &world.relay.storage,
        Some(&f.root.public_key()),
        &f.union_id,
        &cert,
        unix_now(),
    )
    .await
    .unwrap();
    // A report sealed to the old key is still in flight.
    let old_key_report = world.submit_sample(3).await;
    world.publish().await;
    let after = world.submit_sample(4).await;

    // Until the desk installs the new certificate, the change is an alarm.
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert!(report.acks_withheld);
    assert_eq!(report.stored, 2, "old-key and new-key envelopes both open");
    world.desk.install_certificate(cert).await.unwrap();
    world
        .desk
        .clear_alarms("operator", "Our own rotation, certificate installed.")
        .await
        .unwrap();
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert!(!report.acks_withheld);
    assert_eq!(
        report.acknowledged, 2,
        "the cases stored during the alarm are acknowledged now"
    );
    let acked = proxy.acks();
    for s in [&before, &old_key_report, &after] {
        assert!(acked.contains(&s.report.report_id.to_hex()));
    }
    let versions: Vec<u32> = key_versions(&world, &[&old_key_report, &after]).await;
    assert_eq!(versions, vec![1, 2]);
}

async fn key_versions(world: &World, sent: &[&crate::world::Sent]) -> Vec<u32> {
    let mut out = Vec::new();
    for s in sent {
        let case = world
            .desk
            .store()
            .case(world.case_id(s).await)
            .await
            .unwrap();
        out.push(case.opened_with_key);
    }
    out
}

#[tokio::test]
async fn an_invalid_or_rolled_back_directory_raises_an_alarm() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    let old_directory = world
        .http
        .get(world.relay.url("/v1/directory"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    world.publish().await;
    world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert!(world.desk.store().active_alarms().await.unwrap().is_empty());

    proxy
        .faults
        .tamper_directory
        .store(true, std::sync::atomic::Ordering::SeqCst);
    world.submit_sample(0).await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.alarms, vec!["directory_invalid".to_string()]);
    assert!(report.acks_withheld && report.acknowledged == 0);
    let alarm = &world.desk.store().active_alarms().await.unwrap()[0];
    assert!(
        alarm.detail.contains("directory_bad_signature"),
        "{}",
        alarm.detail
    );

    proxy
        .faults
        .tamper_directory
        .store(false, std::sync::atomic::Ordering::SeqCst);
    world
        .desk
        .clear_alarms("operator", "relay fixed")
        .await
        .unwrap();
    *proxy.faults.directory_override.lock().unwrap() = Some(old_directory);
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert!(report.acks_withheld);
    let alarm = &world.desk.store().active_alarms().await.unwrap()[0];
    assert!(
        alarm.detail.contains("directory_rollback"),
        "{}",
        alarm.detail
    );
}

/// The directory the relay serves now, as bytes.
async fn served_directory(world: &World) -> Vec<u8> {
    world
        .http
        .get(world.relay.url("/v1/directory"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

/// A relay (holding its certified directory key) signing the next version of what it serves,
/// changed by `change`: what a compromised relay could publish.
async fn next_directory_signed_by_the_relay(
    world: &World,
    change: impl FnOnce(&mut Listing),
) -> Vec<u8> {
    let served = SignedDirectory::from_json(&served_directory(world).await).unwrap();
    let mut listing: Listing = served.listing.peek().unwrap();
    listing.version += 1;
    change(&mut listing);
    SignedDirectory::publish(
        &listing,
        &world.relay.fixture.relay,
        served.relay_certificate,
    )
    .to_json()
}

/// The root publishes revocation list 1 (revoking `revoked`) and the relay a directory
/// carrying it.
async fn publish_revocations(world: &World, revoked: Vec<RevokedKey>) {
    let f = &world.relay.fixture;
    admin::set_revocations(
        &world.relay.storage,
        Some(&f.root.public_key()),
        &f.revocations(revoked),
    )
    .await
    .unwrap();
    world.publish().await;
}

#[tokio::test]
async fn a_listing_without_the_revocation_list_seen_is_refused_also_after_a_restart() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    // Revocation list 1 (it revokes nothing any sample report is sealed to).
    publish_revocations(
        &world,
        vec![RevokedKey {
            org_id: world.relay.ngo.id,
            key_version: 9,
            hpke_public_key: world.relay.ngo.key.public_key(),
        }],
    )
    .await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert!(report.alarms.is_empty(), "{:?}", report.alarms);
    assert_eq!(
        world.desk.store().directory_pins().await.unwrap(),
        workvoice_proto::directory::DirectoryPins {
            min_version: report.directory_version.unwrap(),
            min_revocation_serial: 1,
        }
    );

    // The relay signs a newer listing that drops the list (which would un-revoke the key).
    let stripped = next_directory_signed_by_the_relay(&world, |l| l.revocations = None).await;
    *proxy.faults.directory_override.lock().unwrap() = Some(stripped);
    world.submit_sample(0).await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.alarms, vec!["directory_invalid".to_string()]);
    assert!(report.acks_withheld && report.acknowledged == 0);
    let alarm = &world.desk.store().active_alarms().await.unwrap()[0];
    assert!(
        alarm.detail.contains("directory_revocations_missing")
            && alarm.detail.contains("revocation list 1 was already seen"),
        "{}",
        alarm.detail
    );
    assert!(proxy.acks().is_empty());

    // Cleared after review, then the desk restarts: the pin was stored, so the same listing
    // is refused again.
    world
        .desk
        .clear_alarms("operator", "asked the relay operator")
        .await
        .unwrap();
    world.desk.store().close().await;
    let desk = Desk::open(world.desk.data_dir(), &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    assert_eq!(
        desk.store()
            .directory_pins()
            .await
            .unwrap()
            .min_revocation_serial,
        1
    );
    let report = desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.alarms, vec!["directory_invalid".to_string()]);
    assert!(report.acks_withheld && report.acknowledged == 0);
    let alarm = &desk.store().active_alarms().await.unwrap()[0];
    assert!(
        alarm.detail.contains("directory_revocations_missing"),
        "{}",
        alarm.detail
    );
    assert!(proxy.acks().is_empty());

    // The relay's own directory, with the list, is accepted again.
    *proxy.faults.directory_override.lock().unwrap() = None;
    desk.clear_alarms("operator", "relay fixed").await.unwrap();
    let report = desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert!(report.alarms.is_empty(), "{:?}", report.alarms);
    assert_eq!(report.acknowledged, 1);
    desk.store().close().await;
}

#[tokio::test]
async fn a_directory_without_this_organisation_raises_the_missing_certificate_alarm() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    world.submit_sample(0).await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!((report.acknowledged, report.acks_withheld), (1, false));

    let union = world.relay.fixture.union_id;
    let without = next_directory_signed_by_the_relay(&world, |l| {
        l.organisations.retain(|o| o.id != union);
        l.rules.retain(|r| !r.deliver_to.contains(&union));
    })
    .await;
    *proxy.faults.directory_override.lock().unwrap() = Some(without);
    world.submit_sample(1).await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.alarms, vec!["certificate_missing".to_string()]);
    assert_eq!(report.stored, 1, "what opens is still pulled and stored");
    assert!(report.acks_withheld && report.acknowledged == 0);
    let alarm = &world.desk.store().active_alarms().await.unwrap()[0];
    assert!(
        alarm.detail.contains("does not list this organisation")
            && alarm.detail.contains(&union.to_string()),
        "{}",
        alarm.detail
    );
    assert_eq!(proxy.acks().len(), 1);
    let mut web = logged_in(&world.desk).await;
    let page = web.get("/dashboard").await;
    assert!(
        page.body
            .contains("Key-monitoring alarm: acknowledgements to the relay are stopped")
            && page.body.contains("does not list this organisation"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_revoked_certificate_of_this_organisation_raises_an_alarm() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    world.submit_sample(0).await;
    // A report sealed before the revocation is still waiting.
    world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    world.submit_sample(1).await;

    let own = world.desk.keys()[0].public_key;
    publish_revocations(
        &world,
        vec![RevokedKey {
            org_id: world.relay.fixture.union_id,
            key_version: 2,
            hpke_public_key: own,
        }],
    )
    .await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.alarms, vec!["certificate_revoked".to_string()]);
    assert_eq!(report.stored, 1);
    assert!(report.acks_withheld && report.acknowledged == 0);
    let alarm = &world.desk.store().active_alarms().await.unwrap()[0];
    assert!(
        alarm.detail.contains("not trusted: certificate_revoked"),
        "{}",
        alarm.detail
    );
    assert_eq!(proxy.acks().len(), 1);
}

#[tokio::test]
async fn a_directory_signed_by_a_relay_key_the_root_revoked_raises_an_alarm() {
    let proxy = Proxy::start().await;
    let world = World::with_relay_url(Some(&proxy)).await;
    world.submit_sample(0).await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!((report.acknowledged, report.acks_withheld), (1, false));

    // A report sent before; then the root revokes the relay's directory key; a relay that keeps signing with it (and
    // carries the list, as it must once a list was seen) is refused.
    world.submit_sample(1).await;
    let f = &world.relay.fixture;
    let list = Signed::sign(
        &RevocationList {
            serial: 1,
            issued_at: unix_now() - 60,
            revoked: Vec::new(),
            relay_keys: vec![f.relay.public_key()],
        },
        REVOCATION_CONTEXT,
        &f.root,
    );
    admin::set_revocations(&world.relay.storage, Some(&f.root.public_key()), &list)
        .await
        .unwrap();
    world.publish().await;
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(report.alarms, vec!["directory_invalid".to_string()]);
    assert!(report.acks_withheld && report.acknowledged == 0);
    let alarm = &world.desk.store().active_alarms().await.unwrap()[0];
    assert!(
        alarm.detail.contains("directory_relay_key_revoked"),
        "{}",
        alarm.detail
    );
    assert_eq!(proxy.acks().len(), 1);
}
