//! Building and running the relay: `Application::build(settings)`, `.port()`,
//! `.run_until_stopped()`; and [`app`], the router, for tests that need no socket.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use workvoice_proto::api::RelayErrorCode;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::timeout::TimeoutLayer;
use workvoice_proto::api::{
    MAX_CHUNK_BYTES, MAX_OPRF_REQUEST_BYTES, MAX_SUBMISSION_BYTES, MAX_WITHDRAWAL_BYTES,
};
use workvoice_proto::keys::SigningKey;

use crate::admin::{self, PublishOptions};
use crate::configuration::Settings;
use crate::domain::keyfile::{self, KeyFileError};
use crate::domain::unix_now;
use crate::error::{ApiFailure, ErrorCodeTag};
use crate::files;
use crate::limiter::RateLimiter;
use crate::oblivious;
use crate::routes::{
    attachments, directory, escrow, health, mailbox, org, submissions, withdrawals,
};
use crate::state::AppState;
use crate::storage::{PurgeCounts, Storage, StorageError};
use crate::tls::Tls;

pub const HTTP_REQUESTS_METRIC: &str = "workvoice_http_requests_total";
pub const HTTP_LATENCY_METRIC: &str = "workvoice_http_request_duration_seconds";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create or protect the data directory or database file {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Key(#[from] KeyFileError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    #[error("metrics_listen must be a loopback address such as 127.0.0.1:9464, not {0}")]
    MetricsNotLoopback(String),
    #[error(
        "refusing to serve plain HTTP on {0}, which is not a loopback address: reports and \
         mailbox tokens would cross the network unencrypted. Set tls = \"acme\" (with \
         acme_domains) or tls = \"files\" (with tls_cert_file and tls_key_file); or, when a \
         TLS-terminating reverse proxy is in front, set behind_proxy = true; or listen on \
         127.0.0.1"
    )]
    PlainHttpOnPublicAddress(String),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error(transparent)]
    DataDirLock(#[from] files::DataDirLockError),
    #[error("the Oblivious HTTP gateway keys: {0}")]
    Gateway(#[from] oblivious::GatewayMaintenanceError),
}

/// Open the database of `settings` (creating the data directory, mode 0700, for a default
/// SQLite file) and apply the migrations. A SQLite database and its WAL and shared-memory
/// files are mode 0600 whatever the umask (`files.rs`).
pub async fn open_storage(settings: &Settings) -> Result<Storage, StartupError> {
    let data_dir = |e| StartupError::DataDir(settings.data_dir.display().to_string(), e);
    if settings.database_url.is_none() {
        files::private_dir(&settings.data_dir).map_err(data_dir)?;
    }
    let url = settings.database_url();
    if let Some(db) = files::sqlite_path(&url) {
        files::private_sqlite_files(&db)
            .map_err(|e| StartupError::DataDir(db.display().to_string(), e))?;
    }
    let storage = Storage::connect(&url, settings.max_connections).await?;
    storage.migrate().await?;
    Ok(storage)
}

/// The relay's directory-signing key, created (mode 0600) on first use.
pub fn relay_key(settings: &Settings) -> Result<SigningKey, KeyFileError> {
    keyfile::read_or_create(&settings.relay_key_path())
}

/// The router over `state`.
pub fn app(state: AppState) -> Router {
    let anonymous = Router::new()
        .route("/v1/directory", get(directory::get_directory))
        .route(
            "/v1/submissions",
            post(submissions::post_submission).layer(DefaultBodyLimit::max(MAX_SUBMISSION_BYTES)),
        )
        .route("/v1/mailbox/{token}", get(mailbox::get_mailbox))
        .route(
            "/v1/submissions/{id}/withdrawal",
            post(withdrawals::post_withdrawal).layer(DefaultBodyLimit::max(MAX_WITHDRAWAL_BYTES)),
        )
        .route(
            "/v1/escrow/oprf",
            post(escrow::post_oprf)
                .layer(DefaultBodyLimit::max(MAX_OPRF_REQUEST_BYTES))
                .layer(middleware::from_fn_with_state(state.clone(), oprf_limit)),
        )
        .route(
            "/v1/escrow/oprf/org",
            post(escrow::post_chained_oprf)
                .layer(DefaultBodyLimit::max(MAX_OPRF_REQUEST_BYTES))
                .layer(middleware::from_fn_with_state(state.clone(), oprf_limit)),
        )
        .route(
            "/v1/escrow/oprf/org/{request}",
            get(escrow::get_chained_oprf),
        )
        .route(
            "/v1/escrow",
            post(escrow::post_escrow).layer(DefaultBodyLimit::max(MAX_SUBMISSION_BYTES)),
        )
        .route(
            "/v1/escrow/tokens/{organisation}",
            get(escrow::get_token_keys),
        )
        .route(
            "/v1/escrow/tokens",
            post(escrow::post_tokens).layer(DefaultBodyLimit::max(escrow::MAX_TOKEN_REQUEST_BYTES)),
        )
        .route(
            "/v1/escrow/{escrow_id}/withdrawal",
            post(escrow::post_escrow_withdrawal).layer(DefaultBodyLimit::max(MAX_WITHDRAWAL_BYTES)),
        )
        .route(
            "/v1/submissions/{id}/attachments/{attachment_id}",
            get(attachments::get_upload)
                .put(attachments::put_chunk)
                .layer(DefaultBodyLimit::max(MAX_CHUNK_BYTES)),
        )
        .route(
            "/v1/ohttp",
            post(oblivious::post_ohttp)
                .layer(DefaultBodyLimit::max(oblivious::MAX_ENCAPSULATED_BYTES)),
        )
        .route("/v1/ohttp/keys", get(oblivious::get_keys))
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    let organisation = Router::new()
        .route("/v1/org/inbox", get(org::get_inbox))
        .route("/v1/org/inbox/{report_id}/ack", post(org::acknowledge))
        .route("/v1/org/reports/{report_id}/status", post(org::set_status))
        .route("/v1/org/withdrawals", get(withdrawals::get_withdrawals))
        .route("/v1/org/escrow", get(escrow::get_org_escrow))
        .route("/v1/org/escrow/oprf", get(escrow::get_org_oprf_queue))
        .route(
            "/v1/org/escrow/oprf/answers",
            post(escrow::post_org_oprf_answers),
        )
        .route(
            "/v1/org/escrow/pending",
            get(escrow::get_org_escrow_pending),
        )
        .route(
            "/v1/org/escrow/{tag}/ack",
            post(escrow::acknowledge_org_escrow),
        )
        .route(
            "/v1/org/escrow/reports",
            post(escrow::register_org_escrow_report),
        )
        .route("/v1/org/escrow/invites", post(escrow::post_org_invites))
        .route(
            "/v1/org/escrow/invites/revoke",
            post(escrow::post_org_invites_revoke),
        )
        .route(
            "/v1/org/withdrawals/{report_id}/ack",
            post(withdrawals::acknowledge_withdrawal),
        )
        .route(
            "/v1/org/reports/{report_id}/replies",
            post(org::post_reply).layer(DefaultBodyLimit::max(MAX_SUBMISSION_BYTES)),
        )
        .route(
            "/v1/org/reports/{report_id}/referrals",
            post(org::post_referral).layer(DefaultBodyLimit::max(MAX_SUBMISSION_BYTES)),
        )
        .route(
            "/v1/org/reports/{report_id}/attachments/{attachment_id}",
            get(attachments::get_attachment),
        );
    let operations = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(health::openapi));
    let timeout = Duration::from_secs(state.settings.request_timeout_secs.max(1));
    let gateway = state.gateway.clone();
    let router = anonymous
        .merge(organisation)
        .merge(operations)
        .fallback(not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), body_budget))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(middleware::map_response_with_state(state.clone(), hsts))
        .with_state(state);
    // The gateway serves the requests it opens through this same router.
    gateway.serve_with(router.clone());
    router
}

