//! What the desk knows of a case beyond the report: its internal status, the facts used to
//! filter and link cases, and how a decrypted report becomes a stored case.

use serde::{Deserialize, Serialize};
use workvoice_proto::api::{InboxEntry, WorkerStatus};
use workvoice_proto::report::{FieldError, Report};
use workvoice_proto::routing::Consent;

/// A caseworker's status of a case. Each maps to the status the worker sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    New,
    Triage,
    Investigating,
    WaitingForWorker,
    Referred,
    Resolved,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 7] = [
        CaseStatus::New,
        CaseStatus::Triage,
        CaseStatus::Investigating,
        CaseStatus::WaitingForWorker,
        CaseStatus::Referred,
        CaseStatus::Resolved,
        CaseStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Triage => "triage",
            CaseStatus::Investigating => "investigating",
            CaseStatus::WaitingForWorker => "waiting_for_worker",
            CaseStatus::Referred => "referred",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.iter().copied().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::New => "New",
            CaseStatus::Triage => "Triage",
            CaseStatus::Investigating => "Investigating",
            CaseStatus::WaitingForWorker => "Waiting for the worker",
            CaseStatus::Referred => "Referred",
            CaseStatus::Resolved => "Resolved",
            CaseStatus::Closed => "Closed",
        }
    }

    /// What the worker sees of this status through her anonymous mailbox.
    pub fn worker_status(self) -> WorkerStatus {
        match self {
            CaseStatus::New => WorkerStatus::Received,
            CaseStatus::Triage | CaseStatus::Investigating | CaseStatus::WaitingForWorker => {
                WorkerStatus::InReview
            }
            CaseStatus::Referred => WorkerStatus::Referred,
            CaseStatus::Resolved => WorkerStatus::Resolved,
            CaseStatus::Closed => WorkerStatus::Closed,
        }
    }
}

/// A recruiter's or employer's name reduced for matching: lower case, letters and digits only,
/// legal-form suffixes (Pvt. Ltd., Sdn. Bhd., W.L.L., ...) dropped.
pub fn normalise_party_name(name: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "pvt",
        "ltd",
        "limited",
        "private",
        "co",
        "company",
        "inc",
        "llc",
        "sdn",
        "bhd",
        "pte",
        "corp",
        "corporation",
        "plc",
        "gmbh",
        "wll",
        "w",
        "l",
        "est",
        "establishment",
        "and",
    ];
    let cleaned: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// A licence number reduced for matching: letters and digits only, upper case.
pub fn normalise_licence(licence: &str) -> String {
    licence
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Where the report's own content and what the phone disclosed to the relay disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseProblem {
    pub field: String,
    pub code: String,
}

/// A decrypted report ready to be stored.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub entry_seq: u64,
    pub received_at: u64,
    pub referred_by: Option<String>,
    pub disclosed_tags: String,
    pub disclosed_consent: String,
    pub plaintext: Vec<u8>,
    pub opened_with_key: u32,
    pub report: Report,
    pub problems: Vec<CaseProblem>,
    /// The consent that counts: what the report says AND what was disclosed.
    pub consent: Consent,
}

impl NewCase {
    /// Check the decoded report against the inbox entry and collect every problem.
    pub fn from_opened(
        entry: &InboxEntry,
        plaintext: Vec<u8>,
        report: Report,
        opened_with_key: u32,
    ) -> NewCase {
        let mut problems: Vec<CaseProblem> = Vec::new();
        if let Err(errors) = report.validate() {
            problems.extend(
                errors
                    .into_iter()
                    .map(|FieldError { field, problem }| CaseProblem {
                        field,
                        code: workvoice_proto::ErrorCode::code(&problem).to_string(),
                    }),
            );
        }
        if report.consent != entry.consent {
            problems.push(CaseProblem {
                field: "consent".into(),
                code: "disclosure_mismatch".into(),
            });
        }
        if report.routing_tags() != entry.tags {
            problems.push(CaseProblem {
                field: "tags".into(),
                code: "disclosure_mismatch".into(),
            });
        }
        let consent = Consent {
            union: report.consent.union && entry.consent.union,
            inspectorate: report.consent.inspectorate && entry.consent.inspectorate,
            ngo: report.consent.ngo && entry.consent.ngo,
            contact_wanted: report.consent.contact_wanted && entry.consent.contact_wanted,
        };
        NewCase {
            entry_seq: entry.seq,
            received_at: entry.received_at_hour,
            referred_by: entry.referred_by.map(|o| o.to_hex()),
            disclosed_tags: json(&entry.tags),
            disclosed_consent: json(&entry.consent),
            plaintext,
            opened_with_key,
            report,
            problems,
            consent,
        }
    }

    /// Lower-case text the free-text search looks in.
    pub fn search_text(&self) -> String {
        let r = &self.report;
        let mut parts: Vec<&str> = vec![&r.free_text];
        for party in [&r.recruiter, &r.employer].into_iter().flatten() {
            parts.push(&party.name);
            if let Some(l) = &party.licence_number {
                parts.push(l);
            }
        }
        for t in [
            &r.job.promised.title,
            &r.job.actual.title,
            &r.job.promised.employer,
            &r.job.actual.employer,
        ]
        .into_iter()
        .flatten()
        {
            parts.push(t);
        }
        let id = r.report_id.to_hex();
        parts.push(&id);
        parts.join("\n").to_lowercase()
    }
}

pub(crate) fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_names_normalise() {
        assert_eq!(
            normalise_party_name("Sagarmatha Manpower Pvt. Ltd."),
            "sagarmatha manpower"
        );
        assert_eq!(
            normalise_party_name("SAGARMATHA  manpower (P.) Ltd"),
            "sagarmatha manpower p"
        );
        assert_eq!(normalise_party_name("Doha Build Co. W.L.L."), "doha build");
        assert_eq!(normalise_party_name("Ltd"), "ltd");
        assert_eq!(normalise_licence("1234/067-068"), "1234067068");
    }

    #[test]
    fn statuses_map_to_what_the_worker_sees() {
        assert_eq!(CaseStatus::New.worker_status(), WorkerStatus::Received);
        assert_eq!(
            CaseStatus::WaitingForWorker.worker_status(),
            WorkerStatus::InReview
        );
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
    }
}
