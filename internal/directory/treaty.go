package directory

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"entraide/internal/convention"
)

// treatyStatusCSV holds the signatures and instruments confirmed in public
// sources; its comment lines name them.
//
//go:embed data/treaty-status.csv
var treatyStatusCSV []byte

// Instrument is the kind of instrument by which a participant consents to
// be bound by the Convention (art. 65(1)).
type Instrument string

// The four instruments that count toward entry into force (art. 65(1)).
const (
	Ratification Instrument = "ratification"
	Acceptance   Instrument = "acceptance"
	Approval     Instrument = "approval"
	// Accession is how a participant that has not signed joins.
	Accession Instrument = "accession"
)

// Valid reports whether i is one of the four instruments.
func (i Instrument) Valid() bool {
	return i == Ratification || i == Acceptance || i == Approval || i == Accession
}

// TreatyRecord is what one participant has done: its signature and the
// deposit of its instrument, each absent when not done.
type TreatyRecord struct {
	Code       string     `json:"code"`
	Signed     time.Time  `json:"signed,omitzero"`     // date only, UTC; zero if not signed
	SignedAt   string     `json:"signed_at,omitempty"` // place, e.g. "Hanoi", "New York"
	Deposited  time.Time  `json:"deposited,omitzero"`  // date of the instrument's deposit; zero if none
	Instrument Instrument `json:"instrument,omitempty"`
	// Denounced is when the Secretary-General received the participant's
	// denunciation (art. 67); zero if none. It is recorded as a
	// declaration under art. 67, not in a treaty-status file.
	Denounced time.Time `json:"denounced,omitzero"`
}

// DenunciationArticle is the article a declaration is recorded under when
// it is a denunciation; its date is the day the Secretary-General
// received it.
const DenunciationArticle = 67

// Limits on a treaty-status file. A real file has one row per participant,
// each well under a hundred bytes, so these leave room and still bound the
// memory and time an import can take.
const (
	// TreatyStatusHeader is the header line a treaty-status file must begin
	// with, after any comment lines.
	TreatyStatusHeader = "code,participant,kind,signed,signed_at,ratified,instrument"
	// MaxTreatyStatusRows bounds the data rows of a file.
	MaxTreatyStatusRows = 1000
	// MaxTreatyStatusLineBytes bounds one line, without its line ending.
	MaxTreatyStatusLineBytes = 4096
	// MaxTreatyStatusBytes bounds a whole file, comments included.
	MaxTreatyStatusBytes = 4 << 20
	// MaxParseErrors bounds the problems one parse reports: past it, the
	// parser stops checking and says so in a last ParseError (followed only
	// by one saying there are too many rows, if there are).
	MaxParseErrors = 100
	// MaxPlaceBytes bounds the place of signature.
	MaxPlaceBytes = 200
)

// Columns of a treaty-status file, in order.
const (
	colCode = iota
	colParticipant
	colKind
	colSigned
	colSignedAt
	colRatified
	colInstrument
	numColumns
)

var columns = strings.Split(TreatyStatusHeader, ",")

var (
	// adopted is the day the General Assembly adopted the Convention
	// (resolution 79/243): no one signed or ratified before it.
	adopted = time.Date(2024, 12, 24, 0, 0, 0, 0, time.UTC)
	// latest catches typos in the year ("2925") without guessing how long
	// the treaty will stay open.
	latest = time.Date(2200, 12, 31, 0, 0, 0, 0, time.UTC)
)

// ParseError is one problem with a treaty-status file: the line (counted
// from 1, comments included), the column name from the header ("" when the
// problem is the whole line), the offending value (shortened when long) and
// what is wrong with it.
type ParseError struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Msg    string `json:"message"`
	// Ref is the provision the value answers to, where one does: it is
	// cited once, after the message, wherever the problem is shown.
	Ref *convention.Ref `json:"ref,omitempty"`
}

