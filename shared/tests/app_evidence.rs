//! Evidence at rest and on the way out: a sealed attachment is kept in the vault as records of
//! at most `ATTACHMENT_CHUNK_BYTES`, uploaded reading one of them at a time, and deleted from
//! the phone once the relay has confirmed the upload and every recipient acknowledged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Phone, config};
use workvoice_core::app::records::{ATTACHMENT_CHUNK_BYTES, attachment_key};
use workvoice_core::app::*;
use workvoice_core::vault::VaultOp;
use workvoice_proto::api::{MailboxEntry, MailboxItem, MailboxPage, MailboxStatus, UploadProgress};
use workvoice_proto::attachment::open_attachment;
use workvoice_proto::envelope::open;
use workvoice_proto::keys::ReportId;
use workvoice_proto::report::{AttachmentRef, Report};
use workvoice_proto::routing::disclosure_digest;
use workvoice_proto::vectors::Fixture;

/// A JPEG of about `len` bytes (its entropy-coded data is padding, kept byte for byte).
fn jpeg(len: usize) -> Vec<u8> {
    common::jpeg::jpeg(None, (0..len).map(|i| (i % 251) as u8 & 0x7F))
}

/// Composes a union-only report with one photo, sends it, and returns what the union sees.
fn send_report_with_photo(
    phone: &mut Phone,
    fixture: &Fixture,
    photo: Vec<u8>,
) -> (ReportId, AttachmentRef) {
    let served = fixture.publish(&fixture.listing(5));
    phone.onboard();
    phone.compose_report((true, false, false));
    phone.send(Event::GoToStep {
        step: "evidence".into(),
    });
    phone.send(Event::AddEvidence { bytes: photo });
    phone.send(Event::Review);
    phone.serve_directory(&served);
    phone.send(Event::SendReport);
    phone.serve_directory(&served);
    let (request, body) = phone.take_submission();
    let opened = open(
        &body.envelope,
        fixture.union_id,
        &fixture.union_key,
        &disclosure_digest(&body.tags, &body.consent),
    )
    .unwrap();
    let report = Report::decode(&opened.plaintext).unwrap();
    phone.accept(request, &body, 201);
    (report.report_id, report.attachments[0].clone())
}

fn attachment_records(phone: &Phone) -> Vec<(String, Vec<u8>)> {
    phone.vault.as_ref().unwrap().list("attachments").unwrap()
}

/// Plays the relay for the upload; returns the bytes it received and the PUT bodies' offsets.
fn relay_receives_upload(phone: &mut Phone, size: u64) -> (Vec<u8>, Vec<(u64, usize)>) {
    let progress = |received: u64| {
        serde_json::to_vec(&UploadProgress {
            received,
            size,
            complete: received >= size,
        })
        .unwrap()
    };
    let mut stored = Vec::new();
    let mut puts = Vec::new();
    let request = phone.take_http();
    assert_eq!(request.operation.method, HttpMethod::Get);
    phone.respond_status(request, 200, progress(0));
    while (stored.len() as u64) < size {
        let request = phone.take_http();
        assert_eq!(request.operation.method, HttpMethod::Put);
        let offset: u64 = request
            .operation
            .url
            .rsplit_once("?offset=")
            .unwrap()
            .1
            .parse()
            .unwrap();
        assert_eq!(offset, stored.len() as u64);
        puts.push((offset, request.operation.body.len()));
        stored.extend_from_slice(&request.operation.body);
        phone.respond_status(request, 200, progress(stored.len() as u64));
    }
    (stored, puts)
}

fn mailbox_answer(phone: &mut Phone, fixture: &Fixture, seq: u64, status: MailboxStatus) {
    let wake = phone.view().wake_in_ms.unwrap();
    phone.tick_after(wake);
    let request = phone.take_http();
    assert!(request.operation.url.contains("/v1/mailbox/"));
    let page = MailboxPage {
        entries: vec![MailboxEntry {
            seq,
            org_id: fixture.union_id,
            at_hour: 1_795_820_400,
            item: MailboxItem::Status {
                status,
                sealed: None,
            },
        }],
        last_seq: seq,
    };
    phone.respond_status(request, 200, serde_json::to_vec(&page).unwrap());
}

