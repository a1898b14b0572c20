//! The OpenAPI 3.1 description of the relay, served at `/openapi.json`. `proto/openapi.json` is
//! this document written out (`workvoice-relay openapi > proto/openapi.json`); a test keeps the
//! two identical and checks that every route the relay serves is described.

use serde_json::{Value, json};
use workvoice_proto::api::RelayErrorCode;

/// Every route the relay serves: (method, path template), in the order the router adds them.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/v1/directory"),
    ("post", "/v1/submissions"),
    ("get", "/v1/mailbox/{token}"),
    ("post", "/v1/submissions/{id}/withdrawal"),
    ("post", "/v1/escrow/oprf"),
    ("post", "/v1/escrow/oprf/org"),
    ("get", "/v1/escrow/oprf/org/{request}"),
    ("post", "/v1/escrow"),
    ("get", "/v1/escrow/tokens/{organisation}"),
    ("post", "/v1/escrow/tokens"),
    ("post", "/v1/escrow/{escrow_id}/withdrawal"),
    ("put", "/v1/submissions/{id}/attachments/{attachment_id}"),
    ("get", "/v1/submissions/{id}/attachments/{attachment_id}"),
    ("get", "/v1/org/inbox"),
    ("post", "/v1/org/inbox/{report_id}/ack"),
    ("post", "/v1/org/reports/{report_id}/status"),
    ("get", "/v1/org/withdrawals"),
    ("get", "/v1/org/escrow"),
    ("get", "/v1/org/escrow/oprf"),
    ("post", "/v1/org/escrow/oprf/answers"),
    ("get", "/v1/org/escrow/pending"),
    ("post", "/v1/org/escrow/{tag}/ack"),
    ("post", "/v1/org/escrow/reports"),
    ("post", "/v1/org/escrow/invites"),
    ("post", "/v1/org/escrow/invites/revoke"),
    ("post", "/v1/org/withdrawals/{report_id}/ack"),
    ("post", "/v1/org/reports/{report_id}/replies"),
    ("post", "/v1/org/reports/{report_id}/referrals"),
    (
        "get",
        "/v1/org/reports/{report_id}/attachments/{attachment_id}",
    ),
    ("post", "/v1/ohttp"),
    ("get", "/v1/ohttp/keys"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.json"),
];

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
    })
}

/// An Oblivious HTTP gateway refusal: problem details (RFC 9457) that carry the relay's `error`
/// and `message` too (PROTOCOL.md 14.8).
fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {
            "type": "object",
            "required": ["type", "title", "error", "message"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "error": {"type": "string"},
                "message": {"type": "string"}
            }
        }}}
    })
}

fn binary(media_type: &str, description: &str) -> Value {
    json!({
        "description": description,
        "content": {media_type: {"schema": {"type": "string", "contentMediaType": media_type}}}
    })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn json_body(schema: &str) -> Value {
    json!({
        "required": true,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}, "description": description})
}

fn hex(len: usize) -> Value {
    json!({"type": "string", "pattern": format!("^[0-9a-f]{{{}}}$", len * 2)})
}

