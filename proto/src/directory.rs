//! The signed directory: which organisations exist, the keys the phone may seal to, the routing
//! rules and the proof-of-work difficulty.
//!
//! Chain of trust (`PROTOCOL.md`, "Directory"):
//! - an offline **root key** (Ed25519) whose public key is built into the phone app certifies
//!   each organisation's HPKE key ([`OrgCertificate`]), the relay's online key
//!   ([`RelayCertificate`]) and the list of revoked keys ([`RevocationList`]);
//! - the relay's **online key** signs the listing (organisations with their certificates, rules,
//!   proof-of-work difficulty, version, expiry).
//!
//! A relay can therefore change rules and descriptions, but it cannot make a phone seal to a key
//! the root did not certify. Signed structures travel as base64 of their exact JSON bytes next
//! to the signature, so nobody has to re-serialise JSON canonically to verify.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::codec::{from_base64, to_base64};
use crate::keys::{HpkePublicKey, OrgId, SigningKey, SigningPublicKey, sha256};
use crate::report::Sector;
use crate::routing::RoutingRule;
use crate::{ErrorCode, iso};

pub const LISTING_FORMAT: u16 = 1;
pub const LISTING_CONTEXT: &[u8] = b"workvoice/v1/directory-listing\0";
pub const ORG_CERT_CONTEXT: &[u8] = b"workvoice/v1/org-certificate\0";
pub const RELAY_CERT_CONTEXT: &[u8] = b"workvoice/v1/relay-certificate\0";
pub const REVOCATION_CONTEXT: &[u8] = b"workvoice/v1/revocations\0";
/// How far a listing's issue time may lie in the future of the verifier's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 600;
/// Largest signed directory a verifier accepts.
pub const MAX_DIRECTORY_BYTES: usize = 4 * 1024 * 1024;
pub const MAX_POW_DIFFICULTY: u8 = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Union,
    Inspectorate,
    Ngo,
    #[serde(other)]
    Unknown,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Union => "union",
            OrgKind::Inspectorate => "inspectorate",
            OrgKind::Ngo => "ngo",
            OrgKind::Unknown => "unknown",
        }
    }
}

/// A signed structure: base64 of the exact JSON bytes that were signed, and the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub body: String,
    pub signature: String,
}

impl Signed {
    pub fn sign<T: Serialize>(value: &T, context: &[u8], key: &SigningKey) -> Signed {
        let bytes = match serde_json::to_vec(value) {
            Ok(bytes) => bytes,
            Err(_) => unreachable!("directory structures always serialise"),
        };
        let signature = key.sign(context, &bytes);
        Signed {
            body: to_base64(&bytes),
            signature: to_base64(&signature),
        }
    }

    /// Check the signature under `key`, then decode the body.
    pub fn verify<T: DeserializeOwned>(
        &self,
        context: &[u8],
        key: &SigningPublicKey,
    ) -> Result<T, SignedError> {
        let bytes = from_base64(&self.body).map_err(|_| SignedError::Encoding)?;
        let signature = from_base64(&self.signature).map_err(|_| SignedError::Encoding)?;
        if !key.verify(context, &bytes, &signature) {
            return Err(SignedError::BadSignature);
        }
        serde_json::from_slice(&bytes).map_err(|_| SignedError::Malformed)
    }

    /// Decode the body without checking the signature (for display only).
    pub fn peek<T: DeserializeOwned>(&self) -> Result<T, SignedError> {
        let bytes = from_base64(&self.body).map_err(|_| SignedError::Encoding)?;
        serde_json::from_slice(&bytes).map_err(|_| SignedError::Malformed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignedError {
    #[error("not valid base64")]
    Encoding,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the signed body is not the expected JSON")]
    Malformed,
}

/// An organisation's key certificate, signed by the root key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgCertificate {
    pub org_id: OrgId,
    pub kind: OrgKind,
    pub hpke_public_key: HpkePublicKey,
    /// Increases by one at every rotation of the organisation's key.
    pub key_version: u32,
    /// Unix seconds.
    pub valid_from: u64,
    pub valid_until: u64,
}

/// The relay's online directory-signing key, certified by the root key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayCertificate {
    pub relay_key: SigningPublicKey,
    pub name: String,
    pub valid_from: u64,
    pub valid_until: u64,
}

/// Keys the root has revoked, signed by the root key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationList {
    /// Increases with every new list. Lists are cumulative: a new list keeps every key of the
    /// ones before it. Verifiers remember the highest serial they have verified.
    pub serial: u64,
    pub issued_at: u64,
    pub revoked: Vec<RevokedKey>,
    /// Relay directory keys the root has revoked: a directory signed by one is refused even
    /// while the relay's certificate is within its validity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relay_keys: Vec<SigningPublicKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedKey {
    pub org_id: OrgId,
    pub key_version: u32,
    pub hpke_public_key: HpkePublicKey,
}

