package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzParse seeds f with the testdata files matching glob and checks
// that Parse never panics, refuses with an *Error and nothing else, and
// returns only transfers that keep its promises.
func fuzzParse(f *testing.F, format Format, glob string) {
	files, err := filepath.Glob(filepath.Join("testdata", glob))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s: %v", glob, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var m Mapping
	b, err := os.ReadFile("testdata/statement-mapping.json")
	if err != nil {
		f.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Parse(format, bytes.NewReader(data), &m)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %T %v, want an *Error", err, err)
			}
			if len(recs.Transfers) != 0 || len(recs.Balances) != 0 {
				t.Fatalf("Parse returned records with its error %v", err)
			}
			return
		}
		checkRecords(t, recs)
	})
}

func FuzzParseCamt053(f *testing.F) { fuzzParse(f, Camt053, "camt053_*.xml") }
func FuzzParsePain001(f *testing.F) { fuzzParse(f, Pain001, "pain001_*.xml") }
func FuzzParsePacs008(f *testing.F) { fuzzParse(f, Pacs008, "pacs008_*.xml") }
func FuzzParseCSV(f *testing.F)     { fuzzParse(f, CSV, "statement*.csv") }

func FuzzParseChain(f *testing.F) {
	for _, name := range []string{"chain.csv", "chain.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name == "chain.json", b)
	}
	f.Fuzz(func(t *testing.T, asJSON bool, data []byte) {
		format := ChainCSV
		if asJSON {
			format = ChainJSON
		}
		recs, err := Parse(format, bytes.NewReader(data), nil)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(recs.Transfers) != 0 {
				t.Fatalf("Parse = %d transfers, %T %v; want none and an *Error", len(recs.Transfers), err, err)
			}
			return
		}
		checkRecords(t, recs)
	})
}

func FuzzParseRates(f *testing.F) {
	b, err := os.ReadFile("testdata/rates.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		rates, err := ParseRates(bytes.NewReader(data))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || rates != nil {
				t.Fatalf("ParseRates = %v, %T %v; want nil and an *Error", rates, err, err)
			}
			return
		}
		seen := map[string]bool{}
		for i, r := range rates {
			canon, _, err := decimal(r.PerUnit)
			if err != nil || canon != r.PerUnit || canon == "0" {
				t.Errorf("rate %d: PerUnit %q is not a positive canonical decimal", i, r.PerUnit)
			}
			if !isAsset(r.Currency) {
				t.Errorf("rate %d: currency %q", i, r.Currency)
			}
			if r.Day.IsZero() || r.Day != r.Day.Truncate(24*time.Hour) || r.Day.Location() != time.UTC {
				t.Errorf("rate %d: day %v is not a UTC midnight", i, r.Day)
			}
			key := r.Day.String() + r.Currency
			if seen[key] {
				t.Errorf("rate %d: a second rate of %s", i, key)
			}
			seen[key] = true
		}
	})
}
