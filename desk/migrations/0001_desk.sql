-- The desk's local database. Secrets (private keys, API token) are stored sealed under the
-- passphrase-derived master key; cases are stored decrypted for triage on this machine.

CREATE TABLE vault (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    salt BLOB NOT NULL,
    memory_kib INTEGER NOT NULL,
    iterations INTEGER NOT NULL,
    parallelism INTEGER NOT NULL,
    check_value BLOB NOT NULL,
    org_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- The organisation's HPKE key pairs by local version; old versions stay to open old envelopes.
CREATE TABLE keyring (
    version INTEGER PRIMARY KEY,
    public_key TEXT NOT NULL UNIQUE,
    sealed_private_key BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE enrolment (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    relay_url TEXT NOT NULL,
    org_id TEXT NOT NULL,
    sealed_api_token BLOB NOT NULL,
    root_public_key TEXT NOT NULL,
    certificate_body TEXT NOT NULL,
    certificate_signature TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL
);

CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cursor TEXT,
    directory_version INTEGER NOT NULL DEFAULT 0,
    last_sync_at INTEGER
);
INSERT INTO sync_state (id) VALUES (1);

-- Key-monitoring alarms: while one is not cleared, the desk sends no acknowledgement.
CREATE TABLE alarms (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    cleared_at INTEGER,
    cleared_by TEXT,
    review_note TEXT
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Sessions by SHA-256 of their random id; user_id is NULL before login (login CSRF).
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE,
    inbox_seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    referred_by TEXT,
    disclosed_tags TEXT NOT NULL,
    disclosed_consent TEXT NOT NULL,
    plaintext BLOB NOT NULL,
    opened_with_key INTEGER NOT NULL,
    problems TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    worker_status TEXT NOT NULL DEFAULT 'received',
    assignee_id INTEGER REFERENCES users(id),
    destination_country TEXT NOT NULL,
    origin_country TEXT,
    sector TEXT,
    language TEXT NOT NULL,
    recruiter_name TEXT,
    recruiter_norm TEXT,
    recruiter_licence TEXT,
    employer_name TEXT,
    employer_norm TEXT,
    employer_licence TEXT,
    may_refer_inspectorate INTEGER NOT NULL,
    may_refer_ngo INTEGER NOT NULL,
    contact_wanted INTEGER NOT NULL,
    wage_minor INTEGER,
    wage_currency TEXT,
    search_text TEXT NOT NULL,
    acked_at INTEGER
);
CREATE INDEX cases_received ON cases (received_at);
CREATE INDEX cases_status ON cases (status);
CREATE INDEX cases_recruiter ON cases (recruiter_norm);
CREATE INDEX cases_recruiter_licence ON cases (recruiter_licence);
CREATE INDEX cases_employer ON cases (employer_norm);
CREATE INDEX cases_unacked ON cases (acked_at) WHERE acked_at IS NULL;

CREATE TABLE case_indicators (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    indicator TEXT NOT NULL,
    PRIMARY KEY (case_id, indicator)
);
CREATE INDEX case_indicators_by_indicator ON case_indicators (indicator);

-- Total recruitment fees and related costs of a case per currency (never converted).
CREATE TABLE case_fees (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    currency TEXT NOT NULL,
    total_minor INTEGER NOT NULL,
    PRIMARY KEY (case_id, currency)
);

-- The case history: receipt, status changes, assignment, notes, replies, referrals.
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    at INTEGER NOT NULL,
    actor TEXT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_by_case ON case_events (case_id, id);

-- Envelopes that did not open (kept so a later key import can retry them); never acknowledged.
CREATE TABLE undecryptable (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE,
    inbox_seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    error TEXT NOT NULL,
    envelope BLOB NOT NULL,
    disclosed_tags TEXT NOT NULL,
    disclosed_consent TEXT NOT NULL,
    referred_by TEXT,
    stored_at INTEGER NOT NULL
);
