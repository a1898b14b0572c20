//! Anonymous escrow tokens: Privacy Pass privately verifiable tokens (RFC 9578 section 5,
//! token type `0x0001`, VOPRF(P-384, SHA-384) of RFC 9497), the per-device rate limit of
//! reporting escrow (`PROTOCOL.md` 18.12).
//!
//! The relay is both issuer and origin. It issues a few tokens per epoch to each invite an
//! organisation registered, and burns one at each escrow OPRF request and each escrow
//! submission. A token cannot be linked to the issuance that produced it, so the relay learns
//! how many tokens an invite took, never which submission spent them.
//!
//! The VOPRF is the `voprf` crate with the `p384` crate's suite; only the RFC 9578 framing
//! (the three structures below and the challenge digest) is written here. The `privacypass`
//! crate, the maintained implementation of RFC 9578, exists only as pre-releases on pre-release
//! RustCrypto crates (`0.2.0-pre.4` does not build: its `blind-rsa-signatures` dependency
//! fails against its `rsa` pre-release), so it cannot be used yet. The RFC's test vectors are
//! checked below.

use p384::NistP384;
use voprf::{BlindedElement, EvaluationElement, Group, Proof, VoprfClient, VoprfServer};
use zeroize::Zeroizing;

use crate::keys::sha256;
use crate::{ErrorCode, SecureRng};

/// `token_type` of RFC 9578 section 5: VOPRF(P-384, SHA-384), privately verifiable.
pub const TOKEN_TYPE: u16 = 0x0001;
/// `Ne`: a compressed P-384 element.
pub const ELEMENT_LEN: usize = 49;
/// `Ns`: a P-384 scalar.
pub const SCALAR_LEN: usize = 48;
/// `Nh`: SHA-384 output, the token's authenticator.
pub const AUTHENTICATOR_LEN: usize = 48;
/// `TokenRequest`: `token_type (2) || truncated_token_key_id (1) || blinded_msg (Ne)`.
pub const TOKEN_REQUEST_LEN: usize = 2 + 1 + ELEMENT_LEN;
/// `TokenResponse`: `evaluate_msg (Ne) || evaluate_proof (Ns + Ns)`.
pub const TOKEN_RESPONSE_LEN: usize = ELEMENT_LEN + 2 * SCALAR_LEN;
/// `Token`: `token_type (2) || nonce (32) || challenge_digest (32) || token_key_id (32) ||
/// authenticator (Nh)`.
pub const TOKEN_LEN: usize = 2 + 32 + 32 + 32 + AUTHENTICATOR_LEN;
/// `issuer_name` of every Workvoice escrow token challenge.
pub const ISSUER_NAME: &str = "workvoice-escrow";
/// Most token requests one issuance call may carry.
pub const MAX_REQUESTS_PER_CALL: usize = 32;

const KEY_SEED_LABEL: &[u8] = b"workvoice/v1/escrow/token-key\0";
const INVITE_LABEL: &[u8] = b"workvoice/v1/escrow/invite\0";
const TOKEN_SEED_LABEL: &[u8] = b"workvoice/v1/escrow/token-seed\0";

/// What a token pays for: each has its own key and its own budget per invite and epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    /// `POST /v1/escrow/oprf/org`, the chained OPRF request.
    Oprf,
    /// `POST /v1/escrow`, the escrow submission.
    Escrow,
}

impl TokenPurpose {
    pub const ALL: [TokenPurpose; 2] = [TokenPurpose::Oprf, TokenPurpose::Escrow];

    pub fn as_byte(self) -> u8 {
        match self {
            TokenPurpose::Oprf => 1,
            TokenPurpose::Escrow => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Oprf => "oprf",
            TokenPurpose::Escrow => "escrow",
        }
    }

