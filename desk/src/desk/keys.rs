//! The desk's keys: the keyring (every version, newest first), rotation, enrolment with a
//! relay and the certificate of the key in use.

use workvoice_proto::directory::{ORG_CERT_CONTEXT, OrgCertificate, Signed};
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey, OrgId, SigningPublicKey};
use workvoice_proto::system_rng::SystemRng;
use zeroize::Zeroizing;

use crate::error::{DeskError, Result};
use crate::store::{self, EnrolmentRow, KeyRow};

use super::{Desk, fingerprint};

pub(super) const API_TOKEN_LABEL: &str = "workvoice-desk/v1/api-token";

pub(super) fn key_label(version: u32) -> String {
    format!("workvoice-desk/v1/org-key/{version}")
}

/// What the relay operator and the root key holder need to register this desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub version: u32,
    pub public_key: HpkePublicKey,
    pub fingerprint: String,
}

/// What `enrol` stores.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub relay_url: String,
    pub org_id: OrgId,
    pub api_token: String,
    pub root_public_key: SigningPublicKey,
    /// The root-signed `OrgCertificate` of this desk's key, exactly as the directory carries it.
    pub certificate: Signed,
}

pub(super) fn enrolment_ids(row: &EnrolmentRow) -> Result<(OrgId, SigningPublicKey)> {
    let org = OrgId::from_hex(&row.org_id).ok_or(DeskError::CorruptSecret)?;
    let root = SigningPublicKey::from_hex(&row.root_public_key).ok_or(DeskError::CorruptSecret)?;
    Ok((org, root))
}

impl Desk {
    /// Every key version held, newest first.
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.keyring()
            .iter()
            .map(|(version, key)| KeyInfo {
                version: *version,
                public_key: key.public_key(),
                fingerprint: fingerprint(&key.public_key()),
            })
            .collect()
    }

    pub(super) fn keyring(&self) -> Vec<(u32, HpkePrivateKey)> {
        match self.inner.keyring.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Make a new key pair; older ones stay to open envelopes sealed to them. The new key is
    /// used once a certificate for it is installed (`install_certificate`).
    pub async fn rotate_key(&self) -> Result<KeyInfo> {
        let mut rng = SystemRng::new();
        let version = self.keys().first().map_or(1, |k| k.version + 1);
        let key = HpkePrivateKey::generate(&mut rng);
        let row = KeyRow {
            version,
            public_key: key.public_key().to_hex(),
            sealed_private_key: self.inner.master.seal(
                &key_label(version),
                key.to_bytes().as_ref(),
                &mut rng,
            ),
            created_at: store::now(),
        };
        self.inner.store.add_key(&row).await?;
        let info = KeyInfo {
            version,
            public_key: key.public_key(),
            fingerprint: fingerprint(&key.public_key()),
        };
        match self.inner.keyring.write() {
            Ok(mut k) => k.insert(0, (version, key)),
            Err(poisoned) => poisoned.into_inner().insert(0, (version, key)),
        }
        Ok(info)
    }

    /// Check a root-signed certificate: it names `org_id` and a key this desk holds.
    pub(super) fn check_certificate(
        &self,
        certificate: &Signed,
        org_id: OrgId,
        root: &SigningPublicKey,
    ) -> Result<OrgCertificate> {
        let cert: OrgCertificate = certificate.verify(ORG_CERT_CONTEXT, root).map_err(|e| {
            DeskError::InvalidEnrolment(format!("the certificate does not verify: {e}"))
        })?;
        if cert.org_id != org_id {
            return Err(DeskError::InvalidEnrolment(format!(
                "the certificate is for organisation {}, not {org_id}",
                cert.org_id
            )));
        }
        if !self
            .keys()
            .iter()
            .any(|k| k.public_key == cert.hpke_public_key)
        {
            return Err(DeskError::InvalidEnrolment(format!(
                "the certificate certifies key {}, which this desk does not hold",
                fingerprint(&cert.hpke_public_key)
            )));
        }
        let now = self.now();
        if now < cert.valid_from || now >= cert.valid_until {
            return Err(DeskError::InvalidEnrolment(
                "the certificate is not valid at this time".into(),
            ));
        }
        Ok(cert)
    }

    /// Store the relay URL, organisation id, API token (sealed), root key and certificate.
    pub async fn enrol(&self, enrolment: Enrolment) -> Result<()> {
        let url = enrolment.relay_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(DeskError::InvalidEnrolment(
                "the relay URL must start with https:// (or http:// for a local relay)".into(),
            ));
        }
        if enrolment.api_token.trim().is_empty() {
            return Err(DeskError::InvalidEnrolment("the API token is empty".into()));
        }
        self.check_certificate(
            &enrolment.certificate,
            enrolment.org_id,
            &enrolment.root_public_key,
        )?;
        let mut rng = SystemRng::new();
        self.inner
            .store
            .set_enrolment(&EnrolmentRow {
                relay_url: url.to_string(),
                org_id: enrolment.org_id.to_hex(),
                sealed_api_token: self.inner.master.seal(
                    API_TOKEN_LABEL,
                    enrolment.api_token.trim().as_bytes(),
                    &mut rng,
                ),
                root_public_key: enrolment.root_public_key.to_hex(),
                certificate_body: enrolment.certificate.body,
                certificate_signature: enrolment.certificate.signature,
                enrolled_at: store::now(),
            })
            .await
    }

    /// Replace the stored certificate (after a key rotation the root certified).
    pub async fn install_certificate(&self, certificate: Signed) -> Result<OrgCertificate> {
        let mut row = self
            .inner
            .store
            .enrolment()
            .await?
            .ok_or(DeskError::NotEnrolled)?;
        let (org_id, root) = enrolment_ids(&row)?;
        let cert = self.check_certificate(&certificate, org_id, &root)?;
        row.certificate_body = certificate.body;
        row.certificate_signature = certificate.signature;
        self.inner.store.set_enrolment(&row).await?;
        Ok(cert)
    }

    pub async fn org_id(&self) -> Result<OrgId> {
        let row = self
            .inner
            .store
            .enrolment()
            .await?
            .ok_or(DeskError::NotEnrolled)?;
        Ok(enrolment_ids(&row)?.0)
    }

    pub(super) async fn enrolled(&self) -> Result<(EnrolmentRow, OrgId, SigningPublicKey)> {
        let row = self
            .inner
            .store
            .enrolment()
            .await?
            .ok_or(DeskError::NotEnrolled)?;
        let (org, root) = enrolment_ids(&row)?;
        Ok((row, org, root))
    }

    pub(super) fn client(&self, row: &EnrolmentRow) -> Result<crate::relay::RelayClient> {
        let token = self
            .inner
            .master
            .open(API_TOKEN_LABEL, &row.sealed_api_token)?;
        let token = Zeroizing::new(
            String::from_utf8(token.to_vec()).map_err(|_| DeskError::CorruptSecret)?,
        );
        crate::relay::RelayClient::new(&row.relay_url, token)
    }

    /// The private key the stored certificate certifies: the one replies are sealed with.
    pub(super) fn certified_key(&self, row: &EnrolmentRow) -> Result<HpkePrivateKey> {
        let cert: OrgCertificate = Signed {
            body: row.certificate_body.clone(),
            signature: row.certificate_signature.clone(),
        }
        .peek()
        .map_err(|_| DeskError::CorruptSecret)?;
        self.keyring()
            .into_iter()
            .find(|(_, k)| k.public_key() == cert.hpke_public_key)
            .map(|(_, k)| k)
            .ok_or_else(|| DeskError::InvalidEnrolment("the certified key is not held".into()))
    }
}
