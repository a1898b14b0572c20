//! Routing: who receives a report, decided by one pure function that the phone runs to choose
//! whom to seal to and the relay runs again to verify the submission.
//!
//! The worker's consent always wins: an organisation whose kind the worker did not consent to
//! is withheld, whatever the rules say.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::directory::{Listing, OrgKind, UntrustedReason};
use crate::keys::{OrgId, sha256};
use crate::report::Sector;
use crate::{ErrorCode, iso};

/// The most organisations one report may be sealed to.
pub const MAX_RECIPIENTS: usize = 16;
pub const MAX_KINDS: usize = 8;

/// What kind of abuse a report is about, a coarse tag disclosed to the relay for routing.
/// Known values have constructors; unknown values from newer phones pass through unchanged and
/// simply match no rule that does not name them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportKind(pub String);

impl ReportKind {
    pub fn recruitment_fees() -> Self {
        Self("recruitment_fees".into())
    }
    pub fn forced_labour() -> Self {
        Self("forced_labour".into())
    }
    pub fn wage_theft() -> Self {
        Self("wage_theft".into())
    }
    pub fn contract_substitution() -> Self {
        Self("contract_substitution".into())
    }
    pub fn other() -> Self {
        Self("other".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_well_formed(&self) -> bool {
        (1..=32).contains(&self.0.len())
            && self
                .0
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c == b'_' || c.is_ascii_digit())
    }
}

/// The coarse facts a report discloses to the relay, and nothing else: shown to the worker
/// before sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingTags {
    /// ISO 3166-1 alpha-2 of the country where the worker works.
    pub destination_country: String,
    /// ISIC section letter, when the worker said which sector.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "sector_letter"
    )]
    pub sector: Option<Sector>,
    pub kinds: BTreeSet<ReportKind>,
}

/// Sectors in tags are kept as letters on the wire. A letter this version does not know
/// decodes as [`Sector::Unknown`] and is refused by [`RoutingTags::validate`].
mod sector_letter {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::report::Sector;

    pub fn serialize<S: Serializer>(sector: &Option<Sector>, s: S) -> Result<S::Ok, S::Error> {
        match sector {
            Some(sector) => s.serialize_some(&sector.letter().to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Sector>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        Ok(text.map(|t| {
            let mut chars = t.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Sector::from_letter(c).unwrap_or(Sector::Unknown),
                _ => Sector::Unknown,
            }
        }))
    }
}

/// Who the worker allows to read the report, and whether she wants to be contacted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub union: bool,
    pub inspectorate: bool,
    #[serde(default)]
    pub ngo: bool,
    #[serde(default)]
    pub contact_wanted: bool,
}

impl Consent {
    /// Whether this consent lets an organisation of `kind` read the report.
    pub fn allows(&self, kind: OrgKind) -> bool {
        match kind {
            OrgKind::Union => self.union,
            OrgKind::Inspectorate => self.inspectorate,
            OrgKind::Ngo => self.ngo,
            OrgKind::Unknown => false,
        }
    }

    pub(crate) fn flags(&self) -> u8 {
        u8::from(self.union)
            | u8::from(self.inspectorate) << 1
            | u8::from(self.ngo) << 2
            | u8::from(self.contact_wanted) << 3
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagsError {
    #[error("destination country {0:?} is not an ISO 3166-1 alpha-2 code")]
    InvalidCountry(String),
    #[error("the sector is not an ISIC section this relay knows")]
    UnknownSector,
    #[error("report kind {0:?} is not a lowercase tag of at most 32 characters")]
    InvalidKind(String),
    #[error("a report carries between 1 and {MAX_KINDS} kinds")]
    KindCount,
}

impl ErrorCode for TagsError {
    fn code(&self) -> &'static str {
        match self {
            TagsError::InvalidCountry(_) => "invalid_country",
            TagsError::UnknownSector => "unknown_sector",
            TagsError::InvalidKind(_) => "invalid_kind",
            TagsError::KindCount => "invalid_kind_count",
        }
    }
}

impl RoutingTags {
    pub fn validate(&self) -> Result<(), TagsError> {
        if !iso::is_country(&self.destination_country) {
            return Err(TagsError::InvalidCountry(self.destination_country.clone()));
        }
        if self.sector == Some(Sector::Unknown) {
            return Err(TagsError::UnknownSector);
        }
        if self.kinds.is_empty() || self.kinds.len() > MAX_KINDS {
            return Err(TagsError::KindCount);
        }
        if let Some(bad) = self.kinds.iter().find(|k| !k.is_well_formed()) {
            return Err(TagsError::InvalidKind(bad.0.clone()));
        }
        Ok(())
    }
}

/// The canonical bytes of what a submission discloses (tags and consent). Its SHA-256 is bound
/// into every envelope's associated data, so a relay that altered the tags or the consent it
/// passes on would make the envelope fail to open. Layout in `PROTOCOL.md` ("Disclosure").
pub fn disclosure_bytes(tags: &RoutingTags, consent: &Consent) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + tags.kinds.len() * 24);
    out.extend_from_slice(b"WVDS\x01");
    let country = tags.destination_country.as_bytes();
    out.push(country.len() as u8);
    out.extend_from_slice(country);
    out.push(tags.sector.map_or(0, |s| s.letter() as u8));
    out.push(tags.kinds.len() as u8);
    for kind in &tags.kinds {
        out.push(kind.0.len() as u8);
        out.extend_from_slice(kind.0.as_bytes());
    }
    out.push(consent.flags());
    out
}

