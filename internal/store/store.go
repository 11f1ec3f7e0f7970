// Package store keeps a node's state in SQL: SQLite (the embedded default,
// one file in WAL mode) or PostgreSQL (for scale). Both backends run the
// same queries and the same test suite; the few differences live in
// dialect. Migrations are embedded and run at open.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

//go:embed migrations
var migrations embed.FS

// TimeFormat is how times are stored: fixed-width UTC text, so that they
// sort the same in both backends.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }

type dialect struct {
	name string
	// forUpdate locks the rows a transaction reads before it writes them;
	// SQLite needs none, as its write transactions start IMMEDIATE.
	forUpdate string
	dollar    bool // placeholders are $1, $2... rather than ?
	// nextQueued is the number of the next message queued in the outbox
	// (outbox.queued), in order of queueing: PostgreSQL's sequence, whose
	// numbers follow the order in which writers take them; SQLite's one
	// writer counts on.
	nextQueued string
}

var (
	sqliteDialect   = dialect{name: "sqlite", nextQueued: `(SELECT COALESCE(MAX(queued), 0) + 1 FROM outbox)`}
	postgresDialect = dialect{name: "postgres", forUpdate: " FOR UPDATE", dollar: true, nextQueued: `nextval('outbox_queued')`}
)

// DB is a node's database.
type DB struct {
	// write serialises SQLite's writers on one connection, which is
	// faster than letting them contend for the file lock; for PostgreSQL
	// write and read are the same pool.
	write   *sql.DB
	read    *sql.DB
	dialect dialect
	stmts   sync.Map // query → *sql.Stmt on write
	// readStmts holds the read queries run often enough that parsing
	// and planning them each time would cost more than running them (a
	// trace's thousands of page reads): query → *sql.Stmt on read.
	readStmts sync.Map
	pending   sync.Map // queries to prepare after the current transaction
	// group commits SQLite's concurrent write transactions together, once
	// the schema is up to date; nil on PostgreSQL, which does it itself.
	group *groupCommit
	// bus tells this process what the node's other replicas commit; nil
	// on SQLite.
	bus *bus
}

// Backend names the database in use: "sqlite" or "postgres".
func (db *DB) Backend() string { return db.dialect.name }

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sqliteURIPath escapes what a SQLite URI reads as other than a path: a
// data directory named "cases#2" or "a?b" would otherwise open another
// file, silently.
var sqliteURIPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Open opens the database that dsn names and brings its schema up to date.
// A postgres:// URL opens PostgreSQL; anything else is the path of an
// SQLite file, created if missing.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, math.MaxInt)
}

// open opens the database at dsn and runs the migrations up to version
// upTo.
func open(ctx context.Context, dsn string, upTo int) (*DB, error) {
	var db *DB
	if IsPostgres(dsn) {
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(32)
		pool.SetMaxIdleConns(32)
		db = &DB{write: pool, read: pool, dialect: postgresDialect}
	} else {
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
		}
		// synchronous=NORMAL in WAL mode loses no committed transaction on
		// a process crash, only on power loss, at four times the speed.
		pragmas := "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"
		// The writer keeps its temporary files in memory: the savepoint of
		// each transaction of a group commit (groupCommit) copies there the
		// pages it changes, which would otherwise be written to a file and
		// thrown away.
		file := "file:" + sqliteURIPath.Replace(dsn)
		w, err := sql.Open("sqlite", file+pragmas+"&_pragma=temp_store(MEMORY)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		w.SetMaxOpenConns(1)
		// Each reader keeps up to 32 MiB of pages (SQLite's default is
		// 2): a trace reads thousands of accounts' movements from the
		// indexes' interior pages again and again. The cache fills only
		// as pages are read.
		r, err := sql.Open("sqlite", file+pragmas+"&_pragma=query_only(ON)&_pragma=cache_size(-32768)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		// All eight are kept open: database/sql keeps two idle by
		// default, and closes the others as each read ends, so that a
		// busy node opened a connection (its pragmas, its statements
		// prepared again, its page cache empty) for most of its reads.
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		db = &DB{write: w, read: r, dialect: sqliteDialect}
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", db.dialect.name, err)
	}
	if err := db.migrate(ctx, upTo); err != nil {
		db.Close()
		return nil, err
	}
	if db.dialect.name == "sqlite" {
		db.group = &groupCommit{db: db}
	} else {
		var schema string
		if err := db.read.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			db.Close()
			return nil, fmt.Errorf("read the database's schema: %w", err)
		}
		db.bus = newBus(dsn, schema)
	}
	return db, nil
}

