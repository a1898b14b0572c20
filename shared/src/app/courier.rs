//! Delivery while locked: the courier.
//!
//! When the app locks, it hands the courier what a locked phone may hold to go on delivering
//! ([`CourierEntry`]: sealed submissions, mailbox tokens and polling state), writes it to the
//! courier store (which opens without the PIN, `vault::courier`) and forgets everything else.
//! While locked, courier rounds send the stored submissions exactly as the unlocked engine
//! would (the same bytes under the same id, with backoff) and poll the mailboxes; what arrives
//! is kept as it came, replies still sealed. At unlock the app takes over: accepted reports
//! become `Accepted`, what arrived is opened, and the courier is written again from the outbox.
//!
//! Evidence is uploaded too, from the courier store's copy of its sealed chunks (the unlocked
//! sync engine copies them there before anything else, `sync::copy_evidence_chunk`); the
//! copy is deleted once the relay has the whole attachment.
//!
//! What needs the report or the recovery code (sealing, a re-seal after `stale_directory`, a
//! new mailbox number after `mailbox_in_use`, opening replies) waits for the PIN: the courier
//! marks the report `held` and leaves it.
//!
//! While unlocked, every write of an outbox record also writes its courier entry, so a killed
//! app that restarts locked goes on delivering what was sealed.

use std::collections::BTreeMap;

use crux_core::Command;
use crux_core::render::render;
use workvoice_proto::ErrorCode;
use workvoice_proto::api::{MailboxPage, SubmissionAccepted, UploadProgress};
use workvoice_proto::envelope::EnvelopeHeader;
use workvoice_proto::keys::{AttachmentId, ReportId};
use workvoice_proto::pow::solve_pow_slice;
use workvoice_proto::recovery::mailbox_token_text;

use super::records::{
    ATTACHMENT_CHUNK_BYTES, CourierEntry, NS_COURIER_EVIDENCE, OutboxRecord, Phase,
    attachment_chunk_key, courier_evidence_deletes,
};
use super::sync::{POW_SLICE, backoff_delay};
use super::{
    Cmd, HttpMethod, HttpRequest, HttpResult, Internal, Msg, Phone, Session, TimeOperation,
    TimeOutput, VaultOperation, VaultOutput, VaultWrite,
};

/// The courier's state in memory.
#[derive(Debug, Default)]
pub struct CourierState {
    pub entries: BTreeMap<ReportId, CourierEntry>,
    pub running: bool,
    pub again: bool,
    /// Changes at every lock and unlock: answers to an earlier session's requests are dropped.
    pub session: u64,
    /// A proof-of-work being solved in slices: the report, the difficulty, the next nonce.
    pub solving: Option<(ReportId, u8, u64)>,
    /// The copied chunk of the sealed attachment being uploaded: its offset in the sealed
    /// file and its bytes.
    pub upload: Option<(ReportId, AttachmentId, u64, Vec<u8>)>,
}

/// One step of a courier round, as it comes back.
#[derive(Debug)]
pub enum CourierStep {
    Clock(TimeOutput),
    Submitted {
        report_id: ReportId,
        result: HttpResult,
    },
    Mailbox {
        report_id: ReportId,
        result: HttpResult,
    },
    /// The relay's answer to an upload request (how much of the attachment it has).
    Upload {
        report_id: ReportId,
        result: HttpResult,
    },
    /// A copied evidence chunk read from the courier store.
    Chunk {
        report_id: ReportId,
        index: u64,
        out: VaultOutput,
    },
    Saved(VaultOutput),
}

fn step(session: u64, step: CourierStep) -> Msg {
    Msg::Internal(Internal::Courier { session, step })
}

fn entry_of(session: &Session, record: &OutboxRecord) -> Option<CourierEntry> {
    let code = session.recovery.as_ref()?;
    let token = mailbox_token_text(&code.report_secrets(record.index).mailbox_token);
    CourierEntry::of(record, token)
}

