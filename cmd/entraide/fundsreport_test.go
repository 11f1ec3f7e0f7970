package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFundsTraceReport: an investigator adds a bank statement as
// evidence, traces the victim's payment through it, and writes the
// trace's report in Arabic with the command line.
func TestFundsTraceReport(t *testing.T) {
	c := newCLI(t)
	c.init()
	c.startAPI()
	token := c.official("--id", "fra-inv", "--name", "Inès Martin", "--role", "investigator")
	c.env["ENTRAIDE_TOKEN"] = token
	out := c.must("request", "create", writeFile(t, "pres.json", preservationJSON))
	request := regexp.MustCompile(`^Created (\S+):`).FindStringSubmatch(out)[1]
	statement, err := os.ReadFile("../../internal/funds/records/testdata/camt053_v08.xml")
	if err != nil {
		t.Fatal(err)
	}
	out = c.must("evidence", "add", request, writeFile(t, "statement.xml", string(statement)))
	item := regexp.MustCompile(`as item (\S+):`).FindStringSubmatch(out)[1]

	post := func(path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", c.env["ENTRAIDE_URL"]+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		json.NewDecoder(res.Body).Decode(&v)
		if res.StatusCode >= 300 {
			t.Fatalf("POST %s = %d %v", path, res.StatusCode, v)
		}
		return v
	}
	caseID := post("/api/v1/funds/cases", map[string]string{"title": "Opération Cèdre"})["id"].(string)
	post("/api/v1/funds/cases/"+caseID+"/imports", map[string]string{"request_id": request, "item_id": item, "format": "camt.053"})
	trace := post("/api/v1/funds/cases/"+caseID+"/traces", map[string]any{"references": []string{"INV-2024-0042"},
		"options": map[string]string{"rule": "libr", "currency": "EUR"}})["id"].(string)

	file := filepath.Join(t.TempDir(), "trace.pdf")
	out = c.must("funds", "trace", "report", "--case", caseID, trace, "--lang", "ar", "-o", file)
	if !strings.Contains(out, "Wrote "+file) || !strings.Contains(out, "in ar") {
		t.Errorf("funds trace report = %q, want it to name the file and the language", out)
	}
	if b, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("%s: %.20q, %v; want a PDF", file, b, err)
	}
	if _, _, err := c.run("funds", "trace", "report", trace); err == nil || !strings.Contains(err.Error(), "--case") {
		t.Errorf("funds trace report without --case = %v, want the usage's next step", err)
	}
	if _, _, err := c.run("funds", "trace", "report", "--case", caseID, trace, "--lang", "de", "-o", file); err == nil || !strings.Contains(err.Error(), "lang") {
		t.Errorf("funds trace report --lang de = %v, want it to name lang", err)
	}
}
