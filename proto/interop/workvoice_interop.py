"""An independent implementation of the Workvoice protocol, written from proto/PROTOCOL.md.

Section numbers in comments refer to PROTOCOL.md. Crypto comes from `cryptography` primitives
only (X25519, Ed25519, SHA-256, HMAC, ChaCha20, ChaCha20-Poly1305); HPKE (RFC 9180) and
XChaCha20-Poly1305 are built here.

Every failure raises `WvError` whose `code` is the stable error code of the specification.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


class WvError(Exception):
    """A failure with its stable code (section 1.9)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


# --------------------------------------------------------------------------------------------
# 1. Conventions
# --------------------------------------------------------------------------------------------

def u8(n: int) -> bytes:
    return struct.pack(">B", n)


def u16(n: int) -> bytes:
    return struct.pack(">H", n)


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def u64(n: int) -> bytes:
    return struct.pack(">Q", n)


def sha256(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def hex_decode(text: str, length: Optional[int] = None) -> bytes:
    """Section 1.2: exactly 2*N hex characters, either case."""
    if not isinstance(text, str) or (length is not None and len(text) != 2 * length):
        raise ValueError("wrong hex length")
    if any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError("not hex")
    return bytes.fromhex(text)


_B64_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64_decode(text: str) -> bytes:
    """Standard base64, canonical only (section 1.2)."""
    if not isinstance(text, str) or len(text) % 4 != 0:
        raise ValueError("base64 length")
    body = text.rstrip("=")
    if len(text) - len(body) > 2 or any(c not in _B64_STD for c in body):
        raise ValueError("base64 alphabet or padding")
    out = base64.b64decode(text, validate=True)
    if base64.b64encode(out).decode() != text:
        raise ValueError("non-canonical base64")
    return out


def b64_encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url_nopad_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_nopad_decode(text: str) -> bytes:
    alphabet = _B64_STD[:62] + "-_"
    if any(c not in alphabet for c in text) or len(text) % 4 == 1:
        raise ValueError("base64url")
    out = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_nopad_encode(out) != text:
        raise ValueError("non-canonical base64url")
    return out


# Section 1.3 rule 9: Unicode White_Space.
WHITE_SPACE = frozenset(
    [chr(c) for c in range(0x09, 0x0E)]
    + [" ", "\u0085", "\u00a0", "\u1680"]
    + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)


def is_blank(text: str) -> bool:
    return all(c in WHITE_SPACE for c in text)


class _Float:
    """A JSON number with a fraction or exponent: never a valid protocol integer."""

    def __init__(self, text: str):
        self.text = text


class _Obj(dict):
    """A JSON object that remembers which member names occurred more than once."""

    duplicates: frozenset = frozenset()


def _pairs(pairs):
    obj = _Obj()
    dups = set()
    for k, v in pairs:
        if k in obj:
            dups.add(k)
        obj[k] = v  # last occurrence wins (maps)
    obj.duplicates = frozenset(dups)
    return obj


def _bad_constant(name):
    raise ValueError(f"{name} is not JSON")


def json_parse(data: bytes, code: str) -> Any:
    """Section 1.3 rules 1, 6, 11: UTF-8 without BOM, one value, no NaN/Infinity."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        if text.startswith("\ufeff"):
            raise ValueError("byte-order mark")
        return json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_float=_Float,
            parse_int=lambda t: _Float(t) if t == "-0" else int(t),
            parse_constant=_bad_constant,
        )
    except (ValueError, UnicodeDecodeError) as e:
        raise WvError(code, f"not JSON: {e}") from None


# Typed decoding (section 1.3). A schema is a dict member -> (type, presence[, default]).
REQUIRED = "required"
OPTIONAL = "optional"
DEFAULT = "default"

UNKNOWN = "unknown"


class Malformed(Exception):
    pass


def _int(bits: int):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < (1 << bits):
            raise Malformed(f"expected u{bits}")
        return v

    return check


T_U8, T_U16, T_U32, T_U64 = _int(8), _int(16), _int(32), _int(64)


def T_BOOL(v):
    if not isinstance(v, bool):
        raise Malformed("expected a boolean")
    return v


def T_STR(v):
    if not isinstance(v, str):
        raise Malformed("expected a string")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
        raise Malformed("lone surrogate")
    return v


def T_HEX(n: int):
    def check(v):
        T_STR(v)
        try:
            return hex_decode(v, n)
        except ValueError as e:
            raise Malformed(str(e)) from None

    return check


def T_ENUM(values):
    known = frozenset(values)

    def check(v):
        T_STR(v)
        return v if v in known else UNKNOWN

    return check


def T_LIST(item):
    def check(v):
        if not isinstance(v, list):
            raise Malformed("expected an array")
        return [item(x) for x in v]

    return check


def T_MAP(item):
    def check(v):
        if not isinstance(v, dict):
            raise Malformed("expected an object")
        return {T_STR(k): item(x) for k, x in v.items()}

    return check


def T_STRUCT(schema: dict):
    def check(v):
        if not isinstance(v, dict):
            raise Malformed("expected an object")
        dups = getattr(v, "duplicates", frozenset())
        out = {}
        for name, spec in schema.items():
            typ, presence = spec[0], spec[1]
            if name in dups:
                raise Malformed(f"duplicate member {name}")
            if name not in v:
                if presence == REQUIRED:
                    raise Malformed(f"missing member {name}")
                if presence == DEFAULT:
                    d = spec[2]
                    out[name] = d() if callable(d) else d
                else:
                    out[name] = None
                continue
            value = v[name]
            if value is None:
                if presence == OPTIONAL:
                    out[name] = None
                    continue
                raise Malformed(f"null member {name}")
            out[name] = typ(value)
        return out

    return check


def decode_typed(value: Any, typ: Callable, code: str):
    try:
        return typ(value)
    except Malformed as e:
        raise WvError(code, str(e)) from None


def json_dumps(value: Any) -> bytes:
    """Compact JSON, UTF-8, as the reference writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --------------------------------------------------------------------------------------------
# 2. Cryptographic primitives
# --------------------------------------------------------------------------------------------

def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def x25519(sk: bytes, pk: bytes) -> bytes:
    """X25519; an all-zero result (low-order peer key) is a failure (section 2.2)."""
    try:
        out = X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))
    except ValueError as e:
        raise ValueError("X25519 failed") from e
    if out == bytes(32):
        raise ValueError("all-zero X25519 output")
    return out


def x25519_clamp(sk: bytes) -> bytes:
    """RFC 7748 clamping. X25519 clamps on use, so a key and its clamped form are the same key;
    the reference implementation stores and writes private keys clamped (section 2.2)."""
    b = bytearray(sk)
    b[0] &= 248
    b[31] = (b[31] & 127) | 64
    return bytes(b)