fn courier_write(ops: Vec<VaultWrite>, session: u64) -> Cmd {
    if ops.is_empty() {
        return Command::done();
    }
    Command::request_from_shell(VaultOperation::CourierWrite { ops })
        .then_send(move |out| step(session, CourierStep::Saved(out)))
}

/// Unlocked: write the courier entry of report `id` after its outbox record changed.
pub(crate) fn refresh(phone: &mut Phone, session: &Session, id: &ReportId) -> Cmd {
    let entry = session.outbox.get(id).and_then(|r| entry_of(session, r));
    let op = match entry {
        Some(entry) => {
            let op = entry.write();
            phone.courier.entries.insert(*id, entry);
            op
        }
        None => {
            if phone.courier.entries.remove(id).is_none() && !session.outbox.contains_key(id) {
                return Command::done();
            }
            CourierEntry::delete(id)
        }
    };
    courier_write(vec![op], phone.courier.session)
}

/// Unlocked: the courier made again from the whole outbox (at lock, and after the take-over at
/// unlock); entries of reports no longer in the outbox are deleted.
pub(crate) fn rebuild(phone: &mut Phone, session: &Session) -> Cmd {
    let entries: BTreeMap<ReportId, CourierEntry> = session
        .outbox
        .values()
        .filter_map(|r| entry_of(session, r).map(|e| (r.report_id, e)))
        .collect();
    let mut ops: Vec<VaultWrite> = phone
        .courier
        .entries
        .keys()
        .chain(session.outbox.keys())
        .filter(|id| !entries.contains_key(id))
        .map(CourierEntry::delete)
        .collect();
    ops.extend(entries.values().map(CourierEntry::write));
    phone.courier.entries = entries;
    courier_write(ops, phone.courier.session)
}

/// Locked, at start: the courier store's entries.
pub fn load() -> Cmd {
    Command::request_from_shell(VaultOperation::CourierLoad)
        .then_send(|out| Msg::Internal(Internal::CourierLoaded(out)))
}

pub(crate) fn loaded(phone: &mut Phone, out: VaultOutput) -> Cmd {
    if let VaultOutput::Entries(namespaces) = out {
        let entries: Vec<(String, Vec<u8>)> = namespaces.into_iter().flatten().collect();
        super::oblivious::load(phone, &entries);
        phone.courier.entries = entries
            .into_iter()
            .filter(|(k, _)| k != super::oblivious::TRANSPORT_KEY)
            .filter_map(|(_, v)| serde_json::from_slice::<CourierEntry>(&v).ok())
            .map(|e| (e.report_id, e))
            .collect();
    }
    start_round(phone)
}

/// A new session (lock or unlock): answers to the earlier one's requests are dropped.
pub(crate) fn new_session(phone: &mut Phone) {
    phone.courier.session += 1;
    phone.courier.running = false;
    phone.courier.again = false;
    phone.courier.solving = None;
    phone.courier.upload = None;
}

