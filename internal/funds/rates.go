package funds

import (
	"fmt"
	"math/big"
	"sort"
	"time"
)

// RateStale is how much older than a transfer's day a rate may be and
// still price it: a week covers weekends and public holidays, on which
// no reference rate is published.
const RateStale = 7 * 24 * time.Hour

// RateTable is the exchange rates an official loaded for a trace into
// one currency. It implements Rates.
type RateTable struct {
	currency string
	rates    map[string][]dayRate // by currency, sorted by day
}

// dayRate is one rate, parsed once: per unit = num / den, den a power
// of ten.
type dayRate struct {
	day      time.Time
	num, den *big.Int
}

// NewRateTable returns the table of rates into currency. Each rate's
// Day counts as its UTC date. It returns an error naming the rate (by
// its place in rates, its currency and day) that is malformed, is
// not positive, is for currency itself (which converts 1:1 without
// one), or repeats another's currency and day.
func NewRateTable(currency string, rates []Rate) (*RateTable, error) {
	if !currencyShape(currency) {
		return nil, fmt.Errorf("currency %q is not a currency code: give an ISO 4217 code such as EUR, or an asset symbol such as BTC, in capitals", currency)
	}
	t := &RateTable{currency: currency, rates: make(map[string][]dayRate)}
	for i, r := range rates {
		day := utcDay(r.Day)
		where := fmt.Sprintf("rate %d (%s on %s)", i+1, r.Currency, day.Format(time.DateOnly))
		if !currencyShape(r.Currency) {
			return nil, fmt.Errorf("%s: currency %q is not a currency code: give an ISO 4217 code or an asset symbol, in capitals", where, r.Currency)
		}
		if r.Currency == currency {
			return nil, fmt.Errorf("%s: %s is the table's own currency, which converts 1:1: leave this rate out", where, currency)
		}
		num, den, ok := parseDecimal(r.PerUnit)
		if !ok {
			return nil, fmt.Errorf("%s: per_unit %q is not a decimal number: write it with digits and a point, such as 0.9182", where, r.PerUnit)
		}
		if num.Sign() == 0 {
			return nil, fmt.Errorf("%s: per_unit is zero: a rate must be positive", where)
		}
		t.rates[r.Currency] = append(t.rates[r.Currency], dayRate{day: day, num: num, den: den})
	}
	for c, rs := range t.rates {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].day.Before(rs[j].day) })
		for i := 1; i < len(rs); i++ {
			if rs[i].day.Equal(rs[i-1].day) {
				return nil, fmt.Errorf("rates: two rates for %s on %s: keep one", c, rs[i].day.Format(time.DateOnly))
			}
		}
	}
	return t, nil
}

// Currency is the currency the table converts into.
func (t *RateTable) Currency() string { return t.currency }

// Convert returns micros of currency as millionths of the table's
// currency, at the latest rate on or before day's UTC date and at most
// RateStale older, rounded half to even. The table's own currency
// converts 1:1. It returns an error wrapping ErrNoRate, naming the
// currency and the day and saying to load a rate for them, when no
// rate serves, and an error when the result overflows.
func (t *RateTable) Convert(micros int64, currency string, day time.Time) (int64, error) {
	if currency == t.currency {
		return micros, nil
	}
	d := utcDay(day)
	rs := t.rates[currency]
	i := sort.Search(len(rs), func(i int) bool { return rs[i].day.After(d) }) - 1
	if i < 0 || d.Sub(rs[i].day) > RateStale {
		return 0, fmt.Errorf("%w for %s into %s on %s: load a %s rate for %s or one of the 7 days before it",
			ErrNoRate, currency, t.currency, d.Format(time.DateOnly), currency, d.Format(time.DateOnly))
	}
	r := rs[i]
	neg := micros < 0
	p := new(big.Int).SetInt64(micros)
	p.Abs(p)
	p.Mul(p, r.num)
	q, rem := new(big.Int).QuoRem(p, r.den, new(big.Int))
	// Half to even: a half rounds to the even neighbour, so repeated
	// conversions do not drift one way.
	switch rem.Lsh(rem, 1).Cmp(r.den) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("converting %d millionths of %s into %s on %s: the amount is too large to compute with", micros, currency, t.currency, d.Format(time.DateOnly))
	}
	return q.Int64(), nil
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseDecimal reads a plain non-negative decimal ("0.9182", "12",
// "1.5"): digits, at most one point with digits on both sides, no sign,
// exponent or separators, at most 40 characters.
func parseDecimal(s string) (num, den *big.Int, ok bool) {
	if len(s) == 0 || len(s) > 40 {
		return nil, nil, false
	}
	digits := make([]byte, 0, len(s))
	frac, point := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
			if point {
				frac++
			}
		case c == '.' && !point && i > 0 && i < len(s)-1:
			point = true
		default:
			return nil, nil, false
		}
	}
	num, ok = new(big.Int).SetString(string(digits), 10)
	if !ok {
		return nil, nil, false
	}
	den = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(frac)), nil)
	return num, den, true
}
