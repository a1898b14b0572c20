//! Reporting escrow at the desk (`PROTOCOL.md` 18): the organisation's step of the chained
//! OPRF (18.3), and released groups (18.7, 18.8): each group's key is interpolated from its
//! shares, every report of the group opens under it as an ordinary envelope, and the group is
//! stored as linked cases, then acknowledged. The unreleased total is kept for the dashboard.

use base64::Engine;
use workvoice_proto::ErrorCode;
use workvoice_proto::api::{
    EscrowGroup, EscrowReportRegistration, InboxEntry, OrgOprfAnswer, OrgOprfAnswers,
};
use workvoice_proto::envelope::EnvelopeHeader;
use workvoice_proto::escrow::{
    DEFAULT_THRESHOLD, EscrowedReport, OprfKey, ParsedEscrow, open_escrowed_report, open_share,
    recover_group_key,
};
use workvoice_proto::keys::{HpkePrivateKey, OrgId, ReportId, sha256};
use workvoice_proto::system_rng::SystemRng;
use zeroize::Zeroizing;

use crate::error::{DeskError, Result};
use crate::relay::RelayClient;
use crate::store::{
    EscrowGroupRow, EscrowMember, EscrowPlacement, REPLY_CHANNEL_REGISTERED, Stored,
};

use super::Desk;
use super::sync::{SyncReport, open_entry};

const OPRF_SEED_LABEL: &str = "workvoice-desk/v1/escrow-oprf-seed";
const ORG_EPOCH_LABEL: &[u8] = b"workvoice/v1/escrow/org-oprf-epoch\0";

/// The organisation's OPRF key for `epoch`, derived from its seed as the relay derives its own
/// (`escrow::relay_epoch_key`): `DeriveKeyPair(SHA-256(label || seed), "workvoice org epoch "
/// || u32(epoch))`.
pub fn org_epoch_key(seed: &[u8; 32], epoch: u32) -> Result<OprfKey> {
    let derived = Zeroizing::new(sha256(&[ORG_EPOCH_LABEL, seed]).0);
    let info = [b"workvoice org epoch ".as_slice(), &epoch.to_be_bytes()].concat();
    Ok(OprfKey::derive(&derived, &info)?)
}

/// A released group, opened: what the store keeps of it.
#[derive(Debug)]
pub struct OpenedGroup {
    pub row: EscrowGroupRow,
    pub members: Vec<EscrowMember>,
}

/// Open one released group (`PROTOCOL.md` 18.7): parse every submission, open every share
/// with whichever key of the keyring it was sealed to, interpolate the group key from these
/// shares and those of `earlier` (submissions of the same tag stored before, for a part of the
/// group released after the first), open each report under it and then as an inbox entry.
///
/// The whole group is refused (stable code, nothing stored, nothing acknowledged) when a
/// submission does not parse, names another tag or organisation, its threshold is below
/// `min_threshold`, or the key cannot be recovered. A single member whose share or report does
/// not open is kept with its code and bytes.
pub fn open_escrow_group(
    group: &EscrowGroup,
    earlier: &[Vec<u8>],
    org_id: OrgId,
    keyring: &[(u32, HpkePrivateKey)],
    min_threshold: u8,
    received_at_hour: u64,
) -> std::result::Result<OpenedGroup, &'static str> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut submissions = Vec::with_capacity(group.escrows.len());
    for text in &group.escrows {
        submissions.push(b64.decode(text).map_err(|_| "escrow_malformed")?);
    }
    let mut headers = Vec::with_capacity(submissions.len());
    for bytes in submissions.iter().chain(earlier) {
        let header = ParsedEscrow::parse(bytes).map_err(|e| e.code())?.header;
        if hex::encode(header.tag) != group.tag || header.params.org != org_id {
            return Err("escrow_mixed_groups");
        }
        if header.params.threshold < min_threshold {
            return Err("escrow_threshold_below_own");
        }
        headers.push(header);
    }
    let Some(first) = headers.first() else {
        return Err("escrow_not_enough_shares");
    };
    let params = first.params;
    let open_with_keyring = |bytes: &[u8]| {
        let mut last = "escrow_share_unopenable";
        for (_, key) in keyring {
            match open_share(bytes, key) {
                Ok(share) => return Ok(share),
                Err(e) => last = e.code(),
            }
        }
        Err(last)
    };
    let mut good = Vec::new();
    let mut share_state = Vec::with_capacity(submissions.len());
    for (i, bytes) in submissions.iter().chain(earlier).enumerate() {
        match open_with_keyring(bytes) {
            Ok(share) => {
                good.push(share);
                share_state.push(Ok(()));
            }
            Err(code) if i < submissions.len() => share_state.push(Err(code)),
            Err(_) => {}
        }
    }
    let key = recover_group_key(&good).map_err(|e| e.code())?;
    let mut members = Vec::with_capacity(submissions.len());
    for ((bytes, header), share) in submissions.iter().zip(&headers).zip(share_state) {
        let outcome =
            share.and_then(|()| open_member(bytes, &key, org_id, keyring, received_at_hour));
        members.push(EscrowMember {
            escrow_id: hex::encode(header.escrow_id),
            source: hex::encode(header.source),
            escrow: bytes.clone(),
            outcome: outcome.map_err(str::to_string),
        });
    }
    Ok(OpenedGroup {
        row: EscrowGroupRow {
            tag: group.tag.clone(),
            threshold: params.threshold,
            epoch: params.epoch,
        },
        members,
    })
}

