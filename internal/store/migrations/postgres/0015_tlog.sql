-- The audit records become the leaves of a Merkle log (internal/tlog).
-- A record is written in its change's transaction with a row in
-- tlog_pending; the log's integrator gives it its leaf index afterwards,
-- in batches, in the order it finds them. audit_head, a row every writer
-- locked until commit, goes: a record's seq now comes from a sequence,
-- which no writer waits on; its place in the log is its leaf index.
DROP TABLE audit_head;
CREATE SEQUENCE audit_seq OWNED BY audit.seq;
SELECT setval('audit_seq', COALESCE((SELECT MAX(seq) FROM audit), 0) + 1, false);
ALTER TABLE audit ALTER COLUMN seq SET DEFAULT nextval('audit_seq');

-- Records written and not yet in the tree. The records of earlier
-- versions go in in the order of their sequence numbers.
CREATE TABLE tlog_pending (
    seq         BIGINT PRIMARY KEY
);
INSERT INTO tlog_pending (seq) SELECT seq FROM audit;

-- The leaves: the record at each leaf index, and the SHA-256 of its
-- canonical bytes, which its entry names.
CREATE TABLE tlog_leaves (
    idx         BIGINT PRIMARY KEY,
    seq         BIGINT NOT NULL UNIQUE,
    record_hash BYTEA NOT NULL
);
-- The tree's hashes, at x/mod/sumdb/tlog's stored hash indexes: every
-- leaf hash and the hash of every complete subtree.
CREATE TABLE tlog_hashes (
    idx         BIGINT PRIMARY KEY,
    hash        BYTEA NOT NULL
);
-- The tree's size and root, its origin, and its latest signed checkpoint.
CREATE TABLE tlog_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    origin      TEXT NOT NULL DEFAULT '',
    size        BIGINT NOT NULL DEFAULT 0,
    root        BYTEA NOT NULL DEFAULT ''::bytea,
    checkpoint  TEXT NOT NULL DEFAULT '',
    signed_at   TEXT NOT NULL DEFAULT ''
);
INSERT INTO tlog_head (id) VALUES (1);
CREATE TRIGGER tlog_leaves_no_change BEFORE UPDATE OR DELETE ON tlog_leaves
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER tlog_hashes_no_change BEFORE UPDATE OR DELETE ON tlog_hashes
FOR EACH ROW EXECUTE FUNCTION audit_append_only();

-- The live feed of alerts orders events by a counter of its own, taken
-- only by the transactions that change an alert, now that the audit's
-- sequence numbers need not follow the order of commit.
CREATE TABLE alert_feed_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL
);
INSERT INTO alert_feed_head (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM alert_events;

-- Every record goes to the integrator: a trigger, so that no writer of
-- the audit log can forget it.
CREATE FUNCTION audit_to_tlog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO tlog_pending (seq) VALUES (NEW.seq); RETURN NULL; END $$;
CREATE TRIGGER audit_to_tlog AFTER INSERT ON audit
FOR EACH ROW EXECUTE FUNCTION audit_to_tlog();
