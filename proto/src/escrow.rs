//! Reporting escrow: a report that opens only when `k` workers have named the same recruiter.
//!
//! The recruiter's canonical identifier goes through an OPRF (RFC 9497, ristretto255-SHA512,
//! the `voprf` crate), evaluated by the relay and then by the organisation on a blinded
//! element, so that neither can test recruiter names on its own. From the OPRF output the
//! phone derives a degree `k - 1` polynomial over the ristretto255 scalar field, its Feldman
//! commitments, and the escrow tag (a hash of those commitments). The report's key is derived
//! from the polynomial's constant term; the phone seals its report under that key, and one
//! share `(x, f(x))` with the commitments to the organisation. The desk recovers the constant
//! term from `k` verified shares (the `vsss-rs` crate) and opens every report of the group.
//! Byte layout: `PROTOCOL.md`, "Reporting escrow".

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use ring::hkdf;
use voprf::{BlindedElement, EvaluationElement, OprfClient, OprfServer, Ristretto255};
use vsss_rs::{
    DefaultShare, FeldmanVerifierSet, IdentifierPrimeField, Polynomial, ReadableShareSet, Share,
    ShareVerifierGroup, ValueGroup,
};
use zeroize::Zeroizing;

use crate::codec::{ReadError, Reader};
use crate::hpke_suite;
use crate::keys::{HpkePrivateKey, HpkePublicKey, OrgId, sha256};
use crate::{ErrorCode, SecureRng};

pub const MAGIC: &[u8; 4] = b"WVES";
pub const VERSION: u8 = 1;
/// The threshold an organisation gets when the directory names none.
pub const DEFAULT_THRESHOLD: u8 = 3;
pub const MIN_THRESHOLD: u8 = 2;
pub const MAX_THRESHOLD: u8 = 16;
/// `magic || version || org || escrow id || epoch || k || tag || source || withdrawal hash`.
pub const HEADER_LEN: usize = 4 + 1 + 16 + 16 + 4 + 1 + 32 + 32 + 32;
/// Length of a ristretto255 element or scalar in bytes.
pub const ELEMENT_LEN: usize = 32;
/// Longest canonical recruiter identifier in bytes.
pub const MAX_RECRUITER_ID_LEN: usize = 256;
/// Largest sealed report inside an escrow submission (the largest envelope the relay takes).
pub const MAX_SEALED_REPORT_LEN: usize = 24 + 1024 * 1024 + 16;

const OPRF_INPUT_LABEL: &[u8] = b"workvoice/v1/escrow/recruiter\0";
const PRK_SALT: &[u8] = b"workvoice/v1/escrow";
const TAG_LABEL: &[u8] = b"workvoice/v1/escrow/tag\0";
const REPORT_KEY_LABEL: &[u8] = b"workvoice/v1/escrow/report-key\0";
const SHARE_INFO: &[u8] = b"workvoice/v1/escrow/share";
const SOURCE_LABEL: &[u8] = b"workvoice/v1/escrow/source\0";
const WITHDRAWAL_LABEL: &[u8] = b"workvoice/v1/escrow/withdrawal\0";
const OPRF_POW_LABEL: &[u8] = b"workvoice/v1/escrow/oprf-pow\0";
const RELAY_EPOCH_LABEL: &[u8] = b"workvoice/v1/escrow/relay-oprf-epoch\0";

/// The 16 bytes an OPRF request's proof-of-work is computed over (`pow::verify_pow`):
/// the first half of `SHA-256(label || blinded)`, fresh for every blind.
pub fn oprf_pow_id(blinded: &[u8]) -> crate::keys::ReportId {
    let digest = sha256(&[OPRF_POW_LABEL, blinded]).0;
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    crate::keys::ReportId(id)
}

/// The relay's OPRF key for `epoch`, derived from its long-term secret:
/// `DeriveKeyPair(SHA-256(label || secret), "workvoice relay epoch " || u32(epoch))`.
pub fn relay_epoch_key(relay_secret: &[u8; 32], epoch: u32) -> Result<OprfKey, EscrowError> {
    let seed = Zeroizing::new(sha256(&[RELAY_EPOCH_LABEL, relay_secret]).0);
    let info = [b"workvoice relay epoch ".as_slice(), &epoch.to_be_bytes()].concat();
    OprfKey::derive(&seed, &info)
}

