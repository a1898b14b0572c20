-- Reporting escrow (PROTOCOL.md 18). The organisation's OPRF seed, sealed under the
-- passphrase-derived master key like the other secrets; each epoch's key is derived from it.
CREATE TABLE escrow_oprf (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed_seed BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- Released escrow groups opened at this desk, by tag (hex). acked_at: when the relay was told.
CREATE TABLE escrow_groups (
    tag TEXT PRIMARY KEY,
    threshold INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    acked_at INTEGER
);

-- Each submission of a group: its source pseudonym (distinct sources = distinct devices), the
-- case it opened as or the error code, and its bytes (a part of the group released later opens
-- with the shares stored here).
CREATE TABLE escrow_members (
    escrow_id TEXT PRIMARY KEY,
    tag TEXT NOT NULL REFERENCES escrow_groups(tag),
    source TEXT NOT NULL,
    case_id INTEGER REFERENCES cases(id),
    error TEXT,
    escrow BLOB NOT NULL
);
CREATE INDEX escrow_members_by_case ON escrow_members (case_id);
CREATE INDEX escrow_members_by_tag ON escrow_members (tag);

-- The relay's total of unreleased escrow submissions at the last sync (never per recruiter).
ALTER TABLE sync_state ADD COLUMN escrow_pending INTEGER;
