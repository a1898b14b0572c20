//! Evidence at rest and on the way out: a sealed attachment is kept in the vault as records of
//! at most `ATTACHMENT_CHUNK_BYTES`, uploaded reading one of them at a time, and deleted from
//! the phone once the relay has confirmed the upload and every recipient acknowledged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PIN, Phone, config};
use workvoice_core::app::draft::EVIDENCE_READ_BYTES;
use workvoice_core::app::records::{ATTACHMENT_CHUNK_BYTES, attachment_key};
use workvoice_core::app::*;
use workvoice_core::evidence::strip_metadata;
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
        step: Step::Evidence,
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
    phone.vault().unwrap().list("attachments").unwrap()
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
    phone.vault().unwrap().batch(&ops).unwrap();

    let (stored, _) = relay_receives_upload(&mut phone, manifest.sealed_size);
    assert_eq!(stored, whole);
    open_attachment(&stored, report_id, &manifest).unwrap();
    mailbox_answer(&mut phone, &fixture, 1, MailboxStatus::Acknowledged);
    assert_eq!(attachment_records(&phone), vec![]);
}

/// A phone with a draft open at the evidence step.
fn phone_at_evidence(dir: &std::path::Path, fixture: &Fixture) -> Phone {
    let mut phone = Phone::start(dir, config(fixture));
    phone.onboard();
    phone.compose_report((true, false, false));
    phone.send(Event::GoToStep {
        step: Step::Evidence,
    });
    phone
}

fn evidence_error(phone: &Phone) -> Option<String> {
    match phone.screen() {
        Screen::Compose(c) => c
            .errors
            .iter()
            .find(|e| e.field == "evidence")
            .map(|e| e.message.clone()),
        other => panic!("not composing: {other:?}"),
    }
}

fn draft_attachments(phone: &Phone) -> Vec<AttachmentRef> {
    let raw = phone
        .vault()
        .unwrap()
        .get("draft", "current")
        .unwrap()
        .unwrap();
    let draft: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    serde_json::from_value(draft["report"]["attachments"].clone()).unwrap()
}

#[test]
fn an_evidence_file_is_read_in_bounded_pieces_stripped_and_sealed_in_segments() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = phone_at_evidence(dir.path(), &fixture);
    let photo = common::jpeg::jpeg(
        Some(b"Exif\0\0GPS 27.7172 N 85.3240 E"),
        (0..900_000usize).map(|i| (i % 251) as u8 & 0x7F),
    );
    let path = files.path().join("photo.jpg");
    std::fs::write(&path, &photo).unwrap();

    phone.send(Event::AddEvidenceFile {
        path: path.display().to_string(),
    });
    assert_eq!(evidence_error(&phone), None);
    assert!(!phone.view().busy);
    // Read front to back, never more than one bounded piece at a time; then a read of length
    // 0 tells the host the core is done with the file (a shell's copy is deleted then).
    let (release, reads) = phone.file_reads.split_last().unwrap();
    assert_eq!(*release, (0, 0));
    assert!(reads.len() as u64 >= photo.len() as u64 / u64::from(EVIDENCE_READ_BYTES));
    for (i, (offset, len)) in reads.iter().enumerate() {
        assert_eq!(*offset, i as u64 * u64::from(EVIDENCE_READ_BYTES));
        assert_eq!(*len, EVIDENCE_READ_BYTES);
    }
    let attachments = draft_attachments(&phone);
    assert_eq!(attachments.len(), 1);
    let entry = &attachments[0];
    let records = attachment_records(&phone);
    assert_eq!(
        records.len() as u64,
        entry.sealed_size.div_ceil(ATTACHMENT_CHUNK_BYTES as u64)
    );
    let mut sealed = Vec::new();
    for index in 0..records.len() {
        let (_, value) = records
            .iter()
            .find(|(k, _)| k.ends_with(&format!("/{index}")))
            .unwrap();
        assert!(value.len() <= ATTACHMENT_CHUNK_BYTES);
        sealed.extend_from_slice(value);
    }
    assert_eq!(sealed[4], workvoice_proto::attachment::VERSION);
    let raw = phone
        .vault()
        .unwrap()
        .get("draft", "current")
        .unwrap()
        .unwrap();
    let draft: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let report_id = ReportId::from_hex(draft["report"]["report_id"].as_str().unwrap()).unwrap();
    let opened = open_attachment(&sealed, report_id, entry).unwrap();
    assert_eq!(opened, strip_metadata(&photo).unwrap().bytes);
    assert!(opened.len() < photo.len());
    // Nothing is left to clean up.
    assert_eq!(phone.vault().unwrap().get("draft", "intake").unwrap(), None);
}

