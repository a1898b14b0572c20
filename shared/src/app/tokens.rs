//! Anonymous escrow tokens, the phone's side (`PROTOCOL.md` 18.12): at a union whose directory
//! entry sets `escrow_invites`, each paid escrow request (`POST /v1/escrow/oprf/org`, purpose
//! `oprf`; `POST /v1/escrow`, purpose `escrow`) carries a Privacy Pass token issued against the
//! worker's invite. `escrow.rs` calls [`paid`] where it would post; every request goes through
//! the same `http` helper (and so the same OHTTP route) as every other.
//!
//! For one token, in order, each step stored (flushed) before the request that depends on it:
//!
//! 1. `GET /v1/escrow/tokens/{org}`: the issuer keys of the current epoch. A key that is not a
//!    valid compressed P-384 point is `token_key_invalid`.
//! 2. A 32-byte seed is drawn and stored in the report's record with the key and epoch
//!    (flushed), then `POST /v1/escrow/tokens` with the request `PendingToken::begin(key,
//!    seed)`. A killed app derives the same request from the stored seed and posts it again;
//!    the relay answers an identical request again without counting it.
//! 3. The response is verified against the key fetched (`finalize`); the token is stored
//!    (flushed), then the paid request goes out with `authorization: PrivateToken token=...`.
//!    A retry, after a timeout or a kill, sends the same token with the same stored request.
//!
//! Answers: `429 token_budget_spent` and `404 unknown_invite` are told to the worker, who may
//! send the report now; `422 escrow_stale_epoch` fetches the keys again (once per round); a
//! response that does not verify (`token_response_invalid`) or a bad key keeps the report
//! waiting with nothing spent, and the keys are fetched again at the next try. At spending,
//! `401 token_invalid`/`token_spent` drop the token and take another once; a second refusal
//! fails the report with the code.

use workvoice_proto::ErrorCode;
use workvoice_proto::api::{
    EscrowTokenKeys, EscrowTokenRequest, EscrowTokenResponses, RelayErrorCode,
};
use workvoice_proto::codec::{from_base64, to_base64};
use workvoice_proto::keys::{OrgId, ReportId};
use workvoice_proto::token::{PendingToken, TokenError, TokenPurpose, authorization};

use super::escrow::{EscrowStep, api_code, escrow_mut, refused, store, transient};
use super::records::{Failure, TokenRecord, Transient};
use super::{Cmd, HttpMethod, HttpRequest, HttpResult, Phone, Session};

/// Whether escrow at `org` is paid with tokens: its entry in the verified directory sets
/// `escrow_invites`.
pub(crate) fn needed(session: &Session, org: &OrgId) -> bool {
    session
        .directory
        .as_ref()
        .and_then(|d| d.listing.organisation(org))
        .is_some_and(|o| o.escrow_invites)
}

/// Sends the paid request of `purpose` for report `id`, with a token when its union needs one
/// (taking one first if none is kept).
pub(crate) fn paid(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    purpose: TokenPurpose,
) -> Cmd {
    let Some(org) = escrow_mut(session, &id).and_then(|e| e.org_id) else {
        return super::sync::advance(phone, session);
    };
    if !needed(session, &org) {
        return send(phone, session, id, purpose, None);
    }
    let kept = escrow_mut(session, &id)
        .and_then(|e| e.token.clone())
        .filter(|t| t.purpose == purpose);
    match kept {
        Some(t) => match t.token() {
            Some(token) => send(phone, session, id, purpose, Some(authorization(&token))),
            None => post_request(phone, session, id),
        },
        None => {
            // A token of the other purpose is never left over: it was spent or dropped.
            if let Some(escrow) = escrow_mut(session, &id) {
                escrow.token = None;
            }
            fetch_keys(phone, session, id, org, purpose)
        }
    }
}

fn send(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    purpose: TokenPurpose,
    authorization: Option<String>,
) -> Cmd {
    match purpose {
        TokenPurpose::Oprf => super::escrow::post_oprf(phone, session, id, authorization),
        TokenPurpose::Escrow => super::escrow::post_escrow(phone, session, id, authorization),
    }
}