    /// Tokens one invite may take for this purpose in one epoch, at an organisation whose
    /// threshold is `k`: `k - 1` escrow submissions (one invite never fills a group alone),
    /// and twice that many OPRF requests (one fresh blind per report when an epoch turns).
    pub fn budget(self, k: u8) -> u32 {
        let below = u32::from(k.saturating_sub(1)).max(1);
        match self {
            TokenPurpose::Oprf => 2 * below,
            TokenPurpose::Escrow => below,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a token request of type 0x0001 for this key")]
    InvalidRequest,
    #[error("not a valid token for this key")]
    InvalidToken,
    #[error("the issuer's answer is malformed or its proof does not verify against the key")]
    InvalidResponse,
    #[error("not a valid issuer key")]
    InvalidKey,
    #[error("not an invite code")]
    InvalidInvite,
}

impl ErrorCode for TokenError {
    fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest => "invalid_token_request",
            TokenError::InvalidToken => "token_invalid",
            TokenError::InvalidResponse => "token_response_invalid",
            TokenError::InvalidKey => "token_key_invalid",
            TokenError::InvalidInvite => "invalid_invite",
        }
    }
}

/// The TLS-encoded `TokenChallenge` (RFC 9577 section 2.1) every escrow token answers:
/// type `0x0001`, issuer name [`ISSUER_NAME`], an empty redemption context (tokens may be
/// fetched ahead of time) and an empty origin info.
pub fn token_challenge() -> Vec<u8> {
    encode_challenge(ISSUER_NAME.as_bytes(), &[], &[])
}

fn encode_challenge(issuer: &[u8], redemption_context: &[u8], origin_info: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&TOKEN_TYPE.to_be_bytes());
    out.extend_from_slice(&(issuer.len() as u16).to_be_bytes());
    out.extend_from_slice(issuer);
    out.push(redemption_context.len() as u8);
    out.extend_from_slice(redemption_context);
    out.extend_from_slice(&(origin_info.len() as u16).to_be_bytes());
    out.extend_from_slice(origin_info);
    out
}

/// `SHA-256(token_challenge)`.
pub fn challenge_digest(challenge: &[u8]) -> [u8; 32] {
    sha256(&[challenge]).0
}

/// `token_input = token_type || nonce || challenge_digest || token_key_id`.
fn token_input(nonce: &[u8; 32], challenge_digest: &[u8; 32], key_id: &[u8; 32]) -> Vec<u8> {
    [
        TOKEN_TYPE.to_be_bytes().as_slice(),
        nonce,
        challenge_digest,
        key_id,
    ]
    .concat()
}

/// `token_key_id = SHA-256(pkI)`, over the compressed 49-byte key.
pub fn key_id(public_key: &[u8; ELEMENT_LEN]) -> [u8; 32] {
    sha256(&[public_key]).0
}

fn decode_public_key(public_key: &[u8]) -> Result<<NistP384 as Group>::Elem, TokenError> {
    if public_key.len() != ELEMENT_LEN {
        return Err(TokenError::InvalidKey);
    }
    <NistP384 as Group>::deserialize_elem(public_key).map_err(|_| TokenError::InvalidKey)
}

/// An issuer key for one organisation, epoch and purpose, zeroized when dropped.
pub struct IssuerKey {
    server: VoprfServer<NistP384>,
    public: [u8; ELEMENT_LEN],
    key_id: [u8; 32],
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("key_id", &hex::encode(self.key_id))
            .finish_non_exhaustive()
    }
}

impl IssuerKey {
    /// The relay's key: `DeriveKeyPair(SHA-256(label || relay_secret), "workvoice token key "
    /// || org (16) || u32(epoch) || u8(purpose))` (RFC 9497 section 3.2.1).
    pub fn derive(
        relay_secret: &[u8; 32],
        org: &[u8; 16],
        epoch: u32,
        purpose: TokenPurpose,
    ) -> Result<Self, TokenError> {
        let seed = Zeroizing::new(sha256(&[KEY_SEED_LABEL, relay_secret]).0);
        let info = [
            b"workvoice token key ".as_slice(),
            org,
            &epoch.to_be_bytes(),
            &[purpose.as_byte()],
        ]
        .concat();
        let server = VoprfServer::<NistP384>::new_from_seed(seed.as_slice(), &info)
            .map_err(|_| TokenError::InvalidKey)?;
        Ok(Self::from_server(server))
    }

    /// A key from its 48-byte scalar (the RFC's test vectors).
    pub fn from_private(bytes: &[u8]) -> Result<Self, TokenError> {
        let server =
            VoprfServer::<NistP384>::new_with_key(bytes).map_err(|_| TokenError::InvalidKey)?;
        Ok(Self::from_server(server))
    }

