-- Workvoice relay schema (SQLite). Kept column for column equal to ../postgres/0001_initial.sql.
-- Times the worker could be correlated by are whole hours (unix seconds, rounded down).

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    profile TEXT NOT NULL,
    certificate TEXT,
    token_lookup BIGINT NOT NULL,
    token_hash BLOB NOT NULL,
    next_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX organisations_token_lookup ON organisations (token_lookup);

CREATE TABLE relay_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE directories (
    version BIGINT PRIMARY KEY,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    listing TEXT NOT NULL,
    served TEXT NOT NULL
);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    request_hash BLOB NOT NULL,
    response TEXT NOT NULL,
    directory_version BIGINT NOT NULL,
    tags TEXT NOT NULL,
    consent TEXT NOT NULL,
    received_hour BIGINT NOT NULL,
    envelope BLOB
);

CREATE TABLE inbox (
    org_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    report_id TEXT NOT NULL,
    referred_by TEXT,
    envelope BLOB,
    delivered_hour BIGINT NOT NULL,
    acknowledged_hour BIGINT,
    PRIMARY KEY (org_id, seq),
    UNIQUE (org_id, report_id)
);
CREATE INDEX inbox_report ON inbox (report_id);

CREATE TABLE mailboxes (
    token_hash BLOB PRIMARY KEY,
    lookup BIGINT NOT NULL,
    report_id TEXT NOT NULL UNIQUE,
    created_hour BIGINT NOT NULL,
    next_seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mailboxes_lookup ON mailboxes (lookup);

CREATE TABLE mailbox_entries (
    token_hash BLOB NOT NULL,
    seq BIGINT NOT NULL,
    org_id TEXT NOT NULL,
    at_hour BIGINT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT,
    sealed BLOB,
    message_id TEXT UNIQUE,
    PRIMARY KEY (token_hash, seq)
);

CREATE TABLE attachments (
    report_id TEXT NOT NULL,
    id TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 BLOB NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    complete BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (report_id, id)
);

CREATE TABLE attachment_chunks (
    report_id TEXT NOT NULL,
    attachment_id TEXT NOT NULL,
    start_offset BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (report_id, attachment_id, start_offset)
);
