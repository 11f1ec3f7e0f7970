package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"entraide/internal/archive"
)

// keyList is the repeated --key flag: each value is a verifier key, or the
// name of a file holding keys, one a line.
type keyList []string

func (k *keyList) String() string { return strings.Join(*k, ",") }

func (k *keyList) Set(v string) error {
	if f, err := os.Open(v); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			*k = append(*k, line)
			n++
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading keys from %s: %v", v, err)
		}
		if n == 0 {
			return fmt.Errorf("the file %s holds no key: put one key a line, as the exporting State published it", v)
		}
		return nil
	}
	if !strings.Contains(v, "+") {
		return fmt.Errorf("%q is neither a file nor a key: a key reads NAME+HASH+KEY, as the exporting State published it", v)
	}
	*k = append(*k, v)
	return nil
}

// errNotVerified is the error of a package that was read but did not
// verify: the report already says why.
var errNotVerified = errors.New("the evidence package did NOT verify: see the problems listed above")

func cmdVerify(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "verify", "ARCHIVE --key KEY [--key KEY...] [--json]")
	var keys keyList
	fs.Var(&keys, "key", "a public key to check the package with: the exporting node's log key, the sending State's log key for evidence it received, and any witness's; give the flag once for each key, or the name of a file with one key a line")
	asJSON := fs.Bool("json", false, "print the report as JSON, for programs, instead of words")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: entraide verify ARCHIVE --key KEY [--key KEY...] [--json]

Checks an evidence package exported by a node of Entraide, offline: it needs
no network and no database, only the package file and the public keys of the
exporting State's log (and, to check cosignatures, of the witnesses).

It checks that every file has the SHA-256 recorded when it was collected,
that each custody record is in the exporting node's log (by its inclusion
proof and a signed checkpoint), which witnesses cosigned that checkpoint,
for an item the exporting State received from another State that the
sending State's own log proves who collected and held it there (give that
State's log key too; without it the key in the package is used, and the
report says it is not independently confirmed), that a disposed item's
disposal is proven though its bytes are gone,
and that not one byte of the package changed since the node sealed it. It
prints what was asked, what was given, each file and whether it matched, the
custody chain in words, the log and its witnesses, and every problem, naming
the file, record, proof or checkpoint it is in.

The exit status is 0 only when everything verified, 1 when anything did not.

Example:
  entraide verify evidence-REQUEST.tar --key "entraide/audit/VNM/9563c3b98b4db564+700309e2+AQgL..." --key witness-keys.txt

Flags:
`)
		fs.PrintDefaults()
	}
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "entraide verify: give the package file, and its keys with --key: entraide verify FILE --key KEY")
		return errUsage
	}
	if len(keys) == 0 {
		return errors.New("no key given: ask the exporting State for the public key of its node's log (a line NAME+HASH+KEY) and give it with --key")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%v: check the package's file name", err)
	}
	defer f.Close()
	rep, err := archive.Verify(f, keys)
	if err != nil {
		return fmt.Errorf("%v: check the key as the exporting State published it", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(e.stdout); err != nil {
		return err
	}
	if !rep.OK {
		return errNotVerified
	}
	return nil
}
