package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"entraide/internal/auditlog"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// itemView is an item of evidence as the request page shows it: what it
// is, its hash, whether its bytes were checked and by whom, its custody,
// and what the viewer may do with it.
type itemView struct {
	ID, Name, MediaType, SHA256, Status, Collected string
	Size                                           int64
	// Verified says how the item's SHA-256 was checked; Confirmed is
	// true when the requesting State received it whole with the same
	// SHA-256, Failed when the check found a difference.
	Verified          string
	Confirmed, Failed bool
	Custody           []custodyView
	RetainUntil       string
	// Marking says in words what personal data the item carries;
	// Expires is the day the node disposes of it, by its date or the
	// State's policy.
	Marking, Expires string
	// What the viewer may do: read its bytes, send it to the requesting
	// State, set its retention.
	CanRead, CanSend, CanRetain bool
	// SendLater says why the item cannot be sent yet, when the viewer
	// may send it once the request is executed.
	SendLater string
	// Sent is true once the item was sent to the other State, and not
	// refused there: a use report may be asked about it.
	Sent bool
	// Conditions are those that bind the item, in words with their
	// articles; Received is true for an item another State gave, whose
	// conditions bind this one, which may ask that State's consent.
	Conditions []string
	Received   bool
}

// custodyView is one event of an item's custody.
type custodyView struct {
	At, What, Who, Detail string
}

// itemsOf returns the items of req in by's view, or what kept them from
// being read. A node without a vault, or an item list that cannot be
// read, leaves the section saying so rather than failing the page.
func (u *UI) itemsOf(r *http.Request, by casework.Actor, req *casework.Request) ([]itemView, string) {
	items, err := u.node.EvidenceItems(r.Context(), by, req.ID)
	if err != nil {
		return nil, tf(r, "ev.unreadable", err.Error())
	}
	var views []itemView
	for _, it := range items {
		// The custody of the listing is not a view of each item: the
		// API's listing records none either. Reading the bytes is.
		entries, err := u.node.EvidenceCustody(r.Context(), by, req.ID, it.ID)
		if _, partial := store.IsPartial(err); err != nil && !partial {
			return nil, tf(r, "ev.unreadable", err.Error())
		}
		views = append(views, itemOf(r, by, req, it, entries))
	}
	return views, ""
}

func itemOf(r *http.Request, by casework.Actor, req *casework.Request, it evidence.Item, entries []store.AuditEntry) itemView {
	v := itemView{ID: it.ID, Name: it.Name, MediaType: it.MediaType, SHA256: it.SHA256, Size: it.Size}
	switch {
	case it.Status == evidence.Refused:
		v.Status = t(r, "ev.refused")
	case it.Damaged != "":
		v.Status = tf(r, "ev.damaged", it.Damaged)
	case it.Status == evidence.Uploading:
		v.Status = tf(r, "ev.uploading", it.Received, it.Size)
	case it.Status == evidence.Disposed:
		v.Status = t(r, "ev.disposed")
	case it.Status == evidence.Available:
		v.Status = t(r, "ev.available")
	default:
		v.Status = string(it.Status)
	}
	if it.RetainUntil != nil {
		v.RetainUntil = it.RetainUntil.UTC().Format(time.DateOnly)
	}
	v.Marking = markingWords(r, it.PersonalData)
	if e := it.Expires(); e != nil {
		v.Expires = e.UTC().Format(time.DateOnly)
	}
	c := it.Collection
	var parts []string
	for _, p := range []string{c.By, c.Where, c.Source, c.Tool} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if c.When != nil {
		parts = append(parts, c.When.UTC().Format("2006-01-02 15:04 UTC"))
	}
	v.Collected = strings.Join(parts, "; ")
	for _, c := range it.Conditions {
		v.Conditions = append(v.Conditions, conditionWords(r, c))
	}
	v.Received = it.Origin != nil && it.Status == evidence.Available

	// The last word on the item's travel to the other State: sent, then
	// received whole or refused.
	var sentTo, arrivedAt, refusedWhy string
	for _, e := range entries {
		p, err := auditlog.Parse(e.Record)
		if err != nil {
			v.Custody = append(v.Custody, custodyView{What: t(r, "ev.c.unreadable"), Detail: e.Unreadable})
			continue
		}
		var d map[string]any
		json.Unmarshal(p.Detail, &d)
		str := func(k string) string { s, _ := d[k].(string); return s }
		cv := custodyView{At: p.At.UTC().Format("2006-01-02 15:04:05"), Who: p.Actor + " (" + p.ActorState + ")"}
		if p.Actor == "peer" || p.Actor == "system" {
			// No official: the node of that State, receiving or checking.
			cv.Who = tf(r, "ev.c.node", p.ActorState)
		}
		switch p.Action {
		case evidence.ActionSegment:
			continue // the pieces of the bytes: the ingestion says the whole
		case evidence.ActionUpload:
			cv.What = t(r, "ev.c.upload")
		case evidence.ActionCollected:
			cv.What = t(r, "ev.c.collected")
		case evidence.ActionIngested:
			cv.What = t(r, "ev.c.ingested")
		case evidence.ActionViewed:
			cv.What = t(r, "ev.c.viewed")
		case evidence.ActionDownloaded:
			cv.What = t(r, "ev.c.downloaded")
			if rg := str("range"); rg != "" {
				cv.Detail = rg
			}
		case evidence.ActionExported:
			cv.What = t(r, "ev.c.exported")
		case evidence.ActionImported:
			cv.What, cv.Detail = t(r, "ev.c.imported"), str("funds_case")
		case evidence.ActionRetention:
			cv.What = t(r, "ev.c.retention")
		case evidence.ActionDisposed:
			cv.What = t(r, "ev.c.disposed")
		case evidence.ActionDamaged:
			cv.What, cv.Detail = t(r, "ev.c.damaged"), str("cause")
		case evidence.ActionTransfer:
			sentTo, arrivedAt, refusedWhy = str("to"), "", ""
			cv.What = tf(r, "ev.c.transfer", str("to"))
		case evidence.ActionTransferred:
			arrivedAt = cv.At
			cv.What = tf(r, "ev.c.transferred", str("to"))
		case evidence.ActionTransferRefused:
			refusedWhy = str("reason")
			cv.What, cv.Detail = tf(r, "ev.c.transferrefused", str("to")), refusedWhy
		case evidence.ActionIncoming:
			cv.What = tf(r, "ev.c.incoming", str("from"))
		case evidence.ActionOriginCustody:
			cv.What = tf(r, "ev.c.origincustody", str("from"))
		case evidence.ActionReceived:
			cv.What = t(r, "ev.c.received")
		case evidence.ActionRefused:
			cv.What, cv.Detail = t(r, "ev.c.refused"), str("reason")
		case evidence.ActionUseReportAsked:
			cv.What = t(r, "ev.c.usereportasked")
		case evidence.ActionConditions:
			cv.What = t(r, "ev.c.conditions")
		case evidence.ActionConsentAsked:
			cv.What, cv.Detail = t(r, "ev.c.consentasked"), str("reasons")
		case evidence.ActionConsentGranted:
			cv.What, cv.Detail = t(r, "ev.c.consentgranted"), str("reasons")
		case evidence.ActionConsentRefused:
			cv.What, cv.Detail = t(r, "ev.c.consentrefused"), str("reasons")
		case evidence.ActionUseRefused:
			cv.What = t(r, "ev.c.userefused")
		default:
			cv.What = p.Action
		}
		v.Custody = append(v.Custody, cv)
	}

	available := it.Status == evidence.Available && it.Damaged == ""
	switch {
	case it.Status == evidence.Refused:
		v.Verified, v.Failed = tf(r, "ev.v.refused", it.Origin.State, it.Damaged), true
	case it.Origin != nil && available:
		v.Verified, v.Confirmed = tf(r, "ev.v.received", it.Origin.State), true
	case it.Status != evidence.Available && it.Status != evidence.Disposed:
	case sentTo != "" && arrivedAt != "":
		v.Verified, v.Confirmed = tf(r, "ev.v.transferred", sentTo, arrivedAt), true
	case sentTo != "" && refusedWhy != "":
		v.Verified, v.Failed = tf(r, "ev.v.transferrefused", sentTo, refusedWhy), true
	case sentTo != "":
		v.Verified = tf(r, "ev.v.sent", sentTo)
	default:
		v.Verified = t(r, "ev.v.ingested")
	}
	v.CanRead = available
	v.Sent = it.Origin == nil && sentTo != "" && refusedWhy == ""
	v.CanRetain = by.Role.Can(identity.DisposeEvidence) && it.Status != evidence.Disposed && it.Status != evidence.Refused
	if by.Role.Can(identity.ActOnRequests) && req.RequestedState == by.State && it.Origin == nil && available && (sentTo == "" || refusedWhy != "") {
		switch req.State {
		case casework.InProgress, casework.Executed, casework.PartiallyExecuted:
			v.CanSend = true
		case casework.Received, casework.Acknowledged:
			v.SendLater = t(r, "ev.sendlater")
		}
	}
	return v
}

