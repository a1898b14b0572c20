//! The two SMS gateway formats, each as its published documentation describes it.
//!
//! - **SMS Gateway for Android** (capcom6/android-sms-gateway, docs at docs.sms-gate.app):
//!   the phone POSTs a JSON webhook per event; `sms:received` carries
//!   `payload.{messageId, message, phoneNumber, simNumber, receivedAt}`. Requests are signed:
//!   `X-Signature` is the hex HMAC-SHA256, under the signing key set in the app, of the raw body
//!   followed by the `X-Timestamp` value (unix seconds). Sending is `POST /message` on the
//!   phone's local server (basic auth) with `{"textMessage": {"text"}, "phoneNumbers": [..]}`.
//! - **Jasmin** (jookies/jasmin, "ja-http"): an SMS-MO is thrown to the configured URL by GET or
//!   POST with `id`, `from`, `to`, `origin-connector`, optional `priority`, `coding`,
//!   `validity`, and `content`; the receiver must answer 200 with exactly `ACK/Jasmin` or the
//!   message is thrown again. Jasmin signs nothing: the URL carries a shared secret
//!   (`?secret=`), compared in constant time. Sending is `/send` with `username`, `password`,
//!   `to`, `content` and `coding` (0 for GSM-7, 8 for UCS-2).

use std::collections::HashMap;

use ring::hmac;
use serde::Deserialize;

use crate::segments::{Encoding, encoding};

/// An inbound SMS, whatever gateway brought it.
#[derive(Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The gateway's id of the event or message (for refusing replays).
    pub event_id: String,
    /// The sender's number. Never logged or stored in clear.
    pub from: String,
    pub text: String,
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbound").finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("the webhook carries no signature")]
    Unsigned,
    #[error("the webhook signature does not match")]
    BadSignature,
    #[error("the webhook timestamp is too far from now")]
    Stale,
    #[error("the shared secret is missing or wrong")]
    BadSecret,
    #[error("the webhook is not an incoming SMS: {0}")]
    Malformed(String),
    /// Another event than `sms:received` (acknowledged, ignored).
    #[error("event {0} is not handled")]
    OtherEvent(String),
}

impl InboundError {
    pub fn code(&self) -> &'static str {
        match self {
            InboundError::Unsigned => "unsigned",
            InboundError::BadSignature => "bad_signature",
            InboundError::Stale => "stale_timestamp",
            InboundError::BadSecret => "bad_secret",
            InboundError::Malformed(_) => "malformed",
            InboundError::OtherEvent(_) => "other_event",
        }
    }
}

/// How far an Android webhook's timestamp may be from now (the documentation's ±5 minutes).
pub const MAX_SKEW_SECS: u64 = 300;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AndroidWebhook {
    event: String,
    id: String,
    payload: Option<AndroidPayload>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AndroidPayload {
    message: String,
    phone_number: String,
}

/// The hex HMAC-SHA256 the Android app puts in `X-Signature` for `body` sent at `timestamp`.
pub fn android_signature(key: &[u8], body: &[u8], timestamp: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(body);
    ctx.update(timestamp.as_bytes());
    hex::encode(ctx.sign().as_ref())
}

/// Check and read an Android webhook: signature (constant time), timestamp within
/// [`MAX_SKEW_SECS`] of `now`, then the `sms:received` payload.
pub fn android_inbound(
    key: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: u64,
) -> Result<Inbound, InboundError> {
    let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
        return Err(InboundError::Unsigned);
    };
    let tag = hex::decode(signature.trim()).map_err(|_| InboundError::BadSignature)?;
    let mut message = body.to_vec();
    message.extend_from_slice(timestamp.as_bytes());
    // `ring::hmac::verify` compares in constant time.
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, key), &message, &tag)
        .map_err(|_| InboundError::BadSignature)?;
    let sent: u64 = timestamp.trim().parse().map_err(|_| InboundError::Stale)?;
    if sent.abs_diff(now) > MAX_SKEW_SECS {
        return Err(InboundError::Stale);
    }
    let hook: AndroidWebhook =
        serde_json::from_slice(body).map_err(|e| InboundError::Malformed(e.to_string()))?;
    if hook.event != "sms:received" {
        return Err(InboundError::OtherEvent(hook.event));
    }
    let payload = hook
        .payload
        .ok_or_else(|| InboundError::Malformed("no payload".into()))?;
    Ok(Inbound {
        event_id: hook.id,
        from: payload.phone_number,
        text: payload.message,
    })
}

