package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// TreatyStatus computes the Convention's status today from the records
// this node holds.
func (n *Node) TreatyStatus(ctx context.Context) (directory.TreatyStatus, error) {
	records, err := n.db.TreatyRecords(ctx)
	if err != nil {
		return directory.TreatyStatus{}, err
	}
	// A denunciation is recorded as a declaration under art. 67, dated
	// the day the Secretary-General received it.
	denunciations, err := n.db.DeclarationsUnder(ctx, directory.DenunciationArticle)
	if err != nil {
		return directory.TreatyStatus{}, err
	}
	for _, d := range denunciations {
		for i := range records {
			if records[i].Code == d.Code && (records[i].Denounced.IsZero() || d.MadeOn.Before(records[i].Denounced)) {
				records[i].Denounced = d.MadeOn
			}
		}
	}
	st := directory.ComputeStatus(records, n.now())
	updated, err := n.db.TreatyUpdated(ctx)
	if err != nil {
		return st, err
	}
	if !updated.IsZero() {
		st.DataUpdated = &updated
	}
	return st, nil
}

// TreatyAction is what an administrator records for one participant: a
// signature, an instrument, or both. Dates are YYYY-MM-DD; an empty value
// keeps what was recorded before.
type TreatyAction struct {
	Code       string `json:"code"`
	Signed     string `json:"signed,omitempty"`
	SignedAt   string `json:"signed_at,omitempty"`
	Deposited  string `json:"deposited,omitempty"`
	Instrument string `json:"instrument,omitempty"`
}

// RecordTreaty records a signature or instrument. The merged record is
// checked by the same rules as an imported file.
func (n *Node) RecordTreaty(ctx context.Context, by casework.Actor, a TreatyAction) (directory.TreatyRecord, error) {
	if !by.Role.Can(identity.RecordTreaty) {
		return directory.TreatyRecord{}, forbidden("role", "the %s role may not record treaty actions", by.Role)
	}
	if err := n.runsNode(by, "record treaty actions"); err != nil {
		return directory.TreatyRecord{}, err
	}
	p, ok := directory.LookupParticipant(a.Code)
	if !ok {
		return directory.TreatyRecord{}, convention.Problems{{Field: "code", Ref: convention.Art(64), Message: fmt.Sprintf("%q is not a participant (ISO 3166-1 alpha-3 code, or EUU)", a.Code)}}
	}
	old, err := n.db.TreatyRecord(ctx, p.Code)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return directory.TreatyRecord{}, err
	}
	row := []string{p.Code, strings.ReplaceAll(p.Name(), ",", " "), kindColumn(p), date(old.Signed), old.SignedAt, date(old.Deposited), string(old.Instrument)}
	for i, v := range map[int]string{3: a.Signed, 4: a.SignedAt, 5: a.Deposited, 6: a.Instrument} {
		if v != "" {
			row[i] = v
		}
	}
	var csv bytes.Buffer
	csv.WriteString(directory.TreatyStatusHeader + "\n")
	for i, v := range row {
		if i > 0 {
			csv.WriteByte(',')
		}
		csv.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
	}
	records, err := directory.ParseTreatyStatus(&csv)
	if err != nil {
		return directory.TreatyRecord{}, parseProblems(err, true)
	}
	rec := records[0]
	now := n.now()
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutTreatyRecord(ctx, rec, now); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, n.home, by, now, "treaty.record", "treaty/"+rec.Code, rec)
	})
	return rec, err
}