/// With TLS on, every answer tells browsers to use HTTPS only for this host.
async fn hsts(State(state): State<AppState>, mut response: Response) -> Response {
    if state.settings.tls.is_on() {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(crate::tls::HSTS),
        );
    }
    response
}

/// The client's address, put in each request by the accept loop. Used only as an in-memory
/// fairness key ([`crate::limiter::ClientLimiter`] hashes it); never logged or stored.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

/// The address a client is limited by: the configured proxy header's (last) address, else the
/// peer's.
fn client_address(state: &AppState, request: &Request) -> Option<IpAddr> {
    if let Some(name) = state.settings.client_address_header.as_deref()
        && let Some(ip) = request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|v| v.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return Some(ip);
    }
    request.extensions().get::<ClientAddress>().map(|c| c.0)
}

/// Reserve the request's body bytes in the global budget before the body is read; refuse at
/// once, unread, when the budget is spent.
async fn body_budget(State(state): State<AppState>, request: Request, next: Next) -> Response {
    use axum::http::Method;
    // A request inside an Oblivious HTTP one: the outer request holds the reservation for
    // these bytes already, so reserving them again would count them twice.
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE
    ) || request
        .extensions()
        .get::<oblivious::OpenedByGateway>()
        .is_some()
    {
        return next.run(request).await;
    }
    let largest = MAX_SUBMISSION_BYTES
        .max(MAX_CHUNK_BYTES)
        .max(oblivious::MAX_ENCAPSULATED_BYTES) as u64;
    // HTTP/1.1: a body has a Content-Length or is chunked; without either it is empty.
    let headers = request.headers();
    let declared = match headers.get(header::CONTENT_LENGTH) {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(largest, |n| n.min(largest)),
        None if headers.contains_key(header::TRANSFER_ENCODING) => largest,
        None => 0,
    };
    match state.limits.bodies.try_reserve(declared) {
        Some(_permit) => next.run(request).await,
        None => {
            let mut response = ApiFailure::new(
                RelayErrorCode::RelayBusy,
                "too many request bodies are in flight; retry later",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// The router of the operator's metrics listener: `/metrics` only.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> ApiFailure {
    ApiFailure::new(RelayErrorCode::NotFound, "no such endpoint")
}

/// Every error answer is JSON `{"error": code, "message": text}`. Answers that axum or tower
/// make themselves (405 for a method a route does not serve, with an empty body; 408 after the
/// request timeout) carry none of ours and get one here, keeping their headers (`Allow`).
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    if !is_error || response.extensions().get::<ErrorCodeTag>().is_some() {
        return response;
    }
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            RelayErrorCode::MethodNotAllowed,
            "this endpoint does not serve this method",
        ),
        StatusCode::REQUEST_TIMEOUT => {
            (RelayErrorCode::RequestTimeout, "the request took too long")
        }
        StatusCode::PAYLOAD_TOO_LARGE => (
            RelayErrorCode::PayloadTooLarge,
            "the body is larger than this endpoint accepts",
        ),
        s if s.is_server_error() => (
            RelayErrorCode::InternalError,
            "the relay could not complete the request",
        ),
        _ => (RelayErrorCode::BadRequest, "the request is not valid"),
    };
    let (parts, _) = response.into_parts();
    // The layer's own status stays (a 5xx other than 500, a 4xx axum chose).
    let mut failure = ApiFailure::new(code, message);
    failure.status = status;
    let mut answer = failure.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}

