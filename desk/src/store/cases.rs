//! Cases: the list and its filters, one case with its events, status, assignment, links
//! between cases, and storing a new case.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{Store, Stored, now};
use crate::cases::{
    CaseProblem, CaseStatus, NewCase, json, normalise_licence, normalise_party_name,
};
use crate::error::{DeskError, Result};

/// Filters of the case list and the exports. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub destination: Option<String>,
    pub sector: Option<String>,
    pub indicator: Option<String>,
    pub recruiter: Option<String>,
    /// Unix seconds, inclusive.
    pub received_from: Option<u64>,
    /// Unix seconds, exclusive.
    pub received_until: Option<u64>,
    pub text: Option<String>,
}

/// One row of the case list.
#[derive(Debug, Clone)]
pub struct CaseSummary {
    pub id: i64,
    pub report_id: String,
    pub received_at: u64,
    pub status: CaseStatus,
    pub destination_country: String,
    pub origin_country: Option<String>,
    pub sector: Option<String>,
    pub recruiter_name: Option<String>,
    pub language: String,
    pub referred_by: Option<String>,
    pub assignee: Option<String>,
    pub indicators: Vec<String>,
    pub has_problems: bool,
}

/// A stored case with everything the case page shows.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub summary: CaseSummary,
    pub inbox_seq: u64,
    pub plaintext: Vec<u8>,
    pub disclosed_tags: String,
    pub disclosed_consent: String,
    pub problems: Vec<CaseProblem>,
    pub worker_status: String,
    pub assignee_id: Option<i64>,
    pub may_refer_inspectorate: bool,
    pub may_refer_ngo: bool,
    pub contact_wanted: bool,
    pub recruiter_norm: Option<String>,
    pub recruiter_licence: Option<String>,
    pub employer_norm: Option<String>,
    pub employer_licence: Option<String>,
    pub acked_at: Option<u64>,
    pub opened_with_key: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub at: u64,
    pub actor: Option<String>,
    pub kind: String,
    pub detail: serde_json::Value,
}

/// A case that names the same recruiter or employer.
#[derive(Debug, Clone)]
pub struct LinkedCase {
    pub id: i64,
    pub report_id: String,
    pub received_at: u64,
    pub reason: String,
}

