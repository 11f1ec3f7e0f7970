-- When this State's view arrived on its node: drafted there, or received
-- from the requesting State (its delivery, the second event of a received
-- view). The listing shows new arrivals first; created_at stays the
-- requesting State's draft time.
ALTER TABLE requests ADD COLUMN arrived_at TEXT NOT NULL DEFAULT '';
UPDATE requests SET arrived_at = COALESCE(
    (SELECT e.at FROM events e WHERE e.holder = requests.holder AND e.request_id = requests.id AND e.seq = 2),
    created_at)
WHERE holder <> requesting_state;
UPDATE requests SET arrived_at = created_at WHERE holder = requesting_state;
-- The view's nearest deadline: the end of a preservation (art. 42), empty
-- when there is none.
ALTER TABLE requests ADD COLUMN due_at TEXT NOT NULL DEFAULT '';
CREATE INDEX requests_by_arrival ON requests(holder, arrived_at DESC, id DESC);
