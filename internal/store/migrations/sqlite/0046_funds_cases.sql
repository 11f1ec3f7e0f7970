-- What an investigation of stolen funds keeps beside its records (arts.
-- 31, 40(3)). funds_mappings: the CSV column mappings a State's officials
-- save once and reuse for every statement of the same bank's layout;
-- mapping is records.Mapping as JSON. funds_rates: the exchange rates an
-- official loaded into a case, the value of one unit of rate_currency on
-- day in currency, as an exact decimal (no network call prices a
-- transfer). funds_traces: each trace run, with its options, its victim
-- payments and its result, as JSON, so that what a freezing request
-- rests on can be read again as it was.
CREATE TABLE funds_mappings (
    state TEXT NOT NULL,
    name TEXT NOT NULL,
    mapping TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (state, name)
);

CREATE TABLE funds_rates (
    case_id TEXT NOT NULL REFERENCES funds_cases (id),
    currency TEXT NOT NULL,
    day TEXT NOT NULL,
    rate_currency TEXT NOT NULL,
    per_unit TEXT NOT NULL,
    PRIMARY KEY (case_id, currency, day, rate_currency)
);

CREATE TABLE funds_traces (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES funds_cases (id),
    options TEXT NOT NULL,
    sources TEXT NOT NULL,
    result TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX funds_traces_by_case ON funds_traces (case_id, created_at);

-- A victim payment named by its reference (the end-to-end id, the
-- transaction hash), and a case's listings in order of id.
CREATE INDEX funds_transfers_by_reference ON funds_transfers (case_id, reference);
CREATE INDEX funds_transfers_by_case ON funds_transfers (case_id, id);
CREATE INDEX funds_accounts_by_case ON funds_accounts (case_id, id);
