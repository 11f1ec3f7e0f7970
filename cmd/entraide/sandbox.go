package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/directory"
	"entraide/internal/identity"
	"entraide/internal/node"
	"entraide/internal/store"
)

// The sandbox's States: Viet Nam, where the Convention was signed, with
// France and South Africa beside it on one node until nodes federate.
var sandboxStates = []string{"VNM", "FRA", "ZAF"}

type demoOfficial struct {
	id, name, state string
	role            identity.Role
	token           string
}

var demoOfficials = []demoOfficial{
	{id: "vnm-ca", name: "Nguyễn Thị Lan", state: "VNM", role: identity.CentralAuthority},
	{id: "vnm-247", name: "Trần Văn Minh", state: "VNM", role: identity.TwentyFourSeven},
	{id: "vnm-inv", name: "Lê Quốc Huy", state: "VNM", role: identity.Investigator},
	{id: "fra-ca", name: "Claire Dubois", state: "FRA", role: identity.CentralAuthority},
	{id: "fra-247", name: "Julien Moreau", state: "FRA", role: identity.TwentyFourSeven},
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
	db        *store.DB
	node      *node.Node
	dataDir   string
	adminTok  string
	officials []demoOfficial
	reopened  bool
}

// startSandbox creates a node with the sandbox States, their officials and
// profiles, and a few requests at different stages.
func startSandbox(ctx context.Context, dataDir string) (*sandbox, error) {
	db, err := store.Open(ctx, filepath.Join(dataDir, "entraide.db"))
	if err != nil {
		return nil, err
	}
	sb := &sandbox{db: db, dataDir: dataDir}
	if _, _, err := db.Node(ctx); err == nil {
		// A sandbox kept with --data-dir: its officials' tokens were shown
		// when it was made and cannot be shown again.
		sb.node, err = node.Open(ctx, db, nil)
		if err != nil {
			db.Close()
			return nil, err
		}
		sb.reopened = true
		return sb, nil
	}
	if err := sb.populate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return sb, nil
}

func (sb *sandbox) populate(ctx context.Context) error {
	var err error
	sb.adminTok, err = node.Init(ctx, sb.db, node.InitOptions{Home: sandboxStates[0], Hosted: sandboxStates[1:],
		Admin: identity.User{ID: "admin", Name: "Node administrator"}}, nil)
	if err != nil {
		return err
	}
	n, err := node.Open(ctx, sb.db, nil)
	if err != nil {
		return err
	}
	sb.node = n
	admin := n.Admin()
	for _, o := range demoOfficials {
		if _, err := n.AddUser(ctx, admin, identity.User{ID: o.id, Name: o.name, State: o.state, Role: o.role}); err != nil {
			return fmt.Errorf("demo official %s: %w", o.id, err)
		}
		if o.token, err = n.CreateToken(ctx, admin, o.id, "sandbox"); err != nil {
			return err
		}
		sb.officials = append(sb.officials, o)
	}
	for _, p := range demoProfiles {
		if _, err := n.PutProfile(ctx, admin, p); err != nil {
			return fmt.Errorf("demo profile %s: %w", p.Code, err)
		}
	}
	return sb.demoRequests(ctx)
}

func actor(id, state string, role identity.Role) casework.Actor {
	return casework.Actor{ID: id, State: state, Role: role}
}

