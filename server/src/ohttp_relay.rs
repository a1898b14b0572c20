//! `workvoice-ohttp-relay`: an Oblivious HTTP relay (RFC 9458 section 2) for a partner
//! organisation to run in front of one Workvoice relay. It takes `POST /` with an Encapsulated
//! Request from a phone and forwards the bytes, and nothing else of the request, to the one
//! gateway it is configured with; the gateway's answer goes back unchanged. It never sees a
//! request in the clear.
//!
//! **Invariant:** it writes no client address anywhere. The per-client limit
//! ([`ClientLimiter`]) keys a hash of the address under a random per-process key, in memory
//! only; the log line of a request holds its status and latency only; the forwarded request
//! carries no `Forwarded` or `X-Forwarded-For`, no header of the phone's at all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Parser;

use crate::limiter::ClientLimiter;
use crate::oblivious::{MAX_ENCAPSULATED_BYTES, REQUEST_MEDIA_TYPE};
use crate::startup::ClientAddress;
use crate::tls::Tls;

/// Where phones post encapsulated requests. (The OHTTP relay's routes are not the relay's:
/// PROTOCOL.md 14.8 lists them.)
pub const FORWARD_PATH: &str = "/";
/// Liveness.
pub const HEALTH_PATH: &str = "/healthz";

/// How to run the OHTTP relay (flags or `WORKVOICE_OHTTP_*` variables).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "workvoice-ohttp-relay",
    version,
    about = "Forwards Oblivious HTTP requests from phones to one Workvoice relay, keeping no client address"
)]
pub struct RelaySettings {
    /// The gateway to forward to: the Workvoice relay's `POST /v1/ohttp` URL.
    #[arg(long, env = "WORKVOICE_OHTTP_GATEWAY")]
    pub gateway: String,
    /// Where to listen: with `--tls-cert` and `--tls-key` on a public address (e.g.
    /// `0.0.0.0:443`), else on loopback behind a TLS proxy that logs no addresses.
    #[arg(long, env = "WORKVOICE_OHTTP_LISTEN", default_value = "127.0.0.1:8082")]
    pub listen: String,
    /// Serve HTTPS with this certificate chain (PEM), read again when it changes or on
    /// SIGHUP. Needs `--tls-key`.
    #[arg(long, env = "WORKVOICE_OHTTP_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, env = "WORKVOICE_OHTTP_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Requests per second per client address (0: no limit).
    #[arg(long, env = "WORKVOICE_OHTTP_RATE", default_value_t = 5)]
    pub rate_per_second: u32,
    /// Burst per client address.
    #[arg(long, env = "WORKVOICE_OHTTP_BURST", default_value_t = 60)]
    pub burst: u32,
    /// Seconds to wait for the gateway.
    #[arg(long, env = "WORKVOICE_OHTTP_TIMEOUT", default_value_t = 60)]
    pub timeout_secs: u64,
}

#[derive(Debug, Clone)]
struct RelayState {
    gateway: String,
    client: reqwest::Client,
    limiter: Arc<ClientLimiter>,
}

/// The relay's router.
pub fn relay_app(settings: &RelaySettings) -> Result<Router, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let state = RelayState {
        gateway: settings.gateway.clone(),
        client,
        limiter: Arc::new(ClientLimiter::new(
            settings.rate_per_second,
            settings.burst,
            crate::limiter::MAX_CLIENTS,
        )),
    };
    Ok(Router::new()
        .route(
            FORWARD_PATH,
            post(forward).layer(DefaultBodyLimit::max(MAX_ENCAPSULATED_BYTES)),
        )
        .route(HEALTH_PATH, get(|| async { "ok" }))
        .with_state(state))
}

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"error": code, "message": message});
    (status, axum::Json(body)).into_response()
}

async fn forward(
    State(state): State<RelayState>,
    Extension(ClientAddress(peer)): Extension<ClientAddress>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = Instant::now();
    let answer = forward_inner(&state, peer, &headers, body).await;
    tracing::info!(
        status = answer.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "forwarded"
    );
    answer
}

async fn forward_inner(
    state: &RelayState,
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    if let Err(wait) = state.limiter.try_acquire(peer) {
        let mut r = refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests; retry later",
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    if crate::error::require_content_type(headers, REQUEST_MEDIA_TYPE).is_err() {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be message/ohttp-req",
        );
    }
    let body = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the body is larger than the gateway accepts",
            );
        }
        Err(_) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "the body could not be read",
            );
        }
    };
    let sent = state
        .client
        .post(&state.gateway)
        .header(header::CONTENT_TYPE, REQUEST_MEDIA_TYPE)
        .body(body)
        .send()
        .await;
    let Ok(answer) = sent else {
        return refusal(
            StatusCode::BAD_GATEWAY,
            "gateway_unreachable",
            "the gateway did not answer",
        );
    };
    let status = answer.status();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let Ok(bytes) = answer.bytes().await else {
        return refusal(
            StatusCode::BAD_GATEWAY,
            "gateway_unreachable",
            "the gateway's answer was cut off",
        );
    };
    let mut response = (status, bytes).into_response();
    if let Some(v) = content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Serve `router` on `listener` until `stop`, over TLS when `tls` is given; each request knows
/// its peer's address (for the limit only), as the relay's own listener does.
pub async fn serve_relay(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Option<Arc<Tls>>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    crate::startup::serve(listener, router, tls, HEADER_TIMEOUT, stop).await;
}

/// How long a connection may take to send its request head (and TLS handshake).
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The binary's `main`: parse the settings, log to stdout without addresses, serve until
/// Ctrl-C or SIGTERM.
pub fn main_entry() -> std::process::ExitCode {
    let settings = RelaySettings::parse();
    crate::telemetry::init(false, "info");
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("workvoice-ohttp-relay: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result: Result<(), String> = runtime.block_on(async {
        if !workvoice_proto::oblivious::relay_url_allowed(&settings.gateway) {
            return Err(format!(
                "--gateway {:?} must be an https:// URL (http:// only to a loopback address)",
                settings.gateway
            ));
        }
        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => Some(Arc::new(
                Tls::from_files(cert, key).map_err(|e| format!("--tls-cert/--tls-key: {e}"))?,
            )),
            _ => None,
        };
        let router = relay_app(&settings).map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind(&settings.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%address, scheme, gateway = %settings.gateway, "OHTTP relay listening");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        if let Some(tls) = tls.clone() {
            let stopped = stop_rx.clone();
            tokio::spawn(async move { tls.maintain(Duration::from_secs(60), stopped).await });
        }
        tokio::spawn(crate::startup::reload_on_hangup(tls.clone(), stop_rx));
        serve_relay(listener, router, tls, crate::startup::shutdown_signal()).await;
        let _ = stop_tx.send(true);
        Ok(())
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workvoice-ohttp-relay: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
