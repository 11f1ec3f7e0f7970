package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"entraide/internal/archive"
	"entraide/internal/node"
)

func cmdEvidenceExport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence export", "REQUEST [-o FILE] [--for-state CODE] [--proceedings TEXT]   (writes the request's evidence package, for a court, and checks it)")
	addClientFlags(fs, e)
	out := fs.String("o", "", "the file to write (default: evidence-REQUEST.tar in this directory)")
	forState := fs.String("for-state", "", "the State the package is for, ISO 3166 alpha-3 code (default: your own)")
	proceedings := fs.String("proceedings", "", "the proceedings the package serves, when not the request's own (default: the request's own)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: entraide evidence export REQUEST [-o FILE]

Writes the evidence package of a request: one file for a court, holding the
request and the answer given, every item of evidence available with the hash
recorded when it was collected, who held each item and when, and the proofs
that all of it is in this node's tamper-evident log, sealed with the log's key.
The export is recorded in each item's custody.

The command then checks the package as a court would, with the node's log
key, and prints that key: give the court the file and the key, and it checks
the package offline with entraide verify FILE --key KEY.

Items another State gave under conditions (entraide evidence list shows
them) go only where those conditions allow: a package for a third State
(--for-state) or for other proceedings (--proceedings) is refused, naming
the condition, until that State consents (entraide consent ask). The
package's record says whom and which proceedings it was for.

Flags:
`)
		fs.PrintDefaults()
	}
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("evidence export: give the request's id, e.g. entraide evidence export REQUEST (entraide request list shows them)")
	}
	request := fs.Arg(0)
	target := *out
	if target == "" {
		target = "evidence-" + request + ".tar"
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var key node.LogKey
	if err := c.do(ctx, "GET", "/api/v1/log/key", nil, &key); err != nil {
		return fmt.Errorf("evidence export: the node's log key: %w", err)
	}
	q := url.Values{}
	if *forState != "" {
		q.Set("for_state", *forState)
	}
	if *proceedings != "" {
		q.Set("proceedings", *proceedings)
	}
	pkgPath := "/api/v1/requests/" + url.PathEscape(request) + "/evidence-package"
	if len(q) > 0 {
		pkgPath += "?" + q.Encode()
	}
	res, err := c.stream(ctx, pkgPath)
	if err != nil {
		return withNext("evidence export", err, "entraide request list gives the ids of your State's requests")
	}
	defer res.Body.Close()
	file, err := os.OpenFile(target+".part", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return withNext("evidence export", err, "entraide request list gives the ids of your State's requests")
	}
	defer os.Remove(target + ".part")
	defer file.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(file, h), res.Body)
	if err != nil {
		return fmt.Errorf("evidence export: the package stopped after %d bytes (%v): nothing was kept; run the command again", n, err)
	}
	if err := errors.Join(file.Sync(), file.Close()); err != nil {
		return withNext("evidence export", err, "entraide request list gives the ids of your State's requests")
	}
	check, err := os.Open(target + ".part")
	if err != nil {
		return withNext("evidence export", err, "entraide request list gives the ids of your State's requests")
	}
	rep, err := archive.Verify(check, []string{key.VerifierKey})
	check.Close()
	if err != nil {
		return fmt.Errorf("evidence export: the node's log key %q: %w", key.VerifierKey, err)
	}
	if !rep.OK {
		first := rep.Problems[0]
		return fmt.Errorf("evidence export: the package received does not verify (%s: %s): nothing was kept; run the command again, and tell the node's administrators if it fails again", first.Part, first.Message)
	}
	if err := os.Rename(target+".part", target); err != nil {
		return withNext("evidence export", err, "entraide request list gives the ids of your State's requests")
	}
	disposed := 0
	for _, f := range rep.Files {
		if f.Disposed != nil {
			disposed++
		}
	}
	tombstones := ""
	if disposed > 0 {
		tombstones = fmt.Sprintf(" and the tombstones of %d disposed of (their custody, without their bytes)", disposed)
	}
	fmt.Fprintf(e.stdout, "Wrote %s: %d bytes, SHA-256 %s, %d item(s) of evidence%s; it verifies with this node's log key.\n", target, n, hex.EncodeToString(h.Sum(nil)), len(rep.Files)-disposed, tombstones)
	fmt.Fprintf(e.stdout, "Give the court the file and this key; it checks the package offline with:\n  entraide verify %s --key %s\n", target, key.VerifierKey)
	seen := map[string]bool{}
	var witnesses []string
	for _, cp := range rep.Log.Checkpoints {
		for _, w := range cp.UnknownSigners {
			if !seen[w] {
				seen[w] = true
				witnesses = append(witnesses, w)
			}
		}
	}
	if len(witnesses) > 0 {
		fmt.Fprintf(e.stdout, "Witnesses cosigned the log: %s. The court checks their cosignatures with their keys\n", strings.Join(witnesses, ", "))
		fmt.Fprintln(e.stdout, "(another --key each), which it gets from their States: entraide log key on their nodes prints it as the witness key.")
	}
	senders := map[string]string{}
	for _, f := range rep.Files {
		if o := f.Origin; o != nil && senders[o.State] == "" {
			senders[o.State] = o.LogKeyName
			fmt.Fprintf(e.stdout, "Items came from %s, with %s's custody of them proven in its log %q: the court checks it with %s's log key\n", o.State, o.State, o.LogKeyName, o.State)
			fmt.Fprintf(e.stdout, "(another --key), which it gets from %s (entraide log key on its node prints it); without it, verify uses the key in the package and says so.\n", o.State)
		}
	}
	return nil
}
