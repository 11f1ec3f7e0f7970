package web

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsDocumented: every metric of the node's own, those counted as
// things happen and those read from the store at each scrape, has its row
// in the README's table of metrics, where an operator looks for what it
// counts.
func TestMetricsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n### Metrics\n")
	if !ok {
		t.Fatal("README.md has no section ### Metrics")
	}
	section, _, _ = strings.Cut(section, "\n### ")

	tn := newTestNode(t, "sqlite")
	descs := make(chan *prometheus.Desc, 200)
	tn.server.metrics.registry.Describe(descs)
	close(descs)

	name := regexp.MustCompile(`fqName: "([^"]+)"`)
	seen := 0
	for d := range descs {
		m := name.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		if !strings.HasPrefix(m[1], "entraide_") {
			continue // the Go runtime's and the process's, documented by Prometheus
		}
		seen++
		if !strings.Contains(section, "\n| `"+m[1]+"`") && !strings.Contains(section, "\n| `"+m[1]+"{") {
			t.Errorf("%s has no row in the README's table of metrics", m[1])
		}
	}
	if seen < 14 {
		t.Errorf("%d metrics described, want the node's 14 at least", seen)
	}
}
