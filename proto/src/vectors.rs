//! Test vectors: the data-driven cases in `proto/vectors/` that every implementation runs.
//!
//! Each file holds one [`Vector`]: its inputs and either the expected result or the expected
//! error code. `cargo run -p workvoice-proto --example gen-vectors` writes them (deterministic);
//! `tests/vectors.rs` checks that every file passes [`check`] and that regenerating changes
//! nothing.

use std::collections::BTreeMap;

use rand_core::{TryCryptoRng, TryRng};
use serde::{Deserialize, Serialize};

use crate::api::{AttachmentDeclaration, SubmissionRequest, WorkerStatus};
use crate::directory::{
    DirectoryPins, KeyTrust, LISTING_FORMAT, Listing, ORG_CERT_CONTEXT, OrgCertificate, OrgKind,
    Organisation, RELAY_CERT_CONTEXT, REVOCATION_CONTEXT, RelayCertificate, RevocationList,
    RevokedKey, Signed, SignedDirectory, revoked_keys, untrusted_near, verify_directory,
    verify_directory_pinned,
};
use crate::keys::{
    HpkePrivateKey, HpkePublicKey, OrgId, ReportId, SigningKey, SigningPublicKey, sha256,
};
use crate::recovery::{RecoveryCode, mailbox_token_hash};
use crate::reply::{ReplyBody, open_reply, seal_reply};
use crate::report::{
    Channel, CostCategory, Indicator, JobComparison, JobTerms, Money, NamedParty, PayeeRole,
    REPORT_SCHEMA_VERSION, RecruitmentFee, RecruitmentStage, Report, Sector,
};
use crate::routing::{
    Consent, ReportKind, RoutingRule, RoutingTags, check_delivery, disclosure_bytes,
    disclosure_digest, route,
};
use crate::status::{StatusBody, open_status, seal_status};
use crate::{ErrorCode, envelope, padding, pow};

/// A deterministic generator (SHA-256 in counter mode over a seed) for vectors and tests.
/// Never use it for real keys.
#[derive(Debug, Clone)]
pub struct DeterministicRng {
    seed: [u8; 32],
    counter: u64,
    buf: [u8; 32],
    used: usize,
}

impl DeterministicRng {
    pub fn new(label: &str) -> Self {
        Self {
            seed: sha256(&[label.as_bytes()]).0,
            counter: 0,
            buf: [0; 32],
            used: 32,
        }
    }
}

impl TryRng for DeterministicRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for byte in dst {
            if self.used == 32 {
                self.buf = sha256(&[&self.seed, &self.counter.to_be_bytes()]).0;
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.buf[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for DeterministicRng {}

/// What a vector expects: a result, or an error code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Expect {
    Error { error: String },
    Ok { ok: serde_json::Value },
}

/// One test vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Vector {
    Padding {
        description: String,
        plain_len: usize,
        expect: Expect,
    },
    Pow {
        description: String,
        submission_id: ReportId,
        nonce: u64,
        difficulty: u8,
        expect: Expect,
    },
    Disclosure {
        description: String,
        tags: RoutingTags,
        consent: Consent,
        expect: Expect,
    },
    Envelope {
        description: String,
        org_id: OrgId,
        private_key: String,
        tags: RoutingTags,
        consent: Consent,
        envelope: String,
        expect: Expect,
    },
    Reply {
        description: String,
        reply_private_key: String,
        org_public_key: HpkePublicKey,
        sealed: String,
        expect: Expect,
    },
    /// A sealed status (`PROTOCOL.md` 8.5): opened under `org_public_key`.
    Status {
        description: String,
        reply_private_key: String,
        org_public_key: HpkePublicKey,
        sealed: String,
        expect: Expect,
    },
    Directory {
        description: String,
        root_public_key: SigningPublicKey,
        now: u64,
        min_version: u64,
        /// The highest revocation-list serial the verifier has seen (0 when absent).
        #[serde(default, skip_serializing_if = "is_zero")]
        min_revocation_serial: u64,
        directory: String,
        expect: Expect,
    },
    Routing {
        description: String,
        listing: Listing,
        tags: RoutingTags,
        consent: Consent,
        expect: Expect,
    },
    /// The relay's partial-delivery check: the directory (verified under the root at `now`),
    /// the route of `tags` and `consent`, and the organisations the envelope is sealed to.
    Delivery {
        description: String,
        root_public_key: SigningPublicKey,
        now: u64,
        directory: String,
        tags: RoutingTags,
        consent: Consent,
        sealed_to: Vec<OrgId>,
        expect: Expect,
    },
    Recovery {
        description: String,
        code: String,
        index: u32,
        expect: Expect,
    },
    Report {
        description: String,
        json: String,
        expect: Expect,
    },
    /// A binary submission body (`PROTOCOL.md` 14.9), read; `ok` gives the request as its
    /// JSON body and the SHA-256 of its canonical JSON (the relay's request hash, 14.2).
    SubmissionBody {
        description: String,
        body: String,
        expect: Expect,
    },
    /// A sealed attachment (section 9), opened against its report id and manifest entry; `ok`
    /// gives the plaintext's length and SHA-256.
    Attachment {
        description: String,
        report_id: ReportId,
        entry: crate::report::AttachmentRef,
        sealed: String,
        expect: Expect,
    },
}

impl Vector {
    /// What the vector expects.
    pub fn expect(&self) -> &Expect {
        match self {
            Vector::Padding { expect, .. }
            | Vector::Pow { expect, .. }
            | Vector::Disclosure { expect, .. }
            | Vector::Envelope { expect, .. }
            | Vector::Reply { expect, .. }
            | Vector::Status { expect, .. }
            | Vector::Directory { expect, .. }
            | Vector::Routing { expect, .. }
            | Vector::Delivery { expect, .. }
            | Vector::Recovery { expect, .. }
            | Vector::Report { expect, .. }
            | Vector::SubmissionBody { expect, .. }
            | Vector::Attachment { expect, .. } => expect,
        }
    }

