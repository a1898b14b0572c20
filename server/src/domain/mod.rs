//! The relay's own types: credentials, clock granularity, organisation profiles, key files.

pub mod keyfile;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use workvoice_proto::SecureRng;
use workvoice_proto::directory::{OrgKind, Organisation, Signed};
use workvoice_proto::keys::{OrgId, sha256};
use zeroize::Zeroizing;

const ORG_TOKEN_LABEL: &[u8] = b"workvoice/v1/org-api-token\0";

/// Unix seconds now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `t` rounded down to the hour: how the relay stores times a worker could be correlated by.
pub fn hour_of(t: u64) -> u64 {
    t - t % 3600
}

/// An organisation's API token: 256 random bits, shown once, stored only as its hash.
#[derive(Clone)]
pub struct ApiToken(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(..)")
    }
}

impl ApiToken {
    pub fn generate(rng: &mut impl SecureRng) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        Self(bytes)
    }

    /// The text form (unpadded base64url, 43 characters) that goes in `Authorization: Bearer`.
    pub fn text(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0.as_ref())
    }

    pub fn parse(text: &str) -> Option<Self> {
        use base64::Engine;
        if text.len() != 43 {
            return None;
        }
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text)
                .ok()?,
        );
        let mut out = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return None;
        }
        out.copy_from_slice(&bytes);
        Some(Self(out))
    }

    /// What the database keeps.
    pub fn hash(&self) -> [u8; 32] {
        sha256(&[ORG_TOKEN_LABEL, self.0.as_ref()]).0
    }
}

/// What an organisation tells workers about itself, as listed in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgProfile {
    pub names: BTreeMap<String, String>,
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// `k` of reporting escrow for this organisation (PROTOCOL.md 18.1); the default when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow_threshold: Option<u8>,
    /// Whether its escrow routes need tokens issued against its invites (PROTOCOL.md 18.12).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub escrow_invites: bool,
}

impl OrgProfile {
    pub fn organisation(&self, id: OrgId, kind: OrgKind, certificate: Signed) -> Organisation {
        Organisation {
            id,
            kind,
            names: self.names.clone(),
            countries: self.countries.clone(),
            sectors: self.sectors.clone(),
            languages: self.languages.clone(),
            escrow_threshold: self.escrow_threshold,
            escrow_invites: self.escrow_invites,
            certificate,
        }
    }
}

pub fn parse_kind(text: &str) -> Option<OrgKind> {
    match text {
        "union" => Some(OrgKind::Union),
        "inspectorate" => Some(OrgKind::Inspectorate),
        "ngo" => Some(OrgKind::Ngo),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trips_and_hash_differs_from_token() {
        let mut rng = workvoice_proto::vectors::DeterministicRng::new("token");
        let t = ApiToken::generate(&mut rng);
        let text = t.text();
        assert_eq!(text.len(), 43);
        let back = ApiToken::parse(&text).unwrap();
        assert_eq!(back.hash(), t.hash());
        assert!(ApiToken::parse(&text[1..]).is_none());
        assert_ne!(&t.hash()[..], &back.0[..]);
    }

    #[test]
    fn hours_round_down() {
        assert_eq!(hour_of(7200), 7200);
        assert_eq!(hour_of(7199), 3600);
        assert_eq!(hour_of(1_795_827_599), 1_795_824_000);
    }
}
