-- The highest revocation-list serial this desk has verified in a directory (`PROTOCOL.md` 10.4
-- steps 12-14). With `directory_version` it is the desk's directory pin: a listing without a
-- list, or with an older one, is refused once a list was seen.
ALTER TABLE sync_state ADD COLUMN revocation_serial INTEGER NOT NULL DEFAULT 0;