type EscrowShare = DefaultShare<IdentifierPrimeField<Scalar>, IdentifierPrimeField<Scalar>>;
type Verifier = ShareVerifierGroup<RistrettoPoint>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscrowError {
    #[error("the recruiter has neither a licence number nor a name with a letter or digit")]
    EmptyRecruiter,
    #[error("the recruiter identifier is longer than {MAX_RECRUITER_ID_LEN} bytes")]
    RecruiterTooLong,
    #[error("the threshold must be between {MIN_THRESHOLD} and {MAX_THRESHOLD}")]
    InvalidThreshold,
    #[error("an OPRF element is not a valid ristretto255 encoding")]
    InvalidElement,
    #[error("an OPRF key is not a valid ristretto255 scalar")]
    InvalidOprfKey,
    #[error("the escrow submission ends before its structure does")]
    Truncated,
    #[error("not a Workvoice escrow submission")]
    BadMagic,
    #[error("escrow format version {0} is not supported")]
    UnsupportedVersion(u8),
    #[error("the escrow submission is larger than allowed")]
    TooLarge,
    #[error("the share does not open with this organisation's key")]
    ShareUnopenable,
    #[error("the share does not match its commitments or its tag")]
    TamperedShare,
    #[error("fewer distinct verified shares than the threshold")]
    NotEnoughShares,
    #[error("the shares belong to different escrow groups")]
    MixedGroups,
    #[error("the escrowed report does not open with the recovered key")]
    ReportUnopenable,
}

impl ErrorCode for EscrowError {
    fn code(&self) -> &'static str {
        match self {
            EscrowError::EmptyRecruiter => "escrow_empty_recruiter",
            EscrowError::RecruiterTooLong => "escrow_recruiter_too_long",
            EscrowError::InvalidThreshold => "escrow_invalid_threshold",
            EscrowError::InvalidElement => "escrow_invalid_element",
            EscrowError::InvalidOprfKey => "escrow_invalid_oprf_key",
            EscrowError::Truncated => "escrow_truncated",
            EscrowError::BadMagic => "escrow_bad_magic",
            EscrowError::UnsupportedVersion(_) => "escrow_unsupported_version",
            EscrowError::TooLarge => "escrow_too_large",
            EscrowError::ShareUnopenable => "escrow_share_unopenable",
            EscrowError::TamperedShare => "escrow_tampered_share",
            EscrowError::NotEnoughShares => "escrow_not_enough_shares",
            EscrowError::MixedGroups => "escrow_mixed_groups",
            EscrowError::ReportUnopenable => "escrow_report_unopenable",
        }
    }
}

impl From<ReadError> for EscrowError {
    fn from(_: ReadError) -> Self {
        EscrowError::Truncated
    }
}

/// A recruiter's canonical identifier: `licence:<LICENCE>` when the worker knows the licence
/// number, `name:<normalised name>` otherwise (PROTOCOL.md 18.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRecruiter(String);

impl CanonicalRecruiter {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The bytes the OPRF is evaluated on.
    pub fn oprf_input(&self) -> Vec<u8> {
        [OPRF_INPUT_LABEL, self.0.as_bytes()].concat()
    }
}

/// Words that name a company's legal form, dropped from a normalised name so that
/// "Everest Manpower Pvt. Ltd." and "everest manpower" are the same recruiter.
const LEGAL_FORM_WORDS: &[&str] = &[
    "pvt",
    "private",
    "ltd",
    "limited",
    "co",
    "company",
    "inc",
    "llc",
    "plc",
    "pte",
    "sdn",
    "bhd",
    "pt",
    "cv",
    "tbk",
    "corp",
    "corporation",
    "the",
    "and",
];