func kindColumn(p directory.Participant) string {
	if p.Status == directory.REIO {
		return "organisation"
	}
	return "state"
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// columnRef cites the article a column of a treaty-status file answers
// to: who may sign, where and until when is art. 64; the instruments
// that count toward entry into force, art. 65(1).
func columnRef(column string) convention.Ref {
	switch column {
	case "code", "participant", "kind", "signed", "signed_at":
		return convention.Art(64)
	}
	return convention.EntryIntoForceRef
}

// parseProblems turns the parse errors of a treaty-status file into
// problems naming line and column, or just the column for a single record.
func parseProblems(err error, single bool) error {
	var pes directory.ParseErrors
	if !errors.As(err, &pes) {
		return err
	}
	ps := make(convention.Problems, len(pes))
	for i, pe := range pes {
		field := fmt.Sprintf("line %d", pe.Line)
		if pe.Column != "" {
			field += fmt.Sprintf(", column %q", pe.Column)
		}
		if single {
			field = map[string]string{"ratified": "deposited"}[pe.Column]
			if field == "" {
				field = pe.Column
			}
			if field == "" {
				field = "code"
			}
		}
		// The field names the line and column, and the problem cites the
		// provision: the message is the rest, said once.
		msg := pe.Msg
		if pe.Value != "" {
			msg = fmt.Sprintf("%q %s", pe.Value, pe.Msg)
		}
		ref := columnRef(pe.Column)
		if pe.Ref != nil {
			ref = *pe.Ref
		}
		ps[i] = convention.Problem{Field: field, Ref: ref, Message: msg}
	}
	return ps
}

// ImportTreaty reads a treaty-status file (the form of the one Entraide
// ships) and records every row in it, all or nothing. Participants absent
// from the file keep their records. It returns how many rows it recorded.
func (n *Node) ImportTreaty(ctx context.Context, by casework.Actor, r io.Reader) (int, error) {
	if !by.Role.Can(identity.RecordTreaty) {
		return 0, forbidden("role", "the %s role may not import treaty status", by.Role)
	}
	if err := n.runsNode(by, "import treaty status"); err != nil {
		return 0, err
	}
	h := sha256.New()
	records, err := directory.ParseTreatyStatus(io.TeeReader(r, h))
	if err != nil {
		return 0, parseProblems(err, false)
	}
	// Written in the order of codes, so that two imports at once wait for
	// each other rather than deadlock.
	slices.SortFunc(records, func(a, b directory.TreatyRecord) int { return strings.Compare(a.Code, b.Code) })
	now := n.now()
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		for _, rec := range records {
			if err := tx.PutTreatyRecord(ctx, rec, now); err != nil {
				return err
			}
		}
		return audit(ctx, tx, n.home, n.home, by, now, "treaty.import", "treaty", map[string]any{"rows": len(records), "sha256": hex.EncodeToString(h.Sum(nil))})
	})
	if err != nil {
		return 0, err
	}
	return len(records), nil
}

// StateView is everything this node knows about one participant.
type StateView struct {
	directory.Participant
	Treaty       directory.PartyStatus   `json:"treaty"`
	Profile      *directory.Profile      `json:"profile"`
	Declarations []directory.Declaration `json:"declarations"`
}

// State returns what this node knows of the participant code.
func (n *Node) State(ctx context.Context, code string) (StateView, error) {
	p, ok := directory.LookupParticipant(code)
	if !ok {
		return StateView{}, fmt.Errorf("%q is not a participant: %w", code, store.ErrNotFound)
	}
	v := StateView{Participant: p, Treaty: directory.PartyStatus{Code: p.Code, Name: p.Name()}}
	status, err := n.TreatyStatus(ctx)
	if err != nil {
		return v, err
	}
	for _, ps := range status.Parties {
		if ps.Code == p.Code {
			v.Treaty = ps
		}
	}
	switch prof, err := n.db.Profile(ctx, p.Code); {
	case err == nil:
		v.Profile = &prof
	case !errors.Is(err, store.ErrNotFound):
		return v, err
	}
	v.Declarations, err = n.db.Declarations(ctx, p.Code)
	return v, err
}

// PutProfile records what a State has notified: its central authority, its
// 24/7 point of contact, its languages and whether it requires the
// diplomatic channel.
func (n *Node) PutProfile(ctx context.Context, by casework.Actor, p directory.Profile) (directory.Profile, error) {
	if !by.Role.Can(identity.ManageProfiles) {
		return p, forbidden("role", "the %s role may not change a State's profile", by.Role)
	}
	if err := n.runsNode(by, "change States' profiles"); err != nil {
		return p, err
	}
	part, ok := directory.LookupParticipant(p.Code)
	if !ok {
		return p, fmt.Errorf("%q is not a participant: %w", p.Code, store.ErrNotFound)
	}
	p.Code = part.Code
	if p.Languages == nil {
		p.Languages = []string{}
	}
	if p.Contact247.Hours == "" {
		p.Contact247.Hours = "24/7"
	}
	if ps := p.Validate(); len(ps) > 0 {
		return p, ps
	}
	now := n.now()
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.PutProfile(ctx, p, now); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, n.home, by, now, "state.profile", "state/"+p.Code, p)
	})
	return p, err
}

