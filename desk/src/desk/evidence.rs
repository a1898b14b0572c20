//! Evidence: every attachment of a case downloaded, opened and kept in the sealed store
//! before the case is acknowledged.

use workvoice_proto::ErrorCode;
use workvoice_proto::api::RelayErrorCode;
use workvoice_proto::keys::AttachmentId;

use crate::error::{DeskError, Result};
use crate::store::StoredAttachment;

use super::Desk;

/// Whether every attachment of a case is kept at the desk (or known never to be had).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Evidence {
    Kept,
    /// At least one is still being uploaded by the phone.
    Pending,
}

impl Desk {
    /// Per attachment id of a case: `None` when kept, else the problem code.
    pub async fn attachment_states(
        &self,
        case_id: i64,
    ) -> Result<std::collections::HashMap<String, Option<String>>> {
        self.inner.store.attachment_states(case_id).await
    }

    /// Download, open and keep (sealed at rest) every attachment of a case not kept yet.
    /// An attachment the relay does not know or that does not open is recorded as unavailable;
    /// one still being uploaded leaves the case's evidence `Pending`; any other failure (the
    /// relay unreachable) is an error, and nothing is acknowledged.
    pub(super) async fn keep_evidence(
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
            let problem = match client.open_attachment(&report.report_id, entry).await {
                Ok(Ok(plain)) => {
                    store
                        .keep_attachment(case_id, &id, &entry.media_type, Ok(&plain))
                        .await?;
                    continue;
                }
                Ok(Err(e)) => e.code().to_string(),
                Err(DeskError::RelayRefused { code, .. })
                    if RelayErrorCode::parse(&code)
                        == Some(RelayErrorCode::AttachmentIncomplete) =>
                {
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
}