/// Read a Jasmin SMS-MO (its form or query parameters), after checking the shared secret
/// given in the URL in constant time.
pub fn jasmin_inbound(
    secret: &[u8],
    given_secret: Option<&str>,
    params: &HashMap<String, String>,
) -> Result<Inbound, InboundError> {
    let given = given_secret.ok_or(InboundError::BadSecret)?;
    if !constant_time_eq(secret, given.as_bytes()) {
        return Err(InboundError::BadSecret);
    }
    let field = |name: &str| {
        params
            .get(name)
            .cloned()
            .ok_or_else(|| InboundError::Malformed(format!("no {name}")))
    };
    Ok(Inbound {
        event_id: field("id")?,
        from: field("from")?,
        text: field("content")?,
    })
}

/// What Jasmin must read back to stop throwing the message again.
pub const JASMIN_ACK: &str = "ACK/Jasmin";

/// Equal lengths and contents, in time independent of where they differ. Keyed HMACs of both
/// sides make it independent of the length too.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"workvoice-sms secret comparison");
    let tag = hmac::sign(&key, a);
    hmac::verify(&key, b, tag.as_ref()).is_ok()
}

/// Where and how to send SMS.
#[derive(Clone)]
pub enum Outbound {
    /// `POST {base_url}/message`, basic auth.
    Android {
        base_url: String,
        username: String,
        password: String,
    },
    /// `POST {base_url}/send`, form parameters.
    Jasmin {
        base_url: String,
        username: String,
        password: String,
    },
    /// No gateway: each text is appended to this list as (to, text). For the demo, which
    /// shows a scripted conversation in the terminal.
    Transcript(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>),
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outbound::Android { base_url, .. } => write!(f, "Android({base_url})"),
            Outbound::Jasmin { base_url, .. } => write!(f, "Jasmin({base_url})"),
            Outbound::Transcript(_) => f.write_str("Transcript"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the gateway did not take the SMS: {0}")]
pub struct SendError(pub String);

impl Outbound {
    /// Send `text` to `to`. Neither appears in the error.
    pub fn send(&self, agent: &ureq::Agent, to: &str, text: &str) -> Result<(), SendError> {
        let result = match self {
            Outbound::Transcript(texts) => {
                return match texts.lock() {
                    Ok(mut t) => {
                        t.push((to.to_string(), text.to_string()));
                        Ok(())
                    }
                    Err(_) => Err(SendError("the transcript is poisoned".into())),
                };
            }
            Outbound::Android {
                base_url,
                username,
                password,
            } => {
                use base64::Engine;
                let body = serde_json::json!({
                    "textMessage": { "text": text },
                    "phoneNumbers": [to],
                });
                let auth = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                agent
                    .post(&format!("{}/message", base_url.trim_end_matches('/')))
                    .header("authorization", &format!("Basic {auth}"))
                    .header("content-type", "application/json")
                    .send(body.to_string().as_bytes())
            }
            Outbound::Jasmin {
                base_url,
                username,
                password,
            } => {
                let coding = match encoding(text) {
                    Encoding::Gsm7 => "0",
                    Encoding::Ucs2 => "8",
                };
                agent
                    .post(&format!("{}/send", base_url.trim_end_matches('/')))
                    .send_form([
                        ("username", username.as_str()),
                        ("password", password.as_str()),
                        ("to", to),
                        ("content", text),
                        ("coding", coding),
                    ])
            }
        };
        match result {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(SendError(format!("status {}", response.status()))),
            Err(e) => Err(SendError(e.to_string())),
        }
    }
}
