-- The use reports a State that gave evidence asked of the State that
-- received it (art. 40(19), art. 36): the question, and the answer as it
-- arrived from the other node (its custody entries, inclusion proofs and
-- signed checkpoint), with whether it verified against that node's log
-- key, and why not if it did not.
CREATE TABLE use_reports (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    request_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    peer TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    status TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    problem TEXT NOT NULL,
    log_key TEXT NOT NULL,
    checkpoint_size INTEGER NOT NULL,
    report BLOB NOT NULL
);
CREATE INDEX use_reports_by_request ON use_reports (state, request_id, asked_at);