/// Canonicalises a recruiter as the worker named it.
///
/// A licence number keeps its ASCII letters (upper-cased) and digits and drops everything else
/// (spaces, dashes, slashes, dots), so "12/345-067" and "12345067" agree. A name is lower-cased,
/// every run of characters that are neither letters nor digits becomes one space, and the
/// legal-form words above are dropped.
pub fn canonical_recruiter(
    name: &str,
    licence: Option<&str>,
) -> Result<CanonicalRecruiter, EscrowError> {
    let canonical = match licence
        .map(|l| {
            l.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_uppercase())
                .collect::<String>()
        })
        .filter(|l| !l.is_empty())
    {
        Some(licence) => format!("licence:{licence}"),
        None => {
            let lowered = name.to_lowercase();
            let words: Vec<&str> = lowered
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty() && !LEGAL_FORM_WORDS.contains(w))
                .collect();
            if words.is_empty() {
                return Err(EscrowError::EmptyRecruiter);
            }
            format!("name:{}", words.join(" "))
        }
    };
    if canonical.len() > MAX_RECRUITER_ID_LEN {
        return Err(EscrowError::RecruiterTooLong);
    }
    Ok(CanonicalRecruiter(canonical))
}

/// A party's OPRF key for one epoch (the relay's, or the organisation's), zeroized when dropped.
pub struct OprfKey(OprfServer<Ristretto255>);

impl std::fmt::Debug for OprfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OprfKey(..)")
    }
}

impl OprfKey {
    /// `DeriveKeyPair(seed, info)` of RFC 9497 section 3.2.1, as the relay does for each epoch.
    pub fn derive(seed: &[u8; 32], info: &[u8]) -> Result<Self, EscrowError> {
        OprfServer::new_from_seed(seed, info)
            .map(Self)
            .map_err(|_| EscrowError::InvalidOprfKey)
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, EscrowError> {
        OprfServer::new_with_key(bytes)
            .map(Self)
            .map_err(|_| EscrowError::InvalidOprfKey)
    }

    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&self.0.serialize());
        out
    }

    /// `BlindEvaluate` (RFC 9497 section 3.3.1) on a blinded element from a phone, or on the
    /// relay's evaluated element when the organisation adds its key to the chain.
    pub fn evaluate_blinded(&self, blinded: &[u8]) -> Result<[u8; 32], EscrowError> {
        let element =
            BlindedElement::<Ristretto255>::deserialize(blinded).map_err(|_| invalid_element())?;
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.0.blind_evaluate(&element).serialize());
        Ok(out)
    }
}

fn invalid_element() -> EscrowError {
    EscrowError::InvalidElement
}

/// The phone's half of one OPRF round trip: the blind it keeps, and the element it sends.
pub struct OprfRequest {
    client: OprfClient<Ristretto255>,
    input: Vec<u8>,
    blinded: [u8; 32],
}

impl std::fmt::Debug for OprfRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OprfRequest")
            .field("blinded", &hex::encode(self.blinded))
            .finish_non_exhaustive()
    }
}

/// The OPRF output for one recruiter under the relay's and the organisation's epoch keys.
pub struct OprfOutput(Zeroizing<[u8; 64]>);

impl std::fmt::Debug for OprfOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OprfOutput(..)")
    }
}

impl OprfOutput {
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl OprfRequest {
    /// `Blind` (RFC 9497 section 3.3.1) of a canonical recruiter.
    pub fn blind(
        recruiter: &CanonicalRecruiter,
        rng: &mut impl SecureRng,
    ) -> Result<Self, EscrowError> {
        let input = recruiter.oprf_input();
        let result = OprfClient::<Ristretto255>::blind(&input, &mut Rng06(rng))
            .map_err(|_| EscrowError::RecruiterTooLong)?;
        let mut blinded = [0u8; 32];
        blinded.copy_from_slice(&result.message.serialize());
        Ok(Self {
            client: result.state,
            input,
            blinded,
        })
    }

    /// The blinded element, sent to the relay.
    pub fn blinded_element(&self) -> &[u8; 32] {
        &self.blinded
    }

    /// `Finalize` (RFC 9497 section 3.3.1) on the element that came back.
    pub fn finalize(&self, evaluated: &[u8]) -> Result<OprfOutput, EscrowError> {
        let element = EvaluationElement::<Ristretto255>::deserialize(evaluated)
            .map_err(|_| invalid_element())?;
        let output = self
            .client
            .finalize(&self.input, &element)
            .map_err(|_| EscrowError::InvalidElement)?;
        let mut out = Zeroizing::new([0u8; 64]);
        out.copy_from_slice(&output);
        Ok(OprfOutput(out))
    }
}

/// Adapts the crate's generator to the `rand_core` 0.6 traits that `voprf` 0.5 takes.
pub(crate) struct Rng06<'a, R>(pub(crate) &'a mut R);

