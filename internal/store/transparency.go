package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"entraide/internal/transparency"
)

// The transparency report counts the requests a State sent or received in
// a period, by the day they were sent (their send event, which both
// States' views share, so that both count a request in the same period),
// and says how each stood at the end of the period: only events before
// its end count. A report of a period that has ended therefore never
// changes, and two reports of it, read a day apart, tell nothing by their
// difference.

// transparencyMarks is the query of one row per view of state's sent in
// the period: its side, kind, other State, and its outcome, postponement,
// accepted conditions and times of delivery, acknowledgement and answer
// by the end of the period. Its arguments are those of marksArgs.
func (d dialect) transparencyMarks() string {
	action := d.jsonText("e.body", "action")
	first := func(actions string) string {
		return `(SELECT MIN(e.at) FROM events e WHERE e.holder = r.holder AND e.request_id = r.id AND ` + action + ` IN (` + actions + `) AND e.at < ?)`
	}
	ever := func(actions string) string {
		return `CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.holder = r.holder AND e.request_id = r.id AND ` + action + ` IN (` + actions + `) AND e.at < ?) THEN 1 ELSE 0 END`
	}
	// A request is executed, partially executed, refused or withdrawn at
	// most once: each of them ends what the others could follow.
	outcome := `(SELECT ` + action + ` FROM events e WHERE e.holder = r.holder AND e.request_id = r.id AND ` + action +
		` IN ('execute', 'execute_partially', 'refuse', 'withdraw') AND e.at < ? ORDER BY e.seq LIMIT 1)`
	return `SELECT r.id AS id, r.body AS body, r.kind AS kind,
			CASE WHEN r.requesting_state = ? THEN 'sent' ELSE 'received' END AS side,
			CASE WHEN r.requesting_state = ? THEN r.requested_state ELSE r.requesting_state END AS counterpart,
			` + first(`'send'`) + ` AS sent_at,
			` + outcome + ` AS outcome,
			` + ever(`'postpone'`) + ` AS postponed,
			` + ever(`'accept_conditions'`) + ` AS accepted,
			CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.holder = r.holder AND e.request_id = r.id AND ` + action + ` IN ('execute', 'execute_partially')
				AND ` + d.jsonText("e.body", "answer_conditions") + ` IS NOT NULL AND e.at < ?)
				OR EXISTS (SELECT 1 FROM evidence_conditions c JOIN evidence_items i ON i.state = c.state AND i.id = c.item_id
				WHERE i.state = r.holder AND i.request_id = r.id AND c.added_at < ?) THEN 1 ELSE 0 END AS conditioned,
			` + first(`'deliver'`) + ` AS delivered,
			` + first(`'acknowledge'`) + ` AS acked,
			` + first(`'execute', 'execute_partially', 'refuse'`) + ` AS answered
		FROM requests r WHERE r.holder = ? AND r.state <> 'draft'`
}

// marksArgs are the arguments of transparencyMarks for a period ending
// (exclusive) at end.
func marksArgs(state string, end time.Time) []any {
	e := formatTime(end)
	return []any{state, state, e, e, e, e, e, e, e, e, e, state}
}

// inPeriod keeps the marks sent from the start of the period to its end.
const inPeriod = ` WHERE sent_at >= ? AND sent_at < ?`

// TransparencyFigures reads the figures of the transparency report of
// state for the days from from to to, both included: how many requests
// it sent and received, by kind and by other State, how they stood at
// the end of the period, the grounds of the refusals, the median times to
// acknowledge and to answer by kind, and how many carried conditions.
// It reads state's own views only, and nothing but codes and counts.
func (db *DB) TransparencyFigures(ctx context.Context, state string, from, to time.Time) (transparency.Figures, error) {
	from, to = transparency.Day(from), transparency.Day(to)
	end := to.AddDate(0, 0, 1)
	f := transparency.Figures{State: state, From: from, To: to}
	marks := `WITH marks AS (` + db.dialect.transparencyMarks() + `), period AS (SELECT * FROM marks` + inPeriod + `)`
	args := append(marksArgs(state, end), formatTime(from), formatTime(end))
	counts := `SUM(1), SUM(CASE WHEN outcome = 'execute' THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 'execute_partially' THEN 1 ELSE 0 END),
		SUM(CASE WHEN outcome = 'refuse' THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 'withdraw' THEN 1 ELSE 0 END),
		SUM(CASE WHEN outcome IS NULL THEN 1 ELSE 0 END), SUM(postponed)`
	query := marks + ` SELECT 'kind', side, kind, ` + counts + ` FROM period GROUP BY side, kind
		UNION ALL SELECT 'state', side, counterpart, ` + counts + ` FROM period GROUP BY side, counterpart
		ORDER BY 1, 2, 3`
	rows, err := db.read.QueryContext(ctx, db.bind(query), args...)
	if err != nil {
		return f, err
	}
	defer rows.Close()
	for rows.Next() {
		var by string
		var r transparency.Row
		c := &r.Counts
		if err := rows.Scan(&by, &r.Side, &r.Key, &c.Total, &c.Executed, &c.PartiallyExecuted, &c.Refused, &c.Withdrawn, &c.Pending, &c.Postponed); err != nil {
			return f, err
		}
		if by == "kind" {
			f.ByKind = append(f.ByKind, r)
		} else {
			f.ByState = append(f.ByState, r)
		}
	}
	if err := rows.Err(); err != nil {
		return f, err
	}
	if f.Grounds, err = db.refusalGrounds(ctx, marks, args); err != nil {
		return f, err
	}
	if f.Medians, err = db.transparencyMedians(ctx, marks, args); err != nil {
		return f, err
	}
	f.Conditions, err = db.conditionCounts(ctx, marks, args, state, from, end)
	return f, err
}

