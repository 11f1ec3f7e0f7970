package records

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"entraide/internal/funds"
)

// Mapping says how to read one bank's CSV statements: which column holds
// what, and how dates and amounts are written. An official writes it once
// for a bank's layout and reuses it for every statement in that layout.
// Columns are named by their header when HasHeader is set, else by their
// number from 1 ("3").
type Mapping struct {
	// Name is the official's name for the layout ("Banque X export").
	Name string `json:"name"`
	// Delimiter is the one character between fields; empty means ",".
	Delimiter string `json:"delimiter,omitempty"`
	HasHeader bool   `json:"has_header"`

	// Date is the column of the booking date, or date and time.
	Date string `json:"date"`
	// DateLayout is how Date is written: "2006-01-02", "02/01/2006"
	// (day first), "01/02/2006" (month first), "rfc3339", or any Go
	// time layout ("02.01.2006 15:04"). A time without an offset is UTC.
	DateLayout string `json:"date_layout"`

	// Amount is the column of a signed amount: positive is money into
	// the statement's account from the counterparty, negative money out
	// to it. Give it, or both Debit (out) and Credit (in).
	Amount string `json:"amount,omitempty"`
	Debit  string `json:"debit,omitempty"`
	Credit string `json:"credit,omitempty"`
	// DecimalSeparator is "." or ","; ThousandsSeparator is empty or
	// one of "," "." " " "'" and differs from it.
	DecimalSeparator   string `json:"decimal_separator"`
	ThousandsSeparator string `json:"thousands_separator,omitempty"`

	// Currency is the column of the ISO 4217 code; FixedCurrency the
	// code of every row when no column gives it. Give one.
	Currency      string `json:"currency,omitempty"`
	FixedCurrency string `json:"fixed_currency,omitempty"`

	// The counterparty: its account (an IBAN, or an account number at
	// CounterpartyBank), the holder's name, its bank (BIC or name) and
	// the transfer's reference. CounterpartyAccount is required.
	CounterpartyAccount string `json:"counterparty_account"`
	CounterpartyName    string `json:"counterparty_name,omitempty"`
	CounterpartyBank    string `json:"counterparty_bank,omitempty"`
	Reference           string `json:"reference,omitempty"`

	// The statement's own account: AccountID fixed (an IBAN, or an
	// account number at AccountBank), or AccountColumn when one file
	// holds several accounts (their bank is then AccountBank).
	AccountID     string `json:"account_id,omitempty"`
	AccountColumn string `json:"account_column,omitempty"`
	AccountBank   string `json:"account_bank,omitempty"`
	AccountHolder string `json:"account_holder,omitempty"`
}

var namedLayouts = map[string]string{
	"2006-01-02": "2006-01-02",
	"02/01/2006": "02/01/2006",
	"01/02/2006": "01/02/2006",
	"rfc3339":    time.RFC3339,
}

// layout returns the Go layout DateLayout names.
func (m *Mapping) layout() string {
	if l, ok := namedLayouts[strings.ToLower(m.DateLayout)]; ok {
		return l
	}
	return m.DateLayout
}

func (m *Mapping) delimiter() rune {
	if m.Delimiter == "" {
		return ','
	}
	r, _ := utf8.DecodeRuneInString(m.Delimiter)
	return r
}

