//! Statements shared by the storage layer and the ingest benchmark's raw-sqlx baseline, so
//! both measure the same schema and transaction shape. Every one runs on SQLite and PostgreSQL.

use std::sync::LazyLock;

pub const INSERT_ORGANISATION: &str = "INSERT INTO organisations \
    (id, kind, profile, token_lookup, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
    ON CONFLICT (id) DO NOTHING";

pub const INSERT_SUBMISSION: &str = "INSERT INTO submissions \
    (id, request_hash, response, directory_version, tags, consent, received_hour, envelope) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING";

/// `next_seq` is the number of `delivered` entries the same transaction writes.
pub const INSERT_MAILBOX: &str = "INSERT INTO mailboxes \
    (token_hash, lookup, report_id, created_hour, next_seq) VALUES ($1, $2, $3, $4, $5) \
    ON CONFLICT DO NOTHING";

pub const INSERT_ATTACHMENT: &str =
    "INSERT INTO attachments (report_id, id, size, sha256) VALUES ($1, $2, $3, $4)";

/// Allocates the organisation's next inbox position under its row lock (held to commit).
pub const NEXT_INBOX_SEQ: &str =
    "UPDATE organisations SET next_seq = next_seq + 1 WHERE id = $1 RETURNING next_seq";

pub const INSERT_INBOX: &str =
    "INSERT INTO inbox (org_id, seq, report_id, delivered_hour) VALUES ($1, $2, $3, $4)";

/// Reserves `$1` inbox positions of organisation `$2` under its row lock (held to commit);
/// returns the last one. Group commit takes all of a batch's positions at once.
pub const RESERVE_INBOX_SEQS: &str =
    "UPDATE organisations SET next_seq = next_seq + $1 WHERE id = $2 RETURNING next_seq";

pub const SUBMISSION_ANSWER: &str = "SELECT request_hash, response FROM submissions WHERE id = $1";

pub const NEXT_MAILBOX_SEQ: &str = "UPDATE mailboxes SET next_seq = next_seq + 1 \
    WHERE report_id = $1 RETURNING token_hash, next_seq";

pub const INSERT_MAILBOX_STATUS: &str = "INSERT INTO mailbox_entries \
    (token_hash, seq, org_id, at_hour, kind, status) VALUES ($1, $2, $3, $4, 'status', $5)";

/// Whether organisation `$1` holds report `$2`: in its inbox, or routed to it before the
/// ciphertext was purged.
pub const HOLDS_REPORT: &str = "SELECT 1 AS held FROM inbox WHERE org_id = $1 AND report_id = $2 \
    UNION ALL SELECT 1 AS held FROM report_routes WHERE org_id = $1 AND report_id = $2";

/// Before a report's inbox rows are purged: the organisations that hold it, while its mailbox
/// lives.
pub const KEEP_REPORT_ROUTES: &str = "INSERT INTO report_routes (report_id, org_id) \
    SELECT report_id, org_id FROM inbox WHERE report_id = $1 \
    AND EXISTS (SELECT 1 FROM mailboxes m WHERE m.report_id = $1) \
    ON CONFLICT DO NOTHING";

/// Group commit writes at most this many inbox rows or mailbox entries per statement.
pub const ROWS_PER_INSERT: usize = 16;

fn multi_row(head: &str, rows: usize, params: usize, row: fn(&[usize]) -> String) -> String {
    let mut text = String::from(head);
    for r in 0..rows {
        let numbers: Vec<usize> = (1..=params).map(|p| r * params + p).collect();
        text.push_str(if r == 0 { " VALUES " } else { ", " });
        text.push_str(&row(&numbers));
    }
    text
}

static INBOX_ROWS: LazyLock<Vec<String>> = LazyLock::new(|| {
    (0..=ROWS_PER_INSERT)
        .map(|n| {
            multi_row(
                "INSERT INTO inbox (org_id, seq, report_id, delivered_hour)",
                n,
                4,
                |p| format!("(${}, ${}, ${}, ${})", p[0], p[1], p[2], p[3]),
            )
        })
        .collect()
});

static MAILBOX_STATUSES: LazyLock<Vec<String>> = LazyLock::new(|| {
    (0..=ROWS_PER_INSERT)
        .map(|n| {
            multi_row(
                "INSERT INTO mailbox_entries (token_hash, seq, org_id, at_hour, kind, status)",
                n,
                5,
                |p| {
                    format!(
                        "(${}, ${}, ${}, ${}, 'status', ${})",
                        p[0], p[1], p[2], p[3], p[4]
                    )
                },
            )
        })
        .collect()
});

static RESERVE_INBOX_SEQS_OF: LazyLock<Vec<String>> = LazyLock::new(|| {
    (0..=ROWS_PER_INSERT)
        .map(|n| {
            let cases: Vec<String> = (0..n)
                .map(|k| format!("WHEN ${} THEN ${}", 2 * k + 1, 2 * k + 2))
                .collect();
            let ids: Vec<String> = (0..n).map(|k| format!("${}", 2 * n + k + 1)).collect();
            format!(
                "UPDATE organisations SET next_seq = next_seq + CASE id {} END \
                 WHERE id IN ({}) RETURNING id, next_seq",
                cases.join(" "),
                ids.join(", ")
            )
        })
        .collect()
});

