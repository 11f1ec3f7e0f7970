package store

import (
	"context"
	"database/sql"
	"math"
	"time"
)

// Sides of a State's view of a request, as the statistics count them.
const (
	SideSent     = "sent"     // the State requested
	SideReceived = "received" // the State was requested
)

// Count is how many requests a State sent and received under one key: a
// kind of request or the other State.
type Count struct {
	Key            string
	Sent, Received int
}

// Median is the median time from a request's delivery to the requested
// State's node to its acknowledgement, or to its answer (executed,
// partially executed or refused), over N requests of a kind on one side.
type Median struct {
	Kind, Side string
	Ack        time.Duration
	AckN       int
	Answer     time.Duration
	AnswerN    int
}

// Deadlines counts a side's preservations by their deadline (art. 42(7)):
// met when the follow-up request came and now holds the data, missed when
// the period ended without it (what the inbox shows as overdue), running
// while the period lasts. A withdrawn request has no deadline any more.
type Deadlines struct {
	Side                 string
	Met, Missed, Running int
}

// Statistics are the figures of the requests a State sent and received,
// read from that State's own views only. Drafts are not counted.
type Statistics struct {
	ByKind    []Count
	ByState   []Count
	Medians   []Median
	Deadlines []Deadlines
}

// sideOf names the side of a view of state.
const sideOf = `CASE WHEN requesting_state = ? THEN 'sent' ELSE 'received' END`

// Statistics reads the figures of state's requests at now.
func (db *DB) Statistics(ctx context.Context, state string, now time.Time) (Statistics, error) {
	var s Statistics
	var err error
	counted := `SUM(CASE WHEN requesting_state = ? THEN 1 ELSE 0 END), SUM(CASE WHEN requested_state = ? THEN 1 ELSE 0 END)
		FROM requests WHERE holder = ? AND state <> 'draft'`
	s.ByKind, err = db.counts(ctx, `SELECT kind, `+counted+` GROUP BY kind ORDER BY kind`, state, state, state)
	if err != nil {
		return s, err
	}
	s.ByState, err = db.counts(ctx, `SELECT CASE WHEN requesting_state = ? THEN requested_state ELSE requesting_state END, `+counted+
		` GROUP BY 1 ORDER BY 1`, state, state, state, state)
	if err != nil {
		return s, err
	}
	if s.Medians, err = db.medians(ctx, state); err != nil {
		return s, err
	}
	s.Deadlines, err = db.deadlines(ctx, state, now)
	return s, err
}

func (db *DB) counts(ctx context.Context, query string, args ...any) ([]Count, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Key, &c.Sent, &c.Received); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// eventAt is the time of a view's first event whose action is one of the
// quoted list.
func (d dialect) eventAt(actions string) string {
	return `(SELECT MIN(e.at) FROM events e WHERE e.holder = r.holder AND e.request_id = r.id AND ` + d.jsonText("e.body", "action") + ` IN (` + actions + `))`
}

// jsonText extracts key of the JSON object in column as text.
func (d dialect) jsonText(column, key string) string {
	if d.name == "postgres" {
		return `(CAST(` + column + ` AS jsonb) ->> '` + key + `')`
	}
	return `json_extract(` + column + `, '$.` + key + `')`
}

// medianTimes is the end of a query whose CTE from has kind, side and
// the times delivered, acked and answered of each request: the median
// seconds from delivery to acknowledgement ('ack') and to answer
// ('answer'), by kind and side, with how many requests each is over, in
// the order orderBy. A median over an even number is the mean of the
// middle two.
func (d dialect) medianTimes(from, orderBy string) string {
	return `spans AS (
		SELECT kind, side, 'ack' AS measure, ` + d.seconds("delivered", "acked") + ` AS secs
			FROM ` + from + ` WHERE delivered IS NOT NULL AND acked IS NOT NULL
		UNION ALL
		SELECT kind, side, 'answer' AS measure, ` + d.seconds("delivered", "answered") + ` AS secs
			FROM ` + from + ` WHERE delivered IS NOT NULL AND answered IS NOT NULL
	), ranked AS (
		SELECT kind, side, measure, secs,
			ROW_NUMBER() OVER (PARTITION BY kind, side, measure ORDER BY secs) AS rn,
			COUNT(*) OVER (PARTITION BY kind, side, measure) AS n
		FROM spans
	)
	SELECT kind, side, measure, AVG(secs), MAX(n) FROM ranked
	WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2
	GROUP BY kind, side, measure ORDER BY ` + orderBy
}

// seconds is the time from one stored time to another, in seconds.
func (d dialect) seconds(from, to string) string {
	if d.name == "postgres" {
		return `CAST(EXTRACT(EPOCH FROM (CAST(` + to + ` AS timestamptz) - CAST(` + from + ` AS timestamptz))) AS DOUBLE PRECISION)`
	}
	return `((julianday(` + to + `) - julianday(` + from + `)) * 86400.0)`
}

// medians computes each median in SQL: the middle row, or the mean of the
// two middle rows, of each group ordered by its duration. Neither backend
// has a median both share; window functions they both have.
func (db *DB) medians(ctx context.Context, state string) ([]Median, error) {
	d := db.dialect
	query := `WITH marks AS (
		SELECT r.kind AS kind, ` + sideOf + ` AS side,
			` + d.eventAt(`'deliver'`) + ` AS delivered,
			` + d.eventAt(`'acknowledge'`) + ` AS acked,
			` + d.eventAt(`'execute', 'execute_partially', 'refuse'`) + ` AS answered
		FROM requests r WHERE r.holder = ? AND r.state <> 'draft'
	), ` + d.medianTimes("marks", "kind, side, measure")
	rows, err := db.read.QueryContext(ctx, db.bind(query), state, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Median
	for rows.Next() {
		var kind, side, measure string
		var secs sql.NullFloat64
		var n int
		if err := rows.Scan(&kind, &side, &measure, &secs, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Kind != kind || out[len(out)-1].Side != side {
			out = append(out, Median{Kind: kind, Side: side})
		}
		m := &out[len(out)-1]
		// Stored times are to the microsecond; julianday's float is not
		// quite, so a median is rounded to the second it is shown in.
		dur := time.Duration(math.Round(secs.Float64)) * time.Second
		if measure == "ack" {
			m.Ack, m.AckN = dur, n
		} else {
			m.Answer, m.AnswerN = dur, n
		}
	}
	return out, rows.Err()
}

func (db *DB) deadlines(ctx context.Context, state string, now time.Time) ([]Deadlines, error) {
	at := formatTime(now)
	query := `SELECT ` + sideOf + `,
		SUM(CASE WHEN due_at = '' AND EXISTS (SELECT 1 FROM events e WHERE e.holder = r.holder AND e.request_id = r.id AND ` +
		db.dialect.jsonText("e.body", "action") + ` = 'link_follow_up') THEN 1 ELSE 0 END),
		SUM(CASE WHEN due_at <> '' AND due_at < ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN due_at <> '' AND due_at >= ? THEN 1 ELSE 0 END)
		FROM requests r WHERE holder = ? AND state NOT IN ('draft', 'withdrawn')
		GROUP BY 1 ORDER BY 1`
	rows, err := db.read.QueryContext(ctx, db.bind(query), state, at, at, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Deadlines
	for rows.Next() {
		var d Deadlines
		if err := rows.Scan(&d.Side, &d.Met, &d.Missed, &d.Running); err != nil {
			return nil, err
		}
		if d.Met+d.Missed+d.Running > 0 {
			out = append(out, d)
		}
	}
	return out, rows.Err()
}
