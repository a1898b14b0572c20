-- Sign-in delays per (user name, client), kept across restarts (`login_guard.rs`). `client` is
-- the SHA-256 of a known-browser cookie this desk issued at an earlier sign-in of that user,
-- or '' for every browser it does not know. User names are stored lower-cased, whether or not
-- such a user exists.
CREATE TABLE sign_in_failures (
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    PRIMARY KEY (username, client)
);
CREATE INDEX sign_in_failures_by_age ON sign_in_failures (last_failure_at);

-- Browsers a caseworker signed in with, by SHA-256 of their known-browser cookie.
CREATE TABLE known_clients (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
