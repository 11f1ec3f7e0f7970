-- A request's messages to a peer go in the order they were queued, the
-- order of their sequence numbers, which the peer checks: not in the order
-- of their times, which replicas' clocks give, and which put a message
-- dated a second early by one ahead of those queued before it, to be
-- refused as out of order until it expired. queued numbers the messages
-- as they are queued; the messages already queued take the order of their
-- times.
ALTER TABLE outbox ADD COLUMN queued BIGINT NOT NULL DEFAULT 0;
UPDATE outbox SET queued = r.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM outbox) r WHERE outbox.id = r.id;
CREATE SEQUENCE outbox_queued OWNED BY outbox.queued;
SELECT setval('outbox_queued', COALESCE((SELECT MAX(queued) FROM outbox), 0) + 1, false);
ALTER TABLE outbox ALTER COLUMN queued SET DEFAULT nextval('outbox_queued');
CREATE INDEX outbox_chain_next ON outbox(request_id, recipient, head DESC, queued) WHERE delivered_at = '' AND expired_at = '';
DROP INDEX outbox_chain_first;
