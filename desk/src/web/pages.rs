//! Request handlers. Every POST checks the session and its CSRF token first; every form's bad
//! input is answered with the page again, a message next to the field, and nothing changed.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::Markup;
use workvoice_proto::keys::{AttachmentId, OrgId};
use workvoice_proto::reply::MAX_REPLY_TEXT_CHARS;
use workvoice_proto::report::{Indicator, is_valid_language};

use super::views::{self, Ctx, FormState, Nav};
use super::{
    AppState, FormData, Session, client_cookie_hash, csrf_ok, current_session, new_known_client,
    new_session, redirect,
};
use crate::cases::CaseStatus;
use crate::desk::{Desk, SyncOptions};
use crate::error::DeskError;
use crate::export::{ExportAudience, ExportFormat, ExportOptions, export_cases};
use crate::labels;
use crate::login_guard::{Client, Wait};
use crate::secrets::verify_password;
use crate::store::{self, CaseFilter};

pub const PAGE_SIZE: u64 = 50;
const MAX_NOTE_CHARS: usize = 5000;
const MAX_FILTER_CHARS: usize = 200;

type PageResult = Result<Response, Response>;

fn internal(e: DeskError) -> Response {
    tracing::error!(code = e.code(), "request failed: {e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><title>Error</title><h1>Something went wrong</h1><p>The desk could not complete this request. Nothing was changed.</p>"),
    )
        .into_response()
}

fn html(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// The logged-in session, or a redirect to the login page.
async fn require_user(desk: &Desk, headers: &HeaderMap) -> Result<Session, Response> {
    match current_session(desk, headers).await.map_err(internal)? {
        Some(s) if s.user_id.is_some() => Ok(s),
        _ => Err(redirect("/login")),
    }
}

struct Frame {
    session: Session,
    alarms: Vec<store::Alarm>,
}

impl Frame {
    async fn load(desk: &Desk, headers: &HeaderMap) -> Result<Frame, Response> {
        let session = require_user(desk, headers).await?;
        let alarms = desk.active_alarms().await.map_err(internal)?;
        Ok(Frame { session, alarms })
    }

    fn ctx<'a>(&'a self, desk: &'a Desk, nav: Nav) -> Ctx<'a> {
        Ctx {
            org_name: desk.org_name(),
            username: self.session.username.as_deref(),
            csrf: &self.session.csrf,
            alarms: &self.alarms,
            nav,
        }
    }
}

/// A POST: the logged-in session and its form, or the CSRF refusal page (nothing changed).
async fn post_frame(
    desk: &Desk,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Frame, FormData), Response> {
    let frame = Frame::load(desk, headers).await?;
    let form = FormData::parse(body);
    if !csrf_ok(&frame.session, &form) {
        tracing::warn!("a form was posted without a valid CSRF token");
        let ctx = frame.ctx(desk, Nav::None);
        return Err(html(
            StatusCode::FORBIDDEN,
            views::message(
                &ctx,
                "This form could not be accepted",
                "The form's security token is missing or does not belong to your session, so \
                 nothing was changed. Go back, reload the page and try again.",
            ),
        ));
    }
    Ok((frame, form))
}

pub async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match Frame::load(&state.desk, &headers).await {
        Ok(frame) => html(
            StatusCode::NOT_FOUND,
            views::message(
                &frame.ctx(&state.desk, Nav::None),
                "Page not found",
                "There is no page at this address.",
            ),
        ),
        Err(r) => r,
    }
}

// ---- login ----

pub async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let desk = &state.desk;
    match current_session(desk, &headers).await {
        Ok(Some(s)) if s.user_id.is_some() => return redirect("/"),
        Ok(Some(s)) => return login_page(desk, &s, &FormState::default(), StatusCode::OK, None),
        Ok(None) => {}
        Err(e) => return internal(e),
    }
    match new_session(desk, None).await {
        Ok((session, cookie)) => {
            let mut r = login_page(desk, &session, &FormState::default(), StatusCode::OK, None);
            r.headers_mut().insert(header::SET_COOKIE, cookie);
            r
        }
        Err(e) => internal(e),
    }
}

