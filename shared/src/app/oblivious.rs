//! The way to the relay: directly, or through an OHTTP relay run by another party
//! (`PROTOCOL.md` 14.8, "The client" and "The phone's route").
//!
//! Every request the sync engine and the courier make to the relay goes through [`send`]. When
//! the verified directory lists the relay's gateway keys and at least one OHTTP relay, the
//! request the phone would send directly is padded and encapsulated to the first listed key
//! ([`workvoice_proto::oblivious::encapsulate`]), the shell POSTs the opaque bytes to an OHTTP
//! relay like any other request, and the answer is opened here: the engines get the inner
//! answer as if it had come directly, and the shell learns nothing new.
//!
//! - The OHTTP relays are tried in the listed order (a deployment's `AppConfig::ohttp_relay`
//!   first); one that does not answer, or answers anything but an Encapsulated Response, moves
//!   the next request to the next one. When every one has failed since the round began, the
//!   worker's setting decides ([`TransportRecord::send_directly`]): wait (the default; the
//!   request is not made and the worker sees a notice) or send directly.
//! - Only a directory fetch is ever made directly otherwise: when no gateway key is known yet
//!   (the first run) or the gateway refused the phone's key (`ohttp_key_unknown`: it was
//!   retired), since only a fresh directory names the new one. A directory fetch carries
//!   nothing of the worker.
//! - A deployment whose directory lists no OHTTP relay is reached directly.
//!
//! What this module knows survives the lock: it is kept in the courier store
//! ([`TRANSPORT_KEY`]), which opens without the PIN, so that a locked phone, or one restarted
//! locked, keeps to the same way.

use crux_core::Command;
use serde::{Deserialize, Serialize};
use workvoice_proto::api::RelayErrorCode;
use workvoice_proto::oblivious::{
    GatewayKeyConfig, InnerRequest, ObliviousGateway, PendingAnswer, encapsulate,
};

use super::records::NS_COURIER;
use super::{
    Cmd, HttpFailure, HttpFailureKind, HttpMethod, HttpRequest, HttpResponse, HttpResult, Internal,
    Msg, Phone, VaultOperation, VaultWrite,
};
use crate::i18n::K;

/// The courier-store key of the [`TransportRecord`] (namespace [`NS_COURIER`]).
pub const TRANSPORT_KEY: &str = "transport";
/// The media types of RFC 9458.
pub const REQUEST_MEDIA_TYPE: &str = "message/ohttp-req";
pub const RESPONSE_MEDIA_TYPE: &str = "message/ohttp-res";

/// What the phone keeps about its way to the relay, in the courier store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportRecord {
    /// The `oblivious` member of the last verified directory: gateway keys and OHTTP relays.
    #[serde(default)]
    pub gateway: Option<ObliviousGateway>,
    /// The worker's setting for when no OHTTP relay answers: `false` (the default) waits,
    /// `true` sends directly.
    #[serde(default)]
    pub send_directly: bool,
    /// An OHTTP relay the worker named (`https://`), tried before all others.
    #[serde(default)]
    pub own_relay: Option<String>,
}

/// The way, in memory.
#[derive(Debug, Default)]
pub struct TransportState {
    pub record: TransportRecord,
    /// OHTTP relays that failed since the round began or the last answer: the next request
    /// goes to the next listed one.
    pub failures: usize,
    /// The gateway refused the key the phone used (`ohttp_key_unknown`).
    pub key_refused: bool,
    /// No way was open and the worker's setting said wait.
    pub waiting: bool,
}

/// How one request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Way {
    Direct,
    Through {
        relay: String,
        config: GatewayKeyConfig,
    },
    /// Not made: every OHTTP relay failed (or the key was refused) and the worker waits.
    Wait,
}

/// What an answer says about the way, noted before the engine sees the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Direct,
    /// The OHTTP relay and the gateway answered, and the answer opened.
    Answered,
    /// The OHTTP relay did not answer, or answered something that is not this request's
    /// Encapsulated Response.
    RelayFailed,
    /// The gateway does not accept the key configuration any more.
    KeyRefused,
    Waited,
}

