//! Reporting escrow, the phone's side (`PROTOCOL.md` 18): a report the worker chose to hold
//! until others report the same recruiter goes to the union as an escrow submission.
//!
//! The sync engine (`sync.rs`) hands an escrowed report here instead of sealing it; each step
//! is one request, through the same `http` helper (and so the same OHTTP route) as every other:
//!
//! 1. Blind the canonical recruiter (licence number first, 18.2) with a blind derived from a
//!    32-byte seed, solve the proof-of-work over `oprf_pow_id(blinded)` in slices, store the
//!    seed, the union and the nonce (flushed), then `POST /v1/escrow/oprf/org`. A killed app
//!    derives the same blinded element from the stored seed and posts the same request.
//! 2. The relay's `202` names the queued request: its id and epoch are stored (flushed), and
//!    `GET /v1/escrow/oprf/org/{request}` is polled, once at once and then with backoff, until
//!    the union's desk answers at its next sync.
//! 3. `answered`: finalize, seal the report as an ordinary envelope to the union, wrap it in an
//!    `EscrowedReport`, `seal_escrow` with `k` = the union's `escrow_threshold` in the verified
//!    directory, solve the proof-of-work over the escrow id, store the exact bytes and nonce
//!    (flushed), and only then `POST /v1/escrow`. A retry, after a timeout or a kill, resends
//!    exactly those bytes (the relay answers `200` to an identical retry).
//! 4. `201`/`200`: the relay says `waiting` or `released`, never a count (18.10).
//!
//! `refused` (the union's budget for the epoch is spent): the worker is told, and can send the
//! report now instead (`retry_report` turns it into a plain report).
//!
//! Withdrawal of a waiting escrowed report: `POST /v1/escrow/{escrow_id}/withdrawal` with the
//! report's escrow withdrawal secret, derived from the recovery code's per-report withdrawal
//! secret (so nothing more needs keeping), domain-separated from the plain withdrawal's.

use crux_core::Command;
use crux_core::render::render;
use workvoice_proto::ErrorCode;
use workvoice_proto::api::{
    ApiError, ChainedOprfQueued, ChainedOprfRequest, ChainedOprfState, ChainedOprfStatus,
    EscrowAccepted, EscrowState, EscrowSubmissionRequest, RelayErrorCode, WithdrawalRequest,
};
use workvoice_proto::directory::{OrgKind, VerifiedDirectory};
use workvoice_proto::envelope::seal;
use workvoice_proto::escrow::{
    CanonicalRecruiter, DEFAULT_THRESHOLD, EscrowError, EscrowParams, EscrowSecrets,
    EscrowedReport, OprfRequest, ParsedEscrow, canonical_recruiter, oprf_pow_id, seal_escrow,
};
use workvoice_proto::keys::{OrgId, ReportId, sha256};
use workvoice_proto::pow::{solve_pow_slice, verify_pow};
use workvoice_proto::recovery::mailbox_token_hash;
use workvoice_proto::report::Report;
use workvoice_proto::routing::{disclosure_digest, route};
use workvoice_proto::token::TokenPurpose;

use super::records::{EscrowRecord, Failure, OutboxRecord, Phase, Transient};
use super::rng::SeededRng;
use super::sync::{POW_SLICE, SyncStep};
use super::{Cmd, HttpMethod, HttpRequest, HttpResult, Phone, Session, VaultOutput};
use crate::i18n::K;

