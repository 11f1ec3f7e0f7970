package ui

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob/fileblob"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/keeper"
	"entraide/internal/node"
	"entraide/internal/signin"
	"entraide/internal/store/storetest"
)

// testBaseURL is the test node's public address: the relying party of
// its passkeys.
const testBaseURL = "https://entraide.test"

// testStates: FRA is the test node's home, VNM and ZAF are hosted.
var testStates = []string{"FRA", "VNM", "ZAF"}

// clock is a node's clock that moves only when a test moves it, so that
// TOTP codes are computed for the time the node checks them at.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// testNode is a node hosting FRA, VNM and ZAF, with an official of every
// role for each, and its UI behind an HTTPS server.
type testNode struct {
	URL   string
	Node  *node.Node
	UI    *UI
	Clock *clock
	srv   *httptest.Server
}

func officialID(state string, role identity.Role) string {
	return strings.ToLower(state) + "-" + string(role)
}

func actor(state string, role identity.Role) casework.Actor {
	return casework.Actor{ID: officialID(state, role), State: state, Role: role}
}

func newTestNode(t *testing.T, backend string) *testNode {
	t.Helper()
	ctx := t.Context()
	db := storetest.Open(t, backend)
	dir := t.TempDir()
	if _, err := keeper.Create(dir); err != nil {
		t.Fatal(err)
	}
	k, err := keeper.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	adminID := officialID(testStates[0], identity.Administrator)
	if _, err := node.Init(ctx, db, node.InitOptions{Home: testStates[0], Hosted: testStates[1:], Keeper: k, Admin: identity.User{ID: adminID, Name: "Admin"}}, c.Now); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, db, k, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range testStates {
		for _, role := range identity.Roles {
			id := officialID(st, role)
			if id == adminID {
				continue
			}
			if _, err := n.AddUser(ctx, n.AdminOf(st), identity.User{ID: id, Name: "Official " + id, State: st, Role: role}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Passkeys are offered at the node's public address.
	if err := n.SetBaseURL(ctx, n.Admin(), testBaseURL); err != nil {
		t.Fatal(err)
	}
	b, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		t.Fatal(err)
	}
	v := evidence.NewVault(b)
	t.Cleanup(func() { v.Close() })
	n.SetVault(v)
	u, err := New(n, Config{Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(u.Handler())
	t.Cleanup(srv.Close)
	return &testNode{URL: srv.URL, Node: n, UI: u, Clock: c, srv: srv}
}

// browser is a client with its own cookies, as one official's browser.
type browser struct {
	tn *testNode
	c  *http.Client
}

func (tn *testNode) browser() *browser {
	jar, _ := cookiejar.New(nil)
	// A copy of the server's client: each browser keeps its own cookies.
	c := *tn.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{tn: tn, c: &c}
}

type page struct {
	Status   int
	Location string
	Body     string
}

func (b *browser) do(t *testing.T, method, path string, form url.Values, header ...string) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, b.tn.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(data)}
}

var secretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

const testPassword = "a long passphrase for tests"

// enrol enrols id with a code its administrator issued, and returns the
// TOTP secret it chose.
func (b *browser) enrol(t *testing.T, state, id string) string {
	t.Helper()
	n := b.tn.Node
	e, err := n.IssueEnrolment(t.Context(), n.AdminOf(state), id)
	if err != nil {
		t.Fatal(err)
	}
	p := b.do(t, "POST", "/ui/enrol", url.Values{"code": {e.Code}})
	m := secretRE.FindStringSubmatch(p.Body)
	if p.Status != 200 || m == nil {
		t.Fatalf("POST /ui/enrol: %d, no secret in\n%s", p.Status, p.Body)
	}
	code, _ := signin.TOTPCode(m[1], b.tn.Clock.Now())
	p = b.do(t, "POST", "/ui/enrol/finish", url.Values{"code": {e.Code}, "secret": {m[1]}, "password": {testPassword}, "confirm": {testPassword}, "totp": {code}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("POST /ui/enrol/finish: %d\n%s", p.Status, p.Body)
	}
	return m[1]
}

// signIn signs id in, with a code of the next time step (the current
// one may have been used).
func (b *browser) signIn(t *testing.T, id, secret string) {
	t.Helper()
	b.tn.Clock.Add(30 * time.Second)
	code, _ := signin.TOTPCode(secret, b.tn.Clock.Now())
	p := b.do(t, "POST", "/ui/signin", url.Values{"login": {id}, "password": {testPassword}, "code": {code}})
	// An administrator reads no requests: the home page sends them on.
	want := "/ui/inbox"
	if strings.HasSuffix(id, "-"+string(identity.Administrator)) {
		want = "/ui/"
	}
	if p.Status != http.StatusSeeOther || p.Location != want {
		t.Fatalf("sign-in of %s: %d to %q, want %q\n%s", id, p.Status, p.Location, want, p.Body)
	}
}

// signedIn returns a browser in which the official of state with role
// is signed in.
func (tn *testNode) signedIn(t *testing.T, state string, role identity.Role) *browser {
	t.Helper()
	b := tn.browser()
	id := officialID(state, role)
	b.signIn(t, id, b.enrol(t, state, id))
	return b
}

func preservationContents(requested string) casework.Contents {
	return casework.Contents{
		Kind: convention.Preservation, RequestedState: requested, LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent,
		Offences: []convention.Charge{{Article: 10}},
		Fields: map[string]string{
			"requesting_authority": "Office anti-cybercriminalité, point de contact 24/7",
			"facts_summary":        "Ransomware encrypted the systems of a hospital.",
			"stored_data":          "Subscriber data and access logs of the hosting account.",
			"necessity":            "The provider deletes logs after 30 days.",
			"follow_up_intent":     "A request for disclosure of the preserved data will follow.",
		},
	}
}

func itoaT(n int) string { return itoa(n) }