// refusalGrounds counts, by side and ground, the refusals in the period
// that cite the ground: a refusal's grounds are an array in the view's
// body, which each backend unnests its own way.
func (db *DB) refusalGrounds(ctx context.Context, marks string, args []any) ([]transparency.GroundCount, error) {
	unnest := `json_each(p.body, '$.refusal.grounds') g`
	if db.dialect.name == "postgres" {
		unnest = `jsonb_array_elements_text(COALESCE(CAST(p.body AS jsonb) -> 'refusal' -> 'grounds', '[]'::jsonb)) AS g(value)`
	}
	query := marks + ` SELECT p.side, g.value, COUNT(DISTINCT p.id) FROM period p CROSS JOIN ` + unnest + `
		WHERE p.outcome = 'refuse' GROUP BY p.side, g.value ORDER BY 1, 2`
	rows, err := db.read.QueryContext(ctx, db.bind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []transparency.GroundCount
	for rows.Next() {
		var g transparency.GroundCount
		var ground sql.NullString
		if err := rows.Scan(&g.Side, &ground, &g.N); err != nil {
			return nil, err
		}
		g.Ground = ground.String
		out = append(out, g)
	}
	return out, rows.Err()
}

// transparencyMedians computes, by side and kind, the median times from
// delivery to acknowledgement and to answer, as medians does.
func (db *DB) transparencyMedians(ctx context.Context, marks string, args []any) ([]transparency.Median, error) {
	d := db.dialect
	query := marks + `, ` + d.medianTimes("period", "side, kind, measure")
	rows, err := db.read.QueryContext(ctx, db.bind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []transparency.Median
	for rows.Next() {
		var kind, side, measure string
		var secs sql.NullFloat64
		var n int
		if err := rows.Scan(&kind, &side, &measure, &secs, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Kind != kind || out[len(out)-1].Side != side {
			out = append(out, transparency.Median{Kind: kind, Side: side})
		}
		m := &out[len(out)-1]
		dur := time.Duration(math.Round(secs.Float64)) * time.Second
		if measure == "ack" {
			m.Ack, m.AckN = dur, n
		} else {
			m.Answer, m.AnswerN = dur, n
		}
	}
	return out, rows.Err()
}

// conditionCounts counts, by side, the requests in the period that
// carried conditions, by measure (transparency.ConditionMeasures).
func (db *DB) conditionCounts(ctx context.Context, marks string, args []any, state string, from, end time.Time) ([]transparency.ConditionCount, error) {
	query := marks + ` SELECT side, SUM(accepted), SUM(conditioned) FROM period GROUP BY side ORDER BY side`
	rows, err := db.read.QueryContext(ctx, db.bind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []transparency.ConditionCount
	for rows.Next() {
		var side string
		var accepted, conditioned int
		if err := rows.Scan(&side, &accepted, &conditioned); err != nil {
			return nil, err
		}
		out = append(out, transparency.ConditionCount{Side: side, Measure: transparency.ConditionsAccepted, N: accepted},
			transparency.ConditionCount{Side: side, Measure: transparency.ConditionsSet, N: conditioned})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Consents to onward transfer to a third State (art. 36), asked in
	// the period: by this State of the State that gave it evidence (its
	// requests sent), or of this State by one it gave evidence to.
	query = `SELECT CASE WHEN asking_state = ? THEN 'sent' ELSE 'received' END, COUNT(*), SUM(CASE WHEN status = 'granted' THEN 1 ELSE 0 END)
		FROM evidence_consents WHERE state = ? AND to_state <> '' AND asked_at >= ? AND asked_at < ? GROUP BY 1 ORDER BY 1`
	crows, err := db.read.QueryContext(ctx, db.bind(query), state, state, formatTime(from), formatTime(end))
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	for crows.Next() {
		var side string
		var asked, granted int
		if err := crows.Scan(&side, &asked, &granted); err != nil {
			return nil, err
		}
		out = append(out, transparency.ConditionCount{Side: side, Measure: transparency.ConsentsAsked, N: asked},
			transparency.ConditionCount{Side: side, Measure: transparency.ConsentsGranted, N: granted})
	}
	return out, crows.Err()
}

// TransparencySince returns since when the node publishes its State's
// transparency report, or the zero time while it does not.
func (db *DB) TransparencySince(ctx context.Context) (time.Time, error) {
	var since string
	err := db.read.QueryRowContext(ctx, `SELECT transparency_since FROM node WHERE id = 1`).Scan(&since)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("node not initialised (run entraide init): %w", ErrNotFound)
	}
	if err != nil || since == "" {
		return time.Time{}, err
	}
	return parseTime(since)
}

// SetTransparencySince records since when the node publishes its State's
// transparency report; the zero time stops publication.
func (tx *Tx) SetTransparencySince(ctx context.Context, since time.Time) error {
	v := ""
	if !since.IsZero() {
		v = formatTime(since)
	}
	_, err := tx.exec(ctx, `UPDATE node SET transparency_since = ? WHERE id = 1`, v)
	return err
}