impl TransportState {
    /// The OHTTP relays to try, in order: the worker's own, the deployment's
    /// (`override_url`), then the listed ones.
    fn relays(&self, override_url: Option<&str>) -> Vec<String> {
        let mut relays: Vec<String> = Vec::new();
        let named = [self.record.own_relay.as_deref(), override_url];
        let listed = self.record.gateway.iter().flat_map(|g| g.relays.iter());
        for relay in named
            .into_iter()
            .flatten()
            .chain(listed.map(String::as_str))
        {
            if workvoice_proto::oblivious::relay_url_allowed(relay)
                && !relays.iter().any(|r| r == relay)
            {
                relays.push(relay.to_string());
            }
        }
        relays
    }

    /// How the next request goes; `directory` for a fetch of the directory.
    pub fn way(&self, override_url: Option<&str>, directory: bool) -> Way {
        let config = self
            .record
            .gateway
            .as_ref()
            .and_then(ObliviousGateway::current);
        let relays = self.relays(override_url);
        let Some(config) = config.filter(|_| !relays.is_empty()) else {
            // No gateway key verified yet (the first run), or a deployment without OHTTP.
            return Way::Direct;
        };
        if self.key_refused && directory {
            return Way::Direct;
        }
        if !self.key_refused && self.failures < relays.len() {
            return Way::Through {
                relay: relays[self.failures].clone(),
                config,
            };
        }
        if self.record.send_directly {
            Way::Direct
        } else {
            Way::Wait
        }
    }

    /// A round begins: every OHTTP relay gets another try.
    pub fn new_round(&mut self) {
        self.failures = 0;
    }
}

/// Send `request` (a URL under the relay's) the way [`TransportState::way`] says; `then` gets
/// the answer of the relay's route, whichever way it went. A request an OHTTP relay failed is
/// sent again at once the next way, when there is one: through the next listed OHTTP relay, or
/// directly if the worker chose that; otherwise `then` gets the failure.
pub(crate) fn send<F>(phone: &mut Phone, request: HttpRequest, then: F) -> Cmd
where
    F: Fn(HttpResult) -> Internal + Clone + Send + 'static,
{
    let base = phone.config.relay_url.trim_end_matches('/').to_string();
    let path = request
        .url
        .strip_prefix(&base)
        .filter(|p| p.starts_with('/'))
        .map(str::to_string);
    let directory = path.as_deref() == Some("/v1/directory");
    let way = match path {
        Some(_) => phone
            .transport
            .way(phone.config.ohttp_relay.as_deref(), directory),
        None => Way::Direct,
    };
    match way {
        Way::Direct => Command::request_from_shell(request)
            .then_send(move |result| routed(Outcome::Direct, then(result), None)),
        Way::Wait => {
            let result = HttpResult::Failed(HttpFailure {
                kind: HttpFailureKind::Connection,
                message: "no OHTTP relay answered; the worker's setting waits".into(),
            });
            Command::event(routed(Outcome::Waited, then(result), None))
        }
        Way::Through { relay, config } => {
            let path = path.unwrap_or_default();
            let headers: Vec<(&str, &str)> = request
                .headers
                .iter()
                .map(|h| (h.name.as_str(), h.value.as_str()))
                .collect();
            let inner = InnerRequest {
                method: match request.method {
                    HttpMethod::Get => "GET",
                    HttpMethod::Post => "POST",
                    HttpMethod::Put => "PUT",
                },
                path: &path,
                headers: &headers,
                body: &request.body,
            };
            match encapsulate(&config, &inner) {
                Ok((sealed, pending)) => {
                    let outer = HttpRequest {
                        method: HttpMethod::Post,
                        url: relay,
                        headers: Vec::new(),
                        body: sealed,
                        timeout_ms: request.timeout_ms,
                    }
                    .with_header("content-type", REQUEST_MEDIA_TYPE.into());
                    Command::request_from_shell(outer).then_send(move |result| {
                        let (outcome, inner) = open(pending, result);
                        let again = then.clone();
                        let retry = matches!(outcome, Outcome::RelayFailed | Outcome::KeyRefused)
                            .then(|| Retry {
                                directory,
                                send: Box::new(move |phone: &mut Phone| {
                                    send(phone, request, again)
                                }),
                            });
                        routed(outcome, then(inner), retry)
                    })
                }
                // Larger than the largest padded size: the relay would refuse it directly too.
                Err(e) => {
                    let result = HttpResult::Failed(HttpFailure {
                        kind: HttpFailureKind::Other,
                        message: e.to_string(),
                    });
                    Command::event(routed(Outcome::Waited, then(result), None))
                }
            }
        }
    }
}