/// One log line and two metrics per request: method, route template, status, latency. Never
/// the path itself (it can hold a mailbox token), the query, the peer address or user agent.
async fn observe(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = matched.map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    tracing::info!(
        method = %method,
        route = %route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    let status_text = status.to_string();
    state.metrics.inc(
        HTTP_REQUESTS_METRIC,
        &[
            ("method", method.as_str()),
            ("route", &route),
            ("status", &status_text),
        ],
    );
    state.metrics.observe(
        HTTP_LATENCY_METRIC,
        &[("method", method.as_str()), ("route", &route)],
        elapsed.as_secs_f64(),
    );
    response
}

/// Anonymous endpoints: first the client's own bucket, then its route class's bucket. An
/// Oblivious HTTP request takes only its client's bucket (none from an address of
/// `ohttp_relay_addresses`, which carries many phones): the request inside, which carries no
/// client address, then takes its route class's.
async fn rate_limit(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let limits = &state.limits;
    let class = match matched.as_ref().map(MatchedPath::as_str) {
        Some("/v1/ohttp") => None,
        Some("/v1/directory" | "/v1/ohttp/keys" | "/v1/escrow/tokens/{organisation}") => {
            Some(&limits.directory)
        }
        Some(
            "/v1/submissions"
            | "/v1/submissions/{id}/withdrawal"
            | "/v1/escrow/tokens"
            | "/v1/escrow/oprf"
            | "/v1/escrow"
            | "/v1/escrow/{escrow_id}/withdrawal",
        ) => Some(&limits.submissions),
        Some("/v1/mailbox/{token}") => Some(&limits.mailbox),
        _ => Some(&limits.uploads),
    };
    let trusted_ohttp_relay = |ip: &IpAddr| {
        class.is_none()
            && state
                .settings
                .ohttp_relay_addresses
                .iter()
                .any(|a| a.parse::<IpAddr>().is_ok_and(|a| a == *ip))
    };
    let admitted = match client_address(&state, &request) {
        Some(ip) if !trusted_ohttp_relay(&ip) => limits.clients.try_acquire(ip),
        _ => Ok(()),
    }
    .and_then(|()| class.map_or(Ok(()), RateLimiter::try_acquire));
    match admitted {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut response = ApiFailure::new(
                RelayErrorCode::RateLimited,
                "too many requests; retry later",
            )
            .into_response();
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
    }
}

/// The per-client limit on escrow OPRF evaluations (`oprf_client_per_hour`), on top of the
/// anonymous limits: how fast one client can test recruiter names (PROTOCOL.md 18.3).
async fn oprf_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let admitted = match client_address(&state, &request) {
        Some(ip) => state.limits.oprf_clients.try_acquire(ip),
        None => Ok(()),
    };
    match admitted {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut response = ApiFailure::new(
                RelayErrorCode::RateLimited,
                "too many escrow OPRF requests from this client; retry later",
            )
            .into_response();
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
    }
}

