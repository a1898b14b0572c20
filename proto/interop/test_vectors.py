"""Runs every file of proto/vectors/{valid,invalid,rfc9180} through the independent Python
implementation, plus cases PROTOCOL.md specifies that the vector files do not cover."""

import json
from pathlib import Path

import pytest

import workvoice_interop as wv

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def load(sub):
    files = sorted((VECTORS / sub).glob("*.json"))
    return [(f.stem, json.loads(f.read_text(encoding="utf-8"))) for f in files]


VALID = load("valid")
INVALID = load("invalid")
ALL = [("valid/" + n, v) for n, v in VALID] + [("invalid/" + n, v) for n, v in INVALID]


def vector(name):
    for sub in ("valid", "invalid"):
        path = VECTORS / sub / f"{name}.json"
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    raise FileNotFoundError(name)


def tags_consent(v):
    tags = wv.decode_typed(v["tags"], wv.ROUTING_TAGS, "vector")
    consent = wv.decode_typed(v["consent"], wv.CONSENT, "vector")
    return tags, consent


def evaluate(v):
    """What the vector's inputs give, in the vector's `expect` form (PROTOCOL.md 17.1)."""
    kind = v["kind"]
    try:
        if kind == "padding":
            return {"ok": {"padded_len": len(wv.pad(b"\xa5" * v["plain_len"]))}}
        if kind == "pow":
            h = wv.verify_pow(bytes.fromhex(v["submission_id"]), v["nonce"], v["difficulty"])
            return {"ok": {"hash": h.hex()}}
        if kind == "disclosure":
            tags, consent = tags_consent(v)
            return {"ok": {"bytes": wv.disclosure_bytes(tags, consent).hex(),
                           "sha256": wv.disclosure_digest(tags, consent).hex()}}
        if kind == "envelope":
            tags, consent = tags_consent(v)
            wv.validate_tags(tags)
            opened = wv.open_envelope(bytes.fromhex(v["envelope"]), bytes.fromhex(v["org_id"]),
                                      bytes.fromhex(v["private_key"]),
                                      wv.disclosure_digest(tags, consent))
            return {"ok": {"report_id": opened.report_id.hex(),
                           "recipients": [r.hex() for r in opened.recipients],
                           "plaintext": opened.plaintext.decode("utf-8", errors="replace")}}
        if kind == "reply":
            header, body = wv.open_reply(bytes.fromhex(v["sealed"]),
                                         bytes.fromhex(v["reply_private_key"]),
                                         bytes.fromhex(v["org_public_key"]))
            return {"ok": {"report_id": header.report_id.hex(), "org_id": header.org_id.hex(),
                           "body": wv.reply_body_to_json(body)}}
        if kind == "status":
            header, body = wv.open_status(bytes.fromhex(v["sealed"]),
                                          bytes.fromhex(v["reply_private_key"]),
                                          bytes.fromhex(v["org_public_key"]))
            return {"ok": {"report_id": header.report_id.hex(), "org_id": header.org_id.hex(),
                           "body": {"status": body["status"], "set_at": body["set_at"]}}}
        if kind == "directory":
            d = wv.verify_directory(v["directory"].encode("utf-8"),
                                    bytes.fromhex(v["root_public_key"]), v["now"], v["min_version"],
                                    v.get("min_revocation_serial", 0))
            return {"ok": {"version": d.listing["version"],
                           "revocation_serial": d.revocation_serial,
                           "trust": {k.hex(): t["status"] for k, t in d.trust.items()}}}
        if kind == "routing":
            listing = wv.decode_typed(v["listing"], wv.LISTING, "vector")
            tags, consent = tags_consent(v)
            return {"ok": wv.route(tags, consent, listing)}
        if kind == "delivery":
            root = bytes.fromhex(v["root_public_key"])
            d = wv.verify_directory(v["directory"].encode("utf-8"), root, v["now"], 0)
            tags, consent = tags_consent(v)
            the_route = wv.route(tags, consent, d.listing)
            sealed_to = [bytes.fromhex(i) for i in v["sealed_to"]]
            return {"ok": {"left_out": wv.check_delivery(the_route, sealed_to, d.listing, root,
                                                         v["now"])}}
        if kind == "recovery":
            secret = wv.recovery_parse(v["code"])
            token, _, pk = wv.report_secrets(secret, v["index"])
            withdrawal = wv.withdrawal_secret(secret, v["index"])
            return {"ok": {"mailbox_token": token.hex(),
                           "mailbox_token_hash": wv.mailbox_token_hash(token).hex(),
                           "reply_public_key": pk.hex(),
                           "withdrawal_secret": withdrawal.hex(),
                           "withdrawal_hash": wv.withdrawal_hash(withdrawal).hex()}}
        if kind == "attachment":
            plain = wv.open_attachment(bytes.fromhex(v["sealed"]), bytes.fromhex(v["report_id"]),
                                       v["entry"])
            return {"ok": {"sha256": wv.sha256(plain).hex(), "size": len(plain)}}
        if kind == "submission_body":
            request = wv.decode_submission_binary(bytes.fromhex(v["body"]))
            return {"ok": {"request_hash": wv.submission_request_hash(request).hex(),
                           "request": request}}
        if kind == "report":
            r = wv.decode_report(v["json"].encode("utf-8"))
            return {"ok": {"report_id": r["report_id"].hex(),
                           "tags": wv.tags_to_json(wv.report_routing_tags(r)),
                           "channel": wv.report_channel(r)}}
    except wv.ReportInvalid as e:
        return {"error": "report_invalid:" + ",".join(f"{f}={c}" for f, c in e.problems)}
    except wv.WvError as e:
        return {"error": e.code}
    raise AssertionError(f"vector kind {kind!r} is not implemented")