fn login_page(
    desk: &Desk,
    session: &Session,
    form: &FormState,
    status: StatusCode,
    note: Option<&str>,
) -> Response {
    let ctx = Ctx {
        org_name: desk.org_name(),
        username: None,
        csrf: &session.csrf,
        alarms: &[],
        nav: Nav::None,
    };
    html(status, views::login(&ctx, form, note))
}

pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let desk = &state.desk;
    let form = FormData::parse(&body);
    let session = match current_session(desk, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            // No login session: the form is stale or forged. Start a fresh one.
            return match new_session(desk, None).await {
                Ok((s, cookie)) => {
                    let mut state = FormState::default();
                    state.error("login", "This sign-in form expired. Please sign in again.");
                    let mut r = login_page(desk, &s, &state, StatusCode::FORBIDDEN, None);
                    r.headers_mut().insert(header::SET_COOKIE, cookie);
                    r
                }
                Err(e) => internal(e),
            };
        }
        Err(e) => return internal(e),
    };
    let mut state = FormState::default();
    if !csrf_ok(&session, &form) {
        state.error(
            "login",
            "This sign-in form expired or did not come from this desk. Please sign in again.",
        );
        return login_page(desk, &session, &state, StatusCode::FORBIDDEN, None);
    }
    let username = form.text("username").unwrap_or("");
    let password = form.get("password").unwrap_or("");
    state
        .values
        .insert("username".into(), username.chars().take(64).collect());
    if username.is_empty() {
        state.error("username", "Enter your user name.");
    } else if username.chars().count() > crate::desk::MAX_USERNAME_CHARS {
        state.error("username", "A user name has at most 64 characters.");
    }
    if password.is_empty() {
        state.error("password", "Enter your password.");
    } else if password.chars().count() > crate::desk::MAX_PASSWORD_CHARS {
        state.error("password", "A password has at most 256 characters.");
    }
    if !state.is_empty() {
        return login_page(
            desk,
            &session,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        );
    }
    let user = match desk.user_by_name(username).await {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    let client = match (&user, client_cookie_hash(&headers)) {
        (Some(u), Some(hash)) => match desk.is_known_client(&hash, u.id).await {
            Ok(true) => Client::Known(hash),
            Ok(false) => Client::Unknown,
            Err(e) => return internal(e),
        },
        _ => Client::Unknown,
    };
    let guard = desk.login_guard();
    match guard.check(username, &client, desk.now()).await {
        Ok(Ok(())) => {}
        Ok(Err(wait)) => {
            tracing::warn!("a sign-in was refused: it came before the delay after failures");
            state.error("login", wait_message(wait));
            return login_page(desk, &session, &state, StatusCode::TOO_MANY_REQUESTS, None);
        }
        Err(e) => return internal(e),
    }
    // Verify against a dummy hash when the user does not exist, so timing does not tell.
    const DUMMY: &str = "argon2id$19456,2,1$00000000000000000000000000000000$0000000000000000000000000000000000000000000000000000000000000000";
    let password = password.to_string();
    let stored = user
        .as_ref()
        .map_or(DUMMY.to_string(), |u| u.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        tracing::warn!("a sign-in failed");
        return match guard.failed(username, &client, desk.now()).await {
            Ok(Some(wait)) => {
                state.error(
                    "login",
                    format!(
                        "The user name or the password is wrong. {}",
                        wait_message(wait)
                    ),
                );
                login_page(desk, &session, &state, StatusCode::TOO_MANY_REQUESTS, None)
            }
            Ok(None) => {
                state.error("login", "The user name or the password is wrong.");
                login_page(desk, &session, &state, StatusCode::UNAUTHORIZED, None)
            }
            Err(e) => internal(e),
        };
    };
    if let Err(e) = guard.succeeded(username, &client).await {
        return internal(e);
    }
    if let Err(e) = desk.delete_session(&session.id_hash).await {
        return internal(e);
    }
    let known = match client {
        Client::Known(_) => None,
        Client::Unknown => match new_known_client(desk, user.id).await {
            Ok(cookie) => Some(cookie),
            Err(e) => return internal(e),
        },
    };
    match new_session(desk, Some(user.id)).await {
        Ok((_, cookie)) => {
            let mut r = redirect("/");
            r.headers_mut().append(header::SET_COOKIE, cookie);
            if let Some(known) = known {
                r.headers_mut().append(header::SET_COOKIE, known);
            }
            r
        }
        Err(e) => internal(e),
    }
}

