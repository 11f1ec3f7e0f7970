package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// RowError is a stored row that cannot be read: a time that is not in the
// stored form, a body that is not the JSON it should be. It names the row,
// so that an administrator can find it.
type RowError struct {
	Table string
	ID    string
	Err   error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("%s row %q cannot be read: %v", e.Table, e.ID, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Partial is returned, with the rows of a listing that could be read, for
// the rows that could not: one bad row is reported for itself, and never
// hides the others or stops the work on them.
type Partial []*RowError

func (p Partial) Error() string {
	msgs := make([]string, len(p))
	for i, e := range p {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// IsPartial reports whether err says only that some rows could not be
// read, and returns them.
func IsPartial(err error) (Partial, bool) {
	p, ok := err.(Partial)
	return p, ok
}

// orPartial returns err, or the rows that could not be read as a Partial
// when err is nil and there are some.
func orPartial(bad Partial, err error) error {
	if err != nil || len(bad) == 0 {
		return err
	}
	return bad
}

// collect reads every row of rows with scan. A row scan reports as a
// *RowError is named in the Partial error beside the list, and kept in the
// list (marked by scan) when keep is true, left out otherwise; any other
// error ends the listing.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error), keep bool) ([]T, error) {
	out := []T{}
	var unreadable Partial
	for rows.Next() {
		v, err := scan(rows)
		var bad *RowError
		switch {
		case errors.As(err, &bad):
			unreadable = append(unreadable, bad)
			if !keep {
				continue
			}
		case err != nil:
			return nil, err
		}
		out = append(out, v)
	}
	return out, orPartial(unreadable, rows.Err())
}

// MaxErrorText bounds, in bytes, the error texts the store keeps (an
// outbox message's or a notification's last error).
const MaxErrorText = 500

// ClipText cuts s to at most n bytes on a UTF-8 boundary, replacing
// invalid UTF-8 and dropping NUL bytes: PostgreSQL refuses a text cut in
// the middle of a character, or holding a NUL (SQLSTATE 22021), and a
// write refused for its error text would leave the work it records
// undone.
func ClipText(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
