package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestRequestShowPrintsWhatEachSideActsOn: request show prints the
// offences, use limitation, confidentiality, conditions proposed and
// accepted, the preservation a request follows up and its follow-up, the
// reservations a refusal relies on and the legal basis; its timeline
// gives the conditions of each consultation and answer.
func TestRequestShowPrintsWhatEachSideActsOn(t *testing.T) {
	c := requestEnv(t)
	fra := c.env["ENTRAIDE_TOKEN"]
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	as := func(token string) { c.env["ENTRAIDE_TOKEN"] = token }
	created := regexp.MustCompile(`Created (\S+):`)
	preservation := []string{"request", "create", "--kind", "preservation", "--to", "VNM", "--legal-basis", "reciprocity",
		"--requesting-authority", "OFAC", "--facts-summary", "Ransomware at a hospital", "--stored-data", "Logs", "--necessity", "Logs expire",
		"--follow-up-intent", "A request follows.", "--confidential", "--use-limitation", "Only for the Lyon investigation.",
		"--offences", "10,0", "--offence-description", "Extortion by an organised group", "--max-penalty-years", "10"}
	show := func(id string, want ...string) {
		t.Helper()
		out := c.must("request", "show", id)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("request show %s does not say %q:\n%s", id, w, out)
			}
		}
	}

	as(fra)
	id := created.FindStringSubmatch(c.must(preservation...))[1]
	c.must("request", "transition", id, "--action", "send")
	show(id, "Legal basis: reciprocity", "Offences:", "art. 10, Interference with an information and communications technology system (maximum penalty 10 years in FRA)",
		"a serious crime (art. 2): Extortion by an organised group (maximum penalty 10 years in FRA)",
		"Use limitation (art. 40(19)): Only for the Lyon investigation.", "Confidentiality: FRA asks that the request and its substance be kept confidential (art. 40(20))")

	as(vnm)
	c.must("request", "transition", id, "--action", "acknowledge")
	c.must("request", "transition", id, "--action", "start")
	c.must("request", "transition", id, "--action", "consult", "--conditions", "Only for the offences named.")
	show(id, "Conditions proposed by VNM, for FRA to accept or decline (art. 40(27)): Only for the offences named.",
		"conditions proposed: Only for the offences named.")
	as(fra)
	c.must("request", "transition", id, "--action", "decline_conditions", "--note", "Too narrow.")
	show(id, "Too narrow.; conditions declined: Only for the offences named.")
	as(vnm)
	c.must("request", "transition", id, "--action", "consult", "--conditions", "Not shared with third States.")
	as(fra)
	c.must("request", "transition", id, "--action", "accept_conditions")
	show(id, "Conditions accepted by FRA, binding the execution (art. 40(27)): Not shared with third States.",
		"conditions accepted: Not shared with third States.")

	followUp := created.FindStringSubmatch(c.must("request", "create", "--kind", "stored_data_access", "--to", "VNM", "--legal-basis", "reciprocity",
		"--follow-up-of", id, "--offences", "10", "--requesting-authority", "OFAC", "--facts-summary", "Ransomware", "--stored-data", "The preserved logs",
		"--assistance-sought", "Disclosure of the logs", "--purpose", "Evidence", "--subject-matter", "Ransomware", "--conducting-authority", "Juge d instruction, Lyon"))[1]
	c.must("request", "transition", followUp, "--action", "send")
	show(followUp, "Follows up the preservation "+id+" (art. 42)")
	show(id, "until follow-up "+followUp+" is decided")

	// A refusal relying on a reservation (art. 42(4)).
	c.must("treaty", "declare", "--code", "VNM", "--article", "42", "--made-on", "2026-01-10",
		"--text", "Viet Nam reserves the right to refuse preservation for lack of dual criminality.", "--reservation", "preservation_dual_criminality")
	refused := created.FindStringSubmatch(c.must(append(preservation[:len(preservation)-6], "--offence-description", "Extortion by an organised group", "--max-penalty-years", "10")...))[1]
	c.must("request", "transition", refused, "--action", "send")
	as(vnm)
	c.must("request", "transition", refused, "--action", "acknowledge")
	c.must("request", "transition", refused, "--action", "consult")
	c.must("request", "transition", refused, "--action", "refuse", "--grounds", "no_dual_criminality", "--reasons", "Extortion is no offence here.")
	show(refused, "The refusal relies on VNM's reservations:", "Reserves the right to refuse a preservation for lack of dual criminality")
}