/// Answers to the escrow steps' effects.
#[derive(Debug)]
pub enum EscrowStep {
    /// The blind seed, union and OPRF nonce are stored: post the OPRF request.
    BlindSaved {
        report_id: ReportId,
        out: VaultOutput,
    },
    Queued {
        report_id: ReportId,
        result: HttpResult,
    },
    Polled {
        report_id: ReportId,
        result: HttpResult,
    },
    /// The sealed escrow submission is stored: post it.
    SealedSaved {
        report_id: ReportId,
        out: VaultOutput,
    },
    Submitted {
        report_id: ReportId,
        result: HttpResult,
    },
    Withdrawn {
        report_id: ReportId,
        result: HttpResult,
    },
    /// The issuer keys of the union (`tokens.rs`).
    TokenKeys {
        report_id: ReportId,
        purpose: workvoice_proto::token::TokenPurpose,
        result: HttpResult,
    },
    /// The token seed is stored: post the token request.
    TokenSeedSaved {
        report_id: ReportId,
        out: VaultOutput,
    },
    TokenIssued {
        report_id: ReportId,
        result: HttpResult,
    },
    /// The token is stored: spend it on the paid request.
    TokenSaved {
        report_id: ReportId,
        out: VaultOutput,
    },
}

/// A proof-of-work of the escrow flow being solved in slices (like `sync::solve_step`).
#[derive(Debug)]
pub struct Solving {
    pub report_id: ReportId,
    pow_id: ReportId,
    difficulty: u8,
    next_nonce: u64,
    /// `None`: the OPRF request's; `Some`: the escrow submission's bytes.
    submission: Option<Vec<u8>>,
}

fn step_msg(step: EscrowStep) -> SyncStep {
    SyncStep::Escrow(step)
}

/// The canonical recruiter of a report, licence number first (`PROTOCOL.md` 18.2).
pub fn recruiter_of(report: &Report) -> Option<CanonicalRecruiter> {
    let recruiter = report.recruiter.as_ref()?;
    canonical_recruiter(&recruiter.name, recruiter.licence_number.as_deref()).ok()
}

/// The union this report would be escrowed for: a union its route chooses whose key the
/// directory certifies.
fn union_of(directory: &VerifiedDirectory, report: &Report) -> Option<OrgId> {
    let routed = route(&report.routing_tags(), &report.consent, &directory.listing).ok()?;
    routed
        .recipients
        .iter()
        .find(|r| r.kind == OrgKind::Union && directory.certified_key(&r.org_id).is_ok())
        .map(|r| r.org_id)
}

fn threshold_of(directory: &VerifiedDirectory, org: &OrgId) -> u8 {
    directory
        .listing
        .organisation(org)
        .map_or(DEFAULT_THRESHOLD, |o| o.escrow_threshold())
}

/// What compose says about escrow for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// The question, with the `k` it would wait for.
    Question(u8),
    /// The union takes escrow only with an invite (`PROTOCOL.md` 18.12) and none is kept: a
    /// line tells the worker to ask her union for one; no question.
    NeedsInvite,
}

/// Whether compose offers the question for this report, and the `k` it would wait for: the
/// recruiter is filled in, the union may read it, the verified directory routes it to a union
/// with a certified key, and there is no evidence (an escrow submission holds the report only);
/// at a union whose entry sets `escrow_invites`, only once an invite is kept.
pub fn offer(
    directory: Option<&VerifiedDirectory>,
    report: &Report,
    invite_kept: bool,
) -> Option<Offer> {
    if !report.consent.union || !report.attachments.is_empty() {
        return None;
    }
    recruiter_of(report)?;
    let directory = directory?;
    let union = union_of(directory, report)?;
    let invites = directory
        .listing
        .organisation(&union)
        .is_some_and(|o| o.escrow_invites);
    if invites && !invite_kept {
        return Some(Offer::NeedsInvite);
    }
    Some(Offer::Question(threshold_of(directory, &union)))
}

/// The `k` of the question, when it is offered ([`offer`]).
pub fn offered(
    directory: Option<&VerifiedDirectory>,
    report: &Report,
    invite_kept: bool,
) -> Option<u8> {
    match offer(directory, report, invite_kept)? {
        Offer::Question(k) => Some(k),
        Offer::NeedsInvite => None,
    }
}