/// The same request, to be sent again the next way.
pub struct Retry {
    directory: bool,
    send: Box<dyn FnOnce(&mut Phone) -> Cmd + Send>,
}

impl std::fmt::Debug for Retry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retry")
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

/// An answer came back: note what it says about the way, then send the request again the
/// next way, or give the answer to its engine.
pub(crate) fn answered(
    phone: &mut Phone,
    outcome: Outcome,
    retry: Option<Retry>,
) -> Result<Cmd, ()> {
    note(phone, outcome);
    match retry {
        Some(retry)
            if phone
                .transport
                .way(phone.config.ohttp_relay.as_deref(), retry.directory)
                != Way::Wait =>
        {
            Ok((retry.send)(phone))
        }
        _ => Err(()),
    }
}

fn routed(outcome: Outcome, then: Internal, retry: Option<Retry>) -> Msg {
    Msg::Internal(Internal::Routed {
        outcome,
        then: Box::new(then),
        retry,
    })
}

/// The inner answer to an encapsulated request, and what it says about the way. An outer
/// answer that is not this request's Encapsulated Response is no answer at all: the request
/// was not served (every worker route is idempotent, so it is simply tried again).
fn open(pending: PendingAnswer, result: HttpResult) -> (Outcome, HttpResult) {
    let no_answer = |message: String| {
        HttpResult::Failed(HttpFailure {
            kind: HttpFailureKind::Connection,
            message,
        })
    };
    match result {
        HttpResult::Response(outer) if outer.status == 200 => match pending.open(&outer.body) {
            Ok(inner) => (
                Outcome::Answered,
                HttpResult::Response(HttpResponse {
                    status: inner.status,
                    body: inner.body,
                }),
            ),
            Err(e) => (Outcome::RelayFailed, no_answer(e.to_string())),
        },
        HttpResult::Response(outer) => {
            let code = serde_json::from_slice::<serde_json::Value>(&outer.body)
                .ok()
                .and_then(|v| v.get("error")?.as_str().map(str::to_string));
            let outcome = if code.as_deref() == Some(RelayErrorCode::OhttpKeyUnknown.as_str()) {
                Outcome::KeyRefused
            } else {
                Outcome::RelayFailed
            };
            let message = format!("the OHTTP relay answered {}", outer.status);
            (outcome, no_answer(message))
        }
        failed @ HttpResult::Failed(_) => (Outcome::RelayFailed, failed),
    }
}

/// Note what an answer said about the way. When no way is left but waiting, the worker is
/// told (a notice, once until an OHTTP relay answers again).
fn note(phone: &mut Phone, outcome: Outcome) {
    let state = &mut phone.transport;
    match outcome {
        Outcome::Direct | Outcome::Waited => {}
        Outcome::Answered => {
            state.failures = 0;
            state.waiting = false;
        }
        Outcome::RelayFailed => state.failures = state.failures.saturating_add(1),
        Outcome::KeyRefused => state.key_refused = true,
    }
    let stuck = phone
        .transport
        .way(phone.config.ohttp_relay.as_deref(), false)
        == Way::Wait;
    if stuck && outcome != Outcome::Answered && !phone.transport.waiting {
        phone.transport.waiting = true;
        phone.notice(K::PrivateRouteWaiting, false);
    }
}

/// The verified directory's `oblivious` member: kept, and written to the courier store when
/// it changed. A verified directory also ends a refusal of the key.
pub(crate) fn remember(phone: &mut Phone, gateway: Option<ObliviousGateway>) -> Cmd {
    phone.transport.key_refused = false;
    if phone.transport.record.gateway == gateway {
        return Command::done();
    }
    phone.transport.record.gateway = gateway;
    phone.transport.failures = 0;
    save(phone)
}

/// The worker's setting.
pub(crate) fn set_send_directly(phone: &mut Phone, send_directly: bool) -> Cmd {
    if phone.transport.record.send_directly == send_directly {
        return Command::done();
    }
    phone.transport.record.send_directly = send_directly;
    if send_directly {
        phone.transport.waiting = false;
    }
    save(phone)
}

/// The worker's own OHTTP relay (`None` forgets it); the caller checked it.
pub(crate) fn set_own_relay(phone: &mut Phone, relay: Option<String>) -> Cmd {
    if phone.transport.record.own_relay == relay {
        return Command::done();
    }
    phone.transport.record.own_relay = relay;
    phone.transport.failures = 0;
    save(phone)
}

