// Package snapshot manages VM snapshots through libvirt: the tree of a VM's
// snapshots (fast for hundreds), creating them (with or without memory,
// quiesced through the guest agent when one is connected), reverting,
// deleting one, a subtree or only the descendants, editing descriptions,
// the details QEMU can tell (memory state size, image allocation), the
// configuration captured at snapshot time and its diff against today's,
// and a pre-flight that says which kinds of snapshot a VM can take and, if
// not, why and what would fix it.
//
// Names are checked before libvirt is called; snapshot XML is built with
// libvirtxml. Long work runs as operations, one snapshot operation per VM
// at a time (a second is refused with 409). libvirt emits no snapshot
// events, so the service publishes a "snapshot" event after every change it
// makes, and notices changes made elsewhere (virsh) when a VM's snapshot
// count changes or a list shows a different tree.
package snapshot

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/background"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Clients gives the live libvirt link of a host, and the host itself.
type Clients interface {
	Client(host string) (virt.Conn, error)
	Get(name string) (*host.Host, error)
}

// VMs is the part of the inventory this service needs.
type VMs interface {
	Get(host, uuid string) (inventory.VM, error)
	Refresh(c virt.Conn, host, uuid string) (inventory.VM, error)
}

// Operations holds VMs for exclusive work and runs that work in the
// background (operation.Manager).
type Operations interface {
	Claim(t operation.Target, kind, subject string) (*operation.Claim, error)
	Holding(t operation.Target) *operation.Hold
}

// Bus is where snapshot events are published and VM events are watched.
type Bus interface {
	Publish(typ event.Type, data any)
	Subscribe(buf int, types ...event.Type) *event.Subscription
}

// Options configures a Service.
type Options struct {
	Hosts      Clients
	Inventory  VMs
	Operations Operations
	Bus        Bus
	// Screens captures console screenshots stored with snapshots of active
	// VMs; nil stores none.
	Screens Screens
	// DataDir is KVM Manager's data directory; screenshots go to
	// DataDir/snapshots. Empty stores none.
	DataDir string
	Logger  *slog.Logger
	// ScreenshotTimeout bounds one screenshot capture (default 10 s).
	ScreenshotTimeout time.Duration
	// ProgressInterval is how often a running operation reports its
	// elapsed time and libvirt's job progress (default 1 s).
	ProgressInterval time.Duration
}

// Service is the snapshot manager.
type Service struct {
	opts  Options
	log   *slog.Logger
	cache *summaryCache
	shots shotStore

	mu     sync.Mutex
	counts map[string]int    // last snapshot count seen per VM
	prints map[string]uint64 // last tree fingerprint seen per VM
	gens   map[string]uint64 // changes made by this service per VM
	// shooting holds, per VM, a channel closed when the screenshot being
	// stored with a new snapshot is done.
	shooting map[string]chan struct{}

	// bg holds the work that goes on after an answer (re-reading a VM,
	// storing a snapshot's screenshot); Run waits for it.
	bg background.Group
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ScreenshotTimeout == 0 {
		opts.ScreenshotTimeout = 10 * time.Second
	}
	if opts.ProgressInterval == 0 {
		opts.ProgressInterval = time.Second
	}
	s := &Service{opts: opts, log: opts.Logger, cache: newSummaryCache(),
		counts: map[string]int{}, prints: map[string]uint64{}, gens: map[string]uint64{}, shooting: map[string]chan struct{}{}}
	if opts.DataDir != "" && opts.Screens != nil {
		s.shots.dir = filepath.Join(opts.DataDir, "snapshots")
	}
	return s
}

// target is one VM addressed by a request.
type target struct {
	vm  inventory.VM
	c   virt.Conn
	dom virt.Domain
	key string
}

func vmKey(hostName, uuid string) string { return hostName + "/" + uuid }

// target resolves a VM: it must be known to the inventory, and its host
// connected.
func (s *Service) target(hostName, uuid string) (target, error) {
	vm, err := s.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return target{}, err
	}
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return target{}, err
	}
	u, err := host.ParseUUID(vm.UUID)
	if err != nil {
		return target{}, err
	}
	return target{vm: vm, c: c, dom: virt.Domain{Name: vm.Name, UUID: u}, key: vmKey(hostName, vm.UUID)}, nil
}

// relink replaces a target's link with the host's current one: operations
// outlive the request, and the link may have been replaced meanwhile.
func (s *Service) relink(t *target) error {
	c, err := s.opts.Hosts.Client(t.vm.Host)
	if err != nil {
		return err
	}
	t.c = c
	return nil
}

// opTarget names the VM for an operation.
func (t target) opTarget() operation.Target {
	return operation.Target{Host: t.vm.Host, UUID: t.vm.UUID, Name: t.vm.Name}
}

// notFound is the problem for a snapshot the VM does not have.
func notFound(vmName, name string) error {
	return problem.New(problem.NotFound, problem.CodeSnapshotNotFound,
		fmt.Sprintf("VM %q has no snapshot named %q", vmName, problem.Clip(name)), "reload the snapshot list")
}

