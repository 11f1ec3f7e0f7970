package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The statuses of a use report.
const (
	UseAsked      = "asked"      // the question is on its way, or waits for the answer
	UseVerified   = "verified"   // the answer arrived and verified against the other node's log
	UseRefused    = "refused"    // the answer arrived and did not verify: Problem says why
	UseUnanswered = "unanswered" // the other node refused the question, or it could not be delivered
)

// UseReport is a use report a State asked of the State it gave evidence
// to, and the answer once it arrived.
type UseReport struct {
	ID        string
	State     string // the asking State, whose view holds the report
	RequestID string
	ItemID    string // the asking State's item, "" for every item it gave on the request
	Peer      string // the State asked
	AskedBy   string
	AskedAt   time.Time
	Status    string
	// AnsweredAt, Problem, LogKey, CheckpointSize and Report are set when
	// the answer arrives (or the question is refused): Report is the
	// answer as it arrived, LogKey the other node's log key it was
	// checked with.
	AnsweredAt     time.Time
	Problem        string
	LogKey         string
	CheckpointSize int64
	Report         []byte
}

// InsertUseReport records a question as asked.
func (tx *Tx) InsertUseReport(ctx context.Context, u UseReport) error {
	_, err := tx.exec(ctx, `INSERT INTO use_reports (id, state, request_id, item_id, peer, asked_by, asked_at, status, answered_at, problem, log_key, checkpoint_size, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', '', 0, ?)`,
		u.ID, u.State, u.RequestID, u.ItemID, u.Peer, u.AskedBy, formatTime(u.AskedAt), UseAsked, []byte{})
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// AnswerUseReport records the answer to state's question id, or its
// refusal, if it is still asked: it reports whether it did, so that an
// answer that arrives twice is kept once.
func (tx *Tx) AnswerUseReport(ctx context.Context, state, id string, u UseReport) (bool, error) {
	if u.Report == nil {
		u.Report = []byte{}
	}
	res, err := tx.exec(ctx, `UPDATE use_reports SET status = ?, answered_at = ?, problem = ?, log_key = ?, checkpoint_size = ?, report = ? WHERE state = ? AND id = ? AND status = ?`,
		u.Status, formatTime(u.AnsweredAt), ClipText(u.Problem, 3*MaxErrorText), u.LogKey, u.CheckpointSize, u.Report, state, id, UseAsked)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const useReportColumns = `id, state, request_id, item_id, peer, asked_by, asked_at, status, answered_at, problem, log_key, checkpoint_size, report`

func scanUseReport(s scanner) (UseReport, error) {
	var u UseReport
	var asked, answered string
	if err := s.Scan(&u.ID, &u.State, &u.RequestID, &u.ItemID, &u.Peer, &u.AskedBy, &asked, &u.Status, &answered, &u.Problem, &u.LogKey, &u.CheckpointSize, &u.Report); err != nil {
		return u, err
	}
	var err error
	if u.AskedAt, err = parseTime(asked); err != nil {
		return u, &RowError{Table: "use_reports", ID: u.ID, Err: err}
	}
	if u.AnsweredAt, err = parseOptTime(answered); err != nil {
		return u, &RowError{Table: "use_reports", ID: u.ID, Err: err}
	}
	return u, nil
}

// UseReportByID returns state's use report id, or ErrNotFound.
func (db *DB) UseReportByID(ctx context.Context, state, id string) (UseReport, error) {
	u, err := scanUseReport(db.read.QueryRowContext(ctx, db.bind(`SELECT `+useReportColumns+` FROM use_reports WHERE state = ? AND id = ?`), state, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	if err != nil && !errors.As(err, new(*RowError)) {
		return u, fmt.Errorf("use report %s: %w", id, err)
	}
	return u, err
}

// UseReports lists the use reports state asked on request, newest first.
// Reports that cannot be read are named in a Partial error, and left out.
func (db *DB) UseReports(ctx context.Context, state, request string) ([]UseReport, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+useReportColumns+` FROM use_reports WHERE state = ? AND request_id = ? ORDER BY asked_at DESC, id DESC`), state, request)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanUseReport, false)
}
