package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"entraide/internal/funds"
)

// FundsCase is one State's investigation of where stolen funds went.
type FundsCase struct {
	ID        string    `json:"id"`
	State     string    `json:"state"`
	Title     string    `json:"title"`
	Reference string    `json:"reference"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// FundsImport is one file of records read from one evidence item into a
// case, whole.
type FundsImport struct {
	ID        string `json:"id"`
	CaseID    string `json:"case_id"`
	RequestID string `json:"request_id"`
	ItemID    string `json:"item_id"`
	// SHA256 is the item's hash when it was read: the file the
	// transfers came from, as a court can check it.
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	// Mapping names the CSV column mapping used; empty for the other
	// formats.
	Mapping   string `json:"mapping,omitempty"`
	Transfers int    `json:"transfers"`
	// Matched is how many of Transfers the case held already, from
	// another State's record of the same transfer: each became a further
	// record of that transfer, not a second one.
	Matched    int       `json:"matched"`
	ImportedBy string    `json:"imported_by"`
	ImportedAt time.Time `json:"imported_at"`
	// DisposedAt is when the item was disposed of (art. 36) and the
	// records read from it left the case; nil while they are in it.
	DisposedAt *time.Time `json:"disposed_at,omitempty"`
}

// FundsAccount is one account of a case: every record that names it,
// from any State, is merged into it by funds.Account.Key.
type FundsAccount struct {
	ID      funds.AccountID `json:"id"`
	CaseID  string          `json:"case_id"`
	Key     string          `json:"key"`
	Account funds.Account   `json:"account"`
	// JurisdictionSource says where Account.Jurisdiction came from:
	// "iban", "bic", "statement" (cash and charges: the State of the
	// statement's account), "official" (set by an official, never overwritten
	// by an import), or empty when it is unknown.
	JurisdictionSource string `json:"jurisdiction_source,omitempty"`
	// Totals are the account's transfers in and out, per currency, in
	// millionths; only listings fill them.
	Totals []FundsTotal `json:"totals,omitempty"`
}

// FundsTotal is what an account received and paid in one currency, in
// millionths of it.
type FundsTotal struct {
	Currency string `json:"currency"`
	In       int64  `json:"in"`
	Out      int64  `json:"out"`
}

// FundsTransfer is one transfer of a case, with the record and the
// evidence item it came from.
type FundsTransfer struct {
	ID        funds.TransferID `json:"id"`
	CaseID    string           `json:"case_id"`
	ImportID  string           `json:"import_id"`
	RequestID string           `json:"request_id"`
	ItemID    string           `json:"item_id"`
	From      funds.AccountID  `json:"from"`
	To        funds.AccountID  `json:"to"`
	Amount    string           `json:"amount"`
	Micros    int64            `json:"micros"`
	Currency  string           `json:"currency"`
	At        time.Time        `json:"at"`
	Reference string           `json:"reference,omitempty"`
	Locator   string           `json:"locator"`
	// AlsoIn are the further records of the same transfer, from other
	// imports (the payee's statement beside the payer's); only
	// FundsTransfersByID fills them.
	AlsoIn []FundsRecord `json:"also_in,omitempty"`
}

// FundsRecord is one further record of a transfer: the import, and so
// the evidence item, and the place in its file.
type FundsRecord struct {
	ImportID  string    `json:"import_id"`
	RequestID string    `json:"request_id"`
	ItemID    string    `json:"item_id"`
	Locator   string    `json:"locator"`
	Reference string    `json:"reference,omitempty"`
	At        time.Time `json:"at"`
}

// MatchWindow is how far apart two records of the same transfer may
// date it: the payer's bank books it on one day, the payee's on a later
// one (value dates, cut-off times, cross-border settlement).
const MatchWindow = 3 * 24 * time.Hour

// FundsTrace is a trace run in a case. Listings leave Result nil.
type FundsTrace struct {
	ID        string             `json:"id"`
	CaseID    string             `json:"case_id"`
	Options   funds.Options      `json:"options"`
	Sources   []funds.TransferID `json:"sources"`
	Result    *funds.Result      `json:"result,omitempty"`
	CreatedBy string             `json:"created_by"`
	CreatedAt time.Time          `json:"created_at"`
}

// FundsMapping is a CSV column mapping a State's officials saved under a
// name; Mapping is its JSON, which the parser reads.
type FundsMapping struct {
	Name      string          `json:"name"`
	Mapping   json.RawMessage `json:"mapping"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
}

// ErrFundsImported is returned by ImportFunds for an evidence item
// already imported into the case: its transfers would count twice.
var ErrFundsImported = errors.New("evidence item already imported into the case")

// JurisdictionFunc gives the State an account is in, and where that
// came from ("iban", "bic"), or "", "" when its records do not say.
type JurisdictionFunc func(funds.Account) (state, source string)

// JurisdictionOfficial is the source of a jurisdiction an official set:
// no import overwrites it.
const JurisdictionOfficial = "official"

