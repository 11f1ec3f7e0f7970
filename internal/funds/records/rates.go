package records

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"entraide/internal/funds"
)

// rateFields are the columns of a rates file, named by its header in any
// order.
var rateFields = []string{"day", "currency", "per_unit"}

// ParseRates reads exchange rates an official loads for a trace: a CSV
// file with the header day,currency,per_unit (in any order, no other
// column), one rate a line: the day (YYYY-MM-DD), the ISO 4217 code or
// asset symbol, and the value of one unit in the table's currency as a
// positive decimal ("0.9182"). It refuses the whole file, with an *Error
// naming the line, when a line is wrong or gives a day and currency an
// earlier line gave, and files over MaxBytes.
func ParseRates(r io.Reader) ([]funds.Rate, error) {
	lr := &limitReader{r: r, left: MaxBytes}
	rates, err := parseRates(lr)
	if lr.over {
		return nil, errorf("", "", "the file is larger than %d MiB: split it by period", MaxBytes>>20)
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = &Error{Reason: err.Error()}
		}
		return nil, err
	}
	return rates, nil
}

func parseRates(r io.Reader) ([]funds.Rate, error) {
	cr := csvReader(r, ',')
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errorf("", "", "the file is empty: its first line is day,currency,per_unit")
	}
	if err != nil {
		return nil, csvError(err)
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := index[h]; dup {
			return nil, errorf("line 1", h, "column appears twice in the header")
		}
		index[h] = i
	}
	for _, f := range rateFields {
		if _, ok := index[f]; !ok {
			return nil, errorf("line 1", f, "no such column: the header is day,currency,per_unit")
		}
	}
	if len(index) != len(rateFields) {
		return nil, errorf("line 1", "", "columns other than day, currency and per_unit")
	}
	var rates []funds.Rate
	seen := map[string]int{}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		loc := fmt.Sprintf("line %d", line)
		get := func(f string) string { return strings.TrimSpace(row[index[f]]) }
		day, err := time.Parse("2006-01-02", get("day"))
		if err != nil {
			return nil, errorf(loc, "day", "%q is not a date YYYY-MM-DD", get("day"))
		}
		if err := plausible(day); err != nil {
			return nil, errorf(loc, "day", "%v", err)
		}
		ccy := get("currency")
		if !isAsset(ccy) {
			return nil, errorf(loc, "currency", "%q is not an ISO 4217 code or an asset's symbol in capitals", ccy)
		}
		canon, _, err := decimal(get("per_unit"))
		if err != nil {
			return nil, errorf(loc, "per_unit", "%v", err)
		}
		if canon == "0" {
			return nil, errorf(loc, "per_unit", "zero: a rate is positive")
		}
		key := get("day") + " " + ccy
		if first, dup := seen[key]; dup {
			return nil, errorf(loc, "", "a second rate of %s on %s: line %d gives one already", ccy, get("day"), first)
		}
		seen[key] = line
		if len(rates) >= MaxTransfers {
			return nil, errorf(loc, "", "more than %d rates in one file", MaxTransfers)
		}
		rates = append(rates, funds.Rate{Day: day, Currency: ccy, PerUnit: canon})
	}
	return rates, nil
}
