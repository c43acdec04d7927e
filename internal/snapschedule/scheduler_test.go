package snapschedule

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
)

// fakeClock is a clock the test sets; After is never due by itself (the
// tests call tick).
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) After(time.Duration) <-chan time.Time {
	return make(chan time.Time)
}
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// fakeSnaps is an in-memory snapshot manager: the scheduler's own seam, not
// libvirt's (the real one is tested against libvirtd in test/integration).
type fakeSnaps struct {
	mu      sync.Mutex
	clock   *fakeClock
	snaps   map[string][]snapshot.Snapshot
	fail    bool
	full    bool
	removed []string
}

func (f *fakeSnaps) Take(_ context.Context, h, u string, req snapshot.TakeRequest, _ operation.Reporter) (snapshot.TakeResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return snapshot.TakeResult{}, problem.New(problem.Unavailable, "libvirt_error", "libvirt said no", "")
	}
	k := h + "/" + u
	for _, s := range f.snaps[k] {
		if s.Name == req.Name {
			return snapshot.TakeResult{}, problem.New(problem.Conflict, problem.CodeSnapshotExists, "exists", "")
		}
	}
	sn := snapshot.Snapshot{Name: req.Name, CreationTime: f.clock.Now().Truncate(time.Second)}
	f.snaps[k] = append(f.snaps[k], sn)
	return snapshot.TakeResult{Snapshot: sn, Consistency: snapshot.ConsistencyCrash}, nil
}

func (f *fakeSnaps) Remove(h, u, name string, _ operation.Reporter) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := h + "/" + u
	f.snaps[k] = slices.DeleteFunc(f.snaps[k], func(s snapshot.Snapshot) bool { return s.Name == name })
	f.removed = append(f.removed, name)
	return nil
}

func (f *fakeSnaps) Snapshots(_ context.Context, h, u string) ([]snapshot.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.snaps[h+"/"+u]), nil
}

func (f *fakeSnaps) Pools(string, string) ([]snapshot.PoolUse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.full {
		return []snapshot.PoolUse{{Pool: "default", Capacity: 100, Allocation: 95}}, nil
	}
	return []snapshot.PoolUse{{Pool: "default", Capacity: 100, Allocation: 50}}, nil
}

func (f *fakeSnaps) names(h, u string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n []string
	for _, s := range f.snaps[h+"/"+u] {
		n = append(n, s.Name)
	}
	sort.Strings(n)
	return n
}

type fakeVMs struct{ vms []inventory.VM }

func (v fakeVMs) WaitVM(_ context.Context, h, u string) (inventory.VM, error) {
	for _, vm := range v.vms {
		if vm.Host == h && vm.UUID == u {
			return vm, nil
		}
	}
	return inventory.VM{}, problem.New(problem.NotFound, problem.CodeVMNotFound, "no such VM", "")
}
func (v fakeVMs) ListWait(_ context.Context, h string) []inventory.VM {
	var out []inventory.VM
	for _, vm := range v.vms {
		if vm.Host == h {
			out = append(out, vm)
		}
	}
	return out
}

type recorder struct {
	mu     sync.Mutex
	events []Event
	audits []audit.Entry
}

func (r *recorder) Publish(typ event.Type, data any) {
	if typ == event.TypeSchedule {
		r.mu.Lock()
		r.events = append(r.events, data.(Event))
		r.mu.Unlock()
	}
}
func (r *recorder) Write(e audit.Entry) error {
	r.mu.Lock()
	r.audits = append(r.audits, e)
	r.mu.Unlock()
	return nil
}

const (
	uuidA = "11111111-2222-3333-4444-555555555555"
	uuidB = "11111111-2222-3333-4444-666666666666"
)

type rig struct {
	t     *testing.T
	dir   string
	clock *fakeClock
	snaps *fakeSnaps
	vms   fakeVMs
	rec   *recorder
	ops   *operation.Manager
	s     *Scheduler
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, dir: t.TempDir(), clock: &fakeClock{now: time.Date(2026, 12, 7, 20, 0, 30, 0, time.UTC)}, rec: &recorder{}}
	r.snaps = &fakeSnaps{clock: r.clock, snaps: map[string][]snapshot.Snapshot{}}
	r.vms = fakeVMs{vms: []inventory.VM{
		{Host: "local", UUID: uuidA, Name: "a", State: inventory.State("running"), Persistent: true},
		{Host: "local", UUID: uuidB, Name: "b", State: inventory.State("shutoff"), Persistent: true},
	}}
	r.ops = operation.New(operation.Options{Now: r.clock.Now})
	r.start()
	return r
}

