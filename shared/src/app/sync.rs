//! Sending, uploading, mailbox polling and recovery: the sync engine.
//!
//! A sync *round* starts with the time and fresh entropy (both effects), then works through
//! what is due, one request at a time: seal and send waiting reports, resend reports being
//! sent, upload evidence of accepted reports, poll mailboxes. Every state change is written to
//! the vault; failures back off exponentially with jitter.
//!
//! ## Exactly once
//! - A report's submission id is its report id, fixed when the draft is created and stored
//!   with it. Every sealing of that report uses it, so the relay (which stores one submission
//!   per id) can never hold it twice as two reports.
//! - The sealed submission (envelope, pow nonce, everything) is written and flushed *before*
//!   the first attempt. A retry, after a timeout or after the app was killed, resends exactly
//!   those bytes; the relay answers a repeat of a stored submission with 200 and the same body.
//! - `409 stale_directory` means the relay stored nothing: the phone fetches the directory,
//!   routes and seals again under the same id (storing the new bytes before sending them).
//! - `409 submission_conflict` means the relay already stored a *different* body under this
//!   id. The only way that happens is that an earlier sealing of this same report was stored
//!   and its answer was lost before the phone re-sealed. That stored body is a complete,
//!   valid sealing of the same report (same id, same mailbox, same attachments, which are
//!   sealed once at compose time): so the report is delivered, and the phone treats the
//!   conflict as acceptance, never as a reason to send it again under another id.
//! - A report is never lost: it is in the vault (flushed) before the worker is told it is
//!   saved, and it leaves the outbox only when the worker deletes the app's data, or withdraws
//!   it before it was sent (`withdraw_report`).

use crux_core::Command;
use crux_core::render::render;
use workvoice_proto::ErrorCode;
use workvoice_proto::api::{
    ApiError, AttachmentDeclaration, MailboxItem, MailboxPage, MailboxStatus, RelayErrorCode,
    SUBMISSION_BINARY_TYPE, SubmissionAccepted, SubmissionRequest, UploadProgress,
    WithdrawalRequest,
};
use workvoice_proto::directory::verify_directory_pinned;
use workvoice_proto::envelope::{EnvelopeHeader, seal};
use workvoice_proto::keys::{AttachmentId, OrgId, ReportId, sha256};
use workvoice_proto::pow::{solve_pow_slice, verify_pow};
use workvoice_proto::recovery::{
    RecoveryCode, RecoveryError, mailbox_token_hash, mailbox_token_text, withdrawal_hash,
};
use workvoice_proto::reply::open_reply;
use workvoice_proto::routing::{
    DeliveryError, Route, RoutingError, disclosure_digest, plan_delivery, route,
};
use workvoice_proto::status::open_status;

use super::records::{
    ATTACHMENT_CHUNK_BYTES, CourierEvidence, DIRECTORY_KEY, DeviceRecord, Failure, LeftOutNote,
    NS_ATTACHMENTS, NS_COURIER_EVIDENCE, NS_DIRECTORY, NS_OUTBOX, OutboxRecord, Phase, ReplyNote,
    StatusNote, Transient, UploadState, Withdrawal, attachment_chunk_key, attachment_chunks,
    attachment_deletes, attachment_key, courier_evidence_deletes,
};
use super::{
    Cmd, HttpMethod, HttpRequest, HttpResult, Internal, Msg, Page, Phone, RECOVERY_GAP,
    RandomOperation, RandomOutput, RecoveryScan, Session, TimeOperation, TimeOutput,
    VaultOperation, VaultOutput, VaultWrite, vault,
};
use crate::i18n::K;

/// Bytes per upload request.
pub const UPLOAD_CHUNK_BYTES: usize = 256 * 1024;
/// The highest proof-of-work difficulty the phone accepts from a directory; more is refused
/// (`Transient::PowTooHard`) and nothing is solved.
pub use workvoice_proto::pow::MAX_ACCEPTED_POW_DIFFICULTY;
/// Nonces tried in one step of a solve (about one default-difficulty solve, 37 ms on the build
/// machine); between steps the app handles other events, such as `Lock`.
pub const POW_SLICE: u32 = 1 << 16;
/// Re-seals after `stale_directory` within one round before backing off.
const MAX_RESEALS: u8 = 3;

/// Answers to the sync engine's effects ([`Internal::Sync`]); handled only while unlocked.
#[derive(Debug)]
pub enum SyncStep {
    RoundClock(TimeOutput),
    RoundEntropy(RandomOutput),
    Directory(HttpResult),
    SealedSaved {
        report_id: ReportId,
        out: VaultOutput,
    },
    Submitted {
        report_id: ReportId,
        result: HttpResult,
    },
    UploadProgress {
        report_id: ReportId,
        result: HttpResult,
    },
    AttachmentRead {
        report_id: ReportId,
        /// The chunk read; `None` for a whole attachment of an earlier release.
        chunk: Option<u64>,
        out: VaultOutput,
    },
    ChunkStored {
        report_id: ReportId,
        result: HttpResult,
    },
    /// A sealed evidence chunk was read, to be copied into the courier store.
    EvidenceCopyRead {
        report_id: ReportId,
        attachment: AttachmentId,
        index: u64,
        out: VaultOutput,
    },
    /// The courier store holds a copy of that chunk.
    EvidenceCopied {
        report_id: ReportId,
        attachment: AttachmentId,
        index: u64,
        out: VaultOutput,
    },
    Mailbox {
        report_id: ReportId,
        result: HttpResult,
    },
    WithdrawalPosted {
        report_id: ReportId,
        result: HttpResult,
    },
    RecoveryProbe {
        index: u32,
        result: HttpResult,
    },
    /// An escrowed report's steps (`escrow.rs`).
    Escrow(super::escrow::EscrowStep),
}

fn sync_msg(step: SyncStep) -> Msg {
    Msg::Internal(Internal::Sync(step))
}

/// A vault operation whose answer goes to the sync engine.
fn sync_vault(
    op: VaultOperation,
    then: impl FnOnce(VaultOutput) -> SyncStep + Send + 'static,
) -> Cmd {
    Command::request_from_shell(op).then_send(move |out| sync_msg(then(out)))
}

/// A request to the relay, the way `oblivious.rs` says; the answer goes to the sync engine.
pub(super) fn http(
    phone: &mut Phone,
    request: HttpRequest,
    then: impl Fn(HttpResult) -> SyncStep + Clone + Send + 'static,
) -> Cmd {
    super::oblivious::send(phone, request, move |r| Internal::Sync(then(r)))
}

pub(crate) fn start_round(phone: &mut Phone, session: &mut Session) -> Cmd {
    if session.sync.running {
        if session.sync.solving.is_some() {
            // The round waits on a proof-of-work: the next slice.
            return solve_step(phone, session);
        }
        if session.sync.escrow_solving.is_some() {
            return super::escrow::solve_step(phone, session);
        }
        session.sync.again = true;
        return Command::done();
    }
    if let Some(scan) = &mut session.scan {
        scan.failed = false;
    }
    session.sync.running = true;
    session.sync.round += 1;
    phone.transport.new_round();
    session.sync.reseals = 0;
    session.sync.reseal = false;
    Command::request_from_shell(TimeOperation).then_send(|t| sync_msg(SyncStep::RoundClock(t)))
}

