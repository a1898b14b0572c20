//! Reporting escrow (`PROTOCOL.md` 18.8): submissions counted by distinct source per tag,
//! released to the organisation as one group when the count reaches the tag's threshold,
//! withdrawn (deleted) before release by whoever shows the withdrawal secret.

use sqlx::{Any, Row};
use workvoice_proto::escrow::escrow_withdrawal_hash;
use workvoice_proto::keys::{OrgId, ReportId, ct_eq};

use super::token::{SpendOutcome, TokenSpend, spend_in};
use super::{Result, Storage, i, is_unique_violation, lookup_key};

/// An escrow submission to store (its header fields, parsed by the route).
#[derive(Debug, Clone)]
pub struct NewEscrow {
    pub escrow_id: [u8; 16],
    pub org: OrgId,
    pub tag: [u8; 32],
    pub epoch: u32,
    pub threshold: u8,
    pub source: [u8; 32],
    pub withdrawal_hash: [u8; 32],
    /// SHA-256 of the request body: a retry must repeat it exactly.
    pub request_hash: [u8; 32],
    pub bytes: Vec<u8>,
    pub hour: u64,
}

impl NewEscrow {
    /// The row for a parsed submission's `header`, its `bytes`, the hash of the request that
    /// carried it and the hour it came.
    pub fn from_header(
        header: &workvoice_proto::escrow::EscrowHeader,
        bytes: Vec<u8>,
        request_hash: [u8; 32],
        hour: u64,
    ) -> NewEscrow {
        NewEscrow {
            escrow_id: header.escrow_id,
            org: header.params.org,
            tag: header.tag,
            epoch: header.params.epoch,
            threshold: header.params.threshold,
            source: header.source,
            withdrawal_hash: header.withdrawal_hash,
            request_hash,
            bytes,
            hour,
        }
    }
}

/// What storing an escrow submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscrowOutcome {
    /// Stored; `released` when its tag has (now or before) reached the threshold.
    Created { released: bool },
    /// The same request again.
    Repeat { released: bool },
    /// Another submission was stored under this escrow id.
    Conflict,
    /// This source already has a submission under this tag.
    DuplicateSource,
    /// The token paying for it was spent on another submission (18.12): nothing stored.
    TokenSpent,
}

/// What queueing an OPRF request paid with a token did (18.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OprfQueueOutcome {
    /// Queued under the request id given.
    Queued,
    /// The token was spent before on the same blinded element: that request, not queued again.
    Retry { request_id: [u8; 16], epoch: u32 },
    /// The token was spent on another request: nothing stored.
    TokenSpent,
}

/// What a withdrawal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscrowWithdrawal {
    Withdrawn,
    AlreadyReleased,
    /// No such escrow id, or the secret does not match (the same answer for both).
    Unknown,
}

/// A released group, as the organisation fetches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasedGroup {
    pub tag: [u8; 32],
    /// Distinct sources in the tag (every submission, also those acknowledged before).
    pub sources: u64,
    /// The submissions not acknowledged yet, in escrow id order.
    pub escrows: Vec<Vec<u8>>,
}

/// One request queued for an organisation's OPRF step (18.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedOprf {
    pub request_id: [u8; 16],
    pub epoch: u32,
    pub element: [u8; 32],
}

/// Where a queued OPRF request stands, as its phone polls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueuedOprfState {
    Queued { epoch: u32 },
    Answered { epoch: u32, evaluated: [u8; 32] },
    Refused { epoch: u32 },
}

/// What storing an organisation's answers did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OprfAnswerOutcome {
    /// Requests answered or refused now.
    pub recorded: u64,
    /// Answers to requests the caller has no queued request under (answered before, expired
    /// with their epoch, or never its own): ignored.
    pub ignored: u64,
}

const OPRF_QUEUED: i64 = 0;
const OPRF_ANSWERED: i64 = 1;
const OPRF_REFUSED: i64 = 2;

fn array<const N: usize>(v: Vec<u8>) -> Result<[u8; N]> {
    v.try_into()
        .map_err(|_| super::StorageError::Corrupt("an escrow column has the wrong length".into()))
}