fn wait_message(wait: Wait) -> String {
    format!(
        "Too many failed sign-ins for this user name from this browser. Try again in {}.",
        wait.describe()
    )
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let desk = &state.desk;
    let (frame, _) = match post_frame(desk, &headers, &body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(e) = desk.delete_session(&frame.session.id_hash).await {
        return internal(e);
    }
    let mut r = redirect("/login");
    r.headers_mut()
        .insert(header::SET_COOKIE, super::expired_cookie());
    r
}

// ---- case list ----

/// Parse the filter fields; problems go into `form` under `f-<field>`.
fn parse_filter(raw: &HashMap<String, String>, form: &mut FormState) -> CaseFilter {
    let get = |k: &str| raw.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut f = CaseFilter::default();
    if let Some(s) = get("status") {
        match CaseStatus::parse(s) {
            Some(s) => f.status = Some(s),
            None => form.error("f-status", "Choose a status from the list."),
        }
    }
    if let Some(c) = get("destination") {
        if workvoice_proto::iso::is_country(c) {
            f.destination = Some(c.to_string());
        } else {
            form.error("f-destination", "Choose a country from the list.");
        }
    }
    if let Some(s) = get("sector") {
        if s.chars().count() == 1
            && s.chars()
                .next()
                .and_then(workvoice_proto::report::Sector::from_letter)
                .is_some()
        {
            f.sector = Some(s.to_string());
        } else {
            form.error("f-sector", "Choose a sector from the list.");
        }
    }
    if let Some(i) = get("indicator") {
        if Indicator::ALL.iter().any(|x| x.as_str() == i) {
            f.indicator = Some(i.to_string());
        } else {
            form.error("f-indicator", "Choose an indicator from the list.");
        }
    }
    for (key, id) in [("recruiter", "f-recruiter"), ("q", "f-q")] {
        if let Some(t) = get(key) {
            if t.chars().count() > MAX_FILTER_CHARS {
                form.error(id, "Use at most 200 characters.");
            } else if key == "q" {
                f.text = Some(t.to_string());
            } else {
                f.recruiter = Some(t.to_string());
            }
        }
    }
    if let Some(d) = get("from") {
        match labels::parse_date(d) {
            Some(t) => f.received_from = Some(t),
            None => form.error("f-from", "Enter a real date as YYYY-MM-DD."),
        }
    }
    if let Some(d) = get("until") {
        match labels::parse_date(d) {
            Some(t) => f.received_until = Some(t + 86_400),
            None => form.error("f-until", "Enter a real date as YYYY-MM-DD."),
        }
    }
    if let (Some(a), Some(b)) = (f.received_from, f.received_until)
        && a >= b
    {
        form.error("f-until", "The end date is before the start date.");
        f.received_until = None;
    }
    f
}

fn notice_for(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "status" => "Status changed; the worker-visible status was sent to the relay.",
        "assign" => "Assignment saved.",
        "note" => "Note added.",
        "reply" => "Reply sealed and sent to the worker's mailbox.",
        "referral" => "Case referred. It was re-sealed to the organisation's certified key.",
        "sync" => "Sync finished.",
        "alarm" => "Alarm cleared. Acknowledgements resume at the next sync.",
        _ => return None,
    })
}

