package network

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Limits of what a new network may be.
const (
	maxNameLen = 64
	// maxBridgeLen is the kernel's limit on an interface name (IFNAMSIZ-1).
	maxBridgeLen = 15
	// Prefix lengths: a /8 is as large as a private range gets; a /30 is
	// the smallest that leaves room for the host and one guest.
	minPrefix, maxPrefix = 8, 30
)

// private are the ranges a new network's subnet must lie in (RFC 1918):
// a virtual network on any other range would shadow real addresses.
var private = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// ValidName checks a new network's name: it becomes a libvirt config file
// name, so no '/', no '..', no leading dot or dash; letters, digits and
// ._- only, at most 64.
func ValidName(s string) error {
	const code = "invalid_network_name"
	hint := fmt.Sprintf("use 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", maxNameLen)
	switch {
	case s == "":
		return problem.New(problem.Invalid, code, "the network name is empty", hint)
	case len(s) > maxNameLen:
		return problem.New(problem.Invalid, code, fmt.Sprintf("the network name is longer than %d characters", maxNameLen), hint)
	case strings.Contains(s, "/"):
		return problem.New(problem.Invalid, code, fmt.Sprintf("the network name %q contains '/'", problem.Clip(s)), hint)
	case strings.Contains(s, ".."):
		return problem.New(problem.Invalid, code, fmt.Sprintf("the network name %q contains '..'", problem.Clip(s)), hint)
	}
	for i, r := range s {
		if !nameChar(r, i) {
			return problem.New(problem.Invalid, code, fmt.Sprintf("the network name %q has the character %q at position %d", problem.Clip(s), r, i+1), hint)
		}
	}
	return nil
}

func nameChar(r rune, i int) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && strings.ContainsRune("._-", r))
}

// ValidBridge checks a bridge device name asked for (empty: libvirt picks
// virbrN).
func ValidBridge(s string) error {
	if s == "" {
		return nil
	}
	const code = "invalid_bridge_name"
	hint := fmt.Sprintf("use 1 to %d letters, digits, '.', '_' or '-', starting with a letter, or leave it empty for libvirt to choose", maxBridgeLen)
	if len(s) > maxBridgeLen {
		return problem.New(problem.Invalid, code, fmt.Sprintf("the bridge name %q is longer than %d characters", problem.Clip(s), maxBridgeLen), hint)
	}
	if s == "." || s == ".." || strings.Contains(s, "/") {
		return problem.New(problem.Invalid, code, fmt.Sprintf("the bridge name %q is not a device name", problem.Clip(s)), hint)
	}
	for i, r := range s {
		if !nameChar(r, i) || (i == 0 && r >= '0' && r <= '9') {
			return problem.New(problem.Invalid, code, fmt.Sprintf("the bridge name %q has the character %q at position %d", problem.Clip(s), r, i+1), hint)
		}
	}
	return nil
}

// ParseSubnet checks a new network's IPv4 subnet, given as CIDR
// ("10.20.30.0/24"): the network address itself, a /8 to a /30, inside a
// private range (RFC 1918).
func ParseSubnet(s string) (netip.Prefix, error) {
	const code = "invalid_subnet"
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, problem.New(problem.Invalid, code, fmt.Sprintf("the subnet %q is not an address with a prefix length", problem.Clip(s)),
			"write it in CIDR form, such as 192.168.150.0/24")
	}
	if !p.Addr().Is4() || p.Addr().Is4In6() {
		return netip.Prefix{}, problem.New(problem.Invalid, code, fmt.Sprintf("the subnet %q is not IPv4", problem.Clip(s)),
			"give an IPv4 subnet such as 192.168.150.0/24 (IPv6 networks are not offered yet)")
	}
	if p.Bits() < minPrefix || p.Bits() > maxPrefix {
		return netip.Prefix{}, problem.New(problem.Invalid, code, fmt.Sprintf("the subnet %q has a prefix length of %d", problem.Clip(s), p.Bits()),
			fmt.Sprintf("use a prefix length from /%d to /%d, such as /24", minPrefix, maxPrefix))
	}
	if p.Masked() != p {
		return netip.Prefix{}, problem.New(problem.Invalid, code, fmt.Sprintf("%q is an address inside the subnet %s, not the subnet itself", problem.Clip(s), p.Masked()),
			"write the subnet as "+p.Masked().String())
	}
	for _, r := range private {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return p, nil
		}
	}
	return netip.Prefix{}, problem.New(problem.Invalid, code, fmt.Sprintf("the subnet %s is not a private range", p),
		"use a subnet inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
}

// broadcast is the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// ParseHostAddr checks that s is a usable host address of subnet (not
// its network or broadcast address); what names it in messages.
func ParseHostAddr(subnet netip.Prefix, s, what string) (netip.Addr, error) {
	code := "invalid_" + strings.ToLower(strings.ReplaceAll(what, " ", "_"))
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !a.Is4() {
		return netip.Addr{}, problem.New(problem.Invalid, code, fmt.Sprintf("the %s %q is not an IPv4 address", what, problem.Clip(s)),
			"write it like 192.168.150.10")
	}
	if !subnet.Contains(a) {
		return netip.Addr{}, problem.New(problem.Invalid, code, fmt.Sprintf("the %s %s is outside the subnet %s", what, a, subnet),
			"choose an address inside the subnet")
	}
	if a == subnet.Addr() || a == broadcast(subnet) {
		return netip.Addr{}, problem.New(problem.Invalid, code, fmt.Sprintf("the %s %s is the subnet's network or broadcast address", what, a),
			"choose an address between them")
	}
	return a, nil
}

// ValidMAC checks a static lease's MAC address: six colon-separated hex
// pairs of a unicast address.
func ValidMAC(s string) (string, error) {
	const code = "invalid_mac"
	hint := "write it as six pairs of hex digits separated by colons, such as 52:54:00:12:34:56"
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 || len(s) != 17 || strings.ContainsAny(s, "-.") {
		return "", problem.New(problem.Invalid, code, fmt.Sprintf("the MAC address %q is malformed", problem.Clip(s)), hint)
	}
	if hw[0]&1 == 1 {
		return "", problem.New(problem.Invalid, code, fmt.Sprintf("the MAC address %s is a multicast address", hw), "use a unicast address (the first byte even), such as 52:54:00:12:34:56")
	}
	return hw.String(), nil
}