/// SHA-256 of [`disclosure_bytes`].
pub fn disclosure_digest(tags: &RoutingTags, consent: &Consent) -> [u8; 32] {
    sha256(&[&disclosure_bytes(tags, consent)]).0
}

/// A routing rule of the directory. Rules are evaluated in order; an empty condition matches
/// anything; a matching rule adds its organisations (those not already chosen), and a matching
/// rule with `stop` ends the evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    pub id: String,
    #[serde(default)]
    pub destination_countries: Vec<String>,
    #[serde(default, with = "sector_letters")]
    pub sectors: Vec<Sector>,
    #[serde(default)]
    pub kinds: Vec<ReportKind>,
    pub deliver_to: Vec<OrgId>,
    #[serde(default)]
    pub stop: bool,
}

mod sector_letters {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::report::Sector;

    pub fn serialize<S: Serializer>(sectors: &[Sector], s: S) -> Result<S::Ok, S::Error> {
        sectors
            .iter()
            .map(|x| x.letter().to_string())
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Sector>, D::Error> {
        let letters = Vec::<String>::deserialize(d)?;
        Ok(letters
            .iter()
            .map(|t| {
                let mut chars = t.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Sector::from_letter(c).unwrap_or(Sector::Unknown),
                    _ => Sector::Unknown,
                }
            })
            .collect())
    }
}

impl RoutingRule {
    pub fn matches(&self, tags: &RoutingTags) -> bool {
        let country = self.destination_countries.is_empty()
            || self
                .destination_countries
                .contains(&tags.destination_country);
        let sector = self.sectors.is_empty()
            || tags
                .sector
                .is_some_and(|s| s != Sector::Unknown && self.sectors.contains(&s));
        let kind = self.kinds.is_empty() || self.kinds.iter().any(|k| tags.kinds.contains(k));
        country && sector && kind
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.destination_countries.is_empty() {
            parts.push(format!(
                "destination {}",
                self.destination_countries.join("|")
            ));
        }
        if !self.sectors.is_empty() {
            let letters: String = self.sectors.iter().map(|s| s.letter()).collect();
            parts.push(format!("sector {letters}"));
        }
        if !self.kinds.is_empty() {
            let kinds: Vec<&str> = self.kinds.iter().map(ReportKind::as_str).collect();
            parts.push(format!("kind {}", kinds.join("|")));
        }
        if parts.is_empty() {
            "every report".into()
        } else {
            parts.join(", ")
        }
    }
}

/// One organisation a report goes to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRecipient {
    pub org_id: OrgId,
    pub kind: OrgKind,
    pub rule_id: String,
    /// Human-readable condition of the rule that chose it, e.g. "destination QA, sector F".
    pub reason: String,
}

/// An organisation the rules chose but the worker's consent withholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithheldRecipient {
    pub org_id: OrgId,
    pub kind: OrgKind,
    pub rule_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub recipients: Vec<RouteRecipient>,
    pub withheld: Vec<WithheldRecipient>,
}

impl Route {
    /// Recipient ids in sorted order, for comparison with an envelope's recipient list.
    pub fn recipient_set(&self) -> BTreeSet<OrgId> {
        self.recipients.iter().map(|r| r.org_id).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("invalid routing tags: {0}")]
    InvalidTags(#[from] TagsError),
    #[error("no organisation can receive this report ({withheld} withheld for lack of consent)")]
    NoRecipient { withheld: usize },
    #[error("rule {rule_id} names organisation {org_id}, which the directory does not list")]
    UnknownOrganisation { rule_id: String, org_id: OrgId },
    #[error("the rules select {count} organisations, more than the {MAX_RECIPIENTS} allowed")]
    TooManyRecipients { count: usize },
}

impl ErrorCode for RoutingError {
    fn code(&self) -> &'static str {
        match self {
            RoutingError::InvalidTags(e) => e.code(),
            RoutingError::NoRecipient { .. } => "no_recipient",
            RoutingError::UnknownOrganisation { .. } => "directory_inconsistent",
            RoutingError::TooManyRecipients { .. } => "too_many_recipients",
        }
    }
}

