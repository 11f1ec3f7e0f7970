package store

import (
	"context"
	"encoding/json"
	"fmt"

	"entraide/internal/casework"
)

// goMigrations are the steps of a migration that SQL cannot take, run
// after its script in the same transaction, once: they read what only Go
// decodes, such as a request's body.
var goMigrations = map[int]func(context.Context, *Tx) error{
	27: backfillDueAt,
}

// backfillDueAt gives the views stored before migration 0014 their
// deadline, so that sorting by deadline finds them at once rather than
// after their next change.
func backfillDueAt(ctx context.Context, tx *Tx) error {
	rows, err := tx.tx.QueryContext(ctx, `SELECT holder, id, body FROM requests WHERE due_at = ''`)
	if err != nil {
		return err
	}
	type due struct{ holder, id, at string }
	var dues []due
	for rows.Next() {
		var holder, id, body string
		if err := rows.Scan(&holder, &id, &body); err != nil {
			rows.Close()
			return err
		}
		var r casework.Request
		if json.Unmarshal([]byte(body), &r) != nil {
			continue // an unreadable view is named where it is listed
		}
		if at := dueAt(&r); at != "" {
			dues = append(dues, due{holder, id, at})
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, d := range dues {
		if _, err := tx.exec(ctx, `UPDATE requests SET due_at = ? WHERE holder = ? AND id = ?`, d.at, d.holder, d.id); err != nil {
			return fmt.Errorf("deadline of request %s held by %s: %w", d.id, d.holder, err)
		}
	}
	return nil
}
