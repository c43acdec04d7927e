//go:build integration

package integration

import (
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// defineHostileVM defines a minimal shut-off VM (no disk, never started)
// whose name holds spaces, markup and words that look like a state, as any
// other VM on the host may, and undefines it when the test ends.
func defineHostileVM(t *testing.T, l *libvirt.Libvirt) guest {
	t.Helper()
	name := testguest.UniqueName("sec-<img src=x onerror=alert(1)> ") + " shut off"
	x, err := (&libvirtxml.Domain{
		Type:   domainType,
		Name:   name,
		Memory: &libvirtxml.DomainMemory{Value: 64, Unit: "MiB"},
		OS:     &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Type: "hvm"}},
	}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dom, err := l.DomainDefineXML(x)
	if err != nil {
		t.Fatalf("define %q: %v", name, err)
	}
	t.Cleanup(func() {
		cl, err := dial()
		if err != nil {
			t.Errorf("cleanup of %q: %v", name, err)
			return
		}
		defer cl.Disconnect()
		if d, err := cl.DomainLookupByUUID(dom.UUID); err == nil {
			if err := cl.DomainUndefine(d); err != nil {
				t.Errorf("cleanup of %q: %v", name, err)
			}
		}
	})
	return guest{Name: name, UUID: formatUUID(dom.UUID), Dom: dom}
}

// TestHelpersTolerateHostileVMNames: with another VM on the host named
// `sec-<img src=x onerror=alert(1)> … shut off`, the comparison of the API's
// VM states with libvirt's that the fault tests rely on (fltStatesMatch)
// still agrees. It compared with `virsh list --all` split on spaces and
// failed on such a name.
func TestHelpersTolerateHostileVMNames(t *testing.T) {
	l := lv(t)
	h := defineHostileVM(t, l)
	waitFor(t, 10*time.Second, "the API to list the VM named "+h.Name, func() bool {
		return getVMState(h.UUID) == "shutoff"
	})
	fltStatesMatch(t, srv, 30*time.Second)
}

// getVMState is the VM's state as the API shows it, "" when it does not.
func getVMState(uuid string) string {
	var vm vmJSON
	if st, _ := apiJSON("GET", "/api/v1/hosts/local/vms/"+uuid, nil, &vm); st != 200 {
		return ""
	}
	return vm.State
}
