package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestWording: what the commands print reads as words for an official,
// not as the codes the API speaks.
func TestWording(t *testing.T) {
	c := requestEnv(t)
	vnm := c.official("--id", "vnm-ca", "--name", "Nguyễn Thị Lan", "--state", "VNM", "--role", "central_authority")
	id := regexp.MustCompile(`Created (\S+):`).FindStringSubmatch(c.must("request", "create", writeFile(t, "pres.json", preservationJSON)))[1]
	c.must("request", "transition", id, "--action", "send")
	c.env["ENTRAIDE_TOKEN"] = vnm

	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"art 41: no median before any alert is acknowledged", []string{"alert", "list"},
			[]string{"None acknowledged yet"}, []string{"median 0s"}},
		// Acknowledging the request resolves its alert, so this comes after.
		{"art 40(25): an acknowledged request is said so", []string{"request", "transition", id, "--action", "acknowledge"},
			[]string{id + " is now acknowledged"}, nil},
		{"art 40(27): a request in consultation is said so", []string{"request", "transition", id, "--action", "consult"},
			[]string{id + " is now in consultation (art. 40(27))."}, []string{"is now consultation"}},
		{"art 42(5): a refusal names its grounds in words", []string{"request", "transition", id, "--action", "refuse", "--grounds", "domestic_law", "--reasons", "A court order is needed."},
			[]string{"is now refused."}, nil},
		{"art 40(21)(c): request show words the grounds of a refusal", []string{"request", "show", id},
			[]string{"Refused on these grounds:", "Domestic law would prohibit the action requested in a similar domestic case (art. 40(21)(c))", "Reasons: A court order is needed."},
			[]string{"[domestic_law]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := c.must(tt.args...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("entraide %s =\n%s\nwant %q in it", strings.Join(tt.args, " "), out, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("entraide %s =\n%s\nwant no %q in it", strings.Join(tt.args, " "), out, w)
				}
			}
		})
	}
}