/// Unlocked again: what the courier did while locked goes into the outbox. Returns the
/// outbox records that changed; the caller writes them, then [`rebuild`]s the courier.
pub(crate) fn take_over(phone: &mut Phone, session: &mut Session) -> Vec<VaultWrite> {
    let entries = std::mem::take(&mut phone.courier.entries);
    let mut changed = Vec::new();
    for entry in entries.values() {
        let Some(record) = session.outbox.get_mut(&entry.report_id) else {
            continue;
        };
        let mut touched = false;
        if record.pow_pending.is_some() && entry.pow_pending.is_none() {
            // The courier solved the proof-of-work: the bytes it sent.
            if let Some(sealed) = &entry.sealed {
                record.sealed = Some(sealed.clone());
            }
            if entry.sealed.is_some() || entry.accepted.is_some() {
                record.pow_pending = None;
            }
        }
        if record.phase == Phase::Sending {
            if let Some(recipients) = &entry.accepted {
                record.phase = Phase::Accepted;
                record.recipients = recipients.clone();
                record.attempts = 0;
                record.transient = None;
            } else {
                record.attempts = record.attempts.max(entry.attempts);
            }
            touched = true;
        }
        for sent in &entry.uploads {
            if let Some(upload) = record.uploads.iter_mut().find(|u| u.id == sent.id)
                && !upload.complete
                && (sent.complete || sent.received > upload.received)
            {
                upload.received = upload.received.max(sent.received);
                upload.complete = sent.complete;
                if sent.complete {
                    record.courier_evidence.retain(|c| c.id != sent.id);
                }
                touched = true;
            }
        }
        if record.phase == Phase::Accepted && entry.mailbox_after >= record.mailbox_after {
            record.mailbox_next_at_ms = entry.mailbox_next_at_ms;
            record.mailbox_interval_ms = entry.mailbox_interval_ms;
            touched = true;
        }
        let after = record.mailbox_after;
        if entry.arrived.is_empty() && entry.mailbox_after > after {
            record.mailbox_after = entry.mailbox_after;
        }
        let after = record.mailbox_after;
        let arrived: Vec<_> = entry
            .arrived
            .iter()
            .filter(|e| e.seq > after)
            .cloned()
            .collect();
        if touched || !arrived.is_empty() {
            changed.push(entry.report_id);
        }
        if !arrived.is_empty() {
            let page = MailboxPage {
                entries: arrived,
                last_seq: entry.mailbox_after,
            };
            super::sync::apply_page(session, entry.report_id, page);
        }
    }
    phone.courier.entries = entries;
    changed
        .iter()
        .filter_map(|id| session.outbox.get(id).map(OutboxRecord::write))
        .collect()
}

/// Locked: start a courier round, if there is anything to deliver or poll.
pub(crate) fn start_round(phone: &mut Phone) -> Cmd {
    if phone.courier.entries.is_empty() {
        return Command::done();
    }
    if phone.courier.running {
        if phone.courier.solving.is_some() {
            return solve_step(phone);
        }
        phone.courier.again = true;
        return Command::done();
    }
    phone.courier.running = true;
    phone.transport.new_round();
    let session = phone.courier.session;
    Command::request_from_shell(TimeOperation)
        .then_send(move |t| step(session, CourierStep::Clock(t)))
}

pub(crate) fn update(phone: &mut Phone, session: u64, courier_step: CourierStep) -> Cmd {
    if session != phone.courier.session {
        return Command::done();
    }
    match courier_step {
        CourierStep::Clock(t) => {
            phone.now_ms = t.unix_ms;
            advance(phone)
        }
        CourierStep::Submitted { report_id, result } => on_submitted(phone, report_id, result),
        CourierStep::Mailbox { report_id, result } => on_mailbox(phone, report_id, result),
        CourierStep::Upload { report_id, result } => on_upload(phone, report_id, result),
        CourierStep::Chunk {
            report_id,
            index,
            out,
        } => on_chunk(phone, report_id, index, out),
        // A failed write is written again with the next change; the outbox stays the truth.
        CourierStep::Saved(_) => Command::done(),
    }
}

fn stop(phone: &mut Phone) -> Cmd {
    phone.courier.running = false;
    if phone.courier.again {
        phone.courier.again = false;
        return Command::all([render(), start_round(phone)]);
    }
    render()
}

fn advance(phone: &mut Phone) -> Cmd {
    let now = phone.now_ms;
    let entries = &phone.courier.entries;
    if let Some((id, pending)) = entries
        .values()
        .find(|e| e.to_send() && e.next_attempt_at_ms <= now)
        .map(|e| (e.report_id, e.pow_pending))
    {
        if let Some(difficulty) = pending {
            phone.courier.solving = Some((id, difficulty, 0));
            return solve_step(phone);
        }
        return post(phone, id);
    }
    if let Some(id) = entries
        .values()
        .find(|e| e.to_upload() && e.next_attempt_at_ms <= now)
        .map(|e| e.report_id)
    {
        return upload_step(phone, id);
    }
    if let Some(id) = entries
        .values()
        .find(|e| e.to_poll() && e.mailbox_next_at_ms <= now)
        .map(|e| e.report_id)
    {
        return poll(phone, id);
    }
    stop(phone)
}