fn org_names(desk: &Desk) -> HashMap<String, String> {
    desk.cached_directory()
        .map(|d| {
            d.listing
                .organisations
                .iter()
                .map(|o| (o.id.to_hex(), o.name("en").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn case_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
) -> PageResult {
    let desk = &state.desk;
    let frame = Frame::load(desk, &headers).await?;
    let mut form = FormState::default();
    let filter = parse_filter(&raw, &mut form);
    list_page(desk, &frame, &raw, &form, &filter, StatusCode::OK, None).await
}

async fn list_page(
    desk: &Desk,
    frame: &Frame,
    raw: &HashMap<String, String>,
    form: &FormState,
    filter: &CaseFilter,
    status: StatusCode,
    notice: Option<&str>,
) -> PageResult {
    let page = raw
        .get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let total = desk.count_cases(filter).await.map_err(internal)?;
    let cases = desk
        .list_cases(filter, PAGE_SIZE as i64, ((page - 1) * PAGE_SIZE) as i64)
        .await
        .map_err(internal)?;
    let (destinations, sectors) = desk.facets().await.map_err(internal)?;
    let last_sync = desk.last_sync_at().await.map_err(internal)?;
    let disclosure_mismatch = desk.disclosure_mismatch_count().await.map_err(internal)?;
    let undecryptable = desk
        .undecryptable_count()
        .await
        .map_err(internal)?
        .saturating_sub(disclosure_mismatch);
    let names = org_names(desk);
    let notice = notice.or_else(|| notice_for(raw.get("done").map(String::as_str)));
    let view = views::ListView {
        raw,
        form,
        cases: &cases,
        total,
        page,
        page_size: PAGE_SIZE,
        destinations: &destinations,
        sectors: &sectors,
        last_sync,
        undecryptable,
        disclosure_mismatch,
        notice,
        org_names: &names,
    };
    let status = if form.is_empty() {
        status
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        views::case_list(&frame.ctx(desk, Nav::Cases), &view),
    ))
}

// ---- case page and actions ----

fn parse_case_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|v| *v > 0)
}

async fn case_page_response(
    desk: &Desk,
    frame: &Frame,
    id: i64,
    form: &FormState,
    status: StatusCode,
    notice: Option<&str>,
) -> PageResult {
    let case = match desk.case(id).await {
        Ok(c) => c,
        Err(DeskError::CaseNotFound) => {
            return Err(html(
                StatusCode::NOT_FOUND,
                views::message(
                    &frame.ctx(desk, Nav::Cases),
                    "Case not found",
                    "There is no case with this number.",
                ),
            ));
        }
        Err(e) => return Err(internal(e)),
    };
    let report = Desk::report_of(&case).map_err(internal)?;
    let events = desk.events(id).await.map_err(internal)?;
    let evidence = desk.attachment_states(id).await.map_err(internal)?;
    let linked = desk.linked_cases(&case).await.map_err(internal)?;
    let escrow = desk.escrow_placement(id).await.map_err(internal)?;
    let users = desk.users().await.map_err(internal)?;
    let own = desk.org_id().await.ok();
    let referral = desk.referral_options(&case, own);
    let names = org_names(desk);
    let referred_by_name = case
        .summary
        .referred_by
        .as_ref()
        .and_then(|id| names.get(id))
        .map(String::as_str);
    let view = views::CaseView {
        case: &case,
        report: &report,
        events: &events,
        evidence: &evidence,
        linked: &linked,
        escrow: escrow.as_ref(),
        users: &users,
        referral: &referral,
        directory_loaded: desk.cached_directory().is_some(),
        referred_by_name,
        form,
        notice,
    };
    Ok(html(
        status,
        views::case_page(&frame.ctx(desk, Nav::Cases), &view),
    ))
}

pub async fn case_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let desk = &state.desk;
    let frame = Frame::load(desk, &headers).await?;
    let Some(id) = parse_case_id(&id) else {
        return Err(not_found_page(desk, &frame));
    };
    let notice = notice_for(q.get("done").map(String::as_str));
    case_page_response(
        desk,
        &frame,
        id,
        &FormState::default(),
        StatusCode::OK,
        notice,
    )
    .await
}

fn not_found_page(desk: &Desk, frame: &Frame) -> Response {
    html(
        StatusCode::NOT_FOUND,
        views::message(
            &frame.ctx(desk, Nav::Cases),
            "Case not found",
            "There is no case with this number.",
        ),
    )
}