// Error renders e as `line 7, column "signed": "2025-13-01" is not a date
// (YYYY-MM-DD)`.
func (e ParseError) Error() string {
	var b strings.Builder
	b.WriteString("line ")
	b.WriteString(strconv.Itoa(e.Line))
	if e.Column != "" {
		b.WriteString(", column ")
		b.WriteString(strconv.Quote(e.Column))
	}
	b.WriteString(": ")
	if e.Value != "" {
		b.WriteString(strconv.Quote(e.Value))
		b.WriteString(" ")
	}
	b.WriteString(e.Msg)
	if e.Ref != nil {
		b.WriteString(" (" + e.Ref.Cite() + ")")
	}
	return b.String()
}

// ParseErrors is every problem found in one treaty-status file, in the
// order of the lines. ParseTreatyStatus and WriteTreatyStatus return it as
// their error; errors.As recovers it, or any one ParseError in it.
type ParseErrors []ParseError

// Error joins every problem on one line, counting them when there are
// several.
func (es ParseErrors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strconv.Itoa(len(es)) + " problems: " + strings.Join(parts, "; ")
}

// Unwrap lets errors.As find a single ParseError.
func (es ParseErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// ParseTreatyStatus reads a treaty-status file: comment lines starting with
// "#", the header TreatyStatusHeader, then one row per participant. It is
// strict: a participant code must be a known alpha-3 code as written, the
// kind must match the participant, dates are YYYY-MM-DD between the
// Convention's adoption and 2200, a date of deposit goes with an instrument
// and not before the signature, and only an accession needs no signature.
// The participant column is informational and may hold any text.
//
// On any problem it returns no records and a ParseErrors with every problem
// found (up to MaxParseErrors), each naming its line and column. Input past
// the limits (MaxTreatyStatusBytes, MaxTreatyStatusLineBytes,
// MaxTreatyStatusRows) is rejected the same way. Only an error from r
// itself is returned otherwise, wrapped. On success the records come in the
// file's order, non-nil even when there are none.
func ParseTreatyStatus(r io.Reader) ([]TreatyRecord, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxTreatyStatusBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading treaty status: %w", err)
	}
	var c checker
	if len(data) > MaxTreatyStatusBytes {
		line := bytes.Count(data[:MaxTreatyStatusBytes], []byte("\n")) + 1
		c.add(ParseError{Line: line, Msg: fmt.Sprintf("input is longer than %d bytes", MaxTreatyStatusBytes)})
		return nil, c.errs
	}
	// Spreadsheets save CSV with a byte-order mark; it carries no data.
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	data = c.blankLongLines(data)

	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comment = '#'
	cr.FieldsPerRecord = numColumns
	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		c.add(ParseError{Line: bytes.Count(data, []byte("\n")) + 1, Msg: "missing header " + strconv.Quote(TreatyStatusHeader)})
		return nil, c.errs
	case err != nil && !errors.Is(err, csv.ErrFieldCount):
		c.add(csvProblem(err))
		return nil, c.errs
	case !slices.Equal(header, columns):
		// Without the right header the columns mean nothing; reporting
		// every row's problems would only bury this one.
		line, _ := cr.FieldPos(0)
		c.add(ParseError{Line: line, Value: strings.Join(header, ","), Msg: "is not the header; want " + strconv.Quote(TreatyStatusHeader)})
		return nil, c.errs
	}

	records := []TreatyRecord{}
	seen := map[string]int{}
	for rows := 1; ; rows++ {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if rows > MaxTreatyStatusRows {
			// Said even past MaxParseErrors: it is the one problem that
			// explains the others away.
			c.errs = append(c.errs, ParseError{Line: csvLine(cr, err), Msg: fmt.Sprintf("more than %d data rows", MaxTreatyStatusRows)})
			break
		}
		if c.full {
			// Keep counting rows, cheaply, in case there are too many.
			continue
		}
		if errors.Is(err, csv.ErrFieldCount) {
			c.add(ParseError{Line: csvLine(cr, err), Msg: fmt.Sprintf("has %d fields; want %d: %s", len(fields), numColumns, TreatyStatusHeader)})
			continue
		}
		if err != nil {
			c.add(csvProblem(err))
			continue
		}
		var lines [numColumns]int
		for i := range lines {
			lines[i], _ = cr.FieldPos(i)
		}
		rec, ok := c.parseRow(fields, lines)
		c.check(rec, lines, ok, seen)
		records = append(records, rec)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return records, nil
}