/// Whether the worker keeps an escrow invite.
pub(crate) fn invite_kept(session: &Session) -> bool {
    session
        .device
        .as_ref()
        .and_then(|d| d.escrow_invite())
        .is_some()
}

/// The OPRF request of a stored blind seed: the same blinded element every time.
fn blind(seed: &[u8; 32], recruiter: &CanonicalRecruiter) -> Result<OprfRequest, EscrowError> {
    let mut rng = SeededRng::default();
    rng.reseed(&[b"workvoice/v1/escrow/phone-blind\0".as_slice(), seed].concat());
    OprfRequest::blind(recruiter, &mut rng)
}

/// The escrow withdrawal secret of the report numbered `index` (never stored: derived from the
/// recovery code, so a recovered phone can withdraw too).
pub(crate) fn withdrawal_secret(session: &Session, index: u32) -> Option<[u8; 32]> {
    let code = session.recovery.as_ref()?;
    let secrets = code.report_secrets(index);
    Some(
        sha256(&[
            b"workvoice/v1/escrow/phone-withdrawal\0".as_slice(),
            secrets.withdrawal_secret.as_slice(),
        ])
        .0,
    )
}

/// The stored escrow id of a sealed submission, as the relay's paths take it.
pub fn escrow_id(record: &EscrowRecord) -> Option<String> {
    let sealed = record.sealed.as_ref()?;
    let parsed = ParsedEscrow::parse(&sealed.escrow).ok()?;
    Some(hex::encode(parsed.header.escrow_id))
}

pub(super) fn escrow_mut<'a>(
    session: &'a mut Session,
    id: &ReportId,
) -> Option<&'a mut EscrowRecord> {
    session.outbox.get_mut(id)?.escrow.as_mut()
}

pub(super) fn api_code(result: &HttpResult) -> Option<String> {
    match result {
        HttpResult::Response(r) => serde_json::from_slice::<ApiError>(&r.body)
            .ok()
            .map(|e| e.error),
        HttpResult::Failed(_) => None,
    }
}

pub(super) fn refused(result: &HttpResult) -> Failure {
    let error = match result {
        HttpResult::Response(r) => api_code(result).unwrap_or_else(|| format!("http_{}", r.status)),
        HttpResult::Failed(_) => "no_answer".into(),
    };
    Failure::Refused { error }
}

/// A failure worth another try later (no signal, busy, a cut-off answer).
pub(super) fn transient(result: &HttpResult) -> Option<Transient> {
    match result {
        HttpResult::Failed(_) => Some(Transient::NoSignal),
        HttpResult::Response(r) if matches!(r.status, 408 | 429 | 500..=599) => {
            Some(Transient::RelayBusy { status: r.status })
        }
        HttpResult::Response(_) => None,
    }
}

/// The next escrow step of report `id` (the directory was verified this round).
pub(crate) fn step(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    if !phone.rng.is_seeded() || session.recovery.is_none() {
        return super::sync::stop(phone, session);
    }
    let Some(directory) = &session.directory else {
        return super::sync::stop(phone, session);
    };
    let Some(record) = session.outbox.get(&id) else {
        return super::sync::advance(phone, session);
    };
    let (Some(escrow), Some(report)) = (&record.escrow, &record.report) else {
        return super::sync::advance(phone, session);
    };
    if escrow.sealed.is_some() {
        return super::tokens::paid(phone, session, id, TokenPurpose::Escrow);
    }
    if escrow.request.is_some() {
        return poll(phone, session, id);
    }
    // First step: the union, the blind and the proof-of-work for the OPRF request.
    let Some(recruiter) = recruiter_of(report) else {
        return super::sync::fail(phone, session, id, Failure::NoRecipient);
    };
    let org = match escrow.org_id {
        Some(org) => org,
        None => match union_of(directory, report) {
            Some(org) => org,
            None => return super::sync::fail(phone, session, id, Failure::NoRecipient),
        },
    };
    let difficulty = directory.listing.pow_difficulty;
    let seed = match escrow.blind_seed() {
        Some(seed) => seed,
        None => phone.rng.bytes(),
    };
    let request = match blind(&seed, &recruiter) {
        Ok(r) => r,
        Err(e) => {
            let error = e.code().to_string();
            return super::sync::fail(phone, session, id, Failure::Refused { error });
        }
    };
    let pow_id = oprf_pow_id(request.blinded_element());
    let nonce = escrow.oprf_nonce;
    if let Some(escrow) = escrow_mut(session, &id) {
        escrow.org_id = Some(org);
        escrow.blind_seed = hex::encode(seed);
    }
    match nonce {
        Some(nonce) if verify_pow(&pow_id, nonce, difficulty).is_ok() => {
            // Stored already (a killed app, or a retry): the same request again.
            super::tokens::paid(phone, session, id, TokenPurpose::Oprf)
        }
        _ => {
            session.sync.escrow_solving = Some(Solving {
                report_id: id,
                pow_id,
                difficulty,
                next_nonce: 0,
                submission: None,
            });
            solve_step(phone, session)
        }
    }
}