/// An organisation as the directory lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrgId,
    pub kind: OrgKind,
    /// Display names by BCP 47 language tag; `en` is always present.
    pub names: BTreeMap<String, String>,
    /// ISO 3166-1 alpha-2 codes of the countries it works in.
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// How many workers must report one recruiter before their escrowed reports open here
    /// (`PROTOCOL.md` 18.1); [`crate::escrow::DEFAULT_THRESHOLD`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow_threshold: Option<u8>,
    /// Whether its escrow routes need anonymous tokens issued against its invites
    /// (`PROTOCOL.md` 18.12); absent means no.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub escrow_invites: bool,
    /// The root-signed [`OrgCertificate`] that carries its HPKE key.
    pub certificate: Signed,
}

impl Organisation {
    /// The `k` escrowed reports about one recruiter need to open at this organisation.
    pub fn escrow_threshold(&self) -> u8 {
        self.escrow_threshold
            .unwrap_or(crate::escrow::DEFAULT_THRESHOLD)
    }

    /// The name in `language`, else English, else any.
    pub fn name(&self, language: &str) -> &str {
        self.names
            .get(language)
            .or_else(|| self.names.get("en"))
            .or_else(|| self.names.values().next())
            .map_or("", String::as_str)
    }

    pub fn sector_list(&self) -> Vec<Sector> {
        self.sectors
            .iter()
            .filter_map(|s| s.chars().next().and_then(Sector::from_letter))
            .collect()
    }
}

/// What the relay signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub format: u16,
    /// Increases with every publication; verifiers refuse to go back.
    pub version: u64,
    /// Unix seconds.
    pub issued_at: u64,
    pub expires_at: u64,
    /// Leading zero bits required of a submission's proof-of-work.
    pub pow_difficulty: u8,
    pub organisations: Vec<Organisation>,
    pub rules: Vec<RoutingRule>,
    /// The root-signed [`RevocationList`], if any key was ever revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations: Option<Signed>,
    /// The relay's Oblivious HTTP gateway keys and the OHTTP relays to reach it through
    /// (`PROTOCOL.md` 14.8), when it offers them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oblivious: Option<crate::oblivious::ObliviousGateway>,
}

impl Listing {
    pub fn organisation(&self, id: &OrgId) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == *id)
    }

    /// Structural checks a relay runs before publishing (and a verifier after decoding).
    pub fn check(&self) -> Result<(), DirectoryError> {
        if self.format != LISTING_FORMAT {
            return Err(DirectoryError::UnsupportedFormat(self.format));
        }
        if self.pow_difficulty > MAX_POW_DIFFICULTY {
            return Err(DirectoryError::Inconsistent(
                "proof-of-work difficulty above 32".into(),
            ));
        }
        for (i, org) in self.organisations.iter().enumerate() {
            if self.organisations[..i].iter().any(|o| o.id == org.id) {
                return Err(DirectoryError::Inconsistent(format!(
                    "organisation {} twice",
                    org.id
                )));
            }
            if let Some(c) = org.countries.iter().find(|c| !iso::is_country(c)) {
                return Err(DirectoryError::Inconsistent(format!("country {c:?}")));
            }
            if let Some(k) = org.escrow_threshold
                && !(crate::escrow::MIN_THRESHOLD..=crate::escrow::MAX_THRESHOLD).contains(&k)
            {
                return Err(DirectoryError::Inconsistent(format!(
                    "organisation {} has escrow threshold {k} ({} to {})",
                    org.id,
                    crate::escrow::MIN_THRESHOLD,
                    crate::escrow::MAX_THRESHOLD
                )));
            }
        }
        for rule in &self.rules {
            if let Some(id) = rule
                .deliver_to
                .iter()
                .find(|id| self.organisation(id).is_none())
            {
                return Err(DirectoryError::Inconsistent(format!(
                    "rule {} names unknown organisation {id}",
                    rule.id
                )));
            }
        }
        if let Some(oblivious) = &self.oblivious {
            oblivious.check().map_err(DirectoryError::Inconsistent)?;
        }
        Ok(())
    }
}

