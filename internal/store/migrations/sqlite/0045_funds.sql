-- Fund tracing (arts. 31, 40(3), 49-52). A case is one State's
-- investigation of where stolen funds went; its records are imports of
-- evidence items (bank statements, payment messages, blockchain
-- transfers), each kept with the item and the exact record it came from.
-- Accounts are merged within a case by their key, so that the same
-- account seen in two States' records is one node of the graph.
CREATE TABLE funds_cases (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX funds_cases_by_state ON funds_cases (state, created_at);

-- One file of records read from one evidence item into a case, whole or
-- not at all. format is the parser's name; mapping the CSV column mapping
-- used, by name (empty for the other formats).
CREATE TABLE funds_imports (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES funds_cases (id),
    request_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    mapping TEXT NOT NULL,
    transfers INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (case_id, item_id)
);

-- key is funds.Account.Key(); jurisdiction_source says where the
-- jurisdiction came from: iban, bic, official or empty when unknown.
CREATE TABLE funds_accounts (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES funds_cases (id),
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    ident TEXT NOT NULL,
    bank TEXT NOT NULL,
    holder TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    jurisdiction_source TEXT NOT NULL,
    UNIQUE (case_id, key)
);

-- at_us is the transfer's time in microseconds since 1970 UTC, so that
-- the two indexes below give an account's movements in order of time.
CREATE TABLE funds_transfers (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES funds_cases (id),
    import_id TEXT NOT NULL REFERENCES funds_imports (id),
    from_account INTEGER NOT NULL REFERENCES funds_accounts (id),
    to_account INTEGER NOT NULL REFERENCES funds_accounts (id),
    amount TEXT NOT NULL,
    micros INTEGER NOT NULL,
    currency TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    reference TEXT NOT NULL,
    locator TEXT NOT NULL
);
CREATE INDEX funds_transfers_out ON funds_transfers (from_account, at_us, id);
CREATE INDEX funds_transfers_in ON funds_transfers (to_account, at_us, id);
CREATE INDEX funds_transfers_by_import ON funds_transfers (import_id);

-- Balances a statement gives (camt.053's opening balance).
CREATE TABLE funds_balances (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES funds_cases (id),
    import_id TEXT NOT NULL REFERENCES funds_imports (id),
    account INTEGER NOT NULL REFERENCES funds_accounts (id),
    amount TEXT NOT NULL,
    micros INTEGER NOT NULL,
    currency TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    locator TEXT NOT NULL
);
CREATE INDEX funds_balances_by_account ON funds_balances (account, at_us);
