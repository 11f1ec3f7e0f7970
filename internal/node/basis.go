package node

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
)

// checkBasis refuses a request resting on the Convention unless, by this
// node's treaty records, the Convention binds both States on the day of
// sending: a State for which it is not in force owes nothing under it
// (arts. 35, 40(1), 65). Another treaty and reciprocity are for the two
// States to judge, and pass.
func (n *Node) checkBasis(ctx context.Context, r *casework.Request) error {
	if r.LegalBasis == nil || r.LegalBasis.Type != casework.BasisConvention {
		return nil
	}
	st, err := n.TreatyStatus(ctx)
	if err != nil {
		return err
	}
	var why []string
	for _, code := range []string{r.RequestingState, r.RequestedState} {
		if reason := notBound(st, code); reason != "" {
			why = append(why, reason)
		}
	}
	if len(why) == 0 {
		return nil
	}
	return convention.Problems{{Field: "legal_basis", Ref: casework.ConventionBasisRef, Message: fmt.Sprintf(
		"the Convention cannot be the legal basis on %s: %s (treaty status: %s); name another treaty binding both States (type %q with its name) or rest the request on reciprocity (type %q)",
		st.AsOf.Format(time.DateOnly), strings.Join(why, "; "), st.Summary, casework.BasisTreaty, casework.BasisReciprocity)}}
}

// notBound says why the Convention does not bind code on the day st was
// worked out for, or "" if it does.
func notBound(st directory.TreatyStatus, code string) string {
	for _, p := range st.Parties {
		if p.Code != code {
			continue
		}
		switch {
		case p.Bound:
			return ""
		case p.Deposited == nil || p.Deposited.After(st.AsOf):
			return code + " has not ratified, accepted, approved or acceded to it"
		case p.InForceUntil != nil && !st.AsOf.Before(*p.InForceUntil):
			return fmt.Sprintf("%s denounced it, with effect from %s (art. 67)", code, p.InForceUntil.Format(time.DateOnly))
		case p.InForceFrom != nil:
			return fmt.Sprintf("it is in force for %s only from %s (art. 65(2))", code, p.InForceFrom.Format(time.DateOnly))
		case st.EntryIntoForce != nil:
			return fmt.Sprintf("it is not in force for %s: it enters into force on %s (art. 65(1))", code, st.EntryIntoForce.Format(time.DateOnly))
		default:
			return fmt.Sprintf("it is not in force for %s: not yet %d instruments (%d of %d, art. 65(1))", code, st.Required, st.Instruments, st.Required)
		}
	}
	return code + " has not ratified, accepted, approved or acceded to it"
}
