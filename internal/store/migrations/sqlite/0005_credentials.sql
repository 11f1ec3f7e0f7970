-- Credentials that can be taken back. A token is named by the first 16
-- hex digits of its digest (never by its secret), expires, can be revoked,
-- and notes its last use (at most once a minute). An official can be
-- disabled. Tokens made before this migration expire 90 days after their
-- creation, like every token made after it.
ALTER TABLE tokens ADD COLUMN id TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN last_used_at TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN revoked_at TEXT NOT NULL DEFAULT '';
-- Who let the token be made: the administrator who issued the enrolment
-- code it was redeemed with, so that its holder can tell a token they did
-- not make.
ALTER TABLE tokens ADD COLUMN issued_by TEXT NOT NULL DEFAULT '';
UPDATE tokens SET id = substr(digest, 1, 16),
    expires_at = strftime('%Y-%m-%dT%H:%M:%S', created_at, '+90 days') || substr(created_at, 20);
CREATE UNIQUE INDEX tokens_by_id ON tokens(id);

ALTER TABLE users ADD COLUMN disabled_at TEXT NOT NULL DEFAULT '';

-- One-time enrolment codes: an administrator issues one for an official,
-- who redeems it once, within its day, for a token of their own. Only the
-- digest is kept.
CREATE TABLE enrolments (
    digest      TEXT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX enrolments_by_user ON enrolments(user_id);