def test_the_vector_directories_are_populated():
    assert len(VALID) >= 15 and len(INVALID) >= 20, (len(VALID), len(INVALID))
    kinds = {v["kind"] for _, v in VALID + INVALID}
    assert kinds == {"padding", "pow", "disclosure", "envelope", "reply", "status", "directory",
                     "routing", "delivery", "recovery", "report", "attachment",
                     "submission_body"}, kinds


def test_binary_submission_bodies_encode_back_byte_for_byte():
    bodies = [(n, v) for n, v in VALID if v["kind"] == "submission_body"]
    assert len(bodies) == 2, bodies
    for name, v in bodies:
        request = v["expect"]["ok"]["request"]
        assert wv.encode_submission_binary(request).hex() == v["body"], name


@pytest.mark.parametrize("name,v", ALL, ids=[n for n, _ in ALL])
def test_vector(name, v):
    expect = v["expect"]
    if name.startswith("valid/"):
        assert "ok" in expect, f"{name} is under valid/ but expects an error"
    else:
        assert "error" in expect, f"{name} is under invalid/ but expects success"
    assert evaluate(v) == expect


# ---------------------------------------------------------------------------------------------
# RFC 9180 and the primitives built here
# ---------------------------------------------------------------------------------------------

RFC = json.loads((VECTORS / "rfc9180" / "base-x25519-sha256-chacha20poly1305.json").read_text())


def test_rfc9180_suite_and_key_derivation():
    assert (RFC["mode"], RFC["kem_id"], RFC["kdf_id"], RFC["aead_id"]) == (0, 0x20, 1, 3)
    for ikm, sk, pk in (("ikmE", "skEm", "pkEm"), ("ikmR", "skRm", "pkRm")):
        got_sk, got_pk = wv.derive_keypair(bytes.fromhex(RFC[ikm]))
        assert (got_sk.hex(), got_pk.hex()) == (RFC[sk], RFC[pk])


def test_rfc9180_encap_key_schedule_and_every_encryption():
    pk_r = bytes.fromhex(RFC["pkRm"])
    shared, enc = wv.hpke_encap(pk_r, bytes.fromhex(RFC["ikmE"]))
    assert enc.hex() == RFC["enc"]
    assert shared.hex() == RFC["shared_secret"]
    assert wv.hpke_decap(enc, bytes.fromhex(RFC["skRm"])) == shared
    key, base_nonce = wv.key_schedule(wv.MODE_BASE, shared, bytes.fromhex(RFC["info"]))
    assert (key.hex(), base_nonce.hex()) == (RFC["key"], RFC["base_nonce"])
    assert len(RFC["encryptions"]) >= 2
    aead = wv.ChaCha20Poly1305(key)
    for e in RFC["encryptions"]:
        seq = e["sequence_number"]
        nonce = (int.from_bytes(base_nonce, "big") ^ seq).to_bytes(12, "big")
        ct = aead.encrypt(nonce, bytes.fromhex(e["pt"]), bytes.fromhex(e["aad"]))
        assert ct.hex() == e["ct"], seq
        assert aead.decrypt(nonce, ct, bytes.fromhex(e["aad"])).hex() == e["pt"]
    first = RFC["encryptions"][0]
    assert first["sequence_number"] == 0
    enc2, ct = wv.hpke_seal(pk_r, bytes.fromhex(RFC["info"]), bytes.fromhex(first["aad"]),
                            bytes.fromhex(first["pt"]), bytes.fromhex(RFC["ikmE"]))
    assert (enc2.hex(), ct.hex()) == (RFC["enc"], first["ct"])


def test_hpke_auth_mode_round_trip_and_sender_binding():
    sk_r, pk_r = wv.derive_keypair(b"r" * 32)
    sk_s, pk_s = wv.derive_keypair(b"s" * 32)
    _, pk_other = wv.derive_keypair(b"o" * 32)
    enc, ct = wv.hpke_seal(pk_r, b"info", b"aad", b"secret", b"e" * 32, sk_s=sk_s)
    assert wv.hpke_open(enc, sk_r, b"info", b"aad", ct, pk_s=pk_s) == b"secret"
    for args in ((pk_other, b"info", b"aad"), (pk_s, b"other", b"aad"), (pk_s, b"info", b"x")):
        with pytest.raises(ValueError):
            wv.hpke_open(enc, sk_r, args[1], args[2], ct, pk_s=args[0])
    with pytest.raises(ValueError):  # a base-mode open of an auth-mode message
        wv.hpke_open(enc, sk_r, b"info", b"aad", ct)


