package host

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		in        string
		ok        bool
		transport Transport
		socket    string
		host      string
		remote    string
	}{
		{"qemu:///system", true, TransportUnix, DefaultSocket, "", "qemu:///system"},
		{"qemu+unix:///system?socket=/tmp/x.sock", true, TransportUnix, "/tmp/x.sock", "", "qemu:///system"},
		{"qemu:///session?socket=/run/user/1000/libvirt/libvirt-sock", true, TransportUnix, "/run/user/1000/libvirt/libvirt-sock", "", "qemu:///session"},
		{"qemu+ssh://root@kvm1.example/system", true, TransportSSH, "", "kvm1.example", "qemu:///system"},
		{"qemu+tls://kvm2.example:16514/system", true, TransportTLS, "", "kvm2.example", "qemu:///system"},
		{"qemu://kvm3.example/system", true, TransportTLS, "", "kvm3.example", "qemu:///system"},
		{"", false, "", "", "", ""},
		{"xen:///system", false, "", "", "", ""},
		{"qemu:///", false, "", "", "", ""},
		{"qemu:///session", false, "", "", "", ""},
		{"qemu+tcp://h/system", false, "", "", "", ""},
		{"qemu+ssh:///system", false, "", "", "", ""},
		{"qemu+ssh://u:pw@h/system", false, "", "", "", ""},
		{"qemu+unix://h/system", false, "", "", "", ""},
		{"qemu+unix:///system?socket=relative", false, "", "", "", ""},
		{"qemu:///system\n", false, "", "", "", ""},
		{"qemu:///" + strings.Repeat("a", 3000), false, "", "", "", ""},
	}
	for _, tt := range tests {
		u, err := ParseURI(tt.in)
		if !tt.ok {
			if p, isP := problem.As(err); !isP || p.Kind != problem.Invalid {
				t.Errorf("ParseURI(%q) = %+v, %v; want an invalid_uri problem", tt.in, u, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tt.in, err)
			continue
		}
		if u.Transport != tt.transport || u.Socket != tt.socket || u.Host != tt.host || u.Remote() != tt.remote {
			t.Errorf("ParseURI(%q) = %+v (remote %q)", tt.in, u, u.Remote())
		}
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"qemu:///system", "qemu+ssh://u@h:22/system?keyfile=/k", "qemu+tls://h/system?pkipath=/p", "qemu+unix:///system?socket=/s", "%zz", "qemu://[::1]/system"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid {
				t.Fatalf("ParseURI(%q): error %v is not an Invalid problem", s, err)
			}
			return
		}
		if u.Driver != "qemu" || (u.Path != "/system" && u.Path != "/session") {
			t.Fatalf("ParseURI(%q) accepted %+v", s, u)
		}
		if u.Transport == TransportUnix && !strings.HasPrefix(u.Socket, "/") {
			t.Fatalf("ParseURI(%q) accepted a relative socket %q", s, u.Socket)
		}
	})
}

func TestUUIDRoundTrip(t *testing.T) {
	const canon = "4b1e2c3d-0000-4000-8000-1234567890ab"
	u, err := ParseUUID(canon)
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatUUID(u); got != canon {
		t.Fatalf("FormatUUID = %q, want %q", got, canon)
	}
	if u2, err := ParseUUID("4B1E2C3D0000400080001234567890AB"); err != nil || u2 != u {
		t.Fatalf("bare upper-case form: %v %v", u2, err)
	}
	for _, bad := range []string{"", "x", "4b1e2c3d-0000-4000-8000-1234567890a", "4b1e2c3d-0000-4000-8000-1234567890abc",
		"4b1e2c3d00-00-4000-8000-1234567890ab", "4b1e2c3d-0000-4000-8000-1234567890ag", "../../etc/passwd"} {
		if _, err := ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q) accepted", bad)
		}
	}
}

func FuzzParseUUID(f *testing.F) {
	f.Add("4b1e2c3d-0000-4000-8000-1234567890ab")
	f.Add("4b1e2c3d000040008000123456789zab")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUUID(s)
		if err != nil {
			return
		}
		// Whatever parses must round-trip to the same bytes.
		u2, err := ParseUUID(FormatUUID(u))
		if err != nil || u2 != u {
			t.Fatalf("%q parsed but does not round-trip", s)
		}
	})
}

func TestNewRejectsBadHostNames(t *testing.T) {
	for _, name := range []string{"", "-x", "a b", "x/y", strings.Repeat("a", 64), "ü"} {
		if _, err := New(Options{Name: name, URI: "qemu:///system"}); err == nil {
			t.Errorf("New accepted host name %q", name)
		}
	}
	if _, err := New(Options{Name: "kvm-1.lab_a", URI: "qemu:///system"}); err != nil {
		t.Errorf("New rejected a good name: %v", err)
	}
}