fn open_member(
    bytes: &[u8],
    key: &workvoice_proto::escrow::GroupKey,
    org_id: OrgId,
    keyring: &[(u32, HpkePrivateKey)],
    received_at_hour: u64,
) -> std::result::Result<(crate::cases::NewCase, String), &'static str> {
    let plaintext = open_escrowed_report(bytes, key).map_err(|e| e.code())?;
    let escrowed = EscrowedReport::from_bytes(&plaintext).map_err(|e| e.code())?;
    let report_id = EnvelopeHeader::parse(&escrowed.envelope)
        .map_err(|e| e.code())?
        .report_id;
    let mailbox_hash = hex::encode(escrowed.mailbox_token_hash.0);
    let entry = InboxEntry {
        seq: 0,
        report_id,
        received_at_hour,
        tags: escrowed.tags,
        consent: escrowed.consent,
        envelope: escrowed.envelope,
        attachments: Vec::new(),
        referred_by: None,
        acknowledged: false,
    };
    Ok((open_entry(&entry, org_id, keyring)?, mailbox_hash))
}

impl Desk {
    /// The organisation's OPRF seed, made on first use and kept sealed like its other keys.
    async fn escrow_oprf_seed(&self) -> Result<Zeroizing<[u8; 32]>> {
        let store = &self.inner.store;
        let sealed = match store.escrow_oprf_seed().await? {
            Some(sealed) => sealed,
            None => {
                let mut rng = SystemRng::new();
                let mut seed = Zeroizing::new([0u8; 32]);
                workvoice_proto::rand_core::Rng::fill_bytes(&mut rng, seed.as_mut());
                let sealed = self
                    .inner
                    .master
                    .seal(OPRF_SEED_LABEL, seed.as_ref(), &mut rng);
                store.set_escrow_oprf_seed_once(&sealed).await?
            }
        };
        let bytes = self.inner.master.open(OPRF_SEED_LABEL, &sealed)?;
        let mut seed = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return Err(DeskError::CorruptSecret);
        }
        seed.copy_from_slice(&bytes);
        Ok(seed)
    }

    /// The organisation's step of the chained OPRF (`PROTOCOL.md` 18.3): `skO·Z1` for the
    /// relay's evaluated element `Z1` of `epoch`. Bad elements are `escrow_invalid_element`.
    pub async fn evaluate_escrow_oprf(
        &self,
        epoch: u32,
        relay_evaluated: &[u8],
    ) -> Result<[u8; 32]> {
        let seed = self.escrow_oprf_seed().await?;
        Ok(org_epoch_key(&seed, epoch)?.evaluate_blinded(relay_evaluated)?)
    }

    /// Most OPRF requests answered per epoch that [`Desk::set_escrow_oprf_budget`] accepts.
    pub const MAX_ESCROW_OPRF_BUDGET: u32 = 100_000;

    /// How many of the requests queued for this organisation's OPRF step are answered per
    /// escrow epoch (`PROTOCOL.md` 18.3); 200 until set.
    pub async fn escrow_oprf_budget(&self) -> Result<u32> {
        self.inner.store.escrow_oprf_budget().await
    }

    /// Set the per-epoch budget: it bounds how many recruiters anyone can test against this
    /// organisation's key in one epoch. At most [`Desk::MAX_ESCROW_OPRF_BUDGET`].
    pub async fn set_escrow_oprf_budget(&self, per_epoch: u32) -> Result<()> {
        if per_epoch > Self::MAX_ESCROW_OPRF_BUDGET {
            return Err(DeskError::InvalidInput(format!(
                "an escrow OPRF budget of {per_epoch} per epoch is more than {}",
                Self::MAX_ESCROW_OPRF_BUDGET
            )));
        }
        self.inner.store.set_escrow_oprf_budget(per_epoch).await
    }

    /// The organisation's step for the requests the relay queued (`PROTOCOL.md` 18.3): each
    /// is evaluated while its epoch's budget lasts, refused after it (and refused when its
    /// element is not a valid one). What is spent is recorded before the answers are posted,
    /// so a post that fails spends the budget again at the next sync rather than never.
    /// Returns (answered, refused). Sync does this first of its escrow steps.
    pub async fn answer_escrow_oprf(&self) -> Result<(u64, u64)> {
        let _guard = self.inner.sync_lock.lock().await;
        let (row, ..) = self.enrolled().await?;
        let client = self.client(&row)?;
        self.answer_escrow_oprf_with(&client).await
    }

    async fn answer_escrow_oprf_with(&self, client: &RelayClient) -> Result<(u64, u64)> {
        let queue = match client.escrow_oprf_queue().await {
            Ok(queue) => queue.requests,
            // A relay older than this route: nothing queued.
            Err(DeskError::RelayRefused {
                status: 404, code, ..
            }) if code == "not_found" => return Ok((0, 0)),
            Err(e) => return Err(e),
        };
        if queue.is_empty() {
            return Ok((0, 0));
        }
        let store = &self.inner.store;
        let budget = store.escrow_oprf_budget().await?;
        let seed = self.escrow_oprf_seed().await?;
        // Per epoch met: (epoch, answered before this sync, answered now).
        let mut spent: Vec<(u32, u32, u32)> = Vec::new();
        let mut answers = Vec::with_capacity(queue.len());
        let (mut answered, mut refused) = (0, 0);
        for request in queue {
            let i = match spent.iter().position(|(e, ..)| *e == request.epoch) {
                Some(i) => i,
                None => {
                    let before = store.escrow_oprf_spent(request.epoch).await?;
                    spent.push((request.epoch, before, 0));
                    spent.len() - 1
                }
            };
            let (_, before, now) = &mut spent[i];
            let evaluated = if before.saturating_add(*now) < budget {
                org_epoch_key(&seed, request.epoch)?
                    .evaluate_blinded(&request.element)
                    .ok()
            } else {
                None
            };
            if evaluated.is_some() {
                *now += 1;
                answered += 1;
            } else {
                refused += 1;
            }
            answers.push(OrgOprfAnswer {
                request: request.request,
                evaluated: evaluated.map(|e| e.to_vec()),
            });
        }
        let newly: Vec<(u32, u32)> = spent
            .iter()
            .filter(|(.., now)| *now > 0)
            .map(|(epoch, _, now)| (*epoch, *now))
            .collect();
        store.add_escrow_oprf_spent(&newly).await?;
        client
            .answer_escrow_oprf(&OrgOprfAnswers { answers })
            .await?;
        Ok((answered, refused))
    }

    /// The escrow group a case was opened in, with its counts and the other cases.
    pub async fn escrow_placement(&self, case_id: i64) -> Result<Option<EscrowPlacement>> {
        self.inner.store.escrow_placement(case_id).await
    }

    /// The relay's total of unreleased escrow submissions for this organisation at the last
    /// sync (never per recruiter); `None` before the first.
    pub async fn escrow_pending(&self) -> Result<Option<u64>> {
        self.inner.store.escrow_pending().await
    }

    /// Register at the relay the reply channel of each opened escrowed case not registered yet
    /// (`PROTOCOL.md` 18.8, 18.11). A refusal is kept with the case, which then stays without
    /// one; a relay older than the route leaves them for a later sync; other failures end the
    /// sync and are tried again at the next.
    async fn register_reply_channels(
        &self,
        client: &RelayClient,
        report: &mut SyncReport,
    ) -> Result<()> {
        let store = &self.inner.store;
        for pending in store.pending_reply_channels().await? {
            let report_id = ReportId::from_hex(&pending.report_id)
                .ok_or_else(|| DeskError::InvalidInput("stored report id unreadable".into()))?;
            let body = EscrowReportRegistration {
                escrow_id: pending.escrow_id.clone(),
                report_id,
                mailbox_token_hash: pending.mailbox_token_hash.clone(),
            };
            match client.register_escrow_report(&body).await {
                Ok(()) => {
                    store
                        .set_reply_channel(&pending.escrow_id, REPLY_CHANNEL_REGISTERED)
                        .await?;
                    report.escrow_reply_channels += 1;
                }
                Err(DeskError::RelayRefused {
                    status: 404, code, ..
                }) if code == "not_found" => return Ok(()),
                Err(DeskError::RelayRefused {
                    status: 404 | 409 | 422,
                    code,
                    ..
                }) => {
                    tracing::warn!(code, "the relay refused an escrowed case's reply channel");
                    store.set_reply_channel(&pending.escrow_id, &code).await?;
                    report.escrow_reply_channels_refused += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Pull released escrow groups, open and store each, acknowledge the stored ones (only
    /// while `ack_allowed`), and keep the unreleased total.
    pub(super) async fn sync_escrow(
        &self,
        client: &RelayClient,
        org_id: OrgId,
        ack_allowed: bool,
        report: &mut SyncReport,
    ) -> Result<()> {
        let store = &self.inner.store;
        let (answered, refused) = self.answer_escrow_oprf_with(client).await?;
        report.escrow_oprf_answered = answered;
        report.escrow_oprf_refused = refused;
        let groups = match client.escrow_groups().await {
            Ok(page) => page.groups,
            // A relay older than escrow has no such route: nothing to open, no total.
            Err(DeskError::RelayRefused {
                status: 404, code, ..
            }) if code == "not_found" => {
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        // This organisation's own `k`, from the directory verified at this sync (18.1).
        let own_threshold = self
            .cached_directory()
            .and_then(|d| {
                d.listing
                    .organisation(&org_id)
                    .map(|o| o.escrow_threshold())
            })
            .unwrap_or(DEFAULT_THRESHOLD);
        for group in groups {
            let earlier = store.escrow_submissions(&group.tag).await?;
            let keyring = self.keyring();
            let now = self.now();
            let hour = now - now % 3600;
            let opened = tokio::task::spawn_blocking(move || {
                open_escrow_group(&group, &earlier, org_id, &keyring, own_threshold, hour)
            })
            .await
            .map_err(|e| DeskError::InvalidInput(format!("decryption task failed: {e}")))?;
            match opened {
                Ok(opened) => {
                    for outcome in store
                        .store_escrow_group(&opened.row, &opened.members)
                        .await?
                    {
                        match outcome {
                            Stored::New => report.escrow_opened += 1,
                            Stored::AlreadyStored => report.already_stored += 1,
                        }
                    }
                    report.escrow_unopenable +=
                        opened.members.iter().filter(|m| m.outcome.is_err()).count() as u64;
                    report.escrow_groups += 1;
                }
                Err(code) => {
                    tracing::warn!(code, "a released escrow group could not be opened");
                    report.escrow_groups_refused += 1;
                }
            }
        }
        self.register_reply_channels(client, report).await?;
        if ack_allowed {
            for tag in store.unacknowledged_escrow_groups().await? {
                client.acknowledge_escrow_group(&tag).await?;
                store.mark_escrow_group_acknowledged(&tag).await?;
                report.escrow_groups_acknowledged += 1;
            }
        }
        let pending = client.escrow_pending().await?.total;
        store.set_escrow_pending(pending).await?;
        report.escrow_pending = Some(pending);
        Ok(())
    }
}