/// The sync engine's answers, while unlocked.
pub(crate) fn update(step: SyncStep, phone: &mut Phone, session: &mut Session) -> Cmd {
    match step {
        SyncStep::RoundClock(t) => {
            phone.now_ms = t.unix_ms;
            Command::request_from_shell(RandomOperation { len: 32 })
                .then_send(|r| sync_msg(SyncStep::RoundEntropy(r)))
        }
        SyncStep::RoundEntropy(r) => {
            phone.rng.reseed(&r.0);
            advance(phone, session)
        }
        SyncStep::Directory(result) => on_directory(phone, session, result),
        SyncStep::SealedSaved { report_id, out } => match out {
            VaultOutput::Failed(_) => {
                phone.notice(K::StorageFailed, true);
                stop(phone, session)
            }
            _ => post(phone, session, report_id),
        },
        SyncStep::Submitted { report_id, result } => {
            on_submitted(phone, session, report_id, result)
        }
        SyncStep::UploadProgress { report_id, result } => {
            on_progress(phone, session, report_id, result)
        }
        SyncStep::AttachmentRead {
            report_id,
            chunk,
            out,
        } => on_attachment(phone, session, report_id, chunk, out),
        SyncStep::ChunkStored { report_id, result } => {
            on_progress(phone, session, report_id, result)
        }
        SyncStep::EvidenceCopyRead {
            report_id,
            attachment,
            index,
            out,
        } => on_copy_read(phone, session, report_id, attachment, index, out),
        SyncStep::EvidenceCopied {
            report_id,
            attachment,
            index,
            out,
        } => on_copied(phone, session, report_id, attachment, index, out),
        SyncStep::Mailbox { report_id, result } => on_mailbox(phone, session, report_id, result),
        SyncStep::WithdrawalPosted { report_id, result } => {
            on_withdrawal(phone, session, report_id, result)
        }
        SyncStep::RecoveryProbe { index, result } => on_probe(phone, session, index, result),
        SyncStep::Escrow(step) => super::escrow::update(step, phone, session),
    }
}

pub(super) fn stop(phone: &mut Phone, session: &mut Session) -> Cmd {
    session.sync.running = false;
    session.sync.current = None;
    session.sync.upload = None;
    if session.sync.again {
        session.sync.again = false;
        return Command::all([render(), start_round(phone, session)]);
    }
    render()
}

fn due(at: u64, now: u64) -> bool {
    at <= now
}

/// Do the next due thing, or end the round.
pub(super) fn advance(phone: &mut Phone, session: &mut Session) -> Cmd {
    let now = phone.now_ms;
    if let Some(scan) = &session.scan {
        if !scan.failed {
            return probe(phone, session, scan.next_index);
        }
        return stop(phone, session);
    }
    let mut records: Vec<&OutboxRecord> = session.outbox.values().collect();
    records.sort_by_key(|r| r.order);
    // Sealed evidence is copied into the courier store first, so that a lock at any moment
    // after leaves the courier able to upload it.
    let copy = records
        .iter()
        .find_map(|r| r.evidence_to_copy().map(|(a, _, i)| (r.report_id, a, i)));
    if let Some((id, attachment, index)) = copy
        && session.sync.copy_failed_round != Some(session.sync.round)
    {
        return copy_evidence_chunk(id, attachment, index);
    }
    let sending = records
        .iter()
        .find(|r| r.to_send() && due(r.next_attempt_at_ms, now))
        .map(|r| (r.report_id, r.phase));
    if let Some((id, phase)) = sending {
        session.sync.current = Some(id);
        let escrowed = session.outbox.get(&id).is_some_and(|r| r.escrow.is_some());
        let needs_seal = phase != Phase::Sending || session.sync.reseal || escrowed;
        if !needs_seal {
            return post_or_solve(phone, session, id);
        }
        if session.sync.directory_ok_round != Some(session.sync.round) {
            return fetch_directory(phone, session);
        }
        return seal_and_save(phone, session, id);
    }
    let upload = records
        .iter()
        .find(|r| {
            r.phase == Phase::Accepted && r.uploads_pending() && due(r.next_attempt_at_ms, now)
        })
        .map(|r| r.report_id);
    if let Some(id) = upload {
        session.sync.current = Some(id);
        return upload_step(phone, session, id);
    }
    let withdrawal = records
        .iter()
        .find(|r| r.phase == Phase::Accepted && r.withdrawal == Some(Withdrawal::Requested))
        .map(|r| r.report_id);
    if let Some(id) = withdrawal
        && session.sync.withdrawal_failed_round != Some(session.sync.round)
    {
        session.sync.current = Some(id);
        return post_withdrawal(phone, session, id);
    }
    // Replies waiting for a verified directory, or the review screen showing who will receive
    // the report: fetch the directory once this round.
    // The gateway refused the key the phone used (retired after its grace period): only a
    // fresh directory names the current one.
    let unopened = records.iter().any(|r| !r.unopened.is_empty())
        || session.page == Page::Review
        || phone.transport.key_refused;
    if unopened && session.sync.directory_tried_round != Some(session.sync.round) {
        session.sync.current = None;
        return fetch_directory(phone, session);
    }
    let poll = records
        .iter()
        .find(|r| r.phase == Phase::Accepted && due(r.mailbox_next_at_ms, now))
        .map(|r| r.report_id);
    if let Some(id) = poll {
        session.sync.current = Some(id);
        return poll_mailbox(phone, session, id);
    }
    stop(phone, session)
}

/// Saves the record, and its courier entry (`courier.rs`).
pub(super) fn persist(phone: &mut Phone, session: &mut Session, id: &ReportId) -> Cmd {
    let save = match session.outbox.get(id) {
        Some(record) => vault(
            VaultOperation::Write {
                ops: vec![record.write()],
                flush: true,
            },
            Internal::Saved,
        ),
        None => Command::done(),
    };
    Command::all([save, super::courier::refresh(phone, session, id)])
}

/// Exponential backoff with jitter: the n-th failure waits between half and all of
/// `min(cap, base * 2^(n-1))`.
pub fn backoff_delay(attempts: u32, base: u64, cap: u64, random: u64) -> u64 {
    let exp = base.saturating_mul(1u64 << attempts.saturating_sub(1).min(30));
    let ceiling = exp.min(cap).max(2);
    ceiling / 2 + random % (ceiling / 2 + 1)
}

pub(super) fn back_off(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    transient: Transient,
) -> Cmd {
    // No answer because no private route is open and the worker waits for one: she is told so.
    let transient = match transient {
        Transient::NoSignal if phone.transport.waiting => Transient::PrivateRoute,
        other => other,
    };
    let (base, cap, now) = (
        phone.config.retry_base_ms,
        phone.config.retry_cap_ms,
        phone.now_ms,
    );
    let random = phone.rng.below(u64::MAX);
    if let Some(record) = session.outbox.get_mut(&id) {
        record.attempts = record.attempts.saturating_add(1);
        record.next_attempt_at_ms = now + backoff_delay(record.attempts, base, cap, random).max(1);
        record.transient = Some(transient);
    }
    session.sync.upload = None;
    session.sync.reseal = false;
    Command::all([persist(phone, session, &id), advance(phone, session)])
}

/// Nothing wrong, but nothing to do before later (an escrowed report's OPRF request waits for
/// the union's desk): polled again with backoff.
pub(super) fn wait(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let (base, cap, now) = (
        phone.config.retry_base_ms,
        phone.config.retry_cap_ms,
        phone.now_ms,
    );
    let random = phone.rng.below(u64::MAX);
    if let Some(record) = session.outbox.get_mut(&id) {
        record.attempts = record.attempts.saturating_add(1);
        record.next_attempt_at_ms = now + backoff_delay(record.attempts, base, cap, random).max(1);
        record.transient = None;
    }
    Command::all([
        persist(phone, session, &id),
        render(),
        advance(phone, session),
    ])
}

