package inventory

import (
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// TestSetGuestKeepsAddressesWhileRunning checks that addresses and guest
// facts set from outside survive the inventory's own re-reads of a running
// VM, are announced only when they change, and go when the VM stops.
func TestSetGuestKeepsAddressesWhileRunning(t *testing.T) {
	pub := &recorder{}
	inv := newFakeInventory(pub)
	c := virtfake.New()
	u := addFake(t, c, 1, "web", virt.StateRunning)
	uuid := fakeUUID(1)
	if _, err := inv.Refresh(c, "h", uuid); err != nil {
		t.Fatal(err)
	}
	addrs := []Address{{IP: "10.0.0.5", Prefix: 24, MAC: "52:54:00:00:00:01", Source: "lease"}}
	g := &Guest{Agent: "disconnected"}
	before := len(pub.of(event.TypeVM))
	inv.SetGuest("h", uuid, addrs, g)
	inv.SetGuest("h", uuid, addrs, &Guest{Agent: "disconnected"}) // the same again: no event
	if n := len(pub.of(event.TypeVM)) - before; n != 1 {
		t.Errorf("%d vm events for one change, want 1", n)
	}
	vm, err := inv.Refresh(c, "h", uuid)
	if err != nil {
		t.Fatal(err)
	}
	if len(vm.Addresses) != 1 || vm.Addresses[0].IP != "10.0.0.5" || vm.Guest == nil || vm.Guest.Agent != "disconnected" {
		t.Fatalf("a re-read lost the addresses: %+v %+v", vm.Addresses, vm.Guest)
	}
	c.SetState(u, virt.StateShutoff)
	vm, err = inv.Refresh(c, "h", uuid)
	if err != nil {
		t.Fatal(err)
	}
	if len(vm.Addresses) != 0 || vm.Addresses == nil || vm.Guest != nil {
		t.Errorf("a stopped VM keeps %+v %+v", vm.Addresses, vm.Guest)
	}
	// A late read of the stopped VM changes nothing.
	inv.SetGuest("h", uuid, addrs, g)
	if got, _ := inv.Get("h", uuid); len(got.Addresses) != 0 {
		t.Errorf("SetGuest on a stopped VM stored %+v", got.Addresses)
	}
}
