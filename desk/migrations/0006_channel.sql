-- The channel each case came through (`Report::channel`, PROTOCOL.md 4.1): `app`, `sms`, or
-- `unknown` for a channel newer than this desk. Cases stored before this migration get theirs
-- from the report they hold: absent is the app.
ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT 'app';
UPDATE cases SET channel = CASE
    WHEN json_valid(CAST(plaintext AS TEXT)) = 0 THEN 'app'
    ELSE CASE coalesce(json_extract(CAST(plaintext AS TEXT), '$.channel'), 'app')
        WHEN 'app' THEN 'app'
        WHEN 'sms' THEN 'sms'
        ELSE 'unknown'
    END
END;