def x25519_public(sk: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes_raw()


# 2.3 HPKE, suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305.
KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0003
MODE_BASE, MODE_AUTH = 0x00, 0x02
SUITE_KEM = b"KEM" + u16(KEM_ID)
SUITE_HPKE = b"HPKE" + u16(KEM_ID) + u16(KDF_ID) + u16(AEAD_ID)


def labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hkdf_extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(prk, u16(length) + b"HPKE-v1" + suite + label + info, length)


def derive_keypair(ikm: bytes) -> tuple[bytes, bytes]:
    dkp_prk = labeled_extract(SUITE_KEM, b"", b"dkp_prk", ikm)
    sk = labeled_expand(SUITE_KEM, dkp_prk, b"sk", b"", 32)
    return sk, x25519_public(sk)


def _extract_and_expand(dh: bytes, kem_context: bytes) -> bytes:
    eae_prk = labeled_extract(SUITE_KEM, b"", b"eae_prk", dh)
    return labeled_expand(SUITE_KEM, eae_prk, b"shared_secret", kem_context, 32)


def key_schedule(mode: int, shared_secret: bytes, info: bytes) -> tuple[bytes, bytes]:
    psk_id_hash = labeled_extract(SUITE_HPKE, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(SUITE_HPKE, b"", b"info_hash", info)
    ctx = u8(mode) + psk_id_hash + info_hash
    secret = labeled_extract(SUITE_HPKE, shared_secret, b"secret", b"")
    key = labeled_expand(SUITE_HPKE, secret, b"key", ctx, 32)
    base_nonce = labeled_expand(SUITE_HPKE, secret, b"base_nonce", ctx, 12)
    return key, base_nonce


def hpke_encap(pk_r: bytes, ikm_e: bytes, sk_s: Optional[bytes] = None) -> tuple[bytes, bytes]:
    """Encap (base) or AuthEncap (when sk_s is given). Returns (shared_secret, enc)."""
    sk_e, pk_e = derive_keypair(ikm_e)
    dh = x25519(sk_e, pk_r)
    kem_context = pk_e + pk_r
    if sk_s is not None:
        dh += x25519(sk_s, pk_r)
        kem_context += x25519_public(sk_s)
    return _extract_and_expand(dh, kem_context), pk_e


def hpke_decap(enc: bytes, sk_r: bytes, pk_s: Optional[bytes] = None) -> bytes:
    dh = x25519(sk_r, enc)
    kem_context = enc + x25519_public(sk_r)
    if pk_s is not None:
        dh += x25519(sk_r, pk_s)
        kem_context += pk_s
    return _extract_and_expand(dh, kem_context)


def hpke_seal(pk_r: bytes, info: bytes, aad: bytes, pt: bytes, ikm_e: bytes,
              sk_s: Optional[bytes] = None) -> tuple[bytes, bytes]:
    """Single-shot SealBase / SealAuth. Returns (enc, ct)."""
    shared, enc = hpke_encap(pk_r, ikm_e, sk_s)
    key, nonce = key_schedule(MODE_AUTH if sk_s is not None else MODE_BASE, shared, info)
    return enc, ChaCha20Poly1305(key).encrypt(nonce, pt, aad)


def hpke_open(enc: bytes, sk_r: bytes, info: bytes, aad: bytes, ct: bytes,
              pk_s: Optional[bytes] = None) -> bytes:
    """Single-shot OpenBase / OpenAuth. Raises ValueError on any failure."""
    shared = hpke_decap(enc, sk_r, pk_s)
    key, nonce = key_schedule(MODE_AUTH if pk_s is not None else MODE_BASE, shared, info)
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ct, aad)
    except InvalidTag:
        raise ValueError("HPKE open failed") from None


# 2.4 XChaCha20-Poly1305. HChaCha20 is the ChaCha20 permutation without the final addition; a
# ChaCha20 keystream block is permutation(state) + state, so subtracting the known initial
# state from one block of keystream gives the permuted words.
_SIGMA = struct.unpack("<4I", b"expand 32-byte k")


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    # cryptography's ChaCha20 takes a 16-byte "nonce" = state words 12..15 (counter || nonce).
    block = Cipher(algorithms.ChaCha20(key, nonce16), mode=None).encryptor().update(bytes(64))
    ks = struct.unpack("<16I", block)
    state = list(_SIGMA) + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    words = [(ks[i] - state[i]) & 0xFFFFFFFF for i in (0, 1, 2, 3, 12, 13, 14, 15)]
    return struct.pack("<8I", *words)


def xchacha_encrypt(key: bytes, nonce24: bytes, pt: bytes, aad: bytes) -> bytes:
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(bytes(4) + nonce24[16:], pt, aad)


def xchacha_decrypt(key: bytes, nonce24: bytes, ct: bytes, aad: bytes) -> bytes:
    sub = hchacha20(key, nonce24[:16])
    try:
        return ChaCha20Poly1305(sub).decrypt(bytes(4) + nonce24[16:], ct, aad)
    except InvalidTag:
        raise ValueError("XChaCha20-Poly1305 authentication failed") from None


# 2.5 Ed25519 with a context prefix.
def ed25519_verify(public_key: bytes, context: bytes, message: bytes, signature: bytes) -> bool:
    if len(signature) != 64 or len(public_key) != 32:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, context + message)
        return True
    except (InvalidSignature, ValueError):
        return False