/// One slice of the escrow flow's proof-of-work; when found, what it pays for is stored, then
/// posted.
pub(crate) fn solve_step(phone: &mut Phone, session: &mut Session) -> Cmd {
    let Some(solving) = &mut session.sync.escrow_solving else {
        return Command::done();
    };
    let found = solve_pow_slice(
        &solving.pow_id,
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
            let Some(solving) = session.sync.escrow_solving.take() else {
                return Command::done();
            };
            let id = solving.report_id;
            match solving.submission {
                None => {
                    if let Some(escrow) = escrow_mut(session, &id) {
                        escrow.oprf_nonce = Some(nonce);
                    }
                    store(session, id, Vec::new(), |report_id, out| {
                        EscrowStep::BlindSaved { report_id, out }
                    })
                }
                Some(escrow) => store_sealed(phone, session, id, escrow, nonce),
            }
        }
        Err(e) => {
            let id = solving.report_id;
            session.sync.escrow_solving = None;
            let error = e.code().to_string();
            super::sync::fail(phone, session, id, Failure::Refused { error })
        }
    }
}

/// Writes the record (and `more`), flushed; the answer goes to `then`.
pub(super) fn store(
    session: &mut Session,
    id: ReportId,
    more: Vec<super::VaultWrite>,
    then: fn(ReportId, VaultOutput) -> EscrowStep,
) -> Cmd {
    let Some(record) = session.outbox.get(&id) else {
        return Command::done();
    };
    let mut ops = more;
    ops.push(record.write());
    Command::request_from_shell(super::VaultOperation::Write { ops, flush: true })
        .then_send(move |out| super::Msg::Internal(super::Internal::Sync(step_msg(then(id, out)))))
}

fn post_json(
    phone: &mut Phone,
    path: &str,
    body: Vec<u8>,
    authorization: Option<String>,
    then: impl Fn(HttpResult) -> EscrowStep + Clone + Send + 'static,
) -> Cmd {
    let mut request = HttpRequest {
        method: HttpMethod::Post,
        url: phone.relay(path),
        headers: Vec::new(),
        body,
        timeout_ms: phone.config.http_timeout_ms,
    }
    .with_header("content-type", "application/json".into());
    if let Some(value) = authorization {
        // A token of `PROTOCOL.md` 18.12 pays for this request.
        request = request.with_header("authorization", value);
    }
    super::sync::http(phone, request, move |r| step_msg(then(r)))
}

