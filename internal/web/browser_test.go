package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"entraide/internal/evidence"
	"entraide/internal/identity"
	"entraide/internal/signin"
)

// One Chromium serves every browser test of the binary: starting it is
// the slow part. Each test gets its own browser contexts (profiles), so
// that two officials signed in at once do not share cookies.
var chromium struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chromium.cancel != nil {
		chromium.cancel()
	}
	os.Exit(code)
}

// chromiumPath finds a Chromium: ENTRAIDE_CHROMIUM, else the Debian
// package's, else one on the PATH.
func chromiumPath() string {
	if p := os.Getenv("ENTRAIDE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserTab returns a tab in a fresh profile of the shared Chromium.
// Without a Chromium the test is skipped, saying why, unless CI is set:
// then it fails, for CI installs one and must run these tests.
func browserTab(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium found and CI is set: the browser tests must run in CI (.ci/run installs the Debian package chromium)")
		}
		t.Skip("no Chromium found: install the Debian package chromium (apt-get install -y chromium) or set ENTRAIDE_CHROMIUM to run the browser tests")
	}
	chromium.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
			chromedp.Flag("ignore-certificate-errors", true), chromedp.WindowSize(1280, 1000))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		chromium.ctx, chromium.cancel = ctx, func() { cancel(); cancelAlloc() }
		chromium.err = chromedp.Do(ctx)
	})
	if chromium.err != nil {
		t.Fatalf("starting %s: %v", path, chromium.err)
	}
	tab, cancel := chromedp.NewContext(chromium.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run makes the tab, which lives as long as the context of
	// that run: the tab's own, not one of the shorter ones the steps use.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// do runs steps in tab, failing the test with what it was doing.
func do(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).innerText`))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// eval returns the string expr evaluates to in tab.
func eval(t *testing.T, tab context.Context, expr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return s
}

// front brings a tab to the front: a hidden tab gets no frames, and an
// action that waits for one (a screenshot, a poll) waits for ever.
var front chromedp.Action[chromedp.Void] = func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
	_, err := cdp.Call(ctx, tg, page.BringToFront, cdp.Empty{})
	return chromedp.Void{}, err
}

// screenshot keeps what tab shows in $ENTRAIDE_SCREENSHOTS, when set, to
// look at.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ENTRAIDE_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, front); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	// The whole page by the box of its root: a full-page capture of a
	// right-to-left page comes out shifted off its right edge.
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("html")))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

// enrolAndSignIn enrols state's official id in tab with a code their
// administrator issued, choosing a password and reading the TOTP secret
// off the page as an authenticator app would, then signs in.
func enrolAndSignIn(t *testing.T, tn *testNode, tab context.Context, base, state, id string) {
	t.Helper()
	e, err := tn.Node.IssueEnrolment(t.Context(), tn.Node.AdminOf(state), id)
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery staple"
	do(t, tab, "enter the enrolment code",
		chromedp.Navigate(base+"/ui/enrol"),
		chromedp.SendKeys(chromedp.CSS("#enrol-code"), e.Code),
		chromedp.Click(chromedp.CSS(`form[action="/ui/enrol"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")))
	screenshot(t, tab, "enrol-"+id)
	secret := text(t, tab, "#totp-secret")
	code, err := signin.TOTPCode(secret, tn.Node.Now())
	if err != nil {
		t.Fatalf("the page's secret %q: %v", secret, err)
	}
	do(t, tab, "choose a password and confirm the authenticator",
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.SendKeys(chromedp.CSS("#confirm"), password),
		chromedp.SendKeys(chromedp.CSS("#totp"), code),
		chromedp.Click(chromedp.CSS(`form[action="/ui/enrol/finish"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#login")))
	// The code that enrolled is used: the sign-in takes the next one.
	code, _ = signin.TOTPCode(secret, tn.Node.Now().Add(30*time.Second))
	do(t, tab, "sign in",
		chromedp.SetValue(chromedp.CSS("#login"), id),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/ui/signin"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.signout`)))
}

// pickLanguage picks the language code with the selector of the page tab
// shows, and checks the page comes back in it, right to left for Arabic
// in its layout too, not only in its markup.
func pickLanguage(t *testing.T, tab context.Context, code string) {
	t.Helper()
	do(t, tab, "pick the language "+code,
		chromedp.SetValue(chromedp.CSS("#lang-select"), code),
		chromedp.Click(chromedp.CSS("#lang-submit")),
		chromedp.WaitReady(chromedp.CSS(`html[lang="`+code+`"]`)))
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	dir, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).direction`))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[bool]string{true: "rtl", false: "ltr"}[code == "ar"]; dir != want {
		t.Errorf("in %s the page's direction is %q, want %q", code, dir, want)
	}
	// The brand starts on the right in Arabic: its left edge is past the
	// middle of the label of the selector, which comes after it.
	rtl, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(".brand").getBoundingClientRect().left > document.querySelector(".lang").getBoundingClientRect().left`))
	if err != nil {
		t.Fatal(err)
	}
	if rtl != (code == "ar") {
		t.Errorf("in %s the header's brand is right of the language selector: %v", code, rtl)
	}
}