def ed25519_sign(seed: bytes, context: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(context + message)


def ed25519_public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


class DeterministicRng:
    """Section 17.5: SHA-256 in counter mode over SHA-256(label). Never for real keys."""

    def __init__(self, label: str):
        self.seed = sha256(label.encode())
        self.counter = 0
        self.buf = b""

    def bytes(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            if not self.buf:
                self.buf = sha256(self.seed, u64(self.counter))
                self.counter += 1
            take = min(n - len(out), len(self.buf))
            out += self.buf[:take]
            self.buf = self.buf[take:]
        return out


class SystemRng:
    def bytes(self, n: int) -> bytes:
        return os.urandom(n)


# --------------------------------------------------------------------------------------------
# Appendix A: ISO lists
# --------------------------------------------------------------------------------------------

COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())

_CURRENCY_TEXT = """
AED 2 AFN 2 ALL 2 AMD 2 ANG 2 AOA 2 ARS 2 AUD 2 AWG 2 AZN 2 BAM 2 BBD 2 BDT 2 BGN 2 BHD 3 BIF 0
BMD 2 BND 2 BOB 2 BOV 2 BRL 2 BSD 2 BTN 2 BWP 2 BYN 2 BZD 2 CAD 2 CDF 2 CHE 2 CHF 2 CHW 2 CLF 4
CLP 0 CNY 2 COP 2 COU 2 CRC 2 CUP 2 CVE 2 CZK 2 DJF 0 DKK 2 DOP 2 DZD 2 EGP 2 ERN 2 ETB 2 EUR 2
FJD 2 FKP 2 GBP 2 GEL 2 GHS 2 GIP 2 GMD 2 GNF 0 GTQ 2 GYD 2 HKD 2 HNL 2 HTG 2 HUF 2 IDR 2 ILS 2
INR 2 IQD 3 IRR 2 ISK 0 JMD 2 JOD 3 JPY 0 KES 2 KGS 2 KHR 2 KMF 0 KPW 2 KRW 0 KWD 3 KYD 2 KZT 2
LAK 2 LBP 2 LKR 2 LRD 2 LSL 2 LYD 3 MAD 2 MDL 2 MGA 2 MKD 2 MMK 2 MNT 2 MOP 2 MRU 2 MUR 2 MVR 2
MWK 2 MXN 2 MXV 2 MYR 2 MZN 2 NAD 2 NGN 2 NIO 2 NOK 2 NPR 2 NZD 2 OMR 3 PAB 2 PEN 2 PGK 2 PHP 2
PKR 2 PLN 2 PYG 0 QAR 2 RON 2 RSD 2 RUB 2 RWF 0 SAR 2 SBD 2 SCR 2 SDG 2 SEK 2 SGD 2 SHP 2 SLE 2
SOS 2 SRD 2 SSP 2 STN 2 SVC 2 SYP 2 SZL 2 THB 2 TJS 2 TMT 2 TND 3 TOP 2 TRY 2 TTD 2 TWD 2 TZS 2
UAH 2 UGX 0 USD 2 USN 2 UYI 0 UYU 2 UYW 4 UZS 2 VED 2 VES 2 VND 0 VUV 0 WST 2 XAF 0 XCD 2 XCG 2
XOF 0 XPF 0 YER 2 ZAR 2 ZMW 2 ZWG 2
""".split()
CURRENCIES = {_CURRENCY_TEXT[i]: int(_CURRENCY_TEXT[i + 1]) for i in range(0, len(_CURRENCY_TEXT), 2)}


def is_country(code: str) -> bool:
    return code in COUNTRIES


# --------------------------------------------------------------------------------------------
# 5. Padding
# --------------------------------------------------------------------------------------------

MIN_PADDED_LEN = 256


def padme(length: int) -> int:
    if length < 2:
        return length
    e = length.bit_length() - 1
    s = e.bit_length()
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask


def padded_len(n: int) -> int:
    return padme(max(n + 4, MIN_PADDED_LEN))


def is_padded_len(x: int) -> bool:
    return x >= MIN_PADDED_LEN and padme(x) == x


def pad(plain: bytes) -> bytes:
    if len(plain) > 0xFFFFFFFF:
        raise WvError("too_large")
    return u32(len(plain)) + plain + bytes(padded_len(len(plain)) - 4 - len(plain))


def unpad(data: bytes) -> bytes:
    """Raises ValueError('length' | 'prefix' | 'non-zero')."""
    if not is_padded_len(len(data)):
        raise ValueError("length")
    n = struct.unpack(">I", data[:4])[0]
    if n > len(data) - 4 or padded_len(n) != len(data):
        raise ValueError("prefix")
    if any(data[4 + n:]):
        raise ValueError("non-zero")
    return data[4:4 + n]


# --------------------------------------------------------------------------------------------
# 6. Disclosure
# --------------------------------------------------------------------------------------------

SECTOR_LETTERS = "ABCDEFGHIJKLMNOPQRSTU"
KNOWN_KINDS = ("recruitment_fees", "forced_labour", "wage_theft", "contract_substitution", "other")
MAX_KINDS = 8


def _sector_letter(v):
    T_STR(v)
    return v if len(v) == 1 and v in SECTOR_LETTERS else UNKNOWN


def _kind_set(v):
    # A set: duplicates collapse; kept sorted by UTF-8 bytes.
    kinds = T_LIST(T_STR)(v)
    return sorted(set(kinds), key=lambda k: k.encode("utf-8"))


ROUTING_TAGS = T_STRUCT({
    "destination_country": (T_STR, REQUIRED),
    "sector": (_sector_letter, OPTIONAL),
    "kinds": (_kind_set, REQUIRED),
})

CONSENT = T_STRUCT({
    "union": (T_BOOL, REQUIRED),
    "inspectorate": (T_BOOL, REQUIRED),
    "ngo": (T_BOOL, DEFAULT, False),
    "contact_wanted": (T_BOOL, DEFAULT, False),
})


def tags_to_json(tags: dict) -> dict:
    out = {"destination_country": tags["destination_country"]}
    if tags.get("sector") is not None:
        out["sector"] = tags["sector"] if tags["sector"] != UNKNOWN else "?"
    out["kinds"] = list(tags["kinds"])
    return out


def validate_tags(tags: dict) -> None:
    if not is_country(tags["destination_country"]):
        raise WvError("invalid_country", tags["destination_country"])
    if tags.get("sector") == UNKNOWN:
        raise WvError("unknown_sector")
    if not 1 <= len(tags["kinds"]) <= MAX_KINDS:
        raise WvError("invalid_kind_count")
    for k in tags["kinds"]:
        b = k.encode("utf-8")
        if not 1 <= len(b) <= 32 or any(c not in b"abcdefghijklmnopqrstuvwxyz0123456789_" for c in b):
            raise WvError("invalid_kind", k)


def consent_allows(consent: dict, kind: str) -> bool:
    return kind in ("union", "inspectorate", "ngo") and bool(consent[kind])


def disclosure_bytes(tags: dict, consent: dict) -> bytes:
    country = tags["destination_country"].encode("utf-8")
    sector = tags.get("sector")
    out = b"WVDS\x01" + u8(len(country)) + country
    out += b"\x00" if sector is None else (b"?" if sector == UNKNOWN else sector.encode())
    out += u8(len(tags["kinds"]))
    for kind in tags["kinds"]:
        kb = kind.encode("utf-8")
        out += u8(len(kb)) + kb
    flags = (consent["union"] * 1) | (consent["inspectorate"] * 2) | (consent["ngo"] * 4) \
        | (consent["contact_wanted"] * 8)
    return out + u8(flags)


def disclosure_digest(tags: dict, consent: dict) -> bytes:
    return sha256(disclosure_bytes(tags, consent))


# Binary submission body (section 14.9)

SUBMISSION_BINARY_VERSION = 1


def decode_submission_binary(data: bytes) -> dict:
    """The request a binary body carries, as the JSON body of 14.2 would give it."""
    r = _Reader(data, "binary_truncated")
    version = r.take(1)
    if version[0] != SUBMISSION_BINARY_VERSION:
        raise WvError("binary_unsupported_version", str(version[0]))
    submission_id = r.take(16)
    directory_version = int.from_bytes(r.take(8), "big")
    pow_nonce = int.from_bytes(r.take(8), "big")
    mailbox_token_hash = r.take(32)
    flags = r.take(1)[0]
    if flags & 0xF0:
        raise WvError("binary_reserved_bits", hex(flags))

    def text() -> str:
        raw = r.take(r.take(1)[0])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise WvError("binary_invalid_text") from None

    country = text()
    sector_byte = r.take(1)[0]
    kinds = [text() for _ in range(r.take(1)[0])]
    attachments = []
    for _ in range(r.take(1)[0]):
        attachments.append({"id": r.take(16).hex(),
                            "size": int.from_bytes(r.take(8), "big"),
                            "sha256": r.take(32).hex()})
    envelope = r.take(int.from_bytes(r.take(4), "big"))
    if r.remaining():
        raise WvError("binary_trailing_bytes", str(r.remaining()))
    tags = {"destination_country": country}
    if sector_byte:
        letter = chr(sector_byte)
        tags["sector"] = letter if letter in SECTOR_LETTERS else "?"
    tags["kinds"] = sorted(set(kinds), key=lambda k: k.encode("utf-8"))
    return {
        "submission_id": submission_id.hex(),
        "directory_version": directory_version,
        "tags": tags,
        "consent": {"union": bool(flags & 1), "inspectorate": bool(flags & 2),
                    "ngo": bool(flags & 4), "contact_wanted": bool(flags & 8)},
        "mailbox_token_hash": mailbox_token_hash.hex(),
        "pow_nonce": pow_nonce,
        "envelope": b64_encode(envelope),
        "attachments": attachments,
    }


def encode_submission_binary(request: dict) -> bytes:
    """The binary body of a request in its JSON form (members as decode_submission_binary gives)."""
    consent = request["consent"]
    flags = (consent["union"] * 1) | (consent["inspectorate"] * 2) | (consent.get("ngo", False) * 4) \
        | (consent.get("contact_wanted", False) * 8)
    tags = request["tags"]
    country = tags["destination_country"].encode("utf-8")
    out = u8(SUBMISSION_BINARY_VERSION) + bytes.fromhex(request["submission_id"])
    out += u64(request["directory_version"]) + u64(request["pow_nonce"])
    out += bytes.fromhex(request["mailbox_token_hash"]) + u8(flags)
    out += u8(len(country)) + country
    out += b"\x00" if tags.get("sector") is None else tags["sector"].encode("ascii")
    kinds = sorted(set(tags["kinds"]), key=lambda k: k.encode("utf-8"))
    out += u8(len(kinds))
    for kind in kinds:
        kb = kind.encode("utf-8")
        out += u8(len(kb)) + kb
    out += u8(len(request.get("attachments", [])))
    for a in request.get("attachments", []):
        out += bytes.fromhex(a["id"]) + u64(a["size"]) + bytes.fromhex(a["sha256"])
    envelope = b64_decode(request["envelope"])
    return out + u32(len(envelope)) + envelope


def submission_request_hash(request: dict) -> bytes:
    """SHA-256 of the canonical JSON of a request (14.2): members in the order of 14.2, the
    tags' `sector` only when present, `attachments` always."""
    tags = {"destination_country": request["tags"]["destination_country"]}
    if request["tags"].get("sector") is not None:
        tags["sector"] = request["tags"]["sector"]
    tags["kinds"] = list(request["tags"]["kinds"])
    c = request["consent"]
    canonical = {
        "submission_id": request["submission_id"],
        "directory_version": request["directory_version"],
        "tags": tags,
        "consent": {"union": c["union"], "inspectorate": c["inspectorate"],
                    "ngo": c.get("ngo", False), "contact_wanted": c.get("contact_wanted", False)},
        "mailbox_token_hash": request["mailbox_token_hash"],
        "pow_nonce": request["pow_nonce"],
        "envelope": request["envelope"],
        "attachments": [{"id": a["id"], "size": a["size"], "sha256": a["sha256"]}
                        for a in request.get("attachments", [])],
    }
    return sha256(json_dumps(canonical))


# --------------------------------------------------------------------------------------------
# 7. Envelope
# --------------------------------------------------------------------------------------------

ENVELOPE_MAGIC = b"WVEN"
PREFIX_LEN = 54
ENTRY_LEN = 96
MAX_RECIPIENTS = 16
MAX_REPORT_BYTES = 1024 * 1024
MAX_CIPHERTEXT_LEN = 1_081_344 + 16
CONTENT_KEY_INFO = b"workvoice/v1/content-key"
COMMITMENT_LABEL = b"workvoice/v1/key-commitment"


def key_commitment(content_key: bytes, report_id: bytes) -> bytes:
    return hmac.new(content_key, COMMITMENT_LABEL + report_id, hashlib.sha256).digest()


@dataclass
class EnvelopeHeader:
    report_id: bytes
    commitment: bytes
    recipients: list  # [(org_id, enc, sealed)]
    nonce: bytes
    ciphertext_len: int
    header_len: int


class _Reader:
    def __init__(self, data: bytes, truncated: str):
        self.data, self.pos, self.truncated = data, 0, truncated

    def take(self, n: int) -> bytes:
        if len(self.data) - self.pos < n:
            raise WvError(self.truncated)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def remaining(self) -> int:
        return len(self.data) - self.pos


def parse_envelope(data: bytes) -> EnvelopeHeader:
    """Section 7.3, in order."""
    r = _Reader(data, "envelope_truncated")
    if r.take(4) != ENVELOPE_MAGIC:
        raise WvError("envelope_bad_magic")
    version = r.take(1)[0]
    if version != 1:
        raise WvError("envelope_unsupported_version", str(version))
    report_id = r.take(16)
    commitment = r.take(32)
    n = r.take(1)[0]
    if not 1 <= n <= MAX_RECIPIENTS:
        raise WvError("envelope_recipient_count")
    recipients = []
    for _ in range(n):
        org_id, enc, sealed = r.take(16), r.take(32), r.take(48)
        if any(org_id == e[0] for e in recipients):
            raise WvError("envelope_duplicate_recipient", org_id.hex())
        recipients.append((org_id, enc, sealed))
    nonce = r.take(24)
    ct_len = struct.unpack(">I", r.take(4))[0]
    header_len = r.pos
    if ct_len > MAX_CIPHERTEXT_LEN:
        raise WvError("envelope_too_large")
    if ct_len != r.remaining() or ct_len < 16 or not is_padded_len(ct_len - 16):
        raise WvError("envelope_length_mismatch")
    return EnvelopeHeader(report_id, commitment, recipients, nonce, ct_len, header_len)


def _recipient_aad(prefix: bytes, org_ids) -> bytes:
    return prefix + b"".join(org_ids)


def _content_key_info(report_id: bytes, org_id: bytes) -> bytes:
    return CONTENT_KEY_INFO + report_id + org_id


def seal_envelope(plaintext: bytes, report_id: bytes, recipients: list, digest: bytes, rng) -> bytes:
    """Section 7.2. `recipients` is [(org_id, hpke_public_key)]."""
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise WvError("envelope_recipient_count")
    ids = [org for org, _ in recipients]
    if len(set(ids)) != len(ids):
        raise WvError("envelope_duplicate_recipient")
    if len(plaintext) > MAX_REPORT_BYTES:
        raise WvError("envelope_too_large")
    padded = pad(plaintext)
    content_key = rng.bytes(32)
    nonce = rng.bytes(24)
    prefix = ENVELOPE_MAGIC + b"\x01" + report_id + key_commitment(content_key, report_id) \
        + u8(len(recipients))
    aad = _recipient_aad(prefix, ids)
    out = prefix
    for org_id, pk in recipients:
        try:
            enc, sealed = hpke_seal(pk, _content_key_info(report_id, org_id), aad, content_key,
                                    rng.bytes(32))
        except ValueError:
            raise WvError("envelope_invalid_recipient_key") from None
        out += org_id + enc + sealed
    out += nonce + u32(len(padded) + 16)
    return out + xchacha_encrypt(content_key, nonce, padded, out + digest)


@dataclass
class Opened:
    report_id: bytes
    recipients: list
    plaintext: bytes


def open_envelope(data: bytes, org_id: bytes, private_key: bytes, digest: bytes) -> Opened:
    """Section 7.4, in order."""
    h = parse_envelope(data)
    entry = next((e for e in h.recipients if e[0] == org_id), None)
    if entry is None:
        raise WvError("envelope_not_a_recipient")
    aad = _recipient_aad(data[:PREFIX_LEN], [e[0] for e in h.recipients])
    try:
        content_key = hpke_open(entry[1], private_key, _content_key_info(h.report_id, org_id),
                                aad, entry[2])
    except ValueError:
        raise WvError("envelope_key_unseal_failed") from None
    if len(content_key) != 32:
        raise WvError("envelope_key_unseal_failed")
    if not hmac.compare_digest(key_commitment(content_key, h.report_id), h.commitment):
        raise WvError("envelope_commitment_mismatch")
    try:
        padded = xchacha_decrypt(content_key, h.nonce, data[h.header_len:],
                                 data[:h.header_len] + digest)
    except ValueError:
        raise WvError("envelope_decrypt_failed") from None
    try:
        plain = unpad(padded)
    except ValueError:
        raise WvError("envelope_bad_padding") from None
    return Opened(h.report_id, [e[0] for e in h.recipients], plain)


# --------------------------------------------------------------------------------------------
# 8. Reply
# --------------------------------------------------------------------------------------------

REPLY_MAGIC = b"WVRP"
REPLY_HEADER_LEN = 89
MAX_SEALED_REPLY_LEN = 89 + 69_632 + 16
MAX_REPLY_TEXT_CHARS = 4000
REPLY_INFO = b"workvoice/v1/reply"

REPLY_BODY = T_STRUCT({
    "text": (T_STR, REQUIRED),
    "language": (T_STR, REQUIRED),
    "written_on": (T_STR, OPTIONAL),
})


@dataclass
class ReplyHeader:
    report_id: bytes
    org_id: bytes
    message_id: bytes
    enc: bytes
    ciphertext_len: int


def _parse_message(data: bytes, magic: bytes, max_len: int, kind: str) -> ReplyHeader:
    """The header of a sealed reply or status: one layout under each kind's magic (8.2, 8.5);
    errors are `<kind>_...`."""
    if len(data) > max_len:
        raise WvError(f"{kind}_too_large")
    r = _Reader(data, f"{kind}_truncated")
    if r.take(4) != magic:
        raise WvError(f"{kind}_bad_magic")
    version = r.take(1)[0]
    if version != 1:
        raise WvError(f"{kind}_unsupported_version", str(version))
    h = ReplyHeader(r.take(16), r.take(16), r.take(16), r.take(32),
                    struct.unpack(">I", r.take(4))[0])
    if h.ciphertext_len != r.remaining() or h.ciphertext_len < 16 \
            or not is_padded_len(h.ciphertext_len - 16):
        raise WvError(f"{kind}_length_mismatch")
    return h


def _seal_message(doc: dict, magic: bytes, info: bytes, max_len: int, kind: str,
                  report_id: bytes, org_id: bytes, org_private_key: bytes,
                  reply_public_key: bytes, rng) -> bytes:
    padded = pad(json_dumps(doc))
    if REPLY_HEADER_LEN + len(padded) + 16 > max_len:
        raise WvError(f"{kind}_too_large")
    message_id = rng.bytes(16)
    head = magic + b"\x01" + report_id + org_id + message_id
    ct_len = u32(len(padded) + 16)
    try:
        enc, ct = hpke_seal(reply_public_key, info + report_id + org_id, head + ct_len,
                            padded, rng.bytes(32), sk_s=org_private_key)
    except ValueError:
        raise WvError(f"{kind}_invalid_key") from None
    return head + enc + ct_len + ct


def _open_message(data: bytes, h: ReplyHeader, info: bytes, body_type, kind: str,
                  reply_private_key: bytes, org_public_key: bytes) -> dict:
    aad = data[:53] + data[85:89]
    try:
        padded = hpke_open(h.enc, reply_private_key, info + h.report_id + h.org_id, aad,
                           data[89:], pk_s=org_public_key)
    except ValueError:
        raise WvError(f"{kind}_unauthenticated") from None
    try:
        body_bytes = unpad(padded)
    except ValueError:
        raise WvError(f"{kind}_malformed") from None
    return decode_typed(json_parse(body_bytes, f"{kind}_malformed"), body_type,
                        f"{kind}_malformed")


def parse_reply(data: bytes) -> ReplyHeader:
    return _parse_message(data, REPLY_MAGIC, MAX_SEALED_REPLY_LEN, "reply")


def seal_reply(body: dict, report_id: bytes, org_id: bytes, org_private_key: bytes,
               reply_public_key: bytes, rng) -> bytes:
    text = body["text"]
    if is_blank(text) or len(text) > MAX_REPLY_TEXT_CHARS:
        raise WvError("reply_invalid_text")
    doc = {"text": text, "language": body["language"]}
    if body.get("written_on") is not None:
        doc["written_on"] = body["written_on"]
    return _seal_message(doc, REPLY_MAGIC, REPLY_INFO, MAX_SEALED_REPLY_LEN, "reply", report_id,
                         org_id, org_private_key, reply_public_key, rng)


def open_reply(data: bytes, reply_private_key: bytes, org_public_key: bytes):
    h = parse_reply(data)
    body = _open_message(data, h, REPLY_INFO, REPLY_BODY, "reply", reply_private_key,
                         org_public_key)
    return h, body


def reply_body_to_json(body: dict) -> dict:
    out = {"text": body["text"], "language": body["language"]}
    if body.get("written_on") is not None:
        out["written_on"] = body["written_on"]
    return out


# --------------------------------------------------------------------------------------------
# 8.5 Sealed status
# --------------------------------------------------------------------------------------------

STATUS_MAGIC = b"WVST"
MAX_SEALED_STATUS_LEN = 89 + 256 + 16
STATUS_INFO = b"workvoice/v1/status"
WORKER_STATUSES = ("received", "in_review", "referred", "resolved", "closed")

STATUS_BODY = T_STRUCT({
    "status": (T_ENUM(WORKER_STATUSES), REQUIRED),
    "set_at": (T_U64, REQUIRED),
})


def parse_status(data: bytes) -> ReplyHeader:
    """The header of a sealed status: a reply's layout under its own magic (8.5)."""
    return _parse_message(data, STATUS_MAGIC, MAX_SEALED_STATUS_LEN, "status")


def seal_status(body: dict, report_id: bytes, org_id: bytes, org_private_key: bytes,
                reply_public_key: bytes, rng) -> bytes:
    if body["status"] not in WORKER_STATUSES:
        raise WvError("status_invalid")
    return _seal_message({"status": body["status"], "set_at": body["set_at"]}, STATUS_MAGIC,
                         STATUS_INFO, MAX_SEALED_STATUS_LEN, "status", report_id, org_id,
                         org_private_key, reply_public_key, rng)


def open_status(data: bytes, reply_private_key: bytes, org_public_key: bytes):
    h = parse_status(data)
    body = _open_message(data, h, STATUS_INFO, STATUS_BODY, "status", reply_private_key,
                         org_public_key)
    return h, body


# --------------------------------------------------------------------------------------------
# 9. Attachment
# --------------------------------------------------------------------------------------------

ATTACHMENT_MAGIC = b"WVAT"
ATTACHMENT_HEADER_LEN = 56          # version 2
ATTACHMENT_V1_HEADER_LEN = 61
ATTACHMENT_SEGMENT_BYTES = 65536
MAX_ATTACHMENT_BYTES = 32 * 1024 * 1024
MAX_V1_ATTACHMENT_BYTES = 10 * 1024 * 1024


def attachment_segments(n: int) -> int:
    return -(-padded_len(n) // ATTACHMENT_SEGMENT_BYTES)


def attachment_sealed_len(n: int) -> int:
    return ATTACHMENT_HEADER_LEN + padded_len(n) + 16 * attachment_segments(n)


def attachment_frame(plaintext: bytes) -> bytes:
    """Section 9.1: the file, zeros, then its length (u32) at the end."""
    n = len(plaintext)
    return plaintext + bytes(padded_len(n) - 4 - n) + struct.pack(">I", n)


def stream_nonce(prefix: bytes, i: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", i) + (b"\x01" if last else b"\x00")


def seal_attachment(plaintext: bytes, media_type: str, report_id: bytes, rng):
    """Version 2 (section 9.2)."""
    if len(plaintext) > MAX_ATTACHMENT_BYTES:
        raise WvError("attachment_too_large")
    attachment_id = rng.bytes(16)
    key = rng.bytes(32)
    prefix = rng.bytes(19)
    header = ATTACHMENT_MAGIC + b"\x02" + report_id + attachment_id + prefix
    frame = attachment_frame(plaintext)
    count = attachment_segments(len(plaintext))
    parts = [header]
    for i in range(count):
        segment = frame[i * ATTACHMENT_SEGMENT_BYTES:(i + 1) * ATTACHMENT_SEGMENT_BYTES]
        parts.append(xchacha_encrypt(key, stream_nonce(prefix, i, i == count - 1), segment,
                                     header))
    sealed = b"".join(parts)
    entry = {
        "id": attachment_id.hex(),
        "media_type": media_type,
        "size": len(plaintext),
        "sealed_size": len(sealed),
        "sealed_sha256": sha256(sealed).hex(),
        "key": key.hex(),
    }
    return entry, sealed


def seal_attachment_v1(plaintext: bytes, media_type: str, report_id: bytes, rng):
    """Version 1 of earlier releases (section 9.3): read, never written by current writers."""
    if len(plaintext) > MAX_V1_ATTACHMENT_BYTES:
        raise WvError("attachment_too_large")
    attachment_id = rng.bytes(16)
    key = rng.bytes(32)
    nonce = rng.bytes(24)
    header = ATTACHMENT_MAGIC + b"\x01" + report_id + attachment_id + nonce
    sealed = header + xchacha_encrypt(key, nonce, pad(plaintext), header)
    entry = {
        "id": attachment_id.hex(),
        "media_type": media_type,
        "size": len(plaintext),
        "sealed_size": len(sealed),
        "sealed_sha256": sha256(sealed).hex(),
        "key": key.hex(),
    }
    return entry, sealed


def open_attachment(sealed: bytes, report_id: bytes, entry: dict) -> bytes:
    """Section 9.4, for a reader holding the whole sealed attachment."""
    if len(sealed) != entry["sealed_size"] or not hmac.compare_digest(
            sha256(sealed), hex_decode(entry["sealed_sha256"], 32)):
        raise WvError("attachment_mismatch")
    if len(sealed) < 5:
        raise WvError("attachment_malformed")
    if sealed[:4] != ATTACHMENT_MAGIC or sealed[4] not in (1, 2):
        raise WvError("attachment_mismatch")
    key = hex_decode(entry["key"], 32)
    attachment_id = hex_decode(entry["id"], 16)
    if sealed[4] == 1:
        if len(sealed) < ATTACHMENT_V1_HEADER_LEN:
            raise WvError("attachment_malformed")
        if sealed[5:21] != report_id or sealed[21:37] != attachment_id:
            raise WvError("attachment_mismatch")
        try:
            padded = xchacha_decrypt(key, sealed[37:61], sealed[61:], sealed[:61])
        except ValueError:
            raise WvError("attachment_decrypt_failed") from None
        try:
            plain = unpad(padded)
        except ValueError:
            raise WvError("attachment_malformed") from None
        if len(plain) != entry["size"]:
            raise WvError("attachment_mismatch")
        return plain
    # Version 2: section 9.5 from step 2, on bytes whose length and digest are checked.
    if len(sealed) < ATTACHMENT_HEADER_LEN:
        raise WvError("attachment_malformed")
    header = sealed[:ATTACHMENT_HEADER_LEN]
    if header[5:21] != report_id or header[21:37] != attachment_id:
        raise WvError("attachment_mismatch")
    size = entry["size"]
    if size > MAX_ATTACHMENT_BYTES or entry["sealed_size"] != attachment_sealed_len(size):
        raise WvError("attachment_mismatch")
    frame_len = padded_len(size)
    count = attachment_segments(size)
    prefix = header[37:56]
    frame = bytearray()
    pos = ATTACHMENT_HEADER_LEN
    for i in range(count):
        seg_len = min(ATTACHMENT_SEGMENT_BYTES, frame_len - i * ATTACHMENT_SEGMENT_BYTES) + 16
        try:
            frame += xchacha_decrypt(key, stream_nonce(prefix, i, i == count - 1),
                                     sealed[pos:pos + seg_len], header)
        except ValueError:
            raise WvError("attachment_decrypt_failed") from None
        pos += seg_len
    if any(frame[size:frame_len - 4]) or struct.unpack(">I", frame[frame_len - 4:])[0] != size:
        raise WvError("attachment_malformed")
    return bytes(frame[:size])


# --------------------------------------------------------------------------------------------
# 10. Signed directory
# --------------------------------------------------------------------------------------------

LISTING_CONTEXT = b"workvoice/v1/directory-listing\x00"
ORG_CERT_CONTEXT = b"workvoice/v1/org-certificate\x00"
RELAY_CERT_CONTEXT = b"workvoice/v1/relay-certificate\x00"
REVOCATION_CONTEXT = b"workvoice/v1/revocations\x00"
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024
MAX_CLOCK_SKEW_SECS = 600
MAX_POW_DIFFICULTY = 32

ORG_KIND = T_ENUM(["union", "inspectorate", "ngo"])

SIGNED = T_STRUCT({"body": (T_STR, REQUIRED), "signature": (T_STR, REQUIRED)})

RELAY_CERTIFICATE = T_STRUCT({
    "relay_key": (T_HEX(32), REQUIRED),
    "name": (T_STR, REQUIRED),
    "valid_from": (T_U64, REQUIRED),
    "valid_until": (T_U64, REQUIRED),
})

ORG_CERTIFICATE = T_STRUCT({
    "org_id": (T_HEX(16), REQUIRED),
    "kind": (ORG_KIND, REQUIRED),
    "hpke_public_key": (T_HEX(32), REQUIRED),
    "key_version": (T_U32, REQUIRED),
    "valid_from": (T_U64, REQUIRED),
    "valid_until": (T_U64, REQUIRED),
})

REVOKED_KEY = T_STRUCT({
    "org_id": (T_HEX(16), REQUIRED),
    "key_version": (T_U32, REQUIRED),
    "hpke_public_key": (T_HEX(32), REQUIRED),
})

REVOCATION_LIST = T_STRUCT({
    "serial": (T_U64, REQUIRED),
    "issued_at": (T_U64, REQUIRED),
    "revoked": (T_LIST(REVOKED_KEY), REQUIRED),
    "relay_keys": (T_LIST(T_HEX(32)), DEFAULT, list),
})

ORGANISATION = T_STRUCT({
    "id": (T_HEX(16), REQUIRED),
    "kind": (ORG_KIND, REQUIRED),
    "names": (T_MAP(T_STR), REQUIRED),
    "countries": (T_LIST(T_STR), DEFAULT, list),
    "sectors": (T_LIST(T_STR), DEFAULT, list),
    "languages": (T_LIST(T_STR), DEFAULT, list),
    "escrow_threshold": (T_U8, OPTIONAL),
    "certificate": (SIGNED, REQUIRED),
})

ROUTING_RULE = T_STRUCT({
    "id": (T_STR, REQUIRED),
    "destination_countries": (T_LIST(T_STR), DEFAULT, list),
    "sectors": (T_LIST(_sector_letter), DEFAULT, list),
    "kinds": (T_LIST(T_STR), DEFAULT, list),
    "deliver_to": (T_LIST(T_HEX(16)), REQUIRED),
    "stop": (T_BOOL, DEFAULT, False),
})

OBLIVIOUS_GATEWAY = T_STRUCT({
    "key_configs": (T_LIST(T_STR), REQUIRED),
    "relays": (T_LIST(T_STR), REQUIRED),
})

LISTING = T_STRUCT({
    "format": (T_U16, REQUIRED),
    "version": (T_U64, REQUIRED),
    "issued_at": (T_U64, REQUIRED),
    "expires_at": (T_U64, REQUIRED),
    "pow_difficulty": (T_U8, REQUIRED),
    "organisations": (T_LIST(ORGANISATION), REQUIRED),
    "rules": (T_LIST(ROUTING_RULE), REQUIRED),
    "revocations": (SIGNED, OPTIONAL),
    "oblivious": (OBLIVIOUS_GATEWAY, OPTIONAL),
})

SIGNED_DIRECTORY = T_STRUCT({
    "relay_certificate": (SIGNED, REQUIRED),
    "listing": (SIGNED, REQUIRED),
})


class SignedFailure(Exception):
    def __init__(self, kind: str):  # "encoding" | "bad_signature" | "malformed"
        super().__init__(kind)
        self.kind = kind


def verify_signed(signed: dict, context: bytes, key: bytes, schema) -> dict:
    """Section 10.1."""
    try:
        body = b64_decode(signed["body"])
        signature = b64_decode(signed["signature"])
    except ValueError:
        raise SignedFailure("encoding") from None
    if not ed25519_verify(key, context, body, signature):
        raise SignedFailure("bad_signature")
    try:
        return decode_typed(json_parse(body, "malformed"), schema, "malformed")
    except WvError:
        raise SignedFailure("malformed") from None


def sign_structure(value: dict, context: bytes, seed: bytes) -> dict:
    body = json_dumps(value)
    return {"body": b64_encode(body), "signature": b64_encode(ed25519_sign(seed, context, body))}


def check_listing(listing: dict) -> None:
    """Section 10.3."""
    if listing["format"] != 1:
        raise WvError("directory_unsupported_format", str(listing["format"]))
    if listing["pow_difficulty"] > MAX_POW_DIFFICULTY:
        raise WvError("directory_inconsistent", "pow difficulty")
    seen = set()
    for org in listing["organisations"]:
        if org["id"] in seen:
            raise WvError("directory_inconsistent", "organisation twice")
        seen.add(org["id"])
        if any(not is_country(c) for c in org["countries"]):
            raise WvError("directory_inconsistent", "country")
        k = org.get("escrow_threshold")
        if k is not None and not 2 <= k <= 16:
            raise WvError("directory_inconsistent", "escrow threshold")
    for rule in listing["rules"]:
        if any(i not in seen for i in rule["deliver_to"]):
            raise WvError("directory_inconsistent", "unknown organisation in rule")
    if listing.get("oblivious") is not None:
        check_oblivious_gateway(listing["oblivious"])


def relay_url_allowed(url: str) -> bool:
    """Section 14.8: https, or http to a loopback host."""
    def valid_rest(rest):
        return rest != "" and not rest.startswith("/") and all(0x21 <= ord(c) <= 0x7e for c in rest)
    if url.startswith("https://"):
        return valid_rest(url[len("https://"):])
    if url.startswith("http://"):
        rest = url[len("http://"):]
        host = rest.replace("?", "/").split("/")[0]
        head, sep, port = host.rpartition(":")
        if sep and head and port.isdigit():
            host = head
        return valid_rest(rest) and host in ("127.0.0.1", "[::1]", "localhost")
    return False


def check_oblivious_gateway(section: dict) -> None:
    """Section 14.8: 1 to 8 key configurations of the one suite, distinct ids; at most 8
    relays, https (http only to a loopback host), distinct."""
    configs = section["key_configs"]
    if not 1 <= len(configs) <= 8:
        raise WvError("directory_inconsistent", "gateway key configurations")
    ids = set()
    for text in configs:
        if text != text.lower():
            raise WvError("directory_inconsistent", "key configuration not lowercase hex")
        try:
            b = bytes.fromhex(text)
        except ValueError:
            raise WvError("directory_inconsistent", "key configuration not hex") from None
        if len(b) != 41 or b[1:3] != b"\x00\x20" or b[35:41] != bytes.fromhex("000400010003"):
            raise WvError("directory_inconsistent", "key configuration of another suite")
        if b[0] in ids:
            raise WvError("directory_inconsistent", "gateway key id twice")
        ids.add(b[0])
    relays = section["relays"]
    if len(relays) > 8 or len(set(relays)) != len(relays):
        raise WvError("directory_inconsistent", "OHTTP relays")
    if any(not relay_url_allowed(u) for u in relays):
        raise WvError("directory_inconsistent", "OHTTP relay not https")


def certificate_trust(org: dict, root: bytes, now: int, revoked: list) -> dict:
    """Section 10.5: {'status': 'certified', ...} or {'status': <code>}."""
    try:
        cert = verify_signed(org["certificate"], ORG_CERT_CONTEXT, root, ORG_CERTIFICATE)
    except SignedFailure:
        return {"status": "certificate_bad_signature"}
    if cert["org_id"] != org["id"] or cert["kind"] != org["kind"]:
        return {"status": "certificate_mismatch"}
    if now < cert["valid_from"]:
        return {"status": "certificate_not_yet_valid"}
    if now >= cert["valid_until"]:
        return {"status": "certificate_expired"}
    for r in revoked:
        if r["org_id"] == cert["org_id"] and (
                r["key_version"] == cert["key_version"]
                or r["hpke_public_key"] == cert["hpke_public_key"]):
            return {"status": "certificate_revoked"}
    return {"status": "certified", "hpke_public_key": cert["hpke_public_key"],
            "key_version": cert["key_version"], "valid_until": cert["valid_until"]}


@dataclass
class VerifiedDirectory:
    listing: dict
    relay_key: bytes
    trust: dict  # org id bytes -> trust dict
    digest: bytes
    revocation_serial: int = 0

    def certified_key(self, org_id: bytes) -> bytes:
        t = self.trust.get(org_id)
        if t is None:
            raise WvError("certificate_mismatch")
        if t["status"] != "certified":
            raise WvError(t["status"])
        return t["hpke_public_key"]


def verify_directory(served: bytes, root: bytes, now: int, min_version: int,
                     min_revocation_serial: int = 0) -> VerifiedDirectory:
    """Section 10.4, in order."""
    if len(served) > MAX_DIRECTORY_BYTES:
        raise WvError("directory_too_large")
    signed = decode_typed(json_parse(served, "directory_malformed"), SIGNED_DIRECTORY,
                          "directory_malformed")
    try:
        relay = verify_signed(signed["relay_certificate"], RELAY_CERT_CONTEXT, root,
                              RELAY_CERTIFICATE)
    except SignedFailure:
        raise WvError("directory_relay_certificate_invalid") from None
    if now < relay["valid_from"] or now >= relay["valid_until"]:
        raise WvError("directory_relay_certificate_expired")
    try:
        listing = verify_signed(signed["listing"], LISTING_CONTEXT, relay["relay_key"], LISTING)
    except SignedFailure as e:
        raise WvError("directory_malformed" if e.kind == "malformed"
                      else "directory_bad_signature") from None
    check_listing(listing)
    if now >= listing["expires_at"]:
        raise WvError("directory_expired")
    if listing["issued_at"] > now + MAX_CLOCK_SKEW_SECS:
        raise WvError("directory_not_yet_valid")
    if listing["version"] < min_version:
        raise WvError("directory_rollback", f"{listing['version']} < {min_version}")
    revoked, serial = [], 0
    if listing["revocations"] is not None:
        try:
            revocations = verify_signed(listing["revocations"], REVOCATION_CONTEXT, root,
                                        REVOCATION_LIST)
        except SignedFailure:
            raise WvError("directory_revocations_invalid") from None
        revoked, serial = revocations["revoked"], revocations["serial"]
        if serial < min_revocation_serial:
            raise WvError("directory_revocations_rollback")
        if relay["relay_key"] in revocations["relay_keys"]:
            raise WvError("directory_relay_key_revoked")
    elif min_revocation_serial > 0:
        raise WvError("directory_revocations_missing")
    trust = {org["id"]: certificate_trust(org, root, now, revoked)
             for org in listing["organisations"]}
    return VerifiedDirectory(listing, relay["relay_key"], trust, sha256(served), serial)


# --------------------------------------------------------------------------------------------
# 11. Routing
# --------------------------------------------------------------------------------------------

def rule_matches(rule: dict, tags: dict) -> bool:
    country = not rule["destination_countries"] or tags["destination_country"] in rule["destination_countries"]
    sector = not rule["sectors"] or (
        tags.get("sector") is not None and tags["sector"] != UNKNOWN and tags["sector"] in rule["sectors"])
    kind = not rule["kinds"] or any(k in tags["kinds"] for k in rule["kinds"])
    return country and sector and kind


def rule_reason(rule: dict) -> str:
    parts = []
    if rule["destination_countries"]:
        parts.append("destination " + "|".join(rule["destination_countries"]))
    if rule["sectors"]:
        parts.append("sector " + "".join("?" if s == UNKNOWN else s for s in rule["sectors"]))
    if rule["kinds"]:
        parts.append("kind " + "|".join(rule["kinds"]))
    return ", ".join(parts) if parts else "every report"


def route(tags: dict, consent: dict, listing: dict) -> dict:
    """Section 11.2. Returns the route JSON."""
    validate_tags(tags)
    recipients, withheld, chosen = [], [], set()
    orgs = {}
    for org in listing["organisations"]:
        orgs.setdefault(org["id"], org)  # the first organisation with an id
    for rule in listing["rules"]:
        if not rule_matches(rule, tags):
            continue
        for org_id in rule["deliver_to"]:
            org = orgs.get(org_id)
            if org is None:
                raise WvError("directory_inconsistent", "rule names an unlisted organisation")
            if org_id in chosen:
                continue
            chosen.add(org_id)
            if consent_allows(consent, org["kind"]):
                recipients.append({"org_id": org_id.hex(), "kind": org["kind"],
                                   "rule_id": rule["id"], "reason": rule_reason(rule)})
            else:
                withheld.append({"org_id": org_id.hex(), "kind": org["kind"],
                                 "rule_id": rule["id"]})
        if rule["stop"]:
            break
    if not recipients:
        raise WvError("no_recipient", f"{len(withheld)} withheld")
    if len(recipients) > MAX_RECIPIENTS:
        raise WvError("too_many_recipients")
    return {"recipients": recipients, "withheld": withheld}


def revoked_keys(listing: dict, root: bytes) -> list:
    if listing["revocations"] is None:
        return []
    try:
        return verify_signed(listing["revocations"], REVOCATION_CONTEXT, root,
                             REVOCATION_LIST)["revoked"]
    except SignedFailure:
        raise WvError("directory_revocations_invalid") from None


def check_delivery(the_route: dict, sealed_to: list, listing: dict, root: bytes, now: int) -> list:
    """Section 11.3, the relay's check. Returns the left-out entries."""
    routed = [bytes.fromhex(r["org_id"]) for r in the_route["recipients"]]
    for org_id in sealed_to:
        if org_id not in routed:
            raise WvError("recipients_mismatch", "sealed to an organisation the route does not select")
    revoked = revoked_keys(listing, root)
    orgs = {}
    for org in listing["organisations"]:
        orgs.setdefault(org["id"], org)
    left_out = []
    for r in the_route["recipients"]:
        org_id = bytes.fromhex(r["org_id"])
        if org_id in sealed_to:
            continue
        reason = None
        for at in (now, max(now - MAX_CLOCK_SKEW_SECS, 0), now + MAX_CLOCK_SKEW_SECS):
            status = certificate_trust(orgs[org_id], root, at, revoked)["status"]
            if status != "certified":
                reason = status
                break
        if reason is None:
            raise WvError("recipients_mismatch", "a recipient with a trusted key is left out")
        left_out.append({"org_id": r["org_id"], "kind": r["kind"], "reason": reason})
    if not sealed_to:
        raise WvError("no_trusted_recipient")
    return left_out


# --------------------------------------------------------------------------------------------
# 12. Proof-of-work
# --------------------------------------------------------------------------------------------

POW_LABEL = b"workvoice/v1/pow\x00"


def pow_hash(submission_id: bytes, nonce: int) -> bytes:
    return sha256(POW_LABEL, submission_id, u64(nonce))


def leading_zero_bits(h: bytes) -> int:
    bits = 0
    for b in h:
        if b == 0:
            bits += 8
            continue
        return bits + 8 - b.bit_length()
    return bits


def verify_pow(submission_id: bytes, nonce: int, difficulty: int) -> bytes:
    if difficulty > MAX_POW_DIFFICULTY:
        raise WvError("pow_difficulty_too_high")
    h = pow_hash(submission_id, nonce)
    if leading_zero_bits(h) < difficulty:
        raise WvError("pow_insufficient")
    return h


def solve_pow(submission_id: bytes, difficulty: int) -> int:
    if difficulty > MAX_POW_DIFFICULTY:
        raise WvError("pow_difficulty_too_high")
    nonce = 0
    while leading_zero_bits(pow_hash(submission_id, nonce)) < difficulty:
        nonce += 1
    return nonce


# --------------------------------------------------------------------------------------------
# 13. Recovery codes and mailboxes
# --------------------------------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 28
RECOVERY_SALT = b"workvoice/v1/recovery"
MAILBOX_LABEL = b"workvoice/v1/mailbox\x00"


def recovery_to_text(secret: bytes) -> str:
    value = int.from_bytes(secret + sha256(secret)[:1], "big") << 4  # 140 bits
    symbols = [CROCKFORD[(value >> (5 * (CODE_CHARS - 1 - i))) & 31] for i in range(CODE_CHARS)]
    return "-".join("".join(symbols[i:i + 4]) for i in range(0, CODE_CHARS, 4))


def recovery_parse(text: str) -> bytes:
    values = []
    for c in text:
        if c == "-" or c in WHITE_SPACE:
            continue
        if "a" <= c <= "z":
            c = c.upper()
        c = {"O": "0", "I": "1", "L": "1"}.get(c, c)
        if c not in CROCKFORD:
            raise WvError("recovery_bad_character")
        values.append(CROCKFORD.index(c))
        if len(values) > CODE_CHARS:
            raise WvError("recovery_wrong_length")
    if len(values) != CODE_CHARS:
        raise WvError("recovery_wrong_length")
    value = 0
    for v in values:
        value = (value << 5) | v
    if value & 0xF:
        raise WvError("recovery_checksum")
    data = (value >> 4).to_bytes(17, "big")
    secret, check = data[:16], data[16]
    if check != sha256(secret)[0]:
        raise WvError("recovery_checksum")
    return secret


def report_secrets(secret: bytes, index: int) -> tuple[bytes, bytes, bytes]:
    """Section 13.2: (mailbox_token, reply_private_key, reply_public_key)."""
    prk = hkdf_extract(RECOVERY_SALT, secret)
    okm = hkdf_expand(prk, b"report" + u32(index), 64)
    sk, pk = derive_keypair(okm[32:])
    return okm[:32], sk, pk


WITHDRAWAL_LABEL = b"workvoice/v1/withdrawal\0"


def withdrawal_secret(secret: bytes, index: int) -> bytes:
    """Section 13.5: the report's withdrawal secret."""
    return hkdf_expand(hkdf_extract(RECOVERY_SALT, secret), b"withdraw" + u32(index), 32)


def withdrawal_hash(withdrawal: bytes) -> bytes:
    return sha256(WITHDRAWAL_LABEL, withdrawal)


def check_withdrawal(secret_hex: str, report_withdrawal_hash: Optional[bytes]) -> None:
    """Section 13.5, the desk's steps 2 and 3."""
    if report_withdrawal_hash is None:
        raise WvError("withdrawal_not_committed")
    try:
        secret = hex_decode(secret_hex, 32)
    except ValueError:
        raise WvError("withdrawal_unauthenticated") from None
    if not hmac.compare_digest(withdrawal_hash(secret), report_withdrawal_hash):
        raise WvError("withdrawal_unauthenticated")


def mailbox_token_hash(token: bytes) -> bytes:
    return sha256(MAILBOX_LABEL, token)


def mailbox_token_text(token: bytes) -> str:
    return b64url_nopad_encode(token)


def parse_mailbox_token(text: str) -> Optional[bytes]:
    if len(text) != 43:
        return None
    try:
        out = b64url_nopad_decode(text)
    except ValueError:
        return None
    return out if len(out) == 32 else None


# --------------------------------------------------------------------------------------------
# 4. The report
# --------------------------------------------------------------------------------------------

MAX_FREE_TEXT_CHARS = 20_000
MAX_NAME_CHARS = 200
MAX_FEES, MAX_LOANS, MAX_DEDUCTIONS, MAX_ATTACHMENTS = 50, 20, 50, 10
MAX_AMOUNT_MINOR = 10 ** 18

PAYEE_ROLE = T_ENUM(["sub_agent", "recruitment_agency", "broker", "employer", "government_official",
                     "medical_clinic", "training_centre", "other"])
RECRUITMENT_STAGE = T_ENUM(["origin", "transit", "destination"])
COST_CATEGORY = T_ENUM(["recruitment_service_fee", "medical", "insurance", "skills_test", "training",
                        "equipment", "travel", "lodging", "documentation", "other"])
LENDER_KIND = T_ENUM(["recruiter", "employer", "moneylender", "bank", "cooperative",
                      "family_or_friend", "other"])
COLLATERAL = T_ENUM(["none", "land_or_house", "identity_documents", "family_guarantor",
                     "gold_or_valuables", "other"])
DEDUCTION_REASON = T_ENUM(["recruitment_fee_repayment", "loan_repayment", "accommodation", "food",
                           "transport", "equipment", "fines", "other"])
INDICATOR = T_ENUM(["abuse_of_vulnerability", "deception", "restriction_of_movement", "isolation",
                    "physical_and_sexual_violence", "intimidation_and_threats",
                    "retention_of_identity_documents", "withholding_of_wages", "debt_bondage",
                    "abusive_working_and_living_conditions", "excessive_overtime"])
SECTOR = T_ENUM(list(SECTOR_LETTERS))

MONEY = T_STRUCT({"amount_minor": (T_U64, REQUIRED), "currency": (T_STR, REQUIRED)})
RECRUITMENT_FEE = T_STRUCT({
    "amount": (MONEY, REQUIRED),
    "paid_on": (T_STR, OPTIONAL),
    "payee": (PAYEE_ROLE, REQUIRED),
    "stage": (RECRUITMENT_STAGE, REQUIRED),
    "category": (COST_CATEGORY, REQUIRED),
    "receipt": (T_BOOL, OPTIONAL),
})
LOAN = T_STRUCT({
    "lender": (LENDER_KIND, REQUIRED),
    "principal": (MONEY, REQUIRED),
    "interest_bp_per_month": (T_U32, OPTIONAL),
    "collateral": (COLLATERAL, OPTIONAL),
})
WAGE_DEDUCTION = T_STRUCT({
    "amount": (MONEY, REQUIRED),
    "reason": (DEDUCTION_REASON, REQUIRED),
    "recurring_monthly": (T_BOOL, DEFAULT, False),
})
VISA_TYPE = T_ENUM(["work", "domestic_worker", "visit", "student", "no_visa", "other"])
JOB_TERMS = T_STRUCT({
    "title": (T_STR, OPTIONAL),
    "monthly_wage": (MONEY, OPTIONAL),
    "hours_per_week": (T_U16, OPTIONAL),
    "employer": (T_STR, OPTIONAL),
})
_EMPTY_TERMS = {"title": None, "monthly_wage": None, "hours_per_week": None, "employer": None}
JOB_COMPARISON = T_STRUCT({
    "promised": (JOB_TERMS, DEFAULT, lambda: dict(_EMPTY_TERMS)),
    "actual": (JOB_TERMS, DEFAULT, lambda: dict(_EMPTY_TERMS)),
    "written_contract": (T_BOOL, OPTIONAL),
    "contract_in_own_language": (T_BOOL, OPTIONAL),
    "contract_substituted": (T_BOOL, OPTIONAL),
    "visa_type": (VISA_TYPE, OPTIONAL),
})
NAMED_PARTY = T_STRUCT({
    "name": (T_STR, REQUIRED),
    "licence_number": (T_STR, OPTIONAL),
    "country": (T_STR, OPTIONAL),
})
ATTACHMENT_REF = T_STRUCT({
    "id": (T_HEX(16), REQUIRED),
    "media_type": (T_STR, REQUIRED),
    "size": (T_U64, REQUIRED),
    "sealed_size": (T_U64, REQUIRED),
    "sealed_sha256": (T_HEX(32), REQUIRED),
    "key": (T_HEX(32), REQUIRED),
})
REPORT = T_STRUCT({
    "schema": (T_U16, REQUIRED),
    "report_id": (T_HEX(16), REQUIRED),
    "language": (T_STR, REQUIRED),
    "written_on": (T_STR, OPTIONAL),
    "fees": (T_LIST(RECRUITMENT_FEE), DEFAULT, list),
    "loans": (T_LIST(LOAN), DEFAULT, list),
    "deductions": (T_LIST(WAGE_DEDUCTION), DEFAULT, list),
    "job": (JOB_COMPARISON, DEFAULT, lambda: JOB_COMPARISON({})),
    "indicators": (T_LIST(INDICATOR), DEFAULT, list),
    "recruiter": (NAMED_PARTY, OPTIONAL),
    "employer": (NAMED_PARTY, OPTIONAL),
    "origin_country": (T_STR, OPTIONAL),
    "destination_country": (T_STR, REQUIRED),
    "sector": (SECTOR, OPTIONAL),
    "monthly_wage": (MONEY, OPTIONAL),
    "free_text": (T_STR, DEFAULT, ""),
    "attachments": (T_LIST(ATTACHMENT_REF), DEFAULT, list),
    "consent": (CONSENT, REQUIRED),
    "reply_key": (T_HEX(32), REQUIRED),
    "withdrawal_hash": (T_HEX(32), OPTIONAL),
    # Added to schema 1 as an optional member (section 4.1): absent is the app; a channel newer
    # than this version reads as unknown and leaves the report valid.
    "channel": (T_ENUM(["app", "sms"]), OPTIONAL),
})


def is_valid_date(text: str, allow_month: bool) -> bool:
    b = text.encode("utf-8")

    def digits(lo, hi):
        s = b[lo:hi]
        if len(s) != hi - lo or not all(0x30 <= c <= 0x39 for c in s):
            return None
        return int(s)

    year, month = digits(0, 4), digits(5, 7)
    if year is None or month is None or b[4:5] != b"-" or not 1900 <= year <= 2200 \
            or not 1 <= month <= 12:
        return False
    if len(b) == 7:
        return allow_month
    if len(b) == 10:
        day = digits(8, 10)
        if day is None:
            return False
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        days = 29 if month == 2 and leap else 28 if month == 2 else \
            30 if month in (4, 6, 9, 11) else 31
        return b[7:8] == b"-" and 1 <= day <= days
    return False


def is_valid_language(tag: str) -> bool:
    parts = tag.split("-")
    alnum = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    primary = parts[0].encode("utf-8")
    return (2 <= len(primary) <= 3 and all(0x61 <= c <= 0x7A for c in primary)
            and len(tag.encode("utf-8")) <= 35
            and all(1 <= len(p.encode("utf-8")) <= 8 and all(c in alnum for c in p.encode("utf-8"))
                    for p in parts[1:]))


def validate_report(r: dict) -> list:
    """Section 4.4: every (path, code), in order."""
    p = []

    def money(path, m):
        if m["currency"] not in CURRENCIES:
            p.append((f"{path}.currency", "invalid_currency"))
        if m["amount_minor"] > MAX_AMOUNT_MINOR:
            p.append((f"{path}.amount_minor", "amount_too_large"))

    def text(path, value, limit, required):
        if required and is_blank(value):
            p.append((path, "required"))
        elif len(value) > limit:
            p.append((path, "too_long"))

    def known(path, value):
        if value == UNKNOWN:
            p.append((path, "unknown_value"))

    def count(path, items, limit):
        if len(items) > limit:
            p.append((path, "too_many"))

    if not is_valid_language(r["language"]):
        p.append(("language", "invalid_language"))
    if r["written_on"] is not None and not is_valid_date(r["written_on"], False):
        p.append(("written_on", "invalid_date"))
    count("fees", r["fees"], MAX_FEES)
    for i, fee in enumerate(r["fees"][:MAX_FEES]):
        f = f"fees[{i}]"
        money(f"{f}.amount", fee["amount"])
        if fee["paid_on"] is not None and not is_valid_date(fee["paid_on"], True):
            p.append((f"{f}.paid_on", "invalid_date"))
        known(f"{f}.payee", fee["payee"])
        known(f"{f}.stage", fee["stage"])
        known(f"{f}.category", fee["category"])
    count("loans", r["loans"], MAX_LOANS)
    for i, loan in enumerate(r["loans"][:MAX_LOANS]):
        f = f"loans[{i}]"
        money(f"{f}.principal", loan["principal"])
        known(f"{f}.lender", loan["lender"])
        if loan["collateral"] is not None:
            known(f"{f}.collateral", loan["collateral"])
    count("deductions", r["deductions"], MAX_DEDUCTIONS)
    for i, d in enumerate(r["deductions"][:MAX_DEDUCTIONS]):
        money(f"deductions[{i}].amount", d["amount"])
        known(f"deductions[{i}].reason", d["reason"])
    for name in ("promised", "actual"):
        terms = r["job"][name]
        if terms["title"] is not None:
            text(f"job.{name}.title", terms["title"], MAX_NAME_CHARS, False)
        if terms["monthly_wage"] is not None:
            money(f"job.{name}.monthly_wage", terms["monthly_wage"])
        if terms["employer"] is not None:
            text(f"job.{name}.employer", terms["employer"], MAX_NAME_CHARS, False)
    if r["job"]["visa_type"] is not None:
        known("job.visa_type", r["job"]["visa_type"])
    seen = set()
    for i, ind in enumerate(r["indicators"]):
        known(f"indicators[{i}]", ind)
        if ind in seen:
            p.append((f"indicators[{i}]", "duplicate"))
        seen.add(ind)
    for name in ("recruiter", "employer"):
        party = r[name]
        if party is None:
            continue
        text(f"{name}.name", party["name"], MAX_NAME_CHARS, True)
        if party["licence_number"] is not None:
            text(f"{name}.licence_number", party["licence_number"], MAX_NAME_CHARS, False)
        if party["country"] is not None and not is_country(party["country"]):
            p.append((f"{name}.country", "invalid_country"))
    if r["origin_country"] is not None and not is_country(r["origin_country"]):
        p.append(("origin_country", "invalid_country"))
    if not is_country(r["destination_country"]):
        p.append(("destination_country", "invalid_country"))
    if r["sector"] is not None:
        known("sector", r["sector"])
    if r["monthly_wage"] is not None:
        money("monthly_wage", r["monthly_wage"])
    text("free_text", r["free_text"], MAX_FREE_TEXT_CHARS, False)
    count("attachments", r["attachments"], MAX_ATTACHMENTS)
    ids = set()
    for i, a in enumerate(r["attachments"][:MAX_ATTACHMENTS]):
        if a["media_type"] not in ("image/jpeg", "image/png"):
            p.append((f"attachments[{i}].media_type", "invalid_media_type"))
        if a["id"] in ids:
            p.append((f"attachments[{i}].id", "duplicate"))
        ids.add(a["id"])
    c = r["consent"]
    if not (c["union"] or c["inspectorate"] or c["ngo"]):
        p.append(("consent", "no_recipient_consented"))
    return p


class ReportInvalid(WvError):
    def __init__(self, problems: list):
        super().__init__("report_invalid", ",".join(f"{f}={c}" for f, c in problems))
        self.problems = problems


def decode_report_unvalidated(data: bytes) -> dict:
    if len(data) > MAX_REPORT_BYTES:
        raise WvError("report_too_large")
    return decode_typed(json_parse(data, "report_malformed"), REPORT, "report_malformed")


def decode_report(data: bytes) -> dict:
    r = decode_report_unvalidated(data)
    problems = validate_report(r)
    if problems:
        raise ReportInvalid(problems)
    return r


def report_channel(r: dict) -> str:
    """Section 4.1: how the report reached the first hop that sealed it; absent is the app."""
    return r["channel"] if r["channel"] is not None else "app"


def report_routing_tags(r: dict) -> dict:
    """Section 4.5."""
    kinds = set()
    if r["fees"] or r["loans"]:
        kinds.add("recruitment_fees")
    if any(i != UNKNOWN for i in r["indicators"]):
        kinds.add("forced_labour")
    if r["deductions"] or "withholding_of_wages" in r["indicators"]:
        kinds.add("wage_theft")
    if r["job"]["contract_substituted"] is True:
        kinds.add("contract_substitution")
    if not kinds:
        kinds.add("other")
    return {"destination_country": r["destination_country"], "sector": r["sector"],
            "kinds": sorted(kinds, key=lambda k: k.encode())}
