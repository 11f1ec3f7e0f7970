package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/localnet"
	"entraide/internal/node"
)

// The sandbox's default States: Viet Nam, where the Convention was signed,
// France and South Africa.
var sandboxStates = []string{"VNM", "FRA", "ZAF"}

type demoOfficial struct {
	id, name, state string
	role            identity.Role
	token           string
	// uiCode is a one-time enrolment code for the web UI: the official
	// redeems it there, choosing a password and an authenticator.
	uiCode string
}

var demoOfficials = []demoOfficial{
	{id: "vnm-ca", name: "Nguyễn Thị Lan", state: "VNM", role: identity.CentralAuthority},
	{id: "vnm-247", name: "Trần Văn Minh", state: "VNM", role: identity.TwentyFourSeven},
	{id: "vnm-inv", name: "Lê Quốc Huy", state: "VNM", role: identity.Investigator},
	{id: "fra-ca", name: "Claire Dubois", state: "FRA", role: identity.CentralAuthority},
	{id: "fra-247", name: "Julien Moreau", state: "FRA", role: identity.TwentyFourSeven},
	{id: "fra-inv", name: "Antoine Girard", state: "FRA", role: identity.Investigator},
	{id: "fra-audit", name: "Sophie Laurent", state: "FRA", role: identity.Auditor},
	{id: "zaf-ca", name: "Thandiwe Nkosi", state: "ZAF", role: identity.CentralAuthority},
	{id: "zaf-247", name: "Pieter van der Merwe", state: "ZAF", role: identity.TwentyFourSeven},
}

var demoProfiles = []directory.Profile{
	{Code: "VNM", CentralAuthority: directory.Authority{Name: "Ministry of Public Security, Department of International Cooperation", Email: "mla@example.gov.vn", Phone: "+84 24 0000 0000"},
		Contact247: directory.Contact{Name: "Cybersecurity and High-Tech Crime Prevention Department, 24/7 desk", Phone: "+84 24 0000 0247", Email: "247@example.gov.vn", TimeZone: "Asia/Ho_Chi_Minh", Hours: "24/7"},
		Languages:  []string{"vi", "en"}},
	{Code: "FRA", CentralAuthority: directory.Authority{Name: "Ministère de la Justice, Bureau de l'entraide pénale internationale", Email: "entraide@example.gouv.fr", Phone: "+33 1 00 00 00 00"},
		Contact247: directory.Contact{Name: "Office anti-cybercriminalité, point de contact 24/7", Phone: "+33 1 00 00 02 47", Email: "247@example.gouv.fr", TimeZone: "Europe/Paris", Hours: "24/7"},
		Languages:  []string{"fr", "en"}},
	{Code: "ZAF", CentralAuthority: directory.Authority{Name: "Department of Justice and Constitutional Development, International Legal Relations", Email: "mla@example.gov.za", Phone: "+27 12 000 0000"},
		Contact247: directory.Contact{Name: "SAPS Directorate for Priority Crime Investigation, Cyber 24/7", Phone: "+27 12 000 0247", Email: "247@example.gov.za", TimeZone: "Africa/Johannesburg", Hours: "24/7"},
		Languages:  []string{"en"}, DiplomaticChannel: true},
}

type sandbox struct {
	net       *localnet.Network
	dataDir   string
	officials []demoOfficial
	console   *alertConsole
}

// startSandbox starts a node for each State, peered with the others over
// HTTPS, with their officials, the States' profiles and, for the default
// States, a few requests at different stages.
//
// With reopen, it starts again the nodes a sandbox kept in dataDir, on
// their addresses, and gives their officials new tokens instead.
func startSandbox(ctx context.Context, states []string, dataDir string, addr func(string) string, reopen bool, console io.Writer) (*sandbox, error) {
	alerts := newAlertConsole(console)
	// Officials try webhooks with receivers on this machine, the
	// sandbox's console among them.
	net, err := localnet.Start(ctx, states, localnet.Options{Dir: dataDir, Addr: addr, Alerts: node.AlertConfig{AllowPrivateWebhooks: true, Client: alerts.client()}, Reopen: reopen, Demo: true})
	if err != nil {
		alerts.close()
		return nil, err
	}
	sb := &sandbox{net: net, dataDir: dataDir, console: alerts}
	populate := sb.populate
	if reopen {
		populate = sb.newTokens
	}
	if err := populate(ctx, states); err != nil {
		net.Close()
		alerts.close()
		return nil, err
	}
	if err := sb.uiCodes(ctx); err != nil {
		net.Close()
		alerts.close()
		return nil, err
	}
	return sb, nil
}

