//! Reporting escrow (`PROTOCOL.md` section 18): the relay's step of the chained OPRF
//! (`POST /v1/escrow/oprf`), escrow submissions counted by distinct source per tag and released
//! to the organisation as one group at the threshold, withdrawal before release, and the
//! organisation's view (released groups, the unreleased total). For the OPRF, the relay evaluates a blinded element under its key for the
//! current epoch; it learns nothing about the recruiter (the element is blinded) and its output
//! alone gives no tag (the organisation's key follows, 18.3). Each evaluation costs the client
//! a proof-of-work and one token of its per-client OPRF budget (`oprf_client_per_hour`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use workvoice_proto::api::{
    ChainedOprfQueued, ChainedOprfRequest, ChainedOprfState, ChainedOprfStatus, EscrowAccepted,
    EscrowGroup, EscrowGroupPage, EscrowPendingTotal, EscrowReportRegistration, EscrowState,
    EscrowSubmissionRequest, MAX_OPRF_QUEUE_PAGE, OprfEvaluation, OprfEvaluationRequest,
    OrgOprfAnswers, OrgOprfQueue, OrgOprfRequest, RelayErrorCode, WithdrawalRequest,
};
use workvoice_proto::codec::to_base64;
use workvoice_proto::escrow::{EscrowError, ParsedEscrow, oprf_pow_id};
use workvoice_proto::keys::{OrgId, ReportId, sha256};
use workvoice_proto::pow::verify_pow;

use super::Path;
use super::org::OrgCaller;
use crate::domain::{hour_of, unix_now};
use crate::error::{ApiFailure, json_body};
use crate::state::AppState;
use crate::storage::{
    EscrowOutcome, EscrowReportOutcome, EscrowWithdrawal, InviteHash, IssueOutcome, NewEscrow,
    OprfQueueOutcome, QueuedOprf, QueuedOprfState, TokenSpend,
};
use axum::response::{IntoResponse, Response};
use workvoice_proto::api::{
    EscrowInviteCount, EscrowInviteHashes, EscrowTokenKeys, EscrowTokenRequest,
    EscrowTokenResponses,
};
use workvoice_proto::codec::from_base64;
use workvoice_proto::system_rng::SystemRng;
use workvoice_proto::token::{self, Token, TokenPurpose};

/// `POST /v1/escrow/oprf`.
pub async fn post_oprf(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<OprfEvaluation>, ApiFailure> {
    let request: OprfEvaluationRequest = json_body(&headers, body)?;
    let (epoch, evaluated) = relay_step(&state, &request.blinded, request.pow_nonce, None).await?;
    Ok(Json(OprfEvaluation {
        epoch,
        evaluated: evaluated.to_vec(),
    }))
}

/// The relay's step, after the checks of PROTOCOL.md 18.3 in their order: the element's
/// length, a directory, the proof-of-work, the organisation (for the chained route), the
/// element's encoding.
async fn relay_step(
    state: &AppState,
    blinded: &[u8],
    pow_nonce: u64,
    organisation: Option<&OrgId>,
) -> Result<(u32, [u8; 32]), ApiFailure> {
    if blinded.len() != 32 {
        return Err(ApiFailure::from_code(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EscrowError::InvalidElement,
        ));
    }
    let current = state
        .current_directory()
        .await?
        .ok_or_else(ApiFailure::no_directory)?;
    verify_pow(
        &oprf_pow_id(blinded),
        pow_nonce,
        current.listing.pow_difficulty,
    )
    .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    if let Some(org) = organisation
        && !current.listing.organisations.iter().any(|o| &o.id == org)
    {
        return Err(ApiFailure::new(
            RelayErrorCode::UnknownRecipient,
            "the directory lists no organisation with this id",
        ));
    }
    let epoch = state.escrow_epoch(unix_now());
    let key = state
        .escrow_oprf_key(epoch)
        .ok_or_else(|| ApiFailure::internal("the escrow OPRF secret is not loaded"))?;
    let evaluated = key
        .evaluate_blinded(blinded)
        .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    Ok((epoch, evaluated))
}

/// `POST /v1/escrow/oprf/org`: the relay's step, queued for the organisation's (18.3).
pub async fn post_chained_oprf(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<ChainedOprfQueued>), ApiFailure> {
    let request: ChainedOprfRequest = json_body(&headers, body)?;
    let org = OrgId::from_hex(&request.organisation).ok_or_else(|| {
        ApiFailure::new(
            RelayErrorCode::UnknownRecipient,
            "organisation is not an organisation id (32 hex characters)",
        )
    })?;
    let (epoch, element) =
        relay_step(&state, &request.blinded, request.pow_nonce, Some(&org)).await?;
    if state.storage_full().await? {
        return Err(ApiFailure::storage_full());
    }
    // relay_step found the organisation in this listing (or a newer one, which lists it too
    // unless it was just removed).
    let entry = &listed_organisation(&state, &org).await?;
    let spend = token_spend(
        &state,
        &headers,
        entry,
        TokenPurpose::Oprf,
        sha256(&[&request.blinded]).0.to_vec(),
    )?;
    let mut request_id = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut request_id)
        .map_err(|_| ApiFailure::internal("no randomness for a request id"))?;
    let outcome = state
        .storage
        .queue_org_oprf_spending(
            &org,
            &QueuedOprf {
                request_id,
                epoch,
                element,
            },
            spend.as_ref(),
        )
        .await?;
    let (request_id, epoch) = match outcome {
        OprfQueueOutcome::Queued => (request_id, epoch),
        OprfQueueOutcome::Retry { request_id, epoch } => (request_id, epoch),
        OprfQueueOutcome::TokenSpent => return Err(token_spent()),
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(ChainedOprfQueued {
            epoch,
            request: hex::encode(request_id),
        }),
    ))
}

