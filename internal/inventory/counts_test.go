package inventory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// Counts tells each host's VMs by state; a host without VMs is absent.
func TestCounts(t *testing.T) {
	c := virtfake.New()
	addFake(t, c, 1, "web", virt.StateRunning)
	addFake(t, c, 2, "db", virt.StateShutoff)
	addFake(t, c, 3, "cache", virt.StateRunning)
	inv := newFakeInventory(&recorder{})
	inv.AddHost("h1")
	inv.AddHost("empty")
	connect(t, inv, testHost(t, "h1"), c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range []int{1, 2, 3} {
		if _, err := inv.WaitVM(ctx, "h1", fakeUUID(n)); err != nil {
			t.Fatal(err)
		}
	}
	got := fmt.Sprint(inv.Counts())
	if want := "map[h1:map[running:2 shutoff:1]]"; got != want {
		t.Errorf("Counts = %s, want %s", got, want)
	}
}
