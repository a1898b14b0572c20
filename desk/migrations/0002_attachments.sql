-- Evidence kept at the desk: each attachment of a case, downloaded and opened before the case
-- is acknowledged, so it outlives the relay's copy. The whole database is sealed (SQLCipher).
-- `content` is NULL when the attachment can never be had (`problem` says why: the relay does
-- not know it, or it does not open with the key in the report).
CREATE TABLE attachments (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    attachment_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    content BLOB,
    problem TEXT,
    stored_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, attachment_id),
    CHECK ((content IS NULL) <> (problem IS NULL))
);