// start builds a scheduler over the data dir, as a server start does.
func (r *rig) start() {
	s, err := New(Options{DataDir: r.dir, Snapshots: r.snaps, Operations: r.ops, VMs: r.vms, Bus: r.rec, Audit: r.rec,
		Clock: r.clock, Location: time.UTC, RunsPerHost: 1})
	if err != nil {
		r.t.Fatal(err)
	}
	s.started = r.clock.Now()
	r.s = s
}

// at sets the clock and runs what is due, waiting for the runs to end.
func (r *rig) at(t time.Time) {
	r.clock.Set(t)
	r.s.tick(context.Background(), t)
	r.s.runs.Wait()
}

func (r *rig) policy(sp Spec) View {
	r.t.Helper()
	v, err := r.s.Create(sp)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

func TestRunsAndRetention(t *testing.T) {
	r := newRig(t)
	// A hand-made snapshot whose name the policy would make, taken before.
	r.snaps.snaps["local/"+uuidA] = []snapshot.Snapshot{{Name: "auto-hourly-20261207-2100", CreationTime: time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)}}
	v := r.policy(Spec{Name: "hourly", Schedule: "@hourly", Retention: Retention{Last: 2}, Targets: []Target{{Host: "local", UUID: uuidA}}})
	if len(v.Next) != 3 || !v.Next[0].Equal(time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)) {
		t.Fatalf("next runs %v", v.Next)
	}
	// 21:00 collides with the hand-made name: the run fails, and the hand-made one stays.
	r.at(time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC))
	got, _ := r.s.Get(v.ID)
	if got.Status.Last == nil || got.Status.Last.State != RunFailed || got.Status.Failures != 1 {
		t.Fatalf("collision: %+v", got.Status.Last)
	}
	r.snaps.mu.Lock()
	r.snaps.snaps["local/"+uuidA][0].Name = "auto-hourly-20261207-2000" // renamed "by hand": still not the policy's
	r.snaps.mu.Unlock()
	for h := 22; h <= 25; h++ {
		r.at(time.Date(2026, 12, 7, h, 0, 5, 0, time.UTC))
	}
	want := []string{"auto-hourly-20261207-2000", "auto-hourly-20261208-0000", "auto-hourly-20261208-0100"}
	if n := r.snaps.names("local", uuidA); !slices.Equal(n, want) {
		t.Fatalf("after 4 runs: %v, want %v", n, want)
	}
	got, _ = r.s.Get(v.ID)
	if got.Status.Failures != 0 || got.Status.Last.State != RunSucceeded || len(got.Status.Last.VMs[0].Pruned) != 1 {
		t.Fatalf("last run %+v", got.Status.Last)
	}
	// Pin the oldest of the policy's; the next runs prune around it.
	if _, err := r.s.SetPin(context.Background(), "local", uuidA, "auto-hourly-20261208-0000", true); err != nil {
		t.Fatal(err)
	}
	r.at(time.Date(2026, 12, 8, 2, 0, 1, 0, time.UTC))
	r.at(time.Date(2026, 12, 8, 3, 0, 1, 0, time.UTC))
	want = []string{"auto-hourly-20261207-2000", "auto-hourly-20261208-0000", "auto-hourly-20261208-0200", "auto-hourly-20261208-0300"}
	if n := r.snaps.names("local", uuidA); !slices.Equal(n, want) {
		t.Fatalf("with a pin: %v, want %v", n, want)
	}
	// Every VM run is audited as the scheduler's.
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	if len(r.rec.audits) != 7 || r.rec.audits[0].User != "scheduler" || r.rec.audits[0].Result != audit.ResultError || r.rec.audits[6].Operation == "" {
		t.Fatalf("audit: %+v", r.rec.audits)
	}
}

