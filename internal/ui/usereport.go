package ui

import (
	"net/http"
	"strings"

	"entraide/internal/casework"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

// useReportView is a use report as the request page of the State that
// asked it shows it: when and of whom it was asked, whether the answer
// verified against that State's log, in words, and what it says was done
// with each item.
type useReportView struct {
	ID, Status, Asked, Verdict string
	Verified, Failed           bool
	Items                      []useItemView
}

type useItemView struct {
	Name    string
	Omitted int
	Entries []useEntryView
}

// useEntryView is one entry of the other State's custody: when, what,
// who (a role, or a node), and where it is in that State's log.
type useEntryView struct {
	At, What, Who string
	Index         int64
}

// useReportsOf returns the use reports by's State asked on req, and
// whether by may ask one now: the requested State's officials who act on
// requests, once an item was sent. Only the State that gave evidence
// asks, so the other State's page shows no section.
func (u *UI) useReportsOf(r *http.Request, by casework.Actor, req *casework.Request, items []itemView) (views []useReportView, canAsk bool, problem string) {
	if req.RequestedState != by.State {
		return nil, false, ""
	}
	for _, it := range items {
		canAsk = canAsk || it.Sent
	}
	canAsk = canAsk && by.Role.Can(identity.ActOnRequests)
	list, err := u.node.UseReports(r.Context(), by, req.ID)
	if err != nil {
		return nil, canAsk, tf(r, "ur.unreadable", err.Error())
	}
	for _, rep := range list {
		views = append(views, useReportOf(r, rep))
	}
	return views, canAsk, ""
}

func useReportOf(r *http.Request, rep node.UseReport) useReportView {
	peer := stateNameIn(r, rep.AskedOf)
	v := useReportView{ID: rep.ID, Status: rep.Status, Asked: tf(r, "ur.asked", rep.AskedAt.UTC().Format("2006-01-02 15:04"), peer)}
	switch rep.Status {
	case store.UseAsked:
		v.Verdict = tf(r, "ur.waiting", peer)
	case store.UseUnanswered:
		v.Verdict, v.Failed = tf(r, "ur.unanswered", peer, rep.Problem), true
	case store.UseRefused:
		v.Verdict, v.Failed = tf(r, "ur.refused", peer, rep.Problem), true
	case store.UseVerified:
		v.Verdict, v.Verified = tf(r, "ur.verified", peer, rep.CheckpointSize), true
	}
	for _, it := range rep.Items {
		iv := useItemView{Name: it.Name, Omitted: it.Omitted}
		if iv.Name == "" {
			iv.Name = it.Item
		}
		for _, e := range it.Entries {
			cv := useEntryView{At: e.At.UTC().Format("2006-01-02 15:04:05"), What: useWhat(r, e), Index: e.LeafIndex}
			if e.Role == node.RoleNode {
				cv.Who = tf(r, "ev.c.node", stateNameIn(r, e.ActorState))
			} else {
				cv.Who = tf(r, "ur.who", roleWord(r, e.Role), stateNameIn(r, e.ActorState))
			}
			iv.Entries = append(iv.Entries, cv)
		}
		v.Items = append(v.Items, iv)
	}
	return v
}

// useWhat says in words what an entry of the other State's custody is;
// an action this build does not know is shown by its name.
func useWhat(r *http.Request, e node.UseReportEntry) string {
	switch e.Action {
	case evidence.ActionIncoming:
		return tf(r, "ev.c.incoming", stateNameIn(r, e.ActorState))
	case evidence.ActionOriginCustody:
		return tf(r, "ev.c.origincustody", stateNameIn(r, e.ActorState))
	case evidence.ActionReceived:
		return t(r, "ev.c.received")
	case evidence.ActionRefused:
		return t(r, "ev.c.refused")
	case evidence.ActionViewed:
		return t(r, "ev.c.viewed")
	case evidence.ActionDownloaded:
		return t(r, "ev.c.downloaded")
	case evidence.ActionExported:
		return t(r, "ev.c.exported")
	case evidence.ActionRetention:
		return t(r, "ev.c.retention")
	case evidence.ActionDisposed:
		return t(r, "ev.c.disposed")
	case evidence.ActionDamaged:
		return t(r, "ev.c.damaged")
	case evidence.ActionTransfer:
		return tf(r, "ev.c.transfer", stateNameIn(r, e.To))
	case evidence.ActionTransferred:
		return tf(r, "ev.c.transferred", stateNameIn(r, e.To))
	case evidence.ActionUseReportAsked:
		return t(r, "ev.c.usereportasked")
	case evidence.ActionConditions:
		return t(r, "ur.c.conditions")
	case evidence.ActionConsentAsked:
		return t(r, "ur.c.consentasked")
	case evidence.ActionConsentGranted:
		return t(r, "ur.c.consentgranted")
	case evidence.ActionConsentRefused:
		return t(r, "ur.c.consentrefused")
	case evidence.ActionUseRefused:
		return t(r, "ur.c.userefused")
	}
	// An action of a later build of the other node: its words, not its code.
	return strings.ReplaceAll(strings.TrimPrefix(e.Action, "evidence."), "_", " ")
}

func roleWord(r *http.Request, role string) string {
	if _, err := identity.ParseRole(role); err != nil {
		return role
	}
	return t(r, "role."+role)
}

// askUseReport asks the State the request's evidence was given to what
// was done with it, from the request page.
func (u *UI) askUseReport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		_, err := u.node.AskUseReport(r.Context(), actorFrom(r.Context()), id, "")
		u.evidenceDone(w, r, id, "urasked", err)
	})
}

// stateNameIn is the name of the State code in the language of r.
func stateNameIn(r *http.Request, code string) string { return localeOf(r.Context()).stateName(code) }
