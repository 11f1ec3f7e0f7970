-- The audit records become the leaves of a Merkle log (internal/tlog).
-- A record is written in its change's transaction with a row in
-- tlog_pending; the log's integrator gives it its leaf index afterwards,
-- in batches, in the order it finds them. audit_head, a row every writer
-- updated, goes: no write waits on one row any more. SQLite gives a new
-- record seq = the largest + 1, as the audit log never deletes.
DROP TABLE audit_head;

-- Records written and not yet in the tree. The records of earlier
-- versions go in in the order of their sequence numbers.
CREATE TABLE tlog_pending (
    seq         INTEGER PRIMARY KEY
);
INSERT INTO tlog_pending (seq) SELECT seq FROM audit;

-- The leaves: the record at each leaf index, and the SHA-256 of its
-- canonical bytes, which its entry names.
CREATE TABLE tlog_leaves (
    idx         INTEGER PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE,
    record_hash BLOB NOT NULL
);
-- The tree's hashes, at x/mod/sumdb/tlog's stored hash indexes: every
-- leaf hash and the hash of every complete subtree.
CREATE TABLE tlog_hashes (
    idx         INTEGER PRIMARY KEY,
    hash        BLOB NOT NULL
);
-- The tree's size and root, its origin, and its latest signed checkpoint.
CREATE TABLE tlog_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    origin      TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0,
    root        BLOB NOT NULL DEFAULT X'',
    checkpoint  TEXT NOT NULL DEFAULT '',
    signed_at   TEXT NOT NULL DEFAULT ''
);
INSERT INTO tlog_head (id) VALUES (1);
CREATE TRIGGER tlog_leaves_no_update BEFORE UPDATE ON tlog_leaves
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER tlog_leaves_no_delete BEFORE DELETE ON tlog_leaves
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER tlog_hashes_no_update BEFORE UPDATE ON tlog_hashes
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER tlog_hashes_no_delete BEFORE DELETE ON tlog_hashes
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;

-- The live feed of alerts orders events by a counter of its own, taken
-- only by the transactions that change an alert, now that the audit's
-- sequence numbers need not follow the order of commit.
CREATE TABLE alert_feed_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         INTEGER NOT NULL
);
INSERT INTO alert_feed_head (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM alert_events;

-- Every record goes to the integrator: a trigger, so that no writer of
-- the audit log can forget it.
CREATE TRIGGER audit_to_tlog AFTER INSERT ON audit
BEGIN INSERT INTO tlog_pending (seq) VALUES (NEW.seq); END;
