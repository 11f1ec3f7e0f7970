package web

import (
	"net/http"
	"strings"
	"testing"

	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/node"
)

// Art. 36 through the API: an upload marks the personal data its item
// carries; the administrator's retention period dates it; the central
// authority's report lists it; a marking that does not conform is a
// problem naming the field and art. 36.
func TestPersonalDataThroughTheAPI(t *testing.T) {
	tn := newTestNode(t, "sqlite")
	v, _ := testVaultDir(t)
	tn.Node.SetVault(v)
	ca, admin := tn.token(t, "FRA", identity.CentralAuthority), tn.token(t, "FRA", identity.Administrator)
	r := tn.draft(t, actor("FRA", identity.CentralAuthority), mlaContents("VNM"))
	bad := tn.call(t, "POST", ca, routeCall{path: "/api/v1/requests/" + r.ID + "/uploads",
		header: creationHeader(3, tusMeta("filename", "a.txt", "personal_data", "yes", "data_categories", "shoe_size", "persons_concerned", "suspect"))})
	if bad.Status != http.StatusUnprocessableEntity && bad.Status != http.StatusBadRequest || !strings.Contains(string(bad.Body), "personal_data.categories[0]") || !strings.Contains(string(bad.Body), "art. 36") {
		t.Errorf("an unknown category: %d %s; want a problem on personal_data.categories[0] citing art. 36", bad.Status, bad.Body)
	}
	got := tn.call(t, "POST", ca, routeCall{path: "/api/v1/requests/" + r.ID + "/uploads",
		header: creationHeader(3, tusMeta("filename", "a.txt", "personal_data", "yes", "data_categories", "traffic,location", "persons_concerned", "suspect,witness"))})
	if got.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.Status, got.Body)
	}
	loc := got.Header.Get("Location")
	item := loc[strings.LastIndex(loc, "/")+1:]
	it, err := tn.Node.DB().Evidence(t.Context(), "FRA", item)
	if err != nil || !it.CarriesPersonalData() || len(it.PersonalData.Categories) != 2 || it.PersonalData.Persons[1] != "witness" {
		t.Fatalf("stored marking = %+v, %v", it.PersonalData, err)
	}
	if got := tn.do(t, "PUT", "/api/v1/retention/policy", ca, policyInput{PersonalDataDays: 30}); got.Status != http.StatusForbidden {
		t.Errorf("the central authority sets the policy: %d", got.Status)
	}
	if got := tn.do(t, "PUT", "/api/v1/retention/policy", admin, policyInput{PersonalDataDays: 40000}); got.Status != http.StatusUnprocessableEntity || !strings.Contains(string(got.Body), "personal_data_days") {
		t.Errorf("a period of 40000 days: %d %s", got.Status, got.Body)
	}
	set := tn.do(t, "PUT", "/api/v1/retention/policy", admin, policyInput{PersonalDataDays: 30})
	if res := decodeBody[node.PolicyResult](t, set); set.Status != http.StatusOK || res.PersonalDataDays != 30 || res.ItemsDated != 1 {
		t.Fatalf("PUT policy: %d %s", set.Status, set.Body)
	}
	if p := decodeBody[evidence.Policy](t, tn.do(t, "GET", "/api/v1/retention/policy", ca, nil)); p.PersonalDataDays != 30 {
		t.Errorf("GET policy = %+v", p)
	}
	rep := decodeBody[node.ExpiringReport](t, tn.do(t, "GET", "/api/v1/evidence/expiring?within=31d", ca, nil))
	if len(rep.Items) != 1 || rep.Items[0].ID != item || !rep.Items[0].ByPolicy || !rep.Items[0].Expires.Equal(it.CreatedAt.AddDate(0, 0, 30)) {
		t.Errorf("expiring within 31 days = %+v", rep)
	}
	if rep := decodeBody[node.ExpiringReport](t, tn.do(t, "GET", "/api/v1/evidence/expiring?within=29d", ca, nil)); len(rep.Items) != 0 {
		t.Errorf("expiring within 29 days = %+v, want none", rep.Items)
	}
	for _, w := range []string{"0d", "3661d", "1w", "-1"} {
		if got := tn.do(t, "GET", "/api/v1/evidence/expiring?within="+w, ca, nil); got.Status != http.StatusBadRequest || !strings.Contains(string(got.Body), "within") {
			t.Errorf("within=%s: %d %s", w, got.Status, got.Body)
		}
	}
}
