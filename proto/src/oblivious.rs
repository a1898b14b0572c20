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

// ---------------------------------------------------------------------------------------------
// The phone's side (PROTOCOL.md 14.8, "The client"): a worker route's request as binary HTTP,
// padded to one of a few fixed sizes, encapsulated to a verified key configuration; the
// answer opened. Mozilla's `ohttp` and `bhttp` crates do the work; the HPKE context and its
// ephemeral key come from the operating system's generator, fresh for every request, as
// RFC 9458 section 6.1 requires.

/// The sizes a binary HTTP request is padded to (RFC 9292 section 3.8), the smallest that
/// holds it: a mailbox poll, a directory fetch, a withdrawal and a report of the usual size all
/// take the first, so the OHTTP relay cannot tell them apart by length; evidence chunks and
/// the largest reports take the others.
pub const PADDED_SIZES: [usize; 4] = [
    4 * 1024,
    64 * 1024,
    crate::api::MAX_CHUNK_BYTES + 4 * 1024,
    crate::api::MAX_SUBMISSION_BYTES + 4 * 1024,
];

/// What encapsulation adds to the padded request: the header (key id, KEM, KDF, AEAD: 7
/// bytes), the 32-byte `enc` and the 16-byte AEAD tag.
pub const ENCAPSULATION_OVERHEAD: usize = 7 + 32 + 16;

/// Why a request could not be sent obliviously, or its answer not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObliviousError {
    /// Larger than the largest of [`PADDED_SIZES`].
    #[error("a request of {0} bytes is larger than the largest padded size")]
    TooLarge(usize),
    /// The `ohttp` crate refused the key configuration or failed to encapsulate.
    #[error("the request cannot be encapsulated: {0}")]
    Encapsulation(String),
    /// The answer is not an Encapsulated Response to this request.
    #[error("the answer does not open as this request's response")]
    Undecryptable,
    /// It opens, but holds no binary HTTP response with a status.
    #[error("the answer inside is not a binary HTTP response: {0}")]
    Malformed(String),
}

/// A request to one of the relay's worker routes, as it would be sent directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InnerRequest<'a> {
    /// `GET`, `POST`, `PUT`…
    pub method: &'a str,
    /// The absolute path and query, e.g. `/v1/mailbox/<token>`.
    pub path: &'a str,
    /// Header fields, lowercase names; `content-type` for a body.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// The answer inside an Encapsulated Response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerResponse {
    pub status: u16,
    /// Header fields as sent, names lowercase.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl InnerResponse {
    /// The first value of header `name` (lowercase), as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

/// The padded size for a binary HTTP request of `len` bytes.
pub fn padded_size(len: usize) -> Option<usize> {
    PADDED_SIZES.iter().copied().find(|&size| size >= len)
}

/// The request as known-length binary HTTP (scheme `https`, an empty authority: the gateway
/// ignores both), followed by zero bytes up to its [`padded_size`].
pub fn encode_request(request: &InnerRequest<'_>) -> Result<Vec<u8>, ObliviousError> {
    let mut message = bhttp::Message::request(
        request.method.as_bytes().to_vec(),
        b"https".to_vec(),
        Vec::new(),
        request.path.as_bytes().to_vec(),
    );
    for (name, value) in request.headers {
        message.put_header(*name, *value);
    }
    message.write_content(request.body);
    let mut out = Vec::with_capacity(request.body.len() + 256);
    message
        .write_bhttp(bhttp::Mode::KnownLength, &mut out)
        .map_err(|e| ObliviousError::Encapsulation(e.to_string()))?;
    let size = padded_size(out.len()).ok_or(ObliviousError::TooLarge(out.len()))?;
    out.resize(size, 0);
    Ok(out)
}

/// What opens the answer to one encapsulated request; used once.
pub struct PendingAnswer(ohttp::ClientResponse);

impl std::fmt::Debug for PendingAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingAnswer(<secret>)")
    }
}

/// `request`, padded and encapsulated to `config`: the body to POST to an OHTTP relay as
/// `message/ohttp-req` (its length is a padded size plus [`ENCAPSULATION_OVERHEAD`]), and what
/// opens the answer.
pub fn encapsulate(
    config: &GatewayKeyConfig,
    request: &InnerRequest<'_>,
) -> Result<(Vec<u8>, PendingAnswer), ObliviousError> {
    let padded = encode_request(request)?;
    let (sealed, answer) = ohttp::ClientRequest::from_encoded_config(&config.encode())
        .and_then(|client| client.encapsulate(&padded))
        .map_err(|e| ObliviousError::Encapsulation(e.to_string()))?;
    Ok((sealed, PendingAnswer(answer)))
}

