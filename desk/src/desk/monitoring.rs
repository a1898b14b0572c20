//! Key monitoring: the directory verified against the root key and the desk's pins, its
//! certificate checked byte for byte, alarms raised and cleared.

use workvoice_proto::ErrorCode;
use workvoice_proto::directory::{
    KeyTrust, OrgCertificate, Signed, VerifiedDirectory, verify_directory_pinned,
};
use workvoice_proto::keys::{OrgId, SigningPublicKey};

use crate::error::{DeskError, Result};
use crate::store::EnrolmentRow;

use crate::store::Alarm;

use super::{Desk, fingerprint};

impl Desk {
    /// The key-monitoring alarms not cleared yet.
    pub async fn active_alarms(&self) -> Result<Vec<Alarm>> {
        self.inner.store.active_alarms().await
    }

    /// The highest directory version this desk has verified (0 before the first).
    pub async fn directory_version(&self) -> Result<u64> {
        self.inner.store.directory_version().await
    }

    /// The directory verified at the last sync or referral, if any.
    pub fn cached_directory(&self) -> Option<VerifiedDirectory> {
        match self.inner.directory.read() {
            Ok(d) => d.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    pub(super) async fn fetch_directory(
        &self,
        client: &crate::relay::RelayClient,
        root: &SigningPublicKey,
    ) -> Result<std::result::Result<VerifiedDirectory, workvoice_proto::directory::DirectoryError>>
    {
        let bytes = client.directory().await?;
        let mut pins = self.inner.store.directory_pins().await?;
        let verified = verify_directory_pinned(&bytes, root, self.now(), &pins);
        if let Ok(dir) = &verified {
            pins.remember(dir);
            self.inner.store.raise_directory_pins(&pins).await?;
            match self.inner.directory.write() {
                Ok(mut d) => *d = Some(dir.clone()),
                Err(p) => *p.into_inner() = Some(dir.clone()),
            }
        }
        Ok(verified)
    }

    /// Key monitoring: the directory must verify and carry this desk's certificate byte for
    /// byte, certified and not revoked. Anything else raises an alarm.
    pub(super) async fn monitor_directory(
        &self,
        client: &crate::relay::RelayClient,
        row: &EnrolmentRow,
        org_id: OrgId,
        root: &SigningPublicKey,
    ) -> Result<Option<u64>> {
        let store = &self.inner.store;
        let dir = match self.fetch_directory(client, root).await? {
            Ok(dir) => dir,
            Err(e) => {
                tracing::error!(
                    code = e.code(),
                    "the relay's directory does not verify: {e}"
                );
                use workvoice_proto::directory::DirectoryError as E;
                let pinned = match e {
                    E::Rollback { .. }
                    | E::RevocationsMissing { .. }
                    | E::RevocationsRollback { .. }
                    | E::RelayKeyRevoked => {
                        " It goes back on what this desk already verified (its directory pins), \
                         as a relay hiding a revocation would."
                    }
                    _ => "",
                };
                store
                    .raise_alarm(
                        "directory_invalid",
                        &format!(
                            "The directory served by the relay is not valid: {e} ({}).{pinned}",
                            e.code()
                        ),
                    )
                    .await?;
                return Ok(None);
            }
        };
        let version = dir.listing.version;
        let Some(org) = dir.listing.organisation(&org_id) else {
            tracing::error!("the directory (version {version}) does not list this organisation");
            store
                .raise_alarm(
                    "certificate_missing",
                    &format!(
                        "Directory version {version} does not list this organisation ({org_id})."
                    ),
                )
                .await?;
            return Ok(Some(version));
        };
        if org.certificate.body != row.certificate_body
            || org.certificate.signature != row.certificate_signature
        {
            let stored: Option<OrgCertificate> = Signed {
                body: row.certificate_body.clone(),
                signature: row.certificate_signature.clone(),
            }
            .peek()
            .ok();
            let served: Option<OrgCertificate> = org.certificate.peek().ok();
            let describe = |c: Option<OrgCertificate>| match c {
                Some(c) => format!(
                    "key {} (key version {})",
                    fingerprint(&c.hpke_public_key),
                    c.key_version
                ),
                None => "an unreadable certificate".to_string(),
            };
            let detail = format!(
                "Directory version {version} carries {} for this organisation instead of the \
                 enrolled {}.",
                describe(served),
                describe(stored)
            );
            tracing::error!("{detail}");
            store.raise_alarm("certificate_changed", &detail).await?;
            return Ok(Some(version));
        }
        if let Some(KeyTrust::Untrusted { reason }) = dir.trust.get(&org_id) {
            let detail = format!(
                "Directory version {version} carries this organisation's certificate, but it is \
                 not trusted: {}.",
                reason.code()
            );
            tracing::error!("{detail}");
            store.raise_alarm(reason.code(), &detail).await?;
        }
        Ok(Some(version))
    }

    /// Clear the key-monitoring alarms after an operator reviewed them.
    pub async fn clear_alarms(&self, by: &str, note: &str) -> Result<u64> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 2000 {
            return Err(DeskError::InvalidInput(
                "say in 1 to 2000 characters what was reviewed".into(),
            ));
        }
        let n = self.inner.store.clear_alarms(by, note).await?;
        tracing::warn!(
            by,
            cleared = n,
            "key-monitoring alarms cleared after review"
        );
        Ok(n)
    }
}