/// Not sent, and the worker is told why; tried again with backoff, since a later directory may
/// vouch for the key (a key or certificate swapped in for one round).
pub(super) fn held_back(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    failure: Failure,
) -> Cmd {
    let (base, cap, now) = (
        phone.config.retry_base_ms,
        phone.config.retry_cap_ms,
        phone.now_ms,
    );
    let random = phone.rng.below(u64::MAX);
    if let Some(record) = session.outbox.get_mut(&id) {
        record.attempts = record.attempts.saturating_add(1);
        record.next_attempt_at_ms = now + backoff_delay(record.attempts, base, cap, random).max(1);
    }
    fail(phone, session, id, failure)
}

pub(super) fn fail(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    failure: Failure,
) -> Cmd {
    if let Some(record) = session.outbox.get_mut(&id) {
        record.phase = Phase::Failed;
        record.failure = Some(failure);
        record.transient = None;
    }
    session.sync.reseal = false;
    Command::all([
        persist(phone, session, &id),
        render(),
        advance(phone, session),
    ])
}

fn transient_of(result: &HttpResult) -> Transient {
    match result {
        HttpResult::Response(r) => Transient::RelayBusy { status: r.status },
        HttpResult::Failed(_) => Transient::NoSignal,
    }
}

fn fetch_directory(phone: &mut Phone, session: &mut Session) -> Cmd {
    session.sync.directory_tried_round = Some(session.sync.round);
    let request = HttpRequest::get(phone.relay("/v1/directory"), phone.config.http_timeout_ms);
    http(phone, request, SyncStep::Directory)
}

fn on_directory(phone: &mut Phone, session: &mut Session, result: HttpResult) -> Cmd {
    let current = session.sync.current;
    let body = match &result {
        HttpResult::Response(r) if r.status == 200 => r.body.clone(),
        _ => {
            return match current {
                Some(id) => back_off(phone, session, id, transient_of(&result)),
                None => advance(phone, session),
            };
        }
    };
    let now_s = phone.now_ms / 1000;
    let pins = session
        .device
        .as_ref()
        .map(DeviceRecord::directory_pins)
        .unwrap_or_default();
    let verified = match phone.root_key {
        Some(root) => {
            verify_directory_pinned(&body, &root, now_s, &pins).map_err(|e| e.code().to_string())
        }
        None => Err("no_root_key".to_string()),
    };
    let verified = match verified {
        Ok(v) => v,
        Err(error) => {
            return match current {
                Some(id) => back_off(phone, session, id, Transient::Directory { error }),
                None => advance(phone, session),
            };
        }
    };
    // A relay key holder could make phones grind for minutes: refused, nothing is solved.
    let difficulty = verified.listing.pow_difficulty;
    if difficulty > MAX_ACCEPTED_POW_DIFFICULTY {
        let transient = Transient::PowTooHard {
            difficulty,
            cap: MAX_ACCEPTED_POW_DIFFICULTY,
        };
        return match current {
            Some(id) => back_off(phone, session, id, transient),
            None => advance(phone, session),
        };
    }
    session.sync.directory_ok_round = Some(session.sync.round);
    let mut ops = Vec::new();
    if let Some(device) = &mut session.device {
        device.remember_directory(&verified);
        device.directory_checked_at = now_s;
        ops.push(device.write());
    }
    ops.push(VaultWrite::Put {
        ns: NS_DIRECTORY.into(),
        key: DIRECTORY_KEY.into(),
        value: body,
    });
    let route = super::oblivious::remember(phone, verified.listing.oblivious.clone());
    session.directory = Some(verified);
    let mut changed = Vec::new();
    for record in session.outbox.values_mut() {
        if open_unopened(
            record,
            session.directory.as_ref(),
            session.recovery.as_ref(),
        ) {
            changed.push(record.write());
        }
    }
    ops.extend(changed);
    let save = vault(VaultOperation::Write { ops, flush: true }, Internal::Saved);
    let next = match current {
        Some(id) if session.outbox.get(&id).is_some_and(OutboxRecord::to_send) => {
            seal_and_save(phone, session, id)
        }
        _ => advance(phone, session),
    };
    Command::all([save, route, next])
}

/// Route, check every recipient's key, seal, and store the sealed submission before sending.
fn seal_and_save(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    if session.outbox.get(&id).is_some_and(|r| r.escrow.is_some()) {
        return super::escrow::step(phone, session, id);
    }
    match seal_report(phone, session, id) {
        Sealed::Ready(solving) => {
            if verify_pow(&id, solving.request.pow_nonce, solving.difficulty).is_ok() {
                // A re-seal keeps the nonce it already paid for (it depends only on the id).
                return store_sealed(phone, session, *solving);
            }
            session.sync.solving = Some(*solving);
            solve_step(phone, session)
        }
        Sealed::Stop => stop(phone, session),
        Sealed::Skip => advance(phone, session),
        Sealed::Fail(failure) => fail(phone, session, id, failure),
        Sealed::HeldBack(failure) => held_back(phone, session, id, failure),
    }
}

/// What sealing a report gave.
enum Sealed {
    /// Sealed; the proof-of-work may still be to solve.
    Ready(Box<Solving>),
    /// Not now (no entropy, no directory or recovery code): the round ends.
    Stop,
    /// Nothing to seal for this report.
    Skip,
    Fail(Failure),
    HeldBack(Failure),
}