fn schemas() -> Value {
    let b64 = json!({"type": "string", "contentEncoding": "base64"});
    let mut all = json!({
        "ApiError": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "description": "Stable machine-readable code: a RelayErrorCode (PROTOCOL.md 14.7), or the code of a check a submission runs (PROTOCOL.md sections 4 to 13)."},
                "message": {"type": "string"},
                "directory_version": {"type": "integer", "minimum": 0, "description": "With stale_directory, invalid_directory_version and pow_insufficient: the version the relay serves."}
            }
        },
        "RelayErrorCode": {
            "type": "string",
            "description": "Every code the relay itself answers (PROTOCOL.md 14.7).",
            "enum": RelayErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()
        },
        "Signed": {
            "type": "object",
            "required": ["body", "signature"],
            "properties": {"body": b64.clone(), "signature": b64.clone()}
        },
        "SignedDirectory": {
            "type": "object",
            "required": ["relay_certificate", "listing"],
            "properties": {
                "relay_certificate": {"$ref": "#/components/schemas/Signed"},
                "listing": {"$ref": "#/components/schemas/Signed"}
            }
        },
        "RoutingTags": {
            "type": "object",
            "required": ["destination_country", "kinds"],
            "properties": {
                "destination_country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "sector": {"type": "string", "pattern": "^[A-U]$"},
                "kinds": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9_]{1,32}$"}, "minItems": 1, "maxItems": 8}
            }
        },
        "Consent": {
            "type": "object",
            "required": ["union", "inspectorate"],
            "properties": {
                "union": {"type": "boolean"},
                "inspectorate": {"type": "boolean"},
                "ngo": {"type": "boolean"},
                "contact_wanted": {"type": "boolean"}
            }
        },
        "AttachmentDeclaration": {
            "type": "object",
            "required": ["id", "size", "sha256"],
            "properties": {"id": hex(16), "size": {"type": "integer", "minimum": 1}, "sha256": hex(32)}
        },
        "SubmissionRequest": {
            "type": "object",
            "required": ["submission_id", "directory_version", "tags", "consent", "mailbox_token_hash", "pow_nonce", "envelope"],
            "properties": {
                "submission_id": hex(16),
                "directory_version": {"type": "integer", "minimum": 0},
                "tags": {"$ref": "#/components/schemas/RoutingTags"},
                "consent": {"$ref": "#/components/schemas/Consent"},
                "mailbox_token_hash": hex(32),
                "pow_nonce": {"type": "integer", "minimum": 0},
                "envelope": b64.clone(),
                "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/AttachmentDeclaration"}, "maxItems": 10}
            }
        },
        "SubmissionAccepted": {
            "type": "object",
            "required": ["submission_id", "recipients", "directory_version", "received_at_hour"],
            "properties": {
                "submission_id": hex(16),
                "recipients": {"type": "array", "items": hex(16)},
                "directory_version": {"type": "integer"},
                "received_at_hour": {"type": "integer", "description": "Unix seconds, rounded down to the hour."}
            }
        },
        "UploadProgress": {
            "type": "object",
            "required": ["received", "size", "complete"],
            "properties": {"received": {"type": "integer"}, "size": {"type": "integer"}, "complete": {"type": "boolean"}}
        },
        "MailboxEntry": {
            "type": "object",
            "required": ["seq", "org_id", "at_hour", "kind"],
            "properties": {
                "seq": {"type": "integer"},
                "org_id": hex(16),
                "at_hour": {"type": "integer"},
                "kind": {"type": "string", "enum": ["status", "reply"]},
                "status": {"type": "string", "enum": ["delivered", "acknowledged", "received", "in_review", "referred", "resolved", "closed"]},
                "sealed": b64.clone()
            }
        },
        "MailboxPage": {
            "type": "object",
            "required": ["entries", "last_seq"],
            "properties": {
                "entries": {"type": "array", "items": {"$ref": "#/components/schemas/MailboxEntry"}},
                "last_seq": {"type": "integer"}
            }
        },
        "AttachmentState": {
            "type": "object",
            "required": ["id", "size", "sha256", "complete"],
            "properties": {"id": hex(16), "size": {"type": "integer"}, "sha256": hex(32), "complete": {"type": "boolean"}}
        },
        "InboxEntry": {
            "type": "object",
            "required": ["seq", "report_id", "received_at_hour", "tags", "consent", "envelope", "acknowledged"],
            "properties": {
                "seq": {"type": "integer"},
                "report_id": hex(16),
                "received_at_hour": {"type": "integer"},
                "tags": {"$ref": "#/components/schemas/RoutingTags"},
                "consent": {"$ref": "#/components/schemas/Consent"},
                "envelope": b64.clone(),
                "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/AttachmentState"}},
                "referred_by": hex(16),
                "acknowledged": {"type": "boolean"}
            }
        },
        "InboxPage": {
            "type": "object",
            "required": ["entries"],
            "properties": {
                "entries": {"type": "array", "items": {"$ref": "#/components/schemas/InboxEntry"}},
                "next_cursor": {"type": "string"}
            }
        },
        "StatusChange": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": ["received", "in_review", "referred", "resolved", "closed"]},
                "sealed": b64.clone()
            }
        },
        "OprfEvaluationRequest": {
            "type": "object",
            "required": ["blinded", "pow_nonce"],
            "properties": {
                "blinded": {"type": "string", "contentEncoding": "base64", "description": "The blinded element, 32 bytes of ristretto255 (PROTOCOL.md 18.3)."},
                "pow_nonce": {"type": "integer", "minimum": 0, "description": "Proof-of-work over escrow::oprf_pow_id(blinded) at the listing's difficulty."}
            }
        },
        "OprfEvaluation": {
            "type": "object",
            "required": ["epoch", "evaluated"],
            "properties": {
                "epoch": {"type": "integer", "minimum": 0},
                "evaluated": {"type": "string", "contentEncoding": "base64", "description": "The relay's evaluation, 32 bytes."}
            }
        },
        "EscrowSubmissionRequest": {
            "type": "object",
            "required": ["escrow", "pow_nonce"],
            "properties": {
                "escrow": {"type": "string", "contentEncoding": "base64", "description": "The escrow submission (PROTOCOL.md 18.5)."},
                "pow_nonce": {"type": "integer", "minimum": 0, "description": "Proof-of-work over the escrow id."}
            }
        },
        "EscrowAccepted": {
            "type": "object",
            "required": ["state"],
            "properties": {"state": {"type": "string", "enum": ["waiting", "released"]}}
        },
        "EscrowGroup": {
            "type": "object",
            "required": ["tag", "sources", "escrows"],
            "properties": {
                "tag": hex(32),
                "sources": {"type": "integer", "minimum": 0},
                "escrows": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}
            }
        },
        "EscrowGroupPage": {
            "type": "object",
            "required": ["groups"],
            "properties": {"groups": {"type": "array", "items": {"$ref": "#/components/schemas/EscrowGroup"}}}
        },
        "EscrowPendingTotal": {
            "type": "object",
            "required": ["total"],
            "properties": {"total": {"type": "integer", "minimum": 0}}
        },
        "WithdrawalRequest": {
            "type": "object",
            "required": ["secret"],
            "properties": {"secret": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "The report's withdrawal secret (PROTOCOL.md 13.5)."}}
        },
        "Withdrawal": {
            "type": "object",
            "required": ["report_id", "secret", "at_hour"],
            "properties": {"report_id": hex(16), "secret": hex(32), "at_hour": {"type": "integer"}}
        },
        "WithdrawalPage": {
            "type": "object",
            "required": ["entries"],
            "properties": {"entries": {"type": "array", "items": {"$ref": "#/components/schemas/Withdrawal"}}}
        },
        "PostReply": {
            "type": "object",
            "required": ["sealed"],
            "properties": {"sealed": b64.clone()}
        },
        "Referral": {
            "type": "object",
            "required": ["to", "envelope"],
            "properties": {"to": hex(16), "envelope": b64}
        }
    });
    merge(&mut all, escrow_oprf_schemas());
    merge(&mut all, escrow_token_schemas());
    all
}