def test_low_order_peer_keys_are_refused():
    with pytest.raises(ValueError):
        wv.x25519(b"\x01" * 32, bytes(32))


def test_hchacha20_matches_draft_irtf_cfrg_xchacha_section_2_2_1():
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    assert wv.hchacha20(key, nonce).hex() == (
        "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")


def test_xchacha20_poly1305_round_trip_and_tamper():
    key, nonce = bytes(range(32)), bytes(range(24))
    ct = wv.xchacha_encrypt(key, nonce, b"payload", b"aad")
    assert wv.xchacha_decrypt(key, nonce, ct, b"aad") == b"payload"
    for k, n, c, a in ((key, nonce, ct, b"aaD"), (key, bytes(24), ct, b"aad"),
                       (key, nonce, ct[:-1] + bytes([ct[-1] ^ 1]), b"aad")):
        with pytest.raises(ValueError):
            wv.xchacha_decrypt(k, n, c, a)


# ---------------------------------------------------------------------------------------------
# Section 17.5: the fixture and the vectors' bytes from the same deterministic draws
# ---------------------------------------------------------------------------------------------

def fixture():
    rng = wv.DeterministicRng("workvoice fixture")
    f = {"root_seed": rng.bytes(32), "relay_seed": rng.bytes(32)}
    for org in ("union", "inspectorate", "ngo"):
        f[org + "_id"] = rng.bytes(16)
        f[org + "_key"] = wv.derive_keypair(rng.bytes(32))[0]
    return f


def test_the_fixture_world_is_reproduced_from_its_seed():
    f = fixture()
    assert wv.ed25519_public(f["root_seed"]).hex() == vector("directory-valid")["root_public_key"]
    union = vector("envelope-union")
    assert f["union_id"].hex() == union["org_id"]
    assert wv.x25519_clamp(f["union_key"]).hex() == union["private_key"]
    inspectorate = vector("envelope-inspectorate")
    assert (f["inspectorate_id"].hex(), wv.x25519_clamp(f["inspectorate_key"]).hex()) == (
        inspectorate["org_id"], inspectorate["private_key"])
    ngo = vector("envelope-not-a-recipient")
    assert (f["ngo_id"].hex(), wv.x25519_clamp(f["ngo_key"]).hex()) == (
        ngo["org_id"], ngo["private_key"])


def test_python_seal_reproduces_the_committed_envelope_and_reply_byte_for_byte():
    f = fixture()
    union = vector("envelope-union")
    rng = wv.DeterministicRng("workvoice vectors")
    report_id = rng.bytes(16)
    assert report_id.hex() == union["expect"]["ok"]["report_id"]
    tags, consent = tags_consent(union)
    recipients = [(f["union_id"], wv.x25519_public(f["union_key"])),
                  (f["inspectorate_id"], wv.x25519_public(f["inspectorate_key"]))]
    plaintext = union["expect"]["ok"]["plaintext"].encode("utf-8")
    sealed = wv.seal_envelope(plaintext, report_id, recipients,
                              wv.disclosure_digest(tags, consent), rng)
    assert sealed.hex() == union["envelope"]
    # The vectors then seal "{}" once more (the swapped-header case), then the reply.
    wv.seal_envelope(b"{}", report_id, recipients, wv.disclosure_digest(tags, consent), rng)
    reply = vector("reply-from-union")
    secret = wv.recovery_parse(vector("recovery-report-0")["code"])
    _, reply_sk, reply_pk = wv.report_secrets(secret, 0)
    assert wv.x25519_clamp(reply_sk).hex() == reply["reply_private_key"]
    sealed_reply = wv.seal_reply(reply["expect"]["ok"]["body"], report_id, f["union_id"],
                                 f["union_key"], reply_pk, rng)
    assert sealed_reply.hex() == reply["sealed"]


def test_python_seal_reproduces_the_committed_status_and_refuses_the_forgery():
    f = fixture()
    status = vector("status-from-union")
    rng = wv.DeterministicRng("workvoice status vectors")
    secret = wv.recovery_parse(vector("recovery-report-0")["code"])
    _, reply_sk, reply_pk = wv.report_secrets(secret, 0)
    report_id = bytes.fromhex(status["expect"]["ok"]["report_id"])
    sealed = wv.seal_status(status["expect"]["ok"]["body"], report_id, f["union_id"],
                            f["union_key"], reply_pk, rng)
    assert sealed.hex() == status["sealed"]
    # A status in the union's name sealed with any other key does not open as the union's.
    forged = wv.seal_status({"status": "closed", "set_at": 1}, report_id, f["union_id"],
                            bytes(range(32)), reply_pk, rng)
    with pytest.raises(wv.WvError) as e:
        wv.open_status(forged, reply_sk, wv.x25519_public(f["union_key"]))
    assert e.value.code == "status_unauthenticated"
    with pytest.raises(wv.WvError) as e:
        wv.seal_status({"status": "unknown", "set_at": 1}, report_id, f["union_id"],
                       f["union_key"], reply_pk, rng)
    assert e.value.code == "status_invalid"