// Close releases the database.
func (db *DB) Close() error {
	if db.bus != nil {
		db.bus.close()
	}
	db.stmts.Range(func(_, s any) bool { s.(*sql.Stmt).Close(); return true })
	db.readStmts.Range(func(_, s any) bool { s.(*sql.Stmt).Close(); return true })
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

func (db *DB) migrate(ctx context.Context, upTo int) error {
	dir := "migrations/" + db.dialect.name
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, e := range entries {
		version, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", e.Name())
		}
		if version > upTo {
			break
		}
		script, err := migrations.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return err
		}
		err = db.Tx(ctx, func(tx *Tx) error {
			var n int
			if err := tx.tx.QueryRowContext(ctx, tx.bind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.tx.ExecContext(ctx, string(script)); err != nil {
				return err
			}
			if step, ok := goMigrations[version]; ok {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.tx.ExecContext(ctx, tx.bind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, formatTime(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", e.Name(), err)
		}
	}
	return nil
}

// Tx is a write transaction.
type Tx struct {
	tx          *sql.Tx
	db          *DB
	dialect     dialect
	afterCommit []func()
	// detached: the transaction is shared by a group of callers, whose
	// statements run without their caller's cancellation, which would
	// interrupt SQLite and roll back the whole group.
	detached bool
	// topics are what tx changed, announced to the other replicas as it
	// commits (PostgreSQL only).
	topics []Topic
	// chains are the requests' queues to peers (recipient, request id)
	// whose first message may have changed: their head is set as the
	// transaction ends (advanceChains).
	chains map[chain]bool
}

// AfterCommit runs fn once tx has committed, and never if it rolls back:
// the way to wake a worker for a row tx wrote, which it could not see
// before the commit.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// Tx runs fn in one write transaction, committed if fn returns nil and
// rolled back otherwise.
func (db *DB) Tx(ctx context.Context, fn func(*Tx) error) error {
	var after []func()
	var err error
	if db.group != nil {
		after, err = db.group.do(ctx, fn, false)
	} else {
		after, err = db.runTx(ctx, db.write, fn)
	}
	if err != nil {
		return err
	}
	db.committed(ctx, after)
	return nil
}

// committed runs a committed transaction's AfterCommit functions, and
// prepares its new queries, once the writer connection is free again.
func (db *DB) committed(ctx context.Context, after []func()) {
	for _, f := range after {
		f()
	}
	db.preparePending(ctx)
}

// DurableTx is Tx for a transaction whose outcome the node signs for (a
// receipt, a checkpoint, a custody entry): its commit is on disk before
// DurableTx returns. SQLite otherwise runs synchronous=NORMAL, which
// keeps every commit through a crash of the process but may lose the
// latest ones on a power cut; DurableTx commits with synchronous=FULL,
// which puts the write-ahead log of every earlier transaction on disk
// too; concurrent ones share that commit (groupCommit), so that a busy
// inbox syncs once for many messages. PostgreSQL commits to disk already
// (synchronous_commit on).
func (db *DB) DurableTx(ctx context.Context, fn func(*Tx) error) error {
	if db.dialect.name != "sqlite" {
		return db.Tx(ctx, fn)
	}
	if db.group != nil {
		after, err := db.group.do(ctx, fn, true)
		if err == nil {
			db.committed(ctx, after)
		}
		return err
	}
	// SQLite changes the setting only outside a transaction, so on the
	// one writer connection, held from before BEGIN to after the reset.
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous=FULL`); err != nil {
		conn.Close()
		return fmt.Errorf("durable commit: %w", err)
	}
	after, err := func() ([]func(), error) {
		// Back to the node's setting whatever happens, a panic in fn
		// included; a failed reset leaves the connection slower, not less
		// safe, so its error is not fn's.
		defer func() {
			conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous=NORMAL`)
			conn.Close()
		}()
		return db.runTx(ctx, conn, fn)
	}()
	if err == nil {
		db.committed(ctx, after)
	}
	return err
}

// execGrouped runs one statement that writes and returns how many rows
// it changed. On SQLite it is a transaction of its own, committed with
// those of the other writers (groupCommit) rather than taking the one
// writer connection between their groups for a commit of its own.
func (db *DB) execGrouped(ctx context.Context, query string, args ...any) (int64, error) {
	if db.group == nil {
		res, err := db.write.ExecContext(ctx, db.bind(query), args...)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	var n int64
	err := db.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// beginner is a *sql.DB or a *sql.Conn.
type beginner interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}

// runTx runs fn in a transaction begun on on, and returns the functions
// to run after its commit.
func (db *DB) runTx(ctx context.Context, on beginner, fn func(*Tx) error) ([]func(), error) {
	sqlTx, err := on.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		// Also on a panic in fn: SQLite's one writer connection must not
		// stay inside an open transaction.
		if !committed {
			sqlTx.Rollback()
		}
	}()
	tx := &Tx{tx: sqlTx, db: db, dialect: db.dialect}
	if err := fn(tx); err != nil {
		return nil, err
	}
	if err := tx.advanceChains(ctx); err != nil {
		return nil, err
	}
	if len(tx.topics) > 0 {
		if err := tx.sendAnnouncements(ctx); err != nil {
			return nil, err
		}
	}
	committed = true
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return tx.afterCommit, nil
}

// context is the context tx's statements run in: ctx, without its
// cancellation if tx is shared by a group.
func (tx *Tx) context(ctx context.Context) context.Context {
	if tx.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (tx *Tx) bind(query string) string { return tx.dialect.bind(query) }

func (db *DB) bind(query string) string { return db.dialect.bind(query) }

// bind turns ? placeholders into $n for PostgreSQL. No query in this
// package has a literal '?'.
func (d dialect) bind(query string) string {
	if !d.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when a row to create already exists.
var ErrExists = errors.New("already exists")

func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "duplicate key value")
}

// exec runs a statement inside tx, prepared once per database: SQLite
// would otherwise parse every statement on every call, which costs more
// than running it.
func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = tx.context(ctx)
	if stmt := tx.db.prepared(query); stmt != nil {
		return tx.tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, tx.bind(query), args...)
}