/// The schemas of anonymous escrow tokens (PROTOCOL.md 18.12), merged into [`schemas`].
fn escrow_token_schemas() -> Value {
    let key = json!({"type": "string", "contentEncoding": "base64", "description": "An issuer key pkI, 49 bytes (compressed P-384)."});
    json!({
        "EscrowInviteHashes": {
            "type": "object",
            "required": ["hashes"],
            "properties": {"hashes": {"type": "array", "maxItems": 1000, "items": {"type": "string", "description": "SHA-256(\"workvoice/v1/escrow/invite\\0\" || invite), 64 hex characters."}}}
        },
        "EscrowInviteCount": {
            "type": "object",
            "required": ["count"],
            "properties": {"count": {"type": "integer", "minimum": 0}}
        },
        "EscrowTokenKeys": {
            "type": "object",
            "required": ["epoch", "oprf_key", "escrow_key", "oprf_budget", "escrow_budget"],
            "properties": {
                "epoch": {"type": "integer", "minimum": 0},
                "oprf_key": key.clone(),
                "escrow_key": key,
                "oprf_budget": {"type": "integer", "minimum": 0, "description": "OPRF tokens one invite may take this epoch: 2(k - 1)."},
                "escrow_budget": {"type": "integer", "minimum": 0, "description": "Escrow tokens one invite may take this epoch: k - 1."}
            }
        },
        "EscrowTokenRequest": {
            "type": "object",
            "required": ["organisation", "invite", "purpose", "epoch", "requests"],
            "properties": {
                "organisation": {"type": "string", "description": "32 hex characters."},
                "invite": {"type": "string", "description": "The invite's 16 bytes, 32 hex characters."},
                "purpose": {"type": "string", "enum": ["oprf", "escrow"]},
                "epoch": {"type": "integer", "minimum": 0, "description": "The current epoch, of the keys the requests were made for."},
                "requests": {"type": "array", "minItems": 1, "maxItems": 32, "items": {"type": "string", "contentEncoding": "base64", "description": "A TokenRequest of RFC 9578 (type 0x0001), 52 bytes."}}
            }
        },
        "EscrowTokenResponses": {
            "type": "object",
            "required": ["epoch", "responses"],
            "properties": {
                "epoch": {"type": "integer", "minimum": 0},
                "responses": {"type": "array", "items": {"type": "string", "contentEncoding": "base64", "description": "A TokenResponse of RFC 9578 (type 0x0001), 145 bytes, in the order of the requests."}}
            }
        }
    })
}