// csvLine finds the line of the row just read, whether or not it parsed.
func csvLine(cr *csv.Reader, err error) int {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return pe.StartLine
	}
	line, _ := cr.FieldPos(0)
	return line
}

// csvProblem turns a CSV syntax error into a ParseError on its line.
func csvProblem(err error) ParseError {
	pe, ok := errors.AsType[*csv.ParseError](err)
	if !ok {
		return ParseError{Line: 1, Msg: err.Error()}
	}
	msg := fmt.Sprintf("%v (byte %d)", pe.Err, pe.Column)
	if pe.StartLine != pe.Line {
		msg += fmt.Sprintf(", in the row that starts on line %d", pe.StartLine)
	}
	return ParseError{Line: pe.Line, Msg: msg}
}

// checker gathers problems up to MaxParseErrors.
type checker struct {
	errs ParseErrors
	full bool // set once MaxParseErrors is reached: stop checking
}

const maxValueBytes = 64

func (c *checker) add(e ParseError) {
	if c.full {
		return
	}
	if len(c.errs) == MaxParseErrors {
		c.errs = append(c.errs, ParseError{Line: e.Line, Msg: fmt.Sprintf("more than %d problems; not checking further", MaxParseErrors)})
		c.full = true
		return
	}
	e.Value = shorten(e.Value)
	c.errs = append(c.errs, e)
}

// shorten keeps an error message readable when the value is a whole
// overlong field.
func shorten(s string) string {
	if len(s) <= maxValueBytes {
		return s
	}
	n := maxValueBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// blankLongLines reports each line longer than MaxTreatyStatusLineBytes
// and empties it, so that the CSV reader, which skips empty lines, still
// counts lines as the file does and reports the other problems too.
func (c *checker) blankLongLines(data []byte) []byte {
	var out []byte // a copy, made only when a line must go
	line := 1
	for start := 0; start < len(data); line++ {
		end := len(data)
		if i := bytes.IndexByte(data[start:], '\n'); i >= 0 {
			end = start + i
		}
		content := bytes.TrimSuffix(data[start:end], []byte("\r"))
		if len(content) > MaxTreatyStatusLineBytes {
			c.add(ParseError{Line: line, Msg: fmt.Sprintf("line is %d bytes long; at most %d", len(content), MaxTreatyStatusLineBytes)})
			if out == nil {
				out = slices.Clone(data[:start])
			}
		} else if out != nil {
			out = append(out, data[start:end]...)
		}
		if out != nil && end < len(data) {
			out = append(out, '\n')
		}
		start = end + 1
	}
	if out == nil {
		return data
	}
	return out
}

// parseRow turns a row's text into a record, reporting what cannot be
// read. ok is false when a date could not be read, so that check does not
// pile consequences on top of the cause.
func (c *checker) parseRow(f []string, lines [numColumns]int) (rec TreatyRecord, ok bool) {
	ok = true
	rec = TreatyRecord{Code: f[colCode], SignedAt: f[colSignedAt], Instrument: Instrument(f[colInstrument])}
	if p, known := participants().exact(rec.Code); known {
		if want := kindOf(p.Status); f[colKind] != want {
			c.add(ParseError{Line: lines[colKind], Column: columns[colKind], Value: f[colKind],
				Msg: fmt.Sprintf("does not match %s (%s): want %q", p.Code, p.Name(), want)})
		}
	} else if k := f[colKind]; k != kindState && k != kindOrganisation {
		c.add(ParseError{Line: lines[colKind], Column: columns[colKind], Value: k,
			Msg: fmt.Sprintf("is not a kind: want %q or %q", kindState, kindOrganisation)})
	}
	for _, col := range []int{colSigned, colRatified} {
		s := f[col]
		if s == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, s)
		// time.Parse accepts some forms Format would not write back;
		// only the one form round-trips.
		if err != nil || t.Format(time.DateOnly) != s {
			c.add(ParseError{Line: lines[col], Column: columns[col], Value: s, Msg: "is not a date (YYYY-MM-DD)"})
			ok = false
			continue
		}
		if t.IsZero() {
			// 0001-01-01 is time's zero, which a record reads as "not
			// done"; check would never see it.
			c.add(ParseError{Line: lines[col], Column: columns[col], Value: s, Msg: "is before the Convention was adopted on " + adopted.Format(time.DateOnly)})
			ok = false
			continue
		}
		if _, err := convention.CheckTime(columns[col], t); err != nil {
			c.add(ParseError{Line: lines[col], Column: columns[col], Value: s, Msg: "is outside the years 1970 to 9999"})
			ok = false
			continue
		}
		if col == colSigned {
			rec.Signed = t
		} else {
			rec.Deposited = t
		}
	}
	return rec, ok
}

