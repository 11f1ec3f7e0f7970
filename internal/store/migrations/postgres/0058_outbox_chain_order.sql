-- The first undelivered message of a request to a peer is looked up for
-- each due message (DueMessages, ClaimDueMessages), by the recipient and
-- the request, in the order of creation then id. This index holds all of
-- it, so the lookup reads one entry and sorts nothing. The index it
-- replaces lacked the id: with no statistics on a fast-growing outbox
-- (a burst, a peer's outage) and request ids as long as UUIDs, the
-- planner preferred outbox_peer, read every message queued for the peer
-- for each due one, and claimed nothing for minutes once some 20,000
-- were queued.
CREATE INDEX outbox_chain_order ON outbox(recipient, request_id, created_at, id) WHERE delivered_at = '' AND expired_at = '';
DROP INDEX outbox_chain;