/// A request to the relay, the way `oblivious.rs` says; the answer goes to this session's
/// courier.
fn http(
    phone: &mut Phone,
    request: HttpRequest,
    then: impl Fn(HttpResult) -> CourierStep + Clone + Send + 'static,
) -> Cmd {
    let session = phone.courier.session;
    super::oblivious::send(phone, request, move |r| Internal::Courier {
        session,
        step: then(r),
    })
}

/// One slice of a proof-of-work (`sync::POW_SLICE` nonces), as the unlocked app solves it;
/// when found, the entry is stored with it, then sent. Between slices the view asks for a Tick
/// at once.
fn solve_step(phone: &mut Phone) -> Cmd {
    let Some((id, difficulty, next)) = phone.courier.solving else {
        return Command::done();
    };
    match solve_pow_slice(&id, difficulty, next, POW_SLICE) {
        Ok(None) => {
            phone.courier.solving = Some((id, difficulty, next.wrapping_add(u64::from(POW_SLICE))));
            render()
        }
        Ok(Some(nonce)) => {
            phone.courier.solving = None;
            if let Some(entry) = phone.courier.entries.get_mut(&id) {
                if let Some(sealed) = &mut entry.sealed {
                    sealed.pow_nonce = nonce;
                }
                entry.pow_pending = None;
            }
            Command::all([save(phone, &id), post(phone, id)])
        }
        Err(e) => {
            phone.courier.solving = None;
            hold(phone, id, e.code().to_string())
        }
    }
}

fn post(phone: &mut Phone, id: ReportId) -> Cmd {
    let Some(sealed) = phone
        .courier
        .entries
        .get(&id)
        .and_then(|e| e.sealed.as_ref())
    else {
        return advance(phone);
    };
    let (body, media_type) = super::sync::submission_body(sealed);
    let request = HttpRequest {
        method: HttpMethod::Post,
        url: phone.relay("/v1/submissions"),
        headers: Vec::new(),
        body,
        timeout_ms: phone.config.http_timeout_ms,
    }
    .with_header("content-type", media_type.into());
    http(phone, request, move |result| CourierStep::Submitted {
        report_id: id,
        result,
    })
}

fn save(phone: &Phone, id: &ReportId) -> Cmd {
    match phone.courier.entries.get(id) {
        Some(entry) => courier_write(vec![entry.write()], phone.courier.session),
        None => Command::done(),
    }
}

fn accepted(phone: &mut Phone, id: ReportId, recipients: Vec<workvoice_proto::keys::OrgId>) -> Cmd {
    let now = phone.now_ms;
    if let Some(entry) = phone.courier.entries.get_mut(&id) {
        entry.sealed = None;
        entry.accepted = Some(recipients);
        entry.attempts = 0;
        entry.mailbox_next_at_ms = now.saturating_add(entry.mailbox_interval_ms);
    }
    Command::all([save(phone, &id), advance(phone)])
}

fn back_off(phone: &mut Phone, id: ReportId) -> Cmd {
    let (base, cap, now) = (
        phone.config.retry_base_ms,
        phone.config.retry_cap_ms,
        phone.now_ms,
    );
    let random = phone.rng.below(u64::MAX);
    if let Some(entry) = phone.courier.entries.get_mut(&id) {
        entry.attempts = entry.attempts.saturating_add(1);
        entry.next_attempt_at_ms = now + backoff_delay(entry.attempts, base, cap, random).max(1);
    }
    Command::all([save(phone, &id), advance(phone)])
}

fn hold(phone: &mut Phone, id: ReportId, code: String) -> Cmd {
    if let Some(entry) = phone.courier.entries.get_mut(&id) {
        entry.held = Some(code);
    }
    Command::all([save(phone, &id), advance(phone)])
}

