package hostadmin

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestValidate(t *testing.T) {
	ok := []Spec{
		{"local", "qemu:///system"},
		{"kvm2", "qemu+ssh://root@kvm2/system"}, // agent: Validate does not look at the environment
		{"a.b-c_d", "qemu+ssh://kvmtest@127.0.0.1:2222/session"},
		{"t1", "qemu+tls://127.0.0.1:16514/system?pkipath=/etc/pki"},
		{"u", "qemu+unix:///system?socket=/run/x.sock"},
		{strings.Repeat("a", 63), "qemu:///system"},
	}
	for _, s := range ok {
		if err := Validate(s); err != nil {
			t.Errorf("Validate(%+v) = %v", s, err)
		}
	}
	bad := []Spec{
		{"", "qemu:///system"},
		{strings.Repeat("a", 64), "qemu:///system"},
		{"é", "qemu:///system"},
		{"a b", "qemu:///system"},
		{"a", "qemu+ssh://root:secret@h/system"},
		{"a", "qemu+ssh:///system"},
		{"a", "qemu+tls://h/system?no_verify=1"},
		{"a", "qemu:///session"},
		{"a", "qemu+unix:///system?socket=relative"},
	}
	for _, s := range bad {
		if err := Validate(s); err == nil {
			t.Errorf("Validate(%+v) accepted it", s)
		}
	}
}

// FuzzValidate: whatever name and URI come in, Validate answers without
// panicking, with an Invalid problem whose message is valid UTF-8 and
// bounded; what it accepts, host.New accepts too (so that Add never saves
// a host that cannot be built). Seeds are in testdata/fuzz/FuzzValidate.
func FuzzValidate(f *testing.F) {
	f.Add("local", "qemu:///system")
	f.Add("kvm2", "qemu+ssh://root@kvm2:22/system?keyfile=/nonexistent")
	f.Add("t", "qemu+tls://[::1]:16514/system?pkipath=/x&no_verify=0")
	f.Fuzz(func(t *testing.T, name, uri string) {
		err := Validate(Spec{Name: name, URI: uri})
		if err != nil {
			p, ok := problem.As(err)
			if !ok || p.Kind != problem.Invalid {
				t.Fatalf("Validate(%q, %q) = %v, want an Invalid problem", name, uri, err)
			}
			if !utf8.ValidString(p.Message) || len(p.Message) > 400 {
				t.Fatalf("message %q", p.Message)
			}
			return
		}
		if _, err := host.New(host.Options{Name: name, URI: uri, DataDir: t.TempDir()}); err != nil {
			t.Fatalf("Validate accepted (%q, %q) but host.New refused: %v", name, uri, err)
		}
	})
}