/// [`RESERVE_INBOX_SEQS`] for `orgs` organisations (1 to [`ROWS_PER_INSERT`]) in one
/// statement: binds (id, count) per organisation, then the ids again; returns (id, last).
/// Locks the rows in no defined order, so only for a database with one writer (SQLite).
pub fn reserve_inbox_seqs_of(orgs: usize) -> &'static str {
    RESERVE_INBOX_SEQS_OF[orgs.clamp(1, ROWS_PER_INSERT)].as_str()
}

/// [`INSERT_INBOX`] for `rows` rows (1 to [`ROWS_PER_INSERT`]) in one statement.
pub fn insert_inbox_rows(rows: usize) -> &'static str {
    INBOX_ROWS[rows.clamp(1, ROWS_PER_INSERT)].as_str()
}

/// [`INSERT_MAILBOX_STATUS`] for `rows` rows (1 to [`ROWS_PER_INSERT`]) in one statement.
pub fn insert_mailbox_statuses(rows: usize) -> &'static str {
    MAILBOX_STATUSES[rows.clamp(1, ROWS_PER_INSERT)].as_str()
}

pub const COUNT_TABLES: &[(&str, &str)] = &[
    ("organisations", "SELECT COUNT(*) FROM organisations"),
    ("relay_settings", "SELECT COUNT(*) FROM relay_settings"),
    ("directories", "SELECT COUNT(*) FROM directories"),
    ("submissions", "SELECT COUNT(*) FROM submissions"),
    ("inbox", "SELECT COUNT(*) FROM inbox"),
    ("mailboxes", "SELECT COUNT(*) FROM mailboxes"),
    ("mailbox_entries", "SELECT COUNT(*) FROM mailbox_entries"),
    ("attachments", "SELECT COUNT(*) FROM attachments"),
    (
        "attachment_chunks",
        "SELECT COUNT(*) FROM attachment_chunks",
    ),
    ("report_routes", "SELECT COUNT(*) FROM report_routes"),
    ("withdrawals", "SELECT COUNT(*) FROM withdrawals"),
    (
        "escrow_submissions",
        "SELECT COUNT(*) FROM escrow_submissions",
    ),
    (
        "escrow_oprf_requests",
        "SELECT COUNT(*) FROM escrow_oprf_requests",
    ),
    ("escrow_reports", "SELECT COUNT(*) FROM escrow_reports"),
    ("escrow_invites", "SELECT COUNT(*) FROM escrow_invites"),
    (
        "escrow_token_issuance",
        "SELECT COUNT(*) FROM escrow_token_issuance",
    ),
    (
        "escrow_token_spends",
        "SELECT COUNT(*) FROM escrow_token_spends",
    ),
];

pub const DUMP_TABLES: &[(&str, &str)] = &[
    (
        "organisations",
        "SELECT id, kind, profile, certificate, token_hash, next_seq FROM organisations ORDER BY id",
    ),
    (
        "relay_settings",
        "SELECT name, value FROM relay_settings ORDER BY name",
    ),
    (
        "directories",
        "SELECT version, served FROM directories ORDER BY version",
    ),
    (
        "submissions",
        "SELECT id, request_hash, response, directory_version, tags, consent, received_hour, envelope \
         FROM submissions ORDER BY id",
    ),
    (
        "inbox",
        "SELECT org_id, seq, report_id, referred_by, envelope, delivered_hour, acknowledged_hour \
         FROM inbox ORDER BY org_id, seq",
    ),
    (
        "mailboxes",
        "SELECT token_hash, report_id, created_hour, next_seq FROM mailboxes ORDER BY token_hash",
    ),
    (
        "mailbox_entries",
        "SELECT token_hash, seq, org_id, at_hour, kind, status, sealed, message_id \
         FROM mailbox_entries ORDER BY token_hash, seq",
    ),
    (
        "attachments",
        "SELECT report_id, id, size, sha256, received, complete FROM attachments ORDER BY report_id, id",
    ),
    (
        "attachment_chunks",
        "SELECT report_id, attachment_id, start_offset, bytes FROM attachment_chunks \
         ORDER BY report_id, attachment_id, start_offset",
    ),
    (
        "report_routes",
        "SELECT report_id, org_id FROM report_routes ORDER BY report_id, org_id",
    ),
    (
        "withdrawals",
        "SELECT org_id, report_id, secret, at_hour, acknowledged FROM withdrawals \
         ORDER BY org_id, report_id, secret",
    ),
    (
        "escrow_submissions",
        "SELECT escrow_id, org_id, tag, epoch, threshold, source, withdrawal_hash, request_hash, \
         bytes, at_hour, released, acknowledged FROM escrow_submissions ORDER BY escrow_id",
    ),
    (
        "escrow_oprf_requests",
        "SELECT request_id, org_id, epoch, element, state, evaluated FROM escrow_oprf_requests \
         ORDER BY request_id",
    ),
    (
        "escrow_reports",
        "SELECT escrow_id, org_id, report_id, token_hash FROM escrow_reports ORDER BY escrow_id",
    ),
    (
        "escrow_invites",
        "SELECT invite_hash, org_id, created_hour FROM escrow_invites ORDER BY invite_hash",
    ),
    (
        "escrow_token_issuance",
        "SELECT invite_hash, epoch, purpose, request_digest FROM escrow_token_issuance \
         ORDER BY invite_hash, epoch, purpose, request_digest",
    ),
    (
        "escrow_token_spends",
        "SELECT token_key_id, nonce, epoch, purpose, binding, request_id FROM escrow_token_spends \
         ORDER BY token_key_id, nonce",
    ),
];
