// Package alertingtest runs real receivers of alerts for tests: an SMTP
// server that keeps the mail it accepts, and an HTTPS webhook receiver
// that checks every signature as a receiver in production should. Both
// listen on the loopback interface and close at the end of the test.
//
// The SMTP server is github.com/emersion/go-smtp, a complete, independent
// implementation of the protocol, so that the node's client is tested
// against a server it was not written with.
package alertingtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"entraide/internal/alerting"
	"entraide/internal/localca"
)

// Wait is how long Next waits for a message that should come.
const Wait = 15 * time.Second

// Mail is a message the SMTP server accepted.
type Mail struct {
	From   string
	To     []string
	Header mail.Header
	// Body is the decoded text.
	Body string
	Raw  []byte
	// TLS tells whether the mail came over a connection secured with
	// STARTTLS.
	TLS bool
}

// SMTPServer is a real SMTP server on a free port of 127.0.0.1.
type SMTPServer struct {
	Addr string
	// RootCAs trusts the server's certificate, for a server that offers
	// STARTTLS.
	RootCAs *x509.CertPool
	mail    chan Mail
	mu      sync.Mutex
	// reject, if set, refuses RCPT TO for the address with a 550.
	reject map[string]bool
}

// NewSMTPServer starts an SMTP server that does not offer STARTTLS,
// closed at the end of the test.
func NewSMTPServer(tb testing.TB) *SMTPServer {
	tb.Helper()
	return newSMTPServer(tb, nil)
}

// NewSMTPServerTLS starts an SMTP server that offers STARTTLS with a
// certificate for 127.0.0.1 that RootCAs trusts, closed at the end of the
// test.
func NewSMTPServerTLS(tb testing.TB) *SMTPServer {
	tb.Helper()
	ca, err := localca.New("alertingtest SMTP", time.Hour)
	if err != nil {
		tb.Fatalf("alertingtest: %v", err)
	}
	cert, err := ca.Issue("smtp")
	if err != nil {
		tb.Fatalf("alertingtest: %v", err)
	}
	s := newSMTPServer(tb, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s.RootCAs = ca.Pool
	return s
}

func newSMTPServer(tb testing.TB, tc *tls.Config) *SMTPServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("alertingtest: listen: %v", err)
	}
	s := &SMTPServer{Addr: ln.Addr().String(), mail: make(chan Mail, 1000), reject: map[string]bool{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil }))
	srv.TLSConfig = tc
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return s
}

// Reject makes the server refuse mail to addr with a permanent error.
func (s *SMTPServer) Reject(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject[addr] = true
}

// Next returns the next mail accepted, failing the test if none comes
// within Wait.
func (s *SMTPServer) Next(tb testing.TB) Mail {
	tb.Helper()
	select {
	case m := <-s.mail:
		return m
	case <-time.After(Wait):
		tb.Fatalf("alertingtest: no mail reached the SMTP server within %s", Wait)
		return Mail{}
	}
}

// Pending returns the mail accepted and not yet taken, without waiting.
func (s *SMTPServer) Pending() []Mail {
	var out []Mail
	for {
		select {
		case m := <-s.mail:
			out = append(out, m)
		default:
			return out
		}
	}
}

type session struct {
	s    *SMTPServer
	conn *smtp.Conn
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.reject[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "not an RFC 5322 message: " + err.Error()}
	}
	var body []byte
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "body: " + err.Error()}
	}
	_, secured := ss.conn.TLSConnectionState()
	ss.s.mail <- Mail{From: ss.from, To: ss.to, Header: msg.Header, Body: string(body), Raw: raw, TLS: secured}
	return nil
}

// Delivery is a webhook request the receiver accepted.
type Delivery struct {
	ID      string
	Header  http.Header
	Body    []byte
	Payload alerting.Payload
}

// Webhook is an HTTPS receiver of signed alerts. It accepts a request
// only if its signature verifies against the secret at the receiver's
// clock, and answers a delivery id it has seen with 200 without keeping
// it again, as a receiver should.
type Webhook struct {
	// URL is where to post; Client trusts the receiver's certificate.
	URL    string
	Client *http.Client

	secret []byte
	now    func() time.Time
	got    chan Delivery

	mu       sync.Mutex
	seen     map[string]bool
	fail     []int // statuses to answer the next requests with
	refused  []error
	requests int
}

// NewWebhook starts a receiver for secret whose clock is now (time.Now if
// nil), closed at the end of the test.
func NewWebhook(tb testing.TB, secret string, now func() time.Time) *Webhook {
	tb.Helper()
	if now == nil {
		now = time.Now
	}
	w := &Webhook{secret: []byte(secret), now: now, got: make(chan Delivery, 1000), seen: map[string]bool{}}
	srv := httptest.NewTLSServer(http.HandlerFunc(w.serve))
	tb.Cleanup(srv.Close)
	w.URL, w.Client = srv.URL+"/hooks/entraide", srv.Client()
	return w
}

// FailNext answers the next requests with statuses, in order, before
// reading them.
func (w *Webhook) FailNext(statuses ...int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fail = append(w.fail, statuses...)
}

// Refused returns why the receiver refused the requests it refused.
func (w *Webhook) Refused() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]error(nil), w.refused...)
}

// Requests counts the requests received, refused or not.
func (w *Webhook) Requests() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.requests
}

func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	w.requests++
	if len(w.fail) > 0 {
		status := w.fail[0]
		w.fail = w.fail[1:]
		w.mu.Unlock()
		http.Error(rw, "failing as told", status)
		return
	}
	w.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil && r.Method != "POST" {
		err = errors.New("method " + r.Method)
	}
	if err == nil {
		err = alerting.Verify(w.secret, r.Header.Get(alerting.SignatureHeader), body, w.now(), 0)
	}
	var p alerting.Payload
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	id := r.Header.Get(alerting.DeliveryHeader)
	if err == nil && (id == "" || id != p.Delivery) {
		err = errors.New("the delivery header does not match the signed body")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.refused = append(w.refused, err)
		http.Error(rw, err.Error(), http.StatusUnauthorized)
		return
	}
	if w.seen[id] {
		return // a retry of a delivery already kept
	}
	w.seen[id] = true
	w.got <- Delivery{ID: id, Header: r.Header.Clone(), Body: body, Payload: p}
}

// Next returns the next delivery accepted, failing the test if none comes
// within Wait.
func (w *Webhook) Next(tb testing.TB) Delivery {
	tb.Helper()
	select {
	case d := <-w.got:
		return d
	case <-time.After(Wait):
		tb.Fatalf("alertingtest: no webhook delivery within %s (refused: %v)", Wait, w.Refused())
		return Delivery{}
	}
}

// Pending returns the deliveries accepted and not yet taken, without
// waiting.
func (w *Webhook) Pending() []Delivery {
	var out []Delivery
	for {
		select {
		case d := <-w.got:
			out = append(out, d)
		default:
			return out
		}
	}
}