// check applies the rules that hold for a record however it arrived, from
// a file or from a caller writing one. datesOK false skips the rules that
// need both dates. seen maps each code met so far to its line.
func (c *checker) check(rec TreatyRecord, lines [numColumns]int, datesOK bool, seen map[string]int) {
	col := func(i int, value, msg string) {
		c.add(ParseError{Line: lines[i], Column: columns[i], Value: value, Msg: msg})
	}
	cite := func(i int, value, msg string, ref convention.Ref) {
		c.add(ParseError{Line: lines[i], Column: columns[i], Value: value, Msg: msg, Ref: &ref})
	}
	switch _, known := participants().exact(rec.Code); {
	case rec.Code == "":
		col(colCode, "", "is empty; want an ISO 3166-1 alpha-3 code")
	case known:
		if first, dup := seen[rec.Code]; dup {
			col(colCode, rec.Code, fmt.Sprintf("appears again; a participant has one row (first on line %d)", first))
		} else {
			seen[rec.Code] = lines[colCode]
		}
	default:
		if p, ok := LookupParticipant(rec.Code); ok {
			col(colCode, rec.Code, fmt.Sprintf("is not written as an ISO 3166-1 alpha-3 code; want %q (%s)", p.Code, p.Name()))
		} else {
			cite(colCode, rec.Code, "is not the code of a State or organisation that may join the Convention", convention.Art(64))
		}
	}

	for _, d := range []struct {
		col int
		t   time.Time
	}{{colSigned, rec.Signed}, {colRatified, rec.Deposited}} {
		if d.t.IsZero() {
			continue
		}
		switch day := dateOf(d.t); {
		case day.Before(adopted):
			col(d.col, formatDate(d.t), "is before the Convention was adopted on "+adopted.Format(time.DateOnly))
		case day.After(latest):
			col(d.col, formatDate(d.t), "is after "+strconv.Itoa(latest.Year())+"; check the year")
		}
	}

	if !rec.Signed.IsZero() && !dateOf(rec.Signed).Before(adopted) && !dateOf(rec.Signed).After(latest) {
		if msg := convention.CheckSignature(rec.Signed, rec.SignedAt); msg != "" {
			cite(colSigned, formatDate(rec.Signed), msg, convention.SignatureRef)
		}
	}

	switch place := rec.SignedAt; {
	case place == "":
	case datesOK && rec.Signed.IsZero():
		col(colSignedAt, place, "names a place of signature but the date signed is empty")
	case !utf8.ValidString(place):
		col(colSignedAt, place, "is not valid UTF-8")
	case strings.ContainsFunc(place, unicode.IsControl):
		col(colSignedAt, place, "contains a control character")
	case strings.TrimSpace(place) != place:
		col(colSignedAt, place, "has leading or trailing spaces")
	case len(place) > MaxPlaceBytes:
		col(colSignedAt, place, fmt.Sprintf("is longer than %d bytes", MaxPlaceBytes))
	case place != "Hanoi" && place != "New York":
		cite(colSignedAt, place, "is not where the Convention lay open for signature: give Hanoi (25 and 26 October 2025) or New York (United Nations Headquarters, until 31 December 2026)", convention.SignatureRef)
	}

	inst := rec.Instrument
	if inst != "" && !inst.Valid() {
		cite(colInstrument, string(inst), fmt.Sprintf("is not an instrument; want %s, %s, %s or %s", Ratification, Acceptance, Approval, Accession), convention.EntryIntoForceRef)
	}
	if !datesOK {
		return
	}
	switch {
	case inst != "" && rec.Deposited.IsZero():
		col(colRatified, "", "is empty; an instrument needs the date of its deposit")
	case inst == "" && !rec.Deposited.IsZero():
		col(colInstrument, "", "is empty; a date of deposit needs its instrument: ratification, acceptance, approval or accession")
	case inst == "" && rec.Signed.IsZero():
		c.add(ParseError{Line: lines[colCode], Msg: "has neither a signature nor an instrument"})
	}
	if inst.Valid() && inst != Accession && rec.Signed.IsZero() {
		cite(colInstrument, string(inst), "needs a signature; a participant that has not signed joins by accession", convention.Art(64))
	}
	if inst == Accession && !rec.Signed.IsZero() {
		cite(colInstrument, string(inst), "is for a participant that has not signed; a signatory ratifies, accepts or approves", convention.Art(64))
	}
	if !rec.Signed.IsZero() && !rec.Deposited.IsZero() && dateOf(rec.Deposited).Before(dateOf(rec.Signed)) {
		col(colRatified, formatDate(rec.Deposited), "is before the signature on "+formatDate(rec.Signed))
	}
}

