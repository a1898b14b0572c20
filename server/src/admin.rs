//! Organisation, key and directory administration, shared by the `workvoice-relay` commands
//! and [`crate::testing`].

use workvoice_proto::ErrorCode;
use workvoice_proto::directory::{
    LISTING_FORMAT, Listing, ORG_CERT_CONTEXT, OrgCertificate, OrgKind, RELAY_CERT_CONTEXT,
    REVOCATION_CONTEXT, RelayCertificate, RevocationList, Signed, SignedDirectory,
};
use workvoice_proto::keys::{OrgId, SigningKey, SigningPublicKey};
use workvoice_proto::routing::RoutingRule;
use workvoice_proto::system_rng::SystemRng;

use crate::domain::{ApiToken, OrgProfile, parse_kind};
use crate::storage::{Storage, StorageError, StoredDirectory};

pub const SETTING_RULES: &str = "rules";
pub const SETTING_REVOCATIONS: &str = "revocations";
pub const SETTING_RELAY_CERTIFICATE: &str = "relay_certificate";
/// The Oblivious HTTP section the next directory lists (`oblivious.rs`).
pub const SETTING_OBLIVIOUS: &str = "oblivious_gateway";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no organisation {0}")]
    UnknownOrganisation(OrgId),
    #[error("organisation {0} exists already")]
    DuplicateOrganisation(OrgId),
    #[error("the configuration has no root_public_key; certificates cannot be checked")]
    NoRootKey,
    #[error("the certificate does not verify under the configured root key")]
    BadSignature,
    #[error("the certificate is for {0}, not for this {1}")]
    Mismatch(String, String),
    #[error("the certificate is not valid now (valid {from} to {until}, now {now})")]
    NotValidNow { from: u64, until: u64, now: u64 },
    #[error("the certificate's key version {new} does not follow the current {current}")]
    KeyVersion { new: u32, current: u32 },
    #[error("no relay certificate is set: run `workvoice-relay relay-certificate set FILE`")]
    NoRelayCertificate,
    #[error("the revocation list's serial {new} is not above the current {current}")]
    RevocationSerial { new: u64, current: u64 },
    #[error("the directory would be inconsistent: {0}")]
    Inconsistent(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("invalid input: {0}")]
    Invalid(String),
}

fn corrupt(e: impl std::fmt::Display) -> AdminError {
    AdminError::Corrupt(e.to_string())
}

/// An organisation to register.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    /// Chosen at random when `None`.
    pub id: Option<OrgId>,
    pub kind: OrgKind,
    pub profile: OrgProfile,
}

/// Register an organisation; returns its id and its API token (shown once, stored hashed).
pub async fn add_organisation(
    storage: &Storage,
    new: &NewOrganisation,
    now: u64,
) -> Result<(OrgId, ApiToken), AdminError> {
    if new.kind == OrgKind::Unknown {
        return Err(AdminError::Invalid(
            "kind must be union, inspectorate or ngo".into(),
        ));
    }
    if !new.profile.names.contains_key("en") {
        return Err(AdminError::Invalid(
            "an English name (en) is required".into(),
        ));
    }
    if let Some(k) = new.profile.escrow_threshold {
        check_threshold(k)?;
    }
    if let Some(c) = new
        .profile
        .countries
        .iter()
        .find(|c| !workvoice_proto::iso::is_country(c))
    {
        return Err(AdminError::Invalid(format!(
            "country {c:?} is not ISO 3166-1 alpha-2"
        )));
    }
    let mut rng = SystemRng::new();
    let id = new.id.unwrap_or_else(|| OrgId::random(&mut rng));
    let token = ApiToken::generate(&mut rng);
    let profile = serde_json::to_string(&new.profile).map_err(corrupt)?;
    if !storage
        .insert_organisation(&id, new.kind.as_str(), &profile, &token.hash(), now)
        .await?
    {
        return Err(AdminError::DuplicateOrganisation(id));
    }
    Ok((id, token))
}

/// Change an organisation's reporting escrow settings (PROTOCOL.md 18.1, 18.12): its threshold
/// `k` and whether its escrow routes need tokens issued against its invites. They reach phones
/// with the next directory version. Returns the profile as stored.
pub async fn set_escrow(
    storage: &Storage,
    id: &OrgId,
    threshold: Option<u8>,
    invites: Option<bool>,
) -> Result<OrgProfile, AdminError> {
    let org = storage
        .organisation(id)
        .await?
        .ok_or(AdminError::UnknownOrganisation(*id))?;
    let mut profile: OrgProfile = serde_json::from_str(&org.profile).map_err(corrupt)?;
    if let Some(k) = threshold {
        check_threshold(k)?;
        profile.escrow_threshold = Some(k);
    }
    if let Some(on) = invites {
        profile.escrow_invites = on;
    }
    let text = serde_json::to_string(&profile).map_err(corrupt)?;
    if !storage.update_organisation_profile(id, &text).await? {
        return Err(AdminError::UnknownOrganisation(*id));
    }
    Ok(profile)
}