    fn from_server(server: VoprfServer<NistP384>) -> Self {
        let mut public = [0u8; ELEMENT_LEN];
        public.copy_from_slice(&<NistP384 as Group>::serialize_elem(
            server.get_public_key(),
        ));
        let key_id = key_id(&public);
        Self {
            server,
            public,
            key_id,
        }
    }

    /// `pkI`, the compressed public key phones verify issuance against.
    pub fn public_key(&self) -> &[u8; ELEMENT_LEN] {
        &self.public
    }

    pub fn key_id(&self) -> &[u8; 32] {
        &self.key_id
    }

    /// Checks a `TokenRequest` without evaluating it: its length, its type, the last byte of
    /// this key's id, and that its blinded element decodes.
    pub fn check_request(&self, request: &[u8]) -> Result<(), TokenError> {
        self.blinded_of(request).map(|_| ())
    }

    fn blinded_of(&self, request: &[u8]) -> Result<BlindedElement<NistP384>, TokenError> {
        if request.len() != TOKEN_REQUEST_LEN
            || request[..2] != TOKEN_TYPE.to_be_bytes()
            || request[2] != self.key_id[31]
        {
            return Err(TokenError::InvalidRequest);
        }
        BlindedElement::<NistP384>::deserialize(&request[3..])
            .map_err(|_| TokenError::InvalidRequest)
    }

    /// The issuer's step (RFC 9578 section 5.2): `BlindEvaluate` with a DLEQ proof, encoded
    /// as a `TokenResponse`.
    pub fn issue(
        &self,
        request: &[u8],
        rng: &mut impl SecureRng,
    ) -> Result<[u8; TOKEN_RESPONSE_LEN], TokenError> {
        let blinded = self.blinded_of(request)?;
        let result = self
            .server
            .blind_evaluate(&mut crate::escrow::Rng06(rng), &blinded);
        let mut out = [0u8; TOKEN_RESPONSE_LEN];
        out[..ELEMENT_LEN].copy_from_slice(&result.message.serialize());
        out[ELEMENT_LEN..].copy_from_slice(&result.proof.serialize());
        Ok(out)
    }

    /// The origin's check (RFC 9578 section 5.4): the token parses, is of type `0x0001`,
    /// names this key and [`token_challenge`], and its authenticator equals
    /// `Evaluate(skI, token_input)`, compared in constant time. Returns its nonce.
    pub fn verify(&self, token: &[u8]) -> Result<[u8; 32], TokenError> {
        let parsed = Token::parse(token)?;
        if parsed.key_id != self.key_id
            || parsed.challenge_digest != challenge_digest(&token_challenge())
        {
            return Err(TokenError::InvalidToken);
        }
        self.verify_authenticator(&parsed)?;
        Ok(parsed.nonce)
    }

    fn verify_authenticator(&self, parsed: &Token) -> Result<(), TokenError> {
        use subtle::ConstantTimeEq;
        let input = token_input(&parsed.nonce, &parsed.challenge_digest, &parsed.key_id);
        let expected = self
            .server
            .evaluate(&input)
            .map_err(|_| TokenError::InvalidToken)?;
        if bool::from(expected[..].ct_eq(&parsed.authenticator)) {
            Ok(())
        } else {
            Err(TokenError::InvalidToken)
        }
    }
}

/// A parsed `Token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub nonce: [u8; 32],
    pub challenge_digest: [u8; 32],
    pub key_id: [u8; 32],
    pub authenticator: [u8; AUTHENTICATOR_LEN],
}

impl Token {
    pub fn parse(bytes: &[u8]) -> Result<Self, TokenError> {
        if bytes.len() != TOKEN_LEN || bytes[..2] != TOKEN_TYPE.to_be_bytes() {
            return Err(TokenError::InvalidToken);
        }
        let array = |range: std::ops::Range<usize>| -> [u8; 32] {
            let mut out = [0u8; 32];
            out.copy_from_slice(&bytes[range]);
            out
        };
        let mut authenticator = [0u8; AUTHENTICATOR_LEN];
        authenticator.copy_from_slice(&bytes[98..]);
        Ok(Self {
            nonce: array(2..34),
            challenge_digest: array(34..66),
            key_id: array(66..98),
            authenticator,
        })
    }
}

