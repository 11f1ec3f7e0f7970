package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"entraide/internal/funds"
)

const assetColumns = `id, case_id, state, jurisdiction, account_id, description, currency,
	traced_micros, frozen_micros, confiscated_micros, returned_micros, expenses_micros, compensated_micros,
	status, freezing_request_id, confiscation_request_id, return_request_id, trace_id, created_at, updated_at`

// InsertAsset stores a new asset of a.State's case with the event that
// made it. An asset of a trace's account already stored is ErrExists.
func (tx *Tx) InsertAsset(ctx context.Context, a funds.Asset, e funds.AssetEvent) error {
	var account any
	if a.Account != 0 {
		account = int64(a.Account)
	}
	_, err := tx.exec(ctx, `INSERT INTO funds_assets (`+assetColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.CaseID, a.State, a.Jurisdiction, account, a.Description, a.Currency,
		a.Traced, a.Frozen, a.Confiscated, a.Returned, a.Expenses, a.Compensated,
		string(a.Status), a.FreezingRequest, a.ConfiscationRequest, a.ReturnRequest, a.TraceID, formatTime(a.CreatedAt), formatTime(a.UpdatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("asset of account %d of trace %s: %w", a.Account, a.TraceID, ErrExists)
	}
	if err != nil {
		return err
	}
	return tx.addAssetEvent(ctx, e)
}

// UpdateAsset stores a after a step, and the step's event after the
// asset's others. The caller read a with AssetForUpdate in tx.
func (tx *Tx) UpdateAsset(ctx context.Context, a funds.Asset, e funds.AssetEvent) error {
	res, err := tx.exec(ctx, `UPDATE funds_assets SET jurisdiction = ?, frozen_micros = ?, confiscated_micros = ?, returned_micros = ?, expenses_micros = ?, compensated_micros = ?,
		status = ?, freezing_request_id = ?, confiscation_request_id = ?, return_request_id = ?, updated_at = ? WHERE id = ? AND state = ?`,
		a.Jurisdiction, a.Frozen, a.Confiscated, a.Returned, a.Expenses, a.Compensated,
		string(a.Status), a.FreezingRequest, a.ConfiscationRequest, a.ReturnRequest, formatTime(a.UpdatedAt), a.ID, a.State)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, ErrNotFound)
	}
	return tx.addAssetEvent(ctx, e)
}

func (tx *Tx) addAssetEvent(ctx context.Context, e funds.AssetEvent) error {
	victims := e.Victims
	if victims == nil {
		victims = []funds.Victim{}
	}
	body, err := json.Marshal(victims)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO funds_asset_events (asset_id, seq, status, amount_micros, expenses_micros, request_id, note, victims, by_official, at)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM funds_asset_events WHERE asset_id = ?), ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.AssetID, e.AssetID, string(e.Status), e.Amount, e.Expenses, e.Request, e.Note, string(body), e.By, formatTime(e.At))
	return err
}

// AssetForUpdate returns asset id of state's case caseID, locked until tx
// ends; ErrNotFound if state holds no such asset.
func (tx *Tx) AssetForUpdate(ctx context.Context, state, caseID, id string) (funds.Asset, error) {
	a, err := scanAsset(tx.queryRow(ctx, `SELECT `+assetColumns+` FROM funds_assets WHERE id = ? AND case_id = ? AND state = ?`+tx.dialect.forUpdate, id, caseID, state))
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	return a, err
}

// AssetsOfTrace returns the assets that trace traceID of state's case
// caseID found, oldest first.
func (tx *Tx) AssetsOfTrace(ctx context.Context, state, caseID, traceID string) ([]funds.Asset, error) {
	rows, err := tx.query(ctx, `SELECT `+assetColumns+` FROM funds_assets WHERE state = ? AND case_id = ? AND trace_id = ? ORDER BY created_at, id`+tx.dialect.forUpdate, state, caseID, traceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanAsset, false)
}