fn request_id(text: &str) -> Option<[u8; 16]> {
    let mut id = [0u8; 16];
    (text.len() == 32 && hex::decode_to_slice(text, &mut id).is_ok()).then_some(id)
}

/// `GET /v1/escrow/oprf/org/{request}`: where a queued request stands.
pub async fn get_chained_oprf(
    State(state): State<AppState>,
    Path(request): Path<String>,
) -> Result<Json<ChainedOprfState>, ApiFailure> {
    let unknown = || {
        ApiFailure::new(
            RelayErrorCode::UnknownOprfRequest,
            "no queued OPRF request with this id (it expires with its epoch)",
        )
    };
    let id = request_id(&request).ok_or_else(unknown)?;
    let answer = match state
        .storage
        .org_oprf_state(&id)
        .await?
        .ok_or_else(unknown)?
    {
        QueuedOprfState::Queued { epoch } => ChainedOprfState {
            state: ChainedOprfStatus::Queued,
            epoch,
            evaluated: None,
        },
        QueuedOprfState::Answered { epoch, evaluated } => ChainedOprfState {
            state: ChainedOprfStatus::Answered,
            epoch,
            evaluated: Some(evaluated.to_vec()),
        },
        QueuedOprfState::Refused { epoch } => ChainedOprfState {
            state: ChainedOprfStatus::Refused,
            epoch,
            evaluated: None,
        },
    };
    Ok(Json(answer))
}

/// `GET /v1/org/escrow/oprf`: up to 500 of the caller's queued requests, oldest epoch first.
pub async fn get_org_oprf_queue(
    State(state): State<AppState>,
    caller: OrgCaller,
) -> Result<Json<OrgOprfQueue>, ApiFailure> {
    let queued = state
        .storage
        .org_oprf_queue(&caller.0, MAX_OPRF_QUEUE_PAGE)
        .await?;
    Ok(Json(OrgOprfQueue {
        requests: queued
            .into_iter()
            .map(|q| OrgOprfRequest {
                request: hex::encode(q.request_id),
                epoch: q.epoch,
                element: q.element.to_vec(),
            })
            .collect(),
    }))
}

