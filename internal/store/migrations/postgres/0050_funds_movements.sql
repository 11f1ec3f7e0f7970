-- A trace reads an account's movements thousands of times: indexes that
-- hold every column it reads answer each from the index alone, without a
-- lookup of the table's row for each movement.
CREATE INDEX funds_transfers_out_all ON funds_transfers (from_account, at_us, id, to_account, micros, currency);
CREATE INDEX funds_transfers_in_all ON funds_transfers (to_account, at_us, id, from_account, micros, currency);
DROP INDEX funds_transfers_out;
DROP INDEX funds_transfers_in;