/// A running relay.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    metrics_listener: Option<(TcpListener, SocketAddr)>,
    state: AppState,
    relay_key: SigningKey,
    tls: Option<Arc<Tls>>,
    /// The shared lock on the data directory (`files::lock_for_serving`), held while serving.
    data_dir_lock: Option<files::DataDirLock>,
}

impl Application {
    /// Open the database (migrating it), load or create the relay key and bind the listener.
    /// The data directory is locked first, shared: a restore running on it refuses to start,
    /// and this refuses while one runs.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let lock = files::lock_for_serving(&settings.data_dir)?;
        let storage = open_storage(&settings).await?;
        let relay_key = relay_key(&settings)?;
        let mut app = Self::build_with(settings, storage, relay_key).await?;
        app.data_dir_lock = Some(lock);
        Ok(app)
    }

    /// Like [`Application::build`] over an already opened database and key.
    pub async fn build_with(
        settings: Settings,
        storage: Storage,
        relay_key: SigningKey,
    ) -> Result<Application, StartupError> {
        let listener = TcpListener::bind(&settings.listen)
            .await
            .map_err(|e| StartupError::Bind(settings.listen.clone(), e))?;
        let address = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(settings.listen.clone(), e))?;
        let tls = Tls::from_settings(&settings)?.map(Arc::new);
        if tls.is_none() && !address.ip().is_loopback() {
            if !settings.behind_proxy {
                return Err(StartupError::PlainHttpOnPublicAddress(
                    settings.listen.clone(),
                ));
            }
            tracing::warn!(
                "plain HTTP on a non-loopback address (behind_proxy): the proxy in front must \
                 terminate TLS and must not log URL paths"
            );
        }
        let metrics_listener = match &settings.metrics_listen {
            None => None,
            Some(at) => {
                let loopback = at.parse::<SocketAddr>().is_ok_and(|a| a.ip().is_loopback());
                if !loopback {
                    return Err(StartupError::MetricsNotLoopback(at.clone()));
                }
                let l = TcpListener::bind(at)
                    .await
                    .map_err(|e| StartupError::Bind(at.clone(), e))?;
                let a = l
                    .local_addr()
                    .map_err(|e| StartupError::Bind(at.clone(), e))?;
                Some((l, a))
            }
        };
        let state = AppState::new(storage, settings);
        state.set_escrow_secret(relay_key.seed());
        oblivious::load_and_record(&state, unix_now()).await?;
        Ok(Application {
            listener,
            address,
            metrics_listener,
            state,
            relay_key,
            tls,
            data_dir_lock: None,
        })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `https` when the listener speaks TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The operator's metrics listener, when `metrics_listen` is set.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().map(|(_, a)| *a)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until Ctrl-C or SIGTERM, then finish in-flight requests.
    pub async fn run_until_stopped(self) -> Result<(), StartupError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serve until `stop` completes, then finish in-flight requests and stop the maintenance
    /// task.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        // Released when serving ends.
        let _data_dir_lock = self.data_dir_lock;
        let (stop_tx, stop_rx) = watch::channel(false);
        let maintenance = tokio::spawn(maintain(
            self.state.clone(),
            self.relay_key,
            stop_rx.clone(),
        ));
        let router = app(self.state.clone());
        let header_timeout =
            Duration::from_secs(self.state.settings.header_read_timeout_secs.max(1));
        let metrics = self.metrics_listener.map(|(listener, _)| {
            let mut stopped = stop_rx;
            let router = metrics_app(self.state.clone());
            tokio::spawn(serve(listener, router, None, header_timeout, async move {
                let _ = stopped.changed().await;
            }))
        });
        let tls_task = self.tls.clone().map(|tls| {
            let every = Duration::from_secs(self.state.settings.tls_reload_check_secs.max(1));
            let stopped = stop_tx.subscribe();
            tokio::spawn(async move { tls.maintain(every, stopped).await })
        });
        let hangup = tokio::spawn(reload_on_hangup(self.tls.clone(), stop_tx.subscribe()));
        serve(self.listener, router, self.tls, header_timeout, stop).await;
        let _ = stop_tx.send(true);
        let _ = maintenance.await;
        if let Some(task) = tls_task {
            let _ = task.await;
        }
        let _ = hangup.await;
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        tracing::info!("relay stopped");
        Ok(())
    }
}

