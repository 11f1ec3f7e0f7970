package records

import (
	"fmt"
	"math/big"
	"strings"
)

// MaxUnits is the largest amount a record may give, in units of its
// currency: 9e12, so that every amount's millionths fit an int64.
const MaxUnits = 9_000_000_000_000

// maxAmountLen bounds the digits an amount may have, so that a hostile
// file cannot make the parser build huge numbers.
const maxAmountLen = 64

var (
	million  = big.NewInt(1_000_000)
	maxMicro = new(big.Int).Mul(big.NewInt(MaxUnits), million)
)

// decimal reads s, a plain decimal with "." as separator ("0012.50",
// ".5", "7"; no sign, no exponent, no grouping), and returns its
// canonical form ("12.5", "0.5", "7") and its value in millionths,
// rounded half to even. It rejects values above MaxUnits.
func decimal(s string) (canon string, micros int64, err error) {
	if s == "" {
		return "", 0, fmt.Errorf("no amount")
	}
	if len(s) > maxAmountLen {
		return "", 0, fmt.Errorf("amount of %d characters: at most %d", len(s), maxAmountLen)
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return "", 0, fmt.Errorf("amount %q has no digits", s)
	}
	for _, part := range []string{intPart, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return "", 0, fmt.Errorf("amount %q is not a plain decimal (digits and one %q only)", s, ".")
			}
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if intPart == "" {
		intPart = "0"
	}
	canon = intPart
	if frac != "" {
		canon += "." + frac
	}
	n, _ := new(big.Int).SetString(intPart+frac, 10)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	num := new(big.Int).Mul(n, million)
	q, r := new(big.Int).QuoRem(num, scale, new(big.Int))
	// Half to even: compare twice the remainder with the divisor.
	switch new(big.Int).Lsh(r, 1).Cmp(scale) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	if n.Cmp(new(big.Int).Mul(big.NewInt(MaxUnits), scale)) > 0 || q.Cmp(maxMicro) > 0 {
		return "", 0, fmt.Errorf("amount %s is over %d units, more than any record of a transfer holds: check the column or element read", canon, int64(MaxUnits))
	}
	return canon, q.Int64(), nil
}

// positive is decimal for a transfer's amount, which must be above zero
// once rounded to millionths.
func positive(s string) (canon string, micros int64, err error) {
	canon, micros, err = decimal(s)
	if err != nil {
		return "", 0, err
	}
	if micros <= 0 {
		if canon == "0" {
			return "", 0, fmt.Errorf("amount is zero: a transfer moves a positive amount")
		}
		return "", 0, fmt.Errorf("amount %s is below one millionth of a unit, the smallest amount a trace follows", canon)
	}
	return canon, micros, nil
}

// localDecimal reads an amount written with the given decimal separator
// and optional thousands separator, and an optional leading sign, as a
// CSV statement writes it ("-1.234,50" with "," and "."). It returns the
// plain decimal and whether the sign was minus.
func localDecimal(s, decimalSep, thousandsSep string) (plain string, negative bool, err error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "-"):
		negative, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, decimalSep)
	if thousandsSep != "" && strings.Contains(intPart, thousandsSep) {
		groups := strings.Split(intPart, thousandsSep)
		for i, g := range groups {
			if (i == 0 && (len(g) == 0 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return "", false, fmt.Errorf("amount %q: thousands separator %q out of place", s, thousandsSep)
			}
		}
		intPart = strings.Join(groups, "")
	}
	plain = intPart
	if strings.Contains(s, decimalSep) {
		plain += "." + frac
	}
	if strings.ContainsAny(plain, "+-") {
		return "", false, fmt.Errorf("amount %q has a sign in the middle", s)
	}
	return plain, negative, nil
}

// isCurrency reports whether s has the shape of an ISO 4217 code.
func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// isAsset reports whether s has the shape of an asset's symbol on a
// chain: 2 to 10 upper-case letters and digits ("BTC", "USDT", "1INCH").
func isAsset(s string) bool {
	if len(s) < 2 || len(s) > 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