impl<R: SecureRng> rand_core_06::RngCore for Rng06<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl<R: SecureRng> rand_core_06::CryptoRng for Rng06<'_, R> {}

/// What an escrow submission seals under the group key (PROTOCOL.md 18.6): the ordinary
/// envelope, and what a plain submission would have disclosed to the relay (routing tags,
/// consent, the mailbox token hash), which the relay never sees for an escrowed report. The desk
/// opens the envelope with `disclosure_digest(tags, consent)`, as for any inbox entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EscrowedReport {
    pub tags: crate::routing::RoutingTags,
    pub consent: crate::routing::Consent,
    pub mailbox_token_hash: crate::keys::Digest,
    #[serde(with = "crate::codec::base64_bytes")]
    pub envelope: Vec<u8>,
}

impl EscrowedReport {
    /// JSON, the bytes `seal_escrow` takes as `envelope`.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads what `open_escrowed_report` returned; malformed → `escrow_report_unopenable`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EscrowError> {
        serde_json::from_slice(bytes).map_err(|_| EscrowError::ReportUnopenable)
    }
}

/// Which escrow pool a report joins: the organisation, the OPRF epoch and its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscrowParams {
    pub org: OrgId,
    pub epoch: u32,
    pub threshold: u8,
}

impl EscrowParams {
    fn check(&self) -> Result<(), EscrowError> {
        if (MIN_THRESHOLD..=MAX_THRESHOLD).contains(&self.threshold) {
            Ok(())
        } else {
            Err(EscrowError::InvalidThreshold)
        }
    }

    fn context(&self) -> Vec<u8> {
        [
            self.org.as_bytes().as_slice(),
            &self.epoch.to_be_bytes(),
            &[self.threshold],
        ]
        .concat()
    }
}

/// The polynomial every phone that names the same recruiter derives: coefficients, Feldman
/// commitments and the tag.
struct Group {
    coefficients: Zeroizing<Vec<Scalar>>,
    commitments: Vec<RistrettoPoint>,
    tag: [u8; 32],
}

struct Okm64;

impl hkdf::KeyType for Okm64 {
    fn len(&self) -> usize {
        64
    }
}

fn derive_group(output: &OprfOutput, params: &EscrowParams) -> Result<Group, EscrowError> {
    params.check()?;
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, PRK_SALT).extract(output.as_bytes());
    let context = params.context();
    let mut coefficients = Zeroizing::new(Vec::with_capacity(params.threshold.into()));
    for i in 0..params.threshold {
        let info = [b"coefficient".as_slice(), &context, &[i]].concat();
        let mut wide = Zeroizing::new([0u8; 64]);
        if prk
            .expand(&[&info], Okm64)
            .and_then(|okm| okm.fill(wide.as_mut()))
            .is_err()
        {
            unreachable!("64 bytes is within HKDF-SHA256's output limit");
        }
        coefficients.push(Scalar::from_bytes_mod_order_wide(&wide));
    }
    let commitments: Vec<RistrettoPoint> = coefficients
        .iter()
        .map(|a| RISTRETTO_BASEPOINT_POINT * a)
        .collect();
    let tag = tag_of(params, &commitments);
    Ok(Group {
        coefficients,
        commitments,
        tag,
    })
}

/// `SHA-256(label || org || epoch || k || C_0 || ... || C_{k-1})`.
fn tag_of(params: &EscrowParams, commitments: &[RistrettoPoint]) -> [u8; 32] {
    let encoded: Vec<[u8; 32]> = commitments.iter().map(|c| c.compress().0).collect();
    let mut parts: Vec<&[u8]> = vec![TAG_LABEL, params.org.as_bytes(), &[]];
    let epoch = params.epoch.to_be_bytes();
    let k = [params.threshold];
    parts[2] = &epoch;
    parts.push(&k);
    parts.extend(encoded.iter().map(|c| c.as_slice()));
    sha256(&parts).0
}

