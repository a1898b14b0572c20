-- The organisation's OPRF budget (PROTOCOL.md 18.3): at most per_epoch of the requests the
-- relay queues for this organisation are answered in one escrow epoch (set with
-- `workvoice-desk escrow-budget`); escrow_oprf_spent counts what each epoch has used.
CREATE TABLE escrow_oprf_budget (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    per_epoch INTEGER NOT NULL
);
INSERT INTO escrow_oprf_budget (id, per_epoch) VALUES (1, 200);

CREATE TABLE escrow_oprf_spent (
    epoch INTEGER PRIMARY KEY,
    answered INTEGER NOT NULL
);