// libvirtProblem turns a libvirt error about a snapshot into a problem.
func libvirtProblem(err error, vmName, name, what string) error {
	if host.IsCode(err, virt.ErrNoDomainSnapshot) {
		return problem.Wrap(err, problem.NotFound, problem.CodeSnapshotNotFound,
			fmt.Sprintf("VM %q has no snapshot named %q", vmName, problem.Clip(name)), "reload the snapshot list")
	}
	return host.Problem(err, what)
}

// lookup finds one snapshot of a VM.
func (s *Service) lookup(t target, name string) (virt.DomainSnapshot, error) {
	if err := checkRef(name); err != nil {
		return virt.DomainSnapshot{}, err
	}
	snap, err := t.c.LookupSnapshot(t.dom, name)
	if err != nil {
		return snap, libvirtProblem(err, t.vm.Name, name, "find the snapshot")
	}
	return snap, nil
}

// summary reads one snapshot's list fields.
func (s *Service) summary(t target, snap virt.DomainSnapshot) (Snapshot, error) {
	doc, err := t.c.SnapshotXML(snap, 0)
	if err != nil {
		return Snapshot{}, libvirtProblem(err, t.vm.Name, snap.Name, "read the snapshot")
	}
	return parseSummary(doc)
}

// currentName returns the name of the VM's current snapshot, or "".
func currentName(t target) (string, error) {
	snap, err := t.c.CurrentSnapshot(t.dom)
	if err != nil {
		if host.IsCode(err, virt.ErrNoDomainSnapshot) {
			return "", nil
		}
		return "", host.Problem(err, "find the current snapshot")
	}
	return snap.Name, nil
}

// facts reads what the pre-flight needs, live from libvirt.
func (s *Service) facts(t target) (vmFacts, error) {
	f := vmFacts{Persistent: t.vm.Persistent}
	state, _, err := t.c.State(t.dom)
	if err != nil {
		return f, host.Problem(err, "read the VM's state")
	}
	f.State = inventory.StateName(state)
	doc, err := t.c.XML(t.dom, 0)
	if err != nil {
		return f, host.Problem(err, "read the VM's configuration")
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return f, fmt.Errorf("parse domain XML of %s: %w", t.vm.Name, err)
	}
	f.Domain = &d
	v, err := t.c.LibVersion()
	if err != nil {
		return f, host.Problem(err, "read the libvirt version")
	}
	f.Version = Version(v)
	return f, nil
}

// publish announces a change of a VM's snapshots.
func (s *Service) publish(ev Event) {
	if s.opts.Bus != nil {
		if ev.Names == nil {
			ev.Names = []string{}
		}
		s.opts.Bus.Publish(event.TypeSnapshot, ev)
	}
}

// changed is called after every change the service made: it reads the
// VM's snapshot count and current snapshot (two calls, not the whole tree:
// this is on every operation's path), refreshes the VM in the inventory,
// and publishes a "snapshot" event. The next list takes the tree it finds
// as the new baseline for noticing outside changes, rather than comparing
// it with one from before our change.
func (s *Service) changed(t target, change string, names []string) (current string, count int) {
	ev := Event{Host: t.vm.Host, UUID: t.vm.UUID, VM: t.vm.Name, Change: change, Names: names}
	n, nerr := t.c.SnapshotCount(t.dom)
	cur, cerr := currentName(t)
	s.mu.Lock()
	s.gens[t.key]++
	delete(s.prints, t.key)
	if nerr == nil {
		s.counts[t.key] = n
	} else {
		delete(s.counts, t.key)
	}
	s.mu.Unlock()
	if nerr != nil || cerr != nil {
		s.log.Warn("re-reading snapshots after a change failed", "vm", t.vm.Name, "err", errors.Join(nerr, cerr))
	}
	ev.Count, ev.Current = n, cur
	// The VM's snapshot count in the inventory is refreshed beside the
	// rest: re-reading a VM takes a few calls, and the "vm" event it
	// publishes carries the count that was just remembered, so it is not
	// taken for an outside change.
	s.bg.Go(func() {
		if _, err := s.opts.Inventory.Refresh(t.c, t.vm.Host, t.vm.UUID); err != nil {
			s.log.Warn("refreshing the VM after a snapshot change failed", "vm", t.vm.Name, "err", err)
		}
	})
	s.publish(ev)
	return cur, n
}

func currentOf(f *forest) string {
	for _, sn := range f.order {
		if sn.Current {
			return sn.Name
		}
	}
	return ""
}

// generation returns how many changes the service has made to a VM's
// snapshots.
func (s *Service) generation(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens[key]
}

func (s *Service) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.prints, key)
	delete(s.counts, key)
}

// asLibvirt finds a libvirt error in err's chain.
func asLibvirt(err error, le *virt.Error) bool {
	return errors.As(err, le)
}