/// The directory as served by `GET /v1/directory`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedDirectory {
    /// The root-signed [`RelayCertificate`] of the key that signed the listing.
    pub relay_certificate: Signed,
    /// The relay-signed [`Listing`].
    pub listing: Signed,
}

impl SignedDirectory {
    /// Sign `listing` with the relay's key; `relay_certificate` is the root's certificate of it.
    pub fn publish(listing: &Listing, relay_key: &SigningKey, relay_certificate: Signed) -> Self {
        SignedDirectory {
            relay_certificate,
            listing: Signed::sign(listing, LISTING_CONTEXT, relay_key),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        match serde_json::to_vec(self) {
            Ok(bytes) => bytes,
            Err(_) => unreachable!("directory serialisation cannot fail"),
        }
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, DirectoryError> {
        if bytes.len() > MAX_DIRECTORY_BYTES {
            return Err(DirectoryError::TooLarge);
        }
        serde_json::from_slice(bytes).map_err(|_| DirectoryError::Malformed)
    }
}

/// Whether the phone may seal to an organisation's key, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum KeyTrust {
    Certified {
        hpke_public_key: HpkePublicKey,
        key_version: u32,
        valid_until: u64,
    },
    Untrusted {
        reason: UntrustedReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UntrustedReason {
    /// The certificate's signature does not verify under the root key.
    BadSignature,
    /// The certificate names another organisation or kind than the entry carrying it.
    Mismatch,
    NotYetValid,
    Expired,
    Revoked,
}

impl UntrustedReason {
    pub fn code(self) -> &'static str {
        match self {
            UntrustedReason::BadSignature => "certificate_bad_signature",
            UntrustedReason::Mismatch => "certificate_mismatch",
            UntrustedReason::NotYetValid => "certificate_not_yet_valid",
            UntrustedReason::Expired => "certificate_expired",
            UntrustedReason::Revoked => "certificate_revoked",
        }
    }
}

/// A directory whose signatures, freshness and version were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDirectory {
    pub listing: Listing,
    pub relay_key: SigningPublicKey,
    pub trust: BTreeMap<OrgId, KeyTrust>,
    /// Serial of the listing's revocation list; 0 without one. A verifier keeps the highest
    /// it has seen in its [`DirectoryPins`].
    pub revocation_serial: u64,
    /// SHA-256 of the served JSON, a short name for this exact directory.
    pub digest: [u8; 32],
}

impl VerifiedDirectory {
    /// The certified key of `org`, or why it may not be used.
    pub fn certified_key(&self, org: &OrgId) -> Result<HpkePublicKey, UntrustedReason> {
        match self.trust.get(org) {
            Some(KeyTrust::Certified {
                hpke_public_key, ..
            }) => Ok(*hpke_public_key),
            Some(KeyTrust::Untrusted { reason }) => Err(*reason),
            None => Err(UntrustedReason::Mismatch),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error("the directory is larger than allowed")]
    TooLarge,
    #[error("the directory is not valid JSON")]
    Malformed,
    #[error("the relay certificate does not verify under the root key")]
    RelayCertificateInvalid,
    #[error("the relay certificate is not valid at this time")]
    RelayCertificateExpired,
    #[error("the listing's signature does not verify under the relay key")]
    BadSignature,
    #[error("the listing format {0} is not supported")]
    UnsupportedFormat(u16),
    #[error("the directory expired")]
    Expired,
    #[error("the directory was issued in the future")]
    NotYetValid,
    #[error("directory version {offered} is older than version {seen} already seen")]
    Rollback { offered: u64, seen: u64 },
    #[error("the revocation list does not verify under the root key")]
    RevocationsInvalid,
    #[error(
        "the directory carries no revocation list, but revocation list {seen} was already seen"
    )]
    RevocationsMissing { seen: u64 },
    #[error("revocation list {offered} is older than list {seen} already seen")]
    RevocationsRollback { offered: u64, seen: u64 },
    #[error("the root revoked the relay key that signed this directory")]
    RelayKeyRevoked,
    #[error("the directory is inconsistent: {0}")]
    Inconsistent(String),
}

