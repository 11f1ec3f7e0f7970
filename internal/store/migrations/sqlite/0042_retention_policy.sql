-- Each State's retention policy for evidence that carries personal data
-- (art. 36): how many days after it reached the node an item is kept,
-- unless an earlier day is set for it; 0 days, or no row: no policy.
CREATE TABLE retention_policies (
    state              TEXT PRIMARY KEY,
    personal_data_days INTEGER NOT NULL,
    updated_at         TEXT NOT NULL,
    updated_by         TEXT NOT NULL
);
