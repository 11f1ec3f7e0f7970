-- The logs of peers this node witnesses (C2SP tlog-witness): the latest
-- checkpoint of each it cosigned, by origin. A checkpoint that does not
-- extend it is refused, as a fork.
CREATE TABLE witnessed_logs (
    origin      TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    size        INTEGER NOT NULL,
    root        BLOB NOT NULL,
    checkpoint  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- The cosignatures of this node's checkpoints by each peer that witnesses
-- its log: the latest by each, with the checkpoint it cosigned.
CREATE TABLE tlog_cosignatures (
    witness     TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    checkpoint  TEXT NOT NULL,
    cosignature TEXT NOT NULL,
    at          TEXT NOT NULL
);
