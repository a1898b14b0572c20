-- The organisation's step of the chained OPRF (PROTOCOL.md 18.3): the relay's evaluation of a
-- phone's blinded element, queued for the organisation (state 0), answered (1, with its
-- evaluation) or refused (2); deleted with its epoch. Nothing in it names the phone or the
-- recruiter. Kept column for column equal to ../postgres/.
CREATE TABLE escrow_oprf_requests (
    request_id BLOB PRIMARY KEY,
    org_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    element BLOB NOT NULL,
    state BIGINT NOT NULL DEFAULT 0,
    evaluated BLOB
);
CREATE INDEX escrow_oprf_requests_org ON escrow_oprf_requests (org_id, state, epoch);