func (sb *sandbox) demoRequests(ctx context.Context) error {
	n := sb.node
	fraCA := actor("fra-ca", "FRA", identity.CentralAuthority)
	fra247 := actor("fra-247", "FRA", identity.TwentyFourSeven)
	vnmCA := actor("vnm-ca", "VNM", identity.CentralAuthority)
	vnm247 := actor("vnm-247", "VNM", identity.TwentyFourSeven)
	zafCA := actor("zaf-ca", "ZAF", identity.CentralAuthority)
	zaf247 := actor("zaf-247", "ZAF", identity.TwentyFourSeven)

	step := func(r *casework.Request, by casework.Actor, t casework.Transition) error {
		_, err := n.Transition(ctx, by, r.ID, t)
		if err != nil {
			return fmt.Errorf("demo %s of %s: %w", t.Action, r.Kind, err)
		}
		return nil
	}
	create := func(by casework.Actor, c casework.Contents) (*casework.Request, error) {
		r, err := n.CreateRequest(ctx, by, c)
		if err != nil {
			return nil, fmt.Errorf("demo %s: %w", c.Kind, err)
		}
		return r, nil
	}

	// 1. France's 24/7 asks Viet Nam to preserve a hosting account used in
	// a ransomware attack on a hospital; Viet Nam preserves it.
	pres, err := create(fra247, casework.Contents{
		Kind: convention.Preservation, RequestedState: "VNM", Urgency: casework.Urgent, Confidential: true,
		Offences: []convention.Charge{{Article: 10}, {Article: 7}},
		Fields: map[string]string{
			"requesting_authority":  "Office anti-cybercriminalité (OFAC), Nanterre; 24/7 point of contact",
			"facts_summary":         "On 12 November 2026 the information systems of a hospital in Lyon were encrypted by ransomware; patient care was disrupted. The ransom note pointed to a leak site hosted in Viet Nam.",
			"stored_data":           "Subscriber, log-in and traffic data, and stored content, of the hosting account serving the leak site, from 1 October 2026.",
			"custodian_or_location": "A hosting provider in Ho Chi Minh City (name in the attached note).",
			"necessity":             "The provider keeps logs for 30 days; without preservation they will be lost before a request for mutual assistance can be executed.",
			"follow_up_intent":      "France will request disclosure of the preserved data through its central authority within 60 days.",
		},
		Attachments: []casework.Attachment{{Name: "provider-note.pdf", MediaType: "application/pdf", Size: 48213, SHA256: "9f2c1b1d8c2a7e3f4b5a6978d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3"}},
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
		Kind: convention.StoredDataAccess, RequestedState: "VNM", FollowUpOf: pres.ID, Confidential: true,
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
	})
	if err != nil {
		return err
	}
	if err := step(access, fraCA, casework.Transition{Action: casework.Send}); err != nil {
		return err
	}

	// 3. South Africa asks France for assistance in a fraud case; France
	// asks for more information.
	mla, err := create(zafCA, casework.Contents{
		Kind: convention.MutualAssistance, RequestedState: "FRA",
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
		Kind: convention.EmergencyDisclosure, RequestedState: "ZAF", Urgency: casework.Urgent, Confidential: true,
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

	// 5. Viet Nam drafts an extradition request, not yet sent.
	_, err = create(vnmCA, casework.Contents{
		Kind: convention.Extradition, RequestedState: "FRA",
		Offences: []convention.Charge{{Article: 13}},
		Fields: map[string]string{
			"requesting_authority": "Supreme People's Procuracy of Viet Nam",
			"person":               "A national of a third State, believed to live in Lille (identity in the annex).",
			"facts_summary":        "Organised an investment-fraud platform that took VND 85 billion from 3,000 victims in 2025.",
			"warrant_or_judgment":  "Arrest warrant of the People's Court of Ha Noi, 3 September 2026.",
			"dual_criminality":     "Fraud (escroquerie) is punishable under article 313-1 of the French Penal Code and article 174 of the Vietnamese Penal Code.",
			"legal_basis":          "Article 37 of the United Nations Convention against Cybercrime.",
		},
	})
	if err != nil {
		return err
	}
	return nil
}

func (sb *sandbox) print(w io.Writer, url string) {
	fmt.Fprintf(w, "Entraide sandbox: one node holding the views of %v, with demo officials and requests.\n", sandboxStates)
	fmt.Fprintf(w, "Data: %s (SQLite)\n\n", sb.dataDir)
	fmt.Fprintf(w, "API:     %s/api/v1   (OpenAPI: %s/api/v1/openapi.json)\n", url, url)
	fmt.Fprintf(w, "Health:  %s/healthz\n\n", url)
	if sb.reopened {
		fmt.Fprintln(w, "Reopened an existing sandbox: its officials' API tokens were printed when it was created.")
		fmt.Fprintln(w, "Create new ones with: entraide token create fra-ca --data-dir "+sb.dataDir)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGIN\tSTATE\tROLE\tNAME\tAPI TOKEN")
	fmt.Fprintf(tw, "admin\t%s\tadministrator\tNode administrator\t%s\n", sandboxStates[0], sb.adminTok)
	for _, o := range sb.officials {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.id, o.state, o.role, o.name, o.token)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nTry, as France's central authority:\n")
	fmt.Fprintf(w, "  export ENTRAIDE_URL=%s ENTRAIDE_TOKEN=%s\n", url, sb.officials[3].token)
	fmt.Fprintln(w, "  go run ./cmd/entraide request list")
	fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $ENTRAIDE_TOKEN\" %s/api/v1/treaty\n", url)
	fmt.Fprintf(w, "\nStarted %s. Press Ctrl-C to stop; the sandbox's data go with it unless --data-dir was given.\n", time.Now().Format(time.DateTime))
}