func (sb *sandbox) populate(ctx context.Context, states []string) error {
	officials, profiles := demoOfficials, demoProfiles
	if !slices.Equal(states, sandboxStates) {
		officials, profiles = genericOfficials(states), nil
	}
	for _, o := range officials {
		var err error
		if o.token, err = sb.net.Official(ctx, o.state, o.id, o.name, o.role); err != nil {
			return fmt.Errorf("demo official %s: %w", o.id, err)
		}
		sb.officials = append(sb.officials, o)
	}
	if err := sb.fillRosters(ctx); err != nil {
		return err
	}
	for _, nd := range sb.net.Nodes {
		for _, p := range profiles {
			if _, err := nd.Node.PutProfile(ctx, nd.Node.Admin(), p); err != nil {
				return fmt.Errorf("demo profile %s: %w", p.Code, err)
			}
		}
	}
	// The descriptors the nodes were peered with were made before their
	// profiles: peer them again, so that each knows the others' 24/7
	// contacts.
	if err := sb.net.Repeer(ctx); err != nil {
		return fmt.Errorf("demo peering: %w", err)
	}
	if profiles == nil {
		return sb.genericRequests(ctx, states)
	}
	return sb.demoRequests(ctx)
}

// newTokens gives each official of a reopened sandbox a new token: the
// ones printed before are kept only as digests.
func (sb *sandbox) newTokens(ctx context.Context, states []string) error {
	for _, s := range states {
		n := sb.net.Nodes[s].Node
		users, err := n.Users(ctx, n.Admin())
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Role == identity.Administrator || u.DisabledAt != nil {
				continue
			}
			o := demoOfficial{id: u.ID, name: u.Name, state: s, role: u.Role}
			if o.token, err = sb.net.Token(ctx, s, u.ID); err != nil {
				return fmt.Errorf("new token for %s: %w", u.ID, err)
			}
			sb.officials = append(sb.officials, o)
		}
	}
	return sb.refillRosters(ctx, states)
}

// uiCodes issues each demo official a one-time enrolment code for the web
// UI, as their administrator would: no password or TOTP secret is made up
// for them, so none is printed; a code works once, for a day.
func (sb *sandbox) uiCodes(ctx context.Context) error {
	for i, o := range sb.officials {
		n := sb.net.Nodes[o.state].Node
		e, err := n.IssueEnrolment(ctx, n.AdminOf(o.state), o.id)
		if err != nil {
			return fmt.Errorf("enrolment code for %s: %w", o.id, err)
		}
		sb.officials[i].uiCode = e.Code
	}
	return nil
}

// keptStates returns the States whose nodes a sandbox kept in dir, in
// alphabetical order.
func keptStates(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var states []string
	for _, en := range entries {
		if _, err := os.Stat(filepath.Join(dir, en.Name(), "entraide.db")); en.IsDir() && err == nil {
			states = append(states, strings.ToUpper(en.Name()))
		}
	}
	return states
}

func genericOfficials(states []string) []demoOfficial {
	var out []demoOfficial
	for _, s := range states {
		p, _ := directory.LookupParticipant(s)
		code := strings.ToLower(s)
		out = append(out,
			demoOfficial{id: code + "-ca", name: "Central authority officer of " + p.Name(), state: s, role: identity.CentralAuthority},
			demoOfficial{id: code + "-247", name: "24/7 officer of " + p.Name(), state: s, role: identity.TwentyFourSeven})
	}
	return out
}

func actor(id, state string, role identity.Role) casework.Actor {
	return casework.Actor{ID: id, State: state, Role: role}
}

