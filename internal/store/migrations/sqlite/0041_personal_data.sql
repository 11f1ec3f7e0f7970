-- What personal data an item of evidence carries (art. 36), as JSON,
-- '' when unmarked; and the day its State's retention policy for
-- personal data ends its keeping, '' when none applies. The retention
-- loop disposes of an item on the earlier of it and retain_until.
ALTER TABLE evidence_items ADD COLUMN personal_data TEXT NOT NULL DEFAULT '';
ALTER TABLE evidence_items ADD COLUMN policy_until TEXT NOT NULL DEFAULT '';
CREATE INDEX evidence_policy_due ON evidence_items(policy_until) WHERE policy_until <> '' AND status <> 'disposed';