func TestMissedRunOnceAtStart(t *testing.T) {
	r := newRig(t)
	v := r.policy(Spec{Name: "quarter", Schedule: "*/15 * * * *", Targets: []Target{{Host: "local", UUID: uuidA}}})
	r.at(time.Date(2026, 12, 7, 20, 15, 0, 0, time.UTC))
	// The server is down from 20:20 to 21:10 (slots 20:30 to 21:00 missed).
	r.clock.Set(time.Date(2026, 12, 7, 21, 10, 0, 0, time.UTC))
	r.start()
	r.at(time.Date(2026, 12, 7, 21, 10, 0, 0, time.UTC))
	got, _ := r.s.Get(v.ID)
	last := got.Status.Last
	if last == nil || !last.Missed || last.Skipped != 2 || !last.Slot.Equal(time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)) ||
		!strings.Contains(last.Message, "3 slot(s) missed") {
		t.Fatalf("missed run: %+v", last)
	}
	if n := r.snaps.names("local", uuidA); !slices.Equal(n, []string{"auto-quarter-20261207-2015", "auto-quarter-20261207-2100"}) {
		t.Fatalf("snapshots %v", n)
	}
	// Nothing more until 21:15.
	r.at(time.Date(2026, 12, 7, 21, 14, 59, 0, time.UTC))
	if n := r.snaps.names("local", uuidA); len(n) != 2 {
		t.Fatalf("ran again early: %v", n)
	}
	r.at(time.Date(2026, 12, 7, 21, 15, 0, 0, time.UTC))
	got, _ = r.s.Get(v.ID)
	if got.Status.Last.Missed || len(r.snaps.names("local", uuidA)) != 3 {
		t.Fatalf("next slot: %+v", got.Status.Last)
	}
}

func TestSkipsAndAlert(t *testing.T) {
	r := newRig(t)
	v := r.policy(Spec{Name: "all", Schedule: "* * * * *", Targets: []Target{{Host: "local", AllVMs: true}}})
	minute := func(m int) time.Time { return time.Date(2026, 12, 7, 20, m, 0, 0, time.UTC) }
	// b is shut off and the policy does not run while off: skipped.
	r.at(minute(1))
	got, _ := r.s.Get(v.ID)
	if got.Status.Last.State != RunSucceeded || len(got.Status.Last.VMs) != 2 {
		t.Fatalf("first run %+v", got.Status.Last)
	}
	for _, vr := range got.Status.Last.VMs {
		if vr.UUID == uuidB && (vr.State != RunSkipped || vr.Code != problem.CodeVMNotRunning) {
			t.Fatalf("shut-off VM: %+v", vr)
		}
	}
	// A full pool skips, with the reason.
	r.snaps.full = true
	r.at(minute(2))
	got, _ = r.s.Get(v.ID)
	if got.Status.Last.State != RunSkipped || !strings.Contains(got.Status.Last.Message, "95 % full") {
		t.Fatalf("full pool: %+v", got.Status.Last)
	}
	r.snaps.full = false
	// Other work on the VM: skipped with its reason.
	claim, err := r.ops.Claim(operation.Target{Host: "local", UUID: uuidA}, "snapshot-create", "x")
	if err != nil {
		t.Fatal(err)
	}
	r.at(minute(3))
	claim.Release()
	got, _ = r.s.Get(v.ID)
	if a := got.Status.Last.VMs[0]; a.UUID == uuidA && (a.State != RunSkipped || a.Code != problem.CodeSnapshotBusy) {
		t.Fatalf("busy VM: %+v", a)
	}
	// Three failures in a row raise the alert, and a success clears it.
	r.snaps.fail = true
	for m := 4; m <= 6; m++ {
		r.at(minute(m))
		got, _ = r.s.Get(v.ID)
		if got.Alert != (m == 6) {
			t.Fatalf("after %d failures alert=%v", m-3, got.Alert)
		}
	}
	r.rec.mu.Lock()
	lastEv := r.rec.events[len(r.rec.events)-1]
	r.rec.mu.Unlock()
	if lastEv.Policy == nil || !lastEv.Policy.Alert {
		t.Fatalf("the alert was not published: %+v", lastEv)
	}
	r.snaps.fail = false
	r.at(minute(7))
	if got, _ = r.s.Get(v.ID); got.Alert || got.Status.Failures != 0 {
		t.Fatalf("alert stays after a success: %+v", got.Status)
	}
}