fn fetch_keys(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    org: OrgId,
    purpose: TokenPurpose,
) -> Cmd {
    let _ = session;
    let request = HttpRequest::get(
        phone.relay(&format!("/v1/escrow/tokens/{}", org.to_hex())),
        phone.config.http_timeout_ms,
    );
    super::sync::http(phone, request, move |result| {
        super::sync::SyncStep::Escrow(EscrowStep::TokenKeys {
            report_id: id,
            purpose,
            result,
        })
    })
}

/// Not spent, not counted against anything: the keys are fetched again at the next try.
fn unverified(phone: &mut Phone, session: &mut Session, id: ReportId, error: TokenError) -> Cmd {
    if let Some(escrow) = escrow_mut(session, &id) {
        escrow.token = None;
    }
    let transient = Transient::Token {
        error: error.code().to_string(),
    };
    super::sync::back_off(phone, session, id, transient)
}

pub(crate) fn on_keys(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    purpose: TokenPurpose,
    result: HttpResult,
) -> Cmd {
    if let Some(t) = transient(&result) {
        return super::sync::back_off(phone, session, id, t);
    }
    let keys = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<EscrowTokenKeys>(&r.body).ok()
        }
        _ => None,
    };
    let Some(keys) = keys else {
        return super::sync::fail(phone, session, id, refused(&result));
    };
    let key = match purpose {
        TokenPurpose::Oprf => keys.oprf_key,
        TokenPurpose::Escrow => keys.escrow_key,
    };
    let seed: [u8; 32] = phone.rng.bytes();
    // A key that is not a point fails here, before anything is stored or posted.
    if let Err(e) = PendingToken::begin(&key, &seed) {
        return unverified(phone, session, id, e);
    }
    let Some(escrow) = escrow_mut(session, &id) else {
        return super::sync::advance(phone, session);
    };
    escrow.token = Some(TokenRecord {
        purpose,
        epoch: keys.epoch,
        key: hex::encode(&key),
        seed: hex::encode(seed),
        token: String::new(),
    });
    // The seed is stored before the token request is posted.
    store(session, id, Vec::new(), |report_id, out| {
        EscrowStep::TokenSeedSaved { report_id, out }
    })
}

/// `POST /v1/escrow/tokens` with the request derived from the stored seed: the same bytes
/// every time.
pub(crate) fn post_request(phone: &mut Phone, session: &mut Session, id: ReportId) -> Cmd {
    let invite = session.device.as_ref().and_then(|d| d.escrow_invite());
    let Some(invite) = invite else {
        // The invite was cleared after the report was queued: she needs one to wait.
        if let Some(escrow) = escrow_mut(session, &id) {
            escrow.token = None;
        }
        return super::sync::fail(phone, session, id, Failure::UnknownInvite);
    };
    let body = escrow_mut(session, &id).and_then(|escrow| {
        let org = escrow.org_id?;
        let token = escrow.token.as_ref()?;
        let pending = PendingToken::begin(&token.key()?, &token.seed()?).ok()?;
        serde_json::to_vec(&EscrowTokenRequest {
            organisation: org.to_hex(),
            invite: invite.to_hex(),
            purpose: token.purpose,
            epoch: token.epoch,
            requests: vec![to_base64(pending.request())],
        })
        .ok()
    });
    let Some(body) = body else {
        // Unreadable: dropped, and taken again from the keys.
        return unverified(phone, session, id, TokenError::InvalidKey);
    };
    let request = HttpRequest {
        method: HttpMethod::Post,
        url: phone.relay("/v1/escrow/tokens"),
        headers: Vec::new(),
        body,
        timeout_ms: phone.config.http_timeout_ms,
    }
    .with_header("content-type", "application/json".into());
    super::sync::http(phone, request, move |result| {
        super::sync::SyncStep::Escrow(EscrowStep::TokenIssued {
            report_id: id,
            result,
        })
    })
}