// queryRow runs a query returning one row inside tx, prepared once.
func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = tx.context(ctx)
	if stmt := tx.db.prepared(query); stmt != nil {
		return tx.tx.StmtContext(ctx, stmt).QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, tx.bind(query), args...)
}

// query runs a query returning rows inside tx, prepared once.
func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = tx.context(ctx)
	if stmt := tx.db.prepared(query); stmt != nil {
		return tx.tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, tx.bind(query), args...)
}

// prepared returns the prepared statement for query, or nil the first
// time, when it notes the query to prepare once the transaction is over:
// preparing it now would wait for a connection that SQLite's one writer
// connection, held by the transaction, cannot give.
func (db *DB) prepared(query string) *sql.Stmt {
	if s, ok := db.stmts.Load(query); ok {
		return s.(*sql.Stmt)
	}
	db.pending.Store(query, true)
	return nil
}

// readStmt returns query prepared on the read pool, once per database;
// database/sql prepares it again on each connection that runs it.
func (db *DB) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := db.readStmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	stmt, err := db.read.PrepareContext(ctx, db.bind(query))
	if err != nil {
		return nil, err
	}
	if s, loaded := db.readStmts.LoadOrStore(query, stmt); loaded {
		stmt.Close()
		return s.(*sql.Stmt), nil
	}
	return stmt, nil
}

// readRow runs query, a constant, on the read pool, prepared once
// (readStmt): SQLite parses a statement at more cost than it runs a
// lookup by key, and the hot reads of the API and the loops are such.
func (db *DB) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	stmt, err := db.readStmt(ctx, query)
	if err != nil {
		// Unprepared, the query reports the same error where it is read.
		return db.read.QueryRowContext(ctx, db.bind(query), args...)
	}
	return stmt.QueryRowContext(ctx, args...)
}

// readRows is readRow for a query returning rows.
func (db *DB) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := db.readStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return stmt.QueryContext(ctx, args...)
}

// preparePending prepares the queries noted by prepared, outside any
// transaction.
func (db *DB) preparePending(ctx context.Context) {
	db.pending.Range(func(q, _ any) bool {
		db.pending.Delete(q)
		if _, ok := db.stmts.Load(q); ok {
			return true
		}
		stmt, err := db.write.PrepareContext(ctx, db.bind(q.(string)))
		if err != nil {
			return true // the query keeps running unprepared
		}
		if _, loaded := db.stmts.LoadOrStore(q, stmt); loaded {
			stmt.Close()
		}
		return true
	})
}