// act takes a transition on the actor's node, waiting for the request to
// reach that node and the state the transition needs: delivery between
// the nodes takes a moment.
func (sb *sandbox) act(ctx context.Context, r *casework.Request, by casework.Actor, t casework.Transition) error {
	n := sb.net.Nodes[by.State].Node
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := n.Transition(ctx, by, r.ID, t)
		if err == nil {
			return nil
		}
		if !(errors.Is(err, casework.ErrNotFound) || errors.Is(err, casework.ErrConflict)) || time.Now().After(deadline) {
			return fmt.Errorf("demo %s of %s: %w", t.Action, r.Kind, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitFor waits until state's view of request id is in st.
func (sb *sandbox) waitFor(ctx context.Context, state, id string, st casework.State) error {
	db := sb.net.Nodes[state].DB
	deadline := time.Now().Add(15 * time.Second)
	for {
		r, err := db.Request(ctx, state, id)
		if err == nil && r.State == st {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: request %s did not become %s at %s's node", id, st, state)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (sb *sandbox) create(ctx context.Context, by casework.Actor, c casework.Contents) (*casework.Request, error) {
	r, err := sb.net.Nodes[by.State].Node.CreateRequest(ctx, by, c)
	if err != nil {
		return nil, fmt.Errorf("demo %s: %w", c.Kind, err)
	}
	return r, nil
}

// genericRequests gives each State a preservation request from the next.
func (sb *sandbox) genericRequests(ctx context.Context, states []string) error {
	if len(states) < 2 {
		return nil
	}
	for i, to := range states {
		from := states[(i+1)%len(states)]
		by := actor(strings.ToLower(from)+"-247", from, identity.TwentyFourSeven)
		r, err := sb.create(ctx, by, casework.Contents{Kind: convention.Preservation, RequestedState: to, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent,
			Offences: []convention.Charge{{Article: 7}},
			Fields: map[string]string{
				"requesting_authority": "24/7 point of contact", "facts_summary": "Intrusion into a government mail server through a compromised VPN account.",
				"stored_data": "Connection logs of the VPN account and the relay server.", "necessity": "The provider keeps logs for 14 days.",
				"follow_up_intent": "A request for disclosure will follow through the central authority.",
			}})
		if err != nil {
			return err
		}
		if err := sb.act(ctx, r, by, casework.Transition{Action: casework.Send}); err != nil {
			return err
		}
	}
	return nil
}

func (sb *sandbox) demoRequests(ctx context.Context) error {
	fraCA := actor("fra-ca", "FRA", identity.CentralAuthority)
	fra247 := actor("fra-247", "FRA", identity.TwentyFourSeven)
	vnmCA := actor("vnm-ca", "VNM", identity.CentralAuthority)
	vnm247 := actor("vnm-247", "VNM", identity.TwentyFourSeven)
	zafCA := actor("zaf-ca", "ZAF", identity.CentralAuthority)
	zaf247 := actor("zaf-247", "ZAF", identity.TwentyFourSeven)

	step := func(r *casework.Request, by casework.Actor, t casework.Transition) error {
		return sb.act(ctx, r, by, t)
	}
	create := func(by casework.Actor, c casework.Contents) (*casework.Request, error) { return sb.create(ctx, by, c) }

	// 1. France's 24/7 asks Viet Nam to preserve a hosting account used in
	// a ransomware attack on a hospital; Viet Nam preserves it.
	pres, err := create(fra247, casework.Contents{
		Kind: convention.Preservation, RequestedState: "VNM", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent, Confidential: true,
		Offences: []convention.Charge{{Article: 10}, {Article: 7}},
		Fields: map[string]string{
			"requesting_authority":  "Office anti-cybercriminalité (OFAC), Nanterre; 24/7 point of contact",
			"facts_summary":         "On 12 November 2026 the information systems of a hospital in Lyon were encrypted by ransomware; patient care was disrupted. The ransom note pointed to a leak site hosted in Viet Nam.",
			"stored_data":           "Subscriber, log-in and traffic data, and stored content, of the hosting account serving the leak site, from 1 October 2026.",
			"custodian_or_location": "A hosting provider in Ho Chi Minh City (name in the attached note).",
			"necessity":             "The provider keeps logs for 30 days; without preservation they will be lost before a request for mutual assistance can be executed.",
			"follow_up_intent":      "France will request disclosure of the preserved data through its central authority within 60 days.",
		},
		Attachments:  []casework.Attachment{{Name: "provider-note.pdf", MediaType: "application/pdf", Size: 48213, SHA256: "9f2c1b1d8c2a7e3f4b5a6978d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3"}},
		PersonalData: &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.Identification, convention.TrafficData}, Persons: []convention.PersonCategory{convention.Suspect}},
	})
	if err != nil {
		return err
	}
	for _, s := range []struct {
		by casework.Actor
		t  casework.Transition
	}{
		{fra247, casework.Transition{Action: casework.Send}},
		{vnm247, casework.Transition{Action: casework.Acknowledge, Note: "Received by the 24/7 desk; provider contacted."}},
		{vnm247, casework.Transition{Action: casework.Start, Note: "Preservation order served on the provider."}},
	} {
		if err := step(pres, s.by, s.t); err != nil {
			return err
		}
	}

	// 2. France's central authority follows up with a request for the
	// preserved data; the data stay preserved until it is decided.
	access, err := create(fraCA, casework.Contents{
		Kind: convention.StoredDataAccess, RequestedState: "VNM", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, FollowUpOf: pres.ID, Confidential: true,
		UseLimitation: "For the criminal investigation of the Lyon hospital attack only.",
		Offences:      []convention.Charge{{Article: 10}},
		Fields: map[string]string{
			"requesting_authority": "Ministère de la Justice, Bureau de l'entraide pénale internationale",
			"subject_matter":       "Judicial investigation into a ransomware attack against a hospital (extortion in an organised gang, interference with an ICT system)",
			"conducting_authority": "Investigating judge, Tribunal judiciaire de Paris, cybercrime section (J3)",
			"facts_summary":        "See the preservation request: a leak site hosted in Viet Nam published data stolen from the hospital.",
			"assistance_sought":    "Disclosure of the preserved subscriber, traffic and content data of the hosting account, with a certificate of authenticity.",
			"purpose":              "To identify the operators of the leak site.",
			"stored_data":          "The data preserved under the preservation request, 1 October to 20 November 2026.",
			"safeguards":           "Ordered by an investigating judge; limited to one account and seven weeks; French law gives the persons concerned a remedy.",
		},
		PersonalData: &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.Identification, convention.TrafficData, convention.ContentData, convention.HealthData}, Persons: []convention.PersonCategory{convention.Suspect, convention.Victim}},
	})
	if err != nil {
		return err
	}
	// The follow-up links the preservation once France's node has heard
	// that Viet Nam preserves the data.
	if err := sb.waitFor(ctx, "FRA", pres.ID, casework.InProgress); err != nil {
		return err
	}
	if err := step(access, fraCA, casework.Transition{Action: casework.Send}); err != nil {
		return err
	}

	// 3. South Africa asks France for assistance in a fraud case; France
	// asks for more information.
	mla, err := create(zafCA, casework.Contents{
		Kind: convention.MutualAssistance, RequestedState: "FRA", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity},
		Offences: []convention.Charge{{Article: 13}, {Article: 17}},
		Fields: map[string]string{
			"requesting_authority": "Department of Justice and Constitutional Development, Pretoria",
			"subject_matter":       "Prosecution of a business e-mail compromise scheme (fraud and money laundering)",
			"conducting_authority": "National Prosecuting Authority, Specialised Commercial Crime Unit",
			"facts_summary":        "Invoices of a Johannesburg supplier were altered by intruders in its mailbox; ZAR 14 million was paid into accounts opened in France.",
			"assistance_sought":    "Bank records of two accounts and statements of their holders.",
			"persons_concerned":    "Two accounts at a bank in Marseille (IBANs in the annex).",
			"purpose":              "Evidence for the trial and tracing of the proceeds.",
		},
	})
	if err != nil {
		return err
	}
	for _, s := range []struct {
		by casework.Actor
		t  casework.Transition
	}{
		{zafCA, casework.Transition{Action: casework.Send}},
		{fraCA, casework.Transition{Action: casework.Acknowledge}},
		{fraCA, casework.Transition{Action: casework.RequestInfo, Note: "Please give the dates of the transfers and the amounts credited to each account."}},
	} {
		if err := step(mla, s.by, s.t); err != nil {
			return err
		}
	}

	// 4. Viet Nam's 24/7 asks South Africa for emergency disclosure: a
	// child is at imminent risk.
	emergency, err := create(vnm247, casework.Contents{
		Kind: convention.EmergencyDisclosure, RequestedState: "ZAF", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent, Confidential: true,
		Fields: map[string]string{
			"requesting_authority":  "Cybersecurity and High-Tech Crime Prevention Department, 24/7 desk, Ha Noi",
			"emergency":             "A 14-year-old missing since last night is being groomed to meet an adult abroad; messages announce a meeting within 24 hours.",
			"data_sought":           "Subscriber data and recent IP addresses of the messaging account used by the adult.",
			"custodian_or_location": "A messaging service whose operator is established in Cape Town.",
		},
	})
	if err != nil {
		return err
	}
	if err := step(emergency, vnm247, casework.Transition{Action: casework.Send}); err != nil {
		return err
	}
	if err := step(emergency, zaf247, casework.Transition{Action: casework.Acknowledge, Note: "On it: provider's emergency line called at 02:10 SAST."}); err != nil {
		return err
	}

	// 2b. Viet Nam executes the follow-up: it gives the preserved data as
	// an item of evidence, under conditions that travel with it (use in
	// this investigation only, no onward transfer without consent; arts.
	// 40(19) and 36), so that France's node enforces them.
	if err := sb.answerWithEvidence(ctx, access, vnmCA); err != nil {
		return err
	}

	// 5. Viet Nam drafts an extradition request, not yet sent.
	_, err = create(vnmCA, casework.Contents{
		Kind: convention.Extradition, RequestedState: "FRA", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity},
		// Art. 37(1): punishable in both States by at least a year.
		Offences: []convention.Charge{{Article: 13, Description: "Fraud", MaxPenaltyYears: 20, RequestedStateMaxPenaltyYears: 5}},
		Fields: map[string]string{
			"requesting_authority": "Supreme People's Procuracy of Viet Nam",
			"person":               "A national of a third State, believed to live in Lille (identity in the annex).",
			"facts_summary":        "Organised an investment-fraud platform that took VND 85 billion from 3,000 victims in 2025.",
			"warrant_or_judgment":  "Arrest warrant of the People's Court of Ha Noi, 3 September 2026.",
			"dual_criminality":     "Fraud (escroquerie) is punishable under article 313-1 of the French Penal Code and article 174 of the Vietnamese Penal Code.",
		},
	})
	if err != nil {
		return err
	}

	// 6. South Africa asks France to collect traffic data in real time:
	// an intrusive measure, which France's central authority screens for
	// human rights before it may start (arts. 6, 24, 40(22)).
	realTime, err := create(zafCA, casework.Contents{
		Kind: convention.RealTimeTraffic, RequestedState: "FRA", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity},
		Offences: []convention.Charge{{Article: 7}},
		Fields: map[string]string{
			"requesting_authority": "National Prosecuting Authority, Pretoria",
			"facts_summary":        "A botnet controlled from a server hosted in Roubaix is attacking South African municipalities' systems.",
			"target_data":          "Traffic data of the server's IP address: sources, destinations, times and volumes of its connections.",
			"justification":        "The operators connect only during the attacks; only real-time collection shows where from.",
			"collection_period":    "30 days: the attacks have recurred every week since September.",
			"safeguards":           "Authorised by a judge of the High Court, Pretoria; limited to one IP address and 30 days.",
		},
		PersonalData: &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.TrafficData}, Persons: []convention.PersonCategory{convention.Suspect}},
	})
	if err != nil {
		return err
	}
	if err := step(realTime, zafCA, casework.Transition{Action: casework.Send}); err != nil {
		return err
	}
	if err := step(realTime, fraCA, casework.Transition{Action: casework.Acknowledge, Note: "Received; to be screened before the collection is ordered."}); err != nil {
		return err
	}

	// 7. France traces the proceeds of a fraud through the statement
	// Viet Nam gives, and drafts freezing requests from the trace.
	return sb.demoFunds(ctx)
}

