//! The case workflow through the web UI against the relay: status and reply reach the worker's
//! mailbox, referral only with consent (refused both in the UI and for a forged POST).

use axum::http::StatusCode;
use workvoice_desk::{DeskError, SyncOptions};
use workvoice_proto::api::{MailboxItem, MailboxStatus, WorkerStatus};
use workvoice_proto::envelope;
use workvoice_proto::reply::open_reply;
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::status::open_status;

use crate::common::{logged_in, snapshot};
use crate::world::World;

#[tokio::test]
async fn status_and_reply_reach_the_workers_mailbox() {
    let world = World::new().await;
    let sent = world.submit_sample(0).await;
    world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    let id = world.case_id(&sent).await;
    let mut web = logged_in(&world.desk).await;

    let page = web
        .post(
            &format!("/cases/{id}/status"),
            &[("status", "investigating")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let text =
        "नमस्ते। हामीले तपाईंको उजुरी पायौं। We have your report and will raise it with the employer.";
    let page = web
        .post(
            &format!("/cases/{id}/replies"),
            &[("text", text), ("language", "ne")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    let mailbox = world.mailbox(&sent).await;
    let statuses: Vec<MailboxStatus> = mailbox
        .entries
        .iter()
        .filter_map(|e| match &e.item {
            MailboxItem::Status { status, .. } => Some(*status),
            _ => None,
        })
        .collect();
    assert!(
        statuses.contains(&MailboxStatus::Acknowledged),
        "{statuses:?}"
    );
    assert!(statuses.contains(&MailboxStatus::InReview), "{statuses:?}");
    // The status is sealed with the union's certified key: the worker's phone can check it
    // came from the union (PROTOCOL.md 8.5), and no other key opens it.
    let sealed_status = mailbox
        .entries
        .iter()
        .find_map(|e| match &e.item {
            MailboxItem::Status {
                status: MailboxStatus::InReview,
                sealed,
            } => sealed.clone(),
            _ => None,
        })
        .expect("the status sealed by the desk");
    let union_key = world.desk.keys()[0].public_key;
    let (header, body) = open_status(&sealed_status, &sent.reply_key, &union_key).unwrap();
    assert_eq!(body.status, WorkerStatus::InReview);
    assert_eq!(
        (header.report_id, header.org_id),
        (sent.report.report_id, world.relay.fixture.union_id)
    );
    assert!(
        open_status(
            &sealed_status,
            &sent.reply_key,
            &world.relay.fixture.ngo_key.public_key()
        )
        .is_err()
    );
    let sealed = mailbox
        .entries
        .iter()
        .find_map(|e| match &e.item {
            MailboxItem::Reply { sealed } => Some(sealed.clone()),
            _ => None,
        })
        .expect("a reply in the mailbox");
    let desk_key = world.desk.keys()[0].public_key;
    let (header, body) = open_reply(&sealed, &sent.reply_key, &desk_key).unwrap();
    assert_eq!(body.text, text);
    assert_eq!(body.language, "ne");
    assert_eq!(header.org_id, world.relay.fixture.union_id);
    // Another organisation's key does not authenticate it.
    assert!(
        open_reply(
            &sealed,
            &sent.reply_key,
            &world.relay.fixture.ngo_key.public_key()
        )
        .is_err()
    );

    // The case page shows the reply and the new status in its history.
    let case = web.get(&format!("/cases/{id}")).await;
    assert!(case.body.contains("We have your report"));
    assert!(
        case.body
            .contains("Status set to <strong>Investigating</strong>")
    );
}

#[tokio::test]
async fn referral_only_where_the_worker_consented() {
    let world = World::new().await;
    // Template 2 (Indonesia → Malaysia) consents to the inspectorate, which routing did not
    // already give it; template 5 (Pakistan → Qatar) does not consent.
    let consenting = world.submit_sample(2).await;
    let refusing = world.submit_sample(5).await;
    assert!(consenting.report.consent.inspectorate && !refusing.report.consent.inspectorate);
    world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    let (yes, no) = (
        world.case_id(&consenting).await,
        world.case_id(&refusing).await,
    );
    let inspectorate = world.relay.fixture.inspectorate_id.to_hex();
    let mut web = logged_in(&world.desk).await;

    // In the UI: a button where consented, none (and the reason) where not.
    let page = web.get(&format!("/cases/{no}")).await;
    assert!(!page.body.contains("Refer this case"));
    assert!(
        page.body
            .contains("did not consent to sharing this report with a labour inspectorate")
    );
    let page = web.get(&format!("/cases/{yes}")).await;
    assert!(page.body.contains("Refer this case"));
    assert!(page.body.contains(&inspectorate));

    // A forged POST is refused and changes nothing, here or at the relay.
    let before = snapshot(&world.desk).await;
    let page = web
        .post(&format!("/cases/{no}/referrals"), &[("to", &inspectorate)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("id=\"referral-to-error\""));
    assert!(page.body.contains("did not consent"));
    assert_eq!(snapshot(&world.desk).await, before);
    let err = world
        .desk
        .refer(no, world.relay.fixture.inspectorate_id, "test")
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::ReferralNotConsented), "{err:?}");
    let inbox = world.relay_inbox(&world.relay.inspectorate.token).await;
    assert!(
        inbox
            .entries
            .iter()
            .all(|e| e.report_id != refusing.report.report_id)
    );

    // The consented referral goes to the inspectorate, sealed to its key only.
    let page = web
        .post(&format!("/cases/{yes}/referrals"), &[("to", &inspectorate)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let inbox = world.relay_inbox(&world.relay.inspectorate.token).await;
    let referred = inbox
        .entries
        .iter()
        .find(|e| {
            e.report_id == consenting.report.report_id
                && e.referred_by == Some(world.relay.fixture.union_id)
        })
        .expect("the referral in the inspectorate's inbox");
    let header = envelope::EnvelopeHeader::parse(&referred.envelope).unwrap();
    assert_eq!(
        header.recipient_ids().collect::<Vec<_>>(),
        vec![world.relay.fixture.inspectorate_id]
    );
    let opened = envelope::open(
        &referred.envelope,
        world.relay.fixture.inspectorate_id,
        &world.relay.inspectorate.key,
        &disclosure_digest(&referred.tags, &referred.consent),
    )
    .unwrap();
    assert_eq!(opened.plaintext, consenting.report.encode());
    let statuses: Vec<MailboxStatus> = world
        .mailbox(&consenting)
        .await
        .entries
        .iter()
        .filter_map(|e| match &e.item {
            MailboxItem::Status { status, .. } => Some(*status),
            _ => None,
        })
        .collect();
    assert!(statuses.contains(&MailboxStatus::Referred), "{statuses:?}");
    let referred_status = world
        .mailbox(&consenting)
        .await
        .entries
        .into_iter()
        .find_map(|e| match e.item {
            MailboxItem::Status {
                status: MailboxStatus::Referred,
                sealed,
            } => sealed,
            _ => None,
        })
        .expect("the referral's status, sealed");
    let (_, body) = open_status(
        &referred_status,
        &consenting.reply_key,
        &world.desk.keys()[0].public_key,
    )
    .unwrap();
    assert_eq!(body.status, WorkerStatus::Referred);
    let page = web.get(&format!("/cases/{yes}")).await;
    assert!(
        page.body
            .contains("Referred to <strong>Labour Inspectorate</strong>")
    );
}

#[tokio::test]
async fn attachments_download_decrypted() {
    let world = World::new().await;
    let photo: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut rng = workvoice_proto::system_rng::SystemRng::new();
    let report = workvoice_desk::samples::sample_report(
        0,
        workvoice_proto::keys::ReportId::random(&mut rng),
        workvoice_proto::keys::HpkePrivateKey::generate(&mut rng).public_key(),
    );
    let sent = world.submit_with_attachments(report, &[&photo]).await;
    world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    let id = world.case_id(&sent).await;
    let attachment = sent.report.attachments[0].id;
    let mut web = logged_in(&world.desk).await;
    let page = web.get(&format!("/cases/{id}")).await;
    let link = format!("/cases/{id}/attachments/{attachment}");
    assert!(
        page.body.contains(&link),
        "a download link on the case page"
    );
    let req = axum::http::Request::builder()
        .uri(&link)
        .header("host", "127.0.0.1")
        .header("cookie", web.cookie.clone().unwrap())
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(web.router.clone(), req)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], &photo[..], "the decrypted file, byte for byte");
    // An unknown attachment id is a 404, not a relay error.
    let missing = web
        .get(&format!("/cases/{id}/attachments/{}", "00".repeat(16)))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn evidence_is_kept_before_the_ack_and_opens_after_the_relay_purged_it() {
    let world = World::new().await;
    let photo: Vec<u8> = (0..40_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let mut rng = workvoice_proto::system_rng::SystemRng::new();
    let report = workvoice_desk::samples::sample_report(
        3,
        workvoice_proto::keys::ReportId::random(&mut rng),
        workvoice_proto::keys::HpkePrivateKey::generate(&mut rng).public_key(),
    );
    let sent = world.submit_with_attachments(report, &[&photo]).await;
    let report_id = sent.report.report_id;
    let attachment = sent.report.attachments[0].id;
    let sync = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(sync.acknowledged, 1, "{sync:?}");
    let id = world.case_id(&sent).await;
    // Kept at the desk, opened, before the acknowledgement went out.
    let kept = world
        .desk
        .store()
        .attachment(id, &attachment.to_hex())
        .await
        .unwrap();
    assert_eq!(
        kept,
        Some(workvoice_desk::store::StoredAttachment::Kept {
            media_type: "image/jpeg".into(),
            bytes: photo.clone()
        })
    );

    // Every other recipient acknowledges too, and the relay purges the report a month later.
    for org in [&world.relay.inspectorate, &world.relay.ngo] {
        let _ = world
            .http
            .post(world.relay.url(&format!("/v1/org/inbox/{report_id}/ack")))
            .bearer_auth(&org.token)
            .send()
            .await
            .unwrap();
    }
    let month_later = crate::world::unix_now() + 30 * 24 * 3600;
    world
        .relay
        .storage
        .purge(
            month_later,
            &workvoice_relay::storage::Retention {
                grace_secs: 7 * 24 * 3600,
                record_max_age_secs: 30 * 24 * 3600,
                mailbox_max_age_secs: 365 * 24 * 3600,
            },
        )
        .await
        .unwrap();
    let at_relay = world
        .http
        .get(world.relay.url(&format!(
            "/v1/org/reports/{report_id}/attachments/{attachment}"
        )))
        .bearer_auth(&world.relay.union.token)
        .send()
        .await
        .unwrap();
    assert_eq!(at_relay.status().as_u16(), 404, "the relay purged it");

    // The case page still opens it, byte for byte.
    let mut web = logged_in(&world.desk).await;
    let req = axum::http::Request::builder()
        .uri(format!("/cases/{id}/attachments/{attachment}"))
        .header("host", "127.0.0.1")
        .header("cookie", web.cookie.clone().unwrap())
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(web.router.clone(), req)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], &photo[..]);
    let page = web.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("kept at this desk"), "{}", page.body);
}

#[tokio::test]
async fn a_case_whose_evidence_is_still_uploading_is_not_acknowledged_yet() {
    let world = World::new().await;
    let photo: Vec<u8> = (0..20_000u32).map(|i| (i * 31 % 253) as u8).collect();
    let mut rng = workvoice_proto::system_rng::SystemRng::new();
    let report = workvoice_desk::samples::sample_report(
        4,
        workvoice_proto::keys::ReportId::random(&mut rng),
        workvoice_proto::keys::HpkePrivateKey::generate(&mut rng).public_key(),
    );
    let (sent, uploads) = world.submit_before_uploads(report, &[&photo]).await;
    let attachment = sent.report.attachments[0].id;
    let sync = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!((sync.stored, sync.acknowledged), (1, 0), "{sync:?}");
    let id = world.case_id(&sent).await;
    let store = world.desk.store();
    assert_eq!(
        store.attachment(id, &attachment.to_hex()).await.unwrap(),
        None
    );
    let mut web = logged_in(&world.desk).await;
    let page = web.get(&format!("/cases/{id}")).await;
    assert!(page.body.contains("not kept yet"), "{}", page.body);
    assert_eq!(store.unacknowledged().await.unwrap().len(), 1);

    // The phone finishes its upload; the next sync keeps the file, then acknowledges.
    world.upload(&sent, uploads).await;
    let sync = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!(sync.acknowledged, 1, "{sync:?}");
    assert!(store.unacknowledged().await.unwrap().is_empty());
    let (media_type, bytes) = world.desk.attachment(id, attachment).await.unwrap();
    assert_eq!((media_type.as_str(), bytes), ("image/jpeg", photo));
}

#[tokio::test]
async fn a_withdrawal_reaches_the_desk_which_checks_it_and_shows_it() {
    let world = World::new().await;
    let sent = world.submit_sample(0).await;
    let other = world.submit_sample(1).await;
    world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    let id = world.case_id(&sent).await;
    let other_id = world.case_id(&other).await;
    let http = reqwest::Client::new();
    let withdraw = |report: &workvoice_proto::report::Report, secret: &str| {
        let url = world
            .relay
            .url(&format!("/v1/submissions/{}/withdrawal", report.report_id));
        let body = serde_json::json!({ "secret": secret }).to_string();
        let http = http.clone();
        async move {
            http.post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // The worker's own secret for her report; for the other report, a secret that is not its
    // own (what another recipient or the relay could post): refused at the desk.
    assert_eq!(
        withdraw(&sent.report, &sent.withdrawal_secret).await,
        StatusCode::CREATED
    );
    assert_eq!(
        withdraw(&other.report, &sent.withdrawal_secret).await,
        StatusCode::CREATED
    );
    let report = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!((report.withdrawn, report.withdrawals_refused), (1, 1));
    let kinds = |events: Vec<workvoice_desk::store::CaseEvent>| {
        events.into_iter().map(|e| e.kind).collect::<Vec<_>>()
    };
    assert!(kinds(world.desk.events(id).await.unwrap()).contains(&"withdrawn".to_string()));
    let other_events = kinds(world.desk.events(other_id).await.unwrap());
    assert!(!other_events.contains(&"withdrawn".to_string()));
    assert!(other_events.contains(&"withdrawal_refused".to_string()));

    // Acknowledged at the relay: the next sync has nothing more, and a repeat changes nothing.
    assert_eq!(
        withdraw(&sent.report, &sent.withdrawal_secret).await,
        StatusCode::OK
    );
    let again = world.desk.sync(SyncOptions::default(), &()).await.unwrap();
    assert_eq!((again.withdrawn, again.withdrawals_refused), (0, 0));

    // The case page says so; the other case's does not.
    let mut web = logged_in(&world.desk).await;
    let page = web.get(&format!("/cases/{id}")).await;
    assert!(
        page.body.contains("Withdrawn by the worker."),
        "{}",
        page.body
    );
    assert!(page.body.contains("The worker withdrew this report."));
    let page = web.get(&format!("/cases/{other_id}")).await;
    assert!(!page.body.contains("Withdrawn by the worker."));
    assert!(page.body.contains("withdrawal unauthenticated"));
}