/// What an action's failure means for the form: a message at the form, and a status.
fn action_error(e: DeskError, form: &mut FormState, field: &str) -> StatusCode {
    match e {
        DeskError::RelayUnreachable(_) => {
            form.error("form", "The relay could not be reached, so nothing was changed. Try again when the connection is back.");
            StatusCode::BAD_GATEWAY
        }
        DeskError::RelayRefused { code, message, .. } => {
            form.error(
                "form",
                format!("The relay refused this ({code}: {message}); nothing was changed."),
            );
            StatusCode::BAD_GATEWAY
        }
        DeskError::ReferralNotConsented => {
            form.error(field, "The worker did not consent to sharing this report with that kind of organisation. Nothing was sent.");
            StatusCode::FORBIDDEN
        }
        DeskError::ReferralTarget(why) => {
            form.error(
                field,
                format!("This organisation cannot receive the case: {why}."),
            );
            StatusCode::UNPROCESSABLE_ENTITY
        }
        DeskError::EscrowedCase => {
            form.error(field, "This report was escrowed: it cannot be referred, and until the relay registers its reply channel no reply can reach the worker. Nothing was sent.");
            StatusCode::CONFLICT
        }
        DeskError::NotEnrolled => {
            form.error("form", "This desk is not enrolled with a relay yet.");
            StatusCode::CONFLICT
        }
        DeskError::Directory(d) => {
            form.error(
                "form",
                format!("The relay's directory is not valid ({d}); nothing was sent."),
            );
            StatusCode::BAD_GATEWAY
        }
        other => {
            tracing::error!(code = other.code(), "case action failed: {other}");
            form.error(
                "form",
                format!("The action failed ({}); nothing was changed.", other.code()),
            );
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

async fn case_action(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
    act: impl AsyncFnOnce(
        &Desk,
        i64,
        &str,
        &FormData,
        &mut FormState,
    ) -> Result<&'static str, StatusCode>,
) -> PageResult {
    let desk = &state.desk;
    let (frame, data) = post_frame(desk, headers, body).await?;
    let Some(id) = parse_case_id(id) else {
        return Err(not_found_page(desk, &frame));
    };
    if let Err(DeskError::CaseNotFound) = desk.case(id).await.map(|_| ()) {
        return Err(not_found_page(desk, &frame));
    }
    let actor = frame.session.username.clone().unwrap_or_default();
    let mut form = FormState::default();
    match act(desk, id, &actor, &data, &mut form).await {
        Ok(done) => Ok(redirect(&format!("/cases/{id}?done={done}"))),
        Err(status) => case_page_response(desk, &frame, id, &form, status, None).await,
    }
}

pub async fn post_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    case_action(
        &state,
        &headers,
        &id,
        &body,
        async |desk, id, actor, data, form| {
            let Some(status) = data.text("status").and_then(CaseStatus::parse) else {
                form.error("status-status", "Choose a status from the list.");
                return Err(StatusCode::UNPROCESSABLE_ENTITY);
            };
            desk.set_status(id, status, actor)
                .await
                .map_err(|e| action_error(e, form, "status-status"))?;
            Ok("status")
        },
    )
    .await
}

pub async fn post_assign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    case_action(
        &state,
        &headers,
        &id,
        &body,
        async |desk, id, actor, data, form| {
            let Some(value) = data.get("assignee") else {
                form.error("assign-assignee", "Choose a caseworker, or Nobody.");
                return Err(StatusCode::UNPROCESSABLE_ENTITY);
            };
            let value = value.trim();
            let user = if value.is_empty() {
                None
            } else {
                match desk.user_by_name(value).await {
                    Ok(Some(u)) => Some((u.id, u.username)),
                    Ok(None) => {
                        form.error("assign-assignee", "There is no caseworker with this name.");
                        return Err(StatusCode::UNPROCESSABLE_ENTITY);
                    }
                    Err(e) => return Err(action_error(e, form, "assign-assignee")),
                }
            };
            desk.assign(id, user, actor)
                .await
                .map_err(|e| action_error(e, form, "assign-assignee"))?;
            Ok("assign")
        },
    )
    .await
}

pub async fn post_note(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    case_action(
        &state,
        &headers,
        &id,
        &body,
        async |desk, id, actor, data, form| {
            let text = data.text("text").unwrap_or("");
            form.values.insert(
                "note-text".into(),
                data.get("text")
                    .unwrap_or("")
                    .chars()
                    .take(MAX_NOTE_CHARS)
                    .collect(),
            );
            if text.is_empty() {
                form.error("note-text", "Write the note first.");
            } else if text.chars().count() > MAX_NOTE_CHARS {
                form.error(
                    "note-text",
                    format!("A note has at most {MAX_NOTE_CHARS} characters."),
                );
            }
            if !form.is_empty() {
                return Err(StatusCode::UNPROCESSABLE_ENTITY);
            }
            desk.add_note(id, text, actor)
                .await
                .map_err(|e| action_error(e, form, "note-text"))?;
            Ok("note")
        },
    )
    .await
}

pub async fn post_reply(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    case_action(
        &state,
        &headers,
        &id,
        &body,
        async |desk, id, actor, data, form| {
            let text = data.text("text").unwrap_or("");
            let language = data.text("language").unwrap_or("");
            form.values.insert(
                "reply-text".into(),
                data.get("text")
                    .unwrap_or("")
                    .chars()
                    .take(MAX_REPLY_TEXT_CHARS)
                    .collect(),
            );
            form.values
                .insert("reply-language".into(), language.chars().take(35).collect());
            if text.is_empty() {
                form.error("reply-text", "Write the message first.");
            } else if text.chars().count() > MAX_REPLY_TEXT_CHARS {
                form.error(
                    "reply-text",
                    format!("A reply has at most {MAX_REPLY_TEXT_CHARS} characters."),
                );
            }
            if !is_valid_language(language) {
                form.error(
                    "reply-language",
                    "Enter a language code such as en, ne, bn, id, tl or es.",
                );
            }
            if !form.is_empty() {
                return Err(StatusCode::UNPROCESSABLE_ENTITY);
            }
            desk.reply(id, text, language, actor)
                .await
                .map_err(|e| action_error(e, form, "reply-text"))?;
            Ok("reply")
        },
    )
    .await
}

pub async fn post_referral(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    case_action(
        &state,
        &headers,
        &id,
        &body,
        async |desk, id, actor, data, form| {
            let Some(to) = data.text("to").and_then(OrgId::from_hex) else {
                form.error("referral-to", "Choose an organisation from the list.");
                return Err(StatusCode::UNPROCESSABLE_ENTITY);
            };
            desk.refer(id, to, actor)
                .await
                .map_err(|e| action_error(e, form, "referral-to"))?;
            Ok("referral")
        },
    )
    .await
}

pub async fn attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, attachment)): Path<(String, String)>,
) -> PageResult {
    let desk = &state.desk;
    let frame = Frame::load(desk, &headers).await?;
    let (Some(id), Some(aid)) = (parse_case_id(&id), AttachmentId::from_hex(&attachment)) else {
        return Err(not_found_page(desk, &frame));
    };
    match desk.attachment(id, aid).await {
        Ok((media_type, bytes)) => {
            let ext = if media_type == "image/png" {
                "png"
            } else if media_type == "image/jpeg" {
                "jpg"
            } else {
                "bin"
            };
            let disposition = format!(
                "attachment; filename=\"case-{id}-evidence-{}.{ext}\"",
                &attachment[..8]
            );
            let mut r = bytes.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&media_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            );
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(r)
        }
        Err(DeskError::CaseNotFound | DeskError::AttachmentNotFound) => {
            Err(not_found_page(desk, &frame))
        }
        Err(e) => {
            let mut form = FormState::default();
            let status = action_error(e, &mut form, "form");
            case_page_response(desk, &frame, id, &form, status, None).await
        }
    }
}

