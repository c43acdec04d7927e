package spice

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Target is where a VM's SPICE server listens, read from its live XML. It
// holds the SPICE password, so it is never logged in full (see LogValue)
// and never leaves the server.
type Target struct {
	VMName   string
	Network  string // "tcp" or "unix"
	Address  string
	password string
}

// LogValue keeps the password out of logs.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("vm", t.VMName), slog.String("network", t.Network),
		slog.String("address", t.Address), slog.Bool("password", t.password != ""))
}

// String keeps the password out of formatted output.
func (t Target) String() string { return t.Network + ":" + t.Address }

func errNotRunning(name string) error {
	return problem.New(problem.Conflict, problem.CodeVMNotRunning,
		fmt.Sprintf("VM %q is not running, so it has no console", problem.Clip(name)),
		"start the VM; the console can connect once it runs")
}

func errNoSpice(name string) error {
	return problem.New(problem.Unsupported, problem.CodeNoSpiceGraphics,
		fmt.Sprintf("VM %q has no SPICE graphics", problem.Clip(name)),
		"use the VNC console (POST .../console) instead")
}

func errNotReachable(name, why string) error {
	return problem.New(problem.Unsupported, problem.CodeSpiceNotReachable,
		fmt.Sprintf("VM %q's SPICE graphics %s, so the browser console cannot reach them", problem.Clip(name), why),
		"open the VM in remote-viewer with GET .../console.vv, or change the SPICE graphics to listen on 127.0.0.1 without TLS-only channels and restart the VM")
}

// precheck refuses, from the inventory's record, a console that cannot work.
func precheck(vm inventory.VM) error {
	spice := false
	for _, g := range vm.Graphics {
		spice = spice || g.Type == "spice"
	}
	switch {
	case !spice:
		return errNoSpice(vm.Name)
	case !inventory.Active(vm.State):
		return errNotRunning(vm.Name)
	}
	return nil
}

// targetFromXML reads a running domain's live XML (with secure info) and
// returns where its (first) SPICE graphics listen.
func targetFromXML(doc string) (Target, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return Target{}, fmt.Errorf("parse domain XML: %w", err)
	}
	var s *libvirtxml.DomainGraphicSpice
	if d.Devices != nil {
		for i := range d.Devices.Graphics {
			if g := d.Devices.Graphics[i].Spice; g != nil {
				s = g
				break
			}
		}
	}
	if s == nil {
		return Target{}, errNoSpice(d.Name)
	}
	if d.ID == nil || *d.ID <= 0 {
		return Target{}, errNotRunning(d.Name)
	}
	t := Target{VMName: d.Name, password: s.Passwd}
	addr := s.Listen
	for _, l := range s.Listeners {
		switch {
		case l.Socket != nil && l.Socket.Socket != "":
			t.Network, t.Address = "unix", l.Socket.Socket
			return t, nil
		case l.Address != nil && addr == "":
			addr = l.Address.Address
		case l.Network != nil && addr == "":
			addr = l.Network.Address
		}
	}
	// A channel that must use TLS refuses the plain port: the proxy speaks
	// plain SPICE on loopback only.
	if s.Port <= 0 {
		if s.TLSPort > 0 {
			return Target{}, errNotReachable(d.Name, "listen on a TLS port only")
		}
		return Target{}, errNotReachable(d.Name, "listen on no port")
	}
	if s.DefaultMode == "secure" {
		return Target{}, errNotReachable(d.Name, "require TLS for every channel")
	}
	t.Network, t.Address = "tcp", net.JoinHostPort(dialHost(addr), strconv.Itoa(s.Port))
	return t, nil
}

// dialHost turns a listen address into one to dial: a wildcard address
// means every local address, so the proxy dials loopback.
func dialHost(listen string) string {
	switch ip := net.ParseIP(strings.Trim(listen, "[]")); {
	case listen == "":
		return "127.0.0.1"
	case ip == nil:
		return listen
	case ip.IsUnspecified() && ip.To4() != nil:
		return "127.0.0.1"
	case ip.IsUnspecified():
		return "::1"
	default:
		return ip.String()
	}
}