/// The phone's half of one issuance: the nonce and blind it keeps, and the `TokenRequest` it
/// sends. Deterministic in its 32-byte seed, so a phone that stored the seed before posting
/// sends the same request after a restart (and the issuer counts it once).
pub struct PendingToken {
    client: VoprfClient<NistP384>,
    nonce: [u8; 32],
    key_id: [u8; 32],
    request: [u8; TOKEN_REQUEST_LEN],
}

impl std::fmt::Debug for PendingToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingToken")
            .field("request", &hex::encode(self.request))
            .finish_non_exhaustive()
    }
}

impl PendingToken {
    /// The client's step (RFC 9578 section 5.1) for the key `public_key`, with the nonce and
    /// the blind drawn from `seed`: `nonce = SHA-256(label || seed || 0x00)`, and the blind
    /// from a ChaCha20 stream keyed by `SHA-256(label || seed || 0x01)`.
    pub fn begin(public_key: &[u8], seed: &[u8; 32]) -> Result<Self, TokenError> {
        decode_public_key(public_key)?;
        let mut public = [0u8; ELEMENT_LEN];
        public.copy_from_slice(public_key);
        let key_id = key_id(&public);
        let nonce = sha256(&[TOKEN_SEED_LABEL, seed, &[0]]).0;
        let mut rng = SeedStream::new(seed);
        let input = token_input(&nonce, &challenge_digest(&token_challenge()), &key_id);
        let result =
            VoprfClient::<NistP384>::blind(&input, &mut rng).map_err(|_| TokenError::InvalidKey)?;
        let mut request = [0u8; TOKEN_REQUEST_LEN];
        request[..2].copy_from_slice(&TOKEN_TYPE.to_be_bytes());
        request[2] = key_id[31];
        request[3..].copy_from_slice(&result.message.serialize());
        Ok(Self {
            client: result.state,
            nonce,
            key_id,
            request,
        })
    }

    /// The `TokenRequest` to send.
    pub fn request(&self) -> &[u8; TOKEN_REQUEST_LEN] {
        &self.request
    }

    pub fn nonce(&self) -> &[u8; 32] {
        &self.nonce
    }

    /// The client's last step (RFC 9578 section 5.3): verify the proof against `public_key`
    /// and unblind, giving the `Token`.
    pub fn finalize(
        &self,
        public_key: &[u8],
        response: &[u8],
    ) -> Result<[u8; TOKEN_LEN], TokenError> {
        let pk = decode_public_key(public_key)?;
        if response.len() != TOKEN_RESPONSE_LEN || key_id_of(public_key) != self.key_id {
            return Err(TokenError::InvalidResponse);
        }
        let element = EvaluationElement::<NistP384>::deserialize(&response[..ELEMENT_LEN])
            .map_err(|_| TokenError::InvalidResponse)?;
        let proof = Proof::<NistP384>::deserialize(&response[ELEMENT_LEN..])
            .map_err(|_| TokenError::InvalidResponse)?;
        let digest = challenge_digest(&token_challenge());
        let input = token_input(&self.nonce, &digest, &self.key_id);
        let output = self
            .client
            .finalize(&input, &element, &proof, pk)
            .map_err(|_| TokenError::InvalidResponse)?;
        let mut token = [0u8; TOKEN_LEN];
        token[..2].copy_from_slice(&TOKEN_TYPE.to_be_bytes());
        token[2..34].copy_from_slice(&self.nonce);
        token[34..66].copy_from_slice(&digest);
        token[66..98].copy_from_slice(&self.key_id);
        token[98..].copy_from_slice(&output);
        Ok(token)
    }
}

/// The bytes `PendingToken::begin` draws its blind from (see there).
struct SeedStream {
    bytes: Zeroizing<[u8; 1024]>,
    at: usize,
}

