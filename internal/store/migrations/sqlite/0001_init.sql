-- The node: which State it serves, and which States' views it holds.
CREATE TABLE node (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    home_state  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE hosted_states (
    code        TEXT PRIMARY KEY
);

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL,
    role        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
-- Only the SHA-256 digest of a token is kept.
CREATE TABLE tokens (
    digest      TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    label       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id);

-- One row per view of a request: holder is the State whose view it is.
CREATE TABLE requests (
    holder           TEXT NOT NULL,
    id               TEXT NOT NULL,
    kind             TEXT NOT NULL,
    requesting_state TEXT NOT NULL,
    requested_state  TEXT NOT NULL,
    state            TEXT NOT NULL,
    urgency          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    version          INTEGER NOT NULL,
    body             TEXT NOT NULL,
    PRIMARY KEY (holder, id)
);
CREATE INDEX requests_by_created ON requests(holder, created_at DESC, id DESC);

CREATE TABLE events (
    holder      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (holder, request_id, seq)
);

CREATE TABLE treaty_records (
    code        TEXT PRIMARY KEY,
    signed      TEXT NOT NULL DEFAULT '',
    signed_at   TEXT NOT NULL DEFAULT '',
    deposited   TEXT NOT NULL DEFAULT '',
    instrument  TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL
);
CREATE TABLE declarations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL,
    article     INTEGER NOT NULL,
    made_on     TEXT NOT NULL,
    text        TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX declarations_by_code ON declarations(code, id);
-- What a State has notified: central authority, 24/7 contact, languages.
CREATE TABLE profiles (
    code        TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- The audit log: append-only, ordered by seq without gaps. audit_head
-- hands out seq inside the writing transaction, so the order of seq is
-- the order of commit.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    record      BLOB NOT NULL,
    leaf_hash   BLOB NOT NULL
);
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         INTEGER NOT NULL
);
INSERT INTO audit_head (id, seq) VALUES (1, 0);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
