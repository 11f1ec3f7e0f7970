-- The node's keys. Private keys stay in the node's database, like the
-- rest of its secrets; they never leave it and are never logged.
CREATE TABLE node_keys (
    id          TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('signing', 'encryption')),
    public      BLOB NOT NULL,
    private     BLOB NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_until TEXT NOT NULL DEFAULT ''
);
ALTER TABLE node ADD COLUMN base_url TEXT NOT NULL DEFAULT '';

-- Other States' nodes, as their signed descriptors describe them.
CREATE TABLE peers (
    state       TEXT PRIMARY KEY,
    descriptor  TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Messages to other nodes, written in the transaction of the change they
-- carry, and the durable queue that delivers them: a row is due at
-- next_attempt until a receipt arrives or it expires.
CREATE TABLE outbox (
    id            TEXT PRIMARY KEY,
    recipient     TEXT NOT NULL,
    type          TEXT NOT NULL,
    request_id    TEXT NOT NULL DEFAULT '',
    envelope      BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    next_attempt  TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    delivered_at  TEXT NOT NULL DEFAULT '',
    expired_at    TEXT NOT NULL DEFAULT '',
    receipt       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(next_attempt) WHERE delivered_at = '' AND expired_at = '';

-- Messages received, by id: a duplicate is answered, never applied twice.
CREATE TABLE inbox (
    message_id  TEXT PRIMARY KEY,
    sender      TEXT NOT NULL,
    type        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- How many messages about a request each side has sent and applied, so
-- that messages apply in order whatever order they arrive in.
CREATE TABLE message_seq (
    request_id  TEXT NOT NULL,
    peer        TEXT NOT NULL,
    sent        INTEGER NOT NULL DEFAULT 0,
    applied     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (request_id, peer)
);