/// `POST /v1/escrow/oprf/org` from what is stored; `authorization` spends a token (called
/// through `tokens::paid`).
pub(super) fn post_oprf(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    authorization: Option<String>,
) -> Cmd {
    let body = session.outbox.get(&id).and_then(|record| {
        let escrow = record.escrow.as_ref()?;
        let recruiter = recruiter_of(record.report.as_ref()?)?;
        let request = blind(&escrow.blind_seed()?, &recruiter).ok()?;
        serde_json::to_vec(&ChainedOprfRequest {
            organisation: escrow.org_id?.to_hex(),
            blinded: request.blinded_element().to_vec(),
            pow_nonce: escrow.oprf_nonce?,
        })
        .ok()
    });
    let Some(body) = body else {
        return super::sync::advance(phone, session);
    };
    post_json(
        phone,
        "/v1/escrow/oprf/org",
        body,
        authorization,
        move |result| EscrowStep::Queued {
            report_id: id,
            result,
        },
    )
}

fn poll(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let Some(request) = session
        .outbox
        .get(&id)
        .and_then(|r| r.escrow.as_ref())
        .and_then(|e| e.request.clone())
    else {
        return super::sync::advance(phone, session);
    };
    let request = HttpRequest::get(
        phone.relay(&format!("/v1/escrow/oprf/org/{request}")),
        phone.config.http_timeout_ms,
    );
    super::sync::http(phone, request, move |result| {
        step_msg(EscrowStep::Polled {
            report_id: id,
            result,
        })
    })
}

/// `POST /v1/escrow` with the stored bytes; `authorization` spends a token (called through
/// `tokens::paid`).
pub(super) fn post_escrow(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    authorization: Option<String>,
) -> Cmd {
    let Some(sealed) = session
        .outbox
        .get(&id)
        .and_then(|r| r.escrow.as_ref())
        .and_then(|e| e.sealed.as_ref())
    else {
        return super::sync::advance(phone, session);
    };
    let body = serde_json::to_vec(sealed).unwrap_or_default();
    post_json(phone, "/v1/escrow", body, authorization, move |result| {
        EscrowStep::Submitted {
            report_id: id,
            result,
        }
    })
}

/// The escrow steps' answers.
pub(crate) fn update(step: EscrowStep, phone: &mut Phone, session: &mut Session) -> Cmd {
    match step {
        EscrowStep::BlindSaved { report_id, out }
        | EscrowStep::SealedSaved { report_id, out }
        | EscrowStep::TokenSeedSaved { report_id, out }
        | EscrowStep::TokenSaved { report_id, out }
            if matches!(out, VaultOutput::Failed(_)) =>
        {
            let _ = report_id;
            phone.notice(K::StorageFailed, true);
            super::sync::stop(phone, session)
        }
        EscrowStep::BlindSaved { report_id, .. } => {
            super::tokens::paid(phone, session, report_id, TokenPurpose::Oprf)
        }
        EscrowStep::SealedSaved { report_id, .. } => {
            super::tokens::paid(phone, session, report_id, TokenPurpose::Escrow)
        }
        EscrowStep::TokenKeys {
            report_id,
            purpose,
            result,
        } => super::tokens::on_keys(phone, session, report_id, purpose, result),
        EscrowStep::TokenSeedSaved { report_id, .. } => {
            super::tokens::post_request(phone, session, report_id)
        }
        EscrowStep::TokenIssued { report_id, result } => {
            super::tokens::on_issued(phone, session, report_id, result)
        }
        EscrowStep::TokenSaved { report_id, .. } => {
            let purpose = escrow_mut(session, &report_id)
                .and_then(|e| e.token.as_ref())
                .map(|t| t.purpose);
            match purpose {
                Some(purpose) => super::tokens::paid(phone, session, report_id, purpose),
                None => super::sync::advance(phone, session),
            }
        }
        EscrowStep::Queued { report_id, result } => on_queued(phone, session, report_id, result),
        EscrowStep::Polled { report_id, result } => on_polled(phone, session, report_id, result),
        EscrowStep::Submitted { report_id, result } => {
            on_submitted(phone, session, report_id, result)
        }
        EscrowStep::Withdrawn { report_id, result } => {
            on_withdrawn(phone, session, report_id, result)
        }
    }
}