// Validate reports every problem of m at once, each named by its JSON
// field, as one *Error; nil when m can read a statement.
func (m *Mapping) Validate() error {
	var problems []string
	add := func(field, format string, args ...any) {
		problems = append(problems, field+": "+fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(m.Name) == "" {
		add("name", "give the layout a name to choose it by")
	}
	if m.Delimiter != "" {
		r, n := utf8.DecodeRuneInString(m.Delimiter)
		if n != len(m.Delimiter) || r == '"' || r == '\r' || r == '\n' || r == utf8.RuneError {
			add("delimiter", "%q is not one character other than a quote or line break", m.Delimiter)
		}
	}
	column := func(field, v string, required bool) {
		v = strings.TrimSpace(v)
		switch {
		case v == "" && required:
			add(field, "no column")
		case v != "" && !m.HasHeader:
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 1000 {
				add(field, "%q: without a header, columns are numbered from 1", v)
			}
		}
	}
	column("date", m.Date, true)
	if l := m.layout(); l == "" {
		add("date_layout", "no layout: give 2006-01-02, 02/01/2006, 01/02/2006, rfc3339 or a Go layout")
	} else {
		// A layout that keeps the year, month and day of a date is one
		// that reads them.
		ref := time.Date(2031, 11, 23, 0, 0, 0, 0, time.UTC)
		if t, err := time.Parse(l, ref.Format(l)); err != nil || t.Year() != 2031 || t.Month() != 11 || t.Day() != 23 {
			add("date_layout", "%q does not give year, month and day (Go layout, e.g. 02.01.2006)", m.DateLayout)
		}
	}
	switch {
	case m.Amount != "" && (m.Debit != "" || m.Credit != ""):
		add("amount", "give amount, or debit and credit, not both")
	case m.Amount != "":
		column("amount", m.Amount, true)
	case m.Debit != "" || m.Credit != "":
		column("debit", m.Debit, true)
		column("credit", m.Credit, true)
	default:
		add("amount", "no column: give amount (signed), or debit and credit")
	}
	if m.DecimalSeparator != "." && m.DecimalSeparator != "," {
		add("decimal_separator", "%q: want \".\" or \",\"", m.DecimalSeparator)
	}
	switch m.ThousandsSeparator {
	case "", ",", ".", " ", "'":
		if m.ThousandsSeparator != "" && m.ThousandsSeparator == m.DecimalSeparator {
			add("thousands_separator", "the same as the decimal separator")
		}
	default:
		add("thousands_separator", "%q: want none, \",\", \".\", \" \" or \"'\"", m.ThousandsSeparator)
	}
	switch {
	case m.Currency != "" && m.FixedCurrency != "":
		add("currency", "give a currency column or a fixed currency, not both")
	case m.Currency != "":
		column("currency", m.Currency, true)
	case m.FixedCurrency != "":
		if !isCurrency(m.FixedCurrency) {
			add("fixed_currency", "%q is not an ISO 4217 code of three capital letters", m.FixedCurrency)
		}
	default:
		add("currency", "no currency: give its column or fixed_currency")
	}
	column("counterparty_account", m.CounterpartyAccount, true)
	column("counterparty_name", m.CounterpartyName, false)
	column("counterparty_bank", m.CounterpartyBank, false)
	column("reference", m.Reference, false)
	switch {
	case m.AccountID != "" && m.AccountColumn != "":
		add("account_id", "give the statement's account or its column, not both")
	case m.AccountID != "" && m.AccountBank == "" && !looksLikeIBAN(m.AccountID):
		add("account_bank", "account_id %s is an account number, unique only at its bank: give account_bank, the bank's BIC or name", m.AccountID)
	case m.AccountID != "":
		if _, err := funds.NormalizeAccount(guessAccount(m.AccountID, m.AccountBank, m.AccountHolder)); err != nil {
			add("account_id", "%v", err)
		}
	case m.AccountColumn != "":
		column("account_column", m.AccountColumn, true)
	default:
		add("account_id", "no account: give the statement's own account (account_id, with account_bank for an account number) or account_column")
	}
	if len(problems) > 0 {
		return &Error{Locator: "mapping", Reason: strings.Join(problems, "; ")}
	}
	return nil
}

// looksLikeIBAN reports whether s, without spaces, has an IBAN's shape:
// two letters, two digits, then letters and digits, 15 to 34 in all.
func looksLikeIBAN(s string) bool {
	s = strings.Join(strings.Fields(s), "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] &^ 0x20 // upper case for letters
		letter := c >= 'A' && c <= 'Z'
		digit := s[i] >= '0' && s[i] <= '9'
		if (i < 2 && !letter) || (i >= 2 && i < 4 && !digit) || (!letter && !digit) {
			return false
		}
	}
	return true
}

// guessAccount reads what a CSV statement gives for an account: an IBAN
// (the bank kept only when it is a BIC, since an IBAN needs none), else
// an account number at bank.
func guessAccount(id, bank, holder string) funds.Account {
	if looksLikeIBAN(id) {
		b := strings.ToUpper(strings.TrimSpace(bank))
		if !bicShape(b) {
			b = ""
		}
		return funds.Account{Kind: funds.IBAN, ID: id, Bank: b, Holder: holder}
	}
	return funds.Account{Kind: funds.BankAccount, ID: id, Bank: bank, Holder: holder}
}

// bicShape reports whether s has a BIC's shape (ISO 9362): 4 letters or
// digits, 2 letters of a country, 2 and optionally 3 more letters or
// digits.
func bicShape(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if (i == 4 || i == 5) && !letter || !letter && !digit {
			return false
		}
	}
	return true
}

// stripBOM drops the byte order mark spreadsheet programs put at the
// start of a UTF-8 CSV file.
func stripBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	return br
}

