-- Reply channels of released escrowed reports (PROTOCOL.md 18.8): each released escrow
-- submission may name, once, the report it held and that report's mailbox token hash; the
-- mailbox itself goes in mailboxes and the organisation's route in report_routes, as for a
-- plain submission. Deleted with the mailbox. Kept column for column equal to ../sqlite/.
CREATE TABLE escrow_reports (
    escrow_id BYTEA PRIMARY KEY,
    org_id TEXT NOT NULL,
    report_id TEXT NOT NULL UNIQUE,
    token_hash BYTEA NOT NULL
);
