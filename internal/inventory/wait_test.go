package inventory

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

type lookup struct {
	vm  VM
	err error
	at  time.Time
}

// waitVM runs WaitVM in a goroutine of the bubble and returns its answer
// channel once it is blocked (or done).
func waitVM(inv *Inventory, hostName, uuid string) <-chan lookup {
	out := make(chan lookup, 1)
	go func() {
		vm, err := inv.WaitVM(context.Background(), hostName, uuid)
		out <- lookup{vm, err, time.Now()}
	}()
	synctest.Wait()
	return out
}

// runLink runs Connected for one link until stop is called.
func runLink(inv *Inventory, h *host.Host, c virt.Conn) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); inv.Connected(ctx, h, c) }()
	return func() { cancel(); <-done }
}

// A VM asked for while its host makes its first connection is answered
// once the host's first listing is read, not with "no such VM".
func TestWaitVMWaitsForTheFirstListing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := virtfake.New()
		addFake(t, c, 1, "web", virt.StateRunning)
		inv := newFakeInventory(&recorder{})
		inv.AddHost("h1") // connecting: no StateChanged yet
		h := testHost(t, "h1")

		answer := waitVM(inv, "h1", fakeUUID(1))
		select {
		case a := <-answer:
			t.Fatalf("WaitVM answered %+v, %v before the host's VMs were listed", a.vm, a.err)
		default:
		}
		inv.StateChanged(h, host.Status{Name: "h1", State: host.Connected})
		stop := runLink(inv, h, c)
		defer stop()
		a := <-answer
		if a.err != nil || a.vm.Name != "web" || a.vm.State != StateRunning {
			t.Fatalf("WaitVM = %+v, %v; want web, running", a.vm, a.err)
		}
		// Listed: the next lookup answers at once, also for a VM that is
		// not there.
		start := time.Now()
		if _, err := inv.WaitVM(context.Background(), "h1", fakeUUID(2)); problem.KindOf(err) != problem.NotFound || time.Since(start) != 0 {
			t.Errorf("WaitVM of a missing VM after the listing: %v after %v; want not found at once", err, time.Since(start))
		}
	})
}

// A host that never answers holds a lookup for SyncWait at most; a host
// that is reconnecting or failed is answered from the cache at once.
func TestWaitVMIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inv := newFakeInventory(&recorder{})
		inv.AddHost("h1")
		start := time.Now()
		a := <-waitVM(inv, "h1", fakeUUID(1))
		if problem.KindOf(a.err) != problem.NotFound || a.at.Sub(start) != SyncWait {
			t.Errorf("WaitVM on a host that never connects: %v after %v; want not found after %v", a.err, a.at.Sub(start), SyncWait)
		}

		for _, st := range []host.State{host.Reconnecting, host.Failed} {
			inv.StateChanged(testHost(t, "h1"), host.Status{Name: "h1", State: st})
			start := time.Now()
			a := <-waitVM(inv, "h1", fakeUUID(1))
			if problem.KindOf(a.err) != problem.NotFound || a.at.Sub(start) != 0 {
				t.Errorf("WaitVM on a %s host: %v after %v; want not found at once", st, a.err, a.at.Sub(start))
			}
		}

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		inv.StateChanged(testHost(t, "h1"), host.Status{Name: "h1", State: host.Connected})
		start = time.Now()
		if _, err := inv.WaitVM(ctx, "h1", fakeUUID(1)); problem.KindOf(err) != problem.NotFound || time.Since(start) != 0 {
			t.Errorf("WaitVM with an ended context: %v after %v", err, time.Since(start))
		}
		if _, err := inv.WaitVM(context.Background(), "nope", fakeUUID(1)); err == nil {
			t.Error("WaitVM of an unknown host succeeded")
		} else if p, _ := problem.As(err); p.Code != problem.CodeHostNotFound {
			t.Errorf("WaitVM of an unknown host: %v, want host_not_found", err)
		}
	})
}

// Lists wait for connected hosts only: a host still making its first
// connection may never answer, and the list must not hang with it.
func TestListWaitWaitsForConnectedHostsOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := virtfake.New()
		addFake(t, c, 1, "web", virt.StateRunning)
		inv := newFakeInventory(&recorder{})
		inv.AddHost("h1")
		inv.AddHost("h2")
		h1 := testHost(t, "h1")

		start := time.Now()
		if vms := inv.ListWait(context.Background(), ""); len(vms) != 0 || time.Since(start) != 0 {
			t.Fatalf("ListWait while connecting = %d VMs after %v; want none at once", len(vms), time.Since(start))
		}

		// h1 is connected but not yet listed: its list waits, h2's does not.
		inv.StateChanged(h1, host.Status{Name: "h1", State: host.Connected})
		if vms := inv.ListWait(context.Background(), "h2"); len(vms) != 0 || time.Since(start) != 0 {
			t.Fatalf("ListWait(h2) = %d VMs after %v; want none at once", len(vms), time.Since(start))
		}
		out := make(chan []VM, 1)
		go func() { out <- inv.ListWait(context.Background(), "h1") }()
		synctest.Wait()
		select {
		case vms := <-out:
			t.Fatalf("ListWait(h1) answered %d VMs before h1's listing", len(vms))
		default:
		}
		stop := runLink(inv, h1, c)
		defer stop()
		if vms := <-out; len(vms) != 1 || vms[0].Name != "web" || vms[0].Host != "h1" {
			t.Fatalf("ListWait(h1) = %+v, want web of h1", vms)
		}
	})
}
