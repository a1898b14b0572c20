//! Casework: the cases as the web pages read them, status, assignment, notes, replies to the
//! worker and referrals with her consent.

use workvoice_proto::api::{PostReply, Referral, StatusChange, WorkerStatus};
use workvoice_proto::directory::OrgKind;
use workvoice_proto::envelope;
use workvoice_proto::keys::{OrgId, ReportId};
use workvoice_proto::reply::{ReplyBody, seal_reply};
use workvoice_proto::report::Report;
use workvoice_proto::routing::{Consent, RoutingTags, disclosure_digest};
use workvoice_proto::status::{StatusBody, seal_status};
use workvoice_proto::system_rng::SystemRng;

use crate::cases::CaseStatus;
use crate::error::{DeskError, Result};
use crate::store::{self, CaseRecord};

use crate::store::{CaseEvent, CaseFilter, CaseSummary, InsightRow, LinkedCase};

use super::Desk;

/// An organisation a case can be referred to, and whether it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralOption {
    pub org_id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    /// `None` when allowed; otherwise why not.
    pub refused: Option<String>,
}

pub(super) fn parse_report_id(case: &CaseRecord) -> Result<ReportId> {
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

impl Desk {
    /// One stored case (`DeskError::CaseNotFound` if there is none).
    pub async fn case(&self, id: i64) -> Result<CaseRecord> {
        self.inner.store.case(id).await
    }

    /// One page of the case list, newest first.
    pub async fn list_cases(
        &self,
        filter: &CaseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<CaseSummary>> {
        self.inner.store.list_cases(filter, limit, offset).await
    }

    pub async fn count_cases(&self, filter: &CaseFilter) -> Result<u64> {
        self.inner.store.count_cases(filter).await
    }

    /// The ids of every case `filter` selects (the exports).
    pub async fn filtered_case_ids(&self, filter: &CaseFilter) -> Result<Vec<i64>> {
        self.inner.store.filtered_case_ids(filter).await
    }

    /// The destinations and sectors the stored cases have (the list's filter choices).
    pub async fn facets(&self) -> Result<(Vec<String>, Vec<String>)> {
        self.inner.store.facets().await
    }

    /// The history of a case, oldest first.
    pub async fn events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        self.inner.store.events(case_id).await
    }

    /// Cases that share a recruiter or an employer with `case`.
    pub async fn linked_cases(&self, case: &CaseRecord) -> Result<Vec<LinkedCase>> {
        self.inner.store.linked_cases(case).await
    }

    /// Assign a case to a caseworker `(id, user name)`, or to nobody.
    pub async fn assign(
        &self,
        case_id: i64,
        user: Option<(i64, String)>,
        actor: &str,
    ) -> Result<()> {
        self.inner.store.assign(case_id, user, actor).await
    }

    /// Every row the dashboard aggregates.
    pub async fn insight_rows(&self) -> Result<Vec<InsightRow>> {
        self.inner.store.insight_rows().await
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
        // An escrowed case whose mailbox is not registered at the relay: its status stays at
        // the desk.
        if worker.as_str() != case.worker_status
            && !self.inner.store.lacks_reply_channel(case_id).await?
        {
            let change = self.sealed_status(&case, &row, worker)?;
            self.client(&row)?.set_status(&report_id, &change).await?;
        }
        self.inner.store.set_status(case_id, status, actor).await
    }

    /// A worker-visible status, sealed to the report's reply key with the certified key so the
    /// phone can tell it came from this organisation (`PROTOCOL.md` 8.5).
    fn sealed_status(
        &self,
        case: &CaseRecord,
        row: &store::EnrolmentRow,
        status: WorkerStatus,
    ) -> Result<StatusChange> {
        let report = Self::report_of(case)?;
        let (org_id, _) = super::keys::enrolment_ids(row)?;
        let key = self.certified_key(row)?;
        let sealed = seal_status(
            &StatusBody {
                status,
                set_at: store::now(),
            },
            report.report_id,
            org_id,
            &key,
            &report.reply_key,
            &mut SystemRng::new(),
        )
        .map_err(|e| DeskError::Reply(e.to_string()))?;
        Ok(StatusChange {
            status,
            sealed: Some(sealed),
        })
    }

    /// Seal a reply to the report's reply key with the certified key and post it.
    pub async fn reply(&self, case_id: i64, text: &str, language: &str, actor: &str) -> Result<()> {
        let case = self.inner.store.case(case_id).await?;
        if self.inner.store.lacks_reply_channel(case_id).await? {
            return Err(DeskError::EscrowedCase);
        }
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
        // The relay knows no report of this id, so it cannot check the consent flag of a
        // referral (`PROTOCOL.md` 10): not built for escrowed cases.
        if self.inner.store.is_escrowed(case_id).await? {
            return Err(DeskError::EscrowedCase);
        }
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
            let change = self.sealed_status(&case, &row, WorkerStatus::Referred)?;
            client.set_status(&report_id, &change).await?;
        }
        self.inner
            .store
            .set_status(case_id, CaseStatus::Referred, actor)
            .await
    }
}
