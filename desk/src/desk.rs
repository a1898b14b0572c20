//! The desk as a library: create or unlock it, enrol it with a relay, rotate its key, sync its
//! inbox, act on cases, serve the web UI. The CLI (`main.rs`) and the demo call only this.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use workvoice_proto::ErrorCode;
use workvoice_proto::api::{InboxEntry, PostReply, Referral, StatusChange, WorkerStatus};
use workvoice_proto::directory::{
    KeyTrust, ORG_CERT_CONTEXT, OrgCertificate, OrgKind, Signed, VerifiedDirectory,
    verify_directory_pinned,
};
use workvoice_proto::envelope::{self, EnvelopeError};
use workvoice_proto::keys::{
    AttachmentId, HpkePrivateKey, HpkePublicKey, OrgId, ReportId, SigningPublicKey, sha256,
};
use workvoice_proto::reply::{ReplyBody, seal_reply};
use workvoice_proto::report::Report;
use workvoice_proto::routing::{Consent, RoutingTags, disclosure_digest};
use workvoice_proto::system_rng::SystemRng;
use zeroize::Zeroizing;

use crate::at_rest::{self, UnlockFile};
use crate::cases::{CaseStatus, NewCase};
use crate::error::{DeskError, Result};
use crate::secrets::{KdfParams, MasterKey, Passphrase, hash_password};
use crate::store::{
    self, CaseRecord, EnrolmentRow, KeyRow, Store, Stored, StoredAttachment, Undecryptable,
    VaultRow,
};

pub const DATABASE_FILE: &str = "desk.sqlite";
const API_TOKEN_LABEL: &str = "workvoice-desk/v1/api-token";
pub const MAX_USERNAME_CHARS: usize = 64;
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

fn key_label(version: u32) -> String {
    format!("workvoice-desk/v1/org-key/{version}")
}

/// A short, readable fingerprint of a public key for people to compare over the phone:
/// the first 16 bytes of its SHA-256 in groups of four hex digits.
pub fn fingerprint(key: &HpkePublicKey) -> String {
    let digest = sha256(&[key.as_bytes()]).to_hex();
    digest.as_bytes()[..32]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The clock the desk checks directory freshness against (unix seconds).
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Options of `init`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The organisation's name, shown in the web UI.
    pub org_name: String,
    pub kdf: KdfParams,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            org_name: "Workvoice desk".into(),
            kdf: KdfParams::DEFAULT,
        }
    }
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

#[derive(Debug, Clone, Copy)]
pub struct SyncOptions {
    pub page_size: u32,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self { page_size: 200 }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub directory_version: Option<u64>,
    pub pages: u32,
    pub entries: u64,
    pub stored: u64,
    pub already_stored: u64,
    pub undecryptable: u64,
    pub acknowledged: u64,
    /// Acknowledgements withheld because a key-monitoring alarm is active.
    pub acks_withheld: bool,
    /// Codes of the alarms active after the directory check.
    pub alarms: Vec<String>,
}

/// Told about each stored page (the CLI shows a progress bar).
pub trait SyncProgress: Send + Sync {
    fn page_stored(&self, entries: u64, total_stored: u64);
}

impl SyncProgress for () {
    fn page_stored(&self, _: u64, _: u64) {}
}

/// An organisation a case can be referred to, and whether it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralOption {
    pub org_id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    /// `None` when allowed; otherwise why not.
    pub refused: Option<String>,
}

