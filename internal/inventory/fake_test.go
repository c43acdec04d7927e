package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []published
}

type published struct {
	typ  event.Type
	data any
}

func (r *recorder) Publish(typ event.Type, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, published{typ, data})
}

func (r *recorder) of(typ event.Type) []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []any
	for _, e := range r.events {
		if e.typ == typ {
			out = append(out, e.data)
		}
	}
	return out
}

func fakeUUID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func addFake(t *testing.T, c *virtfake.Conn, n int, name string, s virt.DomainState) virt.UUID {
	t.Helper()
	u, err := host.ParseUUID(fakeUUID(n))
	if err != nil {
		t.Fatal(err)
	}
	c.Add(virtfake.Domain{Name: name, UUID: u, State: s, Persistent: true})
	return u
}

func newFakeInventory(pub *recorder) *Inventory {
	return New(Options{Publisher: pub, Logger: slog.New(slog.DiscardHandler), Interval: 10 * time.Millisecond})
}

// eventually polls cond (bounded) and fails with what when it stays false.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// connect runs Connected for one link until the test ends.
func connect(t *testing.T, inv *Inventory, h *host.Host, c virt.Conn) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); inv.Connected(ctx, h, c) }()
	t.Cleanup(func() { cancel(); <-done })
}

func testHost(t *testing.T, name string) *host.Host {
	t.Helper()
	h, err := host.New(host.Options{Name: name, URI: "qemu:///system"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A new link lists every VM (sorted by host, then name), marks the host
// synced, and publishes each VM once.
func TestConnectedListsVMs(t *testing.T) {
	c := virtfake.New()
	addFake(t, c, 1, "web", virt.StateRunning)
	addFake(t, c, 2, "db", virt.StateShutoff)
	addFake(t, c, 3, "cache", virt.StatePaused)
	pub := &recorder{}
	inv := newFakeInventory(pub)
	inv.AddHost("h1")
	if inv.Synced("h1") {
		t.Fatal("synced before any link")
	}
	connect(t, inv, testHost(t, "h1"), c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := inv.WaitVM(ctx, "h1", fakeUUID(1)); err != nil {
		t.Fatal(err)
	}
	if !inv.Synced("h1") {
		t.Fatal("not synced after the listing")
	}
	var got []string
	for _, vm := range inv.List() {
		got = append(got, vm.Name+"/"+string(vm.State))
	}
	want := []string{"cache/paused", "db/shutoff", "web/running"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	if n := len(pub.of(event.TypeVM)); n != 3 {
		t.Errorf("%d vm events, want 3", n)
	}
	web, err := inv.Get("h1", fakeUUID(1))
	if err != nil || !web.Persistent || web.ID == 0 || len(web.Actions) == 0 {
		t.Errorf("web = %+v, %v; want persistent, with an ID and actions", web, err)
	}
	if db, _ := inv.Get("h1", fakeUUID(2)); db.ID != 0 {
		t.Errorf("a stopped VM has ID %d", db.ID)
	}
}

// Unknown hosts and VMs are not-found problems.
func TestGetUnknown(t *testing.T) {
	inv := newFakeInventory(&recorder{})
	inv.AddHost("h1")
	_, err := inv.Get("nope", fakeUUID(1))
	if p, ok := problem.As(err); !ok || p.Code != "host_not_found" {
		t.Errorf("unknown host: %v", err)
	}
	_, err = inv.Get("h1", fakeUUID(1))
	if p, ok := problem.As(err); !ok || p.Code != "vm_not_found" {
		t.Errorf("unknown VM: %v", err)
	}
	if _, _, err := inv.History("h1", fakeUUID(1), time.Time{}); problem.KindOf(err) != problem.NotFound {
		t.Errorf("History of an unknown VM: %v", err)
	}
}

// A lifecycle event makes the VM be re-read, so its new state shows and is
// published; a VM that is gone when re-read is removed and announced.
func TestLifecycleEventRereadsVM(t *testing.T) {
	c := virtfake.New()
	web := addFake(t, c, 1, "web", virt.StateShutoff)
	pub := &recorder{}
	inv := newFakeInventory(pub)
	inv.AddHost("h1")
	h := testHost(t, "h1")
	connect(t, inv, h, c)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := inv.WaitVM(ctx, "h1", fakeUUID(1)); err != nil {
		t.Fatal(err)
	}

	c.SetState(web, virt.StateRunning)
	inv.Lifecycle(h, host.LifecycleEvent{Host: "h1", UUID: fakeUUID(1), Name: "web"})
	eventually(t, "web shows running", func() bool {
		vm, err := inv.Get("h1", fakeUUID(1))
		return err == nil && vm.State == "running"
	})

	c.Remove(web)
	inv.Lifecycle(h, host.LifecycleEvent{Host: "h1", UUID: fakeUUID(1), Name: "web"})
	eventually(t, "web removed", func() bool {
		_, err := inv.Get("h1", fakeUUID(1))
		return problem.KindOf(err) == problem.NotFound
	})
	removed := pub.of(event.TypeVMRemoved)
	if len(removed) != 1 || removed[0].(Removed).Name != "web" {
		t.Errorf("vm-removed events = %+v, want one for web", removed)
	}
}

// A state change that no event announced is caught by the stats tick, which
// queues the VM to be re-read; each tick is published and kept as history.
func TestStatsTickCatchesMissedChange(t *testing.T) {
	c := virtfake.New()
	web := addFake(t, c, 1, "web", virt.StateRunning)
	pub := &recorder{}
	inv := newFakeInventory(pub)
	connect(t, inv, testHost(t, "h1"), c)
	eventually(t, "a stats tick", func() bool { return len(pub.of(event.TypeStats)) > 0 })
	c.SetState(web, virt.StatePaused)
	eventually(t, "web shows paused", func() bool {
		vm, err := inv.Get("h1", fakeUUID(1))
		return err == nil && vm.State == "paused"
	})
	hist, _, err := inv.History("h1", fakeUUID(1), time.Time{})
	if err != nil || len(hist) == 0 {
		t.Errorf("History = %d samples, %v; want some", len(hist), err)
	}
}

// A relisting after a reconnect drops VMs that went away meanwhile.
func TestRelistDropsVanishedVMs(t *testing.T) {
	c := virtfake.New()
	addFake(t, c, 1, "web", virt.StateShutoff)
	db := addFake(t, c, 2, "db", virt.StateShutoff)
	pub := &recorder{}
	inv := newFakeInventory(pub)
	if err := inv.fullSync(c, "h1"); err != nil {
		t.Fatal(err)
	}
	c.Remove(db)
	time.Sleep(2 * time.Millisecond) // the relisting must start after the first read
	if err := inv.fullSync(c, "h1"); err != nil {
		t.Fatal(err)
	}
	if vms := inv.List(); len(vms) != 1 || vms[0].Name != "web" {
		t.Errorf("List = %+v, want web only", vms)
	}
	c.Fail("ListDomains", virt.Error{Code: 1, Message: "internal error"})
	if err := inv.fullSync(c, "h1"); err == nil {
		t.Error("a failed listing reported success")
	}
}

// Refresh reads one VM now; one that does not exist is not found and
// leaves the cache.
func TestRefresh(t *testing.T) {
	c := virtfake.New()
	addFake(t, c, 1, "web", virt.StateRunning)
	pub := &recorder{}
	inv := newFakeInventory(pub)
	vm, err := inv.Refresh(c, "h1", fakeUUID(1))
	if err != nil || vm.Name != "web" || vm.State != "running" {
		t.Fatalf("Refresh = %+v, %v", vm, err)
	}
	// Unchanged: no second vm event.
	if _, err := inv.Refresh(c, "h1", fakeUUID(1)); err != nil {
		t.Fatal(err)
	}
	if n := len(pub.of(event.TypeVM)); n != 1 {
		t.Errorf("%d vm events for one change, want 1", n)
	}
	if _, err := inv.Refresh(c, "h1", fakeUUID(7)); problem.KindOf(err) != problem.NotFound {
		t.Errorf("Refresh of a missing VM = %v, want not found", err)
	}
	if _, err := inv.Refresh(c, "h1", "not-a-uuid"); problem.KindOf(err) != problem.Invalid {
		t.Errorf("Refresh of a bad UUID = %v, want invalid", err)
	}
	c.Fail("XML", virt.Error{Code: 1, Message: "internal error"})
	if _, err := inv.Refresh(c, "h1", fakeUUID(1)); err == nil {
		t.Error("a failed read reported success")
	}
}

// Each running VM is asked once per run to report balloon statistics, and
// asked again after a restart (the period lives in the running QEMU); the
// guest's figures then reach the samples, apart from the host's.
func TestMemoryStatsPeriod(t *testing.T) {
	c := virtfake.New()
	web := addFake(t, c, 1, "web", virt.StateRunning)
	addFake(t, c, 2, "off", virt.StateShutoff)
	pub := &recorder{}
	inv := New(Options{Publisher: pub, Logger: slog.New(slog.DiscardHandler), Interval: 10 * time.Millisecond, MemoryStatsPeriod: 5})
	connect(t, inv, testHost(t, "h1"), c)
	eventually(t, "the period set", func() bool { d, _ := c.Get(web); return d.StatsPeriod == 5 })
	eventually(t, "a few more ticks", func() bool { return len(pub.of(event.TypeStats)) > 5 })
	count := func() int {
		n := 0
		for _, call := range c.Calls() {
			if call == "SetMemoryStatsPeriod web" {
				n++
			}
		}
		return n
	}
	if n := count(); n != 1 {
		t.Errorf("SetMemoryStatsPeriod called %d times for one run, want 1", n)
	}
	if c.Called("SetMemoryStatsPeriod off") {
		t.Error("the period was set on a VM that does not run")
	}
	c.SetState(web, virt.StateShutoff)
	c.SetState(web, virt.StateRunning)
	eventually(t, "the period set again after a restart", func() bool { d, _ := c.Get(web); return d.StatsPeriod == 5 && count() == 2 })

	c.SetBalloon(web, map[string]uint64{"balloon.available": 180000, "balloon.usable": 150000, "balloon.rss": 320000})
	eventually(t, "guest memory in the samples", func() bool {
		vm, err := inv.Get("h1", fakeUUID(1))
		return err == nil && vm.Stats != nil && vm.Stats.MemoryUsedKiB == 30000 && vm.Stats.MemoryTotalKiB == 180000 && vm.Stats.MemoryRSSKiB == 320000
	})
}
