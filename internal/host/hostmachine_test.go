package host

import (
	"errors"
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/host/machine/machinefake"
	"github.com/kvm-manager/kvm-manager/internal/host/sshconn"
)

// Each host owns its machine, chosen from its URI unless one is given: this
// computer for a local socket, an unsupported one otherwise, which says
// which host and why.
func TestHostMachine(t *testing.T) {
	for _, tc := range []struct {
		uri   string
		local bool
		why   string
	}{
		{"qemu:///system", true, ""},
		{"qemu+unix:///session?socket=/run/user/1000/libvirt/libvirt-sock", true, ""},
		{"qemu+tls://kvm2.example/system", false, `host "h" over TLS`},
		{"qemu://kvm2.example/system", false, `host "h" over TLS`},
	} {
		h, err := New(Options{Name: "h", URI: tc.uri})
		if err != nil {
			t.Fatal(err)
		}
		m := h.Machine()
		if _, ok := m.(*machine.Local); ok != tc.local {
			t.Errorf("%s: machine %T, want local %v", tc.uri, m, tc.local)
		}
		err = m.Check(machine.Files)
		if tc.local != (err == nil) || (!tc.local && (!errors.Is(err, machine.ErrUnsupported) || !strings.Contains(err.Error(), tc.why))) {
			t.Errorf("%s: Check = %v, want local %v or unsupported saying %q", tc.uri, err, tc.local, tc.why)
		}
	}
	h, err := New(Options{Name: "h", URI: "qemu+ssh://admin@kvm2.example/system", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.Machine().(*sshconn.Machine); !ok || h.Machine().Check(machine.Files) != nil {
		t.Errorf("qemu+ssh: machine %T, want the SSH machine, able to do everything", h.Machine())
	}
	fake := machinefake.New()
	h, err = New(Options{Name: "given", URI: "qemu:///system", Machine: fake})
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewSet(h)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := set.Machine("given"); err != nil || m != fake {
		t.Errorf("Set.Machine = %v, %v; want the machine given", m, err)
	}
	if _, err := set.Machine("other"); err == nil {
		t.Error("Set.Machine of an unknown host gave a machine")
	}
}
