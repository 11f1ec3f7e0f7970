-- Of a request's messages to a peer only the first undelivered one may
-- go, so that they arrive in order. Finding that first message for every
-- request when messages are claimed read the whole queue on each claim:
-- 27 ms with 20,000 queued, once for each message delivered, so that a
-- backlog drained ever slower. The first message of each request now
-- carries head = 1, kept by the transactions that queue, deliver and give
-- up messages (Tx.advanceChains), and a claim reads only heads that are
-- due, by index, in the order it takes them.
ALTER TABLE outbox ADD COLUMN head INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET head = 1 WHERE delivered_at = '' AND expired_at = '' AND (request_id = '' OR id IN (
    SELECT DISTINCT ON (recipient, request_id) id FROM outbox
    WHERE request_id <> '' AND delivered_at = '' AND expired_at = ''
    ORDER BY recipient, request_id, created_at, id));
-- Each query on the queue is written so that one index, and one only,
-- serves it: with no statistics, or statistics from before a burst (say
-- that almost every message was delivered), the planner thinks every
-- partial index on the queue holds a row or so, and chooses between them
-- by their size. It chose outbox_chain_order to wake a peer's messages
-- and read them all, for every message delivered.
--   DueMessages, ClaimDueMessages and NextDue: outbox_head_due.
CREATE INDEX outbox_head_due ON outbox(priority DESC, next_attempt, created_at) WHERE head = 1 AND delivered_at = '' AND expired_at = '';
--   A request's queue to a peer (Tx.advanceChains): outbox_chain_first,
--   its head if it has one, else its first message. The request comes
--   first, so that a query on a peer's messages has only outbox_peer.
CREATE INDEX outbox_chain_first ON outbox(request_id, recipient, head DESC, created_at, id) WHERE delivered_at = '' AND expired_at = '';
--   A peer's messages waiting out a failed attempt (Tx.WakePeer, once for
--   each message delivered): outbox_backoff, empty but in an outage, and
--   so the smallest index the planner may choose for it.
CREATE INDEX outbox_backoff ON outbox(recipient, next_attempt) WHERE last_error <> '' AND delivered_at = '' AND expired_at = '';
-- One head per request and peer at most: a defect that would let two of a
-- request's messages go at once fails its transaction instead.
CREATE UNIQUE INDEX outbox_chain_head ON outbox(request_id, recipient) WHERE head = 1 AND request_id <> '' AND delivered_at = '' AND expired_at = '';
DROP INDEX outbox_due;
DROP INDEX outbox_chain_order;
