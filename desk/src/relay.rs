//! The relay's organisation API, as a small typed client (`proto::api` bodies).
//!
//! Errors keep the relay's stable code (`{"error","message"}`) so callers can tell a refusal
//! from a network failure.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use workvoice_proto::api::{
    ApiError, EscrowGroupPage, EscrowPendingTotal, EscrowReportRegistration, InboxPage,
    OrgOprfAnswers, OrgOprfQueue, PostReply, Referral, StatusChange, WithdrawalPage,
};
use workvoice_proto::attachment::{AttachmentError, AttachmentOpener};
use workvoice_proto::keys::ReportId;
use workvoice_proto::report::AttachmentRef;
use zeroize::Zeroizing;

use crate::error::{DeskError, Result};

/// The environment variable naming a PEM file of CA certificates. When it is set, the relay's
/// certificate must chain to one of them, and the platform's roots are not used: for a relay
/// whose certificate comes from a private CA, or from a test CA (the operating guide's test).
pub const CA_FILE_ENV: &str = "WORKVOICE_CA_FILE";

/// The CA certificates of a PEM file, as the only roots the desk trusts.
///
/// # Errors
/// [`DeskError::CaFile`] when the file cannot be read, is not PEM, or holds no certificate.
pub fn trust_roots(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let fail = |reason: String| DeskError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| fail(format!("it is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(fail(
            "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

#[derive(Clone)]
pub struct RelayClient {
    base: String,
    token: std::sync::Arc<Zeroizing<String>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl RelayClient {
    pub fn new(base_url: &str, token: Zeroizing<String>) -> Result<Self> {
        // reqwest is built without a bundled crypto provider: use ring, as the rest of Workvoice.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent("workvoice-desk");
        if let Some(path) = std::env::var_os(CA_FILE_ENV) {
            http = http.tls_certs_only(trust_roots(std::path::Path::new(&path))?);
        }
        let http = http
            .build()
            .map_err(|e| DeskError::RelayUnreachable(e.to_string()))?;
        Ok(Self {
            base: base_url.trim_end_matches('/').to_string(),
            token: std::sync::Arc::new(token),
            http,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.header(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", self.token.as_str()),
        )
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>> {
        let response = req
            .send()
            .await
            .map_err(|e| DeskError::RelayUnreachable(without_url(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| DeskError::RelayUnreachable(without_url(&e)))?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        Err(refusal(status, &body))
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let body = self.send(self.auth(self.http.get(self.url(path)))).await?;
        serde_json::from_slice(&body).map_err(|e| DeskError::RelayProtocol(e.to_string()))
    }

    async fn post_json<B: Serialize>(&self, path: &str, body: &B) -> Result<Vec<u8>> {
        let bytes =
            serde_json::to_vec(body).map_err(|e| DeskError::RelayProtocol(e.to_string()))?;
        self.send(
            self.auth(self.http.post(self.url(path)))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes),
        )
        .await
    }

    /// The served directory, as raw bytes for `proto::directory::verify_directory`.
    pub async fn directory(&self) -> Result<Vec<u8>> {
        self.send(self.http.get(self.url("/v1/directory"))).await
    }

    pub async fn inbox(&self, after: Option<&str>, limit: u32) -> Result<InboxPage> {
        let path = match after {
            Some(cursor) => format!(
                "/v1/org/inbox?after={}&limit={limit}",
                percent_encode(cursor)
            ),
            None => format!("/v1/org/inbox?limit={limit}"),
        };
        self.get_json(&path).await
    }

    pub async fn acknowledge(&self, report_id: &ReportId) -> Result<()> {
        self.send(
            self.auth(
                self.http
                    .post(self.url(&format!("/v1/org/inbox/{report_id}/ack"))),
            ),
        )
        .await?;
        Ok(())
    }

    /// The withdrawals waiting for this organisation (`PROTOCOL.md` 13.5).
    pub async fn withdrawals(&self) -> Result<WithdrawalPage> {
        self.get_json("/v1/org/withdrawals").await
    }

    pub async fn acknowledge_withdrawal(&self, report_id: &ReportId) -> Result<()> {
        self.send(
            self.auth(
                self.http
                    .post(self.url(&format!("/v1/org/withdrawals/{report_id}/ack"))),
            ),
        )
        .await?;
        Ok(())
    }

    /// Released escrow groups not acknowledged yet (`PROTOCOL.md` 18.8).
    pub async fn escrow_groups(&self) -> Result<EscrowGroupPage> {
        self.get_json("/v1/org/escrow").await
    }

    /// The organisation's unreleased escrow submissions, one total.
    pub async fn escrow_pending(&self) -> Result<EscrowPendingTotal> {
        self.get_json("/v1/org/escrow/pending").await
    }

    /// The OPRF requests the relay queued for this organisation's step (`PROTOCOL.md` 18.3).
    pub async fn escrow_oprf_queue(&self) -> Result<OrgOprfQueue> {
        self.get_json("/v1/org/escrow/oprf").await
    }

    /// This organisation's evaluations and refusals of queued OPRF requests.
    pub async fn answer_escrow_oprf(&self, answers: &OrgOprfAnswers) -> Result<()> {
        self.post_json("/v1/org/escrow/oprf/answers", answers)
            .await?;
        Ok(())
    }

    /// Register the reply channel of a report opened from a released escrow submission
    /// (`PROTOCOL.md` 18.8).
    pub async fn register_escrow_report(&self, body: &EscrowReportRegistration) -> Result<()> {
        self.post_json("/v1/org/escrow/reports", body).await?;
        Ok(())
    }

    /// Register invite hashes for this organisation (`PROTOCOL.md` 18.12); how many were new.
    pub async fn register_escrow_invites(
        &self,
        body: &workvoice_proto::api::EscrowInviteHashes,
    ) -> Result<workvoice_proto::api::EscrowInviteCount> {
        let answer = self.post_json("/v1/org/escrow/invites", body).await?;
        serde_json::from_slice(&answer).map_err(|e| DeskError::RelayProtocol(e.to_string()))
    }

    /// Revoke invite hashes of this organisation (`PROTOCOL.md` 18.12); how many were held.
    pub async fn revoke_escrow_invites(
        &self,
        body: &workvoice_proto::api::EscrowInviteHashes,
    ) -> Result<workvoice_proto::api::EscrowInviteCount> {
        let answer = self
            .post_json("/v1/org/escrow/invites/revoke", body)
            .await?;
        serde_json::from_slice(&answer).map_err(|e| DeskError::RelayProtocol(e.to_string()))
    }

    /// Tell the relay a released group's submissions are stored here (`tag` in hex).
    pub async fn acknowledge_escrow_group(&self, tag: &str) -> Result<()> {
        self.send(
            self.auth(
                self.http
                    .post(self.url(&format!("/v1/org/escrow/{tag}/ack"))),
            ),
        )
        .await?;
        Ok(())
    }

    pub async fn set_status(&self, report_id: &ReportId, change: &StatusChange) -> Result<()> {
        self.post_json(&format!("/v1/org/reports/{report_id}/status"), change)
            .await?;
        Ok(())
    }

    pub async fn post_reply(&self, report_id: &ReportId, reply: &PostReply) -> Result<()> {
        self.post_json(&format!("/v1/org/reports/{report_id}/replies"), reply)
            .await?;
        Ok(())
    }

    pub async fn refer(&self, report_id: &ReportId, referral: &Referral) -> Result<()> {
        self.post_json(&format!("/v1/org/reports/{report_id}/referrals"), referral)
            .await?;
        Ok(())
    }

    /// Download a sealed attachment and open it as it arrives (`PROTOCOL.md` 9.5): the sealed
    /// file is never held whole, only its plaintext, which the desk keeps. The outer error is
    /// the relay's (unreachable, refused); the inner one says why the bytes do not open.
    pub async fn open_attachment(
        &self,
        report_id: &ReportId,
        entry: &AttachmentRef,
    ) -> Result<std::result::Result<Vec<u8>, AttachmentError>> {
        let id = entry.id;
        let mut response = self
            .auth(
                self.http
                    .get(self.url(&format!("/v1/org/reports/{report_id}/attachments/{id}"))),
            )
            .send()
            .await
            .map_err(|e| DeskError::RelayUnreachable(without_url(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response
                .bytes()
                .await
                .map_err(|e| DeskError::RelayUnreachable(without_url(&e)))?;
            return Err(refusal(status, &body));
        }
        let mut opener = AttachmentOpener::new(*report_id, entry);
        let mut plain = Zeroizing::new(Vec::new());
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| DeskError::RelayUnreachable(without_url(&e)))?
        {
            if let Err(e) = opener.push(&chunk, &mut plain) {
                return Ok(Err(e));
            }
        }
        Ok(opener
            .finish(&mut plain)
            .map(|()| std::mem::take(&mut *plain)))
    }
}

/// The relay's refusal, with its stable code when the body is its JSON error.
fn refusal(status: reqwest::StatusCode, body: &[u8]) -> DeskError {
    let (code, message) = match serde_json::from_slice::<ApiError>(body) {
        Ok(e) => (e.error, e.message),
        Err(_) => (
            "http_error".to_string(),
            String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        ),
    };
    DeskError::RelayRefused {
        status: status.as_u16(),
        code,
        message,
    }
}

/// reqwest's errors name the URL; the URL carries no secret but keep messages short.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "");
    }
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "connection dropped while reading"
    } else {
        "request failed"
    };
    format!("{kind}: {}", text.trim())
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