// sendEvidence sends an item of the request to the requesting State,
// from the request page.
func (u *UI) sendEvidence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		id, item := r.PathValue("id"), r.PathValue("item")
		_, err := u.node.SendEvidence(r.Context(), actorFrom(r.Context()), id, item, formConditions(r.PostForm))
		u.evidenceDone(w, r, id, "evsent", err)
	})
}

// setRetention sets or clears the day an item is disposed of (art. 36),
// from the request page.
func (u *UI) setRetention() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.readForm(w, r) {
			return
		}
		id, item := r.PathValue("id"), r.PathValue("item")
		var until *time.Time
		if v := strings.TrimSpace(r.PostForm.Get("retain_until")); v != "" {
			d, err := evidence.ParseRetention(v, u.node.Now())
			if err != nil {
				// The item must be the viewer's before its form's
				// problem is shown: another State's gets the 404.
				if _, ierr := u.node.EvidenceItems(r.Context(), actorFrom(r.Context()), id); ierr != nil {
					u.failErr(w, r, ierr)
					return
				}
				u.evidenceDone(w, r, id, "", convention.Problems{{Field: "retain_until", Ref: convention.Art(36), Message: err.Error()}})
				return
			}
			until = &d
		}
		_, err := u.node.SetEvidenceRetention(r.Context(), actorFrom(r.Context()), id, item, until)
		u.evidenceDone(w, r, id, "retained", err)
	})
}

// evidenceDone goes back to the request's evidence after an action on an
// item, saying it was done, or shows the page again with why it was not.
func (u *UI) evidenceDone(w http.ResponseWriter, r *http.Request, id, m string, err error) {
	if err == nil {
		http.Redirect(w, r, Prefix+"requests/"+url.PathEscape(id)+"?m="+m+"#evidence", http.StatusSeeOther)
		return
	}
	ps := problemsOf(err)
	if ps == nil || errors.Is(err, casework.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, casework.ErrForbidden) {
		u.failErr(w, r, err)
		return
	}
	data, derr := u.requestData(r, id)
	if derr != nil {
		u.failErr(w, r, derr)
		return
	}
	data["EvidenceProblems"] = ps
	status := http.StatusUnprocessableEntity
	if errors.Is(err, casework.ErrConflict) {
		status = http.StatusConflict
	}
	u.render(w, r, status, "request", data)
}