impl ErrorCode for DirectoryError {
    fn code(&self) -> &'static str {
        match self {
            DirectoryError::TooLarge => "directory_too_large",
            DirectoryError::Malformed => "directory_malformed",
            DirectoryError::RelayCertificateInvalid => "directory_relay_certificate_invalid",
            DirectoryError::RelayCertificateExpired => "directory_relay_certificate_expired",
            DirectoryError::BadSignature => "directory_bad_signature",
            DirectoryError::UnsupportedFormat(_) => "directory_unsupported_format",
            DirectoryError::Expired => "directory_expired",
            DirectoryError::NotYetValid => "directory_not_yet_valid",
            DirectoryError::Rollback { .. } => "directory_rollback",
            DirectoryError::RevocationsInvalid => "directory_revocations_invalid",
            DirectoryError::RevocationsMissing { .. } => "directory_revocations_missing",
            DirectoryError::RevocationsRollback { .. } => "directory_revocations_rollback",
            DirectoryError::RelayKeyRevoked => "directory_relay_key_revoked",
            DirectoryError::Inconsistent(_) => "directory_inconsistent",
        }
    }
}

/// What a verifier (a phone, a desk) remembers of the directories it has verified, so that a
/// relay cannot roll it back: the highest listing version and the highest revocation-list
/// serial. Both only grow ([`DirectoryPins::remember`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryPins {
    pub min_version: u64,
    #[serde(default)]
    pub min_revocation_serial: u64,
}

impl DirectoryPins {
    /// Raise the pins to what `verified` carries.
    pub fn remember(&mut self, verified: &VerifiedDirectory) {
        self.min_version = self.min_version.max(verified.listing.version);
        self.min_revocation_serial = self.min_revocation_serial.max(verified.revocation_serial);
    }
}

/// Verify a served directory against the pinned root key at time `now` (unix seconds),
/// refusing a version older than `min_version` (the newest the verifier has seen).
pub fn verify_directory(
    served: &[u8],
    root: &SigningPublicKey,
    now: u64,
    min_version: u64,
) -> Result<VerifiedDirectory, DirectoryError> {
    let pins = DirectoryPins {
        min_version,
        min_revocation_serial: 0,
    };
    verify_directory_pinned(served, root, now, &pins)
}

/// [`verify_directory`] against everything the verifier remembers (`PROTOCOL.md` 10.4): also
/// refuses a listing without a revocation list, or with an older one, once a list was seen,
/// and a listing signed by a relay key the root revoked.
pub fn verify_directory_pinned(
    served: &[u8],
    root: &SigningPublicKey,
    now: u64,
    pins: &DirectoryPins,
) -> Result<VerifiedDirectory, DirectoryError> {
    let min_version = pins.min_version;
    let signed = SignedDirectory::from_json(served)?;
    let relay: RelayCertificate = signed
        .relay_certificate
        .verify(RELAY_CERT_CONTEXT, root)
        .map_err(|_| DirectoryError::RelayCertificateInvalid)?;
    if now < relay.valid_from || now >= relay.valid_until {
        return Err(DirectoryError::RelayCertificateExpired);
    }
    let listing: Listing = signed
        .listing
        .verify(LISTING_CONTEXT, &relay.relay_key)
        .map_err(|e| match e {
            SignedError::BadSignature | SignedError::Encoding => DirectoryError::BadSignature,
            SignedError::Malformed => DirectoryError::Malformed,
        })?;
    listing.check()?;
    if now >= listing.expires_at {
        return Err(DirectoryError::Expired);
    }
    if listing.issued_at > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(DirectoryError::NotYetValid);
    }
    if listing.version < min_version {
        return Err(DirectoryError::Rollback {
            offered: listing.version,
            seen: min_version,
        });
    }
    let list = revocation_list(&listing, root)?;
    let revocation_serial = list.as_ref().map_or(0, |l| l.serial);
    match &list {
        None if pins.min_revocation_serial > 0 => {
            return Err(DirectoryError::RevocationsMissing {
                seen: pins.min_revocation_serial,
            });
        }
        Some(l) if l.serial < pins.min_revocation_serial => {
            return Err(DirectoryError::RevocationsRollback {
                offered: l.serial,
                seen: pins.min_revocation_serial,
            });
        }
        Some(l) if l.relay_keys.contains(&relay.relay_key) => {
            return Err(DirectoryError::RelayKeyRevoked);
        }
        _ => {}
    }
    let revoked = list.map(|l| l.revoked).unwrap_or_default();
    let trust = listing
        .organisations
        .iter()
        .map(|org| (org.id, certificate_trust(org, root, now, &revoked)))
        .collect();
    Ok(VerifiedDirectory {
        listing,
        relay_key: relay.relay_key,
        trust,
        revocation_serial,
        digest: sha256(&[served]).0,
    })
}

