-- Reporting escrow (PROTOCOL.md 18.8): escrow submissions, counted by distinct source per tag;
-- released (released = 1) when the tag reaches its threshold k, then listed to the
-- organisation until it acknowledges the group, when the ciphertext is emptied. Withdrawn
-- before release: the row is deleted. Kept column for column equal to ../sqlite/.
CREATE TABLE escrow_submissions (
    escrow_id BYTEA PRIMARY KEY,
    org_id TEXT NOT NULL,
    tag BYTEA NOT NULL,
    epoch BIGINT NOT NULL,
    threshold BIGINT NOT NULL,
    source BYTEA NOT NULL,
    withdrawal_hash BYTEA NOT NULL,
    request_hash BYTEA NOT NULL,
    bytes BYTEA NOT NULL,
    at_hour BIGINT NOT NULL,
    released BIGINT NOT NULL DEFAULT 0,
    acknowledged BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX escrow_submissions_source ON escrow_submissions (tag, source);
CREATE INDEX escrow_submissions_org ON escrow_submissions (org_id, released, acknowledged);