// DeclarationInput is a declaration as an administrator records it.
type DeclarationInput struct {
	Article int    `json:"article"`
	MadeOn  string `json:"made_on"` // YYYY-MM-DD
	Text    string `json:"text"`
	// Reservation names what the declaration reserves when it is one the
	// node acts on (preservation_dual_criminality, art. 42(4)); empty for a
	// declaration kept to be read.
	Reservation convention.Reservation `json:"reservation,omitempty"`
}

// RecordDeclaration records a State's declaration under an article.
func (n *Node) RecordDeclaration(ctx context.Context, by casework.Actor, code string, in DeclarationInput) (directory.Declaration, error) {
	if !by.Role.Can(identity.RecordTreaty) {
		return directory.Declaration{}, forbidden("role", "the %s role may not record declarations", by.Role)
	}
	if err := n.runsNode(by, "record declarations"); err != nil {
		return directory.Declaration{}, err
	}
	part, ok := directory.LookupParticipant(code)
	if !ok {
		return directory.Declaration{}, fmt.Errorf("%q is not a participant: %w", code, store.ErrNotFound)
	}
	d := directory.Declaration{Code: part.Code, Article: in.Article, Text: in.Text, Reservation: in.Reservation}
	var ps convention.Problems
	if in.MadeOn != "" {
		t, err := convention.ParseTime("made_on", time.DateOnly, in.MadeOn)
		if err != nil {
			ps = append(ps, convention.Problem{Field: "made_on", Ref: convention.Art(65), Message: fmt.Sprintf("%q is not a date (YYYY-MM-DD) from 1970 to 9999", in.MadeOn)})
		}
		d.MadeOn = t
	}
	if len(ps) > 0 {
		ps = append(ps, filterField(directory.ValidateDeclaration(d), "made_on")...)
	} else {
		ps = directory.ValidateDeclaration(d)
	}
	if len(ps) == 0 && d.Article == directory.DenunciationArticle {
		p, err := n.checkDenunciation(ctx, d)
		if err != nil {
			return d, err
		}
		ps = p
	}
	if len(ps) > 0 {
		return d, ps
	}
	now := n.now()
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		id, err := tx.InsertDeclaration(ctx, d, now)
		if err != nil {
			return err
		}
		d.ID = id
		return audit(ctx, tx, n.home, n.home, by, now, "state.declaration", "state/"+d.Code, d)
	})
	return d, err
}

// checkDenunciation refuses a denunciation the treaty records make
// impossible: only a party denounces, after its instrument, and once
// (art. 67).
func (n *Node) checkDenunciation(ctx context.Context, d directory.Declaration) (convention.Problems, error) {
	records, err := n.db.TreatyRecords(ctx)
	if err != nil {
		return nil, err
	}
	var deposited time.Time
	for _, r := range records {
		if r.Code == d.Code {
			deposited = r.Deposited
		}
	}
	switch {
	case deposited.IsZero():
		return convention.Problems{{Field: "code", Ref: convention.DenunciationRef, Message: fmt.Sprintf("%s has deposited no instrument on this node's records: only a party denounces; record its instrument first (entraide treaty record --code %s --deposited DATE --instrument KIND)", d.Code, d.Code)}}, nil
	case !d.MadeOn.IsZero() && d.MadeOn.Before(deposited):
		return convention.Problems{{Field: "made_on", Ref: convention.DenunciationRef, Message: fmt.Sprintf("%s is before %s deposited its instrument on %s: a denunciation is received after it", d.MadeOn.Format(time.DateOnly), d.Code, deposited.Format(time.DateOnly))}}, nil
	}
	earlier, err := n.db.DeclarationsUnder(ctx, directory.DenunciationArticle)
	if err != nil {
		return nil, err
	}
	for _, e := range earlier {
		if e.Code == d.Code {
			return convention.Problems{{Field: "article", Ref: convention.DenunciationRef, Message: fmt.Sprintf("%s's denunciation received on %s is already recorded (declaration %d): a State denounces once", d.Code, e.MadeOn.Format(time.DateOnly), e.ID)}}, nil
		}
	}
	return nil, nil
}

func filterField(ps convention.Problems, field string) convention.Problems {
	var out convention.Problems
	for _, p := range ps {
		if p.Field != field {
			out = append(out, p)
		}
	}
	return out
}