/// The record, from the courier store's entries (at start, locked).
pub(crate) fn load(phone: &mut Phone, entries: &[(String, Vec<u8>)]) {
    if let Some(record) = entries
        .iter()
        .find(|(k, _)| k == TRANSPORT_KEY)
        .and_then(|(_, v)| serde_json::from_slice::<TransportRecord>(v).ok())
    {
        phone.transport.record = record;
    }
}

fn save(phone: &Phone) -> Cmd {
    let op = VaultOperation::CourierWrite {
        ops: vec![VaultWrite::Put {
            ns: NS_COURIER.into(),
            key: TRANSPORT_KEY.into(),
            value: serde_json::to_vec(&phone.transport.record).unwrap_or_default(),
        }],
    };
    Command::request_from_shell(op).then_send(|out| Msg::Internal(Internal::Saved(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use workvoice_proto::oblivious::GatewayKeyConfig;

    fn gateway(relays: &[&str]) -> ObliviousGateway {
        let config = GatewayKeyConfig {
            key_id: 1,
            public_key: [7; 32],
        };
        ObliviousGateway {
            key_configs: vec![hex::encode(config.encode())],
            relays: relays.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn state(relays: &[&str], send_directly: bool) -> TransportState {
        TransportState {
            record: TransportRecord {
                gateway: Some(gateway(relays)),
                send_directly,
                own_relay: None,
            },
            ..TransportState::default()
        }
    }

    fn relay_of(way: Way) -> Option<String> {
        match way {
            Way::Through { relay, .. } => Some(relay),
            _ => None,
        }
    }

    #[test]
    fn without_a_verified_gateway_or_a_listed_relay_the_way_is_direct() {
        assert_eq!(TransportState::default().way(None, false), Way::Direct);
        assert_eq!(state(&[], false).way(None, false), Way::Direct);
    }

    #[test]
    fn the_relays_are_tried_in_order_then_the_setting_decides() {
        let (a, b) = ("https://a.example/", "https://b.example/");
        for send_directly in [false, true] {
            let mut s = state(&[a, b], send_directly);
            assert_eq!(relay_of(s.way(None, false)).as_deref(), Some(a));
            s.failures = 1;
            assert_eq!(relay_of(s.way(None, true)).as_deref(), Some(b));
            s.failures = 2;
            let last = s.way(None, false);
            assert_eq!(
                last,
                if send_directly {
                    Way::Direct
                } else {
                    Way::Wait
                }
            );
            // The directory too waits: it is fetched directly only without a usable key.
            assert_eq!(s.way(None, true), last);
            s.new_round();
            assert_eq!(relay_of(s.way(None, false)).as_deref(), Some(a));
        }
    }

    #[test]
    fn the_deployments_relay_comes_first_and_a_bad_one_is_ignored() {
        let s = state(&["https://a.example/"], false);
        let way = s.way(Some("https://partner.example/ohttp"), false);
        assert_eq!(
            relay_of(way).as_deref(),
            Some("https://partner.example/ohttp")
        );
        let way = s.way(Some("http://partner.example/ohttp"), false);
        assert_eq!(relay_of(way).as_deref(), Some("https://a.example/"));
    }

    #[test]
    fn the_workers_relay_comes_before_the_deployments() {
        let mut s = state(&["https://a.example/"], false);
        s.record.own_relay = Some("https://mine.example/".into());
        let way = s.way(Some("https://partner.example/ohttp"), false);
        assert_eq!(relay_of(way).as_deref(), Some("https://mine.example/"));
        s.failures = 1;
        let way = s.way(Some("https://partner.example/ohttp"), false);
        assert_eq!(
            relay_of(way).as_deref(),
            Some("https://partner.example/ohttp")
        );
        s.failures = 2;
        assert_eq!(
            relay_of(s.way(Some("https://partner.example/ohttp"), false)).as_deref(),
            Some("https://a.example/")
        );
    }

    #[test]
    fn a_refused_key_sends_only_the_directory_directly() {
        let mut s = state(&["https://a.example/"], false);
        s.key_refused = true;
        assert_eq!(s.way(None, true), Way::Direct);
        assert_eq!(s.way(None, false), Way::Wait);
        s.record.send_directly = true;
        assert_eq!(s.way(None, false), Way::Direct);
    }
}
