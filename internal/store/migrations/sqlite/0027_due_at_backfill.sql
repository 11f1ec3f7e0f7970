-- The deadlines of views stored before 0014 are filled in by a step in
-- Go (store.backfillDueAt): SQL cannot read a request's body.
SELECT 1;