pub(crate) fn on_issued(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    result: HttpResult,
) -> Cmd {
    let code = api_code(&result).and_then(|c| RelayErrorCode::parse(&c));
    match code {
        Some(RelayErrorCode::TokenBudgetSpent) => {
            return drop_and_fail(phone, session, id, Failure::TokenBudgetSpent);
        }
        Some(RelayErrorCode::UnknownInvite) => {
            return drop_and_fail(phone, session, id, Failure::UnknownInvite);
        }
        Some(RelayErrorCode::EscrowStaleEpoch) => {
            let purpose = escrow_mut(session, &id).and_then(|e| e.token.take().map(|t| t.purpose));
            let org = escrow_mut(session, &id).and_then(|e| e.org_id);
            let round = session.sync.round;
            return match (purpose, org) {
                (Some(purpose), Some(org)) if session.sync.token_keys_round != Some(round) => {
                    session.sync.token_keys_round = Some(round);
                    fetch_keys(phone, session, id, org, purpose)
                }
                _ => super::sync::wait(phone, session, id),
            };
        }
        _ => {}
    }
    if let Some(t) = transient(&result) {
        return super::sync::back_off(phone, session, id, t);
    }
    let responses = match &result {
        HttpResult::Response(r) if r.status == 200 => {
            serde_json::from_slice::<EscrowTokenResponses>(&r.body).ok()
        }
        _ => None,
    };
    let Some(responses) = responses else {
        if let Some(escrow) = escrow_mut(session, &id) {
            escrow.token = None;
        }
        return super::sync::fail(phone, session, id, refused(&result));
    };
    let finished = escrow_mut(session, &id)
        .and_then(|e| e.token.as_ref())
        .map(|token| {
            let key = token.key().ok_or(TokenError::InvalidKey)?;
            let seed = token.seed().ok_or(TokenError::InvalidKey)?;
            let pending = PendingToken::begin(&key, &seed)?;
            let response = match responses.responses.as_slice() {
                [one] => from_base64(one).map_err(|_| TokenError::InvalidResponse)?,
                _ => return Err(TokenError::InvalidResponse),
            };
            pending.finalize(&key, &response)
        });
    match finished {
        None => super::sync::advance(phone, session),
        Some(Err(e)) => unverified(phone, session, id, e),
        Some(Ok(token)) => {
            if let Some(t) = escrow_mut(session, &id).and_then(|e| e.token.as_mut()) {
                t.token = hex::encode(token);
            }
            // The token is stored before it is spent.
            store(session, id, Vec::new(), |report_id, out| {
                EscrowStep::TokenSaved { report_id, out }
            })
        }
    }
}

fn drop_and_fail(phone: &mut Phone, session: &mut Session, id: ReportId, failure: Failure) -> Cmd {
    if let Some(escrow) = escrow_mut(session, &id) {
        escrow.token = None;
    }
    super::sync::fail(phone, session, id, failure)
}

/// The paid request's answer refused its token (`401 token_invalid`/`token_spent`): another
/// is taken once. `None` when the answer is not such a refusal.
pub(crate) fn refused_at_spending(
    phone: &mut Phone,
    session: &mut Session,
    id: ReportId,
    purpose: TokenPurpose,
    result: &HttpResult,
) -> Option<Cmd> {
    let status = match result {
        HttpResult::Response(r) => r.status,
        HttpResult::Failed(_) => return None,
    };
    let code = api_code(result).and_then(|c| RelayErrorCode::parse(&c));
    if status != 401
        || !matches!(
            code,
            Some(RelayErrorCode::TokenInvalid | RelayErrorCode::TokenSpent)
        )
    {
        return None;
    }
    let escrow = escrow_mut(session, &id)?;
    escrow.token = None;
    if escrow.token_retried {
        return Some(super::sync::fail(phone, session, id, refused(result)));
    }
    escrow.token_retried = true;
    Some(paid(phone, session, id, purpose))
}

/// The paid request was answered: its token is spent (or was never needed).
pub(crate) fn spent(session: &mut Session, id: &ReportId) {
    if let Some(escrow) = escrow_mut(session, id) {
        escrow.token = None;
        escrow.token_retried = false;
    }
}
