-- Signing in to the web UI. An official who redeemed an enrolment code
-- there has a password (an argon2id PHC string, never the password) and a
-- TOTP secret. totp_last_step is the last time step a code was accepted
-- for, so that a code is used once. failures counts the failed sign-ins
-- since the last success; locked_until is set when they reach the limit.
CREATE TABLE signin_credentials (
    user_id        TEXT PRIMARY KEY REFERENCES users(id),
    state          TEXT NOT NULL,
    password       TEXT NOT NULL,
    totp_secret    TEXT NOT NULL,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    failures       INTEGER NOT NULL DEFAULT 0,
    locked_until   TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- Sessions of the web UI: only the digest of the cookie's value is kept.
-- A session ends at expires_at, when its official signs out (ended_at),
-- or when the official is disabled.
CREATE TABLE signin_sessions (
    digest     TEXT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users(id),
    state      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX signin_sessions_by_user ON signin_sessions(user_id);
