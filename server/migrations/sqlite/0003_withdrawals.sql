-- A worker's request to withdraw a report she sent (PROTOCOL.md 13.5): the revealed withdrawal
-- secret, one row per organisation that holds the report, until it acknowledges it. At most 4
-- distinct secrets per report. Deleted with the report's mailbox. Kept column for column equal
-- to ../postgres/.
CREATE TABLE withdrawals (
    org_id TEXT NOT NULL,
    report_id TEXT NOT NULL,
    secret BLOB NOT NULL,
    at_hour BIGINT NOT NULL,
    acknowledged BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, report_id, secret)
);