    fn expect_mut(&mut self) -> &mut Expect {
        match self {
            Vector::Padding { expect, .. }
            | Vector::Pow { expect, .. }
            | Vector::Disclosure { expect, .. }
            | Vector::Envelope { expect, .. }
            | Vector::Reply { expect, .. }
            | Vector::Status { expect, .. }
            | Vector::Directory { expect, .. }
            | Vector::Routing { expect, .. }
            | Vector::Delivery { expect, .. }
            | Vector::Recovery { expect, .. }
            | Vector::Report { expect, .. }
            | Vector::SubmissionBody { expect, .. }
            | Vector::Attachment { expect, .. } => expect,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn ok(value: impl Serialize) -> Expect {
    match serde_json::to_value(value) {
        Ok(ok) => Expect::Ok { ok },
        Err(e) => Expect::Error {
            error: format!("serialisation: {e}"),
        },
    }
}

fn err(e: &impl ErrorCode) -> Expect {
    Expect::Error {
        error: e.code().to_string(),
    }
}

fn private_key(hex_text: &str) -> Result<HpkePrivateKey, String> {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut bytes).map_err(|e| format!("bad key hex: {e}"))?;
    Ok(HpkePrivateKey::from_bytes(bytes))
}

fn bytes(hex_text: &str) -> Result<Vec<u8>, String> {
    hex::decode(hex_text).map_err(|e| format!("bad hex: {e}"))
}

/// Compute what a vector's inputs give, in the vector's `Expect` form.
pub fn evaluate(vector: &Vector) -> Result<Expect, String> {
    Ok(match vector {
        Vector::Padding { plain_len, .. } => {
            let plain = vec![0xA5u8; *plain_len];
            match padding::pad(&plain) {
                Some(p) => ok(serde_json::json!({ "padded_len": p.len() })),
                None => Expect::Error {
                    error: "too_large".into(),
                },
            }
        }
        Vector::Pow {
            submission_id,
            nonce,
            difficulty,
            ..
        } => match pow::verify_pow(submission_id, *nonce, *difficulty) {
            Ok(()) => ok(serde_json::json!({
                "hash": hex::encode(pow::pow_hash(submission_id, *nonce))
            })),
            Err(e) => err(&e),
        },
        Vector::Disclosure { tags, consent, .. } => ok(serde_json::json!({
            "bytes": hex::encode(disclosure_bytes(tags, consent)),
            "sha256": hex::encode(disclosure_digest(tags, consent)),
        })),
        Vector::Envelope {
            org_id,
            private_key: key,
            tags,
            consent,
            envelope: env,
            ..
        } => {
            let key = private_key(key)?;
            match envelope::open(
                &bytes(env)?,
                *org_id,
                &key,
                &disclosure_digest(tags, consent),
            ) {
                Ok(opened) => ok(serde_json::json!({
                    "report_id": opened.report_id,
                    "recipients": opened.recipients,
                    "plaintext": String::from_utf8_lossy(&opened.plaintext),
                })),
                Err(e) => err(&e),
            }
        }
        Vector::Reply {
            reply_private_key,
            org_public_key,
            sealed,
            ..
        } => {
            let key = private_key(reply_private_key)?;
            match open_reply(&bytes(sealed)?, &key, org_public_key) {
                Ok((header, body)) => ok(serde_json::json!({
                    "report_id": header.report_id,
                    "org_id": header.org_id,
                    "body": body,
                })),
                Err(e) => err(&e),
            }
        }
        Vector::Status {
            reply_private_key,
            org_public_key,
            sealed,
            ..
        } => {
            let key = private_key(reply_private_key)?;
            match open_status(&bytes(sealed)?, &key, org_public_key) {
                Ok((header, body)) => ok(serde_json::json!({
                    "report_id": header.report_id,
                    "org_id": header.org_id,
                    "body": body,
                })),
                Err(e) => err(&e),
            }
        }
        Vector::Directory {
            root_public_key,
            now,
            min_version,
            min_revocation_serial,
            directory,
            ..
        } => match verify_directory_pinned(
            directory.as_bytes(),
            root_public_key,
            *now,
            &DirectoryPins {
                min_version: *min_version,
                min_revocation_serial: *min_revocation_serial,
            },
        ) {
            Ok(v) => {
                let trust: BTreeMap<String, String> = v
                    .trust
                    .iter()
                    .map(|(id, t)| {
                        let status = match t {
                            KeyTrust::Certified { .. } => "certified".to_string(),
                            KeyTrust::Untrusted { reason } => reason.code().to_string(),
                        };
                        (id.to_hex(), status)
                    })
                    .collect();
                ok(serde_json::json!({
                    "version": v.listing.version,
                    "revocation_serial": v.revocation_serial,
                    "trust": trust,
                }))
            }
            Err(e) => err(&e),
        },
        Vector::Routing {
            listing,
            tags,
            consent,
            ..
        } => match route(tags, consent, listing) {
            Ok(r) => ok(r),
            Err(e) => err(&e),
        },
        Vector::Delivery {
            root_public_key: root,
            now,
            directory,
            tags,
            consent,
            sealed_to,
            ..
        } => {
            let verified = match verify_directory(directory.as_bytes(), root, *now, 0) {
                Ok(v) => v,
                Err(e) => return Ok(err(&e)),
            };
            let listing = &verified.listing;
            let routed = match route(tags, consent, listing) {
                Ok(r) => r,
                Err(e) => return Ok(err(&e)),
            };
            let revoked = match revoked_keys(listing, root) {
                Ok(r) => r,
                Err(e) => return Ok(err(&e)),
            };
            let sealed_to = sealed_to.iter().copied().collect();
            let untrusted = |id: &OrgId| {
                listing
                    .organisation(id)
                    .and_then(|org| untrusted_near(org, root, *now, &revoked))
            };
            match check_delivery(&routed, &sealed_to, untrusted) {
                Ok(left_out) => {
                    let left_out: Vec<serde_json::Value> = left_out
                        .iter()
                        .map(|l| {
                            serde_json::json!({
                                "org_id": l.org_id,
                                "kind": l.kind,
                                "reason": l.reason.code(),
                            })
                        })
                        .collect();
                    ok(serde_json::json!({ "left_out": left_out }))
                }
                Err(e) => err(&e),
            }
        }
        Vector::Attachment {
            report_id,
            entry,
            sealed,
            ..
        } => match crate::attachment::open_attachment(&bytes(sealed)?, *report_id, entry) {
            Ok(plain) => ok(serde_json::json!({
                "size": plain.len(),
                "sha256": sha256(&[&plain]),
            })),
            Err(e) => err(&e),
        },
        Vector::Recovery { code, index, .. } => match RecoveryCode::parse(code) {
            Ok(code) => {
                let s = code.report_secrets(*index);
                ok(serde_json::json!({
                    "mailbox_token": hex::encode(*s.mailbox_token),
                    "mailbox_token_hash": mailbox_token_hash(&s.mailbox_token),
                    "reply_public_key": s.reply_key.public_key(),
                    "withdrawal_secret": hex::encode(*s.withdrawal_secret),
                    "withdrawal_hash": crate::recovery::withdrawal_hash(&s.withdrawal_secret),
                }))
            }
            Err(e) => err(&e),
        },
        Vector::SubmissionBody { body, .. } => {
            match SubmissionRequest::from_binary(&bytes(body)?) {
                Ok(request) => {
                    let canonical = request.canonical_bytes().map_err(|e| e.to_string())?;
                    ok(serde_json::json!({
                        "request_hash": hex::encode(sha256(&[&canonical]).0),
                        "request": request,
                    }))
                }
                Err(e) => err(&e),
            }
        }
        Vector::Report { json, .. } => match Report::decode(json.as_bytes()) {
            Ok(r) => ok(serde_json::json!({
                "report_id": r.report_id,
                "tags": r.routing_tags(),
                "channel": Channel::of(&r).as_str(),
            })),
            Err(crate::report::ReportError::Invalid(fields)) => Expect::Error {
                error: format!(
                    "report_invalid:{}",
                    fields
                        .iter()
                        .map(|f| format!("{}={}", f.field, f.problem.code()))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            },
            Err(e) => err(&e),
        },
    })
}

/// Check a vector: its inputs must give exactly what it expects.
pub fn check(vector: &Vector) -> Result<(), String> {
    let expected = vector.expect();
    let actual = evaluate(vector)?;
    if &actual == expected {
        Ok(())
    } else {
        Err(format!(
            "expected {}, got {}",
            serde_json::to_string(expected).unwrap_or_default(),
            serde_json::to_string(&actual).unwrap_or_default()
        ))
    }
}

/// A fixture world for vectors and tests: a root key, a relay, a union, an inspectorate and an
/// NGO, with certificates and rules, all from fixed seeds.
#[derive(Debug)]
pub struct Fixture {
    pub root: SigningKey,
    pub relay: SigningKey,
    pub relay_certificate: Signed,
    pub union_id: OrgId,
    pub union_key: HpkePrivateKey,
    pub inspectorate_id: OrgId,
    pub inspectorate_key: HpkePrivateKey,
    pub ngo_id: OrgId,
    pub ngo_key: HpkePrivateKey,
    /// A fixed time inside every validity window: 2026-11-28T00:00:00Z.
    pub now: u64,
}

pub const FIXTURE_NOW: u64 = 1_795_824_000;
const YEAR: u64 = 365 * 24 * 3600;

impl Fixture {
    pub fn new() -> Self {
        let mut rng = DeterministicRng::new("workvoice fixture");
        let root = SigningKey::generate(&mut rng);
        let relay = SigningKey::generate(&mut rng);
        let now = FIXTURE_NOW;
        let relay_certificate = Signed::sign(
            &RelayCertificate {
                relay_key: relay.public_key(),
                name: "relay.example".into(),
                valid_from: now - YEAR,
                valid_until: now + YEAR,
            },
            RELAY_CERT_CONTEXT,
            &root,
        );
        Fixture {
            root,
            relay,
            relay_certificate,
            union_id: OrgId::random(&mut rng),
            union_key: HpkePrivateKey::generate(&mut rng),
            inspectorate_id: OrgId::random(&mut rng),
            inspectorate_key: HpkePrivateKey::generate(&mut rng),
            ngo_id: OrgId::random(&mut rng),
            ngo_key: HpkePrivateKey::generate(&mut rng),
            now,
        }
    }

    pub fn certificate(&self, id: OrgId, kind: OrgKind, key: &HpkePrivateKey) -> Signed {
        Signed::sign(
            &OrgCertificate {
                org_id: id,
                kind,
                hpke_public_key: key.public_key(),
                key_version: 1,
                valid_from: self.now - YEAR,
                valid_until: self.now + YEAR,
            },
            ORG_CERT_CONTEXT,
            &self.root,
        )
    }

    pub fn organisation(
        &self,
        id: OrgId,
        kind: OrgKind,
        name: &str,
        certificate: Signed,
    ) -> Organisation {
        Organisation {
            id,
            kind,
            names: BTreeMap::from([("en".to_string(), name.to_string())]),
            countries: vec!["QA".into(), "NP".into()],
            sectors: vec!["F".into()],
            languages: vec!["en".into(), "ne".into()],
            escrow_threshold: None,
            escrow_invites: false,
            certificate,
        }
    }

    /// The listing: union for everything in Qatar, inspectorate for Qatar's construction, NGO
    /// for forced labour anywhere.
    pub fn listing(&self, version: u64) -> Listing {
        Listing {
            format: LISTING_FORMAT,
            version,
            issued_at: self.now - 3600,
            expires_at: self.now + 7 * 24 * 3600,
            pow_difficulty: 8,
            organisations: vec![
                self.organisation(
                    self.union_id,
                    OrgKind::Union,
                    "Building Workers Union",
                    self.certificate(self.union_id, OrgKind::Union, &self.union_key),
                ),
                self.organisation(
                    self.inspectorate_id,
                    OrgKind::Inspectorate,
                    "Labour Inspectorate",
                    self.certificate(
                        self.inspectorate_id,
                        OrgKind::Inspectorate,
                        &self.inspectorate_key,
                    ),
                ),
                self.organisation(
                    self.ngo_id,
                    OrgKind::Ngo,
                    "Migrant Rights Centre",
                    self.certificate(self.ngo_id, OrgKind::Ngo, &self.ngo_key),
                ),
            ],
            rules: vec![
                RoutingRule {
                    id: "qa-construction".into(),
                    destination_countries: vec!["QA".into()],
                    sectors: vec![Sector::Construction],
                    kinds: vec![],
                    deliver_to: vec![self.union_id, self.inspectorate_id],
                    stop: false,
                },
                RoutingRule {
                    id: "qa-all".into(),
                    destination_countries: vec!["QA".into()],
                    sectors: vec![],
                    kinds: vec![],
                    deliver_to: vec![self.union_id],
                    stop: false,
                },
                RoutingRule {
                    id: "forced-labour".into(),
                    destination_countries: vec![],
                    sectors: vec![],
                    kinds: vec![ReportKind::forced_labour()],
                    deliver_to: vec![self.ngo_id],
                    stop: false,
                },
            ],
            revocations: None,
            oblivious: None,
        }
    }

    pub fn publish(&self, listing: &Listing) -> Vec<u8> {
        SignedDirectory::publish(listing, &self.relay, self.relay_certificate.clone()).to_json()
    }

    pub fn revocations(&self, revoked: Vec<RevokedKey>) -> Signed {
        Signed::sign(
            &RevocationList {
                serial: 1,
                issued_at: self.now - 60,
                revoked,
                relay_keys: Vec::new(),
            },
            REVOCATION_CONTEXT,
            &self.root,
        )
    }

    /// A complete, valid report in Nepali written by a construction worker in Qatar.
    pub fn report(&self, report_id: ReportId, reply_key: HpkePublicKey) -> Report {
        Report {
            schema: REPORT_SCHEMA_VERSION,
            report_id,
            language: "ne".into(),
            written_on: Some("2026-11-20".into()),
            fees: vec![RecruitmentFee {
                amount: Money {
                    amount_minor: 15_000_000,
                    currency: "NPR".into(),
                },
                paid_on: Some("2026-03".into()),
                payee: PayeeRole::SubAgent,
                stage: RecruitmentStage::Origin,
                category: CostCategory::RecruitmentServiceFee,
                receipt: Some(false),
            }],
            loans: vec![],
            deductions: vec![],
            job: JobComparison {
                promised: JobTerms {
                    title: Some("Electrician".into()),
                    monthly_wage: Some(Money {
                        amount_minor: 180_000,
                        currency: "QAR".into(),
                    }),
                    hours_per_week: Some(48),
                    employer: None,
                },
                actual: JobTerms {
                    title: Some("Labourer".into()),
                    monthly_wage: Some(Money {
                        amount_minor: 100_000,
                        currency: "QAR".into(),
                    }),
                    hours_per_week: Some(72),
                    employer: None,
                },
                written_contract: Some(true),
                contract_in_own_language: Some(false),
                contract_substituted: Some(true),
                visa_type: None,
            },
            indicators: vec![
                Indicator::RetentionOfIdentityDocuments,
                Indicator::WithholdingOfWages,
            ],
            recruiter: Some(NamedParty {
                name: "Sagarmatha Manpower Pvt. Ltd.".into(),
                licence_number: Some("1234/067/068".into()),
                country: Some("NP".into()),
            }),
            employer: Some(NamedParty {
                name: "Doha Build Co.".into(),
                licence_number: None,
                country: Some("QA".into()),
            }),
            origin_country: Some("NP".into()),
            destination_country: "QA".into(),
            sector: Some(Sector::Construction),
            monthly_wage: Some(Money {
                amount_minor: 100_000,
                currency: "QAR".into(),
            }),
            free_text: "कम्पनीले राहदानी राखेको छ। तीन महिनादेखि तलब पाएको छैन।".into(),
            attachments: vec![],
            consent: Consent {
                union: true,
                inspectorate: true,
                ngo: false,
                contact_wanted: true,
            },
            reply_key,
            withdrawal_hash: None,
            channel: None,
        }
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// Every vector, as `(valid, file stem, vector)`.
pub fn generate() -> Vec<(bool, String, Vector)> {
    let f = Fixture::new();
    let mut rng = DeterministicRng::new("workvoice vectors");
    let mut out: Vec<(bool, String, Vector)> = Vec::new();
    let mut push = |name: &str, v: Vector| {
        let valid = matches!(evaluate(&v), Ok(Expect::Ok { .. }));
        let mut v = v;
        let computed = evaluate(&v).unwrap_or(Expect::Error {
            error: "vector input error".into(),
        });
        set_expect(&mut v, computed);
        out.push((valid, name.to_string(), v));
    };
    let placeholder = || Expect::Error {
        error: String::new(),
    };

    // Padding.
    for len in [0usize, 252, 253, 1000, 4096, 65_536] {
        push(
            &format!("padding-{len}"),
            Vector::Padding {
                description: format!("{len} bytes of plaintext"),
                plain_len: len,
                expect: placeholder(),
            },
        );
    }

    // Proof-of-work.
    let sid = ReportId([7u8; 16]);
    let nonce = pow::solve_pow(&sid, 12).unwrap_or(0);
    push(
        "pow-solved",
        Vector::Pow {
            description: "a nonce meeting difficulty 12".into(),
            submission_id: sid,
            nonce,
            difficulty: 12,
            expect: placeholder(),
        },
    );
    let bad_nonce = (0..)
        .find(|n| pow::verify_pow(&sid, *n, 12).is_err())
        .unwrap_or(0);
    push(
        "pow-insufficient",
        Vector::Pow {
            description: "a nonce that does not meet difficulty 12".into(),
            submission_id: sid,
            nonce: bad_nonce,
            difficulty: 12,
            expect: placeholder(),
        },
    );
    push(
        "pow-difficulty-too-high",
        Vector::Pow {
            description: "difficulty above 32".into(),
            submission_id: sid,
            nonce,
            difficulty: 33,
            expect: placeholder(),
        },
    );

    // Report and its disclosure.
    let report_id = ReportId::random(&mut rng);
    let recovery = RecoveryCode::from_secret([0x42; 16]);
    let secrets = recovery.report_secrets(0);
    let report = f.report(report_id, secrets.reply_key.public_key());
    let tags = report.routing_tags();
    let consent = report.consent;
    push(
        "disclosure",
        Vector::Disclosure {
            description: "tags and consent of the fixture report".into(),
            tags: tags.clone(),
            consent,
            expect: placeholder(),
        },
    );

    // Envelope.
    let digest = disclosure_digest(&tags, &consent);
    let plaintext = report.encode();
    let recipients = [
        (f.union_id, f.union_key.public_key()),
        (f.inspectorate_id, f.inspectorate_key.public_key()),
    ];
    let env =
        envelope::seal(&plaintext, report_id, &recipients, &digest, &mut rng).unwrap_or_default();
    let key_hex = |k: &HpkePrivateKey| hex::encode(*k.to_bytes());
    let env_vector = |description: &str,
                      org: OrgId,
                      key: &HpkePrivateKey,
                      tags: &RoutingTags,
                      consent: Consent,
                      bytes: &[u8]| Vector::Envelope {
        description: description.into(),
        org_id: org,
        private_key: key_hex(key),
        tags: tags.clone(),
        consent,
        envelope: hex::encode(bytes),
        expect: Expect::Error {
            error: String::new(),
        },
    };
    // The binary submission body carrying this envelope (14.9).
    let submission = SubmissionRequest {
        submission_id: report_id,
        directory_version: 1,
        tags: tags.clone(),
        consent,
        mailbox_token_hash: mailbox_token_hash(&[0x24; 32]),
        pow_nonce: 0x0001_0203_0405_0607,
        envelope: env.clone(),
        attachments: vec![AttachmentDeclaration {
            id: crate::keys::AttachmentId([0x5a; 16]),
            size: 70_000,
            sha256: sha256(&[b"an attachment"]),
        }],
    };
    let body = submission.to_binary().unwrap_or_default();
    let body_vector = |description: &str, body: &[u8]| Vector::SubmissionBody {
        description: description.into(),
        body: hex::encode(body),
        expect: placeholder(),
    };
    push(
        "submission-binary",
        body_vector(
            "the fixture report's submission with one attachment, as a binary body",
            &body,
        ),
    );
    let mut bare = submission.clone();
    bare.tags.sector = None;
    bare.attachments.clear();
    bare.consent.inspectorate = false;
    push(
        "submission-binary-no-sector",
        body_vector(
            "no sector and no attachments",
            &bare.to_binary().unwrap_or_default(),
        ),
    );
    let mut v2 = body.clone();
    v2[0] = 2;
    push(
        "submission-binary-version-2",
        body_vector("a layout version this reader does not know", &v2),
    );
    push("submission-binary-empty", body_vector("an empty body", &[]));
    push(
        "submission-binary-cut-in-header",
        body_vector("cut inside the mailbox token hash", &body[..50]),
    );
    let envelope_len_at = body.len() - env.len() - 4;
    let mut long_envelope = body.clone();
    long_envelope[envelope_len_at] = 0x01;
    push(
        "submission-binary-envelope-length-past-end",
        body_vector(
            "an envelope length past the end of the body",
            &long_envelope,
        ),
    );
    let mut trailing = body.clone();
    trailing.push(0);
    push(
        "submission-binary-trailing-byte",
        body_vector("one byte after the envelope", &trailing),
    );
    let mut many = body.clone();
    many[envelope_len_at - 57] = 2;
    push(
        "submission-binary-attachment-count-past-end",
        body_vector("two attachments declared, one present", &many),
    );
    let flags_at = 1 + 16 + 8 + 8 + 32;
    let mut reserved = body.clone();
    reserved[flags_at] |= 0x20;
    push(
        "submission-binary-reserved-consent-bit",
        body_vector("consent bit 5 set", &reserved),
    );
    let mut latin = body.clone();
    latin[flags_at + 2] = 0xd1;
    push(
        "submission-binary-country-not-utf8",
        body_vector("a country byte that is not UTF-8", &latin),
    );

    push(
        "envelope-union",
        env_vector(
            "the union opens the report",
            f.union_id,
            &f.union_key,
            &tags,
            consent,
            &env,
        ),
    );
    push(
        "envelope-inspectorate",
        env_vector(
            "the inspectorate opens the same report",
            f.inspectorate_id,
            &f.inspectorate_key,
            &tags,
            consent,
            &env,
        ),
    );
    push(
        "envelope-not-a-recipient",
        env_vector(
            "the NGO is not a recipient",
            f.ngo_id,
            &f.ngo_key,
            &tags,
            consent,
            &env,
        ),
    );
    push(
        "envelope-wrong-key",
        env_vector(
            "the union's id with the NGO's key",
            f.union_id,
            &f.ngo_key,
            &tags,
            consent,
            &env,
        ),
    );
    let mut flipped = env.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    push(
        "envelope-flipped-tag",
        env_vector(
            "one bit of the tag flipped",
            f.union_id,
            &f.union_key,
            &tags,
            consent,
            &flipped,
        ),
    );
    let mut flipped_commit = env.clone();
    flipped_commit[30] ^= 0x80;
    push(
        "envelope-flipped-commitment",
        env_vector(
            "one bit of the key commitment flipped",
            f.union_id,
            &f.union_key,
            &tags,
            consent,
            &flipped_commit,
        ),
    );
    let no_inspectorate = Consent {
        inspectorate: false,
        ..consent
    };
    push(
        "envelope-consent-altered",
        env_vector(
            "the relay passes on a consent the worker did not give",
            f.union_id,
            &f.union_key,
            &tags,
            no_inspectorate,
            &env,
        ),
    );
    push(
        "envelope-truncated",
        env_vector(
            "cut in the middle of the recipient table",
            f.union_id,
            &f.union_key,
            &tags,
            consent,
            &env[..100],
        ),
    );
    let mut bad_version = env.clone();
    bad_version[4] = 2;
    push(
        "envelope-unsupported-version",
        env_vector(
            "format version 2",
            f.union_id,
            &f.union_key,
            &tags,
            consent,
            &bad_version,
        ),
    );
    let mut bad_magic = env.clone();
    bad_magic[0] = b'X';
    push(
        "envelope-bad-magic",
        env_vector(
            "not an envelope",
            f.union_id,
            &f.union_key,
            &tags,
            consent,
            &bad_magic,
        ),
    );
    let other =
        envelope::seal(b"{}", report_id, &recipients, &digest, &mut rng).unwrap_or_default();
    let header_len = envelope::EnvelopeHeader::parse(&env)
        .map(|h| h.header_len)
        .unwrap_or(0);
    let other_header_len = envelope::EnvelopeHeader::parse(&other)
        .map(|h| h.header_len)
        .unwrap_or(0);
    let mut swapped = other[..other_header_len - 4].to_vec();
    swapped.extend_from_slice(&env[header_len - 4..]);
    push(
        "envelope-swapped-header",
        env_vector(
            "another envelope's header on this ciphertext",
            f.union_id,
            &f.union_key,
            &tags,
            consent,
            &swapped,
        ),
    );

    // Reply.
    let body = ReplyBody {
        text: "We received your report. A caseworker will contact you.".into(),
        language: "en".into(),
        written_on: Some("2026-11-28".into()),
    };
    let sealed = seal_reply(
        &body,
        report_id,
        f.union_id,
        &f.union_key,
        &secrets.reply_key.public_key(),
        &mut rng,
    )
    .unwrap_or_default();
    let reply_vector = |description: &str, org_pk: HpkePublicKey, bytes: &[u8]| Vector::Reply {
        description: description.into(),
        reply_private_key: key_hex(&secrets.reply_key),
        org_public_key: org_pk,
        sealed: hex::encode(bytes),
        expect: Expect::Error {
            error: String::new(),
        },
    };
    push(
        "reply-from-union",
        reply_vector("a reply from the union", f.union_key.public_key(), &sealed),
    );
    push(
        "reply-wrong-sender",
        reply_vector(
            "checked against the NGO's key: not from it",
            f.ngo_key.public_key(),
            &sealed,
        ),
    );
    let mut tampered = sealed.clone();
    tampered[10] ^= 1;
    push(
        "reply-tampered-header",
        reply_vector("report id altered", f.union_key.public_key(), &tampered),
    );

    // Sealed statuses, from their own generator so that the vectors above keep their bytes.
    let mut status_rng = DeterministicRng::new("workvoice status vectors");
    let status_body = StatusBody {
        status: WorkerStatus::InReview,
        set_at: FIXTURE_NOW,
    };
    let sealed_status = seal_status(
        &status_body,
        report_id,
        f.union_id,
        &f.union_key,
        &secrets.reply_key.public_key(),
        &mut status_rng,
    )
    .unwrap_or_default();
    let status_vector = |description: &str, org_pk: HpkePublicKey, bytes: &[u8]| Vector::Status {
        description: description.into(),
        reply_private_key: key_hex(&secrets.reply_key),
        org_public_key: org_pk,
        sealed: hex::encode(bytes),
        expect: placeholder(),
    };
    push(
        "status-from-union",
        status_vector(
            "the union says the case is in review",
            f.union_key.public_key(),
            &sealed_status,
        ),
    );
    push(
        "status-wrong-sender",
        status_vector(
            "checked against the NGO's key: not from it",
            f.ngo_key.public_key(),
            &sealed_status,
        ),
    );
    // A relay (or a thief of the union's API token) writes a well-formed status for the union
    // with a key of its own: valid JSON inside, the wrong sender.
    let forger = HpkePrivateKey::derive(&[0x66; 32]);
    let forged = seal_status(
        &StatusBody {
            status: WorkerStatus::Closed,
            set_at: FIXTURE_NOW,
        },
        report_id,
        f.union_id,
        &forger,
        &secrets.reply_key.public_key(),
        &mut status_rng,
    )
    .unwrap_or_default();
    push(
        "status-forged",
        status_vector(
            "a well-formed 'closed' in the union's name, sealed with another key",
            f.union_key.public_key(),
            &forged,
        ),
    );
    let mut status_tampered = sealed_status.clone();
    status_tampered[25] ^= 1;
    push(
        "status-tampered-header",
        status_vector(
            "organisation id altered",
            f.union_key.public_key(),
            &status_tampered,
        ),
    );
    push(
        "status-is-not-a-reply",
        status_vector("a reply is not a status", f.union_key.public_key(), &sealed),
    );

    // Directory chain of trust.
    let listing = f.listing(5);
    let dir = |description: &str, served: Vec<u8>, now: u64, min_version: u64| Vector::Directory {
        description: description.into(),
        root_public_key: f.root.public_key(),
        now,
        min_version,
        min_revocation_serial: 0,
        directory: String::from_utf8_lossy(&served).into_owned(),
        expect: Expect::Error {
            error: String::new(),
        },
    };
    push(
        "directory-valid",
        dir(
            "a valid chain: root certifies relay and organisations",
            f.publish(&listing),
            f.now,
            5,
        ),
    );
    // RFC 9458 Appendix A's public key, in the gateway's one suite.
    let gateway_config = crate::oblivious::GatewayKeyConfig {
        key_id: 1,
        public_key: [
            0x31, 0xe1, 0xf0, 0x5a, 0x74, 0x01, 0x02, 0x11, 0x52, 0x20, 0xe9, 0xaf, 0x91, 0x8f,
            0x73, 0x86, 0x74, 0xae, 0xc9, 0x5f, 0x54, 0xdb, 0x6e, 0x04, 0xeb, 0x70, 0x5a, 0xae,
            0x8e, 0x79, 0x81, 0x55,
        ],
    };
    let mut with_gateway = listing.clone();
    with_gateway.oblivious = Some(crate::oblivious::ObliviousGateway {
        key_configs: vec![hex::encode(gateway_config.encode())],
        relays: vec!["https://ohttp.partner.example/workvoice".into()],
    });
    push(
        "directory-oblivious-gateway",
        dir(
            "the listing names the relay's Oblivious HTTP gateway key and an OHTTP relay",
            f.publish(&with_gateway),
            f.now,
            5,
        ),
    );
    let mut other_suite = with_gateway.clone();
    if let Some(section) = other_suite.oblivious.as_mut() {
        // RFC 9458 Appendix A's configuration: AES-128-GCM and ChaCha20-Poly1305.
        section.key_configs = vec![
            "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003"
                .into(),
        ];
    }
    push(
        "directory-oblivious-other-suite",
        dir(
            "a gateway key configuration of a suite the phone does not offer",
            f.publish(&other_suite),
            f.now,
            5,
        ),
    );
    let mut with_threshold = listing.clone();
    with_threshold.organisations[0].escrow_threshold = Some(5);
    push(
        "directory-escrow-threshold",
        dir(
            "an organisation whose escrowed reports open only once 5 workers report a recruiter",
            f.publish(&with_threshold),
            f.now,
            5,
        ),
    );
    let mut threshold_out_of_range = listing.clone();
    threshold_out_of_range.organisations[0].escrow_threshold = Some(1);
    push(
        "directory-escrow-threshold-out-of-range",
        dir(
            "an escrow threshold of 1, below the least (2)",
            f.publish(&threshold_out_of_range),
            f.now,
            5,
        ),
    );
    push(
        "directory-rollback",
        dir(
            "version 5 offered after version 6 was seen",
            f.publish(&listing),
            f.now,
            6,
        ),
    );
    push(
        "directory-expired",
        dir(
            "checked after its expiry",
            f.publish(&listing),
            listing.expires_at,
            0,
        ),
    );
    let mut tampered_dir: SignedDirectory = serde_json::from_slice(&f.publish(&listing))
        .unwrap_or_else(|_| {
            SignedDirectory::publish(&listing, &f.relay, f.relay_certificate.clone())
        });
    let mut evil = listing.clone();
    evil.pow_difficulty = 0;
    tampered_dir.listing.body = Signed::sign(&evil, b"x", &f.relay).body;
    push(
        "directory-tampered",
        dir(
            "listing changed after signing",
            tampered_dir.to_json(),
            f.now,
            0,
        ),
    );
    let other_root = SigningKey::generate(&mut rng);
    let rogue_relay_cert = Signed::sign(
        &RelayCertificate {
            relay_key: f.relay.public_key(),
            name: "rogue".into(),
            valid_from: 0,
            valid_until: u64::MAX,
        },
        RELAY_CERT_CONTEXT,
        &other_root,
    );
    push(
        "directory-relay-not-certified",
        dir(
            "relay key certified by another root",
            SignedDirectory::publish(&listing, &f.relay, rogue_relay_cert).to_json(),
            f.now,
            0,
        ),
    );
    // An organisation key the root never certified: the relay signs a certificate itself.
    let mut swapped_key = listing.clone();
    let relay_key_for_union = HpkePrivateKey::generate(&mut rng);
    swapped_key.organisations[0].certificate = Signed::sign(
        &OrgCertificate {
            org_id: f.union_id,
            kind: OrgKind::Union,
            hpke_public_key: relay_key_for_union.public_key(),
            key_version: 2,
            valid_from: 0,
            valid_until: u64::MAX,
        },
        ORG_CERT_CONTEXT,
        &f.relay,
    );
    swapped_key.version = 6;
    push(
        "directory-uncertified-org-key",
        dir(
            "the relay swaps in its own key for the union",
            f.publish(&swapped_key),
            f.now,
            5,
        ),
    );
    let mut expired_cert = listing.clone();
    expired_cert.organisations[1].certificate = Signed::sign(
        &OrgCertificate {
            org_id: f.inspectorate_id,
            kind: OrgKind::Inspectorate,
            hpke_public_key: f.inspectorate_key.public_key(),
            key_version: 1,
            valid_from: f.now - 2 * YEAR,
            valid_until: f.now - YEAR,
        },
        ORG_CERT_CONTEXT,
        &f.root,
    );
    push(
        "directory-expired-org-certificate",
        dir(
            "the inspectorate's certificate expired",
            f.publish(&expired_cert),
            f.now,
            0,
        ),
    );
    let mut revoked = listing.clone();
    revoked.revocations = Some(f.revocations(vec![RevokedKey {
        org_id: f.ngo_id,
        key_version: 1,
        hpke_public_key: f.ngo_key.public_key(),
    }]));
    push(
        "directory-revoked-org-key",
        dir(
            "the NGO's key is revoked by the root",
            f.publish(&revoked),
            f.now,
            0,
        ),
    );
    let pinned = |mut v: Vector, serial: u64| {
        if let Vector::Directory {
            min_revocation_serial,
            ..
        } = &mut v
        {
            *min_revocation_serial = serial;
        }
        v
    };
    push(
        "directory-revocations-pinned",
        pinned(
            dir(
                "the revocation list is the one already seen",
                f.publish(&revoked),
                f.now,
                0,
            ),
            1,
        ),
    );
    push(
        "directory-revocations-missing",
        pinned(
            dir(
                "a listing without its revocation list, after list 1 was seen",
                f.publish(&listing),
                f.now,
                0,
            ),
            1,
        ),
    );
    push(
        "directory-revocations-rollback",
        pinned(
            dir(
                "revocation list 1, after list 2 was seen",
                f.publish(&revoked),
                f.now,
                0,
            ),
            2,
        ),
    );
    let mut relay_revoked = listing.clone();
    relay_revoked.revocations = Some(Signed::sign(
        &RevocationList {
            serial: 2,
            issued_at: f.now - 60,
            revoked: Vec::new(),
            relay_keys: vec![f.relay.public_key()],
        },
        REVOCATION_CONTEXT,
        &f.root,
    ));
    push(
        "directory-relay-key-revoked",
        dir(
            "the root revoked the relay key that signed the listing",
            f.publish(&relay_revoked),
            f.now,
            0,
        ),
    );
    let mut mismatched = listing.clone();
    mismatched.organisations[2].certificate =
        f.certificate(f.ngo_id, OrgKind::Inspectorate, &f.ngo_key);
    push(
        "directory-certificate-kind-mismatch",
        dir(
            "the NGO listed with an inspectorate's certificate",
            f.publish(&mismatched),
            f.now,
            0,
        ),
    );

    // Routing.
    let routing = |description: &str, tags: RoutingTags, consent: Consent| Vector::Routing {
        description: description.into(),
        listing: listing.clone(),
        tags,
        consent,
        expect: Expect::Error {
            error: String::new(),
        },
    };
    push(
        "routing-union-and-inspectorate",
        routing("consent to union and inspectorate", tags.clone(), consent),
    );
    push(
        "routing-no-inspectorate-without-consent",
        routing(
            "no consent for the inspectorate",
            tags.clone(),
            no_inspectorate,
        ),
    );
    let elsewhere = RoutingTags {
        destination_country: "MY".into(),
        sector: None,
        kinds: [ReportKind::recruitment_fees()].into(),
    };
    push(
        "routing-no-match",
        routing("no rule covers Malaysia", elsewhere, consent),
    );
    let bad_tags = RoutingTags {
        destination_country: "ZZ".into(),
        ..tags.clone()
    };
    push(
        "routing-invalid-country",
        routing("not a country", bad_tags, consent),
    );

    // Partial delivery: the union and the inspectorate are chosen; the inspectorate's
    // certificate is expired (or about to expire) in some of these directories.
    let delivery =
        |description: &str, served: Vec<u8>, now: u64, sealed_to: Vec<OrgId>| Vector::Delivery {
            description: description.into(),
            root_public_key: f.root.public_key(),
            now,
            directory: String::from_utf8_lossy(&served).into_owned(),
            tags: tags.clone(),
            consent,
            sealed_to,
            expect: placeholder(),
        };
    push(
        "delivery-whole-route",
        delivery(
            "sealed to every recipient the rules choose",
            f.publish(&listing),
            f.now,
            vec![f.union_id, f.inspectorate_id],
        ),
    );
    push(
        "delivery-expired-recipient-left-out",
        delivery(
            "the inspectorate's certificate expired: the union alone receives the report",
            f.publish(&expired_cert),
            f.now,
            vec![f.union_id],
        ),
    );
    let mut expiring_cert = listing.clone();
    expiring_cert.organisations[1].certificate = Signed::sign(
        &OrgCertificate {
            org_id: f.inspectorate_id,
            kind: OrgKind::Inspectorate,
            hpke_public_key: f.inspectorate_key.public_key(),
            key_version: 1,
            valid_from: f.now - YEAR,
            valid_until: f.now + 300,
        },
        ORG_CERT_CONTEXT,
        &f.root,
    );
    push(
        "delivery-expiring-within-clock-skew",
        delivery(
            "the inspectorate's certificate expires in 5 minutes, within the clock skew: a phone \
             whose clock runs ahead may leave it out",
            f.publish(&expiring_cert),
            f.now,
            vec![f.union_id],
        ),
    );
    push(
        "delivery-trusted-recipient-left-out",
        delivery(
            "the inspectorate's key is trusted, yet it is left out",
            f.publish(&listing),
            f.now,
            vec![f.union_id],
        ),
    );
    push(
        "delivery-unrouted-recipient-added",
        delivery(
            "the NGO, which the worker did not consent to, is added",
            f.publish(&listing),
            f.now,
            vec![f.union_id, f.inspectorate_id, f.ngo_id],
        ),
    );
    push(
        "delivery-nobody",
        delivery(
            "sealed to nobody while the union's key is trusted",
            f.publish(&expired_cert),
            f.now,
            Vec::new(),
        ),
    );

    // Attachments (section 9): two segments of version 2, and version 1 of earlier releases.
    // A generator of their own, so that the vectors after them stay as they were.
    let mut attachment_rng = DeterministicRng::new("workvoice attachment vectors");
    let report_id = ReportId::random(&mut attachment_rng);
    let photo: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let attachment = |description: &str, entry: &crate::report::AttachmentRef, sealed: &[u8]| {
        Vector::Attachment {
            description: description.into(),
            report_id,
            entry: crate::report::AttachmentRef {
                sealed_size: sealed.len() as u64,
                sealed_sha256: sha256(&[sealed]),
                ..entry.clone()
            },
            sealed: hex::encode(sealed),
            expect: placeholder(),
        }
    };
    if let Ok((entry, sealed)) =
        crate::attachment::seal_attachment(&photo, "image/jpeg", report_id, &mut attachment_rng)
    {
        push(
            "attachment-segmented",
            attachment("version 2: 70 000 bytes in two segments", &entry, &sealed),
        );
        let segment = crate::attachment::SEGMENT_BYTES + crate::attachment::TAG_LEN;
        let header = crate::attachment::STREAM_HEADER_LEN;
        push(
            "attachment-last-segment-dropped",
            attachment(
                "the second (last) segment cut off; the entry rehashed",
                &entry,
                &sealed[..header + segment],
            ),
        );
        let mut swapped = sealed[..header].to_vec();
        swapped.extend_from_slice(&sealed[header + segment..]);
        swapped.extend_from_slice(&sealed[header..header + segment]);
        push(
            "attachment-segments-swapped",
            attachment(
                "the two segments in the other order; the entry's size adjusted",
                &crate::report::AttachmentRef {
                    size: entry.size,
                    ..entry.clone()
                },
                &swapped,
            ),
        );
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        push(
            "attachment-header-altered",
            attachment(
                "a report id byte flipped in the header; the entry rehashed",
                &entry,
                &flipped,
            ),
        );
    }
    if let Ok((entry, sealed)) = crate::attachment::seal_attachment_one_shot(
        &photo[..1000],
        "image/png",
        report_id,
        &mut attachment_rng,
    ) {
        push(
            "attachment-version-1",
            attachment(
                "version 1 of earlier releases: one AEAD call",
                &entry,
                &sealed,
            ),
        );
    }

    // Recovery.
    let text = recovery.to_text();
    push(
        "recovery-report-0",
        Vector::Recovery {
            description: "secrets of the first report".into(),
            code: text.clone(),
            index: 0,
            expect: placeholder(),
        },
    );
    push(
        "recovery-report-7",
        Vector::Recovery {
            description: "secrets of the eighth report, lower case, no dashes".into(),
            code: text.replace('-', "").to_lowercase(),
            index: 7,
            expect: placeholder(),
        },
    );
    let mut typo = text.clone().into_bytes();
    typo[0] = if typo[0] == b'2' { b'3' } else { b'2' };
    push(
        "recovery-typo",
        Vector::Recovery {
            description: "one character mistyped".into(),
            code: String::from_utf8_lossy(&typo).into_owned(),
            index: 0,
            expect: placeholder(),
        },
    );
    push(
        "recovery-short",
        Vector::Recovery {
            description: "too short".into(),
            code: text[..20].into(),
            index: 0,
            expect: placeholder(),
        },
    );

    // Report schema.
    push(
        "report-valid",
        Vector::Report {
            description: "the fixture report".into(),
            json: String::from_utf8_lossy(&plaintext).into_owned(),
            expect: placeholder(),
        },
    );
    let mut future: serde_json::Value = serde_json::from_slice(&plaintext).unwrap_or_default();
    future["schema"] = 3.into();
    future["field_from_the_future"] = serde_json::json!({"nested": [1, 2, 3]});
    future["fees"][0]["receipt_photo_hash"] = "abc".into();
    push(
        "report-newer-schema-unknown-fields",
        Vector::Report {
            description: "a newer phone's report with fields this version does not know".into(),
            json: future.to_string(),
            expect: placeholder(),
        },
    );
    // The channel (an optional member of schema 1): absent reads as the app (every vector
    // above), `sms` as SMS, a newer channel as `unknown` without making the report invalid,
    // anything but a string or null as a malformed report.
    let mut channel: serde_json::Value = serde_json::from_slice(&plaintext).unwrap_or_default();
    channel["channel"] = "sms".into();
    push(
        "report-channel-sms",
        Vector::Report {
            description: "sealed by the SMS channel from an SMS dialogue (channel: sms)".into(),
            json: channel.to_string(),
            expect: placeholder(),
        },
    );
    channel["channel"] = "voice_line".into();
    push(
        "report-channel-newer",
        Vector::Report {
            description: "a channel newer than this version: read as unknown, still valid".into(),
            json: channel.to_string(),
            expect: placeholder(),
        },
    );
    channel["channel"] = 2.into();
    push(
        "report-channel-not-a-string",
        Vector::Report {
            description: "a channel that is not a string".into(),
            json: channel.to_string(),
            expect: placeholder(),
        },
    );
    let mut unknown_enum: serde_json::Value =
        serde_json::from_slice(&plaintext).unwrap_or_default();
    unknown_enum["fees"][0]["payee"] = "crypto_broker".into();
    push(
        "report-unknown-enum-value",
        Vector::Report {
            description:
                "an enumeration value from a newer version decodes and is reported as unknown"
                    .into(),
            json: unknown_enum.to_string(),
            expect: placeholder(),
        },
    );
    let mut bad: serde_json::Value = serde_json::from_slice(&plaintext).unwrap_or_default();
    bad["destination_country"] = "XQ".into();
    bad["fees"][0]["amount"]["currency"] = "RUPEES".into();
    bad["written_on"] = "2026-02-30".into();
    push(
        "report-invalid-fields",
        Vector::Report {
            description: "invalid country, currency and date".into(),
            json: bad.to_string(),
            expect: placeholder(),
        },
    );
    let mut employer: serde_json::Value = serde_json::from_slice(&plaintext).unwrap_or_default();
    employer["job"]["promised"]["employer"] = "Al Rayyan Facilities Management".into();
    employer["job"]["actual"]["employer"] = "Doha Build Co.".into();
    push(
        "report-job-employer",
        Vector::Report {
            description: "the employer promised against the employer found (job.*.employer)".into(),
            json: employer.to_string(),
            expect: placeholder(),
        },
    );
    employer["job"]["promised"]["employer"] = "E".repeat(201).into();
    push(
        "report-job-employer-too-long",
        Vector::Report {
            description: "a promised employer longer than 200 characters".into(),
            json: employer.to_string(),
            expect: placeholder(),
        },
    );
    let mut visa: serde_json::Value = serde_json::from_slice(&plaintext).unwrap_or_default();
    visa["job"]["visa_type"] = "visit".into();
    push(
        "report-job-visa",
        Vector::Report {
            description: "the visa she travelled on (job.visa_type): a visit visa for work".into(),
            json: visa.to_string(),
            expect: placeholder(),
        },
    );
    visa["job"]["visa_type"] = "tourist_of_the_year".into();
    push(
        "report-job-visa-unknown",
        Vector::Report {
            description: "a visa type the schema does not define".into(),
            json: visa.to_string(),
            expect: placeholder(),
        },
    );
    push(
        "report-not-json",
        Vector::Report {
            description: "not JSON".into(),
            json: "{\"schema\":1,".into(),
            expect: placeholder(),
        },
    );
    out
}

fn set_expect(v: &mut Vector, e: Expect) {
    *v.expect_mut() = e;
}
