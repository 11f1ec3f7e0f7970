package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"entraide/internal/casework"
	"entraide/internal/convention"
)

// TestRequestCreateHelpPerKind: request create --kind K --help lists every
// field of the kind with its label and article, from internal/convention.
func TestRequestCreateHelpPerKind(t *testing.T) {
	c := newCLI(t)
	for _, s := range convention.DraftableKinds() {
		t.Run(s.MainArticle().String()+": "+string(s.Kind), func(t *testing.T) {
			out := c.must("request", "create", "--kind", string(s.Kind), "--help")
			for _, f := range s.Fields {
				flagName := "--" + strings.ReplaceAll(f.Name, "_", "-")
				if want := f.Label + " (" + f.Ref.String(); !strings.Contains(out, flagName) || !strings.Contains(out, want) {
					t.Errorf("request create --kind %s --help has no %s with %q:\n%s", s.Kind, flagName, want, out)
				}
			}
		})
	}
	out := c.must("request", "create", "--help")
	for _, s := range convention.DraftableKinds() {
		if !strings.Contains(out, string(s.Kind)+": "+s.Title) {
			t.Errorf("request create --help does not list %s", s.Kind)
		}
	}
}

// TestRequestCreateOffersNoTrafficDisclosureKind: art 43(1): disclosure of
// preserved traffic data is the disclose_traffic action on a preservation;
// no help, list of kinds or error offers it as a kind to draft.
func TestRequestCreateOffersNoTrafficDisclosureKind(t *testing.T) {
	c := requestEnv(t)
	kind := string(convention.TrafficDisclosure)
	for _, args := range [][]string{
		{"request", "create", "--help"},
		{"request", "create", "--kind", kind, "--help"},
	} {
		if out := c.must(args...); strings.Contains(out, kind) {
			t.Errorf("entraide %s offers %s:\n%s", strings.Join(args, " "), kind, out)
		}
	}
	_, _, err := c.run("request", "create", "--kind", "bogus", "--to", "VNM")
	if err == nil || strings.Contains(err.Error(), kind) || !strings.Contains(err.Error(), "preservation") {
		t.Errorf("request create --kind bogus = %v, want the kinds to draft, without %s", err, kind)
	}
	_, _, err = c.run("request", "create", "--kind", kind, "--to", "VNM")
	if err == nil || !strings.Contains(err.Error(), "--action disclose_traffic") || !strings.Contains(err.Error(), "art. 43(1)") {
		t.Errorf("request create --kind %s = %v, want it to name the disclose_traffic action (art. 43(1))", kind, err)
	}
	c.env["ENTRAIDE_TOKEN"] = c.official("--id", "fra-247", "--name", "Jean Veille", "--role", "24_7")
	_, _, err = c.run("request", "create", "--kind", "extradition", "--to", "VNM", "--legal-basis", "reciprocity")
	if err == nil || !strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), "traffic-data disclosure") || !strings.Contains(err.Error(), "disclose_traffic") {
		t.Errorf("request create --kind extradition by the 24/7 point of contact = %v, want a 403 naming disclose_traffic, not a kind of traffic-data disclosure", err)
	}
}

// TestRequestListUnknownKindListsKinds: request list --kind bogus names
// the kinds it takes, rather than an API address.
func TestRequestListUnknownKindListsKinds(t *testing.T) {
	c := requestEnv(t)
	_, _, err := c.run("request", "list", "--kind", "bogus")
	if err == nil || strings.Contains(err.Error(), "/api/v1") || !strings.Contains(err.Error(), "stored_data_access") {
		t.Errorf("request list --kind bogus = %v, want the kinds listed", err)
	}
}

