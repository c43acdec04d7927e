package host

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Transport is how a libvirt URI reaches its daemon.
type Transport string

// Transports a URI may name.
const (
	TransportUnix Transport = "unix"
	TransportSSH  Transport = "ssh"
	TransportTLS  Transport = "tls"
)

// URI is a parsed, validated libvirt connection URI.
type URI struct {
	Raw       string
	Driver    string // always "qemu"
	Transport Transport
	User      string
	Host      string // empty for local
	Port      string
	Path      string // "/system" or "/session"
	Socket    string // unix socket path (transport unix), from ?socket=
	Query     url.Values
}

// DefaultSocket is libvirtd's system socket.
const DefaultSocket = "/var/run/libvirt/libvirt-sock"

// ParseURI parses a libvirt URI of the qemu driver: qemu:///system,
// qemu+unix:///system?socket=PATH, qemu+ssh://user@host[:port]/system and
// qemu+tls://host[:port]/system. Anything else is rejected with a message
// that says what is accepted.
func ParseURI(s string) (URI, error) {
	bad := func(why string) (URI, error) {
		return URI{}, problem.New(problem.Invalid, problem.CodeInvalidURI,
			fmt.Sprintf("libvirt URI %q is not usable: %s", problem.Clip(s), why),
			"use qemu:///system, qemu+ssh://user@host/system or qemu+tls://host/system")
	}
	if s == "" {
		return bad("it is empty")
	}
	if len(s) > 2048 {
		return bad("it is longer than 2048 characters")
	}
	if strings.ContainsAny(s, " \t\r\n\x00") {
		return bad("it contains white space or control characters")
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad("it does not parse as a URI")
	}
	driver, transport, _ := strings.Cut(u.Scheme, "+")
	if driver != "qemu" {
		return bad("only the qemu driver is supported, not " + fmt.Sprintf("%q", driver))
	}
	out := URI{Raw: s, Driver: driver, Path: u.Path, Query: u.Query(), Host: u.Hostname(), Port: u.Port()}
	if u.User != nil {
		out.User = u.User.Username()
		if _, has := u.User.Password(); has {
			return bad("passwords in the URI are not accepted")
		}
	}
	if out.Path != "/system" && out.Path != "/session" {
		return bad("the path must be /system or /session")
	}
	switch transport {
	case "", "unix":
		if out.Host != "" {
			if transport == "unix" {
				return bad("a unix URI cannot name a host")
			}
			// qemu://host/system means TLS in libvirt's own client.
			out.Transport = TransportTLS
			break
		}
		out.Transport = TransportUnix
		out.Socket = out.Query.Get("socket")
		if out.Socket == "" {
			if out.Path == "/session" {
				return bad("session URIs need ?socket=PATH")
			}
			out.Socket = DefaultSocket
		}
		if !strings.HasPrefix(out.Socket, "/") {
			return bad("the socket path must be absolute")
		}
	case "ssh":
		out.Transport = TransportSSH
	case "tls":
		out.Transport = TransportTLS
	default:
		return bad("transport " + fmt.Sprintf("%q", transport) + " is not supported")
	}
	if out.Transport != TransportUnix && out.Host == "" {
		return bad("a remote URI must name a host")
	}
	return out, nil
}

// Local reports whether the URI reaches a daemon on this machine, so that
// file paths it reports are paths here.
func (u URI) Local() bool { return u.Transport == TransportUnix }

// Remote returns the URI the daemon itself is asked to open.
func (u URI) Remote() string {
	if n := u.Query.Get("name"); n != "" {
		return n
	}
	return u.Driver + "://" + u.Path
}