fn on_queued(phone: &mut Phone, session: &mut Session, id: ReportId, result: HttpResult) -> Cmd {
    if let Some(again) =
        super::tokens::refused_at_spending(phone, session, id, TokenPurpose::Oprf, &result)
    {
        return again;
    }
    if let Some(t) = transient(&result) {
        return super::sync::back_off(phone, session, id, t);
    }
    let queued = match &result {
        HttpResult::Response(r) if r.status == 202 || r.status == 200 => {
            serde_json::from_slice::<ChainedOprfQueued>(&r.body).ok()
        }
        _ => None,
    };
    let Some(queued) = queued else {
        // A refusal (a `422` code): the worker is told; nothing is half-stored.
        return super::sync::fail(phone, session, id, refused(&result));
    };
    let Some(escrow) = escrow_mut(session, &id) else {
        return super::sync::advance(phone, session);
    };
    escrow.request = Some(queued.request);
    escrow.epoch = Some(queued.epoch);
    super::tokens::spent(session, &id);
    // Polled at once (the union may have answered already), then with backoff.
    Command::all([
        super::sync::persist(phone, session, &id),
        render(),
        poll(phone, session, id),
    ])
}

/// Drops the OPRF request (retired with its epoch, or its answer unusable): the next round
/// starts again with a fresh blind.
fn start_again(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    if let Some(escrow) = escrow_mut(session, &id) {
        *escrow = EscrowRecord {
            org_id: escrow.org_id,
            ..EscrowRecord::default()
        };
    }
    super::sync::wait(phone, session, id)
}

fn on_polled(phone: &mut Phone, session: &mut Session, id: ReportId, result: HttpResult) -> Cmd {
    if let Some(t) = transient(&result) {
        return super::sync::back_off(phone, session, id, t);
    }
    let state = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<ChainedOprfState>(&r.body).ok()
        }
        HttpResult::Response(r) if r.status == 404 => return start_again(phone, session, id),
        _ => None,
    };
    let Some(state) = state else {
        return super::sync::fail(phone, session, id, refused(&result));
    };
    match state.state {
        ChainedOprfStatus::Queued => super::sync::wait(phone, session, id),
        ChainedOprfStatus::Refused => {
            if let Some(escrow) = escrow_mut(session, &id) {
                escrow.refused = true;
            }
            super::sync::fail(phone, session, id, Failure::EscrowRefused)
        }
        ChainedOprfStatus::Answered => {
            let evaluated = state.evaluated.unwrap_or_default();
            seal_answered(phone, session, id, state.epoch, &evaluated)
        }
    }
}

