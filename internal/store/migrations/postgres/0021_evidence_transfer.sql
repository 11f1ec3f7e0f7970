-- Items received from the other State of a request: that State, the
-- item's id on its node, and the SHA-256 it announced.
ALTER TABLE evidence_items ADD COLUMN origin_state TEXT NOT NULL DEFAULT '';
ALTER TABLE evidence_items ADD COLUMN origin_item TEXT NOT NULL DEFAULT '';
ALTER TABLE evidence_items ADD COLUMN expected_sha256 TEXT NOT NULL DEFAULT '';
CREATE INDEX evidence_by_origin ON evidence_items(state, origin_state, origin_item) WHERE origin_item <> '';