impl SeedStream {
    fn new(seed: &[u8; 32]) -> Self {
        let mut bytes = Zeroizing::new([0u8; 1024]);
        struct Len1024;
        impl ring::hkdf::KeyType for Len1024 {
            fn len(&self) -> usize {
                1024
            }
        }
        let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, TOKEN_SEED_LABEL).extract(seed);
        let filled = prk
            .expand(&[b"blind"], Len1024)
            .and_then(|okm| okm.fill(bytes.as_mut_slice()));
        // 1,024 bytes are far below HKDF-SHA256's limit of 8,160: expansion cannot fail.
        debug_assert!(filled.is_ok());
        Self { bytes, at: 0 }
    }
}

impl rand_core_06::RngCore for SeedStream {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // 21 draws of 48 bytes; each is refused with probability below 2^-190.
        let end = self.at + dest.len();
        assert!(end <= self.bytes.len(), "blind seed stream exhausted");
        dest.copy_from_slice(&self.bytes[self.at..end]);
        self.at = end;
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core_06::CryptoRng for SeedStream {}

fn key_id_of(public_key: &[u8]) -> [u8; 32] {
    sha256(&[public_key]).0
}

/// The `Authorization` header value that spends a token (RFC 9577 section 2.2):
/// `PrivateToken token="<base64url>"`.
pub fn authorization(token: &[u8]) -> String {
    use base64::Engine;
    format!(
        "PrivateToken token=\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token)
    )
}

/// The token in an `Authorization` header: the `PrivateToken` scheme (case-insensitive) with
/// a `token` parameter, quoted or not, base64url with or without padding.
pub fn parse_authorization(value: &str) -> Result<Vec<u8>, TokenError> {
    use base64::Engine;
    let (scheme, params) = value
        .trim()
        .split_once(char::is_whitespace)
        .ok_or(TokenError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("PrivateToken") {
        return Err(TokenError::InvalidToken);
    }
    let encoded = params
        .split(',')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("token"))
        .map(|(_, v)| v.trim().trim_matches('"'))
        .ok_or(TokenError::InvalidToken)?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|_| TokenError::InvalidToken)
}

/// The `WWW-Authenticate` challenge of a route that needs a token (RFC 9577 section 2.1).
pub fn www_authenticate(public_key: &[u8; ELEMENT_LEN]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "PrivateToken challenge=\"{}\", token-key=\"{}\"",
        b64.encode(token_challenge()),
        b64.encode(public_key)
    )
}

/// An invite code as a worker types it: 16 random bytes as 26 Crockford base32 characters,
/// shown in groups of five (`WV-` prefix optional, case, spaces and hyphens ignored).
#[derive(Clone, PartialEq, Eq)]
pub struct Invite(Zeroizing<[u8; 16]>);

