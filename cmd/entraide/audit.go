package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/directory"
	"entraide/internal/store"
)

func cmdAudit(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "audit", "[--after SEQ] [--limit N] [--json] [flags]   (auditors and administrators; LEAF is the record's place in the node's Merkle log, \"-\" for the second before it is integrated)")
	addClientFlags(fs, e)
	after := fs.Int64("after", 0, "only records after this sequence number (the SEQ column; the command prints the next one to give)")
	limit := fs.Int("limit", 100, "at most this many records, 1 to 1000")
	asJSON := fs.Bool("json", false, "print the records as the API gives them: canonical bytes (base64) and leaf hashes")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	q := url.Values{"after": {fmt.Sprint(*after)}, "limit": {fmt.Sprint(*limit)}}
	var entries []store.AuditEntry
	if err := c.do(ctx, "GET", "/api/v1/audit?"+q.Encode(), nil, &entries); err != nil {
		if ae := (*apiError)(nil); errors.As(err, &ae) && ae.Status == http.StatusForbidden {
			return fmt.Errorf("audit: %w\nthe audit log is read by your State's auditors and administrators: ask one of them", err)
		}
		return fmt.Errorf("audit: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, entries)
	}
	return printAudit(e.stdout, entries, *limit)
}

// printAudit writes audit records as an official reads them: when, who,
// what, to what, and the detail as "name: value" pairs.
func printAudit(w io.Writer, entries []store.AuditEntry, limit int) error {
	if len(entries) == 0 {
		fmt.Fprintln(w, "No audit records after this point.")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tLEAF\tTIME (UTC)\tACTOR\tACTION\tSUBJECT\tDETAIL")
	for _, en := range entries {
		// The leaf index, once the log has integrated the record (within
		// a second): where its inclusion proof starts.
		leaf := "-"
		if en.LeafIndex != nil {
			leaf = fmt.Sprint(*en.LeafIndex)
		}
		if en.Unreadable != "" {
			fmt.Fprintf(tw, "%d\t%s\t-\t-\t-\t-\tUNREADABLE: %s\n", en.Seq, leaf, en.Unreadable)
			continue
		}
		r, err := auditlog.Parse(en.Record)
		if err != nil {
			fmt.Fprintf(tw, "%d\t%s\t-\t-\t-\t-\tunreadable: %v\n", en.Seq, leaf, err)
			continue
		}
		actor := r.Actor
		if r.ActorState != "" {
			actor = r.ActorState + "/" + r.Actor
		}
		detail := detailWords(r.Detail)
		if len(en.Redacted) > 0 {
			// What the record holds of persons is withheld from this
			// reader (art. 36); say so, so that its absence misleads no one.
			names := make([]string, len(en.Redacted))
			for i, k := range en.Redacted {
				names[i] = strings.ReplaceAll(strings.TrimPrefix(k, "detail."), "_", " ")
			}
			withheld := "withheld (personal data, art. 36): " + strings.Join(names, ", ")
			if detail == "" || detail == "-" {
				detail = withheld
			} else {
				detail += "; " + withheld
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", en.Seq, leaf, r.At.Format(time.DateTime), actor, r.Action, orDash(r.Subject), detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(entries) == limit {
		fmt.Fprintf(w, "\nMore may follow: entraide audit --after %d\n", entries[len(entries)-1].Seq)
	}
	return nil
}

// detailWords writes a record's detail as "name: value; ..." in the order
// of the names, its values as JSON writes them but for strings, unquoted.
func detailWords(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "-"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		var s string
		if json.Unmarshal(v, &s) != nil {
			var b bytes.Buffer
			if json.Compact(&b, v) == nil {
				s = b.String()
			} else {
				s = string(v)
			}
		}
		parts = append(parts, strings.ReplaceAll(k, "_", " ")+": "+s)
	}
	return strings.Join(parts, "; ")
}

func cmdVersion(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "version", "")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, versionLine())
	return nil
}

// versionLine says which build this is: the module's version, the commit
// it was built from when the build knows it, and the Go release.
func versionLine() string {
	version, revision, when, modified := "(devel)", "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	line := "entraide " + version
	if revision != "" {
		line += ", commit " + revision
		if when != "" {
			line += " of " + when
		}
		if modified {
			line += " with local changes"
		}
	}
	return line + ", built with " + runtime.Version()
}

func cmdStates(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "states", "[NAME OR CODE]")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	list := directory.Participants()
	if fs.NArg() > 0 {
		q := strings.Join(fs.Args(), " ")
		if p, ok := directory.LookupParticipant(q); ok {
			list = []directory.Participant{p}
		} else if list = directory.SuggestParticipants(q, len(list)); len(list) == 0 {
			return fmt.Errorf("states: no State or organisation matches %q\nnext: give part of its name in one of the six UN languages (entraide states viet), or run entraide states alone for the whole list", q)
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME\tNOM\tSTATUS")
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Code, p.Name(), p.Names["fr"], p.Status)
	}
	return tw.Flush()
}
