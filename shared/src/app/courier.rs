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
    Cmd, HttpMethod, HttpRequest, HttpResult, Internal, Model, Msg, TimeOperation, TimeOutput,
    VaultOperation, VaultOutput, VaultWrite,
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

fn entry_of(model: &Model, record: &OutboxRecord) -> Option<CourierEntry> {
    let code = model.recovery.as_ref()?;
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
pub fn refresh(model: &mut Model, id: &ReportId) -> Cmd {
    if !model.unlocked {
        return Command::done();
    }
    let entry = model.outbox.get(id).and_then(|r| entry_of(model, r));
    let op = match entry {
        Some(entry) => {
            let op = entry.write();
            model.courier.entries.insert(*id, entry);
            op
        }
        None => {
            if model.courier.entries.remove(id).is_none() && !model.outbox.contains_key(id) {
                return Command::done();
            }
            CourierEntry::delete(id)
        }
    };
    courier_write(vec![op], model.courier.session)
}

/// Unlocked: the courier made again from the whole outbox (at lock, and after the take-over at
/// unlock); entries of reports no longer in the outbox are deleted.
pub fn rebuild(model: &mut Model) -> Cmd {
    let entries: BTreeMap<ReportId, CourierEntry> = model
        .outbox
        .values()
        .filter_map(|r| entry_of(model, r).map(|e| (r.report_id, e)))
        .collect();
    let mut ops: Vec<VaultWrite> = model
        .courier
        .entries
        .keys()
        .chain(model.outbox.keys())
        .filter(|id| !entries.contains_key(id))
        .map(CourierEntry::delete)
        .collect();
    ops.extend(entries.values().map(CourierEntry::write));
    model.courier.entries = entries;
    courier_write(ops, model.courier.session)
}

/// Locked, at start: the courier store's entries.
pub fn load() -> Cmd {
    Command::request_from_shell(VaultOperation::CourierLoad)
        .then_send(|out| Msg::Internal(Internal::CourierLoaded(out)))
}

pub fn loaded(model: &mut Model, out: VaultOutput) -> Cmd {
    if model.unlocked {
        return Command::done();
    }
    if let VaultOutput::Entries(namespaces) = out {
        model.courier.entries = namespaces
            .into_iter()
            .flatten()
            .filter_map(|(_, v)| serde_json::from_slice::<CourierEntry>(&v).ok())
            .map(|e| (e.report_id, e))
            .collect();
    }
    start_round(model)
}

/// A new session (lock or unlock): answers to the earlier one's requests are dropped.
pub fn new_session(model: &mut Model) {
    model.courier.session += 1;
    model.courier.running = false;
    model.courier.again = false;
    model.courier.solving = None;
    model.courier.upload = None;
}

/// Unlocked again: what the courier did while locked goes into the outbox. Returns the
/// outbox records that changed; the caller writes them, then [`rebuild`]s the courier.
pub fn take_over(model: &mut Model) -> Vec<VaultWrite> {
    let entries = std::mem::take(&mut model.courier.entries);
    let mut changed = Vec::new();
    for entry in entries.values() {
        let Some(record) = model.outbox.get_mut(&entry.report_id) else {
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
            super::sync::apply_page(model, entry.report_id, page);
        }
    }
    model.courier.entries = entries;
    changed
        .iter()
        .filter_map(|id| model.outbox.get(id).map(OutboxRecord::write))
        .collect()
}

/// Locked: start a courier round, if there is anything to deliver or poll.
pub fn start_round(model: &mut Model) -> Cmd {
    if model.unlocked || model.courier.entries.is_empty() {
        return Command::done();
    }
    if model.courier.running {
        if model.courier.solving.is_some() {
            return solve_step(model);
        }
        model.courier.again = true;
        return Command::done();
    }
    model.courier.running = true;
    let session = model.courier.session;
    Command::request_from_shell(TimeOperation)
        .then_send(move |t| step(session, CourierStep::Clock(t)))
}

pub fn on_step(model: &mut Model, session: u64, courier_step: CourierStep) -> Cmd {
    if model.unlocked || session != model.courier.session {
        return Command::done();
    }
    match courier_step {
        CourierStep::Clock(t) => {
            model.now_ms = t.unix_ms;
            advance(model)
        }
        CourierStep::Submitted { report_id, result } => on_submitted(model, report_id, result),
        CourierStep::Mailbox { report_id, result } => on_mailbox(model, report_id, result),
        CourierStep::Upload { report_id, result } => on_upload(model, report_id, result),
        CourierStep::Chunk {
            report_id,
            index,
            out,
        } => on_chunk(model, report_id, index, out),
        // A failed write is written again with the next change; the outbox stays the truth.
        CourierStep::Saved(_) => Command::done(),
    }
}

fn stop(model: &mut Model) -> Cmd {
    model.courier.running = false;
    if model.courier.again {
        model.courier.again = false;
        return Command::all([render(), start_round(model)]);
    }
    render()
}

fn advance(model: &mut Model) -> Cmd {
    let now = model.now_ms;
    let entries = &model.courier.entries;
    if let Some((id, pending)) = entries
        .values()
        .find(|e| e.to_send() && e.next_attempt_at_ms <= now)
        .map(|e| (e.report_id, e.pow_pending))
    {
        if let Some(difficulty) = pending {
            model.courier.solving = Some((id, difficulty, 0));
            return solve_step(model);
        }
        return post(model, id);
    }
    if let Some(id) = entries
        .values()
        .find(|e| e.to_upload() && e.next_attempt_at_ms <= now)
        .map(|e| e.report_id)
    {
        return upload_step(model, id);
    }
    if let Some(id) = entries
        .values()
        .find(|e| e.to_poll() && e.mailbox_next_at_ms <= now)
        .map(|e| e.report_id)
    {
        return poll(model, id);
    }
    stop(model)
}

fn http(
    request: HttpRequest,
    session: u64,
    then: impl FnOnce(HttpResult) -> CourierStep + Send + 'static,
) -> Cmd {
    Command::request_from_shell(request).then_send(move |r| step(session, then(r)))
}

/// One slice of a proof-of-work (`sync::POW_SLICE` nonces), as the unlocked app solves it;
/// when found, the entry is stored with it, then sent. Between slices the view asks for a Tick
/// at once.
fn solve_step(model: &mut Model) -> Cmd {
    let Some((id, difficulty, next)) = model.courier.solving else {
        return Command::done();
    };
    match solve_pow_slice(&id, difficulty, next, POW_SLICE) {
        Ok(None) => {
            model.courier.solving = Some((id, difficulty, next.wrapping_add(u64::from(POW_SLICE))));
            render()
        }
        Ok(Some(nonce)) => {
            model.courier.solving = None;
            if let Some(entry) = model.courier.entries.get_mut(&id) {
                if let Some(sealed) = &mut entry.sealed {
                    sealed.pow_nonce = nonce;
                }
                entry.pow_pending = None;
            }
            Command::all([save(model, &id), post(model, id)])
        }
        Err(e) => {
            model.courier.solving = None;
            hold(model, id, e.code().to_string())
        }
    }
}

fn post(model: &mut Model, id: ReportId) -> Cmd {
    let Some(sealed) = model
        .courier
        .entries
        .get(&id)
        .and_then(|e| e.sealed.as_ref())
    else {
        return advance(model);
    };
    let request = HttpRequest {
        method: HttpMethod::Post,
        url: model.relay("/v1/submissions"),
        headers: Vec::new(),
        body: serde_json::to_vec(sealed).unwrap_or_default(),
        timeout_ms: model.config.http_timeout_ms,
    }
    .with_header("content-type", "application/json".into());
    http(request, model.courier.session, move |result| {
        CourierStep::Submitted {
            report_id: id,
            result,
        }
    })
}

fn save(model: &Model, id: &ReportId) -> Cmd {
    match model.courier.entries.get(id) {
        Some(entry) => courier_write(vec![entry.write()], model.courier.session),
        None => Command::done(),
    }
}

fn accepted(model: &mut Model, id: ReportId, recipients: Vec<workvoice_proto::keys::OrgId>) -> Cmd {
    let now = model.now_ms;
    if let Some(entry) = model.courier.entries.get_mut(&id) {
        entry.sealed = None;
        entry.accepted = Some(recipients);
        entry.attempts = 0;
        entry.mailbox_next_at_ms = now.saturating_add(entry.mailbox_interval_ms);
    }
    Command::all([save(model, &id), advance(model)])
}

fn back_off(model: &mut Model, id: ReportId) -> Cmd {
    let (base, cap, now) = (
        model.config.retry_base_ms,
        model.config.retry_cap_ms,
        model.now_ms,
    );
    let random = model.rng.below(u64::MAX);
    if let Some(entry) = model.courier.entries.get_mut(&id) {
        entry.attempts = entry.attempts.saturating_add(1);
        entry.next_attempt_at_ms = now + backoff_delay(entry.attempts, base, cap, random).max(1);
    }
    Command::all([save(model, &id), advance(model)])
}

fn hold(model: &mut Model, id: ReportId, code: String) -> Cmd {
    if let Some(entry) = model.courier.entries.get_mut(&id) {
        entry.held = Some(code);
    }
    Command::all([save(model, &id), advance(model)])
}

fn on_submitted(model: &mut Model, id: ReportId, result: HttpResult) -> Cmd {
    let HttpResult::Response(response) = &result else {
        return back_off(model, id);
    };
    let code = || {
        serde_json::from_slice::<workvoice_proto::api::ApiError>(&response.body)
            .map(|e| e.error)
            .unwrap_or_else(|_| format!("http_{}", response.status))
    };
    match response.status {
        200 | 201 => match serde_json::from_slice::<SubmissionAccepted>(&response.body) {
            Ok(answer) if answer.submission_id == id => accepted(model, id, answer.recipients),
            _ => back_off(model, id),
        },
        409 if code() == "submission_conflict" => {
            // As unlocked (sync.rs): an earlier sealing of this report is stored.
            let recipients = model
                .courier
                .entries
                .get(&id)
                .and_then(|e| e.sealed.as_ref())
                .and_then(|s| EnvelopeHeader::parse(&s.envelope).ok())
                .map(|h| h.recipient_ids().collect())
                .unwrap_or_default();
            accepted(model, id, recipients)
        }
        408 | 429 | 500..=599 => back_off(model, id),
        // A re-seal, a new mailbox number or a refusal: the unlocked app sees the same answer
        // when it sends these bytes again, and deals with it.
        _ => {
            let code = code();
            hold(model, id, code)
        }
    }
}

fn upload_url(model: &Model, id: &ReportId, attachment: &AttachmentId) -> String {
    model.relay(&format!("/v1/submissions/{id}/attachments/{attachment}"))
}

/// Ask the relay how much of the next attachment it has, as the unlocked engine does.
fn upload_step(model: &mut Model, id: ReportId) -> Cmd {
    let Some(entry) = model.courier.entries.get(&id) else {
        return advance(model);
    };
    let Some(upload) = entry.uploads.iter().find(|u| !u.complete) else {
        return advance(model);
    };
    let request = HttpRequest::get(
        upload_url(model, &id, &upload.id),
        model.config.http_timeout_ms,
    )
    .with_header("authorization", format!("Bearer {}", entry.mailbox_token));
    http(request, model.courier.session, move |result| {
        CourierStep::Upload {
            report_id: id,
            result,
        }
    })
}

fn on_upload(model: &mut Model, id: ReportId, result: HttpResult) -> Cmd {
    let progress = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<UploadProgress>(&r.body).ok()
        }
        _ => None,
    };
    let Some(progress) = progress else {
        model.courier.upload = None;
        return back_off(model, id);
    };
    let Some(entry) = model.courier.entries.get_mut(&id) else {
        return advance(model);
    };
    let Some(upload) = entry.uploads.iter_mut().find(|u| !u.complete) else {
        return advance(model);
    };
    upload.received = progress.received;
    let (attachment, received, size) = (upload.id, upload.received, upload.size);
    if progress.complete || received >= size {
        upload.complete = true;
        entry.attempts = 0;
        model.courier.upload = None;
        let mut ops = courier_evidence_deletes(&id, &attachment, size);
        ops.push(entry.write());
        return Command::all([courier_write(ops, model.courier.session), advance(model)]);
    }
    match &model.courier.upload {
        Some((r, a, start, bytes))
            if *r == id
                && *a == attachment
                && (*start..*start + bytes.len() as u64).contains(&received) =>
        {
            put_chunk(model, id)
        }
        _ => {
            let index = received / ATTACHMENT_CHUNK_BYTES as u64;
            let session = model.courier.session;
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

fn on_chunk(model: &mut Model, id: ReportId, index: u64, out: VaultOutput) -> Cmd {
    let Some(attachment) = model
        .courier
        .entries
        .get(&id)
        .and_then(|e| e.uploads.iter().find(|u| !u.complete))
        .map(|u| u.id)
    else {
        return advance(model);
    };
    match out {
        VaultOutput::Value(Some(bytes)) => {
            model.courier.upload =
                Some((id, attachment, index * ATTACHMENT_CHUNK_BYTES as u64, bytes));
            put_chunk(model, id)
        }
        // The copy is gone: the upload waits for the PIN (the unlocked engine reads the vault).
        _ => hold(model, id, "evidence_copy_missing".into()),
    }
}

fn put_chunk(model: &mut Model, id: ReportId) -> Cmd {
    let size = model.config.upload_chunk_bytes.max(1) as usize;
    let Some(entry) = model.courier.entries.get(&id) else {
        return advance(model);
    };
    let Some(upload) = entry.uploads.iter().find(|u| !u.complete) else {
        return advance(model);
    };
    let Some((_, _, chunk_start, bytes)) = &model.courier.upload else {
        return advance(model);
    };
    let start = (upload.received.saturating_sub(*chunk_start) as usize).min(bytes.len());
    let end = (start + size).min(bytes.len());
    let request = HttpRequest {
        method: HttpMethod::Put,
        url: format!(
            "{}?offset={}",
            upload_url(model, &id, &upload.id),
            chunk_start + start as u64
        ),
        headers: Vec::new(),
        body: bytes[start..end].to_vec(),
        timeout_ms: model.config.http_timeout_ms,
    }
    .with_header("authorization", format!("Bearer {}", entry.mailbox_token))
    .with_header("content-type", "application/octet-stream".into());
    http(request, model.courier.session, move |result| {
        CourierStep::Upload {
            report_id: id,
            result,
        }
    })
}

fn poll(model: &mut Model, id: ReportId) -> Cmd {
    let Some(entry) = model.courier.entries.get(&id) else {
        return advance(model);
    };
    let url = model.relay(&format!(
        "/v1/mailbox/{}?after={}",
        entry.mailbox_token, entry.mailbox_after
    ));
    http(
        HttpRequest::get(url, model.config.http_timeout_ms),
        model.courier.session,
        move |result| CourierStep::Mailbox {
            report_id: id,
            result,
        },
    )
}

fn on_mailbox(model: &mut Model, id: ReportId, result: HttpResult) -> Cmd {
    let page = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<MailboxPage>(&r.body).ok()
        }
        _ => None,
    };
    let (base, cap, now) = (
        model.config.mailbox_poll_base_ms,
        model.config.mailbox_poll_cap_ms,
        model.now_ms,
    );
    let Some(entry) = model.courier.entries.get_mut(&id) else {
        return advance(model);
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
    Command::all([save(model, &id), advance(model)])
}

/// When the shell should next tick for the courier.
pub fn wake_at(model: &Model) -> Option<u64> {
    if model.courier.solving.is_some() {
        return Some(model.now_ms);
    }
    if model.courier.running {
        return None;
    }
    model
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