/// Route, check every recipient's key and seal the report, keeping the nonce of an earlier
/// sealing (valid when the difficulty did not change). Stores nothing.
fn seal_report(phone: &mut Phone, session: &mut Session, id: ReportId) -> Sealed {
    // Never seal with keys the operating system's entropy did not seed.
    if !phone.rng.is_seeded() {
        return Sealed::Stop;
    }
    let (Some(directory), Some(code)) = (&session.directory, &session.recovery) else {
        return Sealed::Stop;
    };
    let Some(record) = session.outbox.get(&id) else {
        return Sealed::Skip;
    };
    let Some(report) = &record.report else {
        return Sealed::Skip;
    };
    let tags = report.routing_tags();
    let consent = report.consent;
    let routed = match route(&tags, &consent, &directory.listing) {
        Ok(r) => r,
        Err(RoutingError::NoRecipient { .. }) => return Sealed::Fail(Failure::NoRecipient),
        Err(e) => {
            let error = e.code().to_string();
            return Sealed::Fail(Failure::Refused { error });
        }
    };
    // An organisation whose key cannot be trusted is left out; the others still receive the
    // report (PROTOCOL.md 11.3). Nothing is sent when nobody is left.
    let untrusted = |org: &OrgId| directory.certified_key(org).err();
    let org_name = |org: &OrgId| {
        directory
            .listing
            .organisation(org)
            .map(|o| o.name(&phone.language).to_string())
            .unwrap_or_else(|| org.to_hex())
    };
    let left_out_of = |routed: &Route| -> Vec<LeftOutNote> {
        routed
            .recipients
            .iter()
            .filter_map(|r| {
                untrusted(&r.org_id).map(|reason| LeftOutNote {
                    org_id: r.org_id,
                    org_name: org_name(&r.org_id),
                    reason: reason.code().to_string(),
                })
            })
            .collect()
    };
    let delivery = match plan_delivery(&routed, untrusted) {
        Ok(d) => d,
        Err(DeliveryError::NoTrustedRecipient { .. }) => {
            let first = left_out_of(&routed).into_iter().next();
            return match first {
                Some(note) => Sealed::HeldBack(Failure::UntrustedKey {
                    org_id: note.org_id,
                    org_name: note.org_name,
                    reason: note.reason,
                }),
                None => Sealed::Fail(Failure::NoRecipient),
            };
        }
        Err(e) => {
            let error = e.code().to_string();
            return Sealed::Fail(Failure::Refused { error });
        }
    };
    let left_out = left_out_of(&routed);
    let mut keys = Vec::with_capacity(delivery.deliver.len());
    for recipient in &delivery.deliver {
        match directory.certified_key(&recipient.org_id) {
            Ok(key) => keys.push((recipient.org_id, key)),
            Err(_) => return Sealed::Skip,
        }
    }
    let digest = disclosure_digest(&tags, &consent);
    let envelope = match seal(&report.encode(), id, &keys, &digest, &mut phone.rng) {
        Ok(e) => e,
        Err(e) => {
            let error = e.code().to_string();
            return Sealed::Fail(Failure::Refused { error });
        }
    };
    let difficulty = directory.listing.pow_difficulty;
    let pow_nonce = record.sealed.as_ref().map_or(0, |s| s.pow_nonce);
    let secrets = code.report_secrets(record.index);
    let request = SubmissionRequest {
        submission_id: id,
        directory_version: directory.listing.version,
        tags,
        consent,
        mailbox_token_hash: mailbox_token_hash(&secrets.mailbox_token),
        pow_nonce,
        envelope,
        attachments: report
            .attachments
            .iter()
            .map(|a| AttachmentDeclaration {
                id: a.id,
                size: a.sealed_size,
                sha256: a.sealed_sha256,
            })
            .collect(),
    };
    let uploads = report
        .attachments
        .iter()
        .map(|a| UploadState {
            id: a.id,
            size: a.sealed_size,
            received: 0,
            complete: false,
            released: false,
        })
        .collect();
    Sealed::Ready(Box::new(Solving {
        report_id: id,
        difficulty,
        next_nonce: 0,
        request,
        uploads,
        left_out,
    }))
}

/// At lock: seal the reports waiting to be sealed, against the verified directory in memory
/// (when it has not expired and asks no more than the cap), so that the courier can deliver
/// them without the PIN. Their proof-of-work is left to whoever sends them (`pow_pending`).
/// Returns the outbox writes, to be made before the vault closes.
pub(crate) fn seal_for_courier(phone: &mut Phone, session: &mut Session) -> Vec<VaultWrite> {
    let now_s = phone.now_ms / 1000;
    let usable = session.directory.as_ref().is_some_and(|d| {
        d.listing.expires_at > now_s && d.listing.pow_difficulty <= MAX_ACCEPTED_POW_DIFFICULTY
    });
    if !usable {
        return Vec::new();
    }
    let waiting: Vec<ReportId> = session
        .outbox
        .values()
        .filter(|r| r.phase == Phase::Waiting && r.escrow.is_none())
        .map(|r| r.report_id)
        .collect();
    let mut writes = Vec::new();
    for id in waiting {
        let Sealed::Ready(solving) = seal_report(phone, session, id) else {
            continue;
        };
        let Solving {
            difficulty,
            mut request,
            uploads,
            left_out,
            ..
        } = *solving;
        let pending = verify_pow(&id, request.pow_nonce, difficulty).is_err();
        if pending {
            request.pow_nonce = 0;
        }
        if let Some(record) = session.outbox.get_mut(&id) {
            record.sealed = Some(request);
            record.left_out = left_out;
            record.phase = Phase::Sending;
            record.uploads = uploads;
            record.transient = None;
            record.pow_pending = pending.then_some(difficulty);
            writes.push(record.write());
        }
    }
    writes
}

/// A sealed submission waiting for its proof-of-work, solved in slices of [`POW_SLICE`]
/// nonces: between slices the app answers other events (`Lock` drops it at once).
#[derive(Debug)]
pub struct Solving {
    pub report_id: ReportId,
    pub difficulty: u8,
    pub next_nonce: u64,
    request: SubmissionRequest,
    uploads: Vec<UploadState>,
    left_out: Vec<LeftOutNote>,
}

/// One slice of the proof-of-work; when found, the submission is stored, then posted. When
/// not, the view asks for a Tick at once (`wake_in_ms` 0) and the next `start_round` goes on.
pub(crate) fn solve_step(phone: &mut Phone, session: &mut Session) -> Cmd {
    let Some(solving) = &mut session.sync.solving else {
        return Command::done();
    };
    let found = solve_pow_slice(
        &solving.report_id,
        solving.difficulty,
        solving.next_nonce,
        POW_SLICE,
    );
    match found {
        Ok(None) => {
            solving.next_nonce = solving.next_nonce.wrapping_add(u64::from(POW_SLICE));
            render()
        }
        Ok(Some(nonce)) => {
            let Some(mut solving) = session.sync.solving.take() else {
                return Command::done();
            };
            solving.request.pow_nonce = nonce;
            store_sealed(phone, session, solving)
        }
        Err(e) => {
            let id = solving.report_id;
            session.sync.solving = None;
            fail(
                phone,
                session,
                id,
                Failure::Refused {
                    error: e.code().to_string(),
                },
            )
        }
    }
}

/// Store the sealed submission (flushed) before the first attempt to send it.
fn store_sealed(phone: &mut Phone, session: &mut Session, solving: Solving) -> Cmd {
    let Solving {
        report_id: id,
        request,
        uploads,
        left_out,
        ..
    } = solving;
    let Some(record) = session.outbox.get_mut(&id) else {
        return advance(phone, session);
    };
    record.sealed = Some(request);
    record.left_out = left_out;
    record.phase = Phase::Sending;
    record.failure = None;
    record.uploads = uploads;
    record.transient = None;
    record.pow_pending = None;
    session.sync.reseal = false;
    let write = VaultOperation::Write {
        ops: vec![record.write()],
        flush: true,
    };
    let stored = Command::request_from_shell(write)
        .then_send(move |out| sync_msg(SyncStep::SealedSaved { report_id: id, out }));
    Command::all([super::courier::refresh(phone, session, &id), stored])
}

/// Post the stored submission; one sealed at lock time gets its proof-of-work first.
fn post_or_solve(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let pending = session.outbox.get(&id).and_then(|r| {
        let difficulty = r.pow_pending?;
        Some(Solving {
            report_id: id,
            difficulty,
            next_nonce: 0,
            request: r.sealed.clone()?,
            uploads: r.uploads.clone(),
            left_out: r.left_out.clone(),
        })
    });
    match pending {
        Some(solving) => {
            session.sync.solving = Some(solving);
            solve_step(phone, session)
        }
        None => post(phone, session, id),
    }
}

fn post(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let Some(sealed) = session.outbox.get(&id).and_then(|r| r.sealed.as_ref()) else {
        return advance(phone, session);
    };
    let (body, media_type) = submission_body(sealed);
    let request = HttpRequest {
        method: HttpMethod::Post,
        url: phone.relay("/v1/submissions"),
        headers: Vec::new(),
        body,
        timeout_ms: phone.config.http_timeout_ms,
    }
    .with_header("content-type", media_type.into());
    http(phone, request, move |result| SyncStep::Submitted {
        report_id: id,
        result,
    })
}

