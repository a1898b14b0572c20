//! The Oblivious HTTP part of the signed directory (`PROTOCOL.md` 14.8): the relay's gateway
//! key configurations (RFC 9458 section 3) and the OHTTP relays that forward to it. They are in
//! the listing the relay's root-certified key signs, so a phone never encapsulates to a key
//! it has not verified, nor sends to an OHTTP relay the directory does not name.

use serde::{Deserialize, Serialize};

/// KEM of the one suite a gateway offers: DHKEM(X25519, HKDF-SHA256).
pub const KEM_X25519_SHA256: u16 = 0x0020;
/// KDF of the suite: HKDF-SHA256.
pub const KDF_HKDF_SHA256: u16 = 0x0001;
/// AEAD of the suite: ChaCha20-Poly1305.
pub const AEAD_CHACHA20_POLY1305: u16 = 0x0003;
/// An encoded key configuration of that suite: key id, KEM, 32-byte key, suites length, suite.
pub const KEY_CONFIG_LEN: usize = 1 + 2 + 32 + 2 + 4;
/// At most this many key configurations and OHTTP relays are listed.
pub const MAX_LISTED: usize = 8;

/// What the listing says about Oblivious HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObliviousGateway {
    /// Key configurations, lowercase hex, the one to use first; the others are still accepted
    /// (a key in its grace period after a rotation).
    pub key_configs: Vec<String>,
    /// `https://` URLs of OHTTP relays that forward to this relay's `POST /v1/ohttp`, in the
    /// order to try them (`http://` only on a loopback address).
    pub relays: Vec<String>,
}

/// A key configuration the phone can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayKeyConfig {
    pub key_id: u8,
    pub public_key: [u8; 32],
}

impl GatewayKeyConfig {
    /// Parse one encoded configuration; only the gateway's one suite is accepted.
    pub fn parse(hex_text: &str) -> Result<Self, String> {
        let bytes =
            hex::decode(hex_text).map_err(|_| "a key configuration is not hex".to_string())?;
        if hex_text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err("a key configuration is not lowercase hex".into());
        }
        if bytes.len() != KEY_CONFIG_LEN {
            return Err(format!(
                "a key configuration is {} bytes, not {KEY_CONFIG_LEN}",
                bytes.len()
            ));
        }
        let u16_at = |i: usize| u16::from_be_bytes([bytes[i], bytes[i + 1]]);
        if u16_at(1) != KEM_X25519_SHA256
            || u16_at(35) != 4
            || u16_at(37) != KDF_HKDF_SHA256
            || u16_at(39) != AEAD_CHACHA20_POLY1305
        {
            return Err("a key configuration of another suite".into());
        }
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(&bytes[3..35]);
        Ok(GatewayKeyConfig {
            key_id: bytes[0],
            public_key,
        })
    }

    /// The encoded configuration (RFC 9458 section 3).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(KEY_CONFIG_LEN);
        out.push(self.key_id);
        out.extend_from_slice(&KEM_X25519_SHA256.to_be_bytes());
        out.extend_from_slice(&self.public_key);
        out.extend_from_slice(&4u16.to_be_bytes());
        out.extend_from_slice(&KDF_HKDF_SHA256.to_be_bytes());
        out.extend_from_slice(&AEAD_CHACHA20_POLY1305.to_be_bytes());
        out
    }
}

impl ObliviousGateway {
    /// The structural checks of a listing: one to [`MAX_LISTED`] key configurations of the
    /// gateway's suite with distinct key ids, at most [`MAX_LISTED`] relays, each an `https://`
    /// URL (or `http://` on a loopback address), none twice.
    pub fn check(&self) -> Result<(), String> {
        if self.key_configs.is_empty() || self.key_configs.len() > MAX_LISTED {
            return Err(format!(
                "{} gateway key configurations (1 to {MAX_LISTED})",
                self.key_configs.len()
            ));
        }
        let mut ids = Vec::new();
        for text in &self.key_configs {
            let config = GatewayKeyConfig::parse(text)?;
            if ids.contains(&config.key_id) {
                return Err(format!("gateway key id {} twice", config.key_id));
            }
            ids.push(config.key_id);
        }
        if self.relays.len() > MAX_LISTED {
            return Err(format!(
                "{} OHTTP relays (at most {MAX_LISTED})",
                self.relays.len()
            ));
        }
        for (i, url) in self.relays.iter().enumerate() {
            if !relay_url_allowed(url) {
                return Err(format!("OHTTP relay {url:?} is not an https URL"));
            }
            if self.relays[..i].contains(url) {
                return Err(format!("OHTTP relay {url:?} twice"));
            }
        }
        Ok(())
    }

    /// The key configuration to use: the first.
    pub fn current(&self) -> Option<GatewayKeyConfig> {
        self.key_configs
            .first()
            .and_then(|t| GatewayKeyConfig::parse(t).ok())
    }
}

/// `https://host…`, or `http://` to 127.0.0.1, `[::1]` or localhost (a relay on the same host,
/// and tests).
pub fn relay_url_allowed(url: &str) -> bool {
    let valid_rest = |rest: &str| {
        !rest.is_empty() && !rest.starts_with('/') && rest.bytes().all(|b| b.is_ascii_graphic())
    };
    if let Some(rest) = url.strip_prefix("https://") {
        return valid_rest(rest);
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = host
            .rsplit_once(':')
            .filter(|(h, port)| !h.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(h, _)| h);
        return valid_rest(rest) && matches!(host, "127.0.0.1" | "[::1]" | "localhost");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC9458_APPENDIX_A: &str = "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003";

    fn listed(key_id: u8) -> String {
        hex::encode(
            GatewayKeyConfig {
                key_id,
                public_key: [0xa0 | key_id; 32],
            }
            .encode(),
        )
    }

    #[test]
    fn a_gateway_section_is_checked() {
        let ok = ObliviousGateway {
            key_configs: vec![listed(2), listed(1)],
            relays: vec!["https://ohttp.partner.example/workvoice".into()],
        };
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(ok.current().map(|c| c.key_id), Some(2));
        let bad = |f: fn(&mut ObliviousGateway)| {
            let mut g = ok.clone();
            f(&mut g);
            g.check().unwrap_err()
        };
        assert!(bad(|g| g.key_configs.clear()).contains("0 gateway key"));
        assert!(bad(|g| g.key_configs[1] = listed(2)).contains("twice"));
        assert!(bad(|g| g.key_configs[0].push_str("00")).contains("42 bytes"));
        assert!(bad(|g| g.key_configs[0] = g.key_configs[0].to_uppercase()).contains("lowercase"));
        // The appendix's configuration offers AES-128-GCM first: not the gateway's suite.
        assert!(bad(|g| g.key_configs[0] = RFC9458_APPENDIX_A.into()).contains("bytes"));
        assert!(bad(|g| g.relays[0] = "http://ohttp.partner.example/".into()).contains("https"));
        assert!(bad(|g| g.relays.push(g.relays[0].clone())).contains("twice"));
        let mut local = ok.clone();
        local.relays = vec!["http://127.0.0.1:8080/".into(), "http://localhost/x".into()];
        assert_eq!(local.check(), Ok(()));
    }

    #[test]
    fn the_key_configuration_encoding_is_rfc9458_section_3() {
        let config = GatewayKeyConfig {
            key_id: 7,
            public_key: [0xab; 32],
        };
        let encoded = config.encode();
        assert_eq!(
            hex::encode(&encoded),
            format!("070020{}0004 00010003", "ab".repeat(32)).replace(' ', "")
        );
        assert_eq!(GatewayKeyConfig::parse(&hex::encode(encoded)), Ok(config));
    }
}