#[test]
fn an_evidence_file_cut_off_mid_way_leaves_nothing_after_the_next_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = phone_at_evidence(dir.path(), &fixture);
    let path = files.path().join("photo.jpg");
    std::fs::write(&path, jpeg(1_500_000)).unwrap();
    // The phone dies after eight reads: two chunk records are stored by then.
    phone.file_reads_allowed = Some(8);
    phone.send(Event::AddEvidenceFile {
        path: path.display().to_string(),
    });
    assert!(!attachment_records(&phone).is_empty());
    assert!(
        phone
            .vault()
            .unwrap()
            .get("draft", "intake")
            .unwrap()
            .is_some()
    );
    drop(phone);

    let mut phone = Phone::start(dir.path(), config(&fixture));
    phone.send(Event::Unlock { pin: PIN.into() });
    assert_eq!(attachment_records(&phone), vec![]);
    assert_eq!(phone.vault().unwrap().get("draft", "intake").unwrap(), None);
}

#[test]
fn evidence_files_that_cannot_be_taken_are_refused_with_a_reason_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut phone = phone_at_evidence(dir.path(), &fixture);
    type MakeFile = Box<dyn Fn(&std::path::Path)>;
    let cases: Vec<(&str, MakeFile, &str)> = vec![
        ("missing.jpg", Box::new(|_| {}), "could not be read"),
        (
            "note.txt",
            Box::new(|p| std::fs::write(p, b"hello").unwrap()),
            "JPEG",
        ),
        (
            "huge.jpg",
            Box::new(|p| {
                let f = std::fs::File::create(p).unwrap();
                f.set_len(33 * 1024 * 1024).unwrap();
            }),
            "32 MB",
        ),
        (
            "cut.jpg",
            Box::new(|p| {
                let photo = jpeg(400_000);
                std::fs::write(p, &photo[..300_000]).unwrap();
            }),
            "could not be read",
        ),
    ];
    for (name, make, says) in cases {
        let path = files.path().join(name);
        make(&path);
        phone.send(Event::AddEvidenceFile {
            path: path.display().to_string(),
        });
        let error = evidence_error(&phone).unwrap_or_default();
        assert!(error.contains(says), "{name}: {error:?}");
        assert!(!phone.view().busy);
        assert_eq!(attachment_records(&phone), vec![], "{name}");
        assert_eq!(phone.vault().unwrap().get("draft", "intake").unwrap(), None);
    }
}

fn evidence_setting(phone: &mut Phone) -> Vec<(String, bool)> {
    phone.send(Event::OpenSettings);
    match phone.screen() {
        Screen::Settings {
            evidence_choices, ..
        } => evidence_choices
            .into_iter()
            .map(|c| (c.code, c.selected))
            .collect(),
        other => panic!("not the settings: {other:?}"),
    }
}

#[test]
fn the_worker_can_keep_sent_evidence_on_the_phone_and_delete_it_later() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let mut app_config = config(&fixture);
    app_config.upload_chunk_bytes = 100_000;
    let mut phone = Phone::start(dir.path(), app_config.clone());
    let (_, manifest) = send_report_with_photo(&mut phone, &fixture, jpeg(300_000));
    // The default: delete once every recipient acknowledged (the test above shows it).
    assert_eq!(
        evidence_setting(&mut phone),
        vec![("delete".to_string(), true), ("keep".to_string(), false)]
    );
    phone.send(Event::SetKeepSentEvidence { keep: true });
    assert_eq!(
        evidence_setting(&mut phone),
        vec![("delete".to_string(), false), ("keep".to_string(), true)]
    );
    let (_, _) = relay_receives_upload(&mut phone, manifest.sealed_size);
    let stored = attachment_records(&phone).len();
    assert!(stored >= 2);
    mailbox_answer(&mut phone, &fixture, 1, MailboxStatus::Acknowledged);
    assert_eq!(
        attachment_records(&phone).len(),
        stored,
        "kept after the acknowledgement"
    );

    // The setting is the worker's and survives a lock.
    phone.send(Event::Lock);
    phone.send(Event::Unlock { pin: PIN.into() });
    assert_eq!(attachment_records(&phone).len(), stored);
    assert_eq!(evidence_setting(&mut phone)[1], ("keep".to_string(), true));

    // Back to deleting: what qualifies goes at once.
    phone.send(Event::SetKeepSentEvidence { keep: false });
    assert_eq!(attachment_records(&phone), vec![]);
}
