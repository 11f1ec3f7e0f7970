package ui

import (
	"net/http"

	"entraide/internal/identity"
)

// route is one page or form of the UI.
type route struct {
	Method, Path string
	// Public pages need no session: signing in, enrolling, assets.
	Public bool
	// Permission is what the official's role must hold; "" for any
	// signed-in official.
	Permission identity.Permission
	Handler    http.Handler
}

// routes lists every page and form of the UI. A test tries each one as
// every role of another State, and without a session.
func (u *UI) routes() []route {
	return []route{
		{Method: "GET", Path: Prefix + "static/", Public: true, Handler: static()},
		{Method: "GET", Path: Prefix + "signin", Public: true, Handler: u.signinPage()},
		{Method: "POST", Path: Prefix + "signin", Public: true, Handler: u.signin()},
		{Method: "GET", Path: Prefix + "enrol", Public: true, Handler: u.enrolPage()},
		{Method: "POST", Path: Prefix + "enrol", Public: true, Handler: u.enrolStart()},
		{Method: "POST", Path: Prefix + "enrol/finish", Public: true, Handler: u.enrolFinish()},
		{Method: "POST", Path: Prefix + "lang", Public: true, Handler: u.setLanguage()},
		{Method: "POST", Path: Prefix + "signin/passkey", Public: true, Handler: u.signinPasskeyBegin()},
		{Method: "POST", Path: Prefix + "enrol/passkey", Public: true, Handler: u.enrolPasskeyBegin()},
		{Method: "GET", Path: Prefix + "oidc/start", Public: true, Handler: u.oidcStart()},
		{Method: "GET", Path: Prefix + "oidc/callback", Public: true, Handler: u.oidcCallback()},
		// The transparency report: aggregates only, once the State's
		// administrators publish it; the server mounts it at the root.
		{Method: "GET", Path: TransparencyPath, Public: true, Handler: u.transparencyPage()},

		{Method: "POST", Path: Prefix + "signout", Handler: u.signout()},
		{Method: "GET", Path: Prefix + "{$}", Handler: u.home()},
		{Method: "GET", Path: Prefix + "inbox", Permission: identity.ReadRequests, Handler: u.list(true)},
		{Method: "GET", Path: Prefix + "outbox", Permission: identity.ReadRequests, Handler: u.list(false)},
		{Method: "GET", Path: Prefix + "requests/new", Permission: identity.DraftRequests, Handler: u.draftPage()},
		{Method: "POST", Path: Prefix + "requests", Permission: identity.DraftRequests, Handler: u.createRequest()},
		{Method: "GET", Path: Prefix + "requests/{id}", Permission: identity.ReadRequests, Handler: u.requestPage()},
		{Method: "GET", Path: Prefix + "requests/{id}/letter.pdf", Permission: identity.ReadRequests, Handler: u.letterPDF()},
		{Method: "POST", Path: Prefix + "requests/{id}/actions", Permission: identity.ActOnRequests, Handler: u.act()},
		{Method: "POST", Path: Prefix + "requests/{id}/screening", Permission: identity.ScreenRequests, Handler: u.screen()},
		{Method: "POST", Path: Prefix + "requests/{id}/evidence/{item}/send", Permission: identity.ActOnRequests, Handler: u.sendEvidence()},
		{Method: "POST", Path: Prefix + "requests/{id}/evidence/{item}/retention", Permission: identity.DisposeEvidence, Handler: u.setRetention()},
		{Method: "POST", Path: Prefix + "requests/{id}/use-reports", Permission: identity.ActOnRequests, Handler: u.askUseReport()},
		{Method: "POST", Path: Prefix + "requests/{id}/reveal", Permission: identity.RevealPersonalData, Handler: u.reveal()},
		{Method: "GET", Path: Prefix + "retention", Handler: u.retentionPage()},
		{Method: "POST", Path: Prefix + "retention", Permission: identity.ManageRetention, Handler: u.setRetentionPolicy()},
		{Method: "POST", Path: Prefix + "requests/{id}/consents", Permission: identity.ActOnRequests, Handler: u.askConsent()},
		{Method: "GET", Path: Prefix + "consents", Permission: identity.ReadRequests, Handler: u.consentsPage()},
		{Method: "POST", Path: Prefix + "consents/{consent}/answer", Permission: identity.ActOnRequests, Handler: u.answerConsent()},
		{Method: "GET", Path: Prefix + "console", Permission: identity.ReadRequests, Handler: u.console()},
		{Method: "GET", Path: Prefix + "console/stream", Permission: identity.ReadRequests, Handler: u.consoleStream()},
		{Method: "POST", Path: Prefix + "alerts/{id}/ack", Permission: identity.ActOnRequests, Handler: u.ackAlert()},
		{Method: "GET", Path: Prefix + "directory", Handler: u.directoryPage()},
		{Method: "GET", Path: Prefix + "directory/{code}", Handler: u.statePage()},
		{Method: "GET", Path: Prefix + "treaty", Handler: u.treatyPage()},
		{Method: "GET", Path: Prefix + "passkeys", Handler: u.passkeysPage()},
		{Method: "POST", Path: Prefix + "passkeys/begin", Handler: u.passkeyBegin()},
		{Method: "POST", Path: Prefix + "passkeys", Handler: u.addPasskey()},
		{Method: "POST", Path: Prefix + "passkeys/{id}/remove", Handler: u.removePasskey()},
		{Method: "GET", Path: Prefix + "statistics", Permission: identity.ReadStatistics, Handler: u.statisticsPage()},

		// Fund tracing (arts. 31, 40(3), 49-52): the State's cases, a
		// case's records and accounts, and its traces.
		{Method: "GET", Path: Prefix + "funds", Permission: identity.ReadFunds, Handler: u.fundsPage()},
		{Method: "POST", Path: Prefix + "funds", Permission: identity.TraceFunds, Handler: u.createFundsCase()},
		{Method: "GET", Path: Prefix + "funds/{case}", Permission: identity.ReadFunds, Handler: u.fundsCasePage()},
		{Method: "POST", Path: Prefix + "funds/{case}/imports", Permission: identity.TraceFunds, Handler: u.importFunds()},
		{Method: "POST", Path: Prefix + "funds/{case}/rates", Permission: identity.TraceFunds, Handler: u.loadRates()},
		{Method: "POST", Path: Prefix + "funds/{case}/jurisdiction", Permission: identity.TraceFunds, Handler: u.setJurisdiction()},
		{Method: "POST", Path: Prefix + "funds/{case}/traces", Permission: identity.TraceFunds, Handler: u.traceFunds()},
		{Method: "GET", Path: Prefix + "funds/{case}/traces/{trace}", Permission: identity.ReadFunds, Handler: u.fundsTracePage()},
		{Method: "GET", Path: Prefix + "funds/{case}/traces/{trace}/report.pdf", Permission: identity.ReadFunds, Handler: u.traceReportPDF()},
		{Method: "POST", Path: Prefix + "funds/{case}/traces/{trace}/freezing", Permission: identity.RecordRecovery, Handler: u.prepareFreezing()},
		{Method: "GET", Path: Prefix + "funds/recovery", Permission: identity.ReadFunds, Handler: u.recoveryPage()},
		{Method: "POST", Path: Prefix + "funds/{case}/assets/{asset}/steps", Permission: identity.RecordRecovery, Handler: u.recordStep()},

		{Method: "GET", Path: Prefix + "admin/officials", Permission: identity.ManageUsers, Handler: u.officialsPage()},
		{Method: "POST", Path: Prefix + "admin/officials", Permission: identity.ManageUsers, Handler: u.addOfficial()},
		{Method: "GET", Path: Prefix + "admin/officials/{id}", Permission: identity.ManageUsers, Handler: u.officialPage()},
		{Method: "POST", Path: Prefix + "admin/officials/{id}/enrolment", Permission: identity.ManageUsers, Handler: u.reissueCode()},
		{Method: "POST", Path: Prefix + "admin/officials/{id}/disable", Permission: identity.ManageUsers, Handler: u.setDisabled(true)},
		{Method: "POST", Path: Prefix + "admin/officials/{id}/enable", Permission: identity.ManageUsers, Handler: u.setDisabled(false)},
		{Method: "POST", Path: Prefix + "admin/officials/{id}/unlock", Permission: identity.ManageUsers, Handler: u.unlock()},
		{Method: "POST", Path: Prefix + "admin/officials/{id}/tokens/{token}/revoke", Permission: identity.ManageUsers, Handler: u.revokeToken()},
		{Method: "GET", Path: Prefix + "admin/roster", Permission: identity.ManageRoster, Handler: u.rosterPage()},
		{Method: "POST", Path: Prefix + "admin/roster", Permission: identity.ManageRoster, Handler: u.addRosterEntry()},
		{Method: "POST", Path: Prefix + "admin/roster/{id}/remove", Permission: identity.ManageRoster, Handler: u.removeRosterEntry()},
		{Method: "GET", Path: Prefix + "admin/screening", Permission: identity.FlagStates, Handler: u.flagsPage()},
		{Method: "POST", Path: Prefix + "admin/screening", Permission: identity.FlagStates, Handler: u.flagState()},
		{Method: "POST", Path: Prefix + "admin/screening/{state}/remove", Permission: identity.FlagStates, Handler: u.unflagState()},
	}
}