/// Accept connections and serve HTTP/1.1 on each until `stop`, then let in-flight requests
/// finish. Unlike `axum::serve`, every connection has a header read timeout: one that opens
/// and sends nothing, or dribbles its headers, or idles between requests, is closed after
/// `header_timeout` instead of holding a file descriptor forever. The peer's address goes
/// into each request as [`ClientAddress`], for the per-client limit only. With `tls`, each
/// connection first completes a TLS handshake, within the same timeout.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<Tls>>,
    header_timeout: Duration,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt as _;

    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer.ip()),
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let (stream, peer) = stream;
        let service = TowerToHyperService::new(router.clone().map_request(
            move |req: axum::http::Request<hyper::body::Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut().insert(ClientAddress(peer));
                req
            },
        ));
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let ended = match tls {
                None => {
                    watcher
                        .watch(builder.serve_connection(TokioIo::new(stream), service))
                        .await
                }
                Some(tls) => match tokio::time::timeout(header_timeout, tls.accept(stream)).await {
                    Ok(Ok(Some(stream))) => {
                        watcher
                            .watch(builder.serve_connection(TokioIo::new(stream), service))
                            .await
                    }
                    Ok(Ok(None)) => Ok(()),
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        Ok(())
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake timed out");
                        Ok(())
                    }
                },
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// SIGHUP reloads the TLS certificate files (`systemctl reload`); it never stops the relay.
pub(crate) async fn reload_on_hangup(tls: Option<Arc<Tls>>, mut stop: watch::Receiver<bool>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangup) = signal(SignalKind::hangup()) else {
        return;
    };
    loop {
        tokio::select! {
            _ = hangup.recv() => match &tls {
                Some(tls) => tls.reload(),
                None => tracing::info!("SIGHUP: nothing to reload (tls = \"off\")"),
            },
            _ = stop.changed() => return,
        }
    }
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// One pass of the periodic work: retention at `now`, and republishing the directory when it
/// expires within the configured margin.
pub async fn maintenance_pass(state: &AppState, relay_key: &SigningKey, now: u64) {
    let s = &state.settings;
    // Escrow submissions of epochs before the previous one can no longer be joined.
    let oldest_live_epoch = state.escrow_epoch(now).saturating_sub(1);
    match state.storage.purge_escrow(oldest_live_epoch).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(escrow_submissions = n, "escrow retention"),
        Err(e) => tracing::warn!(error = %e, "escrow retention pass failed"),
    }
    match state.storage.purge(now, &s.retention()).await {
        Ok(c) if c != PurgeCounts::default() => {
            tracing::info!(
                reports = c.reports,
                records = c.records,
                mailboxes = c.mailboxes,
                "retention"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "retention pass failed"),
    }
    match state.storage.latest_directory().await {
        Ok(Some(d)) if d.expires_at <= now.saturating_add(s.republish_margin_secs) => {
            let options = PublishOptions {
                now,
                ttl_secs: s.directory_ttl_secs,
                pow_difficulty: s.pow_difficulty,
            };
            match admin::publish_directory(&state.storage, relay_key, options).await {
                Ok(l) => tracing::info!(version = l.version, "directory republished"),
                Err(e) => tracing::warn!(error = %e, "directory republication failed"),
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the directory"),
    }
    match oblivious::maintain(state, relay_key, now).await {
        Ok(Some(version)) => tracing::info!(version, "directory published with the gateway keys"),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "gateway key maintenance failed"),
    }
}

async fn maintain(state: AppState, relay_key: SigningKey, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(state.settings.maintenance_interval_secs.max(1));
    loop {
        maintenance_pass(&state, &relay_key, unix_now()).await;
        tokio::select! {
            _ = tokio::time::sleep(every) => {},
            _ = stop.changed() => return,
        }
    }
}