def test_withdrawal_checks_of_the_desk():
    v = vector("recovery-report-0")["expect"]["ok"]
    committed = bytes.fromhex(v["withdrawal_hash"])
    wv.check_withdrawal(v["withdrawal_secret"], committed)
    for secret, hash_, code in [(v["withdrawal_secret"], None, "withdrawal_not_committed"),
                                ("00" * 32, committed, "withdrawal_unauthenticated"),
                                ("not hex", committed, "withdrawal_unauthenticated")]:
        with pytest.raises(wv.WvError) as e:
            wv.check_withdrawal(secret, hash_)
        assert e.value.code == code


def test_recovery_code_text_form():
    assert wv.recovery_to_text(b"\x42" * 16) == vector("recovery-report-0")["code"]
    assert wv.recovery_to_text(b"\x42" * 16) == "8914-4GJ2-8914-4GJ2-8914-4GJ2-8A80"
    for secret in (bytes(16), b"\xff" * 16, bytes(range(16))):
        text = wv.recovery_to_text(secret)
        assert len(text) == 34 and text.count("-") == 6
        assert wv.recovery_parse(text) == secret
        assert wv.recovery_parse(" " + text.lower().replace("0", "o").replace("1", "l")) == secret
    code = wv.recovery_to_text(bytes(range(16)))
    assert wv.recovery_parse(code.replace("-", "\u3000")) == bytes(range(16))
    with pytest.raises(wv.WvError) as e:
        wv.recovery_parse(code[:-1] + "U")
    assert e.value.code == "recovery_bad_character"
    with pytest.raises(wv.WvError) as e:
        wv.recovery_parse(code + "00U")  # too long is reported before the bad character
    assert e.value.code == "recovery_wrong_length"


def test_mailbox_token_url_form():
    token = bytes(range(32))
    text = wv.mailbox_token_text(token)
    assert len(text) == 43 and "=" not in text
    assert wv.parse_mailbox_token(text) == token
    assert wv.parse_mailbox_token(text + "=") is None
    assert wv.parse_mailbox_token(text[:-1] + "B") is None  # non-zero unused bits
    assert wv.parse_mailbox_token("short") is None


# ---------------------------------------------------------------------------------------------
# Round trips and failures the vector files do not cover
# ---------------------------------------------------------------------------------------------

def test_padme_worked_numbers_of_the_specification():
    table = {0: 256, 252: 256, 253: 272, 1000: 1024, 1021: 1088, 4096: 4352, 65536: 67584,
             1048576: 1081344}
    for n, padded in table.items():
        assert wv.padded_len(n) == padded, n
    for n in (0, 1, 252, 253, 1000):
        assert wv.unpad(wv.pad(b"x" * n)) == b"x" * n
    with pytest.raises(ValueError, match="length"):
        wv.unpad(bytes(300))
    with pytest.raises(ValueError, match="prefix"):
        wv.unpad(wv.u32(300) + bytes(252))
    with pytest.raises(ValueError, match="prefix"):  # padded more than necessary
        wv.unpad(wv.u32(1) + b"x" + bytes(267))
    with pytest.raises(ValueError, match="non-zero"):
        wv.unpad(wv.pad(b"abc")[:-1] + b"\x01")


def make_world():
    rng = wv.DeterministicRng("python world")
    orgs = [(rng.bytes(16), wv.derive_keypair(rng.bytes(32))) for _ in range(3)]
    return rng, orgs


