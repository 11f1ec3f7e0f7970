-- The same transfer in two States' records (the payer's bank statement
-- and the payee's) is one transfer of the case, not two: a trace would
-- otherwise count its funds twice. funds_transfer_records keeps every
-- further record of a transfer, with the import (and so the evidence
-- item) and the place in the file it came from. matched counts the
-- transfers of an import that were already in the case.
CREATE TABLE funds_transfer_records (
    transfer_id BIGINT NOT NULL REFERENCES funds_transfers (id),
    import_id TEXT NOT NULL REFERENCES funds_imports (id),
    locator TEXT NOT NULL,
    reference TEXT NOT NULL,
    at_us BIGINT NOT NULL,
    PRIMARY KEY (transfer_id, import_id, locator)
);
CREATE INDEX funds_transfer_records_by_import ON funds_transfer_records (import_id);
ALTER TABLE funds_imports ADD COLUMN matched BIGINT NOT NULL DEFAULT 0;
