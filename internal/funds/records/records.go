// Package records reads the financial records States return as evidence
// (ISO 20022 bank statements and payment messages, CSV statements,
// blockchain transfers) into the accounts, transfers and balances a
// trace follows, and the exchange rates that price them. It reads only
// the io.Reader it is given, and is strict: a file it does not fully
// understand is refused with an error naming the line or element, and
// nothing of it is returned.
package records

import (
	"errors"
	"fmt"
	"io"
	"time"

	"entraide/internal/funds"
)

// Format is the format of a file of financial records.
type Format string

// The formats Parse reads.
const (
	Camt053   Format = "camt.053"   // ISO 20022 bank-to-customer statement
	Pain001   Format = "pain.001"   // ISO 20022 customer credit transfer initiation
	Pacs008   Format = "pacs.008"   // ISO 20022 FI-to-FI customer credit transfer
	CSV       Format = "csv"        // a bank's CSV statement, read with a Mapping
	ChainCSV  Format = "chain-csv"  // blockchain transfers as CSV
	ChainJSON Format = "chain-json" // blockchain transfers as a JSON array
)

// Formats returns every Format Parse reads.
func Formats() []Format {
	return []Format{Camt053, Pain001, Pacs008, CSV, ChainCSV, ChainJSON}
}

// Limits on one file, so that a hostile or mistaken file cannot exhaust
// the node: a statement of 64 MiB holds about 100,000 entries, and a
// file with more transfers than MaxTransfers is better split by period.
const (
	MaxBytes     = 64 << 20
	MaxTransfers = 200_000
)

// Error is why a file was refused: the record (Locator: "line 12",
// "Stmt[1]/Ntry[3]", "[4]"; empty for the file as a whole), the field in
// it (a column, an element path below the record, a JSON key) and what
// is wrong and what to do.
type Error struct {
	Locator string
	Field   string
	Reason  string
}

func (e *Error) Error() string {
	s := e.Reason
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Locator != "" {
		s = e.Locator + ": " + s
	}
	return s
}

func errorf(locator, field, format string, args ...any) *Error {
	return &Error{Locator: locator, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Parse reads one file of records in format. m is the column mapping of
// a CSV statement and is ignored for the other formats. On any error it
// returns empty Records and an *Error; the transfers it returns have a
// positive amount, a currency, a time and a Locator, and accounts in the
// form funds.NormalizeAccount gives, with the jurisdiction
// funds.JurisdictionOf gives them.
func Parse(format Format, r io.Reader, m *Mapping) (funds.Records, error) {
	lr := &limitReader{r: r, left: MaxBytes}
	var (
		recs funds.Records
		err  error
	)
	switch format {
	case Camt053, Pain001, Pacs008:
		recs, err = parseXML(format, lr)
	case CSV:
		if m == nil {
			return funds.Records{}, errorf("", "", "a CSV statement needs a column mapping")
		}
		if err := m.Validate(); err != nil {
			return funds.Records{}, err
		}
		recs, err = parseCSV(lr, m)
	case ChainCSV:
		recs, err = parseChainCSV(lr)
	case ChainJSON:
		recs, err = parseChainJSON(lr)
	default:
		return funds.Records{}, errorf("", "", "format %q: want one of %v", format, Formats())
	}
	if lr.over {
		return funds.Records{}, errorf("", "", "the file is larger than %d MiB: split it by period", MaxBytes>>20)
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = &Error{Reason: err.Error()}
		}
		return funds.Records{}, err
	}
	return recs, nil
}

// errTooLarge ends reading at MaxBytes; Parse reports it whatever the
// decoder made of the cut.
var errTooLarge = errors.New("file too large")

type limitReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a file of exactly the limit from a
		// larger one.
		var b [1]byte
		n, err := l.r.Read(b[:])
		if n > 0 {
			l.over = true
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// collector gathers one file's records and applies the limits and
// checks every format shares.
type collector struct {
	recs funds.Records
}

func (c *collector) add(t funds.Transfer) error {
	if len(c.recs.Transfers) >= MaxTransfers {
		return errorf(t.Locator, "", "more than %d transfers in one file: split it by period", MaxTransfers)
	}
	if err := plausible(t.At); err != nil {
		return errorf(t.Locator, "", "%v", err)
	}
	if t.From.Key() == t.To.Key() {
		return errorf(t.Locator, "", "the counterparty is the statement's own account (%s): check the counterparty's column or element", t.From.ID)
	}
	c.recs.Transfers = append(c.recs.Transfers, t)
	return nil
}

// plausible refuses a time no financial record gives, which a date
// read from the wrong column or a typed year would otherwise let through.
func plausible(t time.Time) error {
	if t.Year() < 1900 {
		return fmt.Errorf("the date %s is before 1900: check the date as printed in the record", t.Format("2006-01-02"))
	}
	return nil
}

// account normalizes a, fills in its jurisdiction and names field when
// it is not a valid account.
func account(locator, field string, a funds.Account) (funds.Account, error) {
	n, err := funds.NormalizeAccount(a)
	if err != nil {
		return funds.Account{}, errorf(locator, field, "%v", err)
	}
	if n.Jurisdiction == "" {
		n.Jurisdiction, _ = funds.JurisdictionOf(n)
	}
	return n, nil
}
