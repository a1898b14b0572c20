//! The caseworkers' web UI: server-rendered HTML that works without JavaScript, local accounts,
//! sessions in an HttpOnly SameSite=Strict cookie (stored hashed), a synchronizer CSRF token on
//! every POST, strict security headers, bound to 127.0.0.1 unless told otherwise.

mod pages;
mod views;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use workvoice_proto::keys::{ct_eq, sha256};
use workvoice_proto::rand_core::Rng;
use workvoice_proto::system_rng::SystemRng;

use crate::desk::Desk;
use crate::error::{DeskError, Result};
use crate::store;

pub const SESSION_COOKIE: &str = "wvdesk_session";
/// A browser a caseworker signed in with: its own sign-in delay record (`login_guard.rs`).
pub const CLIENT_COOKIE: &str = "wvdesk_client";
/// A known browser stays known for a year after its last successful sign-in.
const CLIENT_COOKIE_SECS: u64 = 365 * 24 * 3600;
/// An authenticated session lasts a working day.
pub const SESSION_SECS: u64 = 8 * 3600;
/// A login form stays valid for half an hour.
const LOGIN_SESSION_SECS: u64 = 1800;
/// Largest form body accepted.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug)]
pub struct AppState {
    pub desk: Desk,
}

/// The server started by `Desk::serve`.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop accepting connections and wait for the server to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Run until the process is interrupted (Ctrl-C).
    pub async fn run_until_interrupted(self) {
        let _ = tokio::signal::ctrl_c().await;
        self.stop().await;
    }
}

pub async fn serve(desk: Desk, addr: SocketAddr) -> Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(desk);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        shutdown: Some(tx),
        task,
    })
}

pub fn router(desk: Desk) -> Router {
    let state = AppState { desk };
    Router::new()
        .route("/", get(pages::case_list))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/cases/{id}", get(pages::case_page))
        .route("/cases/{id}/status", post(pages::post_status))
        .route("/cases/{id}/assign", post(pages::post_assign))
        .route("/cases/{id}/notes", post(pages::post_note))
        .route("/cases/{id}/replies", post(pages::post_reply))
        .route("/cases/{id}/referrals", post(pages::post_referral))
        .route(
            "/cases/{id}/attachments/{attachment}",
            get(pages::attachment),
        )
        .route("/dashboard", get(pages::dashboard))
        .route("/export", post(pages::export))
        .route("/sync", post(pages::post_sync))
        .route("/alarms", get(pages::alarms_page))
        .route("/alarms/clear", post(pages::post_clear_alarms))
        .route("/static/desk.css", get(stylesheet))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .fallback(pages::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("desk.css"),
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#0b5394\"/><path d=\"M3 4l2.5 8 2.5-6 2.5 6L13 4\" stroke=\"#fff\" stroke-width=\"1.6\" fill=\"none\"/></svg>",
    )
        .into_response()
}

/// Only requests addressed to this machine by name are served (a defence against DNS
/// rebinding), and every answer carries a strict content security policy.
async fn security_headers(request: Request, next: Next) -> Response {
    if let Some(host) = request.headers().get(header::HOST) {
        let host = host.to_str().unwrap_or("");
        let name = host
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(name, _)| name);
        if !matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
            return (StatusCode::MISDIRECTED_REQUEST, "unknown host").into_response();
        }
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A logged-in (or, on the login page, anonymous) session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub csrf: String,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    SystemRng::new().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn hash_session_id(id: &str) -> String {
    sha256(&[b"workvoice-desk/session/", id.as_bytes()]).to_hex()
}

/// The value of cookie `wanted` when it is a 64-digit hex token.
fn cookie_value(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn hash_client_id(id: &str) -> String {
    sha256(&[b"workvoice-desk/client/", id.as_bytes()]).to_hex()
}

/// The hash of the known-browser cookie the request carries, if any (`login_guard.rs`).
pub fn client_cookie_hash(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, CLIENT_COOKIE).map(|id| hash_client_id(&id))
}

/// Remember this browser as one `user_id` signed in with; returns the `Set-Cookie` value.
pub async fn new_known_client(desk: &Desk, user_id: i64) -> Result<HeaderValue> {
    let id = random_token();
    desk.add_known_client(&hash_client_id(&id), user_id).await?;
    HeaderValue::from_str(&format!(
        "{CLIENT_COOKIE}={id}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={CLIENT_COOKIE_SECS}"
    ))
    .map_err(|_| DeskError::InvalidInput("cookie".into()))
}

pub async fn current_session(desk: &Desk, headers: &HeaderMap) -> Result<Option<Session>> {
    let Some(id) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let id_hash = hash_session_id(&id);
    Ok(desk.session(&id_hash).await?.map(|row| Session {
        id_hash,
        user_id: row.user_id,
        username: row.username,
        csrf: row.csrf_token,
    }))
}

/// A new session; returns it and the `Set-Cookie` value.
pub async fn new_session(desk: &Desk, user_id: Option<i64>) -> Result<(Session, HeaderValue)> {
    let id = random_token();
    let csrf = random_token();
    let secs = if user_id.is_some() {
        SESSION_SECS
    } else {
        LOGIN_SESSION_SECS
    };
    let id_hash = hash_session_id(&id);
    desk.create_session(&id_hash, user_id, &csrf, store::now() + secs)
        .await?;
    let cookie = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={secs}"
    ))
    .map_err(|_| DeskError::InvalidInput("cookie".into()))?;
    Ok((
        Session {
            id_hash,
            user_id,
            username: None,
            csrf,
        },
        cookie,
    ))
}

pub fn expired_cookie() -> HeaderValue {
    HeaderValue::from_static("wvdesk_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

pub fn csrf_ok(session: &Session, form: &FormData) -> bool {
    form.get("csrf")
        .is_some_and(|t| ct_eq(t.as_bytes(), session.csrf.as_bytes()))
}

/// A submitted form, decoded leniently: a body that is not a form counts as empty, so every
/// handler answers bad input with its own messages rather than a framework error.
#[derive(Debug, Clone, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed, non-empty value of a field.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }
}

pub fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The web UI of a desk: the desk does not know the web, the web calls the desk.
impl Desk {
    /// Serve the web UI on `addr` (127.0.0.1:0 for an ephemeral port).
    pub async fn serve(&self, addr: SocketAddr) -> Result<RunningServer> {
        serve(self.clone(), addr).await
    }

    pub fn router(&self) -> axum::Router {
        router(self.clone())
    }
}