fn report_key(secret: &Scalar) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(sha256(&[REPORT_KEY_LABEL, secret.as_bytes()]).0)
}

/// The escrow tag for a recruiter's OPRF output: what the relay counts shares under.
pub fn escrow_tag(output: &OprfOutput, params: &EscrowParams) -> Result<[u8; 32], EscrowError> {
    Ok(derive_group(output, params)?.tag)
}

/// The clear header of an escrow submission, all the relay reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscrowHeader {
    pub params: EscrowParams,
    /// Chosen at random by the phone; the submission's idempotency and withdrawal handle.
    pub escrow_id: [u8; 16],
    pub tag: [u8; 32],
    /// The device's pseudonym in this group: `escrow_source(device secret, tag)`. The relay
    /// counts distinct sources, not submissions, towards the threshold.
    pub source: [u8; 32],
    /// `escrow_withdrawal_hash(withdrawal secret)`: the relay deletes the submission, before
    /// release, for whoever shows the secret.
    pub withdrawal_hash: [u8; 32],
}

/// A device's pseudonym within one escrow group: `HMAC-SHA-256(device secret, label || tag)`.
/// Unlinkable across tags without the device secret.
pub fn escrow_source(device_secret: &[u8; 32], tag: &[u8; 32]) -> [u8; 32] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, device_secret);
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::hmac::sign(&key, &[SOURCE_LABEL, tag].concat()).as_ref());
    out
}

/// `SHA-256(label || withdrawal secret)`.
pub fn escrow_withdrawal_hash(withdrawal_secret: &[u8; 32]) -> [u8; 32] {
    sha256(&[WITHDRAWAL_LABEL, withdrawal_secret]).0
}

/// The phone's secrets for one escrowed report.
#[derive(Debug, Clone, Copy)]
pub struct EscrowSecrets<'a> {
    /// The device's escrow secret (one per device, kept in its vault).
    pub device_secret: &'a [u8; 32],
    /// This report's withdrawal secret.
    pub withdrawal_secret: &'a [u8; 32],
}

impl EscrowHeader {
    fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let parts: [&[u8]; 9] = [
            MAGIC,
            &[VERSION],
            self.params.org.as_bytes(),
            &self.escrow_id,
            &self.params.epoch.to_be_bytes(),
            &[self.params.threshold],
            &self.tag,
            &self.source,
            &self.withdrawal_hash,
        ];
        let mut at = 0;
        for part in parts {
            out[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        out
    }
}

/// The length of the sealed share for threshold `k`: HPKE `enc`, `x`, `y`, `k` commitments and
/// the AEAD tag.
pub fn sealed_share_len(threshold: u8) -> usize {
    hpke_suite::ENC_LEN + 2 * ELEMENT_LEN + usize::from(threshold) * ELEMENT_LEN + 16
}

/// An escrow submission split into its parts, checked without any key (what the relay does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEscrow<'a> {
    pub header: EscrowHeader,
    header_bytes: &'a [u8],
    sealed_share: &'a [u8],
    sealed_report: &'a [u8],
}

impl<'a> ParsedEscrow<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EscrowError> {
        let mut reader = Reader::new(bytes);
        if reader.take(4)? != MAGIC {
            return Err(EscrowError::BadMagic);
        }
        let version = reader.u8()?;
        if version != VERSION {
            return Err(EscrowError::UnsupportedVersion(version));
        }
        let org = OrgId(reader.array()?);
        let escrow_id = reader.array()?;
        let epoch = u32::from_be_bytes(reader.array()?);
        let threshold = reader.u8()?;
        let tag = reader.array()?;
        let source = reader.array()?;
        let withdrawal_hash = reader.array()?;
        let params = EscrowParams {
            org,
            epoch,
            threshold,
        };
        params.check()?;
        let sealed_share = reader.take(sealed_share_len(threshold))?;
        let sealed_report = reader.rest();
        if sealed_report.len() < 24 + 16 {
            return Err(EscrowError::Truncated);
        }
        if sealed_report.len() > MAX_SEALED_REPORT_LEN {
            return Err(EscrowError::TooLarge);
        }
        Ok(Self {
            header: EscrowHeader {
                params,
                escrow_id,
                tag,
                source,
                withdrawal_hash,
            },
            header_bytes: &bytes[..HEADER_LEN],
            sealed_share,
            sealed_report,
        })
    }
}

