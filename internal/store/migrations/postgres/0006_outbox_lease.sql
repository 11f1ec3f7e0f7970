-- A message is leased while a worker delivers it, as an alert
-- notification is: leased_until says until when, so that waking a peer's
-- queue does not hand a message in flight to a second worker.
ALTER TABLE outbox ADD COLUMN leased_until TEXT NOT NULL DEFAULT '';
-- Messages about emergency disclosures and urgent requests go first.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
-- A peer's queue, to wake it when the peer answers again.
CREATE INDEX outbox_peer ON outbox(recipient, next_attempt) WHERE delivered_at = '' AND expired_at = '';
-- A request's messages to a peer, to send them one after the other.
CREATE INDEX outbox_chain ON outbox(recipient, request_id, created_at) WHERE delivered_at = '' AND expired_at = '';