// TestBrowserRequestAcrossStates runs the main path in a real Chromium,
// over HTTPS, in English and again in Arabic, right to left: FRA's central
// authority and VNM's 24/7 officer pick their language, enrol and sign in;
// VNM keeps its 24/7 console open; FRA drafts a preservation and sends it
// to VNM; the alert appears live on VNM's console; VNM finds the request
// in its inbox and acknowledges it, uploads evidence from the page
// (cut by a dropped connection and resumed by itself, then paused and
// resumed by hand), starts preserving and sends the item;
// FRA sees it with its hash verified, and downloads it; FRA switches to
// French.
func TestBrowserRequestAcrossStates(t *testing.T) {
	for _, lang := range []string{"en", "ar"} {
		t.Run(lang, func(t *testing.T) { requestAcrossStates(t, lang) })
	}
}

func requestAcrossStates(t *testing.T, lang string) {
	tn := newTestNode(t, "sqlite")
	srv := httptest.NewTLSServer(tn.Handler)
	t.Cleanup(srv.Close)
	fra, vnm := browserTab(t), browserTab(t)
	shot := func(tab context.Context, name string) { screenshot(t, tab, lang+"-"+name) }
	for _, tab := range []context.Context{fra, vnm} {
		do(t, tab, "open the sign-in", chromedp.Navigate(srv.URL+"/ui/signin"), chromedp.WaitVisible(chromedp.CSS("#login")))
		if lang != "en" {
			pickLanguage(t, tab, lang)
		}
	}
	shot(fra, "signin")

	enrolAndSignIn(t, tn, vnm, srv.URL, "VNM", officialID("VNM", identity.TwentyFourSeven))
	enrolAndSignIn(t, tn, fra, srv.URL, "FRA", officialID("FRA", identity.CentralAuthority))

	do(t, vnm, "open the 24/7 console", chromedp.Navigate(srv.URL+"/ui/console"),
		chromedp.WaitVisible(chromedp.CSS("#open-alerts")))
	// The live feed is open once the script says so.
	do(t, vnm, "bring the console to the front", front)
	if _, err := chromedp.Run(vnm, chromedp.Poll[bool](`document.getElementById("live-status").textContent === document.getElementById("open-alerts").dataset.live`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("the console's live feed did not open: %v", err)
	}

	c := preservationContents("VNM")
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(srv.URL + "/ui/requests/new?kind=preservation"),
		chromedp.WaitVisible(chromedp.CSS("#draft")),
		chromedp.SetValue(chromedp.CSS("#requested_state"), "VNM"),
		chromedp.Click(chromedp.CSS(`input[name=basis][value=reciprocity]`)),
		chromedp.Click(chromedp.CSS("#offence-10"))}
	for name, v := range c.Fields {
		steps = append(steps, chromedp.SetValue(chromedp.CSS("#field-"+name), v))
	}
	do(t, fra, "draft a preservation", steps...)
	shot(fra, "draft")
	do(t, fra, "save and send", chromedp.Click(chromedp.CSS("#save-send")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got, want := text(t, fra, ".notice"), map[string]string{"en": "Sent", "ar": "أُرسل"}[lang]; !strings.Contains(got, want) {
		t.Fatalf("after sending, the page says %q", got)
	}
	if got := eval(t, fra, `document.querySelector("#status").dataset.state`); got != "received" {
		t.Errorf("FRA's request page: status %q, want received", got)
	}
	if got := text(t, fra, "#status"); lang != "en" && got == "received" {
		t.Errorf("FRA's request page in %s shows its status in English", lang)
	}
	shot(fra, "request-sent")

	do(t, vnm, "see the alert appear live", chromedp.WaitVisible(chromedp.CSS("#open-alerts li.alert")))
	if got, want := text(t, vnm, "#open-alerts li.alert"), map[string]string{"en": "France (FRA)", "ar": "فرنسا (FRA)"}[lang]; !strings.Contains(got, want) {
		t.Errorf("the live alert says %q, want it to name France: %q", got, want)
	}
	shot(vnm, "console")

	do(t, vnm, "open the request from the inbox", chromedp.Navigate(srv.URL+"/ui/inbox"),
		chromedp.Click(chromedp.CSS("#results tbody a")),
		chromedp.WaitVisible(chromedp.CSS("#act-acknowledge")))
	shot(vnm, "request-received")
	if got := eval(t, vnm, `String(document.querySelector(".actions button[value=withdraw]") !== null)`); got != "false" {
		t.Errorf("VNM, the requested State, is offered to withdraw")
	}
	do(t, vnm, "acknowledge", chromedp.Click(chromedp.CSS("#act-acknowledge button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := eval(t, vnm, `document.querySelector("#status").dataset.state`); got != "acknowledged" {
		t.Errorf("after acknowledging: status %q, want acknowledged", got)
	}
	shot(vnm, "request-acknowledged")

	evidenceAcrossStates(t, tn, srv, fra, vnm, shot, lang)

	do(t, fra, "open the inbox", chromedp.Navigate(srv.URL+"/ui/inbox"), chromedp.WaitVisible(chromedp.CSS("#lang-select")))
	pickLanguage(t, fra, "fr")
	if got := text(t, fra, "nav"); !strings.Contains(got, "Demandes reçues") {
		t.Errorf("FRA's inbox after picking French: nav says %q", got)
	}
	shot(fra, "inbox-fr")
}

// evidenceAcrossStates: VNM, the requested State, uploads a file of a few
// MB from the request page through tus-js-client, with the upload
// throttled so that it can be cut half-way: the server drops the
// connection, and the page goes on by itself from the offset the node
// kept; then the official pauses it and resumes it; VNM starts
// the preservation, its execution, and sends the item; FRA, the requesting State,
// sees it with the same SHA-256, verified on arrival, and downloads it,
// which its custody records.
func evidenceAcrossStates(t *testing.T, tn *testNode, srv *httptest.Server, fra, vnm context.Context, shot func(context.Context, string), lang string) {
	t.Helper()
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	file := filepath.Join(t.TempDir(), "router-hanoi.pcap")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	requestID := path.Base(eval(t, vnm, `location.pathname`))

	if got := eval(t, vnm, `String(document.getElementById("upload-form").hidden)`); got != "false" {
		t.Fatalf("the upload form is hidden with JavaScript on")
	}
	if lang == "ar" {
		if got := eval(t, vnm, `document.documentElement.dir`); got != "rtl" {
			t.Errorf("the request page in Arabic: dir %q, want rtl", got)
		}
	}
	do(t, vnm, "declare the collection and choose the file",
		chromedp.SendKeys(chromedp.CSS("#up-by"), "Lt. Nguyen Van An"),
		chromedp.SendKeys(chromedp.CSS("#up-where"), "Hanoi, ISP data centre"),
		chromedp.SetValue(chromedp.CSS("#up-when"), "2026-03-01T10:30"),
		chromedp.SendKeys(chromedp.CSS("#up-source"), "edge router 10.0.0.1"),
		chromedp.SendKeys(chromedp.CSS("#up-tool"), "tcpdump 4.99"),
		chromedp.SetUploadFiles(chromedp.CSS("#up-file"), []string{file}))
	shot(vnm, "upload-form")
	progress := func(pct int) {
		t.Helper()
		if _, err := chromedp.Run(vnm, chromedp.Poll[bool](`document.getElementById("up-progress").value >= `+strconv.Itoa(pct), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("the upload's progress did not reach %d%%: %v", pct, err)
		}
	}
	// What the node kept of the cut upload: some, not all, and more than
	// before. The node stores what came once it sees the connection cut,
	// a moment after the page does.
	kept := func(when string, more int64) int64 {
		t.Helper()
		var it evidence.Item
		for deadline := time.Now().Add(15 * time.Second); ; {
			items, err := tn.Node.EvidenceItems(t.Context(), actor("VNM", identity.TwentyFourSeven), requestID)
			if err != nil || len(items) != 1 {
				t.Fatalf("VNM's items %s: %+v, %v", when, items, err)
			}
			if it = items[0]; it.Received > more || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if it.Status != evidence.Uploading || it.Received <= more || it.Received >= it.Size {
			t.Errorf("%s the node holds %d of %d bytes, status %s: want part of the file, more than %d", when, it.Received, it.Size, it.Status, more)
		}
		return it.Received
	}
	do(t, vnm, "throttle the upload and start it", front, throttle(512<<10), chromedp.Click(chromedp.CSS("#up-start")))
	// The connection drops: the server cuts it, and the page goes on by
	// itself from what the node kept.
	progress(20)
	srv.CloseClientConnections()
	before := kept("after the connection was cut", 0)
	progress(60)
	do(t, vnm, "pause the upload", chromedp.Click(chromedp.CSS("#up-pause")), chromedp.WaitVisible(chromedp.CSS("#up-resume")))
	shot(vnm, "upload-paused")
	kept("after the pause", before)
	do(t, vnm, "resume the upload", throttle(-1), chromedp.Click(chromedp.CSS("#up-resume")))
	do(t, vnm, "see the item uploaded", chromedp.WaitVisible(chromedp.CSS("#evidence-items .item")))
	if got := text(t, vnm, "#evidence-items .hash"); got != hash {
		t.Errorf("VNM's page shows SHA-256 %q, want the file's %s", got, hash)
	}
	if got := text(t, vnm, "#evidence-items .item"); !strings.Contains(got, "Lt. Nguyen Van An") || !strings.Contains(got, "tcpdump 4.99") || !strings.Contains(got, "2026-03-01") {
		t.Errorf("VNM's item does not show its collection: %q", got)
	}
	shot(vnm, "evidence-uploaded")
	// Three pieces: before the cut, before the pause, and the rest; each
	// went on from the node's offset, and the hash is of the whole.
	if items, err := tn.Node.EvidenceItems(t.Context(), actor("VNM", identity.TwentyFourSeven), requestID); err != nil || len(items) != 1 || items[0].Segments < 3 {
		t.Errorf("VNM's item after the upload: %+v, %v; want it stored in three pieces or more", items, err)
	}

	// A preservation is executed by preserving: its execution starts,
	// and holds until the follow-up request (art. 42).
	do(t, vnm, "start the preservation", chromedp.Click(chromedp.CSS("#act-start button")), chromedp.WaitVisible(chromedp.CSS(`#status[data-state="in_progress"]`)))
	do(t, vnm, "send the item to FRA", chromedp.Click(chromedp.CSS("#evidence-items form.send button")),
		chromedp.WaitVisible(chromedp.CSS(`#evidence-items .verified[data-confirmed="true"], #evidence-errors`)))
	if eval(t, vnm, `String(document.getElementById("evidence-errors") !== null)`) == "true" {
		t.Fatalf("sending the item was refused: %s", text(t, vnm, "#evidence-errors"))
	}
	if got := eval(t, vnm, `document.querySelector("#evidence-items .verified").dataset.confirmed`); got != "true" {
		t.Errorf("VNM's item after sending: confirmed %q, want true (%s)", got, text(t, vnm, "#evidence-items .verified"))
	}
	do(t, vnm, "open the custody", chromedp.Click(chromedp.CSS("#evidence-items details.custody summary")))
	shot(vnm, "evidence-sent")

	do(t, fra, "open the request at FRA", chromedp.Navigate(srv.URL+"/ui/requests/"+requestID), chromedp.WaitVisible(chromedp.CSS("#evidence-items .item")))
	if got := text(t, fra, "#evidence-items .hash"); got != hash {
		t.Errorf("FRA's page shows SHA-256 %q, want VNM's %s", got, hash)
	}
	if got := eval(t, fra, `document.querySelector("#evidence-items .verified").dataset.confirmed`); got != "true" {
		t.Errorf("FRA's item: confirmed %q, want true (%s)", got, text(t, fra, "#evidence-items .verified"))
	}
	// The download, as the browser makes it with the session, hashed in
	// the page.
	ctx, cancel := context.WithTimeout(fra, 30*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector("#evidence-items a.download").href)
		.then(r => r.ok ? r.arrayBuffer() : Promise.reject(r.status))
		.then(b => crypto.subtle.digest("SHA-256", b))
		.then(d => Array.from(new Uint8Array(d)).map(x => x.toString(16).padStart(2, "0")).join(""))`, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if err != nil || got != hash {
		t.Errorf("FRA's download hashes to %q (%v), want %s", got, err, hash)
	}
	do(t, fra, "see the download in the custody", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#evidence-items .item")),
		chromedp.Click(chromedp.CSS("#evidence-items details.custody summary")))
	if got := eval(t, fra, `Array.from(document.querySelectorAll("#evidence-items details.custody li")).map(li => li.innerText).join("\n")`); strings.Count(got, "\n") < 2 {
		t.Errorf("FRA's custody: %q, want its arrival, its receipt and the download", got)
	}
	shot(fra, "evidence-verified")
}

// throttle limits the tab's uploads to bps bytes a second, or lifts the
// limit with -1.
func throttle(bps float64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: bps}}})
		return chromedp.Void{}, err
	}
}