// answerWithEvidence has the requested State's official start executing
// r, add an item of evidence to it, send the item under conditions and
// execute the request under the same conditions.
func (sb *sandbox) answerWithEvidence(ctx context.Context, r *casework.Request, by casework.Actor) error {
	n := sb.net.Nodes[by.State].Node
	conds := convention.Conditions{
		{Kind: convention.UseLimited, Text: "Only in the judicial investigation of the ransomware attack on the Lyon hospital."},
		{Kind: convention.NoOnwardTransfer},
	}
	for _, t := range []casework.Transition{
		{Action: casework.Acknowledge},
		{Action: casework.Start, Note: "Production order served on the hosting provider."},
	} {
		if err := sb.act(ctx, r, by, t); err != nil {
			return err
		}
	}
	data := []byte("Subscriber record and connection log of the hosting account (sandbox data: made up).\n")
	collected := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
	it, err := n.StartEvidence(ctx, by, r.ID, evidence.Spec{
		Name: "hosting-account-records.txt", MediaType: "text/plain",
		Collection:   evidence.Collection{By: "Cybersecurity department, Ha Noi", Where: "Ho Chi Minh City", When: &collected, Source: "The hosting provider's records", Tool: "Provider's export"},
		PersonalData: &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.Identification, convention.TrafficData}, Persons: []convention.PersonCategory{convention.Suspect}},
	}, int64(len(data)))
	if err != nil {
		return fmt.Errorf("demo evidence: %w", err)
	}
	if _, err := n.AppendEvidence(ctx, by, it.ID, 0, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("demo evidence: %w", err)
	}
	if _, err := n.CompleteEvidence(ctx, by, it.ID); err != nil {
		return fmt.Errorf("demo evidence: %w", err)
	}
	if _, err := n.SendEvidence(ctx, by, r.ID, it.ID, conds); err != nil {
		return fmt.Errorf("demo evidence: %w", err)
	}
	return sb.act(ctx, r, by, casework.Transition{Action: casework.Execute, Note: "The preserved data are given as the attached item, under the conditions stated.", AnswerConditions: conds})
}