/// The routes of anonymous escrow tokens (PROTOCOL.md 18.12), merged into the paths.
fn escrow_token_paths(org_security: &Value) -> Value {
    let invites = |summary: &str, answer: &str| {
        json!({"post": {
            "summary": summary,
            "security": org_security.clone(),
            "requestBody": json_body("EscrowInviteHashes"),
            "responses": {
                "200": json_response(answer, "EscrowInviteCount"),
                "400": error_response("malformed_json, unreadable_body"),
                "401": error_response("unauthorized"),
                "413": error_response("payload_too_large"),
                "415": error_response("unsupported_media_type"),
                "422": error_response("invalid_invite")
            }
        }})
    };
    json!({
        "/v1/org/escrow/invites": invites(
            "Register invite hashes for the caller (PROTOCOL.md 18.12); a hash stored already stays with its organisation.",
            "How many hashes were added."
        ),
        "/v1/org/escrow/invites/revoke": invites(
            "Revoke the caller's invite hashes (PROTOCOL.md 18.12); tokens issued before stay valid until their epoch is retired.",
            "How many hashes were deleted."
        ),
        "/v1/escrow/tokens/{organisation}": {"get": {
            "summary": "The organisation's token issuer keys for the current epoch and one invite's budgets (PROTOCOL.md 18.12).",
            "parameters": [path_param("organisation", "The organisation id, 32 hex characters.")],
            "responses": {
                "200": json_response("The keys.", "EscrowTokenKeys"),
                "400": error_response("invalid_path"),
                "422": error_response("unknown_recipient, escrow_tokens_off"),
                "429": error_response("rate_limited"),
                "503": error_response("directory_unavailable")
            }
        }},
        "/v1/escrow/tokens": {"post": {
            "summary": "Anonymous tokens (RFC 9578, type 0x0001) against an invite the organisation registered, within the invite's budget for the epoch and purpose (PROTOCOL.md 18.12). A request answered before is answered again and not counted again.",
            "requestBody": json_body("EscrowTokenRequest"),
            "responses": {
                "200": json_response("One TokenResponse per request, in order.", "EscrowTokenResponses"),
                "400": error_response("malformed_json, unreadable_body"),
                "404": error_response("unknown_invite"),
                "413": error_response("payload_too_large"),
                "415": error_response("unsupported_media_type"),
                "422": error_response("unknown_recipient, escrow_tokens_off, invalid_invite, escrow_stale_epoch, invalid_token_request"),
                "429": error_response("token_budget_spent, rate_limited"),
                "503": error_response("directory_unavailable, relay_busy (too many request bodies in flight; Retry-After)")
            }
        }}
    })
}

/// The schemas of the organisation's OPRF step (PROTOCOL.md 18.3), merged into [`schemas`]
/// (one `json!` of all of them would pass the macro's recursion limit).
fn escrow_oprf_schemas() -> Value {
    json!({
        "EscrowReportRegistration": {
            "type": "object",
            "required": ["escrow_id", "report_id", "mailbox_token_hash"],
            "properties": {
                "escrow_id": hex(16),
                "report_id": hex(16),
                "mailbox_token_hash": hex(32)
            }
        },
        "ChainedOprfRequest": {
            "type": "object",
            "required": ["organisation", "blinded", "pow_nonce"],
            "properties": {
                "organisation": {"type": "string", "description": "The organisation whose key takes the second step, 32 hex characters."},
                "blinded": {"type": "string", "contentEncoding": "base64", "description": "The blinded element, 32 bytes of ristretto255 (PROTOCOL.md 18.3)."},
                "pow_nonce": {"type": "integer", "minimum": 0, "description": "Proof-of-work over escrow::oprf_pow_id(blinded) at the listing's difficulty."}
            }
        },
        "ChainedOprfQueued": {
            "type": "object",
            "required": ["epoch", "request"],
            "properties": {
                "epoch": {"type": "integer", "minimum": 0},
                "request": {"type": "string", "description": "The queued request's id, 32 hex characters."}
            }
        },
        "ChainedOprfState": {
            "type": "object",
            "required": ["state", "epoch"],
            "properties": {
                "state": {"type": "string", "enum": ["queued", "answered", "refused"]},
                "epoch": {"type": "integer", "minimum": 0},
                "evaluated": {"type": "string", "contentEncoding": "base64", "description": "Once answered: the organisation's evaluation of the relay's, 32 bytes."}
            }
        },
        "OrgOprfQueue": {
            "type": "object",
            "required": ["requests"],
            "properties": {"requests": {"type": "array", "maxItems": 500, "items": {
                "type": "object",
                "required": ["request", "epoch", "element"],
                "properties": {
                    "request": {"type": "string"},
                    "epoch": {"type": "integer", "minimum": 0},
                    "element": {"type": "string", "contentEncoding": "base64", "description": "The relay's evaluation of the phone's blinded element, 32 bytes."}
                }
            }}}
        },
        "OrgOprfAnswers": {
            "type": "object",
            "required": ["answers"],
            "properties": {"answers": {"type": "array", "maxItems": 500, "items": {
                "type": "object",
                "required": ["request"],
                "properties": {
                    "request": {"type": "string", "description": "A queued request's id, 32 hex characters."},
                    "evaluated": {"type": "string", "contentEncoding": "base64", "description": "Its evaluation under the organisation's key for the request's epoch, 32 bytes; absent: refused."}
                }
            }}}
        }
    })
}

