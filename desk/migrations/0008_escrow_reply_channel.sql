-- The reply channel of an escrowed case (PROTOCOL.md 18.8, 18.11): the mailbox token hash its
-- escrowed report carried (hex), and whether the relay registered it: NULL not yet,
-- 'registered', or the relay's refusal code (the case then stays without a reply channel).
ALTER TABLE escrow_members ADD COLUMN mailbox_token_hash TEXT;
ALTER TABLE escrow_members ADD COLUMN reply_channel TEXT;