impl Storage {
    /// Stores an escrow submission and releases its tag when the distinct sources reach the
    /// threshold, in one transaction.
    pub async fn add_escrow(&self, e: &NewEscrow) -> Result<EscrowOutcome> {
        self.add_escrow_spending(e, None).await
    }

    /// [`Storage::add_escrow`], spending `spend` (a verified token, 18.12) in the same
    /// transaction: a token spent before on another escrow id refuses the submission
    /// (`TokenSpent`); spent on this one, the submission goes on to the idempotency rule. A
    /// submission refused by a later check spends nothing.
    pub async fn add_escrow_spending(
        &self,
        e: &NewEscrow,
        spend: Option<&TokenSpend>,
    ) -> Result<EscrowOutcome> {
        // A concurrent spend of the same token can win between the check and the insert; the
        // unique key then refuses ours and the check, run again, says why.
        for _ in 0..2 {
            match self.try_add_escrow(e, spend).await {
                Err(super::StorageError::Database(err)) if is_unique_violation(&err) => continue,
                other => return other,
            }
        }
        self.try_add_escrow(e, spend).await
    }

    async fn try_add_escrow(
        &self,
        e: &NewEscrow,
        spend: Option<&TokenSpend>,
    ) -> Result<EscrowOutcome> {
        let mut tx = self.writer.begin().await?;
        if let Some(spend) = spend
            && spend_in(&mut tx, spend, None).await? == SpendOutcome::Spent
        {
            tx.rollback().await?;
            return Ok(EscrowOutcome::TokenSpent);
        }
        let existing = sqlx::query::<Any>(
            "SELECT request_hash, released FROM escrow_submissions WHERE escrow_id = $1",
        )
        .bind(e.escrow_id.to_vec())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let hash: Vec<u8> = row.try_get("request_hash")?;
            let released: i64 = row.try_get("released")?;
            tx.rollback().await?;
            return Ok(if ct_eq(&hash, &e.request_hash) {
                EscrowOutcome::Repeat {
                    released: released != 0,
                }
            } else {
                EscrowOutcome::Conflict
            });
        }
        let same_source = sqlx::query::<Any>(
            "SELECT escrow_id FROM escrow_submissions WHERE tag = $1 AND source = $2",
        )
        .bind(e.tag.to_vec())
        .bind(e.source.to_vec())
        .fetch_optional(&mut *tx)
        .await?;
        if same_source.is_some() {
            tx.rollback().await?;
            return Ok(EscrowOutcome::DuplicateSource);
        }
        let inserted = sqlx::query::<Any>(
            "INSERT INTO escrow_submissions (escrow_id, org_id, tag, epoch, threshold, source, \
             withdrawal_hash, request_hash, bytes, at_hour) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.escrow_id.to_vec())
        .bind(e.org.to_hex())
        .bind(e.tag.to_vec())
        .bind(i64::from(e.epoch))
        .bind(i64::from(e.threshold))
        .bind(e.source.to_vec())
        .bind(e.withdrawal_hash.to_vec())
        .bind(e.request_hash.to_vec())
        .bind(e.bytes.clone())
        .bind(i(e.hour))
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => {
                // A concurrent submission with this id or source won.
                tx.rollback().await?;
                return Ok(EscrowOutcome::Conflict);
            }
            Err(err) => return Err(err.into()),
        }
        let row = sqlx::query::<Any>(
            "SELECT COUNT(DISTINCT source) AS sources, MAX(released) AS released \
             FROM escrow_submissions WHERE tag = $1",
        )
        .bind(e.tag.to_vec())
        .fetch_one(&mut *tx)
        .await?;
        let sources: i64 = row.try_get("sources")?;
        let already: i64 = row.try_get("released")?;
        let released = already != 0 || sources >= i64::from(e.threshold);
        if released {
            sqlx::query::<Any>("UPDATE escrow_submissions SET released = 1 WHERE tag = $1")
                .bind(e.tag.to_vec())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(EscrowOutcome::Created { released })
    }