#[derive(Clone)]
pub struct Desk {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

struct Inner {
    dir: PathBuf,
    store: Store,
    master: MasterKey,
    org_name: String,
    /// Newest version first.
    keyring: RwLock<Vec<(u32, HpkePrivateKey)>>,
    directory: RwLock<Option<VerifiedDirectory>>,
    sync_lock: tokio::sync::Mutex<()>,
    clock: Clock,
    login_guard: crate::login_guard::LoginGuard,
}

fn system_clock() -> Clock {
    Arc::new(store::now)
}

impl Desk {
    /// Create a desk in `dir` (made 0700): the unlock file, the sealed database (0600) with the
    /// passphrase-sealed vault and key version 1.
    pub async fn init(dir: &Path, passphrase: &Passphrase, options: InitOptions) -> Result<Desk> {
        passphrase.check_strength()?;
        let name = options.org_name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(DeskError::InvalidInput(
                "the organisation name must have 1 to 200 characters".into(),
            ));
        }
        at_rest::create_private_dir(dir)?;
        let db = dir.join(DATABASE_FILE);
        if db.exists() {
            return Err(DeskError::AlreadyInitialised(dir.display().to_string()));
        }
        let mut rng = SystemRng::new();
        let mut salt = [0u8; 16];
        workvoice_proto::rand_core::Rng::fill_bytes(&mut rng, &mut salt);
        let master = MasterKey::derive(passphrase, &salt, options.kdf)?;
        let check_value = master.check_value(&mut rng);
        UnlockFile::new(&salt, options.kdf, &check_value).write(dir)?;
        let store = Store::open(&db, true, &master.database_key()).await?;
        let key = HpkePrivateKey::generate(&mut rng);
        let vault = VaultRow {
            salt: salt.to_vec(),
            memory_kib: options.kdf.memory_kib,
            iterations: options.kdf.iterations,
            parallelism: options.kdf.parallelism,
            check_value,
            org_name: name.to_string(),
        };
        let row = KeyRow {
            version: 1,
            public_key: key.public_key().to_hex(),
            sealed_private_key: master.seal(&key_label(1), key.to_bytes().as_ref(), &mut rng),
            created_at: store::now(),
        };
        store.create_vault(&vault, &row).await?;
        Ok(Desk::from_parts(
            dir,
            store,
            master,
            name.to_string(),
            vec![(1, key)],
        ))
    }

    /// Unlock an existing desk. A wrong passphrase is `DeskError::WrongPassphrase`. A store
    /// written before the database was sealed is sealed now (see `at_rest`); the directory and
    /// its files are made private.
    pub async fn open(dir: &Path, passphrase: &Passphrase) -> Result<Desk> {
        let db = dir.join(DATABASE_FILE);
        if !db.exists() {
            return Err(DeskError::NotInitialised(dir.display().to_string()));
        }
        at_rest::make_private(dir)?;
        if at_rest::is_plain_sqlite(&db)? {
            seal_plain_store(dir, &db, passphrase).await?;
        }
        at_rest::clean_up_sealing(&db)?;
        let unlock = UnlockFile::read(dir)?;
        let master = MasterKey::derive(passphrase, &unlock.salt()?, unlock.kdf())?;
        master.verify(&unlock.check_value()?)?;
        let store = Store::open(&db, false, &master.database_key()).await?;
        let vault = store
            .vault()
            .await?
            .ok_or_else(|| DeskError::NotInitialised(dir.display().to_string()))?;
        let mut keyring = Vec::new();
        for row in store.keys().await? {
            let bytes = master.open(&key_label(row.version), &row.sealed_private_key)?;
            let mut raw = [0u8; 32];
            if bytes.len() != 32 {
                return Err(DeskError::CorruptSecret);
            }
            raw.copy_from_slice(&bytes);
            let key = HpkePrivateKey::from_bytes(raw);
            if key.public_key().to_hex() != row.public_key {
                return Err(DeskError::CorruptSecret);
            }
            keyring.push((row.version, key));
        }
        Ok(Desk::from_parts(
            dir,
            store,
            master,
            vault.org_name,
            keyring,
        ))
    }

