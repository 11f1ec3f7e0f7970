package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/letter"
	"entraide/internal/store"
)

// Letter returns what the formal letter of request id prints in by's
// view (art. 40(14)): the request, the language of its labels, and the
// place of the request's first audit record in the node's log, which is
// integrated first if it is not yet. An empty lang means the first
// language the requested State's profile accepts that the letter is
// printed in, or English; another lang is a convention.Problems naming
// the field.
func (n *Node) Letter(ctx context.Context, by casework.Actor, id, lang string) (letter.Letter, error) {
	r, err := n.db.Request(ctx, by.State, id)
	if err != nil {
		return letter.Letter{}, err
	}
	if !casework.CanRead(r, by) {
		return letter.Letter{}, casework.ErrNotFound
	}
	if err := n.needBytes(ctx, by, r.ID, r.PersonalData, "the letter of request "+r.ID); err != nil {
		return letter.Letter{}, err
	}
	switch lang = strings.ToLower(lang); {
	case lang == "":
		p, err := n.db.Profile(ctx, r.RequestedState)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return letter.Letter{}, err
		}
		lang = letter.Language(p.Languages)
	case !slices.Contains(letter.Languages, lang):
		return letter.Letter{}, convention.Problems{{Field: "lang", Ref: convention.Art(40).Para(14),
			Message: fmt.Sprintf("%q: the letter is printed in %s; leave it out for the first the requested State accepts", lang, strings.Join(letter.Languages, ", "))}}
	}
	rec, err := n.requestRecord(ctx, r)
	if err != nil {
		return letter.Letter{}, err
	}
	return letter.Letter{Request: r, Lang: lang, Log: rec}, nil
}

// requestRecord returns the place in the log of r's first audit record
// in its holder's view, and the signed checkpoint that holds it; nil if
// the log cannot integrate it now.
func (n *Node) requestRecord(ctx context.Context, r *casework.Request) (*letter.Record, error) {
	e, err := n.db.RequestRecord(ctx, r.Holder, r.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	head, err := n.db.LogHead(ctx)
	if err != nil {
		return nil, err
	}
	if e.LeafIndex == nil || *e.LeafIndex >= head.Size {
		if head, err = n.IntegrateLog(ctx); err != nil {
			return nil, err
		}
		if e, err = n.db.RequestRecord(ctx, r.Holder, r.ID); err != nil {
			return nil, err
		}
		if e.LeafIndex == nil || *e.LeafIndex >= head.Size {
			return nil, nil
		}
	}
	p, err := auditlog.Parse(e.Record)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(e.Record)
	return &letter.Record{Node: n.home, Origin: head.Origin, At: p.At, SHA256: hex.EncodeToString(sum[:]),
		Index: *e.LeafIndex, Size: head.Size, Root: head.Root.String()}, nil
}
