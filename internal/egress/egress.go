// Package egress decides where a node may connect when someone other than
// its operator chose the address. A webhook URL entered through the API
// could otherwise make the node post to its own machine, to its cloud's
// metadata service (169.254.169.254) or into the private network behind
// it, and read what answers (server-side request forgery).
//
// The check is made on the address actually dialled, after name
// resolution, so that a name which resolves to a public address when it
// is entered and to a private one when it is used (DNS rebinding) gains
// nothing.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrForbidden is matched by the error for an address that is not a
// public unicast address.
var ErrForbidden = errors.New("not a public address")

// ForbiddenError names the address or name refused and the range it is
// in.
type ForbiddenError struct {
	Host  string
	Range string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("%s is %s, not a public address", e.Host, e.Range)
}

// Is makes errors.Is(err, ErrForbidden) hold.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

type special struct {
	prefix netip.Prefix
	name   string
}

// specials are the ranges that are not public unicast: IANA's special-
// purpose registries (RFC 6890 and its updates), less the ones that are
// globally reachable by design.
var specials = func() []special {
	var out []special
	for _, s := range []struct{ prefix, name string }{
		{"0.0.0.0/8", `the "this network" range`},
		{"10.0.0.0/8", "a private address (RFC 1918)"},
		{"100.64.0.0/10", "a shared address (carrier-grade NAT, RFC 6598)"},
		{"127.0.0.0/8", "a loopback address"},
		{"169.254.0.0/16", "a link-local address (cloud metadata services live there)"},
		{"172.16.0.0/12", "a private address (RFC 1918)"},
		{"192.0.0.0/24", "an IETF protocol address"},
		{"192.0.2.0/24", "a documentation address"},
		{"192.88.99.0/24", "a 6to4 relay address"},
		{"192.168.0.0/16", "a private address (RFC 1918)"},
		{"198.18.0.0/15", "a benchmarking address"},
		{"198.51.100.0/24", "a documentation address"},
		{"203.0.113.0/24", "a documentation address"},
		{"224.0.0.0/4", "a multicast address"},
		{"240.0.0.0/4", "a reserved address"},
		{"64:ff9b:1::/48", "a local-use NAT64 address"},
		{"::/8", "a reserved IPv6 address (loopback, unspecified or IPv4-compatible)"},
		{"100::/64", "a discard address"},
		{"2001::/23", "an IETF protocol address"},
		{"2001:db8::/32", "a documentation address"},
		{"3fff::/20", "a documentation address"},
		{"fc00::/7", "a unique local address (private IPv6)"},
		{"fe80::/10", "a link-local address"},
		{"fec0::/10", "a site-local address"},
		{"ff00::/8", "a multicast address"},
	} {
		out = append(out, special{netip.MustParsePrefix(s.prefix), s.name})
	}
	return out
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Check returns a *ForbiddenError if ip is not a public unicast address:
// loopback, private, link-local, unspecified, multicast, reserved or
// documentation ranges, in IPv4 or IPv6. An IPv6 address that embeds an
// IPv4 one (mapped, NAT64, 6to4) is judged by the IPv4 address.
func Check(ip netip.Addr) error {
	ip = ip.WithZone("")
	if !ip.IsValid() {
		return &ForbiddenError{Host: "the empty address", Range: "no IP address"}
	}
	ip = ip.Unmap()
	switch {
	case nat64.Contains(ip):
		b := ip.As16()
		return Check(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		b := ip.As16()
		return Check(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, s := range specials {
		if s.prefix.Contains(ip) {
			return &ForbiddenError{Host: ip.String(), Range: s.name}
		}
	}
	return nil
}

// CheckHost refuses, before any lookup, a host that is an IP address
// Check refuses or a name that always means this machine (localhost and
// its subdomains, RFC 6761). Other names are judged when they are
// dialled, by Control.
func CheckHost(host string) error {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return Check(ip)
	}
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return &ForbiddenError{Host: host, Range: "a name for this machine"}
	}
	return nil
}

// Control is a net.Dialer ControlContext that refuses to connect to an
// address Check refuses. It sees the address after name resolution, so
// each address a name resolves to is checked as it is dialled.
func Control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &ForbiddenError{Host: fmt.Sprintf("%q", address), Range: "not an IP address and port"}
	}
	return Check(ap.Addr())
}

// Transport returns a copy of base (http.DefaultTransport's settings if
// nil) that connects only to public addresses, and through no proxy: a
// proxy would connect for it, unchecked.
func Transport(base *http.Transport) *http.Transport {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	t := base.Clone()
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, ControlContext: Control}
	t.DialContext, t.DialTLSContext = d.DialContext, nil
	//lint:ignore SA1019 a dialer of the old kind set on base would connect unchecked
	t.DialTLS = nil
	t.Proxy = nil
	return t
}
