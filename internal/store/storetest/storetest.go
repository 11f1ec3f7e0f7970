// Package storetest opens real databases for tests: a fresh SQLite file in
// a temporary directory, or a fresh schema in the local PostgreSQL server.
// Each call isolates itself, so tests may run in parallel.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop schemas

	"entraide/internal/store"
)

// PostgresURLEnv names the variable that gives the PostgreSQL server the
// tests use; DefaultPostgresURL is the local server when it is unset.
const (
	PostgresURLEnv     = "ENTRAIDE_TEST_POSTGRES"
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

// Backends lists the backends every store test runs against.
var Backends = []string{"sqlite", "postgres"}

// DSN returns a fresh database for backend: an SQLite path, or a postgres
// URL whose search_path is a new schema dropped at the end of the test.
// PostgreSQL tests skip, saying so, only when no server answers.
func DSN(tb testing.TB, backend string) string {
	tb.Helper()
	switch backend {
	case "sqlite":
		return filepath.Join(tb.TempDir(), "entraide.db")
	case "postgres":
		return postgresSchema(tb)
	}
	tb.Fatalf("unknown backend %q", backend)
	return ""
}

// Open opens a fresh database for backend, closed at the end of the test.
func Open(tb testing.TB, backend string) *store.DB {
	tb.Helper()
	dsn := DSN(tb, backend)
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("store.Open(%s): %v", backend, err)
	}
	dsns.Store(db, dsn)
	tb.Cleanup(func() { dsns.Delete(db); db.Close() })
	return db
}

var dsns sync.Map // *store.DB opened by Open → its DSN

// ExecSQL runs statement, written with ? placeholders, on the database db
// was opened from by Open, over a connection of its own: for tests that
// write what the store never would, such as a row it cannot read.
func ExecSQL(tb testing.TB, db *store.DB, statement string, args ...any) {
	tb.Helper()
	dsn, ok := dsns.Load(db)
	if !ok {
		tb.Fatalf("ExecSQL: the database was not opened by storetest.Open")
	}
	driver, name := "sqlite", "file:"+dsn.(string)+"?_pragma=busy_timeout(10000)"
	if store.IsPostgres(dsn.(string)) {
		driver, name = "pgx", dsn.(string)
		var b strings.Builder
		n := 0
		for _, r := range statement {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		statement = b.String()
	}
	raw, err := sql.Open(driver, name)
	if err != nil {
		tb.Fatalf("ExecSQL: %v", err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(context.Background(), statement, args...); err != nil {
		tb.Fatalf("ExecSQL(%s): %v", statement, err)
	}
}

func postgresSchema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("%s=%q: %v", PostgresURLEnv, base, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		tb.Skipf("SKIP PostgreSQL tests: no server answers at %s (set %s to run them): %v", redact(base), PostgresURLEnv, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "entraide_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