fn check_threshold(k: u8) -> Result<(), AdminError> {
    use workvoice_proto::escrow::{MAX_THRESHOLD, MIN_THRESHOLD};
    if (MIN_THRESHOLD..=MAX_THRESHOLD).contains(&k) {
        Ok(())
    } else {
        Err(AdminError::Invalid(format!(
            "an escrow threshold of {k}: it must be {MIN_THRESHOLD} to {MAX_THRESHOLD}"
        )))
    }
}

/// Replace an organisation's API token; the old one stops working at once.
pub async fn rotate_token(storage: &Storage, id: &OrgId) -> Result<ApiToken, AdminError> {
    let token = ApiToken::generate(&mut SystemRng::new());
    if !storage.set_organisation_token(id, &token.hash()).await? {
        return Err(AdminError::UnknownOrganisation(*id));
    }
    Ok(token)
}

/// Set (or rotate to) a root-signed key certificate for an organisation. It must verify under
/// `root`, name this organisation and its kind, be valid at `now`, and not go back in key
/// version.
pub async fn set_certificate(
    storage: &Storage,
    root: Option<&SigningPublicKey>,
    id: &OrgId,
    certificate: &Signed,
    now: u64,
) -> Result<OrgCertificate, AdminError> {
    let root = root.ok_or(AdminError::NoRootKey)?;
    let org = storage
        .organisation(id)
        .await?
        .ok_or(AdminError::UnknownOrganisation(*id))?;
    let cert: OrgCertificate = certificate
        .verify(ORG_CERT_CONTEXT, root)
        .map_err(|_| AdminError::BadSignature)?;
    if cert.org_id != *id {
        return Err(AdminError::Mismatch(
            format!("organisation {}", cert.org_id),
            format!("organisation {id}"),
        ));
    }
    if cert.kind.as_str() != org.kind {
        return Err(AdminError::Mismatch(
            format!("kind {}", cert.kind.as_str()),
            format!("kind {}", org.kind),
        ));
    }
    if now < cert.valid_from || now >= cert.valid_until {
        return Err(AdminError::NotValidNow {
            from: cert.valid_from,
            until: cert.valid_until,
            now,
        });
    }
    if let Some(current) = &org.certificate {
        let current: Signed = serde_json::from_str(current).map_err(corrupt)?;
        if let Ok(current) = current.peek::<OrgCertificate>()
            && cert.key_version < current.key_version
        {
            return Err(AdminError::KeyVersion {
                new: cert.key_version,
                current: current.key_version,
            });
        }
    }
    let text = serde_json::to_string(certificate).map_err(corrupt)?;
    storage.set_organisation_certificate(id, &text).await?;
    Ok(cert)
}

/// The organisations that can be listed (those with a certificate), as the directory shows them.
pub async fn listed_organisations(
    storage: &Storage,
) -> Result<Vec<workvoice_proto::directory::Organisation>, AdminError> {
    let mut out = Vec::new();
    for org in storage.organisations().await? {
        let Some(cert) = &org.certificate else {
            continue;
        };
        let cert: Signed = serde_json::from_str(cert).map_err(corrupt)?;
        let profile: OrgProfile = serde_json::from_str(&org.profile).map_err(corrupt)?;
        let kind = parse_kind(&org.kind).ok_or_else(|| corrupt(&org.kind))?;
        out.push(profile.organisation(org.id, kind, cert));
    }
    Ok(out)
}

/// The Oblivious HTTP section the next directory will list, if the relay has set one.
pub async fn oblivious_gateway(
    storage: &Storage,
) -> Result<Option<workvoice_proto::oblivious::ObliviousGateway>, AdminError> {
    match storage.setting(SETTING_OBLIVIOUS).await? {
        Some(text) => Ok(Some(serde_json::from_str(&text).map_err(corrupt)?)),
        None => Ok(None),
    }
}

/// Set the Oblivious HTTP section of the next directories, after checking it.
pub async fn set_oblivious_gateway(
    storage: &Storage,
    section: &workvoice_proto::oblivious::ObliviousGateway,
) -> Result<(), AdminError> {
    section.check().map_err(AdminError::Inconsistent)?;
    let text = serde_json::to_string(section).map_err(corrupt)?;
    storage.set_setting(SETTING_OBLIVIOUS, &text).await?;
    Ok(())
}

/// Replace the routing rules, after checking them against the listed organisations.
pub async fn set_rules(storage: &Storage, rules: Vec<RoutingRule>) -> Result<(), AdminError> {
    let listing = Listing {
        format: LISTING_FORMAT,
        version: 0,
        issued_at: 0,
        expires_at: 0,
        pow_difficulty: 0,
        organisations: listed_organisations(storage).await?,
        rules,
        revocations: None,
        oblivious: None,
    };
    listing
        .check()
        .map_err(|e| AdminError::Inconsistent(format!("{} ({})", e, e.code())))?;
    let text = serde_json::to_string(&listing.rules).map_err(corrupt)?;
    storage.set_setting(SETTING_RULES, &text).await?;
    Ok(())
}