/// The routes of the organisation's OPRF step (PROTOCOL.md 18.3), merged into the paths.
fn escrow_oprf_paths(org_security: &Value) -> Value {
    json!({
            "/v1/escrow/oprf/org": {"post": {
                "summary": "The relay's step of the chained OPRF (PROTOCOL.md 18.3), queued for the named organisation's step instead of answered. Costs a proof-of-work and one token of the client's OPRF budget.",
                "requestBody": json_body("ChainedOprfRequest"),
                "responses": {
                    "202": json_response("Queued; poll GET /v1/escrow/oprf/org/{request}.", "ChainedOprfQueued"),
                    "400": error_response("malformed_json, unreadable_body"),
                    "401": error_response("token_required (with WWW-Authenticate), token_invalid, token_spent: an organisation that takes invites (PROTOCOL.md 18.12)"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("escrow_invalid_element, pow_insufficient, unknown_recipient"),
                    "429": error_response("rate_limited (the anonymous limits, or this client's OPRF budget; Retry-After)"),
                    "503": error_response("directory_unavailable, relay_busy (too many request bodies in flight; Retry-After)"),
                    "507": error_response("storage_full")
                }
            }},
            "/v1/escrow/oprf/org/{request}": {"get": {
                "summary": "Where a queued OPRF request stands: queued, answered (with the organisation's evaluation) or refused (PROTOCOL.md 18.3).",
                "parameters": [path_param("request", "The request id, 32 hex characters.")],
                "responses": {
                    "200": json_response("Its state.", "ChainedOprfState"),
                    "404": error_response("unknown_oprf_request"),
                    "429": error_response("rate_limited")
                }
            }},
            "/v1/org/escrow/oprf": {"get": {
                "summary": "Up to 500 of the OPRF requests queued for the caller's step, by epoch then request id (PROTOCOL.md 18.3).",
                "security": org_security,
                "responses": {
                    "200": json_response("Queued requests.", "OrgOprfQueue"),
                    "401": error_response("unauthorized")
                }
            }},
            "/v1/org/escrow/oprf/answers": {"post": {
                "summary": "The caller's evaluations or refusals of its queued OPRF requests; all are checked before any is stored; answers to requests not queued for the caller are ignored.",
                "security": org_security.clone(),
                "requestBody": json_body("OrgOprfAnswers"),
                "responses": {
                    "204": {"description": "Recorded."},
                    "400": error_response("malformed_json, unreadable_body"),
                    "401": error_response("unauthorized"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("invalid_oprf_answer")
                }
            }},
            "/v1/org/escrow/reports": {"post": {
                "summary": "Register the reply channel of a report the caller opened from one of its released escrow submissions (PROTOCOL.md 18.8): its report id and the mailbox token hash the escrowed report carried. Once per escrow submission, for a report id the relay does not know; then statuses, replies and the worker's mailbox work as for a plain submission.",
                "security": org_security,
                "requestBody": json_body("EscrowReportRegistration"),
                "responses": {
                    "201": {"description": "Registered: the mailbox and the caller's route exist."},
                    "200": {"description": "The same registration again."},
                    "400": error_response("malformed_json, unreadable_body"),
                    "401": error_response("unauthorized"),
                    "404": error_response("unknown_escrow"),
                    "409": error_response("escrow_already_registered, escrow_report_known, mailbox_in_use"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("invalid_escrow_registration")
                }
            }}
    })
}

/// Adds every member of `extra` to the object `into`.
fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        into.extend(extra);
    }
}

/// The document.
pub fn document() -> Value {
    let org_security = json!([{"orgToken": []}]);
    let mailbox_security = json!([{"mailboxToken": []}]);
    let report = path_param(
        "report_id",
        "The report (submission) id, 32 hex characters.",
    );
    let attachment = path_param("attachment_id", "The attachment id, 32 hex characters.");
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Workvoice relay",
            "version": "1",
            "description": "Routes end-to-end encrypted labour-abuse reports from workers' phones to organisations' inboxes. The relay reads none of them. Every error is JSON {\"error\": code, \"message\": text}."
        },
        "paths": {
            "/v1/directory": {"get": {
                "summary": "The signed directory of organisations, rules and proof-of-work difficulty.",
                "parameters": [{"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"}}],
                "responses": {
                    "200": json_response("The directory (ETag and Cache-Control set).", "SignedDirectory"),
                    "304": {"description": "The ETag in If-None-Match is current."},
                    "429": error_response("rate_limited"),
                    "503": error_response("directory_unavailable")
                }
            }},
            "/v1/ohttp": {"post": {
                "summary": "Oblivious HTTP gateway (RFC 9458): an Encapsulated Request of any route, served by the same routes; the inner answer comes back encapsulated (PROTOCOL.md 14.8).",
                "requestBody": {"required": true, "content": {"message/ohttp-req": {"schema": {"type": "string", "contentMediaType": "message/ohttp-req"}}}},
                "responses": {
                    "200": binary("message/ohttp-res", "The Encapsulated Response; the inner status is inside."),
                    "400": problem_response("ohttp_key_unknown (type ohttp-key), ohttp_undecryptable, ohttp_replayed"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": problem_response("ohttp_malformed_request"),
                    "429": error_response("rate_limited"),
                    "503": error_response("relay_busy (too many request bodies in flight; Retry-After)")
                }
            }},
            "/v1/ohttp/keys": {"get": {
                "summary": "The gateway's accepted key configurations (RFC 9458 section 3), current first.",
                "responses": {
                    "200": binary("application/ohttp-keys", "The key configurations, each prefixed by its 2-byte length."),
                    "429": error_response("rate_limited")
                }
            }},
            "/v1/submissions": {"post": {
                "summary": "Submit a sealed report. Idempotent by submission_id; a retry may switch between the JSON and the binary body.",
                "requestBody": {
                    "required": true,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/SubmissionRequest"}},
                        "application/x-workvoice-submission": {
                            "schema": {"type": "string", "contentEncoding": "binary", "maxLength": 2097152},
                            "description": "The members of SubmissionRequest in the binary layout of PROTOCOL.md 14.9, the envelope raw instead of base64."
                        }
                    }
                },
                "responses": {
                    "201": json_response("Stored and delivered.", "SubmissionAccepted"),
                    "200": json_response("A retry of an accepted submission: the first answer again.", "SubmissionAccepted"),
                    "400": error_response("malformed_json, unreadable_body, binary_unsupported_version, binary_truncated, binary_trailing_bytes, binary_invalid_text, binary_reserved_bits"),
                    "409": error_response("submission_conflict, stale_directory (with directory_version), mailbox_in_use"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("pow_insufficient, invalid_directory_version, envelope_*, submission_id_mismatch, invalid_country, unknown_sector, invalid_kind, invalid_kind_count, invalid_attachments, no_recipient, unknown_recipient, consent_violated, recipients_mismatch"),
                    "429": error_response("rate_limited"),
                    "503": error_response("directory_unavailable, relay_busy (too many request bodies in flight; Retry-After)"),
                    "507": error_response("storage_full")
                }
            }},
            "/v1/submissions/{id}/withdrawal": {"post": {
                "summary": "Ask the organisations that hold a report to withdraw it, revealing its withdrawal secret (PROTOCOL.md 13.5); the desks check it. Idempotent by secret.",
                "parameters": [path_param("id", "The report (submission) id, 32 hex characters.")],
                "requestBody": json_body("WithdrawalRequest"),
                "responses": {
                    "201": {"description": "Passed to every organisation that holds the report."},
                    "200": {"description": "This secret was posted before."},
                    "400": error_response("invalid_path, malformed_json, unreadable_body"),
                    "404": error_response("unknown_report"),
                    "409": error_response("too_many_withdrawals"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("invalid_withdrawal_secret"),
                    "429": error_response("rate_limited"),
                    "503": error_response("relay_busy (too many request bodies in flight; Retry-After)")
                }
            }},
            "/v1/escrow/oprf": {"post": {
                "summary": "The relay's step of the chained OPRF for reporting escrow (PROTOCOL.md 18.3): evaluate one blinded recruiter identifier under the current epoch's key. Costs a proof-of-work and one token of the client's OPRF budget.",
                "requestBody": json_body("OprfEvaluationRequest"),
                "responses": {
                    "200": json_response("The evaluated element and its epoch.", "OprfEvaluation"),
                    "400": error_response("malformed_json, unreadable_body"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("escrow_invalid_element, pow_insufficient"),
                    "429": error_response("rate_limited (the anonymous limits, or this client's OPRF budget; Retry-After)"),
                    "503": error_response("directory_unavailable, relay_busy (too many request bodies in flight; Retry-After)")
                }
            }},
            "/v1/escrow": {"post": {
                "summary": "Submit an escrow submission (PROTOCOL.md 18.8). Counted by distinct source per tag; the tag's submissions are released to the organisation as one group when the count reaches the tag's threshold. Idempotent by escrow id. The answer never carries the count.",
                "requestBody": json_body("EscrowSubmissionRequest"),
                "responses": {
                    "201": json_response("Stored; waiting or released.", "EscrowAccepted"),
                    "200": json_response("A retry of a stored submission.", "EscrowAccepted"),
                    "400": error_response("malformed_json, unreadable_body"),
                    "401": error_response("token_required (with WWW-Authenticate), token_invalid, token_spent: an organisation that takes invites (PROTOCOL.md 18.12)"),
                    "409": error_response("escrow_conflict, escrow_duplicate_source"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("escrow_truncated, escrow_bad_magic, escrow_unsupported_version, escrow_invalid_threshold, escrow_too_large, pow_insufficient, unknown_recipient, escrow_threshold_mismatch, escrow_stale_epoch"),
                    "429": error_response("rate_limited"),
                    "503": error_response("directory_unavailable, relay_busy (too many request bodies in flight; Retry-After)"),
                    "507": error_response("storage_full")
                }
            }},
            "/v1/escrow/{escrow_id}/withdrawal": {"post": {
                "summary": "Withdraw an escrow submission before its group is released, showing its withdrawal secret (PROTOCOL.md 18.8).",
                "parameters": [path_param("escrow_id", "The escrow id, 32 hex characters.")],
                "requestBody": json_body("WithdrawalRequest"),
                "responses": {
                    "204": {"description": "Deleted."},
                    "400": error_response("invalid_path, malformed_json, unreadable_body"),
                    "404": error_response("unknown_escrow"),
                    "409": error_response("escrow_released"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("invalid_withdrawal_secret"),
                    "429": error_response("rate_limited"),
                    "503": error_response("relay_busy (too many request bodies in flight; Retry-After)")
                }
            }},
            "/v1/org/escrow": {"get": {
                "summary": "The caller's released escrow groups with submissions not acknowledged yet (PROTOCOL.md 18.8).",
                "security": org_security.clone(),
                "responses": {
                    "200": json_response("Released groups.", "EscrowGroupPage"),
                    "401": error_response("unauthorized")
                }
            }},
            "/v1/org/escrow/pending": {"get": {
                "summary": "How many of the caller's escrow submissions wait unreleased: one total, never per tag.",
                "security": org_security.clone(),
                "responses": {
                    "200": json_response("The total.", "EscrowPendingTotal"),
                    "401": error_response("unauthorized")
                }
            }},
            "/v1/org/escrow/{tag}/ack": {"post": {
                "summary": "Acknowledge a released group: the relay empties its ciphertext (idempotent).",
                "security": org_security.clone(),
                "parameters": [path_param("tag", "The group's tag, 64 hex characters.")],
                "responses": {
                    "204": {"description": "Acknowledged."},
                    "401": error_response("unauthorized"),
                    "404": error_response("unknown_escrow")
                }
            }},
            "/v1/org/withdrawals": {"get": {
                "summary": "The caller's withdrawals not acknowledged yet, in report id order (at most 200).",
                "security": org_security.clone(),
                "responses": {
                    "200": json_response("Pending withdrawals.", "WithdrawalPage"),
                    "401": error_response("unauthorized")
                }
            }},
            "/v1/org/withdrawals/{report_id}/ack": {"post": {
                "summary": "Acknowledge the caller's withdrawals of a report (idempotent).",
                "security": org_security.clone(),
                "parameters": [report.clone()],
                "responses": {
                    "204": {"description": "Acknowledged."},
                    "400": error_response("invalid_path"),
                    "401": error_response("unauthorized"),
                    "404": error_response("unknown_report")
                }
            }},
            "/v1/mailbox/{token}": {"get": {
                "summary": "The report's anonymous mailbox: deliveries, acknowledgements, statuses, sealed replies.",
                "parameters": [
                    path_param("token", "The mailbox token, 43 characters of unpadded base64url."),
                    {"name": "after", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 200}}
                ],
                "responses": {
                    "200": json_response("Entries after `after`.", "MailboxPage"),
                    "400": error_response("invalid_path, invalid_query"),
                    "404": error_response("unknown_mailbox"),
                    "429": error_response("rate_limited")
                }
            }},
            "/v1/submissions/{id}/attachments/{attachment_id}": {
                "put": {
                    "summary": "Upload the next chunk of a sealed attachment declared in the submission.",
                    "security": mailbox_security.clone(),
                    "parameters": [
                        path_param("id", "The submission id."),
                        attachment.clone(),
                        {"name": "offset", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 0}}
                    ],
                    "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "contentEncoding": "binary", "maxLength": 1048576}}}},
                    "responses": {
                        "200": json_response("Progress after this chunk.", "UploadProgress"),
                        "400": error_response("invalid_path, invalid_query, unreadable_body"),
                        "401": error_response("unauthorized"),
                        "404": error_response("unknown_submission, unknown_attachment"),
                        "409": error_response("upload_offset_mismatch"),
                        "413": error_response("payload_too_large"),
                        "415": error_response("unsupported_media_type"),
                        "422": error_response("attachment_size_exceeded, attachment_digest_mismatch (nothing kept)"),
                        "429": error_response("rate_limited"),
                        "503": error_response("relay_busy (too many request bodies in flight; Retry-After)"),
                        "507": error_response("storage_full")
                    }
                },
                "get": {
                    "summary": "Upload progress, to resume from the last acknowledged byte.",
                    "security": mailbox_security,
                    "parameters": [path_param("id", "The submission id."), attachment.clone()],
                    "responses": {
                        "200": json_response("Progress.", "UploadProgress"),
                        "400": error_response("invalid_path"),
                        "401": error_response("unauthorized"),
                        "404": error_response("unknown_submission, unknown_attachment"),
                        "429": error_response("rate_limited")
                    }
                }
            },
            "/v1/org/inbox": {"get": {
                "summary": "The caller's inbox, in delivery order.",
                "security": org_security.clone(),
                "parameters": [
                    {"name": "after", "in": "query", "required": false, "schema": {"type": "string"}, "description": "next_cursor of the previous page."},
                    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 200}}
                ],
                "responses": {
                    "200": json_response("A page.", "InboxPage"),
                    "400": error_response("invalid_cursor, invalid_query"),
                    "401": error_response("unauthorized")
                }
            }},
            "/v1/org/inbox/{report_id}/ack": {"post": {
                "summary": "Acknowledge a report (idempotent); the worker's mailbox gets `acknowledged` once.",
                "security": org_security.clone(),
                "parameters": [report.clone()],
                "responses": {
                    "204": {"description": "Acknowledged."},
                    "400": error_response("invalid_path"),
                    "401": error_response("unauthorized"),
                    "404": error_response("unknown_report")
                }
            }},
            "/v1/org/reports/{report_id}/status": {"post": {
                "summary": "Tell the worker where the case stands: the status, and the same status sealed to the report's reply key (PROTOCOL.md 8.5), which is all the phone believes. Idempotent by the sealed status's message id.",
                "security": org_security.clone(),
                "parameters": [report.clone()],
                "requestBody": json_body("StatusChange"),
                "responses": {
                    "204": {"description": "Put in the mailbox."},
                    "400": error_response("invalid_path, malformed_json, unreadable_body"),
                    "401": error_response("unauthorized"),
                    "404": error_response("unknown_report"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "409": error_response("status_conflict"),
                    "422": error_response("invalid_status, status_*, status_report_mismatch, status_org_mismatch"),
                    "503": error_response("relay_busy (too many request bodies in flight; Retry-After)")
                }
            }},
            "/v1/org/reports/{report_id}/replies": {"post": {
                "summary": "Post a reply sealed to the report's reply key. Idempotent by the reply's message id.",
                "security": org_security.clone(),
                "parameters": [report.clone()],
                "requestBody": json_body("PostReply"),
                "responses": {
                    "201": {"description": "Put in the mailbox."},
                    "200": {"description": "This message was posted before."},
                    "400": error_response("invalid_path, malformed_json, unreadable_body"),
                    "401": error_response("unauthorized"),
                    "404": error_response("unknown_report"),
                    "409": error_response("reply_conflict"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("reply_*, reply_report_mismatch, reply_org_mismatch"),
                    "503": error_response("relay_busy (too many request bodies in flight; Retry-After)")
                }
            }},
            "/v1/org/reports/{report_id}/referrals": {"post": {
                "summary": "Refer a case: an envelope re-sealed by the caller to exactly one other organisation, if the worker's consent allows its kind.",
                "security": org_security.clone(),
                "parameters": [report.clone()],
                "requestBody": json_body("Referral"),
                "responses": {
                    "201": {"description": "Delivered to the organisation's inbox with referred_by."},
                    "200": {"description": "This referral was made before."},
                    "400": error_response("invalid_path, malformed_json, unreadable_body"),
                    "401": error_response("unauthorized"),
                    "403": error_response("referral_not_consented"),
                    "404": error_response("unknown_report"),
                    "409": error_response("referral_conflict"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type"),
                    "422": error_response("unknown_recipient, referral_to_self, envelope_*, referral_report_mismatch, referral_recipient_mismatch"),
                    "503": error_response("relay_busy (too many request bodies in flight; Retry-After)")
                }
            }},
            "/v1/org/reports/{report_id}/attachments/{attachment_id}": {"get": {
                "summary": "The sealed bytes of a completely uploaded attachment.",
                "security": org_security,
                "parameters": [report, attachment],
                "responses": {
                    "200": {"description": "Sealed attachment.", "content": {"application/octet-stream": {"schema": {"type": "string", "contentEncoding": "binary"}}}},
                    "400": error_response("invalid_path"),
                    "401": error_response("unauthorized"),
                    "404": error_response("unknown_report, unknown_attachment"),
                    "409": error_response("attachment_incomplete")
                }
            }},
            "/healthz": {"get": {"summary": "Liveness.", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "Ready: database reachable and a directory published.", "responses": {"200": {"description": "Ready."}, "503": error_response("database_unavailable, directory_unavailable")}}},
            "/openapi.json": {"get": {"summary": "This document.", "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
        },
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "orgToken": {"type": "http", "scheme": "bearer", "description": "The organisation's API token from `workvoice-relay org add` or `org rotate-token`."},
                "mailboxToken": {"type": "http", "scheme": "bearer", "description": "The report's mailbox token (43 characters of base64url)."}
            }
        }
    });
    if let Some(paths) = document.get_mut("paths") {
        merge(paths, escrow_oprf_paths(&org_security));
        merge(paths, escrow_token_paths(&org_security));
    }
    document
}

/// The document as committed in `proto/openapi.json`: pretty-printed with a final newline.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
