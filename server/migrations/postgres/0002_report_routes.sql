-- After a report's ciphertext is purged, the relay keeps only which organisations hold it, so
-- they can still reply and set statuses for the life of its mailbox (the mailbox row keeps the
-- token hash). Deleted with the mailbox. Kept column for column equal to ../sqlite/.
CREATE TABLE report_routes (
    report_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    PRIMARY KEY (report_id, org_id)
);