// dateOf is the UTC calendar date of t, the unit in which the treaty
// counts (as convention does).
func dateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

var embeddedTreatyStatus = sync.OnceValue(func() []TreatyRecord {
	recs, err := ParseTreatyStatus(bytes.NewReader(treatyStatusCSV))
	if err != nil {
		panic("directory: embedded data/treaty-status.csv: " + err.Error())
	}
	return recs
})

// EmbeddedTreatyStatus returns the signatures and instruments shipped with
// the binary, as a copy the caller may change. It is partial (see the file's
// comments); administrators import newer data with ParseTreatyStatus. It
// panics only if the embedded file is broken, which a test rules out.
func EmbeddedTreatyStatus() []TreatyRecord {
	return slices.Clone(embeddedTreatyStatus())
}

// WriteTreatyStatus writes records in the form ParseTreatyStatus reads, in
// their order, filling the participant and kind columns from the directory
// and writing dates as their UTC calendar day, so that an export imports
// back unchanged. It checks records by the same rules first and, if any
// breaks one, writes nothing and returns a ParseErrors whose lines are those
// the records would have had (the first record on line 2). Otherwise it
// returns only w's error.
func WriteTreatyStatus(w io.Writer, records []TreatyRecord) error {
	var c checker
	if len(records) > MaxTreatyStatusRows {
		c.add(ParseError{Line: MaxTreatyStatusRows + 2, Msg: fmt.Sprintf("more than %d data rows", MaxTreatyStatusRows)})
		return c.errs
	}
	seen := map[string]int{}
	for i, rec := range records {
		var lines [numColumns]int
		for j := range lines {
			lines[j] = i + 2
		}
		c.check(rec, lines, true, seen)
	}
	if len(c.errs) > 0 {
		return c.errs
	}
	cw := csv.NewWriter(w)
	cw.Write(columns)
	for _, rec := range records {
		p, _ := participants().exact(rec.Code)
		cw.Write([]string{
			colCode:        rec.Code,
			colParticipant: p.Name(),
			colKind:        kindOf(p.Status),
			colSigned:      formatDate(rec.Signed),
			colSignedAt:    rec.SignedAt,
			colRatified:    formatDate(rec.Deposited),
			colInstrument:  string(rec.Instrument),
		})
	}
	cw.Flush()
	return cw.Error()
}
