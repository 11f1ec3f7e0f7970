-- Since when the node publishes its State's transparency report; empty
-- while it does not. A State may not want to publish before it ratifies:
-- publication waits until an administrator switches it on.
ALTER TABLE node ADD COLUMN transparency_since TEXT NOT NULL DEFAULT '';