impl PendingAnswer {
    /// Open the `message/ohttp-res` body the gateway answered.
    pub fn open(self, encapsulated: &[u8]) -> Result<InnerResponse, ObliviousError> {
        let plain = self
            .0
            .decapsulate(encapsulated)
            .map_err(|_| ObliviousError::Undecryptable)?;
        let message = bhttp::Message::read_bhttp(&mut std::io::Cursor::new(&plain[..]))
            .map_err(|e| ObliviousError::Malformed(e.to_string()))?;
        let status = message
            .control()
            .status()
            .map(u16::from)
            .ok_or_else(|| ObliviousError::Malformed("no status".into()))?;
        let headers = message
            .header()
            .iter()
            .map(|field| {
                (
                    String::from_utf8_lossy(field.name()).to_ascii_lowercase(),
                    field.value().to_vec(),
                )
            })
            .collect();
        Ok(InnerResponse {
            status,
            headers,
            body: message.content().to_vec(),
        })
    }
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

    fn request<'a>(method: &'a str, path: &'a str, body: &'a [u8]) -> InnerRequest<'a> {
        InnerRequest {
            method,
            path,
            headers: if body.is_empty() {
                &[]
            } else {
                &[("content-type", "application/json")]
            },
            body,
        }
    }

    #[test]
    fn the_inner_request_is_known_length_binary_http_padded_with_zeros() {
        let encoded = encode_request(&request("POST", "/v1/x", b"{}")).unwrap();
        // RFC 9292 section 3.1: framing 0, then method, scheme, authority and path, each with
        // a one-byte length; the header section (one field: 12-byte name, 16-byte value) with
        // its length; the content with its length; an empty trailer section; then zeros.
        let mut expected = vec![0u8, 4];
        expected.extend_from_slice(b"POST");
        expected.push(5);
        expected.extend_from_slice(b"https");
        expected.push(0);
        expected.push(5);
        expected.extend_from_slice(b"/v1/x");
        expected.extend_from_slice(&[30, 12]);
        expected.extend_from_slice(b"content-type");
        expected.push(16);
        expected.extend_from_slice(b"application/json");
        expected.extend_from_slice(&[2, b'{', b'}', 0]);
        assert_eq!(&encoded[..expected.len()], &expected[..]);
        assert_eq!(encoded.len(), PADDED_SIZES[0]);
        assert!(encoded[expected.len()..].iter().all(|&b| b == 0));
    }

    #[test]
    fn requests_of_different_kinds_are_one_size_on_the_wire() {
        let config = GatewayKeyConfig {
            key_id: 1,
            public_key: x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([7u8; 32]))
                .to_bytes(),
        };
        let report = vec![b'r'; 2200];
        let token = "t".repeat(43);
        let poll = format!("/v1/mailbox/{token}");
        let kinds = [
            request("GET", "/v1/directory", b""),
            request("GET", &poll, b""),
            request("POST", "/v1/submissions", &report),
            request("POST", "/v1/withdrawals", b"{\"report\":\"x\"}"),
        ];
        let sizes: Vec<usize> = kinds
            .iter()
            .map(|k| encapsulate(&config, k).unwrap().0.len())
            .collect();
        assert_eq!(sizes, vec![PADDED_SIZES[0] + ENCAPSULATION_OVERHEAD; 4]);
        // A chunk of evidence and the largest report take the larger sizes.
        let chunk = vec![0u8; crate::api::MAX_CHUNK_BYTES];
        let sealed = encapsulate(&config, &request("PUT", "/v1/attachments/a/0", &chunk));
        assert_eq!(
            sealed.unwrap().0.len(),
            PADDED_SIZES[2] + ENCAPSULATION_OVERHEAD
        );
        let largest = vec![0u8; crate::api::MAX_SUBMISSION_BYTES];
        let sealed = encapsulate(&config, &request("POST", "/v1/submissions", &largest));
        assert_eq!(
            sealed.unwrap().0.len(),
            PADDED_SIZES[3] + ENCAPSULATION_OVERHEAD
        );
        let over = vec![0u8; PADDED_SIZES[3]];
        assert!(matches!(
            encapsulate(&config, &request("POST", "/v1/submissions", &over)),
            Err(ObliviousError::TooLarge(_))
        ));
    }

    #[test]
    fn an_answer_not_sealed_for_this_request_is_refused() {
        let config = GatewayKeyConfig {
            key_id: 1,
            public_key: x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from([9u8; 32]))
                .to_bytes(),
        };
        let (_, answer) = encapsulate(&config, &request("GET", "/v1/directory", b"")).unwrap();
        assert_eq!(
            answer.open(&[0u8; 64]).unwrap_err(),
            ObliviousError::Undecryptable
        );
        fn sendable<T: Send + 'static>() {}
        sendable::<PendingAnswer>();
    }
}