/// Seals `envelope` (an ordinary sealed report, already addressed to the organisation) into an
/// escrow submission: the envelope under the group's report key, one share of the group's
/// secret with its commitments sealed to `org_key`, and the tag in clear.
pub fn seal_escrow(
    output: &OprfOutput,
    params: &EscrowParams,
    org_key: &HpkePublicKey,
    envelope: &[u8],
    secrets: EscrowSecrets<'_>,
    rng: &mut impl SecureRng,
) -> Result<Vec<u8>, EscrowError> {
    if envelope.len() + 24 + 16 > MAX_SEALED_REPORT_LEN {
        return Err(EscrowError::TooLarge);
    }
    let group = derive_group(output, params)?;
    let mut escrow_id = [0u8; 16];
    rng.fill_bytes(&mut escrow_id);
    let header = EscrowHeader {
        params: *params,
        escrow_id,
        tag: group.tag,
        source: escrow_source(secrets.device_secret, &group.tag),
        withdrawal_hash: escrow_withdrawal_hash(secrets.withdrawal_secret),
    }
    .to_bytes();

    let x = random_nonzero_scalar(rng);
    let y = evaluate(&group.coefficients, &x);
    let mut share_plain = Zeroizing::new(Vec::with_capacity(sealed_share_len(params.threshold)));
    share_plain.extend_from_slice(x.as_bytes());
    share_plain.extend_from_slice(y.as_bytes());
    for c in &group.commitments {
        share_plain.extend_from_slice(&c.compress().0);
    }
    let (enc, share_ct) = hpke_suite::seal(org_key, None, SHARE_INFO, &header, &share_plain, rng)
        .map_err(|_| EscrowError::ShareUnopenable)?;

    let key = report_key(&group.coefficients[0]);
    let mut nonce = [0u8; 24];
    rng.fill_bytes(&mut nonce);
    let report_ct = XChaCha20Poly1305::new(&(*key).into())
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: envelope,
                aad: &header,
            },
        )
        .map_err(|_| EscrowError::TooLarge)?;

    let mut out =
        Vec::with_capacity(HEADER_LEN + enc.len() + share_ct.len() + 24 + report_ct.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&enc);
    out.extend_from_slice(&share_ct);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&report_ct);
    Ok(out)
}

fn random_nonzero_scalar(rng: &mut impl SecureRng) -> Scalar {
    loop {
        let mut wide = Zeroizing::new([0u8; 64]);
        rng.fill_bytes(wide.as_mut());
        let s = Scalar::from_bytes_mod_order_wide(&wide);
        if s != Scalar::ZERO {
            return s;
        }
    }
}

/// `f(x)` with `vsss-rs`'s Horner evaluation.
fn evaluate(coefficients: &[Scalar], x: &Scalar) -> Scalar {
    let polynomial: Vec<EscrowShare> = coefficients
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 {
                EscrowShare::with_identifier_and_value(
                    IdentifierPrimeField(Scalar::ZERO),
                    IdentifierPrimeField(*a),
                )
            } else {
                EscrowShare::with_identifier_and_value(
                    IdentifierPrimeField(*a),
                    IdentifierPrimeField(Scalar::ZERO),
                )
            }
        })
        .collect();
    polynomial
        .evaluate(&IdentifierPrimeField(*x), coefficients.len())
        .0
}

/// One share, opened by the organisation and checked against its commitments and tag.
#[derive(Clone)]
pub struct OpenedShare {
    pub escrow_id: [u8; 16],
    pub tag: [u8; 32],
    pub source: [u8; 32],
    params: EscrowParams,
    x: Scalar,
    y: Scalar,
    commitments: Vec<RistrettoPoint>,
}

impl std::fmt::Debug for OpenedShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedShare")
            .field("escrow_id", &hex::encode(self.escrow_id))
            .field("tag", &hex::encode(self.tag))
            .finish_non_exhaustive()
    }
}