// csvReader is encoding/csv set strictly: every row has the first row's
// number of fields and quotes are where RFC 4180 puts them.
func csvReader(r io.Reader, comma rune) *csv.Reader {
	cr := csv.NewReader(stripBOM(r))
	cr.Comma = comma
	cr.FieldsPerRecord = 0
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	return cr
}

// csvError turns a read error into an *Error naming the line.
func csvError(err error) error {
	if errors.Is(err, errTooLarge) {
		return errTooLarge
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return errorf(fmt.Sprintf("line %d", pe.Line), "", "a different number of fields than the first line: check the delimiter and quotes")
		}
		return errorf(fmt.Sprintf("line %d", pe.Line), fmt.Sprintf("character %d", pe.Column), "%v: quote a field that holds quotes, the delimiter or a line break", pe.Err)
	}
	return &Error{Reason: err.Error()}
}

// columns resolves a mapping's column names to indexes.
type columns struct {
	index map[string]int // by header name or number
	names []string       // each column's name for errors
}

func (c *columns) find(field, name string) (int, error) {
	if name == "" {
		return -1, nil
	}
	i, ok := c.index[strings.TrimSpace(name)]
	if !ok {
		return -1, errorf("line 1", field, "column %q is not in the file (columns: %s)", name, strings.Join(c.names, ", "))
	}
	return i, nil
}

func parseCSV(r io.Reader, m *Mapping) (funds.Records, error) {
	cr := csvReader(r, m.delimiter())
	first, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return funds.Records{}, errorf("", "", "the file is empty")
	}
	if err != nil {
		return funds.Records{}, csvError(err)
	}
	cols := columns{index: map[string]int{}}
	for i, h := range first {
		if m.HasHeader {
			h = strings.TrimSpace(h)
			if _, dup := cols.index[h]; dup && h != "" {
				cols.index[h] = -2 // ambiguous
			} else {
				cols.index[h] = i
			}
			cols.names = append(cols.names, strconv.Quote(h))
		} else {
			cols.index[strconv.Itoa(i+1)] = i
			cols.names = append(cols.names, strconv.Itoa(i+1))
		}
	}
	idx := map[string]int{}
	for _, f := range []struct{ field, name string }{
		{"date", m.Date}, {"amount", m.Amount}, {"debit", m.Debit}, {"credit", m.Credit},
		{"currency", m.Currency}, {"counterparty_account", m.CounterpartyAccount},
		{"counterparty_name", m.CounterpartyName}, {"counterparty_bank", m.CounterpartyBank},
		{"reference", m.Reference}, {"account_column", m.AccountColumn},
	} {
		i, err := cols.find(f.field, f.name)
		if err != nil {
			return funds.Records{}, err
		}
		if i == -2 {
			return funds.Records{}, errorf("line 1", f.field, "column %q appears twice in the header", f.name)
		}
		idx[f.field] = i
	}
	var own funds.Account
	if m.AccountID != "" {
		if own, err = account("mapping", "account_id", guessAccount(m.AccountID, m.AccountBank, m.AccountHolder)); err != nil {
			return funds.Records{}, err
		}
	}
	var c collector
	row := first
	if m.HasHeader {
		row = nil
	}
	for {
		if row == nil {
			if row, err = cr.Read(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return funds.Records{}, csvError(err)
			}
		}
		line, _ := cr.FieldPos(0)
		if err := csvRow(&c, m, idx, fmt.Sprintf("line %d", line), row, own, cols.names); err != nil {
			return funds.Records{}, err
		}
		row = nil
	}
	return c.recs, nil
}

