-- The sending State's custody records of an item received from it, as
-- they arrived and were verified against that State's log key: the
-- message (records, inclusion proofs, signed checkpoint) and the key.
-- An evidence package of the receiving State carries them, so that its
-- court checks the collection against the sender's log, not the
-- receiver's word.
CREATE TABLE evidence_origin_custody (
    item_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    origin_state TEXT NOT NULL,
    log_key TEXT NOT NULL,
    custody BYTEA NOT NULL,
    received_at TEXT NOT NULL
);
