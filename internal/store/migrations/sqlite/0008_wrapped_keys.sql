-- The node's private keys are kept wrapped by its key keeper (a file in
-- the data directory, or a KMS), outside the database. Keys written by
-- earlier versions are in clear (wrapped = 0) until the node wraps them
-- at its next start.
ALTER TABLE node_keys ADD COLUMN wrapped INTEGER NOT NULL DEFAULT 0;
