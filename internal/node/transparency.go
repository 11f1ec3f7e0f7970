package node

import (
	"context"
	"fmt"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/store"
	"entraide/internal/transparency"
)

// transparencyRef is the provision the transparency report answers to:
// the Conference of the States Parties reviews the implementation of the
// Convention, with the information the States give it (art. 57).
var transparencyRef = convention.Art(57)

// TransparencyReport returns the home State's transparency report for the
// days from from to to, both included, whether or not the node publishes
// it: the export the State's administrators bring to the Conference of
// the States Parties. A period that ends before it starts is refused.
func (n *Node) TransparencyReport(ctx context.Context, from, to time.Time) (transparency.Report, error) {
	from, to = transparency.Day(from), transparency.Day(to)
	if to.Before(from) {
		return transparency.Report{}, convention.Problems{{Field: "to", Ref: transparencyRef,
			Message: fmt.Sprintf("the period ends (%s) before it starts (%s): give --to a day on or after --from", to.Format(time.DateOnly), from.Format(time.DateOnly))}}
	}
	f, err := n.db.TransparencyFigures(ctx, n.home, from, to)
	if err != nil {
		return transparency.Report{}, err
	}
	return transparency.Publish(f), nil
}

// ErrNotPublished: the node does not publish its transparency report.
var ErrNotPublished = &casework.Error{Kind: casework.ErrNotFound, Problems: convention.Problems{{Field: "transparency", Ref: transparencyRef,
	Message: "this node does not publish its State's transparency report; its administrators switch publication on with entraide transparency publish"}}}

// PublishedReport returns the report the node publishes for year, a
// calendar year that has ended, or for the last one when year is 0.
//
// Only whole calendar years that have ended are published: the figures of
// a year that has ended no longer change (a request counts as it stood at
// the end of the year), and no published period overlaps another, so that
// no count can be worked out by subtracting one published report from
// another: one day's report from the next day's, or a year from the
// period of two.
func (n *Node) PublishedReport(ctx context.Context, year int) (transparency.Report, error) {
	since, err := n.db.TransparencySince(ctx)
	if err != nil {
		return transparency.Report{}, err
	}
	if since.IsZero() {
		return transparency.Report{}, ErrNotPublished
	}
	from, to := transparency.LastYear(n.now())
	if year != 0 {
		if year > from.Year() || year < 2000 {
			return transparency.Report{}, convention.Problems{{Field: "year", Ref: transparencyRef,
				Message: fmt.Sprintf("only calendar years that have ended are published, from 2000 to %d: ask for one of those, or leave year out for %d", from.Year(), from.Year())}}
		}
		from, to = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return n.TransparencyReport(ctx, from, to)
}

// Publication says whether the node publishes its State's transparency
// report, and since when.
type Publication struct {
	Published bool       `json:"published"`
	Since     *time.Time `json:"since,omitempty"`
}

// TransparencyPublication returns whether the node publishes its report.
func (n *Node) TransparencyPublication(ctx context.Context) (Publication, error) {
	since, err := n.db.TransparencySince(ctx)
	if err != nil || since.IsZero() {
		return Publication{}, err
	}
	return Publication{Published: true, Since: &since}, nil
}

// SetTransparencyPublication switches the publication of the home State's
// transparency report on or off, for its administrators only: a State
// may not want to publish before it ratifies. The change is audited.
func (n *Node) SetTransparencyPublication(ctx context.Context, by casework.Actor, on bool) (Publication, error) {
	if !by.Role.Can(identity.ManageProfiles) {
		return Publication{}, forbidden("role", "the %s role may not switch the transparency report's publication (needs %s)", by.Role, identity.ManageProfiles)
	}
	if err := n.runsNode(by, "publish the transparency report"); err != nil {
		return Publication{}, err
	}
	now := n.now()
	var p Publication
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		since := time.Time{}
		action := "transparency.unpublish"
		if on {
			since, action = now, "transparency.publish"
			p = Publication{Published: true, Since: &since}
		}
		if err := tx.SetTransparencySince(ctx, since); err != nil {
			return err
		}
		return audit(ctx, tx, n.home, n.home, by, now, action, "transparency/"+n.home, p)
	})
	return p, err
}
