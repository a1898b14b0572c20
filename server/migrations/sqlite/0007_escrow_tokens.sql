-- Anonymous escrow tokens per invite (PROTOCOL.md 18.12). Invites are kept only as their hash
-- (SHA-256 of a label and the invite), with the organisation that registered them and the hour.
-- Issuance records, per invite hash, epoch and purpose (1 oprf, 2 escrow), the SHA-256 of each
-- token request answered, so a re-sent request is answered again and counted once. Spends
-- record each redeemed token (its key id and nonce) with the epoch of its key, its purpose, the
-- request it paid for (binding: the escrow id, or SHA-256 of the blinded element) and, for an
-- OPRF request, the id of the queued request. Nothing here names a phone or links a spend to
-- an invite. Issuance and spends go with their epoch. Kept column for column equal to ../postgres/.
CREATE TABLE escrow_invites (
    invite_hash BLOB PRIMARY KEY,
    org_id TEXT NOT NULL,
    created_hour BIGINT NOT NULL
);
CREATE TABLE escrow_token_issuance (
    invite_hash BLOB NOT NULL,
    epoch BIGINT NOT NULL,
    purpose BIGINT NOT NULL,
    request_digest BLOB NOT NULL,
    PRIMARY KEY (invite_hash, epoch, purpose, request_digest)
);
CREATE INDEX escrow_token_issuance_epoch ON escrow_token_issuance (epoch);
CREATE TABLE escrow_token_spends (
    token_key_id BLOB NOT NULL,
    nonce BLOB NOT NULL,
    epoch BIGINT NOT NULL,
    purpose BIGINT NOT NULL,
    binding BLOB NOT NULL,
    request_id BLOB,
    PRIMARY KEY (token_key_id, nonce)
);
CREATE INDEX escrow_token_spends_epoch ON escrow_token_spends (epoch);
