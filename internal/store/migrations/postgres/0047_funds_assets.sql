-- The recovery of the assets a fund-tracing case found (arts. 31, 49-52).
-- An asset is traced funds at an account, or other property, in one
-- State (jurisdiction), in one currency; state is the State whose case it
-- is, the only one that reads it. Amounts are millionths of currency.
-- status is the latest step; funds_asset_events keeps every step, the
-- history a court reads. trace_id and account_id say where a trace found
-- it; (case_id, trace_id, account_id) is unique, so that drafting the
-- freezing requests of one trace twice finds the assets of the first time.
CREATE TABLE funds_assets (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES funds_cases (id),
    state TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    account_id BIGINT REFERENCES funds_accounts (id),
    description TEXT NOT NULL,
    currency TEXT NOT NULL,
    traced_micros BIGINT NOT NULL,
    frozen_micros BIGINT NOT NULL,
    confiscated_micros BIGINT NOT NULL,
    returned_micros BIGINT NOT NULL,
    expenses_micros BIGINT NOT NULL,
    compensated_micros BIGINT NOT NULL,
    status TEXT NOT NULL,
    freezing_request_id TEXT NOT NULL,
    confiscation_request_id TEXT NOT NULL,
    return_request_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX funds_assets_by_case ON funds_assets (state, case_id, created_at);
CREATE UNIQUE INDEX funds_assets_of_trace ON funds_assets (case_id, trace_id, account_id) WHERE trace_id <> '' AND account_id IS NOT NULL;
CREATE INDEX funds_assets_by_freezing_request ON funds_assets (state, freezing_request_id) WHERE freezing_request_id <> '';

-- victims is a JSON array of {reference, amount}, at a return only.
CREATE TABLE funds_asset_events (
    asset_id TEXT NOT NULL REFERENCES funds_assets (id),
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    amount_micros BIGINT NOT NULL,
    expenses_micros BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    note TEXT NOT NULL,
    victims TEXT NOT NULL,
    by_official TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (asset_id, seq)
);
