-- The vault: items of evidence attached to a request, in the view of the
-- State that holds them, and the stored pieces of their bytes.
CREATE TABLE evidence_items (
    id               TEXT PRIMARY KEY,
    state            TEXT NOT NULL,
    request_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    media_type       TEXT NOT NULL,
    size             BIGINT NOT NULL,
    received         BIGINT NOT NULL DEFAULT 0,
    segments         INTEGER NOT NULL DEFAULT 0,
    hash_state       BYTEA NOT NULL,
    sha256           TEXT NOT NULL DEFAULT '',
    collection       TEXT NOT NULL,
    status           TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    wrapped_identity BYTEA NOT NULL,
    retain_until     TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    available_at     TEXT NOT NULL DEFAULT '',
    disposed_at      TEXT NOT NULL DEFAULT '',
    disposed_by      TEXT NOT NULL DEFAULT '',
    damaged          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX evidence_by_request ON evidence_items(state, request_id, created_at);
-- The retention loop finds the items due for disposal (art. 36).
CREATE INDEX evidence_due ON evidence_items(retain_until) WHERE retain_until <> '' AND status <> 'disposed';
CREATE TABLE evidence_segments (
    item_id     TEXT NOT NULL REFERENCES evidence_items(id),
    idx         INTEGER NOT NULL,
    start_at    BIGINT NOT NULL,
    length      BIGINT NOT NULL,
    blob_key    TEXT NOT NULL,
    stored_size BIGINT NOT NULL,
    PRIMARY KEY (item_id, idx)
);
-- An item's custody is the audit records whose subject it is.
CREATE INDEX audit_by_subject ON audit(state, subject, seq);