func csvRow(c *collector, m *Mapping, idx map[string]int, loc string, row []string, own funds.Account, names []string) error {
	get := func(field string) string {
		if i := idx[field]; i >= 0 {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	col := func(field string) string { return "column " + names[idx[field]] }
	at, err := time.Parse(m.layout(), get("date"))
	if err != nil {
		return errorf(loc, col("date"), "%q is not a date in the layout %q", get("date"), m.DateLayout)
	}
	at = at.UTC()

	var plain string
	var out bool
	if m.Amount != "" {
		if plain, out, err = localDecimal(get("amount"), m.DecimalSeparator, m.ThousandsSeparator); err != nil {
			return errorf(loc, col("amount"), "%v", err)
		}
	} else {
		debit, credit := get("debit"), get("credit")
		var dp, cp string
		if debit != "" {
			if dp, _, err = localDecimal(debit, m.DecimalSeparator, m.ThousandsSeparator); err != nil {
				return errorf(loc, col("debit"), "%v", err)
			}
			if _, mi, err := decimal(dp); err != nil {
				return errorf(loc, col("debit"), "%v", err)
			} else if mi == 0 {
				dp = "" // a bank that writes 0.00 on the other side
			}
		}
		if credit != "" {
			if cp, _, err = localDecimal(credit, m.DecimalSeparator, m.ThousandsSeparator); err != nil {
				return errorf(loc, col("credit"), "%v", err)
			}
			if _, mi, err := decimal(cp); err != nil {
				return errorf(loc, col("credit"), "%v", err)
			} else if mi == 0 {
				cp = ""
			}
		}
		switch {
		case dp != "" && cp != "":
			return errorf(loc, col("debit"), "both a debit and a credit on one line")
		case dp != "":
			plain, out = dp, true
		case cp != "":
			plain = cp
		default:
			return errorf(loc, col("credit"), "neither a debit nor a credit: a transfer moves a positive amount")
		}
	}
	field := "amount"
	if m.Amount == "" {
		field = map[bool]string{true: "debit", false: "credit"}[out]
	}
	canon, micros, err := positive(plain)
	if err != nil {
		return errorf(loc, col(field), "%v", err)
	}

	ccy := m.FixedCurrency
	if m.Currency != "" {
		ccy = strings.ToUpper(get("currency"))
		if !isCurrency(ccy) {
			return errorf(loc, col("currency"), "%q is not an ISO 4217 code of three letters", get("currency"))
		}
	}

	if m.AccountColumn != "" {
		if get("account_column") == "" {
			return errorf(loc, col("account_column"), "no account of the statement")
		}
		if own, err = account(loc, col("account_column"), guessAccount(get("account_column"), m.AccountBank, m.AccountHolder)); err != nil {
			return err
		}
	}
	if get("counterparty_account") == "" {
		return errorf(loc, col("counterparty_account"), "no counterparty account: a transfer the records cannot follow")
	}
	other, err := account(loc, col("counterparty_account"), guessAccount(get("counterparty_account"), get("counterparty_bank"), get("counterparty_name")))
	if err != nil {
		return err
	}
	t := funds.Transfer{From: other, To: own, Amount: canon, Micros: micros, Currency: ccy, At: at, Reference: get("reference"), Locator: loc}
	if out {
		t.From, t.To = own, other
	}
	return c.add(t)
}