fn on_submitted(phone: &mut Phone, id: ReportId, result: HttpResult) -> Cmd {
    let HttpResult::Response(response) = &result else {
        return back_off(phone, id);
    };
    let code = || {
        serde_json::from_slice::<workvoice_proto::api::ApiError>(&response.body)
            .map(|e| e.error)
            .unwrap_or_else(|_| format!("http_{}", response.status))
    };
    match response.status {
        200 | 201 => match serde_json::from_slice::<SubmissionAccepted>(&response.body) {
            Ok(answer) if answer.submission_id == id => accepted(phone, id, answer.recipients),
            _ => back_off(phone, id),
        },
        409 if code() == "submission_conflict" => {
            // As unlocked (sync.rs): an earlier sealing of this report is stored.
            let recipients = phone
                .courier
                .entries
                .get(&id)
                .and_then(|e| e.sealed.as_ref())
                .and_then(|s| EnvelopeHeader::parse(&s.envelope).ok())
                .map(|h| h.recipient_ids().collect())
                .unwrap_or_default();
            accepted(phone, id, recipients)
        }
        408 | 429 | 500..=599 => back_off(phone, id),
        // A re-seal, a new mailbox number or a refusal: the unlocked app sees the same answer
        // when it sends these bytes again, and deals with it.
        _ => {
            let code = code();
            hold(phone, id, code)
        }
    }
}

fn upload_url(phone: &Phone, id: &ReportId, attachment: &AttachmentId) -> String {
    phone.relay(&format!("/v1/submissions/{id}/attachments/{attachment}"))
}

/// Ask the relay how much of the next attachment it has, as the unlocked engine does.
fn upload_step(phone: &mut Phone, id: ReportId) -> Cmd {
    let Some(entry) = phone.courier.entries.get(&id) else {
        return advance(phone);
    };
    let Some(upload) = entry.uploads.iter().find(|u| !u.complete) else {
        return advance(phone);
    };
    let request = HttpRequest::get(
        upload_url(phone, &id, &upload.id),
        phone.config.http_timeout_ms,
    )
    .with_header("authorization", format!("Bearer {}", entry.mailbox_token));
    http(phone, request, move |result| CourierStep::Upload {
        report_id: id,
        result,
    })
}

fn on_upload(phone: &mut Phone, id: ReportId, result: HttpResult) -> Cmd {
    let progress = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<UploadProgress>(&r.body).ok()
        }
        _ => None,
    };
    let Some(progress) = progress else {
        phone.courier.upload = None;
        return back_off(phone, id);
    };
    let Some(entry) = phone.courier.entries.get_mut(&id) else {
        return advance(phone);
    };
    let Some(upload) = entry.uploads.iter_mut().find(|u| !u.complete) else {
        return advance(phone);
    };
    upload.received = progress.received;
    let (attachment, received, size) = (upload.id, upload.received, upload.size);
    if progress.complete || received >= size {
        upload.complete = true;
        entry.attempts = 0;
        phone.courier.upload = None;
        let mut ops = courier_evidence_deletes(&id, &attachment, size);
        ops.push(entry.write());
        return Command::all([courier_write(ops, phone.courier.session), advance(phone)]);
    }
    match &phone.courier.upload {
        Some((r, a, start, bytes))
            if *r == id
                && *a == attachment
                && (*start..*start + bytes.len() as u64).contains(&received) =>
        {
            put_chunk(phone, id)
        }
        _ => {
            let index = received / ATTACHMENT_CHUNK_BYTES as u64;
            let session = phone.courier.session;
            Command::request_from_shell(VaultOperation::CourierGet {
                ns: NS_COURIER_EVIDENCE.into(),
                key: attachment_chunk_key(&id, &attachment, index),
            })
            .then_send(move |out| {
                step(
                    session,
                    CourierStep::Chunk {
                        report_id: id,
                        index,
                        out,
                    },
                )
            })
        }
    }
}