// TestRequestCreateFromFlags drafts requests from flags, a follow-up of a
// preservation among them.
func TestRequestCreateFromFlags(t *testing.T) {
	c := requestEnv(t)
	created := regexp.MustCompile(`^Created (\S+): `)
	out := c.must("request", "create", "--kind", "preservation", "--to", "vnm", "--urgency", "urgent", "--offences", "10,7", "--legal-basis", "reciprocity",
		"--requesting-authority", "OFAC, 24/7 point of contact", "--facts-summary", "Ransomware on a hospital.",
		"--stored-data", "Logs of the hosting account.", "--necessity", "Logs are kept 30 days.",
		"--follow-up-intent", "A request for disclosure will follow.", "--case-number", "PARQUET-2026-001")
	m := created.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("request create from flags = %q, want Created", out)
	}
	pres := m[1]
	var doc requestDoc
	if err := json.Unmarshal([]byte(c.must("request", "show", pres, "--json")), &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.Request
	if r.Kind != convention.Preservation || r.RequestedState != "VNM" || r.Urgency != "urgent" || len(r.Offences) != 2 ||
		r.Fields["stored_data"] != "Logs of the hosting account." || r.Fields["case_number"] != "PARQUET-2026-001" ||
		r.LegalBasis == nil || r.LegalBasis.Type != casework.BasisReciprocity {
		t.Errorf("request from flags = %+v", r)
	}

	out = c.must("request", "create", "--kind", "stored_data_access", "--to", "VNM", "--follow-up-of", pres, "--offences", "10",
		"--treaty", "Agreement on mutual legal assistance in criminal matters between France and Viet Nam",
		"--requesting-authority", "Ministère de la Justice", "--subject-matter", "Ransomware investigation",
		"--conducting-authority", "Investigating judge, Paris", "--facts-summary", "See the preservation.",
		"--assistance-sought", "Disclosure of the preserved data.", "--purpose", "Identify the operators.",
		"--stored-data", "The preserved logs.")
	m = created.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("request create --follow-up-of = %q, want Created", out)
	}
	if err := json.Unmarshal([]byte(c.must("request", "show", m[1], "--json")), &doc); err != nil {
		t.Fatal(err)
	}
	if show := c.must("request", "show", m[1]); !strings.Contains(show, "Legal basis: the treaty \"Agreement on mutual legal assistance in criminal matters between France and Viet Nam\"") {
		t.Errorf("request show does not say the legal basis:\n%s", show)
	}
	if b := doc.Request.LegalBasis; b == nil || b.Type != casework.BasisTreaty || !strings.Contains(b.Treaty, "France and Viet Nam") {
		t.Errorf("--treaty alone: legal_basis = %+v, want the named treaty", b)
	}
	if doc.Request.FollowUpOf != pres {
		t.Errorf("art 42(1): follow-up's follow_up_of = %q, want the preservation %s", doc.Request.FollowUpOf, pres)
	}

	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"an unknown kind lists the kinds", []string{"request", "create", "--kind", "espionage", "--to", "VNM"}, []string{`"espionage" is not a kind`, "preservation", "extradition"}},
		{"art 42(2)(e): a missing field is named with its article", []string{"request", "create", "--kind", "preservation", "--to", "VNM", "--offences", "10",
			"--requesting-authority", "OFAC", "--facts-summary", "F", "--stored-data", "S", "--follow-up-intent", "Yes"}, []string{"422", "fields.necessity", "art. 42(2)(e)"}},
		{"art 35: a request names its legal basis", []string{"request", "create", "--kind", "preservation", "--to", "VNM", "--offences", "10",
			"--requesting-authority", "OFAC", "--facts-summary", "F", "--stored-data", "S", "--necessity", "N", "--follow-up-intent", "Yes"},
			[]string{"422", "legal_basis", "art. 35", "convention", "treaty", "reciprocity"}},
		{"art 40(7): a treaty is named", []string{"request", "create", "--kind", "preservation", "--to", "VNM", "--offences", "10", "--legal-basis", "treaty",
			"--requesting-authority", "OFAC", "--facts-summary", "F", "--stored-data", "S", "--necessity", "N", "--follow-up-intent", "Yes"},
			[]string{"422", "legal_basis.treaty", "its name"}},
		{"offences as numbers", []string{"request", "create", "--kind", "preservation", "--offences", "ransomware"}, []string{"--offences", "10,7"}},
		{"flags or a file, not both", []string{"request", "create", "--kind", "preservation", "x.json"}, []string{"either as flags", "or as a JSON file"}},
		{"neither flags nor a file names both ways", []string{"request", "create"}, []string{"JSON file", "--kind"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.run(tt.args...)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("entraide %s = %v, want an error containing %q", strings.Join(tt.args, " "), err, w)
				}
			}
		})
	}
}

