package records

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"entraide/internal/funds"
)

// chainFields are the fields of a blockchain transfer, in CSV (as the
// header, in any order) and in JSON (as each object's keys).
var chainFields = []string{"tx_hash", "time", "from", "to", "amount", "asset", "chain"}

// chainTime reads a transfer's time: RFC 3339, or unix seconds.
func chainTime(s string) (time.Time, error) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 253402300799 { // 9999-12-31
			return time.Time{}, fmt.Errorf("%q is too large for unix seconds", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2024-03-01T10:15:00Z) nor unix seconds", s)
	}
	return t.UTC(), nil
}

// chainTransfer builds one transfer from its fields by name.
func chainTransfer(loc string, v map[string]string) (funds.Transfer, error) {
	for _, f := range chainFields {
		if v[f] == "" {
			return funds.Transfer{}, errorf(loc, f, "empty: a blockchain transfer gives %s", strings.Join(chainFields, ", "))
		}
	}
	at, err := chainTime(v["time"])
	if err != nil {
		return funds.Transfer{}, errorf(loc, "time", "%v", err)
	}
	canon, micros, err := positive(v["amount"])
	if err != nil {
		return funds.Transfer{}, errorf(loc, "amount", "%v", err)
	}
	asset := strings.ToUpper(v["asset"])
	if !isAsset(asset) {
		return funds.Transfer{}, errorf(loc, "asset", "%q is not an asset's symbol of 2 to 10 letters and digits (BTC, ETH, USDT)", v["asset"])
	}
	chain := v["chain"]
	from, err := account(loc, "from", funds.Account{Kind: funds.Wallet, ID: v["from"], Bank: chain})
	if err != nil {
		return funds.Transfer{}, err
	}
	to, err := account(loc, "to", funds.Account{Kind: funds.Wallet, ID: v["to"], Bank: chain})
	if err != nil {
		return funds.Transfer{}, err
	}
	hash := v["tx_hash"]
	if strings.HasPrefix(strings.ToLower(hash), "0x") {
		hash = strings.ToLower(hash)
	}
	return funds.Transfer{From: from, To: to, Amount: canon, Micros: micros, Currency: asset, At: at, Reference: hash, Locator: loc}, nil
}

func parseChainCSV(r io.Reader) (funds.Records, error) {
	cr := csvReader(r, ',')
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return funds.Records{}, errorf("", "", "the file is empty")
	}
	if err != nil {
		return funds.Records{}, csvError(err)
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := index[h]; dup {
			return funds.Records{}, errorf("line 1", h, "column appears twice in the header")
		}
		index[h] = i
	}
	for _, f := range chainFields {
		if _, ok := index[f]; !ok {
			return funds.Records{}, errorf("line 1", f, "no such column: the header names %s, in any order", strings.Join(chainFields, ", "))
		}
	}
	var c collector
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return funds.Records{}, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		v := make(map[string]string, len(chainFields))
		for _, f := range chainFields {
			v[f] = strings.TrimSpace(row[index[f]])
		}
		t, err := chainTransfer(fmt.Sprintf("line %d", line), v)
		if err != nil {
			return funds.Records{}, err
		}
		if err := c.add(t); err != nil {
			return funds.Records{}, err
		}
	}
	return c.recs, nil
}

// parseChainJSON reads an array of objects one object at a time, so that
// only one transfer is decoded in memory at once.
func parseChainJSON(r io.Reader) (funds.Records, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	jsonError := func(loc string, err error) error {
		if errors.Is(err, errTooLarge) {
			return errTooLarge
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errorf(loc, "", "the file ends inside the array: it is cut short")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errorf(loc, "", "not valid JSON at byte %d: %v", se.Offset, err)
		}
		return errorf(loc, "", "%v", err)
	}
	t, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return funds.Records{}, errorf("", "", "the file is empty")
	}
	if err != nil {
		return funds.Records{}, jsonError("", err)
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return funds.Records{}, errorf("", "", "the file is not a JSON array of transfers")
	}
	var c collector
	for i := 0; dec.More(); i++ {
		loc := fmt.Sprintf("[%d]", i)
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return funds.Records{}, errorf(loc, "", "not an object with the keys %s", strings.Join(chainFields, ", "))
			}
			return funds.Records{}, jsonError(loc, err)
		}
		if obj == nil {
			return funds.Records{}, errorf(loc, "", "null, not an object with the keys %s", strings.Join(chainFields, ", "))
		}
		v := make(map[string]string, len(chainFields))
		for _, f := range chainFields {
			switch x := obj[f].(type) {
			case nil:
			case string:
				v[f] = strings.TrimSpace(x)
			case json.Number:
				if f != "time" && f != "amount" {
					return funds.Records{}, errorf(loc, f, "a number: give it as a string")
				}
				v[f] = x.String()
			default:
				return funds.Records{}, errorf(loc, f, "neither a string nor a number")
			}
		}
		t, err := chainTransfer(loc, v)
		if err != nil {
			return funds.Records{}, err
		}
		if err := c.add(t); err != nil {
			return funds.Records{}, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return funds.Records{}, jsonError("", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return funds.Records{}, jsonError("", err)
		}
		return funds.Records{}, errorf("", "", "data after the array of transfers")
	}
	return c.recs, nil
}