/// The binary body (`PROTOCOL.md` 14.9), a third smaller than JSON; JSON only for what the
/// binary layout cannot hold (the relay would refuse it either way, with the same code). A
/// retry in either encoding is the same submission to the relay.
pub(crate) fn submission_body(sealed: &SubmissionRequest) -> (Vec<u8>, &'static str) {
    match sealed.to_binary() {
        Ok(bytes) => (bytes, SUBMISSION_BINARY_TYPE),
        Err(_) => (
            serde_json::to_vec(sealed).unwrap_or_default(),
            "application/json",
        ),
    }
}

fn api_error(body: &[u8]) -> Option<ApiError> {
    serde_json::from_slice(body).ok()
}

fn on_submitted(phone: &mut Phone, session: &mut Session, id: ReportId, result: HttpResult) -> Cmd {
    let HttpResult::Response(response) = &result else {
        return back_off(phone, session, id, Transient::NoSignal);
    };
    match response.status {
        200 | 201 => match serde_json::from_slice::<SubmissionAccepted>(&response.body) {
            Ok(accepted) if accepted.submission_id == id => {
                accepted_by_relay(phone, session, id, accepted.recipients)
            }
            // A cut-off answer: the retry will be answered identically.
            _ => back_off(phone, session, id, transient_of(&result)),
        },
        409 => match api_error(&response.body).and_then(|e| e.relay_code()) {
            Some(RelayErrorCode::StaleDirectory) if session.sync.reseals < MAX_RESEALS => {
                session.sync.reseals += 1;
                session.sync.reseal = true;
                session.sync.directory_ok_round = None;
                advance(phone, session)
            }
            Some(RelayErrorCode::SubmissionConflict) => {
                let recipients = session
                    .outbox
                    .get(&id)
                    .and_then(|r| r.sealed.as_ref())
                    .and_then(|s| EnvelopeHeader::parse(&s.envelope).ok())
                    .map(|h| h.recipient_ids().collect())
                    .unwrap_or_default();
                accepted_by_relay(phone, session, id, recipients)
            }
            Some(RelayErrorCode::MailboxInUse) => reindex(phone, session, id),
            _ => back_off(phone, session, id, transient_of(&result)),
        },
        // Routed on a listing newer than the relay serves: a relay process behind its peers
        // catches up; the phone never routes again on an older listing (its pins refuse one).
        422 if api_error(&response.body).and_then(|e| e.relay_code())
            == Some(RelayErrorCode::InvalidDirectoryVersion) =>
        {
            back_off(phone, session, id, transient_of(&result))
        }
        408 | 429 | 500..=599 => back_off(phone, session, id, transient_of(&result)),
        _ => {
            let error = api_error(&response.body)
                .map(|e| e.error)
                .unwrap_or_else(|| format!("http_{}", response.status));
            fail(phone, session, id, Failure::Refused { error })
        }
    }
}

/// Another report already uses this report's mailbox (a phone recovered from a code reuses
/// numbers): give the report the next free number and seal again.
fn reindex(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let (Some(device), Some(code)) = (&mut session.device, &session.recovery) else {
        return stop(phone, session);
    };
    let index = device.next_report_index;
    device.next_report_index += 1;
    let device_write = device.write();
    if let Some(record) = session.outbox.get_mut(&id) {
        record.index = index;
        if let Some(report) = &mut record.report {
            let secrets = code.report_secrets(index);
            report.reply_key = secrets.reply_key.public_key();
            report.withdrawal_hash = Some(withdrawal_hash(&secrets.withdrawal_secret));
        }
    }
    session.sync.reseal = true;
    Command::all([
        vault(
            VaultOperation::Write {
                ops: vec![device_write],
                flush: true,
            },
            Internal::Saved,
        ),
        advance(phone, session),
    ])
}

fn accepted_by_relay(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    recipients: Vec<workvoice_proto::keys::OrgId>,
) -> Cmd {
    let now = phone.now_ms;
    if let Some(record) = session.outbox.get_mut(&id) {
        record.phase = Phase::Accepted;
        record.recipients = recipients;
        record.attempts = 0;
        record.transient = None;
        record.next_attempt_at_ms = now;
        record.mailbox_next_at_ms = now.saturating_add(record.mailbox_interval_ms);
    }
    Command::all([
        persist(phone, session, &id),
        render(),
        advance(phone, session),
    ])
}

fn bearer(session: &Session, record: &OutboxRecord) -> Option<String> {
    let code = session.recovery.as_ref()?;
    let token = code.report_secrets(record.index).mailbox_token;
    Some(format!("Bearer {}", mailbox_token_text(&token)))
}

fn upload_url(phone: &Phone, id: &ReportId, upload: &UploadState) -> String {
    phone.relay(&format!("/v1/submissions/{id}/attachments/{}", upload.id))
}

/// Ask the relay how much of the next attachment it has: resuming starts here.
fn upload_step(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let Some(record) = session.outbox.get(&id) else {
        return advance(phone, session);
    };
    let (Some(upload), Some(auth)) = (
        record.uploads.iter().find(|u| !u.complete),
        bearer(session, record),
    ) else {
        return advance(phone, session);
    };
    let request = HttpRequest::get(upload_url(phone, &id, upload), phone.config.http_timeout_ms)
        .with_header("authorization", auth);
    http(phone, request, move |result| SyncStep::UploadProgress {
        report_id: id,
        result,
    })
}

fn on_progress(phone: &mut Phone, session: &mut Session, id: ReportId, result: HttpResult) -> Cmd {
    let progress = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<UploadProgress>(&r.body).ok()
        }
        _ => None,
    };
    let Some(progress) = progress else {
        return back_off(phone, session, id, transient_of(&result));
    };
    let Some(record) = session.outbox.get_mut(&id) else {
        return advance(phone, session);
    };
    let Some(upload) = record.uploads.iter_mut().find(|u| !u.complete) else {
        return advance(phone, session);
    };
    upload.received = progress.received;
    if progress.complete || progress.received >= upload.size {
        upload.complete = true;
        let attachment = upload.id;
        session.sync.upload = None;
        return Command::all([
            drop_courier_copy(session, &id, &attachment),
            persist(phone, session, &id),
            advance(phone, session),
        ]);
    }
    let (attachment, received) = (upload.id, upload.received);
    match &session.sync.upload {
        Some((r, a, start, bytes))
            if *r == id
                && *a == attachment
                && (*start..*start + bytes.len() as u64).contains(&received) =>
        {
            put_chunk(phone, session, id)
        }
        _ => read_chunk(id, attachment, received),
    }
}

/// Reads chunk `index` of a sealed attachment, to copy it into the courier store.
fn copy_evidence_chunk(id: ReportId, attachment: AttachmentId, index: u64) -> Cmd {
    sync_vault(
        VaultOperation::Get {
            ns: NS_ATTACHMENTS.into(),
            key: attachment_chunk_key(&id, &attachment, index),
        },
        move |out| SyncStep::EvidenceCopyRead {
            report_id: id,
            attachment,
            index,
            out,
        },
    )
}