fn on_chunk(phone: &mut Phone, id: ReportId, index: u64, out: VaultOutput) -> Cmd {
    let Some(attachment) = phone
        .courier
        .entries
        .get(&id)
        .and_then(|e| e.uploads.iter().find(|u| !u.complete))
        .map(|u| u.id)
    else {
        return advance(phone);
    };
    match out {
        VaultOutput::Value(Some(bytes)) => {
            phone.courier.upload =
                Some((id, attachment, index * ATTACHMENT_CHUNK_BYTES as u64, bytes));
            put_chunk(phone, id)
        }
        // The copy is gone: the upload waits for the PIN (the unlocked engine reads the vault).
        _ => hold(phone, id, "evidence_copy_missing".into()),
    }
}

fn put_chunk(phone: &mut Phone, id: ReportId) -> Cmd {
    let size = phone.config.upload_chunk_bytes.max(1) as usize;
    let Some(entry) = phone.courier.entries.get(&id) else {
        return advance(phone);
    };
    let Some(upload) = entry.uploads.iter().find(|u| !u.complete) else {
        return advance(phone);
    };
    let Some((_, _, chunk_start, bytes)) = &phone.courier.upload else {
        return advance(phone);
    };
    let start = (upload.received.saturating_sub(*chunk_start) as usize).min(bytes.len());
    let end = (start + size).min(bytes.len());
    let request = HttpRequest {
        method: HttpMethod::Put,
        url: format!(
            "{}?offset={}",
            upload_url(phone, &id, &upload.id),
            chunk_start + start as u64
        ),
        headers: Vec::new(),
        body: bytes[start..end].to_vec(),
        timeout_ms: phone.config.http_timeout_ms,
    }
    .with_header("authorization", format!("Bearer {}", entry.mailbox_token))
    .with_header("content-type", "application/octet-stream".into());
    http(phone, request, move |result| CourierStep::Upload {
        report_id: id,
        result,
    })
}

fn poll(phone: &mut Phone, id: ReportId) -> Cmd {
    let Some(entry) = phone.courier.entries.get(&id) else {
        return advance(phone);
    };
    let url = phone.relay(&format!(
        "/v1/mailbox/{}?after={}",
        entry.mailbox_token, entry.mailbox_after
    ));
    let request = HttpRequest::get(url, phone.config.http_timeout_ms);
    http(phone, request, move |result| CourierStep::Mailbox {
        report_id: id,
        result,
    })
}

fn on_mailbox(phone: &mut Phone, id: ReportId, result: HttpResult) -> Cmd {
    let page = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<MailboxPage>(&r.body).ok()
        }
        _ => None,
    };
    let (base, cap, now) = (
        phone.config.mailbox_poll_base_ms,
        phone.config.mailbox_poll_cap_ms,
        phone.now_ms,
    );
    let Some(entry) = phone.courier.entries.get_mut(&id) else {
        return advance(phone);
    };
    let mut new = false;
    if let Some(page) = page {
        for item in page.entries {
            if item.seq > entry.mailbox_after {
                entry.arrived.push(item);
                new = true;
            }
        }
        entry.mailbox_after = entry.mailbox_after.max(page.last_seq);
    }
    entry.mailbox_interval_ms = if new {
        base
    } else {
        entry
            .mailbox_interval_ms
            .saturating_mul(2)
            .clamp(base.max(1), cap.max(1))
    };
    entry.mailbox_next_at_ms = now.saturating_add(entry.mailbox_interval_ms);
    Command::all([save(phone, &id), advance(phone)])
}

/// When the shell should next tick for the courier.
pub(crate) fn wake_at(phone: &Phone) -> Option<u64> {
    if phone.courier.solving.is_some() {
        return Some(phone.now_ms);
    }
    if phone.courier.running {
        return None;
    }
    phone
        .courier
        .entries
        .values()
        .filter_map(|e| {
            if e.to_send() {
                Some(e.next_attempt_at_ms)
            } else if e.to_upload() {
                Some(e.next_attempt_at_ms.min(e.mailbox_next_at_ms))
            } else if e.to_poll() {
                Some(e.mailbox_next_at_ms)
            } else {
                None
            }
        })
        .min()
}