/// The listing's root-signed revocation list, verified, if it carries one.
pub fn revocation_list(
    listing: &Listing,
    root: &SigningPublicKey,
) -> Result<Option<RevocationList>, DirectoryError> {
    listing
        .revocations
        .as_ref()
        .map(|signed| {
            signed
                .verify::<RevocationList>(REVOCATION_CONTEXT, root)
                .map_err(|_| DirectoryError::RevocationsInvalid)
        })
        .transpose()
}

/// The keys the root revoked, from the listing's root-signed revocation list (none without one).
pub fn revoked_keys(
    listing: &Listing,
    root: &SigningPublicKey,
) -> Result<Vec<RevokedKey>, DirectoryError> {
    Ok(revocation_list(listing, root)?
        .map(|l| l.revoked)
        .unwrap_or_default())
}

/// Why `org`'s certificate is untrusted at some time within [`MAX_CLOCK_SKEW_SECS`] of `now`,
/// or `None` when it is trusted throughout. A relay uses it to check that a recipient left out
/// of a submission really was unusable by a phone whose clock may differ from its own
/// (`PROTOCOL.md`, "Partial delivery"). The reason given is the one at `now` when there is one.
pub fn untrusted_near(
    org: &Organisation,
    root: &SigningPublicKey,
    now: u64,
    revoked: &[RevokedKey],
) -> Option<UntrustedReason> {
    [
        now,
        now.saturating_sub(MAX_CLOCK_SKEW_SECS),
        now.saturating_add(MAX_CLOCK_SKEW_SECS),
    ]
    .into_iter()
    .find_map(|at| match certificate_trust(org, root, at, revoked) {
        KeyTrust::Untrusted { reason } => Some(reason),
        KeyTrust::Certified { .. } => None,
    })
}

/// Check one organisation's certificate.
pub fn certificate_trust(
    org: &Organisation,
    root: &SigningPublicKey,
    now: u64,
    revoked: &[RevokedKey],
) -> KeyTrust {
    let untrusted = |reason| KeyTrust::Untrusted { reason };
    let cert: OrgCertificate = match org.certificate.verify(ORG_CERT_CONTEXT, root) {
        Ok(cert) => cert,
        Err(_) => return untrusted(UntrustedReason::BadSignature),
    };
    if cert.org_id != org.id || cert.kind != org.kind {
        return untrusted(UntrustedReason::Mismatch);
    }
    if now < cert.valid_from {
        return untrusted(UntrustedReason::NotYetValid);
    }
    if now >= cert.valid_until {
        return untrusted(UntrustedReason::Expired);
    }
    let is_revoked = revoked.iter().any(|r| {
        r.org_id == cert.org_id
            && (r.key_version == cert.key_version || r.hpke_public_key == cert.hpke_public_key)
    });
    if is_revoked {
        return untrusted(UntrustedReason::Revoked);
    }
    KeyTrust::Certified {
        hpke_public_key: cert.hpke_public_key,
        key_version: cert.key_version,
        valid_until: cert.valid_until,
    }
}