def test_envelope_round_trip_and_ordered_failures():
    rng, orgs = make_world()
    rid = rng.bytes(16)
    digest = bytes(32)
    sealed = wv.seal_envelope(b"report", rid, [(o, kp[1]) for o, kp in orgs[:2]], digest, rng)
    assert len(sealed) == 82 + 96 * 2 + 256 + 16
    for org_id, (sk, _) in orgs[:2]:
        opened = wv.open_envelope(sealed, org_id, sk, digest)
        assert opened.plaintext == b"report" and opened.report_id == rid

    def code(data, org=orgs[0][0], sk=orgs[0][1][0], d=digest):
        with pytest.raises(wv.WvError) as e:
            wv.open_envelope(data, org, sk, d)
        return e.value.code

    assert code(sealed[:3]) == "envelope_truncated"
    assert code(b"WVEX" + sealed[4:]) == "envelope_bad_magic"
    assert code(sealed[:53] + b"\x00" + sealed[54:]) == "envelope_recipient_count"
    assert code(sealed[:53] + b"\x11" + sealed[54:]) == "envelope_recipient_count"
    dup = sealed[:54 + 96] + sealed[54:70] + sealed[54 + 96 + 16:]
    assert code(dup) == "envelope_duplicate_recipient"
    assert code(sealed + b"\x00") == "envelope_length_mismatch"
    huge = sealed[:78 + 192] + wv.u32(wv.MAX_CIPHERTEXT_LEN + 1) + sealed[82 + 192:]
    assert code(huge) == "envelope_too_large"
    assert code(sealed, org=orgs[2][0], sk=orgs[2][1][0]) == "envelope_not_a_recipient"
    assert code(sealed, sk=orgs[2][1][0]) == "envelope_key_unseal_failed"
    assert code(sealed, d=b"\x01" * 32) == "envelope_decrypt_failed"
    # A sender who gives one recipient a content key that does not match the commitment.
    prefix = sealed[:54]
    aad = prefix + orgs[0][0] + orgs[1][0]
    enc, bad = wv.hpke_seal(orgs[0][1][1], wv.CONTENT_KEY_INFO + rid + orgs[0][0], aad,
                            b"\x07" * 32, rng.bytes(32))
    forged = prefix + orgs[0][0] + enc + bad + sealed[54 + 96:]
    assert code(forged) == "envelope_commitment_mismatch"
    with pytest.raises(wv.WvError) as e:
        wv.seal_envelope(b"x", rid, [(orgs[0][0], bytes(32))], digest, rng)
    assert e.value.code == "envelope_invalid_recipient_key"


def test_reply_round_trip_and_ordered_failures():
    rng, orgs = make_world()
    org_id, (org_sk, org_pk) = orgs[0]
    reply_sk, reply_pk = wv.derive_keypair(rng.bytes(32))
    rid = rng.bytes(16)
    body = {"text": "नमस्ते", "language": "ne"}
    sealed = wv.seal_reply(body, rid, org_id, org_sk, reply_pk, rng)
    header, opened = wv.open_reply(sealed, reply_sk, org_pk)
    assert (header.report_id, header.org_id, opened["text"], opened["written_on"]) == (
        rid, org_id, "नमस्ते", None)

    def code(data, pk=org_pk):
        with pytest.raises(wv.WvError) as e:
            wv.open_reply(data, reply_sk, pk)
        return e.value.code

    assert code(sealed[:2]) == "reply_truncated"
    assert code(b"WVRX" + sealed[4:]) == "reply_bad_magic"
    assert code(sealed[:4] + b"\x02" + sealed[5:]) == "reply_unsupported_version"
    assert code(sealed[:60]) == "reply_truncated"
    assert code(sealed + b"\x00") == "reply_length_mismatch"
    assert code(sealed + bytes(wv.MAX_SEALED_REPLY_LEN)) == "reply_too_large"
    assert code(sealed, pk=orgs[1][1][1]) == "reply_unauthenticated"
    msg = bytearray(sealed)
    msg[40] ^= 1  # message id
    assert code(bytes(msg)) == "reply_unauthenticated"
    for bad in ({"text": " \u3000 ", "language": "en"}, {"text": "x" * 4001, "language": "en"}):
        with pytest.raises(wv.WvError) as e:
            wv.seal_reply(bad, rid, org_id, org_sk, reply_pk, rng)
        assert e.value.code == "reply_invalid_text"
    with pytest.raises(wv.WvError) as e:
        wv.seal_reply({"text": "x", "language": "e" * 70_000}, rid, org_id, org_sk, reply_pk, rng)
    assert e.value.code == "reply_too_large"


def test_attachment_round_trip_and_ordered_failures():
    rng = wv.DeterministicRng("python attachment")
    rid = rng.bytes(16)
    photo = bytes(range(256)) * 600          # 153 600 bytes: three segments
    entry, sealed = wv.seal_attachment(photo, "image/jpeg", rid, rng)
    assert sealed[4] == 2
    assert len(sealed) == 56 + wv.padded_len(len(photo)) + 3 * 16 == entry["sealed_size"]
    assert wv.open_attachment(sealed, rid, entry) == photo

    def code(data, report_id=rid, **changes):
        with pytest.raises(wv.WvError) as e:
            wv.open_attachment(data, report_id, {**entry, **changes})
        return e.value.code

    def rehashed(data, **changes):
        return code(data, sealed_size=len(data), sealed_sha256=wv.sha256(data).hex(), **changes)

    assert code(sealed[:-1]) == "attachment_mismatch"
    assert code(sealed, report_id=bytes(16)) == "attachment_mismatch"
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    assert rehashed(flipped) == "attachment_decrypt_failed"
    assert code(sealed, size=1) == "attachment_mismatch"
    assert rehashed(b"WVAT") == "attachment_malformed"
    assert rehashed(sealed[:40]) == "attachment_malformed"
    assert rehashed(sealed[:4] + b"\x03" + sealed[5:]) == "attachment_mismatch"
    # Segments swapped, or the last one dropped (the entry says how many there are).
    seg = 65536 + 16
    body = sealed[56:]
    swapped = sealed[:56] + body[seg:2 * seg] + body[:seg] + body[2 * seg:]
    assert rehashed(swapped) == "attachment_decrypt_failed"
    assert rehashed(sealed[:56 + 2 * seg]) == "attachment_mismatch"
    # A frame whose trailing length lies, sealed properly: malformed.
    key = bytes.fromhex(entry["key"])
    prefix = sealed[37:56]
    frame = bytearray(wv.attachment_frame(photo))
    frame[-1] ^= 1
    lying = sealed[:56] + b"".join(
        wv.xchacha_encrypt(key, wv.stream_nonce(prefix, i, i == 2),
                           bytes(frame[i * 65536:(i + 1) * 65536]), sealed[:56])
        for i in range(3))
    assert rehashed(lying) == "attachment_malformed"
    with pytest.raises(wv.WvError) as e:
        wv.seal_attachment(bytes(wv.MAX_ATTACHMENT_BYTES + 1), "image/png", rid, rng)
    assert e.value.code == "attachment_too_large"