#[test]
fn evidence_is_kept_in_chunks_uploaded_one_chunk_at_a_time_and_deleted_once_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut app_config = config(&fixture);
    app_config.upload_chunk_bytes = 100_000;
    let mut phone = Phone::start(dir.path(), app_config);
    let (report_id, manifest) = send_report_with_photo(&mut phone, &fixture, jpeg(700_000));

    // At rest: records of at most one chunk, which together are the sealed file.
    let records = attachment_records(&phone);
    let chunks = manifest.sealed_size.div_ceil(ATTACHMENT_CHUNK_BYTES as u64);
    assert!(chunks >= 3, "{chunks}");
    assert_eq!(records.len() as u64, chunks);
    assert!(
        records
            .iter()
            .all(|(_, value)| value.len() <= ATTACHMENT_CHUNK_BYTES)
    );

    // On the way out: no request crosses a stored chunk, so one chunk in memory suffices.
    let (stored, puts) = relay_receives_upload(&mut phone, manifest.sealed_size);
    for (offset, len) in &puts {
        assert!(*len <= 100_000);
        let chunk = ATTACHMENT_CHUNK_BYTES as u64;
        assert_eq!(
            offset / chunk,
            (offset + *len as u64 - 1) / chunk,
            "{puts:?}"
        );
    }
    let plain = open_attachment(&stored, report_id, &manifest).unwrap();
    assert_eq!(&plain[..2], &[0xFF, 0xD8]);

    // Confirmed by the relay but only delivered: the phone keeps it.
    mailbox_answer(&mut phone, &fixture, 1, MailboxStatus::Delivered);
    assert_eq!(attachment_records(&phone).len() as u64, chunks);
    // The only recipient acknowledged: deleted from the phone, the report itself kept.
    mailbox_answer(&mut phone, &fixture, 2, MailboxStatus::Acknowledged);
    assert_eq!(attachment_records(&phone), vec![]);
    let outbox = phone.outbox();
    let item = outbox
        .iter()
        .find(|i| i.report_id == report_id.to_hex())
        .unwrap();
    assert_eq!(item.state, DeliveryState::Acknowledged);
}

#[test]
fn a_whole_attachment_stored_by_an_earlier_release_still_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut app_config = config(&fixture);
    app_config.upload_chunk_bytes = 100_000;
    let mut phone = Phone::start(dir.path(), app_config);
    let (report_id, manifest) = send_report_with_photo(&mut phone, &fixture, jpeg(300_000));

    // Rewrite the chunks as the single record earlier releases kept.
    let records = attachment_records(&phone);
    assert_eq!(records.len(), 2);
    let whole: Vec<u8> = records
        .iter()
        .flat_map(|(_, value)| value.clone())
        .collect();
    let legacy_key = attachment_key(&report_id, &manifest.id);
    let mut ops: Vec<VaultOp<'_>> = records
        .iter()
        .map(|(key, _)| VaultOp::Delete {
            ns: "attachments",
            key,
        })
        .collect();
    ops.push(VaultOp::Put {
        ns: "attachments",
        key: &legacy_key,
        value: &whole,
    });
    phone.vault.as_ref().unwrap().batch(&ops).unwrap();

    let (stored, _) = relay_receives_upload(&mut phone, manifest.sealed_size);
    assert_eq!(stored, whole);
    open_attachment(&stored, report_id, &manifest).unwrap();
    mailbox_answer(&mut phone, &fixture, 1, MailboxStatus::Acknowledged);
    assert_eq!(attachment_records(&phone), vec![]);
}
