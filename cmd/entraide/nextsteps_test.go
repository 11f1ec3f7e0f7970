package main

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestErrorsNameAStepThatCanBeTaken: each error's next step is one the
// official can take, and points the right way.
func TestErrorsNameAStepThatCanBeTaken(t *testing.T) {
	c := requestEnv(t)
	fra := c.env["ENTRAIDE_TOKEN"]
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	investigator := c.official("--id", "fra-inv", "--name", "Paul Enquêteur", "--role", "investigator")
	contact247 := c.official("--id", "fra-247", "--name", "Jean Veille", "--role", "24_7")
	as := func(token string) { c.env["ENTRAIDE_TOKEN"] = token }
	created := regexp.MustCompile(`Created (\S+):`)
	draft := func(flags ...string) string {
		t.Helper()
		args := append([]string{"request", "create", "--kind", "preservation", "--to", "VNM", "--offences", "10",
			"--requesting-authority", "OFAC", "--facts-summary", "Ransomware", "--stored-data", "Logs", "--necessity", "Logs expire",
			"--follow-up-intent", "A request follows."}, flags...)
		return created.FindStringSubmatch(c.must(args...))[1]
	}
	as(fra)
	// The Convention is in force for nobody in a fresh node: a draft
	// resting on it is refused when sent, and cannot be edited.
	onConvention := draft("--legal-basis", "convention")
	acked := draft("--legal-basis", "reciprocity")
	c.must("request", "transition", acked, "--action", "send")
	as(vnm)
	c.must("request", "transition", acked, "--action", "acknowledge")

	unanswered := "127.0.0.1:1"
	if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		unanswered = l.Addr().String()
		l.Close()
	}
	tests := []struct {
		name  string
		token string
		env   map[string]string
		args  []string
		want  []string
	}{
		{"art 40(1): a draft the node will not send is withdrawn and drafted again", fra, nil,
			[]string{"request", "transition", onConvention, "--action", "send"},
			[]string{"422", "legal_basis", "next: a draft cannot be edited: withdraw it (entraide request transition " + onConvention + " --action withdraw)",
				"entraide request create", "--legal-basis reciprocity, or --treaty NAME"}},
		{"art 40(27): a refusal before consultation names consult", vnm, nil,
			[]string{"request", "transition", acked, "--action", "refuse", "--grounds", "domestic_law", "--reasons", "No."},
			[]string{"409", "next: entraide request transition " + acked + " --action consult"}},
		{"art 40(13): an investigator's send names the roles that may", investigator, nil,
			[]string{"request", "transition", onConvention, "--action", "send"},
			[]string{"403", "ask an official whose role acts on requests (central_authority or 24_7)", "--action send"}},
		{"a version the request never had is said so", fra, nil,
			[]string{"request", "transition", onConvention, "--action", "withdraw", "--if-match", "99"},
			[]string{"412", "99, is not one this request has had", "it is at version 1"}},
		{"art 41(3): the 24/7 point of contact drafting another kind names the central authority", contact247, nil,
			[]string{"request", "create", "--kind", "extradition", "--to", "VNM", "--legal-basis", "reciprocity"},
			[]string{"403", "next: ask your central authority (role central_authority)"}},
		{"an unknown request names the list", fra, nil,
			[]string{"request", "show", "nonexist"}, []string{"404", "next: entraide request list"}},
		{"an unknown alert names the list", fra, nil,
			[]string{"alert", "ack", "bogus"}, []string{"404", "next: entraide alert list"}},
		{"a URL with the API's path says to drop it", fra, map[string]string{"ENTRAIDE_URL": "https://node.example/api/v1"},
			[]string{"request", "list"}, []string{"ends in the API's path", "https://node.example"}},
		{"a URL without its scheme suggests https", fra, map[string]string{"ENTRAIDE_URL": "127.0.0.1:41055"},
			[]string{"request", "list"}, []string{"https://127.0.0.1:41055"}},
		{"a node not answering says to check it runs", fra, map[string]string{"ENTRAIDE_URL": "http://" + unanswered},
			[]string{"request", "list"}, []string{"no node is answering at that address", "entraide serve", "sandbox", "ENTRAIDE_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := &cli{t: t, env: map[string]string{}}
			for k, v := range c.env {
				tc.env[k] = v
			}
			tc.env["ENTRAIDE_TOKEN"] = tt.token
			for k, v := range tt.env {
				tc.env[k] = v
			}
			_, _, err := tc.run(tt.args...)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("entraide %s = %v\nwant it to say %q", strings.Join(tt.args, " "), err, w)
				}
			}
		})
	}
}

// TestTransitionHelpListsTheGrounds: the grounds an error points to in
// request transition --help are there, with their words and articles.
func TestTransitionHelpListsTheGrounds(t *testing.T) {
	out := newCLI(t).must("request", "transition", "--help")
	for _, w := range []string{"Grounds for refusal (--grounds)", "domestic_law", "Domestic law would prohibit the action requested in a similar domestic case (art. 40(21)(c))"} {
		if !strings.Contains(out, w) {
			t.Errorf("request transition --help does not say %q:\n%s", w, out)
		}
	}
}

// FuzzNewClient: whatever address an official sets, the client is made or
// the error names --url and an address to give; it never panics.
func FuzzNewClient(f *testing.F) {
	for _, s := range []string{"https://127.0.0.1:41055", "127.0.0.1:41055", "https://node.example/api/v1", "https://node.example/api/v1/",
		"ftp://x", "", "http://", "localhost:8080", "://", "https://[::1]:8443/api/v1", "http://a/b/c", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, base string) {
		c, err := newClient(base, "")
		if err != nil {
			if !strings.Contains(err.Error(), "--url") || !strings.Contains(err.Error(), "://") {
				t.Errorf("newClient(%q) = %v, want an error naming --url and an address", base, err)
			}
			return
		}
		if u, err := url.Parse(c.base); err != nil || strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v1") {
			t.Errorf("newClient(%q) kept the API's path: %s", base, c.base)
		}
	})
}
