package network

import (
	"encoding/xml"
	"net/netip"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// FuzzValidate drives the network validators (name, mode, subnet,
// gateway, DHCP range, static lease MAC, bridge) with arbitrary input.
// Whatever they accept must make XML that parses back to the same
// subnet, with the gateway and the DHCP range inside it; whatever they
// refuse must be an Invalid problem with a message and a hint. The kept
// corpus is in testdata/fuzz/FuzzValidate.
func FuzzValidate(f *testing.F) {
	f.Add("lab", "nat", "192.168.150.0/24", "", "192.168.150.100", "192.168.150.200", "52:54:00:12:34:56", "")
	f.Add("iso-1", "isolated", "10.20.0.0/16", "10.20.255.254", "10.20.0.2", "10.20.0.9", "", "kvmm0")
	f.Add("a/b", "route", "172.16.0.0/12", "", "", "", "", "")
	f.Add("..", "nat", "10.0.0.5/24", "", "", "", "ff:ff:ff:ff:ff:ff", "")
	f.Add("x", "nat", "::ffff:10.0.0.0/104", "", "", "", "52-54-00-12-34-56", "0bad")
	f.Fuzz(func(t *testing.T, name, mode, subnet, gateway, start, end, mac, bridge string) {
		req := CreateRequest{Name: name, Mode: mode, Subnet: subnet, Gateway: gateway, DHCPStart: start, DHCPEnd: end, Bridge: bridge}
		if mac != "" {
			req.Hosts = []StaticHost{{MAC: mac, IP: start}}
		}
		p, err := validate(req)
		if err != nil {
			pr, ok := problem.As(err)
			if !ok || pr.Kind != problem.Invalid || pr.Message == "" || pr.Hint == "" {
				t.Fatalf("refusal %v is not an Invalid problem with message and hint", err)
			}
			return
		}
		if ValidName(name) != nil || ValidBridge(bridge) != nil {
			t.Fatalf("validate accepted name %q / bridge %q that the name checks refuse", name, bridge)
		}
		var x netXML
		if err := xml.Unmarshal([]byte(p.doc), &x); err != nil {
			t.Fatalf("the XML made does not parse: %v\n%s", err, p.doc)
		}
		if x.Name != name || len(x.IPs) != 1 {
			t.Fatalf("XML names %q with %d blocks", x.Name, len(x.IPs))
		}
		got, ok := x.IPs[0].prefix()
		if !ok || got.Masked() != p.subnet {
			t.Fatalf("XML block %v, want %v", got, p.subnet)
		}
		gw := got.Addr()
		if !p.subnet.Contains(gw) || gw == p.subnet.Addr() || gw == broadcast(p.subnet) {
			t.Fatalf("gateway %v not a host of %v", gw, p.subnet)
		}
		if d := x.IPs[0].DHCP; d != nil && len(d.Ranges) == 1 {
			s, e := netip.MustParseAddr(d.Ranges[0].Start), netip.MustParseAddr(d.Ranges[0].End)
			if !p.subnet.Contains(s) || !p.subnet.Contains(e) || e.Less(s) || (!gw.Less(s) && !e.Less(gw)) {
				t.Fatalf("DHCP range %v-%v in %v with gateway %v", s, e, p.subnet, gw)
			}
		}
	})
}

// FuzzParseSubnet checks that an accepted subnet is a private IPv4
// network address with a usable prefix length.
func FuzzParseSubnet(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "192.168.1.0/24", "172.31.255.252/30", "172.32.0.0/16", "10.1.2.3/24", "0.0.0.0/0", " 10.0.0.0/24", "10.0.0.0/024"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseSubnet(s)
		if err != nil {
			return
		}
		if !p.Addr().Is4() || p.Masked() != p || p.Bits() < minPrefix || p.Bits() > maxPrefix {
			t.Fatalf("accepted %q as %v", s, p)
		}
		inPrivate := false
		for _, r := range private {
			inPrivate = inPrivate || (r.Bits() <= p.Bits() && r.Contains(p.Addr()))
		}
		if !inPrivate {
			t.Fatalf("accepted %q outside the private ranges", s)
		}
	})
}