// TestRequestCreateExtraditionFromFlagsArt37Para1: an extradition drafted
// from flags gives both States' maximum penalties, which art. 37(1) needs;
// without the flags the CLI could never draft one.
func TestRequestCreateExtraditionFromFlagsArt37Para1(t *testing.T) {
	c := requestEnv(t)
	if help := c.must("request", "create", "--kind", "extradition", "--help"); !strings.Contains(help, "--requested-state-max-penalty-years") {
		t.Errorf("request create --kind extradition --help does not list the penalty flags:\n%s", help)
	}
	out := c.must("request", "create", "--kind", "extradition", "--to", "VNM", "--offences", "7", "--legal-basis", "reciprocity",
		"--requesting-authority", "Ministère de la Justice", "--person", "A. B., French, in Hanoi", "--facts-summary", "Intrusion.",
		"--warrant-or-judgment", "Arrest warrant of 1 March 2026", "--dual-criminality", "Art. 323-1 code pénal; VNM penal code.",
		"--max-penalty-years", "5", "--requested-state-max-penalty-years", "3")
	m := regexp.MustCompile(`^Created (\S+): `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("request create --kind extradition = %q, want Created", out)
	}
	var doc requestDoc
	if err := json.Unmarshal([]byte(c.must("request", "show", m[1], "--json")), &doc); err != nil {
		t.Fatal(err)
	}
	if o := doc.Request.Offences; len(o) != 1 || o[0].MaxPenaltyYears != 5 || o[0].RequestedStateMaxPenaltyYears != 3 {
		t.Errorf("offences = %+v, want article 7 punishable by 5 and 3 years", o)
	}
}

// TestRequestCreateSeriousCrimeFromFlags: art 2: a serious crime outside
// arts. 7-17 is drafted from flags with --offence-description, which
// --help documents; errors on fields given as flags name the flag.
func TestRequestCreateSeriousCrimeFromFlags(t *testing.T) {
	c := requestEnv(t)
	help := c.must("request", "create", "--kind", "preservation", "--help")
	if !strings.Contains(help, "--offence-description") {
		t.Errorf("request create --kind preservation --help has no --offence-description:\n%s", help)
	}
	base := []string{"request", "create", "--kind", "preservation", "--to", "VNM", "--legal-basis", "reciprocity",
		"--requesting-authority", "OFAC", "--facts-summary", "Fraud", "--stored-data", "Logs", "--necessity", "Logs expire", "--follow-up-intent", "A request follows."}

	_, _, err := c.run(append(base, "--offences", "0", "--max-penalty-years", "10")...)
	if err == nil || !strings.Contains(err.Error(), "offences[0].description (--offence-description)") {
		t.Errorf("art 2: a serious crime without a description = %v, want it to name --offence-description", err)
	}
	_, _, err = c.run(append(base, "--offence-description", "Fraud by an organised group", "--max-penalty-years", "2")...)
	if err == nil || !strings.Contains(err.Error(), "offences[0].max_penalty_years (--max-penalty-years)") {
		t.Errorf("art 2: a serious crime of 2 years = %v, want it to name --max-penalty-years", err)
	}
	_, _, err = c.run(append(base, "--offences", "10", "--offence-description", "Fraud")...)
	if err == nil || !strings.Contains(err.Error(), "add 0 to --offences") {
		t.Errorf("--offence-description without 0 among --offences = %v, want it to say to add 0", err)
	}
	var r casework.Request
	out := c.must(append(base, "--offences", "10,0", "--offence-description", "Fraud by an organised group", "--max-penalty-years", "10", "--json")...)
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Offences) != 2 || r.Offences[1].Description != "Fraud by an organised group" || r.Offences[1].MaxPenaltyYears != 10 {
		t.Errorf("art 2: offences drafted = %+v, want art. 10 and the serious crime described", r.Offences)
	}
	out = c.must(append(base, "--offence-description", "Fraud by an organised group", "--max-penalty-years", "10")...)
	if !strings.HasPrefix(out, "Created ") {
		t.Errorf("art 2: a serious crime alone = %q, want it drafted", out)
	}
}

// TestRequestTransitionNamesTheUntilFlag: art 42(7): a preserve_until the
// node refuses is named by the flag that gave it, --until.
func TestRequestTransitionNamesTheUntilFlag(t *testing.T) {
	c := requestEnv(t)
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", writeFile(t, "pres.json", preservationJSON)))[1]
	c.must("request", "transition", id, "--action", "send")
	c.env["ENTRAIDE_TOKEN"] = vnm
	c.must("request", "transition", id, "--action", "acknowledge")
	_, _, err := c.run("request", "transition", id, "--action", "start", "--until", "9999-01-01")
	if err == nil || !strings.Contains(err.Error(), "preserve_until (--until)") {
		t.Errorf("art 42(7): start --until 9999-01-01 = %v, want it to name --until", err)
	}
}
