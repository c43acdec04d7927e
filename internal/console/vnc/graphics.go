package vnc

import (
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Target is where a VM's VNC server listens, read from its live XML. It
// holds the VNC password, so it is never logged in full (see LogValue) and
// never leaves the server.
type Target struct {
	// VMName is the domain's name, for messages.
	VMName string
	// Network is "tcp" or "unix".
	Network string
	// Address is host:port for tcp, the socket path for unix.
	Address  string
	password string
}

// HasPassword reports whether the VM's VNC server wants a password.
func (t Target) HasPassword() bool { return t.password != "" }

// LogValue keeps the password out of logs.
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("vm", t.VMName), slog.String("network", t.Network),
		slog.String("address", t.Address), slog.Bool("password", t.password != ""))
}

// String keeps the password out of formatted output.
func (t Target) String() string { return t.Network + ":" + t.Address }

// Problems a console request can meet before anything is dialed. Their codes
// let the web UI offer the fix: start the VM, add VNC graphics, or download
// a .vv file for SPICE.
func errGraphicsNotRunning(name string) error {
	return problem.New(problem.Conflict, problem.CodeVMNotRunning,
		fmt.Sprintf("VM %q is not running, so it has no console", problem.Clip(name)),
		"start the VM; the console can connect once it runs")
}

func errNoVNC(name string) error {
	return problem.New(problem.Unsupported, problem.CodeNoVNCGraphics,
		fmt.Sprintf("VM %q has no VNC graphics, so its screen cannot be shown in the browser", problem.Clip(name)),
		"add VNC graphics (listening on 127.0.0.1, port chosen automatically) with POST .../graphics/vnc; it takes effect the next time the VM starts")
}

func errSpiceOnly(name string) error {
	return problem.New(problem.Unsupported, problem.CodeSpiceOnly,
		fmt.Sprintf("VM %q has only SPICE graphics, which the browser console cannot show", problem.Clip(name)),
		"open it in remote-viewer with the .vv file from GET .../console.vv, or add VNC graphics with POST .../graphics/vnc (effective the next time the VM starts)")
}

func errVNCNotListening(name string) error {
	return problem.New(problem.Unsupported, problem.CodeVNCNotListening,
		fmt.Sprintf("VM %q has VNC graphics that listen nowhere (listen type none), so KVM Manager cannot reach them", problem.Clip(name)),
		"change the VM's VNC graphics to listen on address 127.0.0.1 (or a socket) and restart the VM")
}

// precheckVNC refuses, from the inventory's record, a console that cannot
// work, with the same problems and in the same order as vncTarget.
func precheckVNC(vm inventory.VM) error {
	var vnc, spice bool
	for _, g := range vm.Graphics {
		vnc = vnc || g.Type == "vnc"
		spice = spice || g.Type == "spice"
	}
	switch {
	case !vnc && spice:
		return errSpiceOnly(vm.Name)
	case !vnc:
		return errNoVNC(vm.Name)
	case !inventory.Active(vm.State):
		return errGraphicsNotRunning(vm.Name)
	}
	return nil
}

// vncLiveDomain is what the console needs from a domain's XML.
type vncLiveDomain struct {
	name    string
	running bool
	vnc     *libvirtxml.DomainGraphicVNC
	spice   *libvirtxml.DomainGraphicSpice
}

// parseVNCLiveDomain reads a domain XML (live, with secure info).
func parseVNCLiveDomain(doc string) (vncLiveDomain, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return vncLiveDomain{}, fmt.Errorf("parse domain XML: %w", err)
	}
	ld := vncLiveDomain{name: d.Name, running: d.ID != nil && *d.ID > 0}
	if d.Devices == nil {
		return ld, nil
	}
	for i := range d.Devices.Graphics {
		g := &d.Devices.Graphics[i]
		if g.VNC != nil && ld.vnc == nil {
			ld.vnc = g.VNC
		}
		if g.Spice != nil && ld.spice == nil {
			ld.spice = g.Spice
		}
	}
	return ld, nil
}