    fn from_parts(
        dir: &Path,
        store: Store,
        master: MasterKey,
        org_name: String,
        keyring: Vec<(u32, HpkePrivateKey)>,
    ) -> Desk {
        let login_guard = crate::login_guard::LoginGuard::new(store.clone());
        Desk {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                store,
                master,
                org_name,
                keyring: RwLock::new(keyring),
                directory: RwLock::new(None),
                sync_lock: tokio::sync::Mutex::new(()),
                clock: system_clock(),
                login_guard,
            }),
        }
    }

    /// Replace the clock (tests and demos running in a fixture's time).
    pub fn with_clock(self, clock: Clock) -> Desk {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.clock = clock;
                Desk {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => Desk { inner },
        }
    }

    pub fn now(&self) -> u64 {
        (self.inner.clock)()
    }

    /// Sign-in delays per user name and client (the web UI's attempt limit).
    pub fn login_guard(&self) -> &crate::login_guard::LoginGuard {
        &self.inner.login_guard
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn database_path(&self) -> PathBuf {
        self.inner.dir.join(DATABASE_FILE)
    }

    pub fn org_name(&self) -> &str {
        &self.inner.org_name
    }

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

    fn keyring(&self) -> Vec<(u32, HpkePrivateKey)> {
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
    fn check_certificate(
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

    async fn enrolled(&self) -> Result<(EnrolmentRow, OrgId, SigningPublicKey)> {
        let row = self
            .inner
            .store
            .enrolment()
            .await?
            .ok_or(DeskError::NotEnrolled)?;
        let (org, root) = enrolment_ids(&row)?;
        Ok((row, org, root))
    }

    fn client(&self, row: &EnrolmentRow) -> Result<crate::relay::RelayClient> {
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
    fn certified_key(&self, row: &EnrolmentRow) -> Result<HpkePrivateKey> {
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

    /// The directory verified at the last sync or referral, if any.
    pub fn cached_directory(&self) -> Option<VerifiedDirectory> {
        match self.inner.directory.read() {
            Ok(d) => d.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    async fn fetch_directory(
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
    async fn monitor_directory(
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

    /// Pull the inbox: check the directory first, then store each page with its cursor in one
    /// transaction, and acknowledge only committed cases, only while no alarm is active.
    pub async fn sync(
        &self,
        options: SyncOptions,
        progress: &dyn SyncProgress,
    ) -> Result<SyncReport> {
        let _guard = self.inner.sync_lock.lock().await;
        let (row, org_id, root) = self.enrolled().await?;
        let client = self.client(&row)?;
        let store = &self.inner.store;
        let mut report = SyncReport {
            directory_version: self.monitor_directory(&client, &row, org_id, &root).await?,
            ..SyncReport::default()
        };
        let alarms = store.active_alarms().await?;
        report.alarms = alarms.iter().map(|a| a.code.clone()).collect();
        let ack_allowed = alarms.is_empty();
        report.acks_withheld = !ack_allowed;
        if ack_allowed {
            report.acknowledged += self.acknowledge_pending(&client).await?;
        }
        let mut cursor = store.cursor().await?;
        let page_size = options.page_size.clamp(1, 1000);
        loop {
            let page = client.inbox(cursor.as_deref(), page_size).await?;
            report.pages += 1;
            let count = page.entries.len() as u64;
            report.entries += count;
            let keyring = self.keyring();
            let entries = page.entries;
            let (cases, failed, entries) = tokio::task::spawn_blocking(move || {
                let mut cases = Vec::new();
                let mut failed = Vec::new();
                for entry in &entries {
                    match open_entry(entry, org_id, &keyring) {
                        Ok(case) => cases.push(case),
                        Err(code) => {
                            tracing::warn!(
                                report_id = %entry.report_id,
                                code,
                                "an inbox entry could not be opened"
                            );
                            failed.push(Undecryptable {
                                report_id: entry.report_id.to_hex(),
                                entry_seq: entry.seq,
                                received_at: entry.received_at_hour,
                                error: code.to_string(),
                                envelope: entry.envelope.clone(),
                                disclosed_tags: crate::cases::json(&entry.tags),
                                disclosed_consent: crate::cases::json(&entry.consent),
                                referred_by: entry.referred_by.map(|o| o.to_hex()),
                            })
                        }
                    }
                }
                (cases, failed, entries)
            })
            .await
            .map_err(|e| DeskError::InvalidInput(format!("decryption task failed: {e}")))?;
            let next = page.next_cursor.clone();
            // The last page carries no cursor; remember its last entry's position (the relay's
            // cursors are inbox sequence numbers) so the next sync does not re-read it.
            let position = next
                .clone()
                .or_else(|| entries.last().map(|e| e.seq.to_string()));
            let outcomes = store
                .store_page(&cases, &failed, position.as_deref())
                .await?;
            for outcome in &outcomes {
                match outcome {
                    Stored::New => report.stored += 1,
                    Stored::AlreadyStored => report.already_stored += 1,
                }
            }
            report.undecryptable += failed.len() as u64;
            progress.page_stored(count, report.stored);
            if ack_allowed {
                report.acknowledged += self.acknowledge_pending(&client).await?;
                // Re-delivered entries the relay still thinks unacknowledged.
                for (case, outcome) in cases.iter().zip(&outcomes) {
                    let entry = entries
                        .iter()
                        .find(|e| e.report_id == case.report.report_id);
                    if *outcome == Stored::AlreadyStored && entry.is_some_and(|e| !e.acknowledged) {
                        let Some(case_id) = store
                            .case_id_by_report(&case.report.report_id.to_hex())
                            .await?
                        else {
                            continue;
                        };
                        if self.keep_evidence(&client, case_id).await? == Evidence::Pending {
                            continue;
                        }
                        client.acknowledge(&case.report.report_id).await?;
                        report.acknowledged += 1;
                    }
                }
            }
            match next {
                Some(c) if count > 0 => cursor = Some(c),
                _ => break,
            }
        }
        store.set_last_sync_at(store::now()).await?;
        Ok(report)
    }

    /// Open inbox entries obtained some other way (a file, a test) as organisation `org_id`
    /// and store them, exactly as a sync would but without a relay and without acknowledging.
    pub async fn open_and_store(
        &self,
        org_id: OrgId,
        entries: &[InboxEntry],
    ) -> Result<(Vec<Stored>, u64)> {
        let keyring = self.keyring();
        let mut cases = Vec::new();
        let mut failed = Vec::new();
        for entry in entries {
            match open_entry(entry, org_id, &keyring) {
                Ok(case) => cases.push(case),
                Err(code) => failed.push(Undecryptable {
                    report_id: entry.report_id.to_hex(),
                    entry_seq: entry.seq,
                    received_at: entry.received_at_hour,
                    error: code.to_string(),
                    envelope: entry.envelope.clone(),
                    disclosed_tags: crate::cases::json(&entry.tags),
                    disclosed_consent: crate::cases::json(&entry.consent),
                    referred_by: entry.referred_by.map(|o| o.to_hex()),
                }),
            }
        }
        let stored = self.inner.store.store_page(&cases, &failed, None).await?;
        Ok((stored, failed.len() as u64))
    }

    /// Acknowledge the stored cases the relay has not heard about, each only once its evidence
    /// is kept at the desk.
    async fn acknowledge_pending(&self, client: &crate::relay::RelayClient) -> Result<u64> {
        let mut done = 0;
        for report_id in self.inner.store.unacknowledged().await? {
            let Some(id) = ReportId::from_hex(&report_id) else {
                continue;
            };
            let Some(case_id) = self.inner.store.case_id_by_report(&report_id).await? else {
                continue;
            };
            if self.keep_evidence(client, case_id).await? == Evidence::Pending {
                continue;
            }
            client.acknowledge(&id).await?;
            self.inner.store.mark_acknowledged(&report_id).await?;
            done += 1;
        }
        Ok(done)
    }

    /// Download, open and keep (sealed at rest) every attachment of a case not kept yet.
    /// An attachment the relay does not know or that does not open is recorded as unavailable;
    /// one still being uploaded leaves the case's evidence `Pending`; any other failure (the
    /// relay unreachable) is an error, and nothing is acknowledged.
    async fn keep_evidence(
        &self,
        client: &crate::relay::RelayClient,
        case_id: i64,
    ) -> Result<Evidence> {
        let store = &self.inner.store;
        let case = store.case(case_id).await?;
        let report = Self::report_of(&case)?;
        let mut evidence = Evidence::Kept;
        for entry in &report.attachments {
            let id = entry.id.to_hex();
            if store.attachment(case_id, &id).await?.is_some() {
                continue;
            }
            let problem = match client.attachment(&report.report_id, &entry.id).await {
                Ok(sealed) => match workvoice_proto::attachment::open_attachment(
                    &sealed,
                    report.report_id,
                    entry,
                ) {
                    Ok(plain) => {
                        store
                            .keep_attachment(case_id, &id, &entry.media_type, Ok(&plain))
                            .await?;
                        continue;
                    }
                    Err(e) => e.code().to_string(),
                },
                Err(DeskError::RelayRefused { code, .. }) if code == "attachment_incomplete" => {
                    evidence = Evidence::Pending;
                    continue;
                }
                Err(DeskError::RelayRefused {
                    status: 404, code, ..
                }) => code,
                Err(e) => return Err(e),
            };
            tracing::warn!(
                case_id,
                code = problem.as_str(),
                "an attachment of a case cannot be had"
            );
            store
                .keep_attachment(case_id, &id, &entry.media_type, Err(&problem))
                .await?;
        }
        Ok(evidence)
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

    /// Create a caseworker account.
    pub async fn add_user(&self, username: &str, password: &str) -> Result<i64> {
        validate_username(username)?;
        let chars = password.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            return Err(DeskError::InvalidInput(format!(
                "the password must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
            )));
        }
        let hash = hash_password(password, &mut SystemRng::new())?;
        self.inner.store.add_user(username, &hash).await
    }

    /// The decoded report of a stored case.
    pub fn report_of(case: &CaseRecord) -> Result<Report> {
        Report::decode_unvalidated(&case.plaintext)
            .map_err(|e| DeskError::InvalidInput(format!("stored report unreadable: {e}")))
    }

    /// Change a case's status; the worker-visible part goes to the relay first.
    pub async fn set_status(&self, case_id: i64, status: CaseStatus, actor: &str) -> Result<()> {
        let case = self.inner.store.case(case_id).await?;
        let (row, _, _) = self.enrolled().await?;
        let report_id = parse_report_id(&case)?;
        let worker = status.worker_status();
        if worker.as_str() != case.worker_status {
            self.client(&row)?
                .set_status(&report_id, &StatusChange { status: worker })
                .await?;
        }
        self.inner.store.set_status(case_id, status, actor).await
    }

    /// Seal a reply to the report's reply key with the certified key and post it.
    pub async fn reply(&self, case_id: i64, text: &str, language: &str, actor: &str) -> Result<()> {
        let case = self.inner.store.case(case_id).await?;
        let report = Self::report_of(&case)?;
        let (row, org_id, _) = self.enrolled().await?;
        let key = self.certified_key(&row)?;
        let body = ReplyBody {
            text: text.to_string(),
            language: language.to_string(),
            written_on: Some(crate::labels::date(store::now())),
        };
        let sealed = seal_reply(
            &body,
            report.report_id,
            org_id,
            &key,
            &report.reply_key,
            &mut SystemRng::new(),
        )
        .map_err(|e| DeskError::Reply(e.to_string()))?;
        self.client(&row)?
            .post_reply(&report.report_id, &PostReply { sealed })
            .await?;
        self.inner
            .store
            .add_event(
                case_id,
                actor,
                "reply",
                serde_json::json!({ "text": text, "language": language }),
            )
            .await
    }

    pub async fn add_note(&self, case_id: i64, text: &str, actor: &str) -> Result<()> {
        self.inner.store.case(case_id).await?;
        self.inner
            .store
            .add_event(case_id, actor, "note", serde_json::json!({ "text": text }))
            .await
    }

    /// The organisations of the last verified directory this case could be referred to.
    pub fn referral_options(&self, case: &CaseRecord, own: Option<OrgId>) -> Vec<ReferralOption> {
        let Some(dir) = self.cached_directory() else {
            return Vec::new();
        };
        dir.listing
            .organisations
            .iter()
            .filter(|o| Some(o.id) != own && matches!(o.kind, OrgKind::Inspectorate | OrgKind::Ngo))
            .map(|o| ReferralOption {
                org_id: o.id,
                name: o.name("en").to_string(),
                kind: o.kind,
                refused: referral_refusal(case, o.kind, dir.certified_key(&o.id).err()),
            })
            .collect()
    }

    /// Re-seal the case to exactly the target organisation's certified key and post it, only
    /// when the worker consented to that kind of organisation.
    pub async fn refer(&self, case_id: i64, to: OrgId, actor: &str) -> Result<()> {
        let case = self.inner.store.case(case_id).await?;
        let (row, org_id, root) = self.enrolled().await?;
        if to == org_id {
            return Err(DeskError::ReferralTarget(
                "a case cannot be referred to oneself".into(),
            ));
        }
        let client = self.client(&row)?;
        let dir = self.fetch_directory(&client, &root).await??;
        let org = dir
            .listing
            .organisation(&to)
            .ok_or_else(|| DeskError::ReferralTarget("not in the directory".into()))?;
        let key = dir.certified_key(&to).map_err(|r| {
            DeskError::ReferralTarget(format!("its key is not certified: {}", r.code()))
        })?;
        if let Some(why) = referral_refusal(&case, org.kind, None) {
            tracing::warn!(case_id, "referral refused: {why}");
            return Err(
                if org.kind == OrgKind::Inspectorate || org.kind == OrgKind::Ngo {
                    DeskError::ReferralNotConsented
                } else {
                    DeskError::ReferralTarget(why)
                },
            );
        }
        let tags: RoutingTags = serde_json::from_str(&case.disclosed_tags)
            .map_err(|_| DeskError::InvalidInput("stored tags unreadable".into()))?;
        let consent: Consent = serde_json::from_str(&case.disclosed_consent)
            .map_err(|_| DeskError::InvalidInput("stored consent unreadable".into()))?;
        let report_id = parse_report_id(&case)?;
        let sealed = envelope::seal(
            &case.plaintext,
            report_id,
            &[(to, key)],
            &disclosure_digest(&tags, &consent),
            &mut SystemRng::new(),
        )?;
        client
            .refer(
                &report_id,
                &Referral {
                    to,
                    envelope: sealed,
                },
            )
            .await?;
        let name = org.name("en").to_string();
        self.inner
            .store
            .add_event(
                case_id,
                actor,
                "referral",
                serde_json::json!({ "to": to.to_hex(), "name": name, "kind": org.kind.as_str() }),
            )
            .await?;
        if case.worker_status != WorkerStatus::Referred.as_str() {
            client
                .set_status(
                    &report_id,
                    &StatusChange {
                        status: WorkerStatus::Referred,
                    },
                )
                .await?;
        }
        self.inner
            .store
            .set_status(case_id, CaseStatus::Referred, actor)
            .await
    }

    /// An attachment of a case, opened, as the desk keeps it. One not kept yet (a case
    /// acknowledged before the desk kept evidence) is downloaded and kept now.
    pub async fn attachment(
        &self,
        case_id: i64,
        attachment_id: AttachmentId,
    ) -> Result<(String, Vec<u8>)> {
        let case = self.inner.store.case(case_id).await?;
        let report = Self::report_of(&case)?;
        if !report.attachments.iter().any(|a| a.id == attachment_id) {
            return Err(DeskError::AttachmentNotFound);
        }
        let id = attachment_id.to_hex();
        let kept = match self.inner.store.attachment(case_id, &id).await? {
            Some(kept) => kept,
            None => {
                let (row, _, _) = self.enrolled().await?;
                self.keep_evidence(&self.client(&row)?, case_id).await?;
                self.inner
                    .store
                    .attachment(case_id, &id)
                    .await?
                    .ok_or_else(|| DeskError::Attachment("attachment_incomplete".into()))?
            }
        };
        match kept {
            StoredAttachment::Kept { media_type, bytes } => {
                let media_type = match media_type.as_str() {
                    "image/jpeg" | "image/png" => media_type,
                    _ => "application/octet-stream".to_string(),
                };
                Ok((media_type, bytes))
            }
            StoredAttachment::Unavailable { problem } => Err(DeskError::Attachment(problem)),
        }
    }

    /// Serve the web UI on `addr` (127.0.0.1:0 for an ephemeral port).
    pub async fn serve(&self, addr: SocketAddr) -> Result<crate::web::RunningServer> {
        crate::web::serve(self.clone(), addr).await
    }

    pub fn router(&self) -> axum::Router {
        crate::web::router(self.clone())
    }
}

/// Whether every attachment of a case is kept at the desk (or known never to be had).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    Kept,
    /// At least one is still being uploaded by the phone.
    Pending,
}

/// Rewrite a plain store (written before the database was sealed) as a sealed one, after the
/// passphrase is checked against its vault; a wrong passphrase changes nothing.
async fn seal_plain_store(dir: &Path, db: &Path, passphrase: &Passphrase) -> Result<()> {
    at_rest::clean_up_sealing(db)?;
    let plain = Store::open_plain(db).await?;
    let vault = match plain.vault().await {
        Ok(Some(vault)) => vault,
        Ok(None) => {
            plain.close().await;
            return Err(DeskError::NotInitialised(dir.display().to_string()));
        }
        Err(e) => {
            plain.close().await;
            return Err(e);
        }
    };
    let kdf = KdfParams {
        memory_kib: vault.memory_kib,
        iterations: vault.iterations,
        parallelism: vault.parallelism,
    };
    let master = MasterKey::derive(passphrase, &vault.salt, kdf)?;
    if let Err(e) = master.verify(&vault.check_value) {
        plain.close().await;
        return Err(e);
    }
    let sealing = at_rest::sibling(db, at_rest::SEALING_SUFFIX);
    drop(at_rest::create_private_file(&sealing)?);
    let exported = plain.export_sealed(&sealing, &master.database_key()).await;
    // Closing the last connection checkpoints the plain WAL into the plain file.
    plain.close().await;
    exported?;
    std::fs::File::open(&sealing)?.sync_all()?;
    UnlockFile::new(&vault.salt, kdf, &vault.check_value).write(dir)?;
    for suffix in ["-wal", "-shm"] {
        at_rest::overwrite_and_remove(&at_rest::sibling(db, suffix))?;
    }
    // A second name for the plain file, so its bytes can be overwritten once it is replaced.
    let plain_name = at_rest::sibling(db, at_rest::PLAIN_SUFFIX);
    std::fs::hard_link(db, &plain_name)?;
    std::fs::rename(&sealing, db)?;
    at_rest::sync_dir(dir)?;
    at_rest::overwrite_and_remove(&plain_name)?;
    tracing::warn!("the desk's store was written unsealed by an older desk; it is now sealed");
    Ok(())
}

fn enrolment_ids(row: &EnrolmentRow) -> Result<(OrgId, SigningPublicKey)> {
    let org = OrgId::from_hex(&row.org_id).ok_or(DeskError::CorruptSecret)?;
    let root = SigningPublicKey::from_hex(&row.root_public_key).ok_or(DeskError::CorruptSecret)?;
    Ok((org, root))
}

fn parse_report_id(case: &CaseRecord) -> Result<ReportId> {
    ReportId::from_hex(&case.summary.report_id)
        .ok_or_else(|| DeskError::InvalidInput("stored report id unreadable".into()))
}

/// Why a case may not go to an organisation of `kind`, or `None` when it may.
pub fn referral_refusal(
    case: &CaseRecord,
    kind: OrgKind,
    untrusted: Option<workvoice_proto::directory::UntrustedReason>,
) -> Option<String> {
    if let Some(reason) = untrusted {
        return Some(format!("its key is not certified ({})", reason.code()));
    }
    match kind {
        OrgKind::Inspectorate if !case.may_refer_inspectorate => Some(
            "the worker did not consent to sharing this report with a labour inspectorate".into(),
        ),
        OrgKind::Ngo if !case.may_refer_ngo => {
            Some("the worker did not consent to sharing this report with an NGO".into())
        }
        OrgKind::Inspectorate | OrgKind::Ngo => None,
        _ => Some("cases are referred only to inspectorates and NGOs".into()),
    }
}

pub fn validate_username(username: &str) -> Result<()> {
    let ok = !username.is_empty()
        && username.chars().count() <= MAX_USERNAME_CHARS
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(DeskError::InvalidInput(format!(
            "the user name must have 1 to {MAX_USERNAME_CHARS} letters, digits or . _ - @"
        )))
    }
}

/// Open one inbox entry with whichever key of the keyring it was sealed to.
pub fn open_entry(
    entry: &InboxEntry,
    org_id: OrgId,
    keyring: &[(u32, HpkePrivateKey)],
) -> std::result::Result<NewCase, &'static str> {
    let digest = disclosure_digest(&entry.tags, &entry.consent);
    let mut last = EnvelopeError::KeyUnsealFailed;
    for (version, key) in keyring {
        match envelope::open(&entry.envelope, org_id, key, &digest) {
            Ok(opened) => {
                if opened.report_id != entry.report_id {
                    return Err("report_id_mismatch");
                }
                let report = Report::decode_unvalidated(&opened.plaintext)
                    .map_err(|_| "report_malformed")?;
                if report.report_id != entry.report_id {
                    return Err("report_id_mismatch");
                }
                return Ok(NewCase::from_opened(
                    entry,
                    opened.plaintext,
                    report,
                    *version,
                ));
            }
            Err(EnvelopeError::KeyUnsealFailed) => last = EnvelopeError::KeyUnsealFailed,
            Err(e) => return Err(e.code()),
        }
    }
    Err(last.code())
}