func (sb *sandbox) print(w io.Writer, caFile string, states []string) {
	fmt.Fprintf(w, "Entraide sandbox: %d national nodes, each with its own database, keys and HTTPS port, peered with each other.\n", len(states))
	fmt.Fprintf(w, "Data: %s   Local certificate authority: %s\n\n", sb.dataDir, caFile)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// NODE is what ENTRAIDE_URL takes, and DATA DIR what --data-dir
	// (ENTRAIDE_DATA_DIR) takes for the commands that act on a node's
	// database.
	fmt.Fprintln(tw, "STATE\tNODE (ENTRAIDE_URL)\tWEB UI\tDATA DIR (ENTRAIDE_DATA_DIR)\tADMIN TOKEN")
	for _, s := range states {
		nd := sb.net.Nodes[s]
		p, _ := directory.LookupParticipant(s)
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\n", s, p.Name(), nd.URL, nd.URL+"/ui/", nd.DataDir, nd.AdminToken)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGIN\tSTATE\tROLE\tNAME\tAPI TOKEN\tWEB UI ENROLMENT CODE")
	for _, o := range sb.officials {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.id, o.state, o.role, o.name, o.token, o.uiCode)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nIn a browser (trust ca.pem first, or accept the warning): open a node's WEB UI, choose \"Enrol\", give the")
	fmt.Fprintln(w, "official's enrolment code, choose a password and add the account to an authenticator app; then sign in")
	fmt.Fprintln(w, "with the LOGIN, the password and the app's six-digit code. A code works once, within 24 hours.")
	first := sb.officials[0]
	for _, o := range sb.officials {
		if o.role == identity.CentralAuthority {
			first = o
			break
		}
	}
	url := sb.net.Nodes[first.state].URL
	fmt.Fprintf(w, "\nTry, as %s (%s):\n", first.name, first.state)
	fmt.Fprintf(w, "  export ENTRAIDE_URL=%s ENTRAIDE_TOKEN=%s ENTRAIDE_CA=%s\n", url, first.token, caFile)
	fmt.Fprintln(w, "  go run ./cmd/entraide request list")
	fmt.Fprintf(w, "  curl --cacert %s -H \"Authorization: Bearer $ENTRAIDE_TOKEN\" %s/api/v1/requests\n", caFile, url)
	nd := sb.net.Nodes[first.state]
	p, _ := directory.LookupParticipant(first.state)
	fmt.Fprintf(w, "\nAdministrative commands (user, roster, peer, treaty, descriptor...) act on a node's database, not through the API:\n")
	fmt.Fprintf(w, "give them its data directory, e.g. as %s's administrator:\n", p.Name())
	fmt.Fprintf(w, "  export ENTRAIDE_DATA_DIR=%s\n", nd.DataDir)
	fmt.Fprintln(w, "  go run ./cmd/entraide user list")
	fmt.Fprintf(w, "\nStarted %s. Press Ctrl-C to stop; the sandbox's data go with it unless --data-dir was given", time.Now().Format(time.DateTime))
	fmt.Fprintf(w, " (then start it again with: go run ./cmd/entraide sandbox --data-dir %s).\n", sb.dataDir)
}
