-- The answers to API calls made with an Idempotency-Key, so that a client
-- retrying after a timeout gets the first answer instead of a second
-- effect. A key is an official's own: scoped by their State and id, the
-- method and the path. status is 0 while the first call is in flight;
-- claim names that call, so that only it stores or drops its answer.
-- response is sealed by the web layer with a key the database does not
-- hold. Rows older than a day are deleted as new ones are written.
CREATE TABLE idempotency_keys (
    state       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    key         TEXT NOT NULL,
    body_hash   TEXT NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    response    BLOB,
    claim       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    claimed_at  TEXT NOT NULL,
    PRIMARY KEY (state, user_id, method, path, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