// JurisdictionStatement is the source of the jurisdiction of an account
// a statement gives no identifier of its own (cash withdrawn, the bank's
// charges): that of the statement's account.
const JurisdictionStatement = "statement"

const fundsCaseColumns = `id, state, title, reference, created_by, created_at`

func scanFundsCase(row scanner) (FundsCase, error) {
	var c FundsCase
	var at string
	err := row.Scan(&c.ID, &c.State, &c.Title, &c.Reference, &c.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.CreatedAt, err = parseTime(at)
	return c, err
}

// InsertFundsCase stores a new case of c.State.
func (tx *Tx) InsertFundsCase(ctx context.Context, c FundsCase) error {
	_, err := tx.exec(ctx, `INSERT INTO funds_cases (`+fundsCaseColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.State, c.Title, c.Reference, c.CreatedBy, formatTime(c.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("funds case %s: %w", c.ID, ErrExists)
	}
	return err
}

// FundsCases lists state's cases, newest first.
func (db *DB) FundsCases(ctx context.Context, state string) ([]FundsCase, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+fundsCaseColumns+` FROM funds_cases WHERE state = ? ORDER BY created_at DESC, id DESC`), state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []FundsCase{}
	for rows.Next() {
		c, err := scanFundsCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// FundsCase returns state's case id; ErrNotFound if state has none of
// that id, another State's case included.
func (db *DB) FundsCase(ctx context.Context, state, id string) (FundsCase, error) {
	return scanFundsCase(db.read.QueryRowContext(ctx, db.bind(`SELECT `+fundsCaseColumns+` FROM funds_cases WHERE id = ? AND state = ?`), id, state))
}

// FundsCase returns state's case id inside tx, locked until tx ends.
func (tx *Tx) FundsCase(ctx context.Context, state, id string) (FundsCase, error) {
	return scanFundsCase(tx.queryRow(ctx, `SELECT `+fundsCaseColumns+` FROM funds_cases WHERE id = ? AND state = ?`+tx.dialect.forUpdate, id, state))
}

// ImportFunds stores imp and the records it read into state's case
// imp.CaseID, whole: its accounts merged into the case's by key (a
// holder fills one still empty; a jurisdiction from jurisdictionOf
// replaces one not set by an official), its transfers and its balances.
// It returns the number of accounts the case did not have before, and
// how many of the transfers it held already from other records. An
// item imported into the case already is refused with an error matching
// ErrFundsImported; a case state does not hold, with ErrNotFound.
func (tx *Tx) ImportFunds(ctx context.Context, state string, imp FundsImport, recs funds.Records, jurisdictionOf JurisdictionFunc) (added, matched int, err error) {
	if _, err := tx.FundsCase(ctx, state, imp.CaseID); err != nil {
		return 0, 0, err
	}
	var prior string
	err = tx.queryRow(ctx, `SELECT id FROM funds_imports WHERE case_id = ? AND item_id = ?`, imp.CaseID, imp.ItemID).Scan(&prior)
	switch {
	case err == nil:
		return 0, 0, fmt.Errorf("item %s was imported into case %s already (import %s): %w", imp.ItemID, imp.CaseID, prior, ErrFundsImported)
	case !errors.Is(err, sql.ErrNoRows):
		return 0, 0, err
	}
	imp.Transfers = len(recs.Transfers)
	_, err = tx.exec(ctx, `INSERT INTO funds_imports (id, case_id, request_id, item_id, sha256, format, mapping, transfers, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		imp.ID, imp.CaseID, imp.RequestID, imp.ItemID, imp.SHA256, imp.Format, imp.Mapping, imp.Transfers, imp.ImportedBy, formatTime(imp.ImportedAt))
	if isUniqueViolation(err) {
		return 0, 0, fmt.Errorf("item %s was imported into case %s already: %w", imp.ItemID, imp.CaseID, ErrFundsImported)
	}
	if err != nil {
		return 0, 0, err
	}
	var before int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM funds_accounts WHERE case_id = ?`, imp.CaseID).Scan(&before); err != nil {
		return 0, 0, err
	}
	ids := map[string]int64{}
	account := func(a funds.Account) (int64, error) {
		key := a.Key()
		if id, ok := ids[key]; ok {
			return id, nil
		}
		jur, source := "", ""
		if jurisdictionOf != nil {
			jur, source = jurisdictionOf(a)
		}
		if jur == "" && a.Jurisdiction != "" {
			// Cash withdrawn and the bank's charges: the parser puts
			// them in the State of the statement's own account.
			jur, source = a.Jurisdiction, JurisdictionStatement
		}
		if jur == "" {
			source = ""
		}
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO funds_accounts (case_id, key, kind, ident, bank, holder, jurisdiction, jurisdiction_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (case_id, key) DO UPDATE SET
				holder = CASE WHEN funds_accounts.holder = '' THEN excluded.holder ELSE funds_accounts.holder END,
				bank = CASE WHEN funds_accounts.bank = '' THEN excluded.bank ELSE funds_accounts.bank END,
				jurisdiction = CASE WHEN funds_accounts.jurisdiction_source = 'official' OR excluded.jurisdiction = '' THEN funds_accounts.jurisdiction ELSE excluded.jurisdiction END,
				jurisdiction_source = CASE WHEN funds_accounts.jurisdiction_source = 'official' OR excluded.jurisdiction = '' THEN funds_accounts.jurisdiction_source ELSE excluded.jurisdiction_source END
			RETURNING id`,
			imp.CaseID, key, string(a.Kind), a.ID, a.Bank, a.Holder, jur, source).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("account %s: %w", key, err)
		}
		ids[key] = id
		return id, nil
	}
	for _, t := range recs.Transfers {
		from, err := account(t.From)
		if err != nil {
			return 0, 0, err
		}
		to, err := account(t.To)
		if err != nil {
			return 0, 0, err
		}
		same, err := tx.sameTransfer(ctx, imp.ID, from, to, t)
		if err != nil {
			return 0, 0, fmt.Errorf("transfer at %s: %w", t.Locator, err)
		}
		if same != 0 {
			_, err = tx.exec(ctx, `INSERT INTO funds_transfer_records (transfer_id, import_id, locator, reference, at_us) VALUES (?, ?, ?, ?, ?)`,
				same, imp.ID, t.Locator, t.Reference, t.At.UnixMicro())
			if err != nil {
				return 0, 0, fmt.Errorf("transfer at %s: %w", t.Locator, err)
			}
			matched++
			continue
		}
		_, err = tx.exec(ctx, `INSERT INTO funds_transfers (case_id, import_id, from_account, to_account, amount, micros, currency, at_us, reference, locator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			imp.CaseID, imp.ID, from, to, t.Amount, t.Micros, t.Currency, t.At.UnixMicro(), t.Reference, t.Locator)
		if err != nil {
			return 0, 0, fmt.Errorf("transfer at %s: %w", t.Locator, err)
		}
	}
	for _, b := range recs.Balances {
		id, err := account(b.Account)
		if err != nil {
			return 0, 0, err
		}
		_, err = tx.exec(ctx, `INSERT INTO funds_balances (case_id, import_id, account, amount, micros, currency, at_us, locator) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			imp.CaseID, imp.ID, id, b.Amount, b.Micros, b.Currency, b.At.UnixMicro(), b.Locator)
		if err != nil {
			return 0, 0, fmt.Errorf("balance at %s: %w", b.Locator, err)
		}
	}
	if _, err := tx.exec(ctx, `UPDATE funds_imports SET matched = ? WHERE id = ?`, matched, imp.ID); err != nil {
		return 0, 0, err
	}
	var after int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM funds_accounts WHERE case_id = ?`, imp.CaseID).Scan(&after); err != nil {
		return 0, 0, err
	}
	return after - before, matched, nil
}

// sameTransfer returns the transfer of another import that t records
// again, or 0: the same payer and payee accounts, currency and amount,
// dated within MatchWindow, not yet matched to a record of this import
// (two equal payments in one file are two payments). Between wallets,
// where both records give the transaction hash, the hashes must agree.
// Of several, the nearest in time is taken. A transfer recorded in two
// currencies (converted by a bank on the way) is not matched: the two
// records stay two transfers, which the official sees in the accounts'
// totals.
func (tx *Tx) sameTransfer(ctx context.Context, importID string, from, to int64, t funds.Transfer) (int64, error) {
	at := t.At.UnixMicro()
	window := MatchWindow.Microseconds()
	q := `SELECT t.id FROM funds_transfers t
		WHERE t.from_account = ? AND t.to_account = ? AND t.at_us BETWEEN ? AND ?
		AND t.currency = ? AND t.micros = ? AND t.import_id <> ?
		AND NOT EXISTS (SELECT 1 FROM funds_transfer_records r WHERE r.transfer_id = t.id AND r.import_id = ?)`
	args := []any{from, to, at - window, at + window, t.Currency, t.Micros, importID, importID}
	if t.From.Kind == funds.Wallet && t.To.Kind == funds.Wallet && t.Reference != "" {
		q += ` AND (t.reference = '' OR t.reference = ?)`
		args = append(args, t.Reference)
	}
	q += ` ORDER BY CASE WHEN t.at_us > ? THEN t.at_us - ? ELSE ? - t.at_us END, t.id LIMIT 1`
	args = append(args, at, at, at)
	var id int64
	err := tx.queryRow(ctx, q, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

const fundsImportColumns = `id, case_id, request_id, item_id, sha256, format, mapping, transfers, matched, imported_by, imported_at, disposed_at`

// FundsImports lists the imports of state's case, oldest first.
func (db *DB) FundsImports(ctx context.Context, state, caseID string) ([]FundsImport, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+fundsImportColumns+` FROM funds_imports
		WHERE case_id = ? AND case_id IN (SELECT id FROM funds_cases WHERE state = ?) ORDER BY imported_at, id`), caseID, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []FundsImport{}
	for rows.Next() {
		var i FundsImport
		var at, disposed string
		if err := rows.Scan(&i.ID, &i.CaseID, &i.RequestID, &i.ItemID, &i.SHA256, &i.Format, &i.Mapping, &i.Transfers, &i.Matched, &i.ImportedBy, &at, &disposed); err != nil {
			return nil, err
		}
		if i.ImportedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		if disposed != "" {
			d, err := parseTime(disposed)
			if err != nil {
				return nil, err
			}
			i.DisposedAt = &d
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// FundsCounts returns how many accounts and transfers state's case holds.
func (db *DB) FundsCounts(ctx context.Context, state, caseID string) (accounts, transfers int64, err error) {
	err = db.read.QueryRowContext(ctx, db.bind(`SELECT
		(SELECT COUNT(*) FROM funds_accounts WHERE case_id = c.id),
		(SELECT COUNT(*) FROM funds_transfers WHERE case_id = c.id)
		FROM funds_cases c WHERE c.id = ? AND c.state = ?`), caseID, state).Scan(&accounts, &transfers)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	return accounts, transfers, err
}

const fundsAccountColumns = `id, case_id, key, kind, ident, bank, holder, jurisdiction, jurisdiction_source`

func scanFundsAccount(row scanner) (FundsAccount, error) {
	var a FundsAccount
	var kind string
	err := row.Scan(&a.ID, &a.CaseID, &a.Key, &kind, &a.Account.ID, &a.Account.Bank, &a.Account.Holder, &a.Account.Jurisdiction, &a.JurisdictionSource)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	a.Account.Kind = funds.AccountKind(kind)
	return a, err
}

// inCase restricts a query on a table with a case_id to the cases of the
// State given as its argument.
const inCase = ` AND case_id IN (SELECT id FROM funds_cases WHERE state = ?)`

// FundsAccounts returns up to limit of the accounts of state's case whose
// id follows after, in order of id, each with its totals in and out per
// currency.
func (db *DB) FundsAccounts(ctx context.Context, state, caseID string, after int64, limit int) ([]FundsAccount, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+fundsAccountColumns+` FROM funds_accounts WHERE case_id = ? AND id > ?`+inCase+` ORDER BY id LIMIT ?`),
		caseID, after, state, limit)
	if err != nil {
		return nil, err
	}
	out, err := collectAccounts(rows)
	if err != nil || len(out) == 0 {
		return out, err
	}
	return out, db.accountTotals(ctx, out)
}

func collectAccounts(rows *sql.Rows) ([]FundsAccount, error) {
	defer rows.Close()
	out := []FundsAccount{}
	for rows.Next() {
		a, err := scanFundsAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// accountTotals fills the totals of accounts, through the indexes of
// their movements.
func (db *DB) accountTotals(ctx context.Context, accounts []FundsAccount) error {
	at := map[funds.AccountID]int{}
	args := make([]any, len(accounts))
	for i, a := range accounts {
		at[a.ID] = i
		args[i] = int64(a.ID)
	}
	for _, side := range []string{"to_account", "from_account"} {
		rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+side+`, currency, SUM(micros) FROM funds_transfers WHERE `+side+` IN (`+marks(len(args))+`) GROUP BY `+side+`, currency ORDER BY `+side+`, currency`), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var currency string
			var sum int64
			if err := rows.Scan(&id, &currency, &sum); err != nil {
				rows.Close()
				return err
			}
			a := &accounts[at[funds.AccountID(id)]]
			j := -1
			for k, t := range a.Totals {
				if t.Currency == currency {
					j = k
				}
			}
			if j < 0 {
				a.Totals = append(a.Totals, FundsTotal{Currency: currency})
				j = len(a.Totals) - 1
			}
			if side == "to_account" {
				a.Totals[j].In = sum
			} else {
				a.Totals[j].Out = sum
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// FundsAccountsByID returns the accounts ids of state's case, by id; ids
// the case does not hold are left out.
func (db *DB) FundsAccountsByID(ctx context.Context, state, caseID string, ids []funds.AccountID) (map[funds.AccountID]FundsAccount, error) {
	out := map[funds.AccountID]FundsAccount{}
	for chunk := range chunks(ids, 500) {
		args := []any{caseID, state}
		for _, id := range chunk {
			args = append(args, int64(id))
		}
		rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+fundsAccountColumns+` FROM funds_accounts WHERE case_id = ?`+inCase+` AND id IN (`+marks(len(chunk))+`)`), args...)
		if err != nil {
			return nil, err
		}
		accounts, err := collectAccounts(rows)
		if err != nil {
			return nil, err
		}
		for _, a := range accounts {
			out[a.ID] = a
		}
	}
	return out, nil
}

// SetFundsJurisdiction sets the jurisdiction of account of state's case,
// as an official's: no later import changes it. It returns the account.
func (tx *Tx) SetFundsJurisdiction(ctx context.Context, state, caseID string, account funds.AccountID, jurisdiction string) (FundsAccount, error) {
	a, err := scanFundsAccount(tx.queryRow(ctx, `SELECT `+fundsAccountColumns+` FROM funds_accounts WHERE id = ? AND case_id = ?`+inCase+tx.dialect.forUpdate, int64(account), caseID, state))
	if err != nil {
		return a, err
	}
	if _, err := tx.exec(ctx, `UPDATE funds_accounts SET jurisdiction = ?, jurisdiction_source = ? WHERE id = ?`, jurisdiction, JurisdictionOfficial, int64(account)); err != nil {
		return a, err
	}
	a.Account.Jurisdiction, a.JurisdictionSource = jurisdiction, JurisdictionOfficial
	return a, nil
}

const fundsTransferColumns = `t.id, t.case_id, t.import_id, i.request_id, i.item_id, t.from_account, t.to_account, t.amount, t.micros, t.currency, t.at_us, t.reference, t.locator`

func scanFundsTransfer(row scanner) (FundsTransfer, error) {
	var t FundsTransfer
	var at int64
	err := row.Scan(&t.ID, &t.CaseID, &t.ImportID, &t.RequestID, &t.ItemID, &t.From, &t.To, &t.Amount, &t.Micros, &t.Currency, &at, &t.Reference, &t.Locator)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	t.At = time.UnixMicro(at).UTC()
	return t, err
}

func collectTransfers(rows *sql.Rows) ([]FundsTransfer, error) {
	defer rows.Close()
	out := []FundsTransfer{}
	for rows.Next() {
		t, err := scanFundsTransfer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// FundsTransfers returns up to limit of the transfers of state's case
// whose id follows after, in order of id; only those into or out of
// account if it is not 0.
func (db *DB) FundsTransfers(ctx context.Context, state, caseID string, account funds.AccountID, after int64, limit int) ([]FundsTransfer, error) {
	q := `SELECT ` + fundsTransferColumns + ` FROM funds_transfers t JOIN funds_imports i ON i.id = t.import_id
		WHERE t.case_id = ? AND t.case_id IN (SELECT id FROM funds_cases WHERE state = ?) AND t.id > ?`
	args := []any{caseID, state, after}
	if account != 0 {
		q += ` AND (t.from_account = ? OR t.to_account = ?)`
		args = append(args, int64(account), int64(account))
	}
	rows, err := db.read.QueryContext(ctx, db.bind(q+` ORDER BY t.id LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return collectTransfers(rows)
}

// FundsTransfersByID returns the transfers ids of state's case, by id;
// ids the case does not hold are left out.
func (db *DB) FundsTransfersByID(ctx context.Context, state, caseID string, ids []funds.TransferID) (map[funds.TransferID]FundsTransfer, error) {
	out := map[funds.TransferID]FundsTransfer{}
	for chunk := range chunks(ids, 500) {
		args := []any{caseID, state}
		for _, id := range chunk {
			args = append(args, int64(id))
		}
		rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+fundsTransferColumns+` FROM funds_transfers t JOIN funds_imports i ON i.id = t.import_id
			WHERE t.case_id = ? AND t.case_id IN (SELECT id FROM funds_cases WHERE state = ?) AND t.id IN (`+marks(len(chunk))+`)`), args...)
		if err != nil {
			return nil, err
		}
		ts, err := collectTransfers(rows)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			out[t.ID] = t
		}
		rows, err = db.read.QueryContext(ctx, db.bind(`SELECT r.transfer_id, r.import_id, i.request_id, i.item_id, r.locator, r.reference, r.at_us
			FROM funds_transfer_records r JOIN funds_imports i ON i.id = r.import_id
			WHERE i.case_id = ? AND i.case_id IN (SELECT id FROM funds_cases WHERE state = ?) AND r.transfer_id IN (`+marks(len(chunk))+`)
			ORDER BY r.transfer_id, i.imported_at, r.import_id, r.locator`), args...)
		if err != nil {
			return nil, err
		}
		if err := collectRecords(rows, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// collectRecords adds the further records rows give to the transfers of
// out they belong to.
func collectRecords(rows *sql.Rows, out map[funds.TransferID]FundsTransfer) error {
	defer rows.Close()
	for rows.Next() {
		var id funds.TransferID
		var r FundsRecord
		var at int64
		if err := rows.Scan(&id, &r.ImportID, &r.RequestID, &r.ItemID, &r.Locator, &r.Reference, &at); err != nil {
			return err
		}
		r.At = time.UnixMicro(at).UTC()
		if t, ok := out[id]; ok {
			t.AlsoIn = append(t.AlsoIn, r)
			out[id] = t
		}
	}
	return rows.Err()
}

// FundsTransfersByReference returns the transfers of state's case whose
// record gives reference as its own id, in order of id.
func (db *DB) FundsTransfersByReference(ctx context.Context, state, caseID, reference string) ([]FundsTransfer, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+fundsTransferColumns+` FROM funds_transfers t JOIN funds_imports i ON i.id = t.import_id
		WHERE t.case_id = ? AND t.case_id IN (SELECT id FROM funds_cases WHERE state = ?) AND t.reference = ? ORDER BY t.id LIMIT 100`), caseID, state, reference)
	if err != nil {
		return nil, err
	}
	return collectTransfers(rows)
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// chunks yields s in pieces of at most n, so that no query binds more
// parameters than a backend takes.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// PutFundsMapping saves m as state's mapping named m.Name; a name in use
// is refused with an error matching ErrExists, so that the imports made
// with it keep meaning what they meant.
func (tx *Tx) PutFundsMapping(ctx context.Context, state string, m FundsMapping) error {
	_, err := tx.exec(ctx, `INSERT INTO funds_mappings (state, name, mapping, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
		state, m.Name, string(m.Mapping), m.CreatedBy, formatTime(m.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("a mapping named %q: %w", m.Name, ErrExists)
	}
	return err
}

// FundsMapping returns state's mapping name; ErrNotFound if it has none.
func (db *DB) FundsMapping(ctx context.Context, state, name string) (FundsMapping, error) {
	return scanFundsMapping(db.read.QueryRowContext(ctx, db.bind(`SELECT name, mapping, created_by, created_at FROM funds_mappings WHERE state = ? AND name = ?`), state, name))
}

// FundsMappings lists state's mappings by name.
func (db *DB) FundsMappings(ctx context.Context, state string) ([]FundsMapping, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT name, mapping, created_by, created_at FROM funds_mappings WHERE state = ? ORDER BY name`), state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []FundsMapping{}
	for rows.Next() {
		m, err := scanFundsMapping(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func scanFundsMapping(row scanner) (FundsMapping, error) {
	var m FundsMapping
	var body, at string
	err := row.Scan(&m.Name, &body, &m.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, err
	}
	m.Mapping = json.RawMessage(body)
	m.CreatedAt, err = parseTime(at)
	return m, err
}

// PutFundsRates loads rates into state's case's table for currency: a
// rate for a day and a currency it holds already is replaced.
func (tx *Tx) PutFundsRates(ctx context.Context, state, caseID, currency string, rates []funds.Rate) error {
	if _, err := tx.FundsCase(ctx, state, caseID); err != nil {
		return err
	}
	for _, r := range rates {
		_, err := tx.exec(ctx, `INSERT INTO funds_rates (case_id, currency, day, rate_currency, per_unit) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (case_id, currency, day, rate_currency) DO UPDATE SET per_unit = excluded.per_unit`,
			caseID, currency, r.Day.UTC().Format(time.DateOnly), r.Currency, r.PerUnit)
		if err != nil {
			return err
		}
	}
	return nil
}

// FundsRates returns the rates of state's case's tables, by the table's
// currency, each in order of day and currency; only currency's table if
// it is not empty.
func (db *DB) FundsRates(ctx context.Context, state, caseID, currency string) (map[string][]funds.Rate, error) {
	q := `SELECT currency, day, rate_currency, per_unit FROM funds_rates WHERE case_id = ?` + inCase
	args := []any{caseID, state}
	if currency != "" {
		q += ` AND currency = ?`
		args = append(args, currency)
	}
	rows, err := db.read.QueryContext(ctx, db.bind(q+` ORDER BY currency, day, rate_currency`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]funds.Rate{}
	for rows.Next() {
		var table, day string
		var r funds.Rate
		if err := rows.Scan(&table, &day, &r.Currency, &r.PerUnit); err != nil {
			return nil, err
		}
		if r.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return nil, fmt.Errorf("stored rate of %s on %q: %w", r.Currency, day, err)
		}
		out[table] = append(out[table], r)
	}
	return out, rows.Err()
}

// InsertFundsTrace stores a trace of state's case t.CaseID.
func (tx *Tx) InsertFundsTrace(ctx context.Context, state string, t FundsTrace) error {
	if _, err := tx.FundsCase(ctx, state, t.CaseID); err != nil {
		return err
	}
	opt, err := json.Marshal(t.Options)
	if err != nil {
		return err
	}
	src, err := json.Marshal(t.Sources)
	if err != nil {
		return err
	}
	res, err := json.Marshal(t.Result)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO funds_traces (id, case_id, options, sources, result, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.CaseID, string(opt), string(src), string(res), t.CreatedBy, formatTime(t.CreatedAt))
	return err
}

// FundsTrace returns trace id of state's case, with its result.
func (db *DB) FundsTrace(ctx context.Context, state, caseID, id string) (FundsTrace, error) {
	var t FundsTrace
	var opt, src, res, at string
	err := db.read.QueryRowContext(ctx, db.bind(`SELECT id, case_id, options, sources, result, created_by, created_at FROM funds_traces WHERE id = ? AND case_id = ?`+inCase), id, caseID, state).
		Scan(&t.ID, &t.CaseID, &opt, &src, &res, &t.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, err
	}
	t.Result = new(funds.Result)
	if err := errors.Join(json.Unmarshal([]byte(opt), &t.Options), json.Unmarshal([]byte(src), &t.Sources), json.Unmarshal([]byte(res), t.Result)); err != nil {
		return t, fmt.Errorf("stored trace %s is corrupt: %w", id, err)
	}
	t.CreatedAt, err = parseTime(at)
	return t, err
}

// FundsTraces lists the traces of state's case, oldest first, without
// their results.
func (db *DB) FundsTraces(ctx context.Context, state, caseID string) ([]FundsTrace, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT id, case_id, options, sources, created_by, created_at FROM funds_traces WHERE case_id = ?`+inCase+` ORDER BY created_at, id`), caseID, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []FundsTrace{}
	for rows.Next() {
		var t FundsTrace
		var opt, src, at string
		if err := rows.Scan(&t.ID, &t.CaseID, &opt, &src, &t.CreatedBy, &at); err != nil {
			return nil, err
		}
		if err := errors.Join(json.Unmarshal([]byte(opt), &t.Options), json.Unmarshal([]byte(src), &t.Sources)); err != nil {
			return nil, fmt.Errorf("stored trace %s is corrupt: %w", t.ID, err)
		}
		if t.CreatedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// FundsLedger is one case's transfers as a trace reads them: it
// implements funds.Ledger through the two indexes of an account's
// movements, so that a trace reads only the accounts it follows.
type FundsLedger struct {
	db     *DB
	caseID string
	// accounts are those Movements found to be the case's: its query
	// reads the indexes alone, which do not hold the case, so that each
	// account is checked once, not each of its movements. A trace
	// reaches only the case's accounts (through the case's transfers);
	// the check keeps another case's from being read all the same.
	accounts sync.Map // funds.AccountID → struct{}
}

// FundsLedger returns the ledger of state's case; ErrNotFound if state
// has no such case.
func (db *DB) FundsLedger(ctx context.Context, state, caseID string) (*FundsLedger, error) {
	if _, err := db.FundsCase(ctx, state, caseID); err != nil {
		return nil, err
	}
	return &FundsLedger{db: db, caseID: caseID}, nil
}

var _ funds.Ledger = (*FundsLedger)(nil)

// Transfer returns transfer id of the case, or an error wrapping
// funds.ErrUnknownTransfer.
func (l *FundsLedger) Transfer(ctx context.Context, id funds.TransferID) (funds.Movement, error) {
	var m funds.Movement
	var at int64
	stmt, err := l.db.readStmt(ctx, `SELECT id, at_us, from_account, to_account, micros, currency FROM funds_transfers WHERE id = ? AND case_id = ?`)
	if err != nil {
		return m, err
	}
	err = stmt.QueryRowContext(ctx, int64(id), l.caseID).Scan(&m.ID, &at, &m.From, &m.To, &m.Amount, &m.Currency)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("transfer %d of case %s: %w", id, l.caseID, funds.ErrUnknownTransfer)
	}
	m.At = time.UnixMicro(at).UTC()
	return m, err
}

// caseAccount returns an error matching ErrNotFound unless account is
// one of the ledger's case.
func (l *FundsLedger) caseAccount(ctx context.Context, account funds.AccountID) error {
	if _, ok := l.accounts.Load(account); ok {
		return nil
	}
	stmt, err := l.db.readStmt(ctx, `SELECT 1 FROM funds_accounts WHERE id = ? AND case_id = ?`)
	if err != nil {
		return err
	}
	var one int
	err = stmt.QueryRowContext(ctx, int64(account), l.caseID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("account %d is not one of case %s's: %w", account, l.caseID, ErrNotFound)
	}
	if err != nil {
		return err
	}
	l.accounts.Store(account, struct{}{})
	return nil
}

// movementsQuery reads an account's payments out and, apart from the
// payments to itself the first half gave already, its receipts: each
// half one range scan of an index that holds every column it reads
// (migration 0050), merged by time. The case is checked per account, by
// caseAccount.
const movementsQuery = `SELECT id, at_us, from_account, to_account, micros, currency FROM (
	SELECT * FROM (SELECT id, at_us, from_account, to_account, micros, currency FROM funds_transfers
		WHERE from_account = ? AND at_us >= ? AND (at_us > ? OR id > ?) ORDER BY at_us, id LIMIT ?) AS o
	UNION ALL
	SELECT * FROM (SELECT id, at_us, from_account, to_account, micros, currency FROM funds_transfers
		WHERE to_account = ? AND from_account <> ? AND at_us >= ? AND (at_us > ? OR id > ?) ORDER BY at_us, id LIMIT ?) AS i
) AS m ORDER BY at_us, id LIMIT ?`

// Movements returns up to limit of account's transfers in and out, in
// order of (At, ID), after after; a transfer to itself once.
func (l *FundsLedger) Movements(ctx context.Context, account funds.AccountID, after funds.Cursor, limit int) ([]funds.Movement, error) {
	if limit <= 0 {
		return nil, nil
	}
	at := int64(math.MinInt64)
	if !after.At.IsZero() {
		at = after.At.UnixMicro()
	}
	a, id := int64(account), int64(after.ID)
	if err := l.caseAccount(ctx, account); err != nil {
		return nil, err
	}
	stmt, err := l.db.readStmt(ctx, movementsQuery)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx,
		a, at, at, id, limit,
		a, a, at, at, id, limit,
		limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]funds.Movement, 0, min(limit, 64))
	for rows.Next() {
		var m funds.Movement
		var at int64
		if err := rows.Scan(&m.ID, &at, &m.From, &m.To, &m.Amount, &m.Currency); err != nil {
			return nil, err
		}
		m.At = time.UnixMicro(at).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// Opening returns the latest balance a statement gives for account.
func (l *FundsLedger) Opening(ctx context.Context, account funds.AccountID) (funds.Opening, bool, error) {
	var o funds.Opening
	var at int64
	stmt, err := l.db.readStmt(ctx, `SELECT at_us, micros, currency FROM funds_balances WHERE account = ? AND case_id = ? ORDER BY at_us DESC, id DESC LIMIT 1`)
	if err != nil {
		return o, false, err
	}
	err = stmt.QueryRowContext(ctx, int64(account), l.caseID).Scan(&at, &o.Amount, &o.Currency)
	if errors.Is(err, sql.ErrNoRows) {
		return o, false, nil
	}
	if err != nil {
		return o, false, err
	}
	o.At = time.UnixMicro(at).UTC()
	return o, true, nil
}

// DisposeFundsRecords takes out of state's fund-tracing cases the records
// read from evidence item itemID, which is being disposed of (art. 36):
// the transfers and balances of its imports go, except that a transfer
// another item also records stays, with that record as its own; the
// accounts left with no transfer, balance or asset go too. Each import
// stays, marked disposed of at, so that the case says what it had. It
// returns how many imports it took out. Traces run before keep their
// figures; their hops no longer name a record from the item.
func (tx *Tx) DisposeFundsRecords(ctx context.Context, state, itemID string, at time.Time) (int, error) {
	rows, err := tx.query(ctx, `SELECT i.id, i.case_id FROM funds_imports i JOIN funds_cases c ON c.id = i.case_id
		WHERE c.state = ? AND i.item_id = ? AND i.disposed_at = '' ORDER BY i.id`, state, itemID)
	if err != nil {
		return 0, err
	}
	type imp struct{ id, caseID string }
	var imps []imp
	for rows.Next() {
		var i imp
		if err := rows.Scan(&i.id, &i.caseID); err != nil {
			rows.Close()
			return 0, err
		}
		imps = append(imps, i)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, i := range imps {
		// A transfer another item records too keeps that record.
		rows, err := tx.query(ctx, `SELECT r.transfer_id, r.import_id, r.locator, r.reference, r.at_us FROM funds_transfer_records r
			JOIN funds_transfers t ON t.id = r.transfer_id JOIN funds_imports o ON o.id = r.import_id
			WHERE t.import_id = ? AND o.disposed_at = '' ORDER BY r.transfer_id, o.imported_at, r.import_id, r.locator`, i.id)
		if err != nil {
			return 0, err
		}
		type record struct {
			transfer           int64
			importID, loc, ref string
			at                 int64
		}
		var keep []record
		for rows.Next() {
			var r record
			if err := rows.Scan(&r.transfer, &r.importID, &r.loc, &r.ref, &r.at); err != nil {
				rows.Close()
				return 0, err
			}
			if len(keep) == 0 || keep[len(keep)-1].transfer != r.transfer {
				keep = append(keep, r)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return 0, err
		}
		for _, r := range keep {
			if _, err := tx.exec(ctx, `UPDATE funds_transfers SET import_id = ?, locator = ?, reference = ?, at_us = ? WHERE id = ?`, r.importID, r.loc, r.ref, r.at, r.transfer); err != nil {
				return 0, err
			}
			if _, err := tx.exec(ctx, `DELETE FROM funds_transfer_records WHERE transfer_id = ? AND import_id = ? AND locator = ?`, r.transfer, r.importID, r.loc); err != nil {
				return 0, err
			}
		}
		for _, q := range []string{
			`DELETE FROM funds_transfer_records WHERE import_id = ?`,
			`DELETE FROM funds_transfer_records WHERE transfer_id IN (SELECT id FROM funds_transfers WHERE import_id = ?)`,
			`DELETE FROM funds_transfers WHERE import_id = ?`,
			`DELETE FROM funds_balances WHERE import_id = ?`,
		} {
			if _, err := tx.exec(ctx, q, i.id); err != nil {
				return 0, err
			}
		}
		_, err = tx.exec(ctx, `DELETE FROM funds_accounts WHERE case_id = ?
			AND NOT EXISTS (SELECT 1 FROM funds_transfers t WHERE t.from_account = funds_accounts.id)
			AND NOT EXISTS (SELECT 1 FROM funds_transfers t WHERE t.to_account = funds_accounts.id)
			AND NOT EXISTS (SELECT 1 FROM funds_balances b WHERE b.account = funds_accounts.id)
			AND NOT EXISTS (SELECT 1 FROM funds_assets a WHERE a.account_id = funds_accounts.id)`, i.caseID)
		if err != nil {
			return 0, err
		}
		if _, err := tx.exec(ctx, `UPDATE funds_imports SET disposed_at = ? WHERE id = ?`, formatTime(at), i.id); err != nil {
			return 0, err
		}
	}
	return len(imps), nil
}