fn copied_mut(record: &mut OutboxRecord, attachment: AttachmentId) -> &mut CourierEvidence {
    if let Some(at) = record
        .courier_evidence
        .iter()
        .position(|c| c.id == attachment)
    {
        return &mut record.courier_evidence[at];
    }
    record.courier_evidence.push(CourierEvidence {
        id: attachment,
        chunks: 0,
        unchunked: false,
    });
    let last = record.courier_evidence.len() - 1;
    &mut record.courier_evidence[last]
}

fn on_copy_read(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    attachment: AttachmentId,
    index: u64,
    out: VaultOutput,
) -> Cmd {
    match out {
        VaultOutput::Value(Some(bytes)) => {
            Command::request_from_shell(VaultOperation::CourierWrite {
                ops: vec![VaultWrite::Put {
                    ns: NS_COURIER_EVIDENCE.into(),
                    key: attachment_chunk_key(&id, &attachment, index),
                    value: bytes,
                }],
            })
            .then_send(move |out| {
                sync_msg(SyncStep::EvidenceCopied {
                    report_id: id,
                    attachment,
                    index,
                    out,
                })
            })
        }
        VaultOutput::Value(None) => {
            // Kept whole by an earlier release: uploaded only while unlocked.
            if let Some(record) = session.outbox.get_mut(&id) {
                copied_mut(record, attachment).unchunked = true;
            }
            Command::all([persist(phone, session, &id), advance(phone, session)])
        }
        _ => {
            session.sync.copy_failed_round = Some(session.sync.round);
            advance(phone, session)
        }
    }
}

/// A chunk was copied; the record (and with it the courier entry, which lists the attachment
/// for upload once it is whole) is written when the attachment's last chunk is.
fn on_copied(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    attachment: AttachmentId,
    index: u64,
    out: VaultOutput,
) -> Cmd {
    if matches!(out, VaultOutput::Failed(_)) {
        session.sync.copy_failed_round = Some(session.sync.round);
        return advance(phone, session);
    }
    let Some(record) = session.outbox.get_mut(&id) else {
        return advance(phone, session);
    };
    let size = record
        .report
        .as_ref()
        .and_then(|r| r.attachments.iter().find(|a| a.id == attachment))
        .map_or(0, |a| a.sealed_size);
    let copied = copied_mut(record, attachment);
    copied.chunks = copied.chunks.max(index + 1);
    if copied.chunks >= attachment_chunks(size) {
        return Command::all([persist(phone, session, &id), advance(phone, session)]);
    }
    advance(phone, session)
}

/// The courier store's copy of an uploaded attachment is deleted.
fn drop_courier_copy(session: &mut Session, id: &ReportId, attachment: &AttachmentId) -> Cmd {
    let Some(record) = session.outbox.get_mut(id) else {
        return Command::done();
    };
    let Some(at) = record
        .courier_evidence
        .iter()
        .position(|c| c.id == *attachment)
    else {
        return Command::done();
    };
    record.courier_evidence.remove(at);
    let size = record
        .uploads
        .iter()
        .find(|u| u.id == *attachment)
        .map_or(0, |u| u.size);
    Command::request_from_shell(VaultOperation::CourierWrite {
        ops: courier_evidence_deletes(id, attachment, size),
    })
    .then_send(|out| Msg::Internal(Internal::Saved(out)))
}

/// Reads the stored chunk of the sealed attachment that holds byte `offset`: only one chunk
/// is in memory at a time.
fn read_chunk(id: ReportId, attachment: AttachmentId, offset: u64) -> Cmd {
    let index = offset / ATTACHMENT_CHUNK_BYTES as u64;
    sync_vault(
        VaultOperation::Get {
            ns: NS_ATTACHMENTS.into(),
            key: attachment_chunk_key(&id, &attachment, index),
        },
        move |out| SyncStep::AttachmentRead {
            report_id: id,
            chunk: Some(index),
            out,
        },
    )
}

/// `chunk`: the index of the chunk read, or `None` for a whole attachment stored before
/// attachments were chunked.
fn on_attachment(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    chunk: Option<u64>,
    out: VaultOutput,
) -> Cmd {
    let Some(record) = session.outbox.get_mut(&id) else {
        return advance(phone, session);
    };
    let Some(upload) = record.uploads.iter_mut().find(|u| !u.complete) else {
        return advance(phone, session);
    };
    let attachment = upload.id;
    match (out, chunk) {
        (VaultOutput::Value(Some(bytes)), chunk) => {
            let start = chunk.unwrap_or(0) * ATTACHMENT_CHUNK_BYTES as u64;
            session.sync.upload = Some((id, attachment, start, bytes));
            put_chunk(phone, session, id)
        }
        (VaultOutput::Value(None), Some(_)) => sync_vault(
            VaultOperation::Get {
                ns: NS_ATTACHMENTS.into(),
                key: attachment_key(&id, &attachment),
            },
            move |out| SyncStep::AttachmentRead {
                report_id: id,
                chunk: None,
                out,
            },
        ),
        _ => {
            // The sealed file is gone from the phone: nothing left to upload.
            upload.complete = true;
            Command::all([persist(phone, session, &id), advance(phone, session)])
        }
    }
}

fn put_chunk(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let chunk = phone.config.upload_chunk_bytes.max(1) as usize;
    let Some(record) = session.outbox.get(&id) else {
        return advance(phone, session);
    };
    let (Some(upload), Some(auth)) = (
        record.uploads.iter().find(|u| !u.complete),
        bearer(session, record),
    ) else {
        return advance(phone, session);
    };
    let Some((_, _, chunk_start, bytes)) = &session.sync.upload else {
        return advance(phone, session);
    };
    let start = (upload.received.saturating_sub(*chunk_start) as usize).min(bytes.len());
    let end = (start + chunk).min(bytes.len());
    let request = HttpRequest {
        method: HttpMethod::Put,
        url: format!(
            "{}?offset={}",
            upload_url(phone, &id, upload),
            chunk_start + start as u64
        ),
        headers: Vec::new(),
        body: bytes[start..end].to_vec(),
        timeout_ms: phone.config.http_timeout_ms,
    }
    .with_header("authorization", auth)
    .with_header("content-type", "application/octet-stream".into());
    http(phone, request, move |result| SyncStep::ChunkStored {
        report_id: id,
        result,
    })
}

fn poll_mailbox(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let (Some(record), Some(code)) = (session.outbox.get(&id), &session.recovery) else {
        return advance(phone, session);
    };
    let token = mailbox_token_text(&code.report_secrets(record.index).mailbox_token);
    let url = phone.relay(&format!(
        "/v1/mailbox/{token}?after={}",
        record.mailbox_after
    ));
    let request = HttpRequest::get(url, phone.config.http_timeout_ms);
    http(phone, request, move |result| SyncStep::Mailbox {
        report_id: id,
        result,
    })
}