    /// Withdraws an escrow submission before release: deleted when `secret` hashes to the
    /// withdrawal hash it carries (compared in constant time).
    pub async fn withdraw_escrow(
        &self,
        escrow_id: &[u8; 16],
        secret: &[u8; 32],
    ) -> Result<EscrowWithdrawal> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query::<Any>(
            "SELECT withdrawal_hash, released FROM escrow_submissions WHERE escrow_id = $1",
        )
        .bind(escrow_id.to_vec())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(EscrowWithdrawal::Unknown);
        };
        let hash: Vec<u8> = row.try_get("withdrawal_hash")?;
        let released: i64 = row.try_get("released")?;
        if !ct_eq(&hash, &escrow_withdrawal_hash(secret)) {
            tx.rollback().await?;
            return Ok(EscrowWithdrawal::Unknown);
        }
        if released != 0 {
            tx.rollback().await?;
            return Ok(EscrowWithdrawal::AlreadyReleased);
        }
        sqlx::query::<Any>("DELETE FROM escrow_submissions WHERE escrow_id = $1")
            .bind(escrow_id.to_vec())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(EscrowWithdrawal::Withdrawn)
    }

    /// `org`'s released groups with submissions not acknowledged yet, by tag.
    pub async fn released_escrow_groups(&self, org: &OrgId) -> Result<Vec<ReleasedGroup>> {
        let rows = sqlx::query::<Any>(
            "SELECT tag, bytes FROM escrow_submissions \
             WHERE org_id = $1 AND released = 1 AND acknowledged = 0 ORDER BY tag, escrow_id",
        )
        .bind(org.to_hex())
        .fetch_all(&self.reader)
        .await?;
        let mut groups: Vec<ReleasedGroup> = Vec::new();
        for row in rows {
            let tag: [u8; 32] = array(row.try_get("tag")?)?;
            let bytes: Vec<u8> = row.try_get("bytes")?;
            match groups.last_mut() {
                Some(g) if g.tag == tag => g.escrows.push(bytes),
                _ => groups.push(ReleasedGroup {
                    tag,
                    sources: 0,
                    escrows: vec![bytes],
                }),
            }
        }
        for g in &mut groups {
            let row = sqlx::query::<Any>(
                "SELECT COUNT(DISTINCT source) AS sources FROM escrow_submissions WHERE tag = $1",
            )
            .bind(g.tag.to_vec())
            .fetch_one(&self.reader)
            .await?;
            let sources: i64 = row.try_get("sources")?;
            g.sources = u64::try_from(sources).unwrap_or(0);
        }
        Ok(groups)
    }

    /// Acknowledges `org`'s released submissions of `tag`: their ciphertext is emptied (the row
    /// stays, so the tag stays released and counted). Whether there were any.
    pub async fn acknowledge_escrow_group(&self, org: &OrgId, tag: &[u8; 32]) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let held = sqlx::query::<Any>(
            "SELECT escrow_id FROM escrow_submissions \
             WHERE org_id = $1 AND tag = $2 AND released = 1",
        )
        .bind(org.to_hex())
        .bind(tag.to_vec())
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_none() {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query::<Any>(
            "UPDATE escrow_submissions SET acknowledged = 1, bytes = $3 \
             WHERE org_id = $1 AND tag = $2 AND released = 1 AND acknowledged = 0",
        )
        .bind(org.to_hex())
        .bind(tag.to_vec())
        .bind(Vec::<u8>::new())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Queues the relay's evaluation of a phone's blinded element for `org`'s step.
    pub async fn queue_org_oprf(&self, org: &OrgId, q: &QueuedOprf) -> Result<()> {
        self.queue_org_oprf_spending(org, q, None).await.map(|_| ())
    }

    /// [`Storage::queue_org_oprf`], spending `spend` (a verified token, 18.12) in the same
    /// transaction: spent before on the same element, the request stored with that spend is
    /// the answer and nothing is queued; spent on another, nothing is stored.
    pub async fn queue_org_oprf_spending(
        &self,
        org: &OrgId,
        q: &QueuedOprf,
        spend: Option<&TokenSpend>,
    ) -> Result<OprfQueueOutcome> {
        for _ in 0..2 {
            match self.try_queue_org_oprf(org, q, spend).await {
                Err(super::StorageError::Database(err)) if is_unique_violation(&err) => continue,
                other => return other,
            }
        }
        self.try_queue_org_oprf(org, q, spend).await
    }

    async fn try_queue_org_oprf(
        &self,
        org: &OrgId,
        q: &QueuedOprf,
        spend: Option<&TokenSpend>,
    ) -> Result<OprfQueueOutcome> {
        let mut tx = self.writer.begin().await?;
        if let Some(spend) = spend {
            match spend_in(&mut tx, spend, Some(q.request_id)).await? {
                SpendOutcome::Fresh => {}
                SpendOutcome::Spent | SpendOutcome::Retry { request_id: None } => {
                    tx.rollback().await?;
                    return Ok(OprfQueueOutcome::TokenSpent);
                }
                SpendOutcome::Retry {
                    request_id: Some(request_id),
                } => {
                    let row = sqlx::query::<Any>(
                        "SELECT epoch FROM escrow_oprf_requests WHERE request_id = $1",
                    )
                    .bind(request_id.to_vec())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.rollback().await?;
                    let epoch = match row {
                        Some(row) => {
                            let epoch: i64 = row.try_get("epoch")?;
                            u32::try_from(epoch).map_err(|_| {
                                super::StorageError::Corrupt("an OPRF epoch out of range".into())
                            })?
                        }
                        None => q.epoch,
                    };
                    return Ok(OprfQueueOutcome::Retry { request_id, epoch });
                }
            }
        }
        sqlx::query::<Any>(
            "INSERT INTO escrow_oprf_requests (request_id, org_id, epoch, element, state) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(q.request_id.to_vec())
        .bind(org.to_hex())
        .bind(i64::from(q.epoch))
        .bind(q.element.to_vec())
        .bind(OPRF_QUEUED)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(OprfQueueOutcome::Queued)
    }

    /// The state of one queued request, if it is stored.
    pub async fn org_oprf_state(&self, request_id: &[u8; 16]) -> Result<Option<QueuedOprfState>> {
        let row = sqlx::query::<Any>(
            "SELECT epoch, state, evaluated FROM escrow_oprf_requests WHERE request_id = $1",
        )
        .bind(request_id.to_vec())
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let epoch: i64 = row.try_get("epoch")?;
        let epoch = u32::try_from(epoch)
            .map_err(|_| super::StorageError::Corrupt("an OPRF epoch out of range".into()))?;
        let state: i64 = row.try_get("state")?;
        Ok(Some(match state {
            OPRF_ANSWERED => {
                let evaluated: Option<Vec<u8>> = row.try_get("evaluated")?;
                QueuedOprfState::Answered {
                    epoch,
                    evaluated: array(evaluated.unwrap_or_default())?,
                }
            }
            OPRF_REFUSED => QueuedOprfState::Refused { epoch },
            _ => QueuedOprfState::Queued { epoch },
        }))
    }

    /// At most `limit` of `org`'s queued requests, by epoch then by (random) request id.
    pub async fn org_oprf_queue(&self, org: &OrgId, limit: usize) -> Result<Vec<QueuedOprf>> {
        let rows = sqlx::query::<Any>(
            "SELECT request_id, epoch, element FROM escrow_oprf_requests \
             WHERE org_id = $1 AND state = $2 ORDER BY epoch, request_id LIMIT $3",
        )
        .bind(org.to_hex())
        .bind(OPRF_QUEUED)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                let epoch: i64 = row.try_get("epoch")?;
                Ok(QueuedOprf {
                    request_id: array(row.try_get("request_id")?)?,
                    epoch: u32::try_from(epoch).map_err(|_| {
                        super::StorageError::Corrupt("an OPRF epoch out of range".into())
                    })?,
                    element: array(row.try_get("element")?)?,
                })
            })
            .collect()
    }

    /// Records `org`'s answers (an evaluation, or `None`: refused) to its queued requests, in
    /// one transaction.
    pub async fn answer_org_oprf(
        &self,
        org: &OrgId,
        answers: &[([u8; 16], Option<[u8; 32]>)],
    ) -> Result<OprfAnswerOutcome> {
        let mut tx = self.writer.begin().await?;
        let mut outcome = OprfAnswerOutcome {
            recorded: 0,
            ignored: 0,
        };
        for (request_id, evaluated) in answers {
            let done = sqlx::query::<Any>(
                "UPDATE escrow_oprf_requests SET state = $1, evaluated = $2 \
                 WHERE request_id = $3 AND org_id = $4 AND state = $5",
            )
            .bind(if evaluated.is_some() {
                OPRF_ANSWERED
            } else {
                OPRF_REFUSED
            })
            .bind(evaluated.map(|e| e.to_vec()))
            .bind(request_id.to_vec())
            .bind(org.to_hex())
            .bind(OPRF_QUEUED)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                outcome.recorded += 1;
            } else {
                outcome.ignored += 1;
            }
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Retention of escrow submissions: once their epoch is older than `oldest_live_epoch`
    /// (no submission can join their tag any more), deletes those never released and those
    /// whose group the organisation acknowledged. Released groups not acknowledged yet stay.
    /// Queued OPRF requests of those epochs go too, answered or not, and token issuance
    /// records and spends (18.12). Returns how many rows went.
    pub async fn purge_escrow(&self, oldest_live_epoch: u32) -> Result<u64> {
        let done = sqlx::query::<Any>(
            "DELETE FROM escrow_submissions WHERE epoch < $1 AND (released = 0 OR acknowledged = 1)",
        )
        .bind(i64::from(oldest_live_epoch))
        .execute(&self.writer)
        .await?;
        let requests = sqlx::query::<Any>("DELETE FROM escrow_oprf_requests WHERE epoch < $1")
            .bind(i64::from(oldest_live_epoch))
            .execute(&self.writer)
            .await?;
        let tokens = self.purge_tokens(oldest_live_epoch).await?;
        Ok(done.rows_affected() + requests.rows_affected() + tokens)
    }

    /// How many of `org`'s escrow submissions wait unreleased: a total only, never per tag.
    pub async fn unreleased_escrow_total(&self, org: &OrgId) -> Result<u64> {
        let row = sqlx::query::<Any>(
            "SELECT COUNT(*) AS n FROM escrow_submissions WHERE org_id = $1 AND released = 0",
        )
        .bind(org.to_hex())
        .fetch_one(&self.reader)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// A released escrowed report's reply channel, as its organisation registers it (18.8).
#[derive(Debug, Clone)]
pub struct EscrowReportRegistration {
    pub escrow_id: [u8; 16],
    pub report_id: ReportId,
    pub mailbox_hash: [u8; 32],
    pub hour: u64,
}

/// What registering an escrowed report's reply channel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscrowReportOutcome {
    /// The mailbox and the organisation's route were created.
    Created,
    /// This escrow submission registered the same report and mailbox before.
    Repeat,
    /// The caller has no released escrow submission with this id.
    UnknownEscrow,
    /// This escrow submission registered another report or mailbox before.
    AlreadyRegistered,
    /// The relay already knows this report id (a submission, an inbox, a mailbox, a route).
    ReportKnown,
    /// Another report already uses this mailbox token hash.
    MailboxInUse,
}

impl Storage {
    /// Registers, for `org`'s released escrow submission `r.escrow_id`, the report it held and
    /// that report's mailbox token hash: the mailbox and the route `(report, org)` are created
    /// as for a plain submission, in one transaction, or nothing is stored. Checks, in order:
    /// the escrow submission is `org`'s and released; it registered before (the same report
    /// and hash: `Repeat`, else `AlreadyRegistered`); the report id is known; the hash is in
    /// use.
    pub async fn register_escrow_report(
        &self,
        org: &OrgId,
        r: &EscrowReportRegistration,
    ) -> Result<EscrowReportOutcome> {
        // A concurrent registration can win between the checks and the inserts; the unique
        // indexes then refuse ours and the checks, run again, say why.
        for _ in 0..2 {
            match self.try_register_escrow_report(org, r).await {
                Err(super::StorageError::Database(e)) if is_unique_violation(&e) => continue,
                other => return other,
            }
        }
        self.try_register_escrow_report(org, r).await
    }

    async fn try_register_escrow_report(
        &self,
        org: &OrgId,
        r: &EscrowReportRegistration,
    ) -> Result<EscrowReportOutcome> {
        let mut tx = self.writer.begin().await?;
        let outcome = escrow_report_refusal(&mut tx, org, r).await?;
        if let Some(outcome) = outcome {
            tx.rollback().await?;
            return Ok(outcome);
        }
        let report = r.report_id.to_hex();
        sqlx::query::<Any>(
            "INSERT INTO escrow_reports (escrow_id, org_id, report_id, token_hash) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(r.escrow_id.to_vec())
        .bind(org.to_hex())
        .bind(report.clone())
        .bind(r.mailbox_hash.to_vec())
        .execute(&mut *tx)
        .await?;
        sqlx::query::<Any>(
            "INSERT INTO mailboxes (token_hash, lookup, report_id, created_hour, next_seq) \
             VALUES ($1, $2, $3, $4, 0)",
        )
        .bind(r.mailbox_hash.to_vec())
        .bind(lookup_key(&r.mailbox_hash))
        .bind(report.clone())
        .bind(i(r.hour))
        .execute(&mut *tx)
        .await?;
        sqlx::query::<Any>("INSERT INTO report_routes (report_id, org_id) VALUES ($1, $2)")
            .bind(report)
            .bind(org.to_hex())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(EscrowReportOutcome::Created)
    }
}

/// Why a registration is refused, `None` when it may be stored (the checks of
/// [`Storage::register_escrow_report`], in order).
async fn escrow_report_refusal(
    tx: &mut sqlx::Transaction<'static, Any>,
    org: &OrgId,
    r: &EscrowReportRegistration,
) -> Result<Option<EscrowReportOutcome>> {
    let released = sqlx::query::<Any>(
        "SELECT 1 AS held FROM escrow_submissions \
         WHERE escrow_id = $1 AND org_id = $2 AND released = 1",
    )
    .bind(r.escrow_id.to_vec())
    .bind(org.to_hex())
    .fetch_optional(&mut **tx)
    .await?;
    if released.is_none() {
        return Ok(Some(EscrowReportOutcome::UnknownEscrow));
    }
    let report = r.report_id.to_hex();
    let earlier =
        sqlx::query::<Any>("SELECT report_id, token_hash FROM escrow_reports WHERE escrow_id = $1")
            .bind(r.escrow_id.to_vec())
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(row) = earlier {
        let stored_report: String = row.try_get("report_id")?;
        let stored_hash: Vec<u8> = row.try_get("token_hash")?;
        let same = stored_report == report && ct_eq(&stored_hash, &r.mailbox_hash);
        return Ok(Some(if same {
            EscrowReportOutcome::Repeat
        } else {
            EscrowReportOutcome::AlreadyRegistered
        }));
    }
    let known = sqlx::query::<Any>(
        "SELECT 1 AS known FROM submissions WHERE id = $1 \
         UNION ALL SELECT 1 AS known FROM inbox WHERE report_id = $1 \
         UNION ALL SELECT 1 AS known FROM mailboxes WHERE report_id = $1 \
         UNION ALL SELECT 1 AS known FROM report_routes WHERE report_id = $1 \
         UNION ALL SELECT 1 AS known FROM escrow_reports WHERE report_id = $1",
    )
    .bind(report)
    .fetch_optional(&mut **tx)
    .await?;
    if known.is_some() {
        return Ok(Some(EscrowReportOutcome::ReportKnown));
    }
    let in_use = sqlx::query::<Any>("SELECT 1 AS used FROM mailboxes WHERE token_hash = $1")
        .bind(r.mailbox_hash.to_vec())
        .fetch_optional(&mut **tx)
        .await?;
    if in_use.is_some() {
        return Ok(Some(EscrowReportOutcome::MailboxInUse));
    }
    Ok(None)
}
