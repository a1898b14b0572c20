//! `GET /v1/mailbox/{token}?after=seq`: the anonymous mailbox of a report — deliveries,
//! acknowledgements, statuses and sealed replies. The relay keeps only the token's hash.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use workvoice_proto::api::RelayErrorCode;
use workvoice_proto::api::{MailboxEntry, MailboxItem, MailboxPage, MailboxStatus};
use workvoice_proto::keys::OrgId;
use workvoice_proto::recovery::{mailbox_token_hash, parse_mailbox_token};

use super::Path;
use crate::error::ApiFailure;
use crate::state::AppState;
use crate::storage::MailboxRow;

pub const MAX_PAGE: u32 = 200;

#[derive(Debug, Deserialize)]
pub struct MailboxQuery {
    #[serde(default)]
    pub after: u64,
    #[serde(default)]
    pub limit: Option<u32>,
}

fn unknown() -> ApiFailure {
    ApiFailure::new(RelayErrorCode::UnknownMailbox, "no mailbox has this token")
}

pub async fn get_mailbox(
    State(state): State<AppState>,
    Path(token): Path<String>,
    q: Result<Query<MailboxQuery>, QueryRejection>,
) -> Result<Json<MailboxPage>, ApiFailure> {
    let q = super::query(q)?;
    let token = parse_mailbox_token(&token).ok_or_else(unknown)?;
    let hash = mailbox_token_hash(&token);
    let mailbox = state.storage.mailbox(&hash.0).await?.ok_or_else(unknown)?;
    let limit = q.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let rows = state
        .storage
        .mailbox_entries(&mailbox, q.after, limit)
        .await?;
    let entries = rows.into_iter().map(entry).collect::<Result<Vec<_>, _>>()?;
    let last_seq = entries.last().map_or(q.after, |e| e.seq);
    Ok(Json(MailboxPage { entries, last_seq }))
}

fn entry(row: MailboxRow) -> Result<MailboxEntry, ApiFailure> {
    let org_id =
        OrgId::from_hex(&row.org_id).ok_or_else(|| ApiFailure::internal("mailbox org id"))?;
    let item = match (row.kind.as_str(), row.status, row.sealed) {
        ("status", Some(status), sealed) => MailboxItem::Status {
            status: serde_json::from_value::<MailboxStatus>(serde_json::Value::String(status))
                .map_err(ApiFailure::internal)?,
            sealed,
        },
        ("reply", _, Some(sealed)) => MailboxItem::Reply { sealed },
        _ => return Err(ApiFailure::internal("mailbox entry kind")),
    };
    Ok(MailboxEntry {
        seq: row.seq,
        org_id,
        at_hour: row.at_hour,
        item,
    })
}