func TestPersistedAndValidated(t *testing.T) {
	r := newRig(t)
	for _, bad := range []Spec{
		{Name: "", Schedule: "@daily"},
		{Name: "x y", Schedule: "@daily"},
		{Name: "ok", Schedule: "@every 5s"},
		{Name: "ok", Schedule: "@daily", NamePattern: "{policy}"},
		{Name: "ok", Schedule: "@daily", Retention: Retention{Last: -1}},
		{Name: "ok", Schedule: "@daily", Targets: []Target{{Host: "local", UUID: "nope"}}},
		{Name: "ok", Schedule: "@daily", Targets: []Target{{Host: "local", UUID: uuidA, AllVMs: true}}},
	} {
		if _, err := r.s.Create(bad); problem.KindOf(err) != problem.Invalid {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	v := r.policy(Spec{Name: "daily", Schedule: "@daily", Targets: []Target{{Host: "local", UUID: strings.ToUpper(uuidA)}}})
	if _, err := r.s.Create(Spec{Name: "DAILY", Schedule: "@daily"}); problem.KindOf(err) != problem.Conflict {
		t.Errorf("duplicate name: %v", err)
	}
	r.start()
	got, err := r.s.Get(v.ID)
	if err != nil || got.Targets[0].UUID != uuidA || got.ScheduleText != "at 00:00" {
		t.Fatalf("after a restart: %+v %v", got, err)
	}
	if len(r.s.ForVM("local", uuidA).Policies) != 1 || len(r.s.ForVM("local", uuidB).Policies) != 0 {
		t.Fatal("ForVM")
	}
	if err := r.s.Delete(v.ID); err != nil {
		t.Fatal(err)
	}
	r.start()
	if len(r.s.List()) != 0 {
		t.Fatal("deleted policy came back")
	}
	if fi, err := os.Stat(filepath.Join(r.dir, fileName)); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("store file: %v %v", fi, err)
	}
}

func TestRunsPerHost(t *testing.T) {
	r := newRig(t)
	var vms []inventory.VM
	for i := range 5 {
		vms = append(vms, inventory.VM{Host: "local", UUID: fmt.Sprintf("11111111-2222-3333-4444-%012d", i), Name: fmt.Sprint(i), State: "running", Persistent: true})
	}
	r.vms = fakeVMs{vms: vms}
	gate := &gateSnaps{fakeSnaps: r.snaps, release: make(chan struct{})}
	s, err := New(Options{DataDir: r.dir, Snapshots: gate, Operations: r.ops, VMs: r.vms, Clock: r.clock, Location: time.UTC, RunsPerHost: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(Spec{Name: "all", Schedule: "* * * * *", Targets: []Target{{Host: "local", AllVMs: true}}}); err != nil {
		t.Fatal(err)
	}
	s.tick(context.Background(), time.Date(2026, 12, 7, 20, 1, 0, 0, time.UTC))
	for range 5 {
		gate.waitRunning(t, 2)
		gate.release <- struct{}{}
	}
	s.runs.Wait()
	if gate.peak != 2 {
		t.Fatalf("peak runs at once: %d", gate.peak)
	}
}

// gateSnaps holds each Take until released, counting how many run at once.
type gateSnaps struct {
	*fakeSnaps
	mu            sync.Mutex
	cond          *sync.Cond
	running, peak int
	done          int
	release       chan struct{}
}

func (g *gateSnaps) Take(ctx context.Context, h, u string, req snapshot.TakeRequest, r operation.Reporter) (snapshot.TakeResult, error) {
	g.mu.Lock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	g.running++
	g.peak = max(g.peak, g.running)
	g.cond.Broadcast()
	g.mu.Unlock()
	<-g.release
	g.mu.Lock()
	g.running--
	g.done++
	g.mu.Unlock()
	return g.fakeSnaps.Take(ctx, h, u, req, r)
}

// waitRunning waits until min(n, what is left) Takes are waiting.
func (g *gateSnaps) waitRunning(t *testing.T, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		left := 5 - g.done
		ok := g.running >= min(n, left)
		g.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("runs did not start")
		}
		time.Sleep(time.Millisecond)
	}
}