/// Open the replies and sealed statuses of `record` that wait for a verified directory.
/// Returns whether anything changed.
fn open_unopened(
    record: &mut OutboxRecord,
    directory: Option<&workvoice_proto::directory::VerifiedDirectory>,
    code: Option<&RecoveryCode>,
) -> bool {
    let (Some(directory), Some(code)) = (directory, code) else {
        return false;
    };
    if record.unopened.is_empty() {
        return false;
    }
    let secrets = code.report_secrets(record.index);
    for entry in std::mem::take(&mut record.unopened) {
        // Only what the organisation's root-certified key sealed is believed.
        let key = directory.certified_key(&entry.org_id).ok();
        match &entry.item {
            MailboxItem::Reply { sealed } => {
                let opened = key
                    .and_then(|key| open_reply(sealed, &secrets.reply_key, &key).ok())
                    .filter(|(header, _)| header.org_id == entry.org_id);
                match opened {
                    Some((_, body)) => record.replies.push(ReplyNote {
                        org_id: entry.org_id,
                        text: body.text,
                        language: body.language,
                        at_hour: entry.at_hour,
                    }),
                    None => record.rejected_replies += 1,
                }
            }
            MailboxItem::Status {
                sealed: Some(sealed),
                ..
            } => {
                let opened = key
                    .and_then(|key| open_status(sealed, &secrets.reply_key, &key).ok())
                    .filter(|(header, _)| {
                        header.org_id == entry.org_id && header.report_id == record.report_id
                    });
                match opened {
                    Some((header, body)) => {
                        let replayed = record
                            .statuses
                            .iter()
                            .any(|note| note.message_id == Some(header.message_id));
                        if !replayed {
                            record.statuses.push(StatusNote {
                                org_id: entry.org_id,
                                status: body.status.into(),
                                at_hour: entry.at_hour,
                                message_id: Some(header.message_id),
                                set_at: Some(body.set_at),
                            });
                        }
                    }
                    None => record.rejected_replies += 1,
                }
            }
            MailboxItem::Status { sealed: None, .. } => {}
        }
    }
    true
}

pub(super) fn apply_page(session: &mut Session, id: ReportId, page: MailboxPage) -> bool {
    let directory = session.directory.as_ref();
    let code = session.recovery.as_ref();
    let Some(record) = session.outbox.get_mut(&id) else {
        return false;
    };
    let new = !page.entries.is_empty();
    for entry in page.entries {
        match entry.item {
            // The relay's own word: the report reached the inbox, the organisation fetched it.
            MailboxItem::Status {
                status: status @ (MailboxStatus::Delivered | MailboxStatus::Acknowledged),
                sealed: None,
            } => record.statuses.push(StatusNote {
                org_id: entry.org_id,
                status,
                at_hour: entry.at_hour,
                message_id: None,
                set_at: None,
            }),
            // An organisation's status that nobody sealed may be the relay's invention: never
            // shown as the organisation's (`PROTOCOL.md` 8.5).
            MailboxItem::Status { sealed: None, .. } => record.rejected_replies += 1,
            MailboxItem::Status {
                sealed: Some(_), ..
            }
            | MailboxItem::Reply { .. } => record.unopened.push(entry),
        }
    }
    record.mailbox_after = record.mailbox_after.max(page.last_seq);
    open_unopened(record, directory, code);
    new
}

fn on_mailbox(phone: &mut Phone, session: &mut Session, id: ReportId, result: HttpResult) -> Cmd {
    let page = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<MailboxPage>(&r.body).ok()
        }
        _ => None,
    };
    let new = match page {
        Some(page) => apply_page(session, id, page),
        None => false,
    };
    let (base, cap, now) = (
        phone.config.mailbox_poll_base_ms,
        phone.config.mailbox_poll_cap_ms,
        phone.now_ms,
    );
    if let Some(record) = session.outbox.get_mut(&id) {
        record.mailbox_interval_ms = if new {
            base
        } else {
            record
                .mailbox_interval_ms
                .saturating_mul(2)
                .clamp(base.max(1), cap.max(1))
        };
        record.mailbox_next_at_ms = now.saturating_add(record.mailbox_interval_ms);
    }
    Command::all([
        persist_releasing_evidence(phone, session, &id),
        render(),
        advance(phone, session),
    ])
}

/// Saves the record; once the relay has confirmed every upload and every recipient has
/// acknowledged the report (a status past `delivered`), deletes its sealed attachments from
/// the phone in the same write (the organisations fetch them from the relay), unless the
/// worker chose to keep sent evidence ([`super::records::DeviceRecord::keep_sent_evidence`]).
pub(crate) fn persist_releasing_evidence(
    phone: &mut Phone,
    session: &mut Session,
    id: &ReportId,
) -> Cmd {
    let keep = session
        .device
        .as_ref()
        .is_some_and(|d| d.keep_sent_evidence);
    let Some(record) = session.outbox.get_mut(id) else {
        return Command::done();
    };
    let acknowledged_by = |org| {
        record.statuses.iter().any(|note| {
            note.org_id == org
                && !matches!(
                    note.status,
                    MailboxStatus::Delivered | MailboxStatus::Unknown
                )
        })
    };
    let releasable = !keep
        && record.phase == Phase::Accepted
        && !record.recipients.is_empty()
        && record.recipients.iter().all(|org| acknowledged_by(*org))
        && record.uploads.iter().all(|u| u.complete)
        && record.uploads.iter().any(|u| !u.released);
    if !releasable {
        return persist(phone, session, id);
    }
    let mut ops = Vec::new();
    for upload in record.uploads.iter_mut().filter(|u| !u.released) {
        upload.released = true;
        ops.extend(attachment_deletes(id, &upload.id, upload.size));
    }
    ops.push(record.write());
    vault(VaultOperation::Write { ops, flush: true }, Internal::Saved)
}

/// `Event::WithdrawReport`. A report that never left the phone (waiting, or refused for good)
/// is deleted with its evidence in one flushed write, so it is never sent. One that was sealed
/// may have reached the relay: it is sent as usual and then withdrawn (`PROTOCOL.md` 13.5).
pub(crate) fn withdraw_report(phone: &mut Phone, session: &mut Session, report_id: &str) -> Cmd {
    let Some(id) = ReportId::from_hex(report_id) else {
        return render();
    };
    let Some(record) = session.outbox.get_mut(&id) else {
        return render();
    };
    match record.phase {
        Phase::Waiting | Phase::Failed => {
            let mut ops = vec![VaultWrite::Delete {
                ns: NS_OUTBOX.into(),
                key: id.to_hex(),
            }];
            let mut copies = Vec::new();
            if let Some(report) = &record.report {
                for attachment in &report.attachments {
                    ops.extend(attachment_deletes(
                        &id,
                        &attachment.id,
                        attachment.sealed_size,
                    ));
                    copies.extend(courier_evidence_deletes(
                        &id,
                        &attachment.id,
                        attachment.sealed_size,
                    ));
                }
            }
            session.outbox.remove(&id);
            if session.sync.current == Some(id) {
                session.sync.current = None;
            }
            if matches!(session.page, Page::Report { report_id } if report_id == id) {
                session.page = Page::Outbox;
            }
            let copies = if copies.is_empty() {
                Command::done()
            } else {
                Command::request_from_shell(VaultOperation::CourierWrite { ops: copies })
                    .then_send(|out| Msg::Internal(Internal::Saved(out)))
            };
            Command::all([
                vault(VaultOperation::Write { ops, flush: true }, Internal::Saved),
                copies,
                render(),
            ])
        }
        Phase::Sending | Phase::Accepted => {
            if record.withdrawal.is_none() {
                record.withdrawal = Some(Withdrawal::Requested);
            }
            Command::all([
                persist(phone, session, &id),
                render(),
                start_round(phone, session),
            ])
        }
    }
}

