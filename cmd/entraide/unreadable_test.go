package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// request list says, on stderr, which stored requests the node could not
// read and left out of the page; it used to print the rest as if they
// were all.
func TestRequestListReportsUnreadableRows(t *testing.T) {
	c := newCLI(t)
	c.init()
	c.startAPI()
	c.env["ENTRAIDE_TOKEN"] = c.official("--id", "fra-ca", "--name", "Claire Dubois", "--role", "central_authority")
	db, err := sql.Open("sqlite", filepath.Join(c.dataDir(), "entraide.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// As a row written by hand, or by a version that wrote it otherwise.
	_, err = db.ExecContext(t.Context(), `INSERT INTO requests (holder, id, kind, requesting_state, requested_state, state, urgency, created_at, updated_at, version, body)
		VALUES ('FRA', 'broken-row', 'preservation', 'FRA', 'VNM', 'draft', 'normal', '2026-03-01T10:00:00.000000Z', '2026-03-01T10:00:00.000000Z', 1, '{not json')`)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, err := c.run("request", "list")
	if err != nil {
		t.Fatalf("request list: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "ID") || !strings.Contains(errOut, "broken-row") || !strings.Contains(errOut, "unreadable") {
		t.Errorf("request list: stdout %q, stderr %q; want the list, and the unreadable row named on stderr", out, errOut)
	}
}