// AssetsAwaitingFreezing returns, locked, state's assets still traced
// whose freezing request is request: those its sending moves to
// freezing_requested.
func (tx *Tx) AssetsAwaitingFreezing(ctx context.Context, state, request string) ([]funds.Asset, error) {
	rows, err := tx.query(ctx, `SELECT `+assetColumns+` FROM funds_assets WHERE state = ? AND freezing_request_id = ? AND status = ? ORDER BY id`+tx.dialect.forUpdate, state, request, string(funds.AssetTraced))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanAsset, false)
}

// AssetsOfFreezingRequest lists state's assets whose freezing request
// is request, whatever their status.
func (db *DB) AssetsOfFreezingRequest(ctx context.Context, state, request string) ([]funds.Asset, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+assetColumns+` FROM funds_assets WHERE state = ? AND freezing_request_id = ? ORDER BY id`), state, request)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanAsset, false)
}

// Assets lists the assets of state's case caseID, oldest first.
func (db *DB) Assets(ctx context.Context, state, caseID string) ([]funds.Asset, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+assetColumns+` FROM funds_assets WHERE state = ? AND case_id = ? ORDER BY created_at, id`), state, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanAsset, false)
}

// StateAssets lists every asset of state's cases, by case, oldest first.
func (db *DB) StateAssets(ctx context.Context, state string) ([]funds.Asset, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT `+assetColumns+` FROM funds_assets WHERE state = ? ORDER BY case_id, created_at, id`), state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanAsset, false)
}

// AssetEvents returns the history of asset id of state's case caseID,
// oldest first; empty if state holds no such asset.
func (db *DB) AssetEvents(ctx context.Context, state, caseID, id string) ([]funds.AssetEvent, error) {
	rows, err := db.read.QueryContext(ctx, db.bind(`SELECT e.asset_id, e.seq, e.status, e.amount_micros, e.expenses_micros, e.request_id, e.note, e.victims, e.by_official, e.at
		FROM funds_asset_events e JOIN funds_assets a ON a.id = e.asset_id
		WHERE a.id = ? AND a.case_id = ? AND a.state = ? ORDER BY e.seq`), id, caseID, state)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return collect(rows, scanAssetEvent, false)
}

func scanAsset(row scanner) (funds.Asset, error) {
	var a funds.Asset
	var account sql.NullInt64
	var status, created, updated string
	err := row.Scan(&a.ID, &a.CaseID, &a.State, &a.Jurisdiction, &account, &a.Description, &a.Currency,
		&a.Traced, &a.Frozen, &a.Confiscated, &a.Returned, &a.Expenses, &a.Compensated,
		&status, &a.FreezingRequest, &a.ConfiscationRequest, &a.ReturnRequest, &a.TraceID, &created, &updated)
	if err != nil {
		return a, err
	}
	a.Account, a.Status = funds.AccountID(account.Int64), funds.AssetStatus(status)
	if a.CreatedAt, err = parseTime(created); err != nil {
		return a, &RowError{Table: "funds_assets", ID: a.ID, Err: err}
	}
	if a.UpdatedAt, err = parseTime(updated); err != nil {
		return a, &RowError{Table: "funds_assets", ID: a.ID, Err: err}
	}
	return a, nil
}

func scanAssetEvent(row scanner) (funds.AssetEvent, error) {
	var e funds.AssetEvent
	var status, victims, at string
	err := row.Scan(&e.AssetID, &e.Seq, &status, &e.Amount, &e.Expenses, &e.Request, &e.Note, &victims, &e.By, &at)
	if err != nil {
		return e, err
	}
	e.Status = funds.AssetStatus(status)
	id := fmt.Sprintf("%s/%d", e.AssetID, e.Seq)
	if err := json.Unmarshal([]byte(victims), &e.Victims); err != nil {
		return e, &RowError{Table: "funds_asset_events", ID: id, Err: err}
	}
	if len(e.Victims) == 0 {
		e.Victims = nil
	}
	if e.At, err = parseTime(at); err != nil {
		return e, &RowError{Table: "funds_asset_events", ID: id, Err: err}
	}
	return e, nil
}