pub async fn rules(storage: &Storage) -> Result<Vec<RoutingRule>, AdminError> {
    match storage.setting(SETTING_RULES).await? {
        Some(text) => serde_json::from_str(&text).map_err(corrupt),
        None => Ok(Vec::new()),
    }
}

/// Set the root-signed revocation list carried in every directory from now on.
pub async fn set_revocations(
    storage: &Storage,
    root: Option<&SigningPublicKey>,
    list: &Signed,
) -> Result<RevocationList, AdminError> {
    let root = root.ok_or(AdminError::NoRootKey)?;
    let parsed: RevocationList = list
        .verify(REVOCATION_CONTEXT, root)
        .map_err(|_| AdminError::BadSignature)?;
    if let Some(current) = storage.setting(SETTING_REVOCATIONS).await? {
        let current: Signed = serde_json::from_str(&current).map_err(corrupt)?;
        let current: RevocationList = current.peek().map_err(corrupt)?;
        if parsed.serial <= current.serial {
            return Err(AdminError::RevocationSerial {
                new: parsed.serial,
                current: current.serial,
            });
        }
    }
    let text = serde_json::to_string(list).map_err(corrupt)?;
    storage.set_setting(SETTING_REVOCATIONS, &text).await?;
    Ok(parsed)
}

/// Set the root's certificate of this relay's directory key.
pub async fn set_relay_certificate(
    storage: &Storage,
    root: Option<&SigningPublicKey>,
    relay_key: &SigningPublicKey,
    certificate: &Signed,
    now: u64,
) -> Result<RelayCertificate, AdminError> {
    let root = root.ok_or(AdminError::NoRootKey)?;
    let cert: RelayCertificate = certificate
        .verify(RELAY_CERT_CONTEXT, root)
        .map_err(|_| AdminError::BadSignature)?;
    if cert.relay_key != *relay_key {
        return Err(AdminError::Mismatch(
            format!("relay key {}", cert.relay_key),
            format!("relay key {relay_key}"),
        ));
    }
    if now < cert.valid_from || now >= cert.valid_until {
        return Err(AdminError::NotValidNow {
            from: cert.valid_from,
            until: cert.valid_until,
            now,
        });
    }
    let text = serde_json::to_string(certificate).map_err(corrupt)?;
    storage
        .set_setting(SETTING_RELAY_CERTIFICATE, &text)
        .await?;
    Ok(cert)
}

/// Publication parameters.
#[derive(Debug, Clone, Copy)]
pub struct PublishOptions {
    pub now: u64,
    pub ttl_secs: u64,
    pub pow_difficulty: u8,
}

/// Build, sign and store the next directory version: every certified organisation, the rules
/// and the revocation list, signed with the relay key.
pub async fn publish_directory(
    storage: &Storage,
    relay_key: &SigningKey,
    options: PublishOptions,
) -> Result<Listing, AdminError> {
    let relay_certificate: Signed = match storage.setting(SETTING_RELAY_CERTIFICATE).await? {
        Some(text) => serde_json::from_str(&text).map_err(corrupt)?,
        None => return Err(AdminError::NoRelayCertificate),
    };
    let relay_cert: RelayCertificate = relay_certificate.peek().map_err(corrupt)?;
    if relay_cert.relay_key != relay_key.public_key() {
        return Err(AdminError::Mismatch(
            format!("relay key {}", relay_cert.relay_key),
            format!("relay key {}", relay_key.public_key()),
        ));
    }
    let revocations = match storage.setting(SETTING_REVOCATIONS).await? {
        Some(text) => Some(serde_json::from_str::<Signed>(&text).map_err(corrupt)?),
        None => None,
    };
    let organisations = listed_organisations(storage).await?;
    let rules = rules(storage).await?;
    let oblivious = oblivious_gateway(storage).await?;
    for _attempt in 0..5 {
        let version = storage.latest_directory_version().await?.unwrap_or(0) + 1;
        let listing = Listing {
            format: LISTING_FORMAT,
            version,
            issued_at: options.now,
            expires_at: options.now + options.ttl_secs,
            pow_difficulty: options.pow_difficulty,
            organisations: organisations.clone(),
            rules: rules.clone(),
            revocations: revocations.clone(),
            oblivious: oblivious.clone(),
        };
        listing
            .check()
            .map_err(|e| AdminError::Inconsistent(e.to_string()))?;
        let signed = SignedDirectory::publish(&listing, relay_key, relay_certificate.clone());
        let served = String::from_utf8(signed.to_json()).map_err(corrupt)?;
        let stored = StoredDirectory {
            version,
            issued_at: listing.issued_at,
            expires_at: listing.expires_at,
            listing: serde_json::to_string(&listing).map_err(corrupt)?,
            served,
        };
        if storage.insert_directory(&stored).await? {
            return Ok(listing);
        }
    }
    Err(AdminError::Inconsistent(
        "another relay kept publishing the same version".into(),
    ))
}