/// Finalize, seal the report to the union and into an escrow submission, then solve its
/// proof-of-work (the bytes are stored before they are posted).
fn seal_answered(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    epoch: u32,
    evaluated: &[u8],
) -> Cmd {
    let (Some(directory), Some(code)) = (&session.directory, &session.recovery) else {
        return super::sync::stop(phone, session);
    };
    let Some(record) = session.outbox.get(&id) else {
        return super::sync::advance(phone, session);
    };
    let (Some(escrow), Some(report)) = (&record.escrow, &record.report) else {
        return super::sync::advance(phone, session);
    };
    let request = match (escrow.blind_seed(), recruiter_of(report)) {
        (Some(seed), Some(recruiter)) => blind(&seed, &recruiter).ok(),
        _ => None,
    };
    let output = match request.map(|r| r.finalize(evaluated)) {
        Some(Ok(output)) => output,
        // Not a valid element: the request is dropped and the flow starts again (18.3).
        _ => return start_again(phone, session, id),
    };
    let Some(org) = escrow.org_id else {
        return start_again(phone, session, id);
    };
    let key = match directory.certified_key(&org) {
        Ok(key) => key,
        Err(reason) => {
            let failure = Failure::UntrustedKey {
                org_id: org,
                org_name: directory
                    .listing
                    .organisation(&org)
                    .map(|o| o.name(&phone.language).to_string())
                    .unwrap_or_else(|| org.to_hex()),
                reason: reason.code().to_string(),
            };
            // Tried again with backoff: a later directory may vouch for the key.
            return super::sync::held_back(phone, session, id, failure);
        }
    };
    let threshold = threshold_of(directory, &org);
    let tags = report.routing_tags();
    let consent = report.consent;
    let digest = disclosure_digest(&tags, &consent);
    let secrets = code.report_secrets(record.index);
    let sealed = seal(&report.encode(), id, &[(org, key)], &digest, &mut phone.rng)
        .map_err(|e| e.code().to_string())
        .and_then(|envelope| {
            let escrowed = EscrowedReport {
                tags,
                consent,
                mailbox_token_hash: mailbox_token_hash(&secrets.mailbox_token),
                envelope,
            };
            let device_secret = match session.device.as_ref().and_then(|d| d.escrow_secret()) {
                Some(secret) => secret,
                None => phone.rng.bytes(),
            };
            let withdrawal = withdrawal_secret(session, record.index).unwrap_or_default();
            let bytes = seal_escrow(
                &output,
                &EscrowParams {
                    org,
                    epoch,
                    threshold,
                },
                &key,
                &escrowed.to_bytes(),
                EscrowSecrets {
                    device_secret: &device_secret,
                    withdrawal_secret: &withdrawal,
                },
                &mut phone.rng,
            )
            .map_err(|e| e.code().to_string())?;
            Ok((bytes, device_secret))
        });
    let (bytes, device_secret) = match sealed {
        Ok(sealed) => sealed,
        Err(error) => return super::sync::fail(phone, session, id, Failure::Refused { error }),
    };
    if let Some(device) = &mut session.device
        && device.escrow_secret().is_none()
    {
        // Stored with the submission, before it is posted.
        device.escrow_secret = hex::encode(device_secret);
    }
    let Ok(parsed) = ParsedEscrow::parse(&bytes) else {
        return start_again(phone, session, id);
    };
    let pow_id = ReportId(parsed.header.escrow_id);
    let difficulty = directory.listing.pow_difficulty;
    if let Some(escrow) = escrow_mut(session, &id) {
        escrow.threshold = Some(threshold);
        escrow.epoch = Some(epoch);
    }
    session.sync.escrow_solving = Some(Solving {
        report_id: id,
        pow_id,
        difficulty,
        next_nonce: 0,
        submission: Some(bytes),
    });
    solve_step(phone, session)
}

/// Store the escrow submission and its nonce (flushed), with the device's escrow secret, before
/// the first attempt to post it.
fn store_sealed(
    _phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    escrow: Vec<u8>,
    pow_nonce: u64,
) -> Cmd {
    let Some(record) = session.outbox.get_mut(&id) else {
        return Command::done();
    };
    if let Some(e) = record.escrow.as_mut() {
        e.sealed = Some(EscrowSubmissionRequest { escrow, pow_nonce });
    }
    record.phase = Phase::Sending;
    record.transient = None;
    record.failure = None;
    let device = session.device.as_ref().map(|d| d.write());
    store(
        session,
        id,
        device.into_iter().collect(),
        |report_id, out| EscrowStep::SealedSaved { report_id, out },
    )
}