def test_version_1_attachments_still_open():
    rng = wv.DeterministicRng("python attachment v1")
    rid = rng.bytes(16)
    photo = bytes(range(256)) * 20
    entry, sealed = wv.seal_attachment_v1(photo, "image/jpeg", rid, rng)
    assert sealed[4] == 1
    assert len(sealed) == 61 + wv.padded_len(len(photo)) + 16 == entry["sealed_size"]
    assert wv.open_attachment(sealed, rid, entry) == photo
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(wv.WvError) as e:
        wv.open_attachment(flipped, rid, {**entry, "sealed_sha256": wv.sha256(flipped).hex()})
    assert e.value.code == "attachment_decrypt_failed"


def test_pow_solve_and_verify():
    sid = b"\x07" * 16
    assert wv.solve_pow(sid, 12) == vector("pow-solved")["nonce"]
    assert wv.leading_zero_bits(b"\x00\x0f") == 12
    assert wv.leading_zero_bits(bytes(4)) == 32


# Directory cases beyond the files: the Python side signs listings with the fixture's relay key.

def fixture_listing():
    v = vector("directory-valid")
    served = json.loads(v["directory"])
    listing = json.loads(wv.b64_decode(served["listing"]["body"]))
    return v, served, listing


def publish(served, listing, seed):
    out = dict(served)
    out["listing"] = wv.sign_structure(listing, wv.LISTING_CONTEXT, seed)
    return json.dumps(out).encode()


def directory_code(served_bytes, v, now=None, min_version=0):
    with pytest.raises(wv.WvError) as e:
        wv.verify_directory(served_bytes, bytes.fromhex(v["root_public_key"]),
                            v["now"] if now is None else now, min_version)
    return e.value.code


def test_python_signed_listing_verifies_and_every_check_has_its_code():
    f = fixture()
    v, served, listing = fixture_listing()
    root = bytes.fromhex(v["root_public_key"])
    d = wv.verify_directory(publish(served, listing, f["relay_seed"]), root, v["now"], 5)
    assert [t["status"] for t in d.trust.values()] == ["certified"] * 3
    assert d.certified_key(f["union_id"]) == wv.x25519_public(f["union_key"])

    assert directory_code(b"{", v) == "directory_malformed"
    assert directory_code(b" " * (wv.MAX_DIRECTORY_BYTES + 1), v) == "directory_too_large"
    assert directory_code(publish(served, listing, f["relay_seed"]), v, now=0) == \
        "directory_relay_certificate_expired"
    assert directory_code(publish(served, listing, f["root_seed"]), v) == "directory_bad_signature"
    for change, expected in (({"format": 2}, "directory_unsupported_format"),
                             ({"pow_difficulty": 33}, "directory_inconsistent"),
                             ({"issued_at": v["now"] + 601}, "directory_not_yet_valid"),
                             ({"version": 4}, "directory_rollback"),
                             ({"revocations": {"body": "e30=", "signature": "AA=="}},
                              "directory_revocations_invalid"),
                             ({"pow_difficulty": "8"}, "directory_malformed")):
        bad = publish(served, {**listing, **change}, f["relay_seed"])
        assert directory_code(bad, v, min_version=5) == expected, change
    ok_skew = publish(served, {**listing, "issued_at": v["now"] + 600}, f["relay_seed"])
    assert wv.verify_directory(ok_skew, root, v["now"], 5).listing["version"] == 5
    twice = {**listing, "organisations": listing["organisations"] + listing["organisations"][:1]}
    assert directory_code(publish(served, twice, f["relay_seed"]), v) == "directory_inconsistent"
    bad_rule = {**listing, "rules": [{"id": "x", "deliver_to": ["00" * 16]}]}
    assert directory_code(publish(served, bad_rule, f["relay_seed"]), v) == "directory_inconsistent"
    # A certificate not yet valid, signed by the root.
    cert = json.loads(wv.b64_decode(listing["organisations"][0]["certificate"]["body"]))
    future = wv.sign_structure({**cert, "valid_from": v["now"] + 1}, wv.ORG_CERT_CONTEXT,
                               f["root_seed"])
    orgs = [{**listing["organisations"][0], "certificate": future}] + listing["organisations"][1:]
    d = wv.verify_directory(publish(served, {**listing, "organisations": orgs}, f["relay_seed"]),
                            root, v["now"], 0)
    assert d.trust[f["union_id"]]["status"] == "certificate_not_yet_valid"
    with pytest.raises(wv.WvError) as e:
        d.certified_key(f["union_id"])
    assert e.value.code == "certificate_not_yet_valid"


