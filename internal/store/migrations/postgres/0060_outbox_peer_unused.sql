-- outbox_peer served waking a peer's messages, which outbox_backoff now
-- serves (0059). Left in place, it was the planner's choice, with no
-- statistics, for finding a request's first message to a peer: it reads
-- every message queued for the peer, and then sorts them, where
-- outbox_chain_first reads one entry.
DROP INDEX outbox_peer;