fn on_submitted(phone: &mut Phone, session: &mut Session, id: ReportId, result: HttpResult) -> Cmd {
    if let Some(again) =
        super::tokens::refused_at_spending(phone, session, id, TokenPurpose::Escrow, &result)
    {
        return again;
    }
    if let Some(t) = transient(&result) {
        return super::sync::back_off(phone, session, id, t);
    }
    let accepted = match &result {
        HttpResult::Response(r) if r.status == 200 || r.status == 201 => {
            serde_json::from_slice::<EscrowAccepted>(&r.body).ok()
        }
        _ => None,
    };
    if let Some(accepted) = accepted {
        super::tokens::spent(session, &id);
        let now = phone.now_ms;
        if let Some(record) = session.outbox.get_mut(&id) {
            record.phase = Phase::Accepted;
            record.attempts = 0;
            record.transient = None;
            record.next_attempt_at_ms = now;
            // The mailbox exists once the group opened and the desk registered the report.
            record.mailbox_next_at_ms = match accepted.state {
                EscrowState::Released => now.saturating_add(record.mailbox_interval_ms),
                EscrowState::Waiting => u64::MAX,
            };
            if let Some(escrow) = &mut record.escrow {
                escrow.state = Some(accepted.state);
            }
        }
        return Command::all([
            super::sync::persist(phone, session, &id),
            render(),
            super::sync::advance(phone, session),
        ]);
    }
    let code = api_code(&result).and_then(|c| RelayErrorCode::parse(&c));
    match code {
        // The epoch turned since the OPRF answer: a new OPRF request, a new submission.
        Some(RelayErrorCode::EscrowStaleEpoch) => {
            if let Some(record) = session.outbox.get_mut(&id) {
                record.phase = Phase::Waiting;
            }
            start_again(phone, session, id)
        }
        // One device counts once per recruiter (18.9): this report can be sent now instead.
        Some(RelayErrorCode::EscrowDuplicateSource) => {
            super::sync::fail(phone, session, id, Failure::EscrowDuplicate)
        }
        _ => super::sync::fail(phone, session, id, refused(&result)),
    }
}

/// `POST /v1/escrow/{escrow_id}/withdrawal` for a waiting escrowed report the worker withdrew.
pub(crate) fn post_withdrawal(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let target = session.outbox.get(&id).and_then(|record| {
        let escrow_id = escrow_id(record.escrow.as_ref()?)?;
        let secret = withdrawal_secret(session, record.index)?;
        Some((escrow_id, secret))
    });
    let Some((escrow_id, secret)) = target else {
        return super::sync::advance(phone, session);
    };
    let body = serde_json::to_vec(&WithdrawalRequest {
        secret: hex::encode(secret),
    })
    .unwrap_or_default();
    post_json(
        phone,
        &format!("/v1/escrow/{escrow_id}/withdrawal"),
        body,
        None,
        move |result| EscrowStep::Withdrawn {
            report_id: id,
            result,
        },
    )
}

fn on_withdrawn(phone: &mut Phone, session: &mut Session, id: ReportId, result: HttpResult) -> Cmd {
    let status = match &result {
        HttpResult::Response(r) => r.status,
        HttpResult::Failed(_) => 0,
    };
    let code = api_code(&result).and_then(|c| RelayErrorCode::parse(&c));
    let Some(record) = session.outbox.get_mut(&id) else {
        return super::sync::advance(phone, session);
    };
    match (status, code) {
        // Deleted; or unknown (its epoch was retired): either way it never opens.
        (204 | 200, _) | (404, Some(RelayErrorCode::UnknownEscrow)) => {
            record.withdrawal = Some(super::records::Withdrawal::Sent);
        }
        // Released meanwhile: the report itself is withdrawn as a plain one (13.5), next round.
        (409, Some(RelayErrorCode::EscrowReleased)) => {
            if let Some(escrow) = &mut record.escrow {
                escrow.state = Some(EscrowState::Released);
            }
            record.mailbox_next_at_ms = phone.now_ms;
            session.sync.withdrawal_failed_round = Some(session.sync.round);
        }
        _ => {
            session.sync.withdrawal_failed_round = Some(session.sync.round);
            return super::sync::advance(phone, session);
        }
    }
    Command::all([
        super::sync::persist(phone, session, &id),
        render(),
        super::sync::advance(phone, session),
    ])
}

/// Whether the record is an escrowed report still held by escrow.
pub fn waiting(record: &OutboxRecord) -> bool {
    record.escrow.as_ref().is_some_and(EscrowRecord::waiting)
}