fn summary_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<CaseSummary> {
    let indicators: Option<String> = row.try_get(12)?;
    let problems: String = row.try_get(11)?;
    Ok(CaseSummary {
        id: row.try_get(0)?,
        report_id: row.try_get(1)?,
        received_at: row.try_get::<i64, _>(2)? as u64,
        status: CaseStatus::parse(&row.try_get::<String, _>(3)?).unwrap_or(CaseStatus::New),
        destination_country: row.try_get(4)?,
        origin_country: row.try_get(5)?,
        sector: row.try_get(6)?,
        recruiter_name: row.try_get(7)?,
        language: row.try_get(8)?,
        referred_by: row.try_get(9)?,
        assignee: row.try_get(10)?,
        indicators: indicators
            .map(|s| s.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        has_problems: problems != "[]",
    })
}

impl Store {
    pub async fn case_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    pub async fn list_cases(
        &self,
        filter: &CaseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<CaseSummary>> {
        let sql = concat!(
            "SELECT c.id, c.report_id, c.received_at, c.status, c.destination_country, ",
            "c.origin_country, c.sector, c.recruiter_name, c.language, c.referred_by, u.username, ",
            "c.problems, (SELECT group_concat(indicator, ',') FROM case_indicators i ",
            "WHERE i.case_id = c.id) FROM cases c LEFT JOIN users u ON u.id = c.assignee_id ",
            "WHERE (?1 IS NULL OR c.status = ?1) ",
            "AND (?2 IS NULL OR c.destination_country = ?2) ",
            "AND (?3 IS NULL OR c.sector = ?3) ",
            "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM case_indicators x ",
            "WHERE x.case_id = c.id AND x.indicator = ?4)) ",
            "AND (?5 IS NULL OR instr(c.recruiter_norm, ?5) > 0 OR c.recruiter_licence = ?6) ",
            "AND (?7 IS NULL OR c.received_at >= ?7) ",
            "AND (?8 IS NULL OR c.received_at < ?8) ",
            "AND (?9 IS NULL OR instr(c.search_text, ?9) > 0) ",
            "ORDER BY c.received_at DESC, c.id DESC LIMIT ?10 OFFSET ?11"
        );
        let rows = bind_filter(sqlx::query(sql), filter)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }

    pub async fn count_cases(&self, filter: &CaseFilter) -> Result<u64> {
        let sql = concat!(
            "SELECT count(*) FROM cases c ",
            "WHERE (?1 IS NULL OR c.status = ?1) ",
            "AND (?2 IS NULL OR c.destination_country = ?2) ",
            "AND (?3 IS NULL OR c.sector = ?3) ",
            "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM case_indicators x ",
            "WHERE x.case_id = c.id AND x.indicator = ?4)) ",
            "AND (?5 IS NULL OR instr(c.recruiter_norm, ?5) > 0 OR c.recruiter_licence = ?6) ",
            "AND (?7 IS NULL OR c.received_at >= ?7) ",
            "AND (?8 IS NULL OR c.received_at < ?8) ",
            "AND (?9 IS NULL OR instr(c.search_text, ?9) > 0)"
        );
        let n: i64 = bind_filter(sqlx::query(sql), filter)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }

    /// Ids of every case that passes the filter (newest first), for exports.
    pub async fn filtered_case_ids(&self, filter: &CaseFilter) -> Result<Vec<i64>> {
        Ok(self
            .list_cases(filter, -1, 0)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect())
    }

    /// Destination countries and sectors present, for the filter drop-downs.
    pub async fn facets(&self) -> Result<(Vec<String>, Vec<String>)> {
        let dest: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT destination_country FROM cases ORDER BY 1")
                .fetch_all(&self.pool)
                .await?;
        let sectors: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT sector FROM cases WHERE sector IS NOT NULL ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok((dest, sectors))
    }

    pub async fn case(&self, id: i64) -> Result<CaseRecord> {
        let sql = concat!(
            "SELECT c.id, c.report_id, c.received_at, c.status, c.destination_country, ",
            "c.origin_country, c.sector, c.recruiter_name, c.language, c.referred_by, u.username, ",
            "c.problems, (SELECT group_concat(indicator, ',') FROM case_indicators i ",
            "WHERE i.case_id = c.id), ",
            "c.inbox_seq, c.plaintext, c.disclosed_tags, c.disclosed_consent, c.worker_status, ",
            "c.assignee_id, c.may_refer_inspectorate, c.may_refer_ngo, c.contact_wanted, ",
            "c.recruiter_norm, c.recruiter_licence, c.employer_norm, c.employer_licence, ",
            "c.acked_at, c.opened_with_key ",
            "FROM cases c LEFT JOIN users u ON u.id = c.assignee_id WHERE c.id = ?"
        );
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DeskError::CaseNotFound)?;
        let problems: String = row.try_get(11)?;
        Ok(CaseRecord {
            summary: summary_from_row(&row)?,
            inbox_seq: row.try_get::<i64, _>(13)? as u64,
            plaintext: row.try_get(14)?,
            disclosed_tags: row.try_get(15)?,
            disclosed_consent: row.try_get(16)?,
            problems: serde_json::from_str(&problems).unwrap_or_default(),
            worker_status: row.try_get(17)?,
            assignee_id: row.try_get(18)?,
            may_refer_inspectorate: row.try_get::<i64, _>(19)? != 0,
            may_refer_ngo: row.try_get::<i64, _>(20)? != 0,
            contact_wanted: row.try_get::<i64, _>(21)? != 0,
            recruiter_norm: row.try_get(22)?,
            recruiter_licence: row.try_get(23)?,
            employer_norm: row.try_get(24)?,
            employer_licence: row.try_get(25)?,
            acked_at: row.try_get::<Option<i64>, _>(26)?.map(|v| v as u64),
            opened_with_key: row.try_get::<i64, _>(27)? as u32,
        })
    }

    pub async fn case_id_by_report(&self, report_id: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM cases WHERE report_id = ?")
                .bind(report_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        let rows = sqlx::query(
            "SELECT at, actor, kind, detail FROM case_events WHERE case_id = ? ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get(3)?;
                Ok(CaseEvent {
                    at: r.try_get::<i64, _>(0)? as u64,
                    actor: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    pub async fn add_event(
        &self,
        case_id: i64,
        actor: &str,
        kind: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO case_events (case_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(case_id)
        .bind(now() as i64)
        .bind(actor)
        .bind(kind)
        .bind(detail.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_status(&self, case_id: i64, status: CaseStatus, actor: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE cases SET status = ?, worker_status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(status.worker_status().as_str())
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO case_events (case_id, at, actor, kind, detail) VALUES (?, ?, ?, 'status', ?)",
        )
        .bind(case_id)
        .bind(now() as i64)
        .bind(actor)
        .bind(
            serde_json::json!({
                "status": status.as_str(),
                "worker_status": status.worker_status().as_str(),
            })
            .to_string(),
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn assign(
        &self,
        case_id: i64,
        user: Option<(i64, String)>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE cases SET assignee_id = ? WHERE id = ?")
            .bind(user.as_ref().map(|u| u.0))
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO case_events (case_id, at, actor, kind, detail) \
             VALUES (?, ?, ?, 'assignment', ?)",
        )
        .bind(case_id)
        .bind(now() as i64)
        .bind(actor)
        .bind(serde_json::json!({ "assignee": user.map(|u| u.1) }).to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cases naming the same recruiter or employer (normalised name or licence number).
    pub async fn linked_cases(&self, case: &CaseRecord) -> Result<Vec<LinkedCase>> {
        let sql = concat!(
            "SELECT id, report_id, received_at, ",
            "CASE WHEN ?2 IS NOT NULL AND recruiter_licence = ?2 THEN 'recruiter_licence' ",
            "WHEN ?1 IS NOT NULL AND recruiter_norm = ?1 THEN 'recruiter_name' ",
            "WHEN ?4 IS NOT NULL AND employer_licence = ?4 THEN 'employer_licence' ",
            "ELSE 'employer_name' END ",
            "FROM cases WHERE id != ?5 AND (",
            "(?1 IS NOT NULL AND recruiter_norm = ?1) OR (?2 IS NOT NULL AND recruiter_licence = ?2) ",
            "OR (?3 IS NOT NULL AND employer_norm = ?3) OR (?4 IS NOT NULL AND employer_licence = ?4)) ",
            "ORDER BY received_at DESC LIMIT 50"
        );
        let rows = sqlx::query(sql)
            .bind(&case.recruiter_norm)
            .bind(&case.recruiter_licence)
            .bind(&case.employer_norm)
            .bind(&case.employer_licence)
            .bind(case.summary.id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(LinkedCase {
                    id: r.try_get(0)?,
                    report_id: r.try_get(1)?,
                    received_at: r.try_get::<i64, _>(2)? as u64,
                    reason: r.try_get(3)?,
                })
            })
            .collect()
    }
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn bind_filter<'q>(query: SqliteQuery<'q>, f: &CaseFilter) -> SqliteQuery<'q> {
    let recruiter = f
        .recruiter
        .as_deref()
        .map(normalise_party_name)
        .filter(|s| !s.is_empty());
    let licence = f
        .recruiter
        .as_deref()
        .map(normalise_licence)
        .filter(|s| !s.is_empty());
    let text = f
        .text
        .as_deref()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    // A recruiter filter whose name normalises to nothing still filters by licence.
    let recruiter_key = recruiter.or_else(|| licence.as_ref().map(|_| "\u{0}".to_string()));
    query
        .bind(f.status.map(|s| s.as_str()))
        .bind(f.destination.clone())
        .bind(f.sector.clone())
        .bind(f.indicator.clone())
        .bind(recruiter_key)
        .bind(licence)
        .bind(f.received_from.map(|v| v as i64))
        .bind(f.received_until.map(|v| v as i64))
        .bind(text)
}

pub(super) async fn insert_case(
    tx: &mut sqlx::SqliteConnection,
    case: &NewCase,
    at: i64,
) -> Result<Stored> {
    let r = &case.report;
    let party = |p: &Option<workvoice_proto::report::NamedParty>| {
        p.as_ref().map(|p| {
            (
                p.name.clone(),
                normalise_party_name(&p.name),
                p.licence_number
                    .as_deref()
                    .map(normalise_licence)
                    .filter(|l| !l.is_empty()),
            )
        })
    };
    let recruiter = party(&r.recruiter);
    let employer = party(&r.employer);
    let wage = r
        .monthly_wage
        .as_ref()
        .or(r.job.actual.monthly_wage.as_ref());
    let result = sqlx::query(concat!(
        "INSERT INTO cases (report_id, inbox_seq, received_at, stored_at, referred_by, ",
        "disclosed_tags, disclosed_consent, plaintext, opened_with_key, problems, ",
        "destination_country, origin_country, sector, language, recruiter_name, recruiter_norm, ",
        "recruiter_licence, employer_name, employer_norm, employer_licence, ",
        "may_refer_inspectorate, may_refer_ngo, contact_wanted, wage_minor, wage_currency, ",
        "search_text, channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ",
        "?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id) DO NOTHING"
    ))
    .bind(r.report_id.to_hex())
    .bind(case.entry_seq as i64)
    .bind(case.received_at as i64)
    .bind(at)
    .bind(&case.referred_by)
    .bind(&case.disclosed_tags)
    .bind(&case.disclosed_consent)
    .bind(&case.plaintext)
    .bind(case.opened_with_key as i64)
    .bind(json(&case.problems))
    .bind(&r.destination_country)
    .bind(&r.origin_country)
    .bind(r.sector.map(|s| s.letter().to_string()))
    .bind(&r.language)
    .bind(recruiter.as_ref().map(|p| p.0.clone()))
    .bind(recruiter.as_ref().map(|p| p.1.clone()))
    .bind(recruiter.as_ref().and_then(|p| p.2.clone()))
    .bind(employer.as_ref().map(|p| p.0.clone()))
    .bind(employer.as_ref().map(|p| p.1.clone()))
    .bind(employer.as_ref().and_then(|p| p.2.clone()))
    .bind(case.consent.inspectorate)
    .bind(case.consent.ngo)
    .bind(case.consent.contact_wanted)
    .bind(wage.map(|w| w.amount_minor as i64))
    .bind(wage.map(|w| w.currency.clone()))
    .bind(case.search_text())
    .bind(workvoice_proto::report::Channel::of(r).as_str())
    .execute(&mut *tx)
    .await?;
    if result.rows_affected() == 0 {
        return Ok(Stored::AlreadyStored);
    }
    let case_id = result.last_insert_rowid();
    for indicator in &r.indicators {
        sqlx::query(
            "INSERT INTO case_indicators (case_id, indicator) VALUES (?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(case_id)
        .bind(indicator.as_str())
        .execute(&mut *tx)
        .await?;
    }
    let mut totals: std::collections::BTreeMap<&str, u64> = Default::default();
    for fee in &r.fees {
        let t = totals.entry(fee.amount.currency.as_str()).or_default();
        *t = t.saturating_add(fee.amount.amount_minor);
    }
    for (currency, total) in totals {
        sqlx::query("INSERT INTO case_fees (case_id, currency, total_minor) VALUES (?, ?, ?)")
            .bind(case_id)
            .bind(currency)
            .bind(total.min(i64::MAX as u64) as i64)
            .execute(&mut *tx)
            .await?;
    }
    let detail = serde_json::json!({
        "inbox_seq": case.entry_seq,
        "referred_by": case.referred_by,
        "problems": case.problems.len(),
    });
    sqlx::query(
        "INSERT INTO case_events (case_id, at, actor, kind, detail) VALUES (?, ?, NULL, 'received', ?)",
    )
    .bind(case_id)
    .bind(at)
    .bind(detail.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(Stored::New)
}
