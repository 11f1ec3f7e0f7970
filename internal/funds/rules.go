package funds

import (
	"fmt"
	"strings"
)

// Rules returns the tracing rules in the order a form offers them.
func Rules() []Rule { return []Rule{FIFO, ProRata, LIBR} }

// Valid reports whether r is one of Rules.
func (r Rule) Valid() bool {
	switch r {
	case FIFO, ProRata, LIBR:
		return true
	}
	return false
}

// Title is the rule's name as a result and a court read it; it is
// empty for a rule that is not Valid.
func (r Rule) Title() string {
	switch r {
	case FIFO:
		return "first in, first out"
	case ProRata:
		return "pro rata"
	case LIBR:
		return "lowest intermediate balance"
	}
	return ""
}

// MaxMaxHops is the largest Options.MaxHops: a trace of funds through
// more transfers than that follows them nowhere useful.
const MaxMaxHops = 100_000

// MaxSources is how many victim payments one trace starts from at most:
// more make a result no official can check.
const MaxSources = 1000

// OptionError is a choice of a trace that cannot be followed: a bad
// option or a bad list of victim payments. Field names it as the API
// spells it ("rule", "currency", "max_hops", "dust", "until",
// "sources", "sources[3]").
type OptionError struct {
	Field  string
	Reason string
}

func (e *OptionError) Error() string { return e.Field + ": " + e.Reason }

// Validate returns an *OptionError naming the first option that is
// wrong and how to correct it, or nil.
func (o Options) Validate() error {
	if !o.Rule.Valid() {
		names := make([]string, 0, 3)
		for _, r := range Rules() {
			names = append(names, string(r))
		}
		return &OptionError{"rule", fmt.Sprintf("%q is not a tracing rule: choose one of %s", o.Rule, strings.Join(names, ", "))}
	}
	if !currencyShape(o.Currency) {
		return &OptionError{"currency", fmt.Sprintf("%q is not a currency code: give an ISO 4217 code such as EUR, or an asset symbol such as BTC, in capitals", o.Currency)}
	}
	if o.MaxHops < 0 || o.MaxHops > MaxMaxHops {
		return &OptionError{"max_hops", fmt.Sprintf("%d is out of range: give 0 for the default of %d, or how many transfers to follow, at most %d", o.MaxHops, DefaultMaxHops, MaxMaxHops)}
	}
	if o.Dust < 0 {
		return &OptionError{"dust", fmt.Sprintf("%d is negative: give 0 for the default of %d millionths, or the smallest share to follow", o.Dust, DefaultDust)}
	}
	return nil
}

// withDefaults returns o with its zero values replaced by the defaults
// they stand for, so a Result says what was applied.
func (o Options) withDefaults() Options {
	if o.MaxHops == 0 {
		o.MaxHops = DefaultMaxHops
	}
	if o.Dust == 0 {
		o.Dust = DefaultDust
	}
	return o
}

// currencyShape accepts an ISO 4217 code (EUR) and the symbols of
// crypto-assets (BTC, USDT, ETH2): 3 to 10 capitals or digits, starting
// with a capital.
func currencyShape(s string) bool {
	if len(s) < 3 || len(s) > 10 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