/// Decide who receives a report with these tags and this consent under this directory.
pub fn route(
    tags: &RoutingTags,
    consent: &Consent,
    listing: &Listing,
) -> Result<Route, RoutingError> {
    tags.validate()?;
    let mut recipients: Vec<RouteRecipient> = Vec::new();
    let mut withheld: Vec<WithheldRecipient> = Vec::new();
    for rule in &listing.rules {
        if !rule.matches(tags) {
            continue;
        }
        for org_id in &rule.deliver_to {
            let Some(org) = listing.organisations.iter().find(|o| o.id == *org_id) else {
                return Err(RoutingError::UnknownOrganisation {
                    rule_id: rule.id.clone(),
                    org_id: *org_id,
                });
            };
            let already = recipients.iter().any(|r| r.org_id == *org_id)
                || withheld.iter().any(|w| w.org_id == *org_id);
            if already {
                continue;
            }
            if consent.allows(org.kind) {
                recipients.push(RouteRecipient {
                    org_id: *org_id,
                    kind: org.kind,
                    rule_id: rule.id.clone(),
                    reason: rule.describe(),
                });
            } else {
                withheld.push(WithheldRecipient {
                    org_id: *org_id,
                    kind: org.kind,
                    rule_id: rule.id.clone(),
                });
            }
        }
        if rule.stop {
            break;
        }
    }
    if recipients.is_empty() {
        return Err(RoutingError::NoRecipient {
            withheld: withheld.len(),
        });
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(RoutingError::TooManyRecipients {
            count: recipients.len(),
        });
    }
    Ok(Route {
        recipients,
        withheld,
    })
}

/// A recipient the rules chose that a submission leaves out because its key cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub org_id: OrgId,
    pub kind: OrgKind,
    pub reason: UntrustedReason,
}

/// Who a report is sealed to: the route's recipients whose keys are trusted, in route order,
/// and the ones left out with the reason. The phone seals to `deliver`; the worker is told of
/// `left_out`. Consent never widens: both come from the route, which already withholds every
/// organisation the worker did not consent to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub deliver: Vec<RouteRecipient>,
    pub left_out: Vec<LeftOut>,
}

/// Split a route by trust: `untrusted(org)` gives the reason an organisation's key cannot be
/// used, or `None` when it can. Refuses with [`DeliveryError::NoTrustedRecipient`] when nobody
/// would receive the report.
pub fn plan_delivery(
    route: &Route,
    untrusted: impl Fn(&OrgId) -> Option<UntrustedReason>,
) -> Result<Delivery, DeliveryError> {
    let mut deliver = Vec::new();
    let mut left_out = Vec::new();
    for recipient in &route.recipients {
        match untrusted(&recipient.org_id) {
            None => deliver.push(recipient.clone()),
            Some(reason) => left_out.push(LeftOut {
                org_id: recipient.org_id,
                kind: recipient.kind,
                reason,
            }),
        }
    }
    if deliver.is_empty() {
        return Err(DeliveryError::NoTrustedRecipient {
            left_out: left_out.len(),
        });
    }
    Ok(Delivery { deliver, left_out })
}

/// Why a submission's recipients cannot stand for its route.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("none of the {left_out} organisations the rules choose has a trusted key")]
    NoTrustedRecipient { left_out: usize },
    #[error("organisation {0} is sealed to but the routing rules do not choose it")]
    NotRouted(OrgId),
    #[error(
        "organisation {0}, chosen by the routing rules, is left out although its key is trusted"
    )]
    TrustedLeftOut(OrgId),
}

impl ErrorCode for DeliveryError {
    fn code(&self) -> &'static str {
        match self {
            DeliveryError::NoTrustedRecipient { .. } => "no_trusted_recipient",
            DeliveryError::NotRouted(_) | DeliveryError::TrustedLeftOut(_) => "recipients_mismatch",
        }
    }
}

/// The relay's check of a submission sealed to `sealed_to` against its route
/// (`PROTOCOL.md`, "Partial delivery"): every organisation sealed to is a route recipient, and
/// every route recipient left out has a key that `untrusted` explains. Returns those left out.
pub fn check_delivery(
    route: &Route,
    sealed_to: &BTreeSet<OrgId>,
    untrusted: impl Fn(&OrgId) -> Option<UntrustedReason>,
) -> Result<Vec<LeftOut>, DeliveryError> {
    let routed = route.recipient_set();
    if let Some(extra) = sealed_to.iter().find(|id| !routed.contains(id)) {
        return Err(DeliveryError::NotRouted(*extra));
    }
    let mut left_out = Vec::new();
    for recipient in &route.recipients {
        if sealed_to.contains(&recipient.org_id) {
            continue;
        }
        match untrusted(&recipient.org_id) {
            Some(reason) => left_out.push(LeftOut {
                org_id: recipient.org_id,
                kind: recipient.kind,
                reason,
            }),
            None => return Err(DeliveryError::TrustedLeftOut(recipient.org_id)),
        }
    }
    if sealed_to.is_empty() {
        return Err(DeliveryError::NoTrustedRecipient {
            left_out: left_out.len(),
        });
    }
    Ok(left_out)
}