/// Opens the share of an escrow submission with the organisation's key and verifies it:
/// the commitments hash to the tag, and `y·G = Σ xⁱ·Cᵢ` (Feldman).
pub fn open_share(bytes: &[u8], org_key: &HpkePrivateKey) -> Result<OpenedShare, EscrowError> {
    let parsed = ParsedEscrow::parse(bytes)?;
    let (enc, ct) = parsed.sealed_share.split_at(hpke_suite::ENC_LEN);
    let mut enc_array = [0u8; hpke_suite::ENC_LEN];
    enc_array.copy_from_slice(enc);
    let plain = hpke_suite::open(
        &enc_array,
        org_key,
        None,
        SHARE_INFO,
        parsed.header_bytes,
        ct,
    )
    .map_err(|_| EscrowError::ShareUnopenable)?;
    let scalar = |b: &[u8]| -> Result<Scalar, EscrowError> {
        let mut a = [0u8; 32];
        a.copy_from_slice(b);
        Option::from(Scalar::from_canonical_bytes(a)).ok_or(EscrowError::TamperedShare)
    };
    let x = scalar(&plain[..32])?;
    let y = scalar(&plain[32..64])?;
    let commitments = plain[64..]
        .chunks_exact(ELEMENT_LEN)
        .map(|c| {
            CompressedRistretto::from_slice(c)
                .ok()
                .and_then(|c| c.decompress())
                .ok_or(EscrowError::TamperedShare)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let share = OpenedShare {
        escrow_id: parsed.header.escrow_id,
        tag: parsed.header.tag,
        source: parsed.header.source,
        params: parsed.header.params,
        x,
        y,
        commitments,
    };
    share.verify()?;
    Ok(share)
}

impl OpenedShare {
    fn verify(&self) -> Result<(), EscrowError> {
        if self.commitments.len() != usize::from(self.params.threshold)
            || tag_of(&self.params, &self.commitments) != self.tag
        {
            return Err(EscrowError::TamperedShare);
        }
        let mut verifiers: Vec<Verifier> = Vec::with_capacity(self.commitments.len() + 1);
        verifiers.push(ValueGroup(RISTRETTO_BASEPOINT_POINT));
        verifiers.extend(self.commitments.iter().map(|c| ValueGroup(*c)));
        FeldmanVerifierSet::<EscrowShare, Verifier>::verify_share(&verifiers, &self.as_share())
            .map_err(|_| EscrowError::TamperedShare)
    }

    fn as_share(&self) -> EscrowShare {
        EscrowShare::with_identifier_and_value(
            IdentifierPrimeField(self.x),
            IdentifierPrimeField(self.y),
        )
    }

    /// Test support: the same share with `y` changed, as a tampering peer would send it.
    #[cfg(any(test, feature = "test-support"))]
    pub fn with_y_plus_one(&self) -> Self {
        Self {
            y: self.y + Scalar::ONE,
            ..self.clone()
        }
    }

    /// Test support: checks the share again (after [`Self::with_y_plus_one`]).
    #[cfg(any(test, feature = "test-support"))]
    pub fn check(&self) -> Result<(), EscrowError> {
        self.verify()
    }
}

/// The key that opens every report of one released group.
pub struct GroupKey {
    tag: [u8; 32],
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupKey")
            .field("tag", &hex::encode(self.tag))
            .finish_non_exhaustive()
    }
}

/// Interpolates the group's secret from verified shares of one tag (Lagrange at 0 with
/// `vsss-rs`), after checking each share again and that at least `k` distinct `x` are present.
/// The result is checked against `C_0`, so a wrong key is never returned.
pub fn recover_group_key(shares: &[OpenedShare]) -> Result<GroupKey, EscrowError> {
    let first = shares.first().ok_or(EscrowError::NotEnoughShares)?;
    if shares.iter().any(|s| s.tag != first.tag) {
        return Err(EscrowError::MixedGroups);
    }
    let mut distinct: Vec<EscrowShare> = Vec::with_capacity(shares.len());
    for share in shares {
        share.verify()?;
        if !distinct.iter().any(|d| d.identifier().0 == share.x) {
            distinct.push(share.as_share());
        }
    }
    let k = usize::from(first.params.threshold);
    if distinct.len() < k {
        return Err(EscrowError::NotEnoughShares);
    }
    distinct.truncate(k);
    let secret = interpolate(&distinct)?;
    if RISTRETTO_BASEPOINT_POINT * secret != first.commitments[0] {
        return Err(EscrowError::TamperedShare);
    }
    Ok(GroupKey {
        tag: first.tag,
        key: report_key(&secret),
    })
}

fn interpolate(shares: &[EscrowShare]) -> Result<Scalar, EscrowError> {
    shares
        .to_vec()
        .combine()
        .map(|v| v.0)
        .map_err(|_| EscrowError::NotEnoughShares)
}

/// Opens the report of one escrow submission of a released group: the sealed envelope, to be
/// opened with the organisation's key as any other.
pub fn open_escrowed_report(
    bytes: &[u8],
    key: &GroupKey,
) -> Result<Zeroizing<Vec<u8>>, EscrowError> {
    let parsed = ParsedEscrow::parse(bytes)?;
    if parsed.header.tag != key.tag {
        return Err(EscrowError::MixedGroups);
    }
    let (nonce, ct) = parsed.sealed_report.split_at(24);
    let mut nonce_array = [0u8; 24];
    nonce_array.copy_from_slice(nonce);
    XChaCha20Poly1305::new(&(*key.key).into())
        .decrypt(
            &XNonce::from(nonce_array),
            Payload {
                msg: ct,
                aad: parsed.header_bytes,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| EscrowError::ReportUnopenable)
}

/// Test support: interpolation of any share set without the `k` and `C_0` checks, to show that
/// fewer than `k` shares give a wrong secret (the proptest in `tests/escrow.rs`).
#[cfg(any(test, feature = "test-support"))]
pub fn interpolate_unchecked(shares: &[OpenedShare]) -> Option<[u8; 32]> {
    let set: Vec<EscrowShare> = shares.iter().map(OpenedShare::as_share).collect();
    interpolate(&set).ok().map(|s| *report_key(&s))
}

/// Test support: the report key a group's OPRF output gives, to compare with recovered keys.
#[cfg(any(test, feature = "test-support"))]
pub fn expected_report_key(
    output: &OprfOutput,
    params: &EscrowParams,
) -> Result<[u8; 32], EscrowError> {
    Ok(*report_key(&derive_group(output, params)?.coefficients[0]))
}

impl GroupKey {
    /// Test support: the report key, to compare with [`expected_report_key`].
    #[cfg(any(test, feature = "test-support"))]
    pub fn report_key_bytes(&self) -> [u8; 32] {
        *self.key
    }
}

/// Test support: an OPRF output from raw bytes (the relay and organisation hops skipped).
#[cfg(any(test, feature = "test-support"))]
pub fn oprf_output_for_tests(bytes: [u8; 64]) -> OprfOutput {
    OprfOutput(Zeroizing::new(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn h(text: &str) -> Vec<u8> {
        hex::decode(text).unwrap()
    }

    /// RFC 9497 appendix A.1.1: OPRF(ristretto255, SHA-512), mode 0, both test vectors.
    #[test]
    fn rfc9497_oprf_ristretto255_vectors() {
        let seed: [u8; 32] = [0xa3; 32];
        let key = OprfKey::derive(&seed, &h("74657374206b6579")).unwrap();
        assert_eq!(
            hex::encode(*key.to_bytes()),
            "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e"
        );
        let blind = h("64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706");
        let cases = [
            (
                "00",
                "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
                "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
                "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
            ),
            (
                "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
                "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
                "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
                "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
            ),
        ];
        for (input, blinded, evaluated, output) in cases {
            let input = h(input);
            let client = OprfClient::<Ristretto255>::deserialize(&blind).unwrap();
            let request = OprfRequest {
                client,
                input: input.clone(),
                blinded: h(blinded).try_into().unwrap(),
            };
            let ours = key.evaluate_blinded(&h(blinded)).unwrap();
            assert_eq!(hex::encode(ours), evaluated);
            let out = request.finalize(&ours).unwrap();
            assert_eq!(hex::encode(out.as_bytes()), output);
            // The unblinded evaluation agrees with the server's direct one.
            assert_eq!(hex::encode(key.0.evaluate(&input).unwrap()), output);
        }
    }
}
