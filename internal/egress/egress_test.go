package egress_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"entraide/internal/egress"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		ip   string
		ok   bool
	}{
		{"loopback", "127.0.0.1", false},
		{"loopback, elsewhere in 127/8", "127.1.2.3", false},
		{"cloud metadata service", "169.254.169.254", false},
		{"RFC 1918 10/8", "10.0.0.1", false},
		{"RFC 1918 172.16/12", "172.31.255.255", false},
		{"RFC 1918 192.168/16", "192.168.1.1", false},
		{"carrier-grade NAT", "100.64.0.1", false},
		{"unspecified", "0.0.0.0", false},
		{"this network", "0.1.2.3", false},
		{"multicast", "224.0.0.1", false},
		{"broadcast", "255.255.255.255", false},
		{"documentation", "192.0.2.10", false},
		{"benchmarking", "198.18.0.1", false},
		{"IPv6 loopback", "::1", false},
		{"IPv6 unspecified", "::", false},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", false},
		{"IPv4-mapped metadata service", "::ffff:169.254.169.254", false},
		{"NAT64 of a private address", "64:ff9b::10.0.0.1", false},
		{"6to4 of loopback", "2002:7f00:1::1", false},
		{"unique local (fc00::/7)", "fd12:3456:789a::1", false},
		{"IPv6 link-local", "fe80::1", false},
		{"IPv6 link-local with a zone", "fe80::1%eth0", false},
		{"IPv6 multicast", "ff02::1", false},
		{"IPv6 documentation", "2001:db8::1", false},
		{"public IPv4", "93.184.215.14", true},
		{"public IPv4 next to 172.16/12", "172.32.0.1", true},
		{"public IPv6", "2606:4700:4700::1111", true},
		{"NAT64 of a public address", "64:ff9b::93.184.215.14", true},
		{"IPv4-mapped public", "::ffff:8.8.8.8", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := egress.Check(netip.MustParseAddr(tt.ip))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, egress.ErrForbidden)) {
				t.Errorf("Check(%s) = %v, want allowed %v", tt.ip, err, tt.ok)
			}
		})
	}
}

func TestCheckHost(t *testing.T) {
	for host, ok := range map[string]bool{
		"localhost": false, "LOCALHOST.": false, "hooks.localhost": false, "127.0.0.1": false, "[::1]": false,
		"169.254.169.254": false, "duty.example.org": true, "8.8.8.8": true,
	} {
		if err := egress.CheckHost(host); (err == nil) != ok {
			t.Errorf("CheckHost(%q) = %v, want allowed %v", host, err, ok)
		}
	}
}

// dnsServer answers every A query with 127.0.0.1 and every other query
// with no record: a name that looks public and resolves to this machine,
// as a rebinding attacker's name does when it is used.
func dnsServer(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			end := 12
			for end < n && q[end] != 0 {
				end += int(q[end]) + 1
			}
			end += 5 // the root label, QTYPE and QCLASS
			if end > n {
				continue
			}
			qtype := binary.BigEndian.Uint16(q[end-4:])
			resp := append([]byte{}, q[:2]...)                 // id
			resp = append(resp, 0x80|q[2]&0x01, 0x80, 0, 1, 0) // response, recursion desired as asked and available; one question
			if qtype == 1 {
				resp = append(resp, 1)
			} else {
				resp = append(resp, 0)
			}
			resp = append(resp, 0, 0, 0, 0)
			resp = append(resp, q[12:end]...)
			if qtype == 1 {
				resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 127, 0, 0, 1)
			}
			pc.WriteTo(resp, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

func TestControlChecksTheResolvedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	target := net.JoinHostPort("hooks.rebind.example", port)
	resolver := dnsServer(t)

	// Without the check, the name reaches the listener on this machine:
	// what the check must stop.
	plain := net.Dialer{Resolver: resolver}
	c, err := plain.DialContext(t.Context(), "tcp4", target)
	if err != nil {
		t.Fatalf("dial %s without the check: %v; the test's name server does not work", target, err)
	}
	c.Close()
	<-accepted

	guarded := net.Dialer{Resolver: resolver, ControlContext: egress.Control}
	c, err = guarded.DialContext(t.Context(), "tcp4", target)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s (resolving to 127.0.0.1) with the check succeeded", target)
	}
	if !errors.Is(err, egress.ErrForbidden) || !strings.Contains(err.Error(), "127.0.0.1 is a loopback address") {
		t.Errorf("dial %s with the check = %v, want the loopback address refused", target, err)
	}
	// Control runs before connect: no connection was made.
	select {
	case <-accepted:
		t.Errorf("the listener accepted a connection from the refused dial")
	default:
	}
}

func TestTransportRefusesLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	client := &http.Client{Transport: egress.Transport(srv.Client().Transport.(*http.Transport))}
	resp, err := client.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("POST %s through egress.Transport succeeded", srv.URL)
	}
	if !errors.Is(err, egress.ErrForbidden) {
		t.Errorf("POST %s = %v, want ErrForbidden", srv.URL, err)
	}
	if hits.Load() != 0 {
		t.Errorf("the loopback server got %d requests", hits.Load())
	}
}
