// Package hosttest builds host sets for unit tests of the services that
// work through a host's machine (screenshots, snapshot sizes): one local
// host around the machine the test gives, never connected to libvirt.
//
// It is its own package because machinefake cannot import host: host's
// own tests import machinefake.
package hosttest

import (
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
)

// Local returns a set holding one host named "local" (qemu:///system)
// whose machine is m.
func Local(t testing.TB, m machine.Machine) *host.Set {
	t.Helper()
	h, err := host.New(host.Options{Name: "local", URI: "qemu:///system", Machine: m})
	if err != nil {
		t.Fatal(err)
	}
	set, err := host.NewSet(h)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
