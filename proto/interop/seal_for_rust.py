"""Plays the phone and an organisation in Python, for the Rust side to check
(proto/tests/interop_python.rs).

Reads the fixture world from the vector files (the signed directory, the union's key, a recovery
code), then, with the independent implementation only:
- verifies the directory and routes a new report against it;
- seals one evidence attachment and the report to every routed organisation's certified key;
- pays the proof-of-work and derives the report's mailbox token and reply key from the code;
- seals a reply from the union to that reply key.

Prints one JSON object: `submission` (a `SubmissionRequest` body, section 14.2), `attachment`
(the sealed attachment, base64, and its plaintext, hex), `reply` (a `PostReply` body plus the
recovery code and report index whose reply key opens it, and the expected text), and
`report_json` (the plaintext that was sealed). Deterministic: the same output every run.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workvoice_interop as wv  # noqa: E402

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
REPORT_INDEX = 3


def vector(name):
    return json.loads((VECTORS / "valid" / f"{name}.json").read_text(encoding="utf-8"))


def main():
    rng = wv.DeterministicRng("workvoice python interop")
    dir_vector = vector("directory-valid")
    directory = wv.verify_directory(dir_vector["directory"].encode("utf-8"),
                                    bytes.fromhex(dir_vector["root_public_key"]),
                                    dir_vector["now"], dir_vector["min_version"])
    code = vector("recovery-report-0")["code"]
    token, _, reply_public_key = wv.report_secrets(wv.recovery_parse(code), REPORT_INDEX)

    report_id = rng.bytes(16)
    # Three segments of the version 2 layout (section 9.1).
    photo = bytes((i * 7) % 251 for i in range(150_000))
    entry, sealed_attachment = wv.seal_attachment(photo, "image/jpeg", report_id, rng)
    report = {
        "schema": 1,
        "report_id": report_id.hex(),
        "language": "bn",
        "written_on": "2026-11-25",
        "fees": [],
        "loans": [{"lender": "moneylender",
                   "principal": {"amount_minor": 50_000_000, "currency": "BDT"},
                   "interest_bp_per_month": 500, "collateral": "land_or_house"}],
        "deductions": [{"amount": {"amount_minor": 30_000, "currency": "QAR"},
                        "reason": "recruitment_fee_repayment", "recurring_monthly": True}],
        "job": {"promised": {"title": "ড্রাইভার"}, "actual": {"title": "Cleaner",
                                                            "hours_per_week": 84}},
        "indicators": ["debt_bondage", "retention_of_identity_documents"],
        "employer": {"name": "Pearl Facilities W.L.L.", "country": "QA"},
        "origin_country": "BD",
        "destination_country": "QA",
        "sector": "F",
        "free_text": "পাসপোর্ট রেখে দিয়েছে।\n\"ঋণ\" শোধ না হলে ছুটি নেই।",
        "attachments": [entry],
        "consent": {"union": True, "inspectorate": True, "ngo": True, "contact_wanted": False},
        "reply_key": reply_public_key.hex(),
    }
    report_json = wv.json_dumps(report)
    decoded = wv.decode_report(report_json)  # the phone validates before sealing
    tags = wv.report_routing_tags(decoded)
    consent = decoded["consent"]
    route = wv.route(tags, consent, directory.listing)
    recipients = [(bytes.fromhex(r["org_id"]), directory.certified_key(bytes.fromhex(r["org_id"])))
                  for r in route["recipients"]]
    envelope = wv.seal_envelope(report_json, report_id, recipients,
                                wv.disclosure_digest(tags, consent), rng)
    nonce = wv.solve_pow(report_id, directory.listing["pow_difficulty"])

    union = vector("envelope-union")
    reply_text = "আমরা আপনার রিপোর্ট পেয়েছি। We received your report."
    sealed_reply = wv.seal_reply({"text": reply_text, "language": "bn", "written_on": "2026-11-28"},
                                 report_id, bytes.fromhex(union["org_id"]),
                                 bytes.fromhex(union["private_key"]), reply_public_key, rng)

    out = {
        "submission": {
            "submission_id": report_id.hex(),
            "directory_version": directory.listing["version"],
            "tags": wv.tags_to_json(tags),
            "consent": consent,
            "mailbox_token_hash": wv.mailbox_token_hash(token).hex(),
            "pow_nonce": nonce,
            "envelope": wv.b64_encode(envelope),
            "attachments": [{"id": entry["id"], "size": entry["sealed_size"],
                             "sha256": entry["sealed_sha256"]}],
        },
        "attachment": {"sealed": wv.b64_encode(sealed_attachment), "plaintext": photo.hex()},
        "reply": {"sealed": wv.b64_encode(sealed_reply), "recovery_code": code,
                  "index": REPORT_INDEX, "text": reply_text, "org_id": union["org_id"]},
        "report_json": report_json.decode("utf-8"),
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
