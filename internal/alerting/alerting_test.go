package alerting_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/convention"
	"entraide/internal/identity"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestTrigger(t *testing.T) {
	tests := []struct {
		name   string
		kind   convention.Kind
		urgent bool
		want   alerting.Reason
		ok     bool
	}{
		{"art 42: a preservation alerts at once", convention.Preservation, false, alerting.ReasonPreservation, true},
		{"art 42: an urgent preservation is a preservation", convention.Preservation, true, alerting.ReasonPreservation, true},
		{"art 41(3)(e): an emergency disclosure alerts at once", convention.EmergencyDisclosure, false, alerting.ReasonEmergencyDisclosure, true},
		{"an urgent request of any kind alerts", convention.MutualAssistance, true, alerting.ReasonUrgent, true},
		{"an urgent extradition alerts", convention.Extradition, true, alerting.ReasonUrgent, true},
		{"a mutual assistance request in the normal course does not", convention.MutualAssistance, false, "", false},
		{"a traffic disclosure in the normal course does not", convention.TrafficDisclosure, false, "", false},
		{"art 41(3)(a): technical advice alerts the 24/7 point of contact", convention.TechnicalAdvice, false, alerting.ReasonNetworkAssistance, true},
		{"art 41(3)(c): legal information alerts the 24/7 point of contact", convention.LegalInformation, false, alerting.ReasonNetworkAssistance, true},
		{"art 41(3)(d): locating a suspect alerts the 24/7 point of contact", convention.LocatingSuspects, true, alerting.ReasonNetworkAssistance, true},
		{"art 38: a sentenced person's transfer in the normal course does not", convention.SentencedTransfer, false, "", false},
		{"art 40(10): an urgent transfer of a detained witness alerts as urgent", convention.WitnessTransfer, true, alerting.ReasonUrgent, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := alerting.Trigger(tt.kind, tt.urgent)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Trigger(%s, urgent %v) = %q, %v; want %q, %v", tt.kind, tt.urgent, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSLA(t *testing.T) {
	tests := []struct {
		name   string
		sla    alerting.SLA
		reason alerting.Reason
		want   time.Duration
	}{
		{"default for a preservation", nil, alerting.ReasonPreservation, time.Hour},
		{"default for an emergency disclosure", nil, alerting.ReasonEmergencyDisclosure, 15 * time.Minute},
		{"default for an urgent request", nil, alerting.ReasonUrgent, time.Hour},
		{"default for an expired delivery", nil, alerting.ReasonDeliveryExpired, time.Hour},
		{"configured", alerting.SLA{alerting.ReasonPreservation: 20 * time.Minute}, alerting.ReasonPreservation, 20 * time.Minute},
		{"configured for another reason", alerting.SLA{alerting.ReasonPreservation: 20 * time.Minute}, alerting.ReasonEmergencyDisclosure, 15 * time.Minute},
		{"zero is the default", alerting.SLA{alerting.ReasonUrgent: 0}, alerting.ReasonUrgent, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sla.For(tt.reason); got != tt.want {
				t.Errorf("SLA%v.For(%s) = %s, want %s", tt.sla, tt.reason, got, tt.want)
			}
		})
	}
}

func TestParseSLA(t *testing.T) {
	tests := []struct {
		in      string
		want    alerting.SLA
		wantErr string
	}{
		{"", alerting.SLA{}, ""},
		{"preservation=30m", alerting.SLA{alerting.ReasonPreservation: 30 * time.Minute}, ""},
		{" preservation = 30m , emergency_disclosure=10m", alerting.SLA{alerting.ReasonPreservation: 30 * time.Minute, alerting.ReasonEmergencyDisclosure: 10 * time.Minute}, ""},
		{"preservation", nil, "REASON=DURATION"},
		{"extradition=1h", nil, "REASON=DURATION"},
		{"urgent=1h,urgent=2h", nil, "twice"},
		{"urgent=soon", nil, "not a duration"},
		{"urgent=0s", nil, "not a duration"},
		{"urgent=200h", nil, "not a duration"},
	}
	for _, tt := range tests {
		got, err := alerting.ParseSLA(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSLA(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ParseSLA(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestEntryValidate(t *testing.T) {
	ok := alerting.Entry{User: "u", Channel: alerting.Email, Address: "duty@example.org"}
	hook := alerting.Entry{User: "u", Channel: alerting.Webhook, Address: "https://duty.example.org/hook?token=x", Secret: "0123456789abcdef"}
	tests := []struct {
		name   string
		change func(*alerting.Entry)
		base   alerting.Entry
		fields []string
	}{
		{"e-mail", func(*alerting.Entry) {}, ok, nil},
		{"webhook", func(*alerting.Entry) {}, hook, nil},
		{"webhook to localhost in clear", func(e *alerting.Entry) { e.Address = "http://127.0.0.1:22/" }, hook, []string{"address"}},
		{"webhook to localhost by name in clear", func(e *alerting.Entry) { e.Address = "http://localhost/hook" }, hook, []string{"address"}},
		{"shift", func(e *alerting.Entry) { e.From, e.Until = t0, t0.Add(8*time.Hour) }, ok, nil},
		{"unknown channel", func(e *alerting.Entry) { e.Channel = "sms" }, ok, []string{"channel"}},
		{"not an e-mail address", func(e *alerting.Entry) { e.Address = "duty" }, ok, []string{"address"}},
		{"a name with the address", func(e *alerting.Entry) { e.Address = "Duty <duty@example.org>" }, ok, []string{"address"}},
		{"a header injected in the address", func(e *alerting.Entry) { e.Address = "duty@example.org\r\nBcc: x@example.org" }, ok, []string{"address"}},
		{"an e-mail with a secret", func(e *alerting.Entry) { e.Secret = "0123456789abcdef" }, ok, []string{"secret"}},
		{"webhook in clear across a network", func(e *alerting.Entry) { e.Address = "http://duty.example.org/hook" }, hook, []string{"address"}},
		{"webhook with credentials in the URL", func(e *alerting.Entry) { e.Address = "https://me:pw@duty.example.org/" }, hook, []string{"address"}},
		{"webhook to a relative URL", func(e *alerting.Entry) { e.Address = "/hook" }, hook, []string{"address"}},
		{"webhook of another scheme", func(e *alerting.Entry) { e.Address = "ftp://duty.example.org/" }, hook, []string{"address"}},
		{"webhook without a secret", func(e *alerting.Entry) { e.Secret = "" }, hook, []string{"secret"}},
		{"webhook with a short secret", func(e *alerting.Entry) { e.Secret = "short" }, hook, []string{"secret"}},
		{"webhook with a secret holding a space", func(e *alerting.Entry) { e.Secret = "0123456789 abcdef" }, hook, []string{"secret"}},
		{"shift ending before it starts", func(e *alerting.Entry) { e.From, e.Until = t0, t0.Add(-time.Hour) }, ok, []string{"until"}},
		{"negative position", func(e *alerting.Entry) { e.Position = -1 }, ok, []string{"position"}},
		{"everything wrong at once", func(e *alerting.Entry) { e.Channel, e.Position, e.From, e.Until = "pager", 5000, t0, t0 }, ok, []string{"channel", "until", "position"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.base
			tt.change(&e)
			var got []string
			for _, p := range e.Validate() {
				if p.Message == "" || p.Ref.Article != 41 {
					t.Errorf("problem %+v: want a message and art. 41", p)
				}
				got = append(got, p.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("Validate() = problems on %v, want on %v", got, tt.fields)
			}
			if strings.Contains(fmt.Sprint(e.Validate()), "0123456789abcdef") {
				t.Errorf("a problem quotes the secret: %v", e.Validate())
			}
		})
	}
}

func TestOnDuty(t *testing.T) {
	e := alerting.Entry{From: t0, Until: t0.Add(8 * time.Hour)}
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{{t0.Add(-time.Second), false}, {t0, true}, {t0.Add(8*time.Hour - time.Nanosecond), true}, {t0.Add(8 * time.Hour), false}} {
		if got := e.OnDuty(tt.at); got != tt.want {
			t.Errorf("OnDuty(%s) with shift %s-%s = %v, want %v", tt.at, e.From, e.Until, got, tt.want)
		}
	}
	if !(alerting.Entry{}).OnDuty(t0) {
		t.Errorf("an entry without a shift is not on duty; want always")
	}
}

// contacts is a roster for VNM with two 24/7 officers (b before a), one
// off duty, one of another State, a central authority and administrators.
func contacts() alerting.Contacts {
	e := func(id, user, state string, role identity.Role, pos int, ch alerting.Channel, addr string) alerting.Entry {
		return alerting.Entry{ID: id, User: user, State: state, Role: role, Position: pos, Channel: ch, Address: addr}
	}
	off := e("r-off", "vnm-night", "VNM", identity.TwentyFourSeven, 0, alerting.Email, "night@vnm.example")
	off.From, off.Until = t0.Add(-16*time.Hour), t0.Add(-8*time.Hour)
	return alerting.Contacts{
		State: "VNM",
		Roster: []alerting.Entry{
			e("r-a1", "vnm-a", "VNM", identity.TwentyFourSeven, 2, alerting.Email, "a@vnm.example"),
			e("r-b1", "vnm-b", "VNM", identity.TwentyFourSeven, 1, alerting.Email, "b@vnm.example"),
			e("r-b2", "vnm-b", "VNM", identity.TwentyFourSeven, 1, alerting.Webhook, "https://b.vnm.example/hook"),
			off,
			e("r-fra", "fra-247", "FRA", identity.TwentyFourSeven, 0, alerting.Email, "247@fra.example"),
			e("r-ca", "vnm-ca", "VNM", identity.CentralAuthority, 9, alerting.Email, "ca-officer@vnm.example"),
			e("r-adm", "admin", "FRA", identity.Administrator, 1, alerting.Webhook, "https://ops.example/hook"),
		},
		Administrators:   []alerting.Person{{ID: "admin", Email: "admin@fra.example"}, {ID: "admin2", Email: "admin2@fra.example"}, {ID: "admin3"}},
		PointOfContact:   "desk@vnm.example",
		CentralAuthority: "mla@vnm.example",
	}
}

type stepWant struct {
	to        alerting.Tier
	users     []string
	addresses []string
}

// walk takes every step of an escalation in turn.
func walk(reason alerting.Reason, c alerting.Contacts) []alerting.Step {
	var taken []alerting.Step
	for i := 0; i < 10; i++ {
		s, ok := alerting.Next(reason, taken, c, t0.Add(time.Duration(i)*time.Hour/10))
		if !ok {
			break
		}
		taken = append(taken, s)
	}
	return taken
}

func TestEscalationOrder(t *testing.T) {
	noRoster := contacts()
	noRoster.Roster = nil
	nothing := alerting.Contacts{State: "VNM"}
	tests := []struct {
		name   string
		reason alerting.Reason
		c      alerting.Contacts
		want   []stepWant
	}{
		{"art 41: the roster in order of position, then the central authority", alerting.ReasonPreservation, contacts(), []stepWant{
			{alerting.OnCall, []string{"vnm-b"}, []string{"b@vnm.example", "https://b.vnm.example/hook"}},
			{alerting.OnCall, []string{"vnm-a"}, []string{"a@vnm.example"}},
			{alerting.CentralAuthority, []string{"vnm-ca"}, []string{"mla@vnm.example", "ca-officer@vnm.example"}},
		}},
		{"art 41(1): the State's 24/7 e-mail stands in for an empty roster", alerting.ReasonEmergencyDisclosure, noRoster, []stepWant{
			{alerting.PointOfContact, nil, []string{"desk@vnm.example"}},
			{alerting.CentralAuthority, nil, []string{"mla@vnm.example"}},
		}},
		{"an expired delivery tells every administrator at once", alerting.ReasonDeliveryExpired, contacts(), []stepWant{
			{alerting.Administrators, []string{"admin", "admin2"}, []string{"https://ops.example/hook", "admin2@fra.example"}},
			{alerting.CentralAuthority, []string{"vnm-ca"}, []string{"mla@vnm.example", "ca-officer@vnm.example"}},
		}},
		{"nobody to tell", alerting.ReasonUrgent, nothing, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := walk(tt.reason, tt.c)
			if len(steps) != len(tt.want) {
				t.Fatalf("%d steps %+v, want %d", len(steps), steps, len(tt.want))
			}
			for i, s := range steps {
				var addrs []string
				for _, tg := range s.Targets {
					addrs = append(addrs, tg.Address)
				}
				w := tt.want[i]
				if s.Level != i+1 || s.To != w.to || !slices.Equal(s.Users, w.users) || !slices.Equal(addrs, w.addresses) {
					t.Errorf("step %d = level %d to %s, users %v, addresses %v; want level %d to %s, users %v, addresses %v",
						i+1, s.Level, s.To, s.Users, addrs, i+1, w.to, w.users, w.addresses)
				}
			}
			if n := len(steps); n > 0 && !alerting.Final(steps[n-1]) {
				t.Errorf("the last step, to %s, is not final", steps[n-1].To)
			}
		})
	}
}

func TestEscalationFollowsShifts(t *testing.T) {
	// b was told at 09:00; at 10:00 b's shift is over and c's has begun.
	c := contacts()
	for i := range c.Roster {
		if c.Roster[i].User == "vnm-b" {
			c.Roster[i].Until = t0.Add(30 * time.Minute)
		}
	}
	c.Roster = append(c.Roster, alerting.Entry{ID: "r-c", User: "vnm-c", State: "VNM", Role: identity.TwentyFourSeven, Position: 0,
		Channel: alerting.Email, Address: "c@vnm.example", From: t0.Add(30 * time.Minute)})
	first, _ := alerting.Next(alerting.ReasonPreservation, nil, c, t0)
	second, _ := alerting.Next(alerting.ReasonPreservation, []alerting.Step{first}, c, t0.Add(time.Hour))
	third, _ := alerting.Next(alerting.ReasonPreservation, []alerting.Step{first, second}, c, t0.Add(2*time.Hour))
	got := [][]string{first.Users, second.Users, third.Users}
	want := [][]string{{"vnm-b"}, {"vnm-c"}, {"vnm-a"}}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("step %d told %v, want %v (the officials on duty then, not told before)", i+1, got[i], want[i])
		}
	}
	// With everyone told, the point of contact is not: someone was on
	// duty, so the central authority is next.
	fourth, _ := alerting.Next(alerting.ReasonPreservation, []alerting.Step{first, second, third}, c, t0.Add(3*time.Hour))
	if fourth.To != alerting.CentralAuthority {
		t.Errorf("after the roster, step to %s, want the central authority", fourth.To)
	}
}

func TestSummarize(t *testing.T) {
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[len(hundred)-1-i] = int64(i + 1) // 100 down to 1
	}
	tests := []struct {
		name string
		ms   []int64
		want alerting.Stats
	}{
		{"none", nil, alerting.Stats{}},
		{"one", []int64{42}, alerting.Stats{Count: 1, P50MS: 42, P99MS: 42, MaxMS: 42}},
		{"two", []int64{10, 20}, alerting.Stats{Count: 2, P50MS: 10, P99MS: 20, MaxMS: 20}},
		{"1 to 100 in any order", hundred, alerting.Stats{Count: 100, P50MS: 50, P99MS: 99, MaxMS: 100}},
		{"an outlier lifts p99, not p50", []int64{5, 5, 5, 5, 5, 5, 5, 5, 5, 3600000}, alerting.Stats{Count: 10, P50MS: 5, P99MS: 3600000, MaxMS: 3600000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.ms)
			if got := alerting.Summarize(tt.ms); got != tt.want {
				t.Errorf("Summarize = %+v, want %+v", got, tt.want)
			}
			if !slices.Equal(in, tt.ms) {
				t.Errorf("Summarize changed its input")
			}
		})
	}
}

func TestAck(t *testing.T) {
	a := alerting.Alert{CreatedAt: t0, EscalatesAt: t0.Add(time.Hour)}
	if err := a.Ack("vnm-247", t0.Add(90*time.Second)); err != nil {
		t.Fatalf("Ack = %v", err)
	}
	if !a.Acked() || a.AckedBy != "vnm-247" || a.TimeToAckMS == nil || *a.TimeToAckMS != 90000 || !a.EscalatesAt.IsZero() {
		t.Errorf("after Ack: %+v; want acknowledged by vnm-247 after 90000 ms, no escalation due", a)
	}
	if err := a.Ack("other", t0.Add(time.Hour)); !errors.Is(err, alerting.ErrAcked) || a.AckedBy != "vnm-247" {
		t.Errorf("second Ack = %v (by %s); want ErrAcked, the first kept", err, a.AckedBy)
	}
}

func TestSignAndVerify(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	body := []byte(`{"type":"entraide.alert"}`)
	h := alerting.Sign(secret, t0, body)
	if !strings.HasPrefix(h, fmt.Sprintf("t=%d,v1=", t0.Unix())) || len(h) != len(fmt.Sprintf("t=%d,v1=", t0.Unix()))+64 {
		t.Fatalf("Sign = %q, want t=<unix>,v1=<64 hex>", h)
	}
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, h, body, t0.Add(time.Minute), nil},
		{"valid, clock behind", secret, h, body, t0.Add(-time.Minute), nil},
		{"another secret", []byte("another-secret-0123"), h, body, t0, alerting.ErrSignature},
		{"body changed", secret, h, []byte(`{"type":"entraide.alert "}`), t0, alerting.ErrSignature},
		{"replayed after the tolerance", secret, h, body, t0.Add(6 * time.Minute), alerting.ErrSignatureTime},
		{"time changed to pass the tolerance", secret, strings.Replace(h, fmt.Sprint(t0.Unix()), fmt.Sprint(t0.Add(6*time.Minute).Unix()), 1), body, t0.Add(6 * time.Minute), alerting.ErrSignature},
		{"second v1 for a rotated secret", secret, alerting.Sign([]byte("old-secret-0123456"), t0, body) + "," + strings.Split(h, ",")[1], body, t0, nil},
		{"no header", secret, "", body, t0, alerting.ErrSignatureFormat},
		{"no v1", secret, "t=1", body, t0, alerting.ErrSignatureFormat},
		{"no t", secret, strings.Split(h, ",")[1], body, t0, alerting.ErrSignatureFormat},
		{"t twice", secret, h + ",t=1", body, t0, alerting.ErrSignatureFormat},
		{"unknown scheme", secret, h + ",v0=abc", body, t0, alerting.ErrSignatureFormat},
		{"upper-case hex", secret, strings.ToUpper(h[:0]) + strings.Split(h, ",")[0] + ",v1=" + strings.ToUpper(strings.Split(h, "v1=")[1]), body, t0, alerting.ErrSignatureFormat},
		{"short MAC", secret, strings.TrimSuffix(h, h[len(h)-2:]), body, t0, alerting.ErrSignatureFormat},
		{"negative time", secret, "t=-1,v1=" + strings.Repeat("0", 64), body, t0, alerting.ErrSignatureFormat},
		{"space", secret, strings.Replace(h, ",", ", ", 1), body, t0, alerting.ErrSignatureFormat},
		{"huge header", secret, h + strings.Repeat(",v1="+strings.Repeat("0", 64), 20), body, t0, alerting.ErrSignatureFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := alerting.Verify(tt.secret, tt.header, tt.body, tt.now, 0)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify(%q) = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
}

// FuzzVerify holds the header parser to its promise: any input is
// refused with an error, or accepted only with the right MAC.
func FuzzVerify(f *testing.F) {
	secret := []byte("fuzz-secret-0123456")
	body := []byte("body")
	f.Add(alerting.Sign(secret, t0, body))
	f.Add("t=1,v1=00")
	f.Add("t=,v1=")
	f.Add(",,,=")
	f.Fuzz(func(t *testing.T, header string) {
		err := alerting.Verify(secret, header, body, t0, 0)
		if err == nil && header != alerting.Sign(secret, t0, body) {
			// Only another spelling of the same time and MAC may pass.
			ts, macs, perr := alerting.ParseSignature(header)
			if perr != nil || len(macs) == 0 || ts.Sub(t0).Abs() > alerting.DefaultTolerance {
				t.Fatalf("Verify accepted %q", header)
			}
		}
		if err != nil && !errors.Is(err, alerting.ErrSignatureFormat) && !errors.Is(err, alerting.ErrSignature) && !errors.Is(err, alerting.ErrSignatureTime) {
			t.Fatalf("Verify(%q) = %v, not one of its errors", header, err)
		}
	})
}

func notice(t *testing.T) alerting.Notice {
	t.Helper()
	return alerting.Notice{
		Alert: alerting.Alert{ID: "a1", State: "VNM", Reason: alerting.ReasonPreservation, RequestID: "r1", Kind: convention.Preservation, From: "FRA",
			Summary: alerting.Describe(alerting.ReasonPreservation, convention.Preservation, "FRA") + "\r\nBcc: evil@example.org", CreatedAt: t0, Level: 1,
			EscalatesAt: t0.Add(time.Hour)},
		Step:    alerting.Step{Level: 1, To: alerting.OnCall, Users: []string{"vnm-247"}, At: t0},
		NodeURL: "https://vnm.example/",
	}
}

func TestMail(t *testing.T) {
	n := notice(t)
	raw := alerting.Mail("entraide@vnm.example", "duty@vnm.example", n.Subject(), n.Text(), t0, "n1@entraide", n.Alert.ID)
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, raw)
	}
	if got := msg.Header.Get("Bcc"); got != "" {
		t.Errorf("a line break in the summary added a header: Bcc %q", got)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || !strings.HasPrefix(subject, "[Entraide VNM] Incoming request from FRA") {
		t.Errorf("Subject = %q, %v", subject, err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Alert:          a1", "Request:        r1", "Escalates at:   2026-03-02 10:00:00 UTC", "entraide alert ack a1", "POST https://vnm.example/api/v1/alerts/a1/ack"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	for k, want := range map[string]string{"To": "duty@vnm.example", "Message-Id": "<n1@entraide>", alerting.AlertHeader: "a1", "Auto-Submitted": "auto-generated"} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestPayload(t *testing.T) {
	n := notice(t)
	body, err := n.JSON("n1")
	if err != nil {
		t.Fatal(err)
	}
	var p alerting.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "entraide.alert" || p.Delivery != "n1" || p.Alert.ID != "a1" || p.Step.Level != 1 || p.AckURL != "https://vnm.example/api/v1/alerts/a1/ack" {
		t.Errorf("payload = %+v", p)
	}
	if strings.Contains(string(body), "Targets") || strings.Contains(string(body), "secret") {
		t.Errorf("the payload shows a step's targets: %s", body)
	}
}