// vncTarget resolves where a running domain's VNC server listens. It
// returns the problems of errGraphicsNotRunning, errNoVNC, errSpiceOnly and
// errVNCNotListening. What the definition lacks is said first, so that
// "start the VM" is only offered when starting it would help.
func (ld vncLiveDomain) vncTarget() (Target, error) {
	if ld.vnc == nil {
		if ld.spice != nil {
			return Target{}, errSpiceOnly(ld.name)
		}
		return Target{}, errNoVNC(ld.name)
	}
	v := ld.vnc
	if len(v.Listeners) > 0 && v.Socket == "" && v.Listen == "" && !slices.ContainsFunc(v.Listeners, func(l libvirtxml.DomainGraphicListener) bool {
		return l.Address != nil || l.Network != nil || l.Socket != nil
	}) {
		return Target{}, errVNCNotListening(ld.name)
	}
	if !ld.running {
		return Target{}, errGraphicsNotRunning(ld.name)
	}
	t := Target{VMName: ld.name, password: v.Passwd}
	if v.Socket != "" {
		t.Network, t.Address = "unix", v.Socket
		return t, nil
	}
	addr := v.Listen
	for _, l := range v.Listeners {
		switch {
		case l.Socket != nil && l.Socket.Socket != "":
			t.Network, t.Address = "unix", l.Socket.Socket
			return t, nil
		case l.Address != nil:
			if addr == "" {
				addr = l.Address.Address
			}
		case l.Network != nil:
			if addr == "" {
				addr = l.Network.Address
			}
		}
	}
	if v.Port <= 0 || v.Port > 65535 {
		return Target{}, problem.New(problem.Unavailable, problem.CodeVNCPortUnknown,
			fmt.Sprintf("VM %q has VNC graphics, but libvirt reports no port for them yet", problem.Clip(ld.name)),
			"try again in a moment; if it persists, restart the VM")
	}
	t.Network, t.Address = "tcp", net.JoinHostPort(vncDialHost(addr), strconv.Itoa(v.Port))
	return t, nil
}

// vncDialHost turns a listen address into one to dial: a wildcard address
// means every local address, so the proxy dials loopback.
func vncDialHost(listen string) string {
	switch ip := net.ParseIP(strings.Trim(listen, "[]")); {
	case listen == "":
		return "127.0.0.1"
	case ip == nil:
		return listen // a host name, as libvirt allows
	case ip.IsUnspecified() && ip.To4() != nil:
		return "127.0.0.1"
	case ip.IsUnspecified():
		return "::1"
	default:
		return ip.String()
	}
}

// virtViewerFile returns a remote-viewer (.vv) file for a running domain's
// SPICE graphics. reachedAs is the host name the user reached KVM Manager
// at; it replaces a wildcard listen address, which names no host.
func (ld vncLiveDomain) virtViewerFile(reachedAs string) ([]byte, error) {
	if !ld.running {
		return nil, errGraphicsNotRunning(ld.name)
	}
	s := ld.spice
	if s == nil {
		return nil, problem.New(problem.Unsupported, problem.CodeNoSpiceGraphics,
			fmt.Sprintf("VM %q has no SPICE graphics", problem.Clip(ld.name)),
			"use the browser console (VNC) instead")
	}
	addr := s.Listen
	socketOnly := false
	for _, l := range s.Listeners {
		switch {
		case l.Address != nil && addr == "":
			addr = l.Address.Address
		case l.Network != nil && addr == "":
			addr = l.Network.Address
		case l.Socket != nil:
			socketOnly = addr == ""
		}
	}
	if socketOnly || (s.Port <= 0 && s.TLSPort <= 0) {
		return nil, problem.New(problem.Unsupported, problem.CodeSpiceNotReachable,
			fmt.Sprintf("VM %q's SPICE graphics do not listen on a network port", problem.Clip(ld.name)),
			"change them to listen on an address, or add VNC graphics with POST .../graphics/vnc")
	}
	h := addr
	if ip := net.ParseIP(addr); addr == "" || (ip != nil && ip.IsUnspecified()) {
		h = reachedAs
	}
	var b strings.Builder
	b.WriteString("[virt-viewer]\ntype=spice\n")
	fmt.Fprintf(&b, "host=%s\n", vncVVValue(h))
	if s.Port > 0 {
		fmt.Fprintf(&b, "port=%d\n", s.Port)
	}
	if s.TLSPort > 0 {
		fmt.Fprintf(&b, "tls-port=%d\n", s.TLSPort)
	}
	if s.Passwd != "" {
		fmt.Fprintf(&b, "password=%s\n", vncVVValue(s.Passwd))
	}
	fmt.Fprintf(&b, "title=%s\n", vncVVValue(ld.name+" - KVM Manager"))
	b.WriteString("delete-this-file=1\n")
	return []byte(b.String()), nil
}

// vncVVValue keeps a value on its own line of the .vv (ini) file.
func vncVVValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == 0 {
			return ' '
		}
		return r
	}, s)
}

// VirtViewerFile returns a remote-viewer (.vv) file for the running VM's
// SPICE graphics, and the VM's name. reachedAs is the host name the user
// reached KVM Manager at (used when SPICE listens on a wildcard address).
// The file carries the SPICE password, if any: remote-viewer needs it, and
// only an authenticated user gets the file.
func (v *Proxy) VirtViewerFile(hostName, uuid, reachedAs string) ([]byte, string, error) {
	ld, err := v.live(hostName, uuid)
	if err != nil {
		return nil, "", err
	}
	b, err := ld.virtViewerFile(reachedAs)
	return b, ld.name, err
}