def test_signed_bodies_are_not_reserialised_and_base64_is_canonical():
    f = fixture()
    v, served, listing = fixture_listing()
    # Whitespace inside the signed bytes is fine: the verifier never re-serialises.
    body = json.dumps(listing, indent=2).encode()
    spaced = dict(served)
    spaced["listing"] = {"body": wv.b64_encode(body), "signature": wv.b64_encode(
        wv.ed25519_sign(f["relay_seed"], wv.LISTING_CONTEXT, body))}
    root = bytes.fromhex(v["root_public_key"])
    assert wv.verify_directory(json.dumps(spaced).encode(), root, v["now"], 0).listing["version"] == 5
    unpadded = dict(spaced)
    unpadded["listing"] = {**spaced["listing"], "signature": spaced["listing"]["signature"].rstrip("=")}
    assert directory_code(json.dumps(unpadded).encode(), v) == "directory_bad_signature"
    with pytest.raises(ValueError):
        wv.b64_decode("QR==")  # non-zero unused bits


def test_routing_rules_stop_order_and_reasons():
    v, _, listing_json = fixture_listing()
    listing = wv.decode_typed(listing_json, wv.LISTING, "test")
    union, insp, ngo = (o["id"] for o in listing["organisations"])
    tags = {"destination_country": "QA", "sector": "F", "kinds": ["forced_labour"]}
    everyone = {"union": True, "inspectorate": True, "ngo": True, "contact_wanted": False}
    r = wv.route(tags, everyone, listing)
    assert [x["org_id"] for x in r["recipients"]] == [union.hex(), insp.hex(), ngo.hex()]
    assert r["recipients"][2]["reason"] == "kind forced_labour"
    stop_first = {**listing, "rules": [{**listing["rules"][1], "stop": True}] + listing["rules"]}
    r = wv.route(tags, everyone, stop_first)
    assert [x["rule_id"] for x in r["recipients"]] == ["qa-all"]
    assert r["recipients"][0]["reason"] == "destination QA"
    anything = {**listing, "rules": [{"id": "all", "destination_countries": [], "sectors": ["?", "F"],
                                      "kinds": [], "deliver_to": [ngo], "stop": False}]}
    assert wv.route(tags, everyone, anything)["recipients"][0]["reason"] == "sector ?F"
    anything["rules"][0]["sectors"] = []
    assert wv.route(tags, everyone, anything)["recipients"][0]["reason"] == "every report"
    for bad, code in (({"destination_country": "qa"}, "invalid_country"),
                      ({"sector": wv.UNKNOWN}, "unknown_sector"),
                      ({"kinds": []}, "invalid_kind_count"),
                      ({"kinds": [f"k{i}" for i in range(9)]}, "invalid_kind_count"),
                      ({"kinds": ["Forced"]}, "invalid_kind"),
                      ({"kinds": ["x" * 33]}, "invalid_kind")):
        with pytest.raises(wv.WvError) as e:
            wv.route({**tags, **bad}, everyone, listing)
        assert e.value.code == code, bad
    nobody = {"union": False, "inspectorate": False, "ngo": False, "contact_wanted": True}
    with pytest.raises(wv.WvError) as e:
        wv.route(tags, nobody, listing)
    assert e.value.code == "no_recipient"
    many = {**listing, "organisations": [{**listing["organisations"][0], "id": bytes([i]) * 16}
                                         for i in range(17)],
            "rules": [{"id": "all", "destination_countries": [], "sectors": [], "kinds": [],
                       "deliver_to": [bytes([i]) * 16 for i in range(17)], "stop": False}]}
    with pytest.raises(wv.WvError) as e:
        wv.route(tags, everyone, many)
    assert e.value.code == "too_many_recipients"


def test_tags_are_a_set_and_unknown_sector_letters_read_as_unknown():
    tags = wv.decode_typed({"destination_country": "QA", "sector": "f",
                            "kinds": ["wage_theft", "other", "wage_theft"]}, wv.ROUTING_TAGS, "t")
    assert tags["kinds"] == ["other", "wage_theft"] and tags["sector"] == wv.UNKNOWN


REPORT_JSON = vector("report-valid")["json"]


