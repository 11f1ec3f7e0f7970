package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// maxGroup bounds how many transactions one SQLite commit carries: enough
// to share a write of the log among all the writers of a busy node, few
// enough that the first of them does not wait long for the last.
const maxGroup = 64

// groupCommit commits the concurrent transactions of SQLite's one writer
// connection together. SQLite's cost of a write transaction is mostly its
// commit, which writes every page it changed to the write-ahead log; the
// writers of a busy node change the same pages (the tables' last leaves,
// the indexes'), so one commit for many of them writes those pages once.
// Each transaction runs inside a savepoint of the shared one: one that
// fails is rolled back alone, and its caller gets its error; the others
// are committed, and their callers return only once they are. A commit
// that fails fails all of them, and none is told it succeeded.
//
// A durable transaction (DurableTx) makes its whole group's commit
// durable: the group commits with synchronous=FULL, whose one sync of the
// write-ahead log puts every transaction of the group on disk. Inbound
// messages, whose receipts promise they are kept, then share a sync
// instead of waiting for the writer connection one sync at a time.
//
// There is no goroutine of its own: the first writer to find the
// connection free leads, and commits the writers queued behind it; when
// it is done, the first writer still queued leads the next group.
type groupCommit struct {
	db    *DB
	mu    sync.Mutex
	queue []*groupJob
	busy  bool // a leader is running a group
}

// groupJob is one caller's transaction, waiting for its group.
type groupJob struct {
	ctx context.Context
	fn  func(*Tx) error
	// durable: the job's commit must be on disk before it returns.
	durable bool
	done    chan struct{} // closed when the job is over, or when it leads
	lead    bool          // set before done is closed: run the next group
	err     error
	after   []func()
	panic   any // fn's panic, raised again in its caller's goroutine
}

// do runs fn in a transaction committed with those of the writers queued
// at the same time, and returns once it is committed or has failed; once
// it is on disk too if durable.
func (g *groupCommit) do(ctx context.Context, fn func(*Tx) error, durable bool) ([]func(), error) {
	j := &groupJob{ctx: ctx, fn: fn, durable: durable, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, j)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if !lead {
		<-j.done
		lead = j.lead
	}
	if lead {
		g.runNext()
	}
	if j.panic != nil {
		panic(j.panic)
	}
	return j.after, j.err
}

// runNext takes the queued jobs, up to maxGroup, runs them in one
// transaction, hands the lead to the first job still queued, and then
// tells the jobs of the group their outcome.
func (g *groupCommit) runNext() {
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	group := g.queue[:n:n]
	g.queue = append([]*groupJob(nil), g.queue[n:]...)
	g.mu.Unlock()

	g.run(group)

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		next.lead = true
		close(next.done)
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	// The leader is group[0], which waits on nobody.
	for _, j := range group[1:] {
		close(j.done)
	}
}

// run runs group's jobs in one transaction and sets their outcomes.
func (g *groupCommit) run(group []*groupJob) {
	db := g.db
	// The transaction is the group's: one caller giving up must not roll
	// back the others', so it is begun, and each job's statements run,
	// without the callers' cancellation. A caller that gave up before its
	// turn is skipped.
	conn, err := db.write.Conn(context.Background())
	if err != nil {
		for _, j := range group {
			j.err = fmt.Errorf("begin: %w", err)
		}
		return
	}
	defer conn.Close()
	if slices.ContainsFunc(group, func(j *groupJob) bool { return j.durable }) {
		// SQLite changes the setting only outside a transaction: on the
		// one writer connection, held from before BEGIN to after the
		// reset. A failed reset leaves the connection slower, not less
		// safe.
		if _, err := conn.ExecContext(context.Background(), `PRAGMA synchronous=FULL`); err != nil {
			for _, j := range group {
				j.err = fmt.Errorf("durable commit: %w", err)
			}
			return
		}
		defer conn.ExecContext(context.Background(), `PRAGMA synchronous=NORMAL`)
	}
	sqlTx, err := conn.BeginTx(context.Background(), nil)
	if err != nil {
		for _, j := range group {
			j.err = fmt.Errorf("begin: %w", err)
		}
		return
	}
	// A group of one needs no savepoint: the job's failure rolls back
	// the transaction, which holds nothing else.
	savepoints := len(group) > 1
	exec := func(query string) error {
		if !savepoints {
			return nil
		}
		var err error
		if stmt := db.prepared(query); stmt != nil {
			_, err = sqlTx.Stmt(stmt).Exec()
		} else {
			_, err = sqlTx.Exec(query)
		}
		return err
	}
	ran := 0
	failed := func(err error) {
		for _, j := range group {
			if j.err == nil && j.panic == nil {
				j.err, j.after = err, nil
			}
		}
	}
	for _, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.err = fmt.Errorf("begin: %w", err)
			continue
		}
		if err := exec(`SAVEPOINT job`); err != nil {
			sqlTx.Rollback()
			failed(fmt.Errorf("begin: %w", err))
			return
		}
		tx := &Tx{tx: sqlTx, db: db, dialect: db.dialect, detached: true}
		j.panic, j.err = runJob(j.fn, tx)
		if j.err == nil && j.panic == nil {
			j.err = tx.advanceChains(j.ctx)
		}
		if j.err != nil || j.panic != nil {
			// A statement error that ended the whole transaction (a full
			// disk, an I/O error) leaves no savepoint to go back to: the
			// group fails.
			if err := exec(`ROLLBACK TO job`); err != nil {
				sqlTx.Rollback()
				failed(fmt.Errorf("roll back: %w", err))
				return
			}
		} else {
			j.after = tx.afterCommit
			ran++
		}
		if err := exec(`RELEASE job`); err != nil {
			sqlTx.Rollback()
			failed(fmt.Errorf("commit: %w", err))
			return
		}
	}
	if ran == 0 {
		sqlTx.Rollback()
		return
	}
	if err := sqlTx.Commit(); err != nil {
		failed(fmt.Errorf("commit: %w", err))
	}
}

// runJob runs fn, catching its panic for its caller to raise again.
func runJob(fn func(*Tx) error, tx *Tx) (p any, err error) {
	defer func() {
		if r := recover(); r != nil {
			p = r
		}
	}()
	return nil, fn(tx)
}
