package snapshot

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine/machinefake"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// rig is a Service over the real inventory and operation manager, with a
// fake libvirt under them: the service's logic runs as in production, only
// libvirtd is replaced.
type rig struct {
	t     *testing.T
	conn  *virtfake.Conn
	hosts *fakeHosts
	inv   *inventory.Inventory
	ops   *operation.Manager
	bus   *recordingBus
	svc   *Service
}

const local = "local"

// fakeHosts is the service's Clients over one fake link, which relink
// replaces with another link to the same fake (as a reconnect would).
type fakeHosts struct {
	mu   sync.Mutex
	conn virt.Conn
	down bool
	h    *host.Host
}

// relinked is a second link to the same fake: a different Conn.
type relinked struct{ *virtfake.Conn }

func (f *fakeHosts) Client(name string) (virt.Conn, error) {
	if _, err := f.Get(name); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, problem.New(problem.Unavailable, "host_unavailable", "host is not connected", "wait")
	}
	return f.conn, nil
}

func (f *fakeHosts) Get(name string) (*host.Host, error) {
	if name != local {
		return nil, inventory.ErrHostNotFound(name)
	}
	return f.h, nil
}

// relink replaces the host's link with a new one to the same fake.
func (f *fakeHosts) relink(c *virtfake.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conn, f.down = &relinked{c}, false
}

// recordingBus keeps the snapshot events published.
type recordingBus struct {
	mu     sync.Mutex
	events []Event
	bus    *event.Bus
}

func (b *recordingBus) Publish(typ event.Type, data any) {
	if ev, ok := data.(Event); ok && typ == event.TypeSnapshot {
		b.mu.Lock()
		b.events = append(b.events, ev)
		b.mu.Unlock()
	}
}

func (b *recordingBus) Subscribe(buf int, types ...event.Type) *event.Subscription {
	return b.bus.Subscribe(buf, types...)
}

// changes returns the published changes as "change:name,name".
func (b *recordingBus) changes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, ev := range b.events {
		out = append(out, fmt.Sprintf("%s:%s", ev.Change, strings.Join(ev.Names, ",")))
	}
	return out
}

func newRig(t *testing.T) *rig {
	t.Helper()
	// The host's machine is a fake without programs: unit tests run no
	// qemu-img (sizes say why they are unknown).
	h, err := host.New(host.Options{Name: local, URI: "qemu:///system", Machine: machinefake.New()})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	conn := virtfake.New()
	r := &rig{t: t, conn: conn, hosts: &fakeHosts{conn: conn, h: h},
		inv: inventory.New(inventory.Options{Logger: quiet}), ops: operation.New(operation.Options{Logger: quiet}),
		bus: &recordingBus{bus: event.New()}}
	r.svc = New(Options{Hosts: r.hosts, Inventory: r.inv, Operations: r.ops, Bus: r.bus, Logger: quiet,
		ProgressInterval: 5 * time.Millisecond})
	t.Cleanup(r.svc.bg.Close)
	return r
}

const vmUUID = "00000000-0000-4000-8000-000000000001"

func vmRef() virt.UUID {
	u, err := host.ParseUUID(vmUUID)
	if err != nil {
		panic(err)
	}
	return u
}

// addVM defines the test VM "web" in the fake, in the given state, with
// the domain definition dom (testDomain when nil), and reads it into the
// inventory.
func (r *rig) addVM(state virt.DomainState, dom *libvirtxml.Domain) inventory.VM {
	r.t.Helper()
	if dom == nil {
		dom = testDomain()
	}
	dom.Name, dom.UUID = "web", vmUUID
	doc, err := dom.Marshal()
	if err != nil {
		r.t.Fatal(err)
	}
	r.conn.Add(virtfake.Domain{Name: "web", UUID: vmRef(), State: state, Persistent: true, XML: doc})
	vm, err := r.inv.Refresh(r.conn, local, vmUUID)
	if err != nil {
		r.t.Fatalf("reading the VM into the inventory: %v", err)
	}
	return vm
}

// tree adds snapshots "name<parent" (a root when there is no "<"), in
// order; the last one added is current.
func (r *rig) tree(specs ...string) {
	r.t.Helper()
	for _, s := range specs {
		name, parent, _ := strings.Cut(s, "<")
		r.conn.AddSnapshot(vmRef(), virtfake.Snapshot{Name: name, Parent: parent})
	}
}

// names returns the fake's snapshot names, sorted.
func (r *rig) snapshotNames() []string {
	var out []string
	for _, s := range r.conn.Snapshots(vmRef()) {
		out = append(out, s.Name)
	}
	slices.Sort(out)
	return out
}

// wait waits (bounded) for an operation to end and returns it.
func (r *rig) wait(op operation.Op) operation.Op {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done, err := r.ops.Wait(ctx, op.ID)
	if err != nil {
		r.t.Fatalf("waiting for operation %s: %v", op.ID, err)
	}
	return done
}

// callCount counts the calls of a method (as Calls spells them).
func (r *rig) callCount(call string) int {
	n := 0
	for _, c := range r.conn.Calls() {
		if c == call {
			n++
		}
	}
	return n
}

// wantProblem fails unless err is a problem of kind and code with a hint.
func wantProblem(t *testing.T, err error, kind problem.Kind, code string) *problem.Error {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("error = %v, want a %s problem %s", err, kind, code)
	}
	if p.Kind != kind || p.Code != code || p.Hint == "" {
		t.Fatalf("problem = {kind %s, code %s, hint %q}, want {kind %s, code %s} with a hint (message %q)", p.Kind, p.Code, p.Hint, kind, code, p.Message)
	}
	return p
}

// wantFailed fails unless op failed with the given error code, and
// returns its message.
func wantFailed(t *testing.T, op operation.Op, code string) string {
	t.Helper()
	if op.State != operation.Failed || op.Error == nil || op.Error.Code != code {
		t.Fatalf("operation ended %s with error %+v, want failed with %s", op.State, op.Error, code)
	}
	return op.Error.Message
}
