-- When the evidence item an import was read from is disposed of (art.
-- 36: its retention ended), the case keeps no record read from it: its
-- transfers and balances go (a further record of the same transfer from
-- another item takes its place), and the import stays only as the
-- trace of what was, with the day it was disposed of.
ALTER TABLE funds_imports ADD COLUMN disposed_at TEXT NOT NULL DEFAULT '';
