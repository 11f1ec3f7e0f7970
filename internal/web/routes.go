package web

import (
	"entraide/internal/alerting"
	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/evidence"
	"entraide/internal/federation"
	"entraide/internal/funds"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
	"entraide/internal/transparency"
)

// routes lists every route of the node. The OpenAPI document is built
// from this table, and a test checks each entry against its handler.
func (s *Server) routes() []route {
	return []route{
		{Method: "GET", Path: "/healthz", Summary: "Health check: the node is up and its database answers",
			Public: true, Response: health{}, Status: 200, Handler: s.health()},
		{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This API's OpenAPI 3.1 document",
			Public: true, Response: map[string]any{}, Status: 200, Handler: s.openAPI()},
		{Method: "POST", Path: "/federation/v1/messages", Summary: "Another State's node delivers a signed, encrypted envelope; the answer is a signed receipt",
			Public: true, Body: federation.Envelope{}, Response: federation.Receipt{}, Status: 200, Handler: s.federationInbox()},

		{Method: "POST", Path: "/api/v1/enrol", Summary: "Redeem a one-time enrolment code from your administrator for an API token of your own; the token is shown once",
			Public: true, Body: enrolInput{}, Response: enrolResult{}, Status: 201, Handler: s.enrol()},

		{Method: "GET", Path: "/api/v1/me", Summary: "The official the token belongs to",
			Response: identity.User{}, Status: 200, Handler: s.me()},
		{Method: "GET", Path: "/api/v1/me/tokens", Summary: "Your API tokens, with their expiry, last use and revocation (never the secret)",
			Response: []identity.Token{}, Status: 200, Handler: s.listTokens()},
		{Method: "DELETE", Path: "/api/v1/me/tokens/{token}", Summary: "Revoke one of your API tokens, the one in use included; it stops working at once",
			Response: identity.Token{}, Status: 200, Handler: s.revokeToken()},
		{Method: "GET", Path: "/api/v1/convention/kinds", Summary: "The kinds of request, with their articles, required fields and refusal grounds",
			Response: []kindDoc{}, Status: 200, Handler: s.kinds()},
		{Method: "GET", Path: "/api/v1/convention/offences", Summary: "The offences of arts. 7-17, and the threshold of a serious crime (art. 2)",
			Response: offencesDoc{}, Status: 200, Handler: s.offences()},

		{Method: "GET", Path: "/api/v1/treaty", Summary: "Signatures, instruments counting toward entry into force, and the entry-into-force date or progress toward 40",
			Response: directory.TreatyStatus{}, Status: 200, Handler: s.treaty()},
		{Method: "POST", Path: "/api/v1/treaty/records", Summary: "Record a signature or an instrument of ratification, acceptance, approval or accession (the home State's administrators)",
			Home: true, Permission: identity.RecordTreaty, Body: node.TreatyAction{}, Response: directory.TreatyRecord{}, Status: 200, Handler: s.recordTreaty()},
		{Method: "POST", Path: "/api/v1/treaty/import", Summary: "Import a treaty-status CSV file (the form of data/treaty-status.csv), all or nothing (the home State's administrators)",
			Home: true, Permission: identity.RecordTreaty, Body: "text/csv", Response: importResult{}, Status: 200, Handler: s.importTreaty()},

		{Method: "GET", Path: "/api/v1/transparency", Summary: "The home State's transparency report for a calendar year that has ended (the last by default): requests sent and received, by kind and by other State, how they stood at the year's end, refusals by ground, median times to acknowledge and to answer, conditions; counts, medians and codes only, counts from 1 to 4 suppressed with a second count beside each; public once the State's administrators publish it (404 before)",
			Public: true, Response: transparency.Report{}, Status: 200, Query: []string{"year"}, Handler: s.transparencyReport()},
		{Method: "PUT", Path: "/api/v1/transparency/publication", Summary: "Publish the transparency report at /transparency and /api/v1/transparency, or stop publishing it (the home State's administrators; audited)",
			Home: true, Permission: identity.ManageProfiles, Body: publicationInput{}, Response: node.Publication{}, Status: 200, Handler: s.setPublication()},

		{Method: "GET", Path: "/api/v1/states/{code}", Summary: "One State: names, treaty status, central authority, 24/7 contact, languages, declarations",
			Response: node.StateView{}, Status: 200, Handler: s.state()},
		{Method: "PUT", Path: "/api/v1/states/{code}/profile", Summary: "Record a State's central authority, 24/7 point of contact, languages and channel (the home State's administrators)",
			Home: true, Permission: identity.ManageProfiles, Body: directory.Profile{}, Response: directory.Profile{}, Status: 200, Handler: s.putProfile()},
		{Method: "POST", Path: "/api/v1/states/{code}/declarations", Summary: "Record a declaration or notification a State made under an article (the home State's administrators)",
			Home: true, Permission: identity.RecordTreaty, Body: node.DeclarationInput{}, Response: directory.Declaration{}, Status: 201, Handler: s.addDeclaration()},

		{Method: "POST", Path: "/api/v1/requests", Summary: "Draft a request; its contents are checked against the Convention",
			Permission: identity.DraftRequests, Body: casework.Contents{}, Response: casework.Request{}, Status: 201, Handler: s.createRequest()},
		{Method: "GET", Path: "/api/v1/requests", Summary: "Your State's requests, new arrivals first (or nearest deadline first), filtered, with their total count",
			Permission: identity.ReadRequests, Response: store.Page{}, Status: 200, Query: []string{"state", "kind", "side", "counterpart", "urgency", "due_before", "from", "to", "updated_since", "q", "sort", "limit", "cursor"}, Handler: s.listRequests()},
		{Method: "GET", Path: "/api/v1/requests/{id}", Summary: "One request, as your State sees it, with its timeline",
			Permission: identity.ReadRequests, Response: requestDoc{}, Status: 200, Handler: s.getRequest()},
		{Method: "GET", Path: "/api/v1/requests/{id}/letter.pdf", Summary: "The request's formal letter as a PDF (art. 40(14)): its labels in lang (en, fr, es, ru, zh or ar; by default the first language the requested State accepts), its contents as written, and the SHA-256 and leaf index of its record in the node's audit log, with how to check them",
			Permission: identity.ReadRequests, Response: "application/pdf", Status: 200, Query: []string{"lang"}, Handler: s.requestLetter()},
		{Method: "POST", Path: "/api/v1/requests/{id}/transitions", Summary: "Move a request: send, acknowledge, start, refuse, execute, withdraw...",
			Permission: identity.ActOnRequests, Body: casework.Transition{}, Response: casework.Request{}, Status: 200, Handler: s.transition()},
		{Method: "POST", Path: "/api/v1/requests/{id}/screenings", Summary: "Screen a request your State was asked, before executing it, for human rights: the discrimination ground of art. 40(22) and the conditions and safeguards of art. 24 and art. 6, each considered; cleared lets execution begin, concerns lead to consultation (art. 40(27)) or refusal. Required before start for real-time collection, interception and extradition, and for every request from a State your administrator flagged; it stays on your node",
			Permission: identity.ScreenRequests, Body: convention.Screening{}, Response: casework.Screening{}, Status: 201, Handler: s.screenRequest()},
		{Method: "GET", Path: "/api/v1/requests/{id}/screenings", Summary: "Your State's screenings of a request, oldest first: who screened it, when, the grounds considered, the concerns and findings, the outcome",
			Permission: identity.ReadRequests, Response: []casework.Screening{}, Status: 200, Handler: s.listScreenings()},
		{Method: "GET", Path: "/api/v1/screening/flags", Summary: "The States your State flagged for screening: every request from them is screened before execution; only your State's officials see it",
			Response: []casework.Flag{}, Status: 200, Handler: s.listFlags()},
		{Method: "POST", Path: "/api/v1/screening/flags", Summary: "Flag a State for screening, with the reason the officials who screen will read (administrator); flagging it again replaces the reason",
			Permission: identity.FlagStates, Body: flagInput{}, Response: casework.Flag{}, Status: 200, Handler: s.flagState()},
		{Method: "DELETE", Path: "/api/v1/screening/flags/{state}", Summary: "Lift a State's flag for screening (administrator)",
			Permission: identity.FlagStates, Response: casework.Flag{}, Status: 200, Handler: s.unflagState()},

		{Method: "POST", Path: "/api/v1/requests/{id}/reveal", Summary: "Reveal, for 15 minutes, the contents of a request and its evidence that your role shows only the marking of personal data of (auditors): the reason is required and kept with the reveal in the audit log (art. 36)",
			Permission: identity.RevealPersonalData, Body: revealInput{}, Response: node.Reveal{}, Status: 201, Handler: s.revealPersonalData()},

		{Method: "POST", Path: "/api/v1/requests/{id}/uploads", Summary: "Begin the upload of an item of evidence to a request, by the tus 1.0.0 protocol: Upload-Length gives its size, Upload-Metadata its filename, filetype, collected_by, collected_where, collected_at, source, tool, retain_until, and the personal data it carries (art. 36): personal_data (yes or no), data_categories and persons_concerned (comma-separated codes) (base64 values); the Location answered is the upload's",
			Permission: identity.AddEvidence, Response: nil, Status: 201, Session: true, Handler: s.createUpload()},
		{Method: "HEAD", Path: "/api/v1/uploads/{upload}", Summary: "The offset of an upload (tus): Upload-Offset is the number of bytes stored, from which to send the rest",
			Permission: identity.AddEvidence, Response: nil, Status: 200, Session: true, Handler: s.uploadOffset()},
		{Method: "PATCH", Path: "/api/v1/uploads/{upload}", Summary: "Send bytes of an upload from its offset (tus), as application/offset+octet-stream; each piece is hashed, encrypted and stored as it comes, and kept if the connection is cut; the last byte makes the item available, with its SHA-256",
			Permission: identity.AddEvidence, Body: "application/offset+octet-stream", Response: nil, Status: 204, Session: true, Handler: s.appendUpload()},
		{Method: "GET", Path: "/api/v1/requests/{id}/evidence", Summary: "The items of evidence of a request in your State's view: name, size, SHA-256, media type, how each was collected, its retention",
			Permission: identity.ReadRequests, Response: []evidence.Item{}, Status: 200, Handler: s.listEvidence()},
		{Method: "GET", Path: "/api/v1/requests/{id}/evidence/{item}", Summary: "One item of evidence; its custody records that you viewed it",
			Permission: identity.ReadRequests, Response: evidence.Item{}, Status: 200, Handler: s.getEvidence()},
		{Method: "GET", Path: "/api/v1/requests/{id}/evidence/{item}/content", Summary: "The bytes of an item, decrypted as they are sent, with HTTP range requests (206); Repr-Digest gives its SHA-256; its custody records the download",
			Permission: identity.ReadRequests, Response: "application/octet-stream", Status: 200, Session: true, Handler: s.evidenceContent()},
		{Method: "GET", Path: "/api/v1/requests/{id}/evidence/{item}/custody", Summary: "The custody of an item: the audit records of every event on it (upload, collection, ingestion, views, downloads, retention, disposal), with their RFC 6962 leaf hashes",
			Permission: identity.ReadRequests, Response: []store.AuditEntry{}, Status: 200, Handler: s.evidenceCustody()},
		{Method: "PUT", Path: "/api/v1/requests/{id}/evidence/{item}/retention", Summary: "Set the day an item is disposed of (art. 36), or clear it with an empty retain_until",
			Permission: identity.DisposeEvidence, Body: retentionInput{}, Response: evidence.Item{}, Status: 200, Handler: s.setRetention()},
		{Method: "POST", Path: "/api/v1/requests/{id}/evidence/{item}/send", Summary: "Send an item with the answer to the requesting State (the requested State's officials), under the conditions given in the optional body (art. 40(19), (20), art. 36), which its offer carries with the answer's: it travels in chunks through the outbox, encrypted to that State's node, which checks its size and SHA-256 and says whether it kept it (custody: transferred, or transfer_refused with an alert)",
			Permission: identity.ActOnRequests, Body: sendInput{}, Response: evidence.Item{}, Status: 202, Handler: s.sendEvidence()},
		{Method: "POST", Path: "/api/v1/requests/{id}/evidence/{item}/dispose", Summary: "Dispose of an item (art. 36): its bytes are deleted and its key destroyed; its hash and custody remain",
			Permission: identity.DisposeEvidence, Body: disposeInput{}, Response: evidence.Item{}, Status: 200, Handler: s.disposeEvidence()},
		{Method: "POST", Path: "/api/v1/requests/{id}/use-reports", Summary: "Ask the State your State gave evidence to on this request what was done with it (art. 40(19), art. 36): every item sent, or item alone; its node answers by itself from its log, and your node checks each entry's inclusion proof and the checkpoint's signature against its log key before keeping the report",
			Permission: identity.ActOnRequests, Body: useReportInput{}, Response: node.UseReport{}, Status: 202, Handler: s.askUseReport()},
		{Method: "GET", Path: "/api/v1/requests/{id}/use-reports", Summary: "The use reports your State asked on this request, newest first: for each, whether the answer verified against the other State's log, and what it says was done with each item, when, and by an official of what role",
			Permission: identity.ReadRequests, Response: []node.UseReport{}, Status: 200, Handler: s.listUseReports()},
		{Method: "GET", Path: "/api/v1/requests/{id}/use-reports/{report}", Summary: "One use report your State asked on this request",
			Permission: identity.ReadRequests, Response: node.UseReport{}, Status: 200, Handler: s.getUseReport()},
		{Method: "GET", Path: "/api/v1/requests/{id}/evidence-package", Summary: "The request's evidence package, streamed as a tar file that a court verifies offline with entraide verify; for_state and proceedings say whom it is for when not your State and the request's own proceedings, and an item whose giving State's conditions bar that use is refused without its consent (409, naming the condition): the request and its answer, the items available, their custody records with inclusion proofs in the node's log, its latest checkpoint, and the seal of the log's key; the items' custody records the export",
			Permission: identity.ReadRequests, Response: "application/x-tar", Status: 200, Query: []string{"for_state", "proceedings"}, Handler: s.evidencePackage()},
		{Method: "GET", Path: "/api/v1/consents", Summary: "Your State's consent requests: those it asked of a State that gave it evidence under conditions, and those asked of it, with their answers (art. 40(19), art. 36)",
			Permission: identity.ReadRequests, Response: []evidence.Consent{}, Status: 200, Handler: s.listConsents()},
		{Method: "GET", Path: "/api/v1/requests/{id}/consents", Summary: "The consent requests of a request, asked or to answer",
			Permission: identity.ReadRequests, Response: []evidence.Consent{}, Status: 200, Handler: s.requestConsents()},
		{Method: "POST", Path: "/api/v1/requests/{id}/consents", Summary: "Ask the State that gave items under conditions its consent to a use they bar: a transfer to a third State (use.to_state) or a use in other proceedings (use.proceedings), with reasons; the request travels to that State signed, and each item's custody records it",
			Permission: identity.ActOnRequests, Body: node.ConsentAsk{}, Response: evidence.Consent{}, Status: 201, Handler: s.askConsent()},
		{Method: "POST", Path: "/api/v1/consents/{consent}/answer", Summary: "Grant (grant: true, with further conditions if any) or refuse (with reasons) a consent request asked of your State; the answer is final and travels back signed; each item's custody records it",
			Permission: identity.ActOnRequests, Body: node.ConsentAnswer{}, Response: evidence.Consent{}, Status: 200, Handler: s.answerConsent()},

		{Method: "GET", Path: "/api/v1/retention/policy", Summary: "Your State's retention period for evidence that carries personal data (art. 36): such an item is disposed of that many days after it reached the node, unless an earlier day is set for it; 0 for none",
			Response: evidence.Policy{}, Status: 200, Handler: s.retentionPolicy()},
		{Method: "PUT", Path: "/api/v1/retention/policy", Summary: "Set your State's retention period for evidence that carries personal data, in days (0 for none); every item marked as carrying them is dated anew, and disposed of on the earlier of its own day and the policy's (administrators; art. 36)",
			Permission: identity.ManageRetention, Body: policyInput{}, Response: node.PolicyResult{}, Status: 200, Handler: s.setRetentionPolicy()},
		{Method: "GET", Path: "/api/v1/evidence/expiring", Summary: "The items of evidence your State's node disposes of within the coming days (within, 30d by default), soonest first, each with its day and whether the policy for personal data sets it (central authority; art. 36)",
			Permission: identity.DisposeEvidence, Response: node.ExpiringReport{}, Status: 200, Query: []string{"within"}, Handler: s.expiringEvidence()},

		{Method: "GET", Path: "/api/v1/funds/cases/{case}/assets", Summary: "The assets of your State's fund-tracing case, each with the history of its recovery, oldest step first: traced, freezing requested, frozen, confiscation requested, confiscated, returned (arts. 31, 49-52), or released or refused; amounts in millionths of the asset's currency",
			Permission: identity.ReadFunds, Response: []node.AssetView{}, Status: 200, Handler: s.listAssets()},
		{Method: "POST", Path: "/api/v1/funds/cases/{case}/assets", Summary: "Record property your State's case found outside a trace (a house, a car, funds located otherwise): where it sits, what it is, its value and currency; it starts traced (audited)",
			Permission: identity.RecordRecovery, Body: node.AssetInput{}, Response: funds.Asset{}, Status: 201, Handler: s.addAsset()},
		{Method: "POST", Path: "/api/v1/funds/cases/{case}/assets/{asset}/steps", Summary: "Record a step of an asset's recovery: frozen (amount frozen; above the amount traced is allowed, with a warning), confiscation_requested, confiscated (at most the amount frozen), returned (amount returned plus expenses at most the amount confiscated; the victims' lines at most the amount returned, art. 52), released (art. 50(8), with why) or refused (with the ground); amounts in millionths; every problem names its field and article (audited)",
			Permission: identity.RecordRecovery, Body: funds.AssetStep{}, Response: node.StepResult{}, Status: 200, Handler: s.recordAssetStep()},
		{Method: "GET", Path: "/api/v1/funds/recovery", Summary: "Your State's recovery dashboard: traced, frozen, released, confiscated, returned, expenses deducted and victims compensated, per case, per State where the assets sit and in all, one line per currency (two currencies are never added)",
			Permission: identity.ReadFunds, Response: node.Dashboard{}, Status: 200, Handler: s.recoveryDashboard()},

		{Method: "GET", Path: "/api/v1/alerts", Summary: "Your State's 24/7 alerts, newest first, with the count, median and 99th percentile of times to acknowledge (art. 41); administrators see only the alerts about the node itself (undelivered messages)",
			Permission: identity.ReadAlerts, Response: node.AlertList{}, Status: 200, Query: []string{"open", "reason", "limit", "cursor"}, Handler: s.listAlerts()},
		{Method: "POST", Path: "/api/v1/alerts/{id}/ack", Summary: "Acknowledge an alert: its escalation stops and its time to acknowledge is recorded",
			Permission: identity.AckAlerts, Response: alerting.Alert{}, Status: 200, Handler: s.ackAlert()},
		{Method: "GET", Path: "/api/v1/alerts/stream", Summary: "Live feed of your State's alerts as Server-Sent Events (event alert.raised, alert.notified, alert.escalated, alert.acknowledged, alert.unanswered, alert.resolved; data an alerting.Event); resumes after Last-Event-ID or after",
			Permission: identity.ReadRequests, Response: "text/event-stream", Status: 200, Query: []string{"after", "follow"}, Handler: s.alertStream()},
		{Method: "GET", Path: "/api/v1/roster", Summary: "The on-call roster: who is alerted, when, and how (secrets are never shown)",
			Permission: identity.ManageRoster, Response: []alerting.Entry{}, Status: 200, Handler: s.listRoster()},
		{Method: "POST", Path: "/api/v1/roster", Summary: "Put an official on the roster, by e-mail or signed webhook, for a shift or always",
			Permission: identity.ManageRoster, Body: node.RosterInput{}, Response: alerting.Entry{}, Status: 201, Handler: s.addRosterEntry()},
		{Method: "DELETE", Path: "/api/v1/roster/{id}", Summary: "Take a line off the roster",
			Permission: identity.ManageRoster, Response: alerting.Entry{}, Status: 200, Handler: s.removeRosterEntry()},

		{Method: "GET", Path: "/api/v1/users", Summary: "The officials of this node",
			Permission: identity.ManageUsers, Response: []identity.User{}, Status: 200, Handler: s.listUsers()},
		{Method: "POST", Path: "/api/v1/users", Summary: "Add an official",
			Permission: identity.ManageUsers, Body: userInput{}, Response: identity.User{}, Status: 201, Handler: s.addUser()},
		{Method: "POST", Path: "/api/v1/users/{id}/enrolments", Summary: "Issue a one-time enrolment code for an official of your State, shown once, valid 24 hours; it replaces any unused code before it",
			Permission: identity.ManageUsers, Response: identity.Enrolment{}, Status: 201, Handler: s.issueEnrolment()},
		{Method: "POST", Path: "/api/v1/users/{id}/disable", Summary: "Disable an official of your State: their tokens and enrolment codes stop working",
			Permission: identity.ManageUsers, Response: identity.User{}, Status: 200, Handler: s.setDisabled(true)},
		{Method: "POST", Path: "/api/v1/users/{id}/enable", Summary: "Enable a disabled official again: their tokens that have not expired or been revoked work again",
			Permission: identity.ManageUsers, Response: identity.User{}, Status: 200, Handler: s.setDisabled(false)},
		{Method: "GET", Path: "/api/v1/users/{id}/tokens", Summary: "An official's API tokens, with their expiry, last use and revocation (never the secret)",
			Permission: identity.ManageUsers, Response: []identity.Token{}, Status: 200, Handler: s.listTokens()},
		{Method: "DELETE", Path: "/api/v1/users/{id}/tokens/{token}", Summary: "Revoke an official's API token; it stops working at once",
			Permission: identity.ManageUsers, Response: identity.Token{}, Status: 200, Handler: s.revokeToken()},

		{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics of the node: requests, deliveries, alerts, refusals, limits; for the home State's administrators and auditors",
			Home: true, Permission: identity.ReadAuditLog, Response: "text/plain", Status: 200, Handler: s.metricsHandler()},
		{Method: "GET", Path: "/api/v1/audit", Summary: "Your State's view of the audit log, in order: canonical records, their RFC 6962 leaf hashes, and their leaf_index in the node's Merkle log once integrated (within a second); seq is the record's row in the node's log, which holds every hosted State's records",
			Permission: identity.ReadAuditLog, Response: []store.AuditEntry{}, Status: 200, Query: []string{"after", "limit"}, Handler: s.auditLog()},

		// The Merkle log of the audit records: hashes and ids only, public
		// (see log.go).
		{Method: "GET", Path: "/log/checkpoint", Summary: "The audit log's latest checkpoint, a C2SP signed note (origin, size, root), signed by the node's key; at most a second behind the newest record",
			Public: true, Response: "text/plain", Status: 200, Handler: s.logCheckpoint()},
		{Method: "GET", Path: "/log/tile/{path...}", Summary: "A tile of the audit log, as C2SP tlog-tiles serves it: tile/<L>/<N>[.p/<W>] holds hashes, tile/entries/<N>[.p/<W>] entries (\"entraide/audit/v1 \" and a record's SHA-256)",
			Public: true, Response: "application/octet-stream", Status: 200, Handler: s.logTile()},
		{Method: "POST", Path: "/witness/add-checkpoint", Summary: "The node's witness (C2SP tlog-witness): a peer's log submits its checkpoint with a consistency proof from the last one cosigned; the answer is C2SP tlog-cosignature/v1 lines, 409 with the witness's size, or 422 for a fork, which alerts both States' administrators",
			Public: true, Body: "text/plain", Response: "text/plain", Status: 200, Handler: s.addCheckpoint()},
		{Method: "GET", Path: "/api/v1/log/key", Summary: "The audit log's origin and the signed-note verifier key of its checkpoints, to give a court or a witness",
			Public: true, Response: node.LogKey{}, Status: 200, Handler: s.logKey()},
		{Method: "GET", Path: "/api/v1/log/inclusion", Summary: "The RFC 6962 proof that the leaf at index is in the tree of size (default: the latest checkpoint's)",
			Public: true, Response: node.Proof{}, Status: 200, Query: []string{"index", "size"}, Handler: s.logInclusion()},
		{Method: "GET", Path: "/api/v1/log/consistency", Summary: "The RFC 6962 proof that the tree of size old is a prefix of the tree of size (default: the latest checkpoint's)",
			Public: true, Response: node.Proof{}, Status: 200, Query: []string{"old", "size"}, Handler: s.logConsistency()},
	}
}