def report_code(doc):
    data = doc if isinstance(doc, bytes) else json.dumps(doc, ensure_ascii=False).encode()
    with pytest.raises(wv.WvError) as e:
        wv.decode_report(data)
    if isinstance(e.value, wv.ReportInvalid):
        return ",".join(f"{f}={c}" for f, c in e.value.problems)
    return e.value.code


def edited(**changes):
    doc = json.loads(REPORT_JSON)
    for path, value in changes.items():
        target, keys = doc, path.split("__")
        for k in keys[:-1]:
            target = target[int(k)] if isinstance(target, list) else target[k]
        last = keys[-1]
        if isinstance(target, list):
            target[int(last)] = value
        elif value is KeyError:
            del target[last]
        else:
            target[last] = value
    return doc


def test_report_validation_rules_in_order():
    fee = json.loads(REPORT_JSON)["fees"][0]
    cases = [
        (edited(language="Nepali"), "language=invalid_language"),
        (edited(language="zh-Hant"), None),
        (edited(written_on="2026-13-01"), "written_on=invalid_date"),
        (edited(written_on="2024-02-29"), None),
        (edited(written_on="2026-02"), "written_on=invalid_date"),
        (edited(fees__0__paid_on="March"), "fees[0].paid_on=invalid_date"),
        (edited(fees__0__amount__amount_minor=10 ** 18 + 1), "fees[0].amount.amount_minor=amount_too_large"),
        (edited(fees=[fee] * 51), "fees=too_many"),
        (edited(indicators=["deception", "deception", "new_one"]),
         "indicators[1]=duplicate,indicators[2]=unknown_value"),
        (edited(recruiter__name=" \u00a0"), "recruiter.name=required"),
        (edited(employer__name="x" * 201), "employer.name=too_long"),
        (edited(employer__country="UK"), "employer.country=invalid_country"),
        (edited(origin_country="np"), "origin_country=invalid_country"),
        (edited(sector="Z"), "sector=unknown_value"),
        (edited(monthly_wage__currency="usd"), "monthly_wage.currency=invalid_currency"),
        (edited(free_text="अ" * 20_001), "free_text=too_long"),
        (edited(free_text="अ" * 20_000), None),
        (edited(job__actual__title="t" * 300), "job.actual.title=too_long"),
        (edited(consent__union=False, consent__inspectorate=False), "consent=no_recipient_consented"),
        (edited(loans=[{"lender": "bank", "principal": {"amount_minor": 1, "currency": "NPR"},
                        "collateral": "kidney"}]), "loans[0].collateral=unknown_value"),
        (edited(deductions=[{"amount": {"amount_minor": 1, "currency": "XXX"}, "reason": "food"}]),
         "deductions[0].amount.currency=invalid_currency"),
        (edited(attachments=[{"id": "00" * 16, "media_type": "image/gif", "size": 1,
                              "sealed_size": 2, "sealed_sha256": "00" * 32, "key": "00" * 32}] * 2),
         "attachments[0].media_type=invalid_media_type,attachments[1].media_type=invalid_media_type,"
         "attachments[1].id=duplicate"),
    ]
    for doc, expected in cases:
        if expected is None:
            wv.decode_report(json.dumps(doc).encode())
        else:
            assert report_code(doc) == expected, expected


def test_report_decoding_rules_of_section_1_3():
    assert report_code(b"{}") == "report_malformed"
    assert report_code(b" " * (wv.MAX_REPORT_BYTES + 1)) == "report_too_large"
    assert report_code(edited(fees__0__amount__amount_minor=1.0)) == "report_malformed"
    assert report_code(edited(schema=70_000)) == "report_malformed"
    assert report_code(REPORT_JSON.replace('"schema":1', '"schema":-0').encode()) == "report_malformed"
    assert report_code(edited(schema=-1)) == "report_malformed"
    assert report_code(edited(fees=None)) == "report_malformed"  # defaulted: null is an error
    assert report_code(edited(consent__ngo=True, fees__0__receipt=1)) == "report_malformed"
    assert report_code(edited(report_id="ab")) == "report_malformed"
    assert report_code(edited(reply_key=KeyError)) == "report_malformed"
    assert report_code(b"\xef\xbb\xbf" + REPORT_JSON.encode()) == "report_malformed"
    assert report_code(REPORT_JSON.encode() + b" x") == "report_malformed"
    assert report_code(REPORT_JSON.replace('"free_text":"', '"free_text":"\\ud800').encode()) == \
        "report_malformed"
    assert report_code(REPORT_JSON.replace('"schema":1', '"schema":1,"schema":2').encode()) == \
        "report_malformed"
    minimal = {"schema": 1, "report_id": "00" * 16, "language": "bn", "destination_country": "MY",
               "consent": {"union": True, "inspectorate": False}, "reply_key": "AB" * 32,
               "written_on": None, "sector": None}
    r = wv.decode_report(json.dumps(minimal).encode())
    assert r["fees"] == [] and r["job"]["promised"]["title"] is None
    assert wv.report_routing_tags(r)["kinds"] == ["other"]