fn post_withdrawal(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    if session.outbox.get(&id).is_some_and(super::escrow::waiting) {
        return super::escrow::post_withdrawal(phone, session, id);
    }
    let (Some(record), Some(code)) = (session.outbox.get(&id), &session.recovery) else {
        return advance(phone, session);
    };
    let secrets = code.report_secrets(record.index);
    let body = serde_json::to_vec(&WithdrawalRequest {
        secret: hex::encode(*secrets.withdrawal_secret),
    })
    .unwrap_or_default();
    let request = HttpRequest {
        method: HttpMethod::Post,
        url: phone.relay(&format!("/v1/submissions/{id}/withdrawal")),
        headers: Vec::new(),
        body,
        timeout_ms: phone.config.http_timeout_ms,
    }
    .with_header("content-type", "application/json".into());
    http(phone, request, move |result| SyncStep::WithdrawalPosted {
        report_id: id,
        result,
    })
}

fn on_withdrawal(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    result: HttpResult,
) -> Cmd {
    let taken = matches!(&result, HttpResult::Response(r) if r.status == 200 || r.status == 201);
    if !taken {
        // No signal, or the relay could not take it now: asked again in the next round.
        session.sync.withdrawal_failed_round = Some(session.sync.round);
        return advance(phone, session);
    }
    if let Some(record) = session.outbox.get_mut(&id) {
        record.withdrawal = Some(Withdrawal::Sent);
    }
    Command::all([
        persist(phone, session, &id),
        render(),
        advance(phone, session),
    ])
}

pub(crate) fn retry_report(phone: &mut Phone, session: &mut Session, report_id: &str) -> Cmd {
    let Some(id) = ReportId::from_hex(report_id) else {
        return render();
    };
    if let Some(record) = session.outbox.get_mut(&id) {
        if record.phase == Phase::Failed {
            if record.failure.as_ref().is_some_and(Failure::can_send_now) {
                // "Send now": a plain report from here on.
                record.escrow = None;
            }
            record.phase = Phase::Waiting;
            record.failure = None;
        }
        record.attempts = 0;
        record.next_attempt_at_ms = 0;
    }
    Command::all([
        persist(phone, session, &id),
        render(),
        start_round(phone, session),
    ])
}

/// A recovery code typed on a new phone: keep it, then look for its reports' mailboxes.
pub(crate) fn submit_recovery_code(phone: &mut Phone, session: &mut Session, text: &str) -> Cmd {
    if !matches!(session.page, Page::EnterRecoveryCode { .. }) {
        return render();
    }
    let code = match RecoveryCode::parse(text) {
        Ok(code) => code,
        Err(e) => {
            let error = match e {
                RecoveryError::WrongLength => K::RecoveryWrongLength,
                RecoveryError::BadCharacter => K::RecoveryBadCharacter,
                RecoveryError::Checksum => K::RecoveryChecksum,
            };
            session.page = Page::EnterRecoveryCode { error: Some(error) };
            return render();
        }
    };
    let mut device = DeviceRecord::new(&code, &phone.language, true);
    device.recovery_scan = Some(RecoveryScan::default());
    let write = device.write();
    session.device = Some(device);
    session.recovery = Some(code);
    session.scan = Some(RecoveryScan::default());
    session.page = Page::Recovering;
    Command::all([
        vault(
            VaultOperation::Write {
                ops: vec![write],
                flush: true,
            },
            Internal::DeviceSaved,
        ),
        render(),
        start_round(phone, session),
    ])
}

/// Keep the recovery walk's progress in the device record: a lock does not end it.
fn save_scan(session: &mut Session) -> Cmd {
    let Some(device) = &mut session.device else {
        return Command::done();
    };
    device.recovery_scan = session.scan.clone();
    let write = device.write();
    vault(
        VaultOperation::Write {
            ops: vec![write],
            flush: true,
        },
        Internal::DeviceSaved,
    )
}

fn probe(phone: &mut Phone, session: &mut Session, index: u32) -> Cmd {
    let Some(code) = &session.recovery else {
        return stop(phone, session);
    };
    let token = mailbox_token_text(&code.report_secrets(index).mailbox_token);
    let url = phone.relay(&format!("/v1/mailbox/{token}?after=0"));
    let request = HttpRequest::get(url, phone.config.http_timeout_ms);
    http(phone, request, move |result| SyncStep::RecoveryProbe {
        index,
        result,
    })
}

fn on_probe(phone: &mut Phone, session: &mut Session, index: u32, result: HttpResult) -> Cmd {
    let (Some(scan), Some(code)) = (&mut session.scan, &session.recovery) else {
        return advance(phone, session);
    };
    if scan.next_index != index {
        return advance(phone, session);
    }
    match &result {
        HttpResult::Response(r) if r.status == 200 => {
            let Ok(page) = serde_json::from_slice::<MailboxPage>(&r.body) else {
                scan.failed = true;
                phone.notice(K::NoSignal, true);
                return stop(phone, session);
            };
            scan.found.push(index);
            scan.consecutive_unknown = 0;
            scan.next_index += 1;
            let token = code.report_secrets(index).mailbox_token;
            let mut id = [0u8; 16];
            id.copy_from_slice(
                &sha256(&[b"workvoice/recovered", &mailbox_token_hash(&token).0]).0[..16],
            );
            let id = ReportId(id);
            let order = session
                .outbox
                .values()
                .map(|r| r.order + 1)
                .max()
                .unwrap_or(0);
            let mut record = OutboxRecord::new(
                super::draft::new_report(id, &phone.language),
                index,
                order,
                phone.config.mailbox_poll_base_ms,
            );
            record.report = None;
            record.phase = Phase::Accepted;
            record.mailbox_next_at_ms = phone.now_ms.saturating_add(record.mailbox_interval_ms);
            if !session.outbox.values().any(|r| r.index == index) {
                session.outbox.insert(id, record);
                apply_page(session, id, page);
            }
            Command::all([
                persist(phone, session, &id),
                save_scan(session),
                advance(phone, session),
            ])
        }
        HttpResult::Response(r) if r.status == 404 => {
            scan.consecutive_unknown += 1;
            scan.next_index += 1;
            if scan.consecutive_unknown < RECOVERY_GAP {
                return Command::all([save_scan(session), advance(phone, session)]);
            }
            let found = scan.found.clone();
            session.scan = None;
            let next = found.iter().max().map_or(0, |m| m + 1);
            let mut ops = Vec::new();
            if let Some(device) = &mut session.device {
                device.next_report_index = device.next_report_index.max(next);
                device.recovery_scan = None;
                ops.push(device.write());
            }
            session.page = Page::Outbox;
            phone.notice = Some(super::NoticeState {
                key: K::RecoveryDone,
                error: false,
                args: vec![("count", found.len().to_string())],
            });
            Command::all([
                vault(
                    VaultOperation::Write { ops, flush: true },
                    Internal::DeviceSaved,
                ),
                render(),
                advance(phone, session),
            ])
        }
        _ => {
            scan.failed = true;
            phone.notice(K::NoSignal, true);
            stop(phone, session)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_delay;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_the_cap() {
        for attempts in 1..=12u32 {
            let ceiling = (1_000u64 << (attempts - 1)).min(60_000);
            let low = backoff_delay(attempts, 1_000, 60_000, 0);
            let high = backoff_delay(attempts, 1_000, 60_000, ceiling / 2);
            assert_eq!(low, ceiling / 2, "attempt {attempts}");
            assert_eq!(high, ceiling, "attempt {attempts}");
            for random in [1, 7, 12_345, u64::MAX] {
                let d = backoff_delay(attempts, 1_000, 60_000, random);
                assert!((ceiling / 2..=ceiling).contains(&d));
            }
        }
        assert_eq!(
            backoff_delay(40, 1_000, 60_000, 0),
            30_000,
            "no overflow far out"
        );
    }
}