impl std::fmt::Debug for Invite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Invite(..)")
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Invite {
    pub fn random(rng: &mut impl SecureRng) -> Self {
        let mut bytes = Zeroizing::new([0u8; 16]);
        rng.fill_bytes(bytes.as_mut_slice());
        Self(bytes)
    }

    /// The invite of these 16 bytes (as `EscrowTokenRequest::invite` carries it, in hex).
    pub fn from_bytes(bytes: &[u8; 16]) -> Self {
        Self(Zeroizing::new(*bytes))
    }

    /// The invite's 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The invite's 16 bytes as 32 hex characters, as `POST /v1/escrow/tokens` names it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_slice())
    }

    /// `SHA-256(label || invite)`, what the relay stores and looks invites up by.
    pub fn hash(&self) -> [u8; 32] {
        sha256(&[INVITE_LABEL, self.0.as_slice()]).0
    }

    /// The code to print: `WV-` and 26 characters in groups of five.
    pub fn code(&self) -> String {
        let mut bits = 0u32;
        let mut nbits = 0;
        let mut chars = Vec::with_capacity(26);
        for byte in self.0.iter() {
            bits = (bits << 8) | u32::from(*byte);
            nbits += 8;
            while nbits >= 5 {
                nbits -= 5;
                chars.push(CROCKFORD[((bits >> nbits) & 31) as usize]);
            }
        }
        if nbits > 0 {
            chars.push(CROCKFORD[((bits << (5 - nbits)) & 31) as usize]);
        }
        let groups: Vec<String> = chars
            .chunks(5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!("WV-{}", groups.join("-"))
    }

    /// Reads a typed code. `O` reads as `0`, `I` and `L` as `1` (Crockford).
    pub fn parse(code: &str) -> Result<Self, TokenError> {
        let upper = code.trim().to_ascii_uppercase();
        let body = upper.strip_prefix("WV").unwrap_or(&upper);
        let mut bits = 0u32;
        let mut nbits = 0;
        let mut out = Vec::with_capacity(17);
        let mut count = 0;
        for c in body.chars() {
            if c == '-' || c == ' ' {
                continue;
            }
            let c = match c {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let value = CROCKFORD
                .iter()
                .position(|&x| char::from(x) == c)
                .ok_or(TokenError::InvalidInvite)?;
            count += 1;
            bits = (bits << 5) | value as u32;
            nbits += 5;
            if nbits >= 8 {
                nbits -= 8;
                out.push((bits >> nbits) as u8);
            }
        }
        // 26 characters carry 130 bits: 128 of the invite, then two zero bits.
        if count != 26 || out.len() != 16 || bits & ((1 << nbits) - 1) != 0 {
            return Err(TokenError::InvalidInvite);
        }
        let mut bytes = Zeroizing::new([0u8; 16]);
        bytes.copy_from_slice(&out);
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn h(text: &str) -> Vec<u8> {
        hex::decode(text).unwrap()
    }

    /// RFC 9578 appendix A.1: the five test vectors of the privately verifiable issuance
    /// protocol.
    #[test]
    fn rfc9578_private_token_vectors() {
        let vectors: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../vectors/rfc9578/private-tokens.json")).unwrap();
        assert_eq!(vectors.len(), 5);
        for v in vectors {
            let field = |name: &str| h(v[name].as_str().unwrap());
            let key = IssuerKey::from_private(&field("skS")).unwrap();
            assert_eq!(key.public_key().as_slice(), field("pkS"));
            let challenge = field("token_challenge");
            let nonce: [u8; 32] = field("nonce").try_into().unwrap();
            let request = field("token_request");
            let response = field("token_response");
            let token = field("token");
            // The request names the key and is a valid blinded element.
            key.check_request(&request).unwrap();
            // BlindEvaluate is deterministic in its element (the proof is not).
            let ours = key
                .issue(&request, &mut crate::system_rng::SystemRng::new())
                .unwrap();
            assert_eq!(ours[..ELEMENT_LEN], response[..ELEMENT_LEN]);
            // The client finalizes the vector's response with the vector's blind into the
            // vector's token.
            let client = VoprfClient::<NistP384>::deserialize(
                &[field("blind"), request[3..].to_vec()].concat(),
            )
            .unwrap();
            let pending = PendingToken {
                client,
                nonce,
                key_id: *key.key_id(),
                request: request.clone().try_into().unwrap(),
            };
            let parsed = Token::parse(&token).unwrap();
            assert_eq!(parsed.challenge_digest, challenge_digest(&challenge));
            assert_eq!(parsed.nonce, nonce);
            assert_eq!(&parsed.key_id, key.key_id());
            // Finalize checks our own challenge; the vectors use the RFC's, so unblind by hand
            // through the crate with the vector's challenge digest.
            let input = token_input(&nonce, &parsed.challenge_digest, key.key_id());
            let element =
                EvaluationElement::<NistP384>::deserialize(&response[..ELEMENT_LEN]).unwrap();
            let proof = Proof::<NistP384>::deserialize(&response[ELEMENT_LEN..]).unwrap();
            let pk = decode_public_key(key.public_key()).unwrap();
            let output = pending
                .client
                .finalize(&input, &element, &proof, pk)
                .unwrap();
            assert_eq!(&output[..], &token[98..]);
            // The origin accepts the vector's token, and refuses one changed bit.
            key.verify_authenticator(&parsed).unwrap();
            let mut bad = parsed.clone();
            bad.authenticator[0] ^= 1;
            assert_eq!(
                key.verify_authenticator(&bad),
                Err(TokenError::InvalidToken)
            );
        }
    }

    #[test]
    fn a_token_round_trip_verifies_once_per_key() {
        let secret = [7u8; 32];
        let org = [1u8; 16];
        let key = IssuerKey::derive(&secret, &org, 5, TokenPurpose::Escrow).unwrap();
        let pending = PendingToken::begin(key.public_key(), &[9u8; 32]).unwrap();
        // Deterministic in the seed.
        let again = PendingToken::begin(key.public_key(), &[9u8; 32]).unwrap();
        assert_eq!(pending.request(), again.request());
        let mut rng = crate::system_rng::SystemRng::new();
        let response = key.issue(pending.request(), &mut rng).unwrap();
        let token = pending.finalize(key.public_key(), &response).unwrap();
        assert_eq!(key.verify(&token).unwrap(), *pending.nonce());
        // Another purpose, epoch or organisation is another key.
        for other in [
            IssuerKey::derive(&secret, &org, 5, TokenPurpose::Oprf).unwrap(),
            IssuerKey::derive(&secret, &org, 6, TokenPurpose::Escrow).unwrap(),
            IssuerKey::derive(&secret, &[2u8; 16], 5, TokenPurpose::Escrow).unwrap(),
        ] {
            assert_ne!(other.public_key(), key.public_key());
            assert_eq!(other.verify(&token), Err(TokenError::InvalidToken));
            assert_eq!(
                other.check_request(pending.request()).is_err(),
                other.key_id()[31] != key.key_id()[31]
            );
        }
        // A response from another key fails the proof against the published key.
        let other = IssuerKey::derive(&secret, &org, 5, TokenPurpose::Oprf).unwrap();
        let mut forged = *pending.request();
        forged[2] = other.key_id()[31];
        let response = other.issue(&forged, &mut rng).unwrap();
        assert_eq!(
            pending.finalize(key.public_key(), &response),
            Err(TokenError::InvalidResponse)
        );
        // Malformed requests and tokens.
        assert_eq!(
            key.check_request(&pending.request()[..10]),
            Err(TokenError::InvalidRequest)
        );
        let mut wrong_type = *pending.request();
        wrong_type[1] = 2;
        assert_eq!(
            key.check_request(&wrong_type),
            Err(TokenError::InvalidRequest)
        );
        assert_eq!(key.verify(&token[..100]), Err(TokenError::InvalidToken));
    }

    #[test]
    fn authorization_headers_round_trip() {
        let token = [5u8; TOKEN_LEN];
        let header = authorization(&token);
        assert_eq!(parse_authorization(&header).unwrap(), token);
        assert_eq!(
            parse_authorization(&header.replace("PrivateToken", "privatetoken")).unwrap(),
            token
        );
        for bad in [
            "",
            "Bearer x",
            "PrivateToken",
            "PrivateToken token=\"!!\"",
            "PrivateToken foo=1",
        ] {
            assert_eq!(
                parse_authorization(bad),
                Err(TokenError::InvalidToken),
                "{bad}"
            );
        }
        let key = IssuerKey::derive(&[1; 32], &[1; 16], 1, TokenPurpose::Oprf).unwrap();
        assert!(www_authenticate(key.public_key()).starts_with("PrivateToken challenge=\""));
    }

    #[test]
    fn invite_codes_read_back_as_typed() {
        let mut rng = crate::system_rng::SystemRng::new();
        for _ in 0..200 {
            let invite = Invite::random(&mut rng);
            let code = invite.code();
            assert_eq!(code.len(), 3 + 26 + 5);
            assert_eq!(Invite::parse(&code).unwrap(), invite);
            let sloppy = code.to_lowercase().replace('-', " ").replace('0', "o");
            assert_eq!(Invite::parse(&sloppy).unwrap(), invite);
            assert_eq!(
                Invite::parse(&code[..code.len() - 1]),
                Err(TokenError::InvalidInvite)
            );
        }
        assert_eq!(Invite::parse("WV-UUUUU"), Err(TokenError::InvalidInvite));
        assert_eq!(Invite::parse(""), Err(TokenError::InvalidInvite));
    }

    #[test]
    fn budgets_keep_one_invite_below_the_threshold() {
        for k in crate::escrow::MIN_THRESHOLD..=crate::escrow::MAX_THRESHOLD {
            assert!(TokenPurpose::Escrow.budget(k) < u32::from(k));
            assert!(TokenPurpose::Oprf.budget(k) >= TokenPurpose::Escrow.budget(k));
        }
    }
}