/// `POST /v1/org/escrow/oprf/answers`: the caller's evaluations (or refusals) of its queued
/// requests. Every answer is checked before any is stored.
pub async fn post_org_oprf_answers(
    State(state): State<AppState>,
    caller: OrgCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiFailure> {
    let request: OrgOprfAnswers = json_body(&headers, body)?;
    let invalid = |message: String| ApiFailure::new(RelayErrorCode::InvalidOprfAnswer, message);
    if request.answers.len() > MAX_OPRF_QUEUE_PAGE {
        return Err(invalid(format!(
            "{} answers; at most {MAX_OPRF_QUEUE_PAGE} at once",
            request.answers.len()
        )));
    }
    let mut answers: Vec<([u8; 16], Option<[u8; 32]>)> = Vec::new();
    for (n, answer) in request.answers.iter().enumerate() {
        let id = request_id(&answer.request).ok_or_else(|| {
            invalid(format!(
                "answers[{n}].request is not a request id (32 hex characters)"
            ))
        })?;
        if answers.iter().any(|(seen, _)| *seen == id) {
            return Err(invalid(format!("answers[{n}] names a request twice")));
        }
        let evaluated = match &answer.evaluated {
            None => None,
            Some(bytes) => Some(<[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
                invalid(format!(
                    "answers[{n}].evaluated is {} bytes, not 32",
                    bytes.len()
                ))
            })?),
        };
        answers.push((id, evaluated));
    }
    state.storage.answer_org_oprf(&caller.0, &answers).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/escrow`: stores an escrow submission; its tag is released to the organisation
/// when the distinct sources reach the tag's threshold (PROTOCOL.md 18.8).
pub async fn post_escrow(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<EscrowAccepted>), ApiFailure> {
    let request: EscrowSubmissionRequest = json_body(&headers, body)?;
    let parsed = ParsedEscrow::parse(&request.escrow)
        .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    let header = parsed.header;
    let current = state
        .current_directory()
        .await?
        .ok_or_else(ApiFailure::no_directory)?;
    verify_pow(
        &ReportId(header.escrow_id),
        request.pow_nonce,
        current.listing.pow_difficulty,
    )
    .map_err(|e| ApiFailure::from_code(StatusCode::UNPROCESSABLE_ENTITY, &e))?;
    let Some(org) = current
        .listing
        .organisations
        .iter()
        .find(|o| o.id == header.params.org)
    else {
        return Err(ApiFailure::new(
            RelayErrorCode::UnknownRecipient,
            "the escrow names an organisation the directory does not list",
        ));
    };
    if header.params.threshold != org.escrow_threshold() {
        return Err(ApiFailure::new(
            RelayErrorCode::EscrowThresholdMismatch,
            format!(
                "the escrow is for {} reports; this organisation's directory entry says {}",
                header.params.threshold,
                org.escrow_threshold()
            ),
        ));
    }
    let epoch = state.escrow_epoch(unix_now());
    if header.params.epoch != epoch && header.params.epoch.saturating_add(1) != epoch {
        return Err(ApiFailure::new(
            RelayErrorCode::EscrowStaleEpoch,
            format!("the current escrow epoch is {epoch}; run the OPRF again"),
        ));
    }
    if state.storage_full().await? {
        return Err(ApiFailure::storage_full());
    }
    let spend = token_spend(
        &state,
        &headers,
        org,
        TokenPurpose::Escrow,
        header.escrow_id.to_vec(),
    )?;
    let request_hash = sha256(&[&request.escrow, &request.pow_nonce.to_be_bytes()]).0;
    let outcome = state
        .storage
        .add_escrow_spending(
            &NewEscrow::from_header(
                &header,
                request.escrow.clone(),
                request_hash,
                hour_of(unix_now()),
            ),
            spend.as_ref(),
        )
        .await?;
    let answer = |status, released| {
        let state = if released {
            EscrowState::Released
        } else {
            EscrowState::Waiting
        };
        Ok((status, Json(EscrowAccepted { state })))
    };
    match outcome {
        EscrowOutcome::Created { released } => answer(StatusCode::CREATED, released),
        EscrowOutcome::Repeat { released } => answer(StatusCode::OK, released),
        EscrowOutcome::Conflict => Err(ApiFailure::new(
            RelayErrorCode::EscrowConflict,
            "another escrow submission was stored under this escrow id",
        )),
        EscrowOutcome::DuplicateSource => Err(ApiFailure::new(
            RelayErrorCode::EscrowDuplicateSource,
            "this device already has an escrow submission about this recruiter",
        )),
        EscrowOutcome::TokenSpent => Err(token_spent()),
    }
}

/// `POST /v1/escrow/{escrow_id}/withdrawal`: before release, deletes the submission for
/// whoever shows its withdrawal secret.
pub async fn post_escrow_withdrawal(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiFailure> {
    let mut escrow_id = [0u8; 16];
    if id.len() != 32 || hex::decode_to_slice(&id, &mut escrow_id).is_err() {
        return Err(ApiFailure::new(
            RelayErrorCode::InvalidPath,
            "the escrow id is not 32 hex characters",
        ));
    }
    let request: WithdrawalRequest = json_body(&headers, body)?;
    let mut secret = [0u8; 32];
    if request.secret.len() != 64 || hex::decode_to_slice(&request.secret, &mut secret).is_err() {
        return Err(ApiFailure::new(
            RelayErrorCode::InvalidWithdrawalSecret,
            "secret must be the escrow's 32-byte withdrawal secret as 64 hex characters",
        ));
    }
    match state.storage.withdraw_escrow(&escrow_id, &secret).await? {
        EscrowWithdrawal::Withdrawn => Ok(StatusCode::NO_CONTENT),
        EscrowWithdrawal::AlreadyReleased => Err(ApiFailure::new(
            RelayErrorCode::EscrowReleased,
            "the group was released; withdraw the report itself",
        )),
        EscrowWithdrawal::Unknown => Err(ApiFailure::new(
            RelayErrorCode::UnknownEscrow,
            "no escrow submission with this id and withdrawal secret",
        )),
    }
}

/// `GET /v1/org/escrow`: the caller's released groups with submissions not acknowledged yet.
pub async fn get_org_escrow(
    State(state): State<AppState>,
    caller: OrgCaller,
) -> Result<Json<EscrowGroupPage>, ApiFailure> {
    let groups = state.storage.released_escrow_groups(&caller.0).await?;
    Ok(Json(EscrowGroupPage {
        groups: groups
            .into_iter()
            .map(|g| EscrowGroup {
                tag: hex::encode(g.tag),
                sources: g.sources,
                escrows: g.escrows.iter().map(|b| to_base64(b)).collect(),
            })
            .collect(),
    }))
}

/// `POST /v1/org/escrow/{tag}/ack`: the caller has the group; its ciphertext is emptied.
pub async fn acknowledge_org_escrow(
    State(state): State<AppState>,
    caller: OrgCaller,
    Path(tag): Path<String>,
) -> Result<StatusCode, ApiFailure> {
    let unknown = || {
        ApiFailure::new(
            RelayErrorCode::UnknownEscrow,
            "no released group with this tag",
        )
    };
    let mut bytes = [0u8; 32];
    if tag.len() != 64 || hex::decode_to_slice(&tag, &mut bytes).is_err() {
        return Err(unknown());
    }
    if state
        .storage
        .acknowledge_escrow_group(&caller.0, &bytes)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(unknown())
    }
}

/// `GET /v1/org/escrow/pending`: how many of the caller's escrow submissions wait, as one
/// total (never per tag: PROTOCOL.md 18.10).
pub async fn get_org_escrow_pending(
    State(state): State<AppState>,
    caller: OrgCaller,
) -> Result<Json<EscrowPendingTotal>, ApiFailure> {
    let total = state.storage.unreleased_escrow_total(&caller.0).await?;
    Ok(Json(EscrowPendingTotal { total }))
}

/// `POST /v1/org/escrow/reports`: the caller names, for one of its released escrow
/// submissions, the report it held and that report's mailbox token hash (18.8), so that
/// statuses and replies reach the worker as for a plain submission. Checks, in order: the body;
/// the escrow id and hash decode (`invalid_escrow_registration`); the caller's released
/// submission (`unknown_escrow`); registered before (`200` for the same report and hash, else
/// `escrow_already_registered`); a report id the relay knows (`escrow_report_known`); a hash in
/// use (`mailbox_in_use`). Nothing is stored unless every check passes.
pub async fn register_org_escrow_report(
    State(state): State<AppState>,
    caller: OrgCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiFailure> {
    let request: EscrowReportRegistration = json_body(&headers, body)?;
    let mut escrow_id = [0u8; 16];
    if request.escrow_id.len() != 32
        || hex::decode_to_slice(&request.escrow_id, &mut escrow_id).is_err()
    {
        return Err(ApiFailure::new(
            RelayErrorCode::InvalidEscrowRegistration,
            "escrow_id must be 32 hex characters",
        ));
    }
    let mut mailbox_hash = [0u8; 32];
    if request.mailbox_token_hash.len() != 64
        || hex::decode_to_slice(&request.mailbox_token_hash, &mut mailbox_hash).is_err()
    {
        return Err(ApiFailure::new(
            RelayErrorCode::InvalidEscrowRegistration,
            "mailbox_token_hash must be 64 hex characters",
        ));
    }
    let registration = crate::storage::EscrowReportRegistration {
        escrow_id,
        report_id: request.report_id,
        mailbox_hash,
        hour: hour_of(unix_now()),
    };
    match state
        .storage
        .register_escrow_report(&caller.0, &registration)
        .await?
    {
        EscrowReportOutcome::Created => Ok(StatusCode::CREATED.into_response()),
        EscrowReportOutcome::Repeat => Ok(StatusCode::OK.into_response()),
        EscrowReportOutcome::UnknownEscrow => Err(ApiFailure::new(
            RelayErrorCode::UnknownEscrow,
            "no released escrow submission of this organisation has this id",
        )),
        EscrowReportOutcome::AlreadyRegistered => Err(ApiFailure::new(
            RelayErrorCode::EscrowAlreadyRegistered,
            "this escrow submission registered another report or mailbox",
        )),
        EscrowReportOutcome::ReportKnown => Err(ApiFailure::new(
            RelayErrorCode::EscrowReportKnown,
            "the relay already knows this report id",
        )),
        EscrowReportOutcome::MailboxInUse => Err(ApiFailure::new(
            RelayErrorCode::MailboxInUse,
            "another report already uses this mailbox token hash",
        )),
    }
}

/// Largest body of `POST /v1/escrow/tokens`: 32 requests of 52 bytes in base64 and the rest.
pub const MAX_TOKEN_REQUEST_BYTES: usize = 16 * 1024;

/// The token a paid escrow route spends (PROTOCOL.md 18.12), when `org` takes invites; `None`
/// when it does not. Checks, in order: an `Authorization` header (else `token_required`, with
/// the current key's challenge); a `PrivateToken` token of the organisation's key of `purpose`
/// for the current or the previous epoch, whose authenticator verifies (else
/// `token_invalid`). Whether it was spent is decided in the storing transaction.
fn token_spend(
    state: &AppState,
    headers: &HeaderMap,
    org: &workvoice_proto::directory::Organisation,
    purpose: TokenPurpose,
    binding: Vec<u8>,
) -> Result<Option<TokenSpend>, ApiFailure> {
    if !org.escrow_invites {
        return Ok(None);
    }
    let epoch = state.escrow_epoch(unix_now());
    let key = |epoch: u32| {
        state
            .escrow_token_key(&org.id, epoch, purpose)
            .ok_or_else(|| ApiFailure::internal("the escrow token secret is not loaded"))
    };
    let current = key(epoch)?;
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        let mut failure = ApiFailure::new(
            RelayErrorCode::TokenRequired,
            format!(
                "this organisation takes escrow only with a token ({}) issued against one of its invites",
                purpose.as_str()
            ),
        );
        failure.www_authenticate = Some(token::www_authenticate(current.public_key()));
        return Err(failure);
    };
    let invalid = || {
        ApiFailure::new(
            RelayErrorCode::TokenInvalid,
            format!(
                "not a valid {} token of this organisation for this epoch or the previous one",
                purpose.as_str()
            ),
        )
    };
    let text = value.to_str().map_err(|_| invalid())?;
    let bytes = token::parse_authorization(text).map_err(|_| invalid())?;
    let parsed = Token::parse(&bytes).map_err(|_| invalid())?;
    let (key, key_epoch) = if parsed.key_id == *current.key_id() {
        (current, epoch)
    } else if let Some(previous_epoch) = epoch.checked_sub(1)
        && let previous = key(previous_epoch)?
        && parsed.key_id == *previous.key_id()
    {
        (previous, previous_epoch)
    } else {
        return Err(invalid());
    };
    let nonce = key.verify(&bytes).map_err(|_| invalid())?;
    Ok(Some(TokenSpend {
        key_id: parsed.key_id,
        nonce,
        epoch: key_epoch,
        purpose,
        binding,
    }))
}

fn token_spent() -> ApiFailure {
    ApiFailure::new(
        RelayErrorCode::TokenSpent,
        "this token was spent on another request",
    )
}

/// At most [`MAX_INVITE_HASHES`] invite hashes of 64 hex characters, else `invalid_invite`.
fn invite_hashes(request: &EscrowInviteHashes) -> Result<Vec<InviteHash>, ApiFailure> {
    let invalid = |message: String| ApiFailure::new(RelayErrorCode::InvalidInvite, message);
    if request.hashes.len() > MAX_INVITE_HASHES {
        return Err(invalid(format!(
            "{} invite hashes; at most {MAX_INVITE_HASHES} at once",
            request.hashes.len()
        )));
    }
    request
        .hashes
        .iter()
        .enumerate()
        .map(|(n, text)| {
            let mut hash = [0u8; 32];
            if text.len() == 64 && hex::decode_to_slice(text, &mut hash).is_ok() {
                Ok(hash)
            } else {
                Err(invalid(format!(
                    "hashes[{n}] is not an invite hash (64 hex characters)"
                )))
            }
        })
        .collect()
}

fn invite_count(n: u64) -> Json<EscrowInviteCount> {
    Json(EscrowInviteCount {
        count: u32::try_from(n).unwrap_or(u32::MAX),
    })
}

/// Most invite hashes one registration or revocation may carry.
pub const MAX_INVITE_HASHES: usize = 1000;

/// `POST /v1/org/escrow/invites`: the caller registers invite hashes (18.12).
pub async fn post_org_invites(
    State(state): State<AppState>,
    caller: OrgCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EscrowInviteCount>, ApiFailure> {
    let request: EscrowInviteHashes = json_body(&headers, body)?;
    let hashes = invite_hashes(&request)?;
    let added = state
        .storage
        .add_escrow_invites(&caller.0, &hashes, hour_of(unix_now()))
        .await?;
    Ok(invite_count(added))
}

/// `POST /v1/org/escrow/invites/revoke`: the caller revokes invite hashes (18.12).
pub async fn post_org_invites_revoke(
    State(state): State<AppState>,
    caller: OrgCaller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EscrowInviteCount>, ApiFailure> {
    let request: EscrowInviteHashes = json_body(&headers, body)?;
    let hashes = invite_hashes(&request)?;
    let gone = state
        .storage
        .revoke_escrow_invites(&caller.0, &hashes)
        .await?;
    Ok(invite_count(gone))
}

/// The organisation `org` of the current listing, when it takes invites: `directory_unavailable`,
/// `unknown_recipient`, `escrow_tokens_off`, in that order.
async fn inviting_organisation(
    state: &AppState,
    org: &OrgId,
) -> Result<workvoice_proto::directory::Organisation, ApiFailure> {
    let entry = listed_organisation(state, org).await?;
    if !entry.escrow_invites {
        return Err(ApiFailure::new(
            RelayErrorCode::EscrowTokensOff,
            "this organisation does not take escrow tokens (its directory entry sets no escrow_invites)",
        ));
    }
    Ok(entry)
}

/// The organisation `org` of the current listing: `directory_unavailable`, then
/// `unknown_recipient`.
async fn listed_organisation(
    state: &AppState,
    org: &OrgId,
) -> Result<workvoice_proto::directory::Organisation, ApiFailure> {
    let current = state
        .current_directory()
        .await?
        .ok_or_else(ApiFailure::no_directory)?;
    current
        .listing
        .organisations
        .iter()
        .find(|o| o.id == *org)
        .cloned()
        .ok_or_else(|| {
            ApiFailure::new(
                RelayErrorCode::UnknownRecipient,
                "the directory lists no organisation with this id",
            )
        })
}

/// `GET /v1/escrow/tokens/{organisation}`: the organisation's issuer keys for the current
/// epoch and one invite's budgets (18.12).
pub async fn get_token_keys(
    State(state): State<AppState>,
    Path(organisation): Path<String>,
) -> Result<Json<EscrowTokenKeys>, ApiFailure> {
    let org = (organisation.len() == 32)
        .then(|| OrgId::from_hex(&organisation))
        .flatten()
        .ok_or_else(|| {
            ApiFailure::new(
                RelayErrorCode::InvalidPath,
                "the organisation is not 32 hex characters",
            )
        })?;
    let entry = inviting_organisation(&state, &org).await?;
    let epoch = state.escrow_epoch(unix_now());
    let key = |purpose| {
        state
            .escrow_token_key(&org, epoch, purpose)
            .map(|k| k.public_key().to_vec())
            .ok_or_else(|| ApiFailure::internal("the escrow token secret is not loaded"))
    };
    let k = entry.escrow_threshold();
    Ok(Json(EscrowTokenKeys {
        epoch,
        oprf_key: key(TokenPurpose::Oprf)?,
        escrow_key: key(TokenPurpose::Escrow)?,
        oprf_budget: TokenPurpose::Oprf.budget(k),
        escrow_budget: TokenPurpose::Escrow.budget(k),
    }))
}

/// `POST /v1/escrow/tokens`: token requests answered against an invite, within its budget
/// for the epoch and purpose (18.12); checks in the order of the specification.
pub async fn post_tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EscrowTokenResponses>, ApiFailure> {
    let request: EscrowTokenRequest = json_body(&headers, body)?;
    let org = OrgId::from_hex(&request.organisation).ok_or_else(|| {
        // Checked against the listing after the directory, as the other escrow routes do.
        ApiFailure::new(
            RelayErrorCode::UnknownRecipient,
            "organisation is not an organisation id (32 hex characters)",
        )
    });
    if state.current_directory().await?.is_none() {
        return Err(ApiFailure::no_directory());
    }
    let org = org?;
    let entry = inviting_organisation(&state, &org).await?;
    let mut invite = [0u8; 16];
    if request.invite.len() != 32 || hex::decode_to_slice(&request.invite, &mut invite).is_err() {
        return Err(ApiFailure::new(
            RelayErrorCode::InvalidInvite,
            "invite must be the invite's 16 bytes as 32 hex characters",
        ));
    }
    let epoch = state.escrow_epoch(unix_now());
    if request.epoch != epoch {
        return Err(ApiFailure::new(
            RelayErrorCode::EscrowStaleEpoch,
            format!("the current escrow epoch is {epoch}; fetch the keys again"),
        ));
    }
    let key = state
        .escrow_token_key(&org, epoch, request.purpose)
        .ok_or_else(|| ApiFailure::internal("the escrow token secret is not loaded"))?;
    let invalid = |message: String| ApiFailure::new(RelayErrorCode::InvalidTokenRequest, message);
    if request.requests.is_empty() || request.requests.len() > token::MAX_REQUESTS_PER_CALL {
        return Err(invalid(format!(
            "{} token requests; 1 to {} at once",
            request.requests.len(),
            token::MAX_REQUESTS_PER_CALL
        )));
    }
    let mut requests = Vec::with_capacity(request.requests.len());
    for (n, text) in request.requests.iter().enumerate() {
        let bytes = from_base64(text)
            .ok()
            .filter(|b| key.check_request(b).is_ok())
            .ok_or_else(|| {
                invalid(format!(
                    "requests[{n}] is not a token request for this organisation's {} key of epoch {epoch}",
                    request.purpose.as_str()
                ))
            })?;
        requests.push(bytes);
    }
    let digests: Vec<[u8; 32]> = requests.iter().map(|r| sha256(&[r]).0).collect();
    let invite_hash = token::Invite::from_bytes(&invite).hash();
    let budget = request.purpose.budget(entry.escrow_threshold());
    match state
        .storage
        .record_token_issuance(&org, &invite_hash, epoch, request.purpose, &digests, budget)
        .await?
    {
        IssueOutcome::Issued => {}
        IssueOutcome::UnknownInvite => {
            return Err(ApiFailure::new(
                RelayErrorCode::UnknownInvite,
                "this organisation has no such invite (never registered, or revoked)",
            ));
        }
        IssueOutcome::BudgetSpent => {
            return Err(ApiFailure::new(
                RelayErrorCode::TokenBudgetSpent,
                format!(
                    "this invite may take {budget} {} tokens this epoch; nothing was issued",
                    request.purpose.as_str()
                ),
            ));
        }
    }
    let mut rng = SystemRng::new();
    let responses = requests
        .iter()
        .map(|r| {
            key.issue(r, &mut rng)
                .map(|response| to_base64(&response))
                .map_err(|e| ApiFailure::internal(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(EscrowTokenResponses { epoch, responses }))
}