// ---- dashboard, export, sync, alarms ----

pub async fn dashboard(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let desk = &state.desk;
    let frame = Frame::load(desk, &headers).await?;
    let rows = desk.insight_rows().await.map_err(internal)?;
    let insight = crate::insight::compute(&rows, desk.now());
    let escrow_pending = desk.escrow_pending().await.map_err(internal)?;
    Ok(html(
        StatusCode::OK,
        views::dashboard(&frame.ctx(desk, Nav::Dashboard), &insight, escrow_pending),
    ))
}

pub async fn export(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> PageResult {
    let desk = &state.desk;
    let (frame, data) = post_frame(desk, &headers, &body).await?;
    let raw: HashMap<String, String> = [
        "status",
        "destination",
        "sector",
        "indicator",
        "recruiter",
        "from",
        "until",
        "q",
    ]
    .iter()
    .filter_map(|k| data.get(k).map(|v| (k.to_string(), v.to_string())))
    .collect();
    let mut form = FormState::default();
    let filter = parse_filter(&raw, &mut form);
    let format = data.text("format").and_then(ExportFormat::parse);
    if format.is_none() {
        form.error("export-format", "Choose one of the formats.");
    }
    let audience = data.text("audience").and_then(ExportAudience::parse);
    if audience.is_none() {
        form.error("export-audience", "Choose who will receive this file.");
    }
    let options = ExportOptions {
        include_free_text: data.get("include_free_text") == Some("yes"),
        include_contact: data.get("include_contact") == Some("yes"),
        audience: audience.unwrap_or_default(),
    };
    if let Some(problem) = options.problem() {
        form.error("export-sensitive", problem);
    }
    let (Some(format), Some(_), true) = (format, audience, form.is_empty()) else {
        return list_page(
            desk,
            &frame,
            &raw,
            &form,
            &filter,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    };
    let bytes = export_cases(desk, &filter, format, options)
        .await
        .map_err(internal)?;
    tracing::info!(
        user = frame.session.username.as_deref().unwrap_or(""),
        free_text = options.include_free_text,
        audience = options.audience.as_str(),
        "cases exported"
    );
    let name = format!(
        "workvoice-cases-{}.{}",
        labels::date(store::now()),
        format.file_suffix()
    );
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

pub async fn post_sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let desk = &state.desk;
    let (frame, _) = post_frame(desk, &headers, &body).await?;
    match desk.sync(SyncOptions::default(), &()).await {
        Ok(_) => Ok(redirect("/?done=sync")),
        Err(e) => {
            let mut form = FormState::default();
            let message = match &e {
                DeskError::NotEnrolled => "This desk is not enrolled with a relay yet.".to_string(),
                other => format!(
                    "The sync stopped: {other}. Cases stored so far are kept; the next sync resumes."
                ),
            };
            tracing::error!(code = e.code(), "sync from the web UI failed: {e}");
            let frame = Frame::load(desk, &headers).await.unwrap_or(frame);
            form.error("sync", message.clone());
            list_page(
                desk,
                &frame,
                &HashMap::new(),
                &FormState::default(),
                &CaseFilter::default(),
                StatusCode::BAD_GATEWAY,
                Some(&message),
            )
            .await
        }
    }
}

async fn alarms_response(
    desk: &Desk,
    frame: &Frame,
    form: &FormState,
    status: StatusCode,
    notice: Option<&str>,
) -> PageResult {
    let view = views::AlarmView {
        directory_version: desk.directory_version().await.map_err(internal)?,
        last_sync: desk.last_sync_at().await.map_err(internal)?,
        form,
        notice,
        keys: &desk.keys(),
    };
    Ok(html(
        status,
        views::alarms(&frame.ctx(desk, Nav::Alarms), &view),
    ))
}

pub async fn alarms_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let desk = &state.desk;
    let frame = Frame::load(desk, &headers).await?;
    alarms_response(
        desk,
        &frame,
        &FormState::default(),
        StatusCode::OK,
        notice_for(q.get("done").map(String::as_str)),
    )
    .await
}

pub async fn post_clear_alarms(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let desk = &state.desk;
    let (frame, data) = post_frame(desk, &headers, &body).await?;
    let mut form = FormState::default();
    let note = data.text("note").unwrap_or("");
    form.values.insert(
        "alarm-note".into(),
        data.get("note").unwrap_or("").chars().take(2000).collect(),
    );
    if note.is_empty() {
        form.error(
            "alarm-note",
            "Say what you reviewed before clearing the alarm.",
        );
    } else if note.chars().count() > 2000 {
        form.error("alarm-note", "Use at most 2000 characters.");
    }
    if frame.alarms.is_empty() {
        form.error("form", "There is no active alarm to clear.");
    }
    if !form.is_empty() {
        return alarms_response(desk, &frame, &form, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    }
    let by = frame.session.username.clone().unwrap_or_default();
    desk.clear_alarms(&by, note).await.map_err(internal)?;
    Ok(redirect("/alarms?done=alarm"))
}
