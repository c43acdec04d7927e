package lifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

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
	t    *testing.T
	conn *virtfake.Conn
	inv  *inventory.Inventory
	ops  *operation.Manager
	svc  *Service

	// mach is the local host's computer; remoteMach the remote host's,
	// which, as a host reached over TLS, can do nothing.
	mach, remoteMach *machinefake.Machine
}

// fakeHosts is lifecycle's Clients over one fake link shared by all hosts.
type fakeHosts struct {
	conn  virt.Conn
	hosts map[string]*host.Host
}

func (f fakeHosts) Client(name string) (virt.Conn, error) {
	if _, err := f.Get(name); err != nil {
		return nil, err
	}
	return f.conn, nil
}

func (f fakeHosts) Get(name string) (*host.Host, error) {
	h, ok := f.hosts[name]
	if !ok {
		return nil, inventory.ErrHostNotFound(name)
	}
	return h, nil
}

const (
	local  = "local"
	remote = "remote"
)

func newRig(t *testing.T) *rig {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	r := &rig{t: t, conn: virtfake.New(), inv: inventory.New(inventory.Options{Logger: quiet}), ops: operation.New(operation.Options{Logger: quiet}),
		mach: machinefake.New(), remoteMach: machinefake.NewUnsupported("the host is reached over TLS")}
	hosts := map[string]*host.Host{}
	for _, hc := range []struct {
		name, uri string
		m         *machinefake.Machine
	}{{local, "qemu:///system", r.mach}, {remote, "qemu+tls://kvm2.example/system", r.remoteMach}} {
		h, err := host.New(host.Options{Name: hc.name, URI: hc.uri, Machine: hc.m})
		if err != nil {
			t.Fatal(err)
		}
		hosts[hc.name] = h
	}
	r.svc = New(Options{
		Hosts: fakeHosts{conn: r.conn, hosts: hosts}, Inventory: r.inv, Operations: r.ops,
		ShutdownTimeout: 20 * time.Second, PollInterval: 5 * time.Millisecond,
	})
	return r
}

// testUUID returns the n-th test UUID.
func testUUID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// diskXML is one <disk> element: typ "file" or "block".
func diskXML(typ, target, source string) string {
	attr := "file"
	if typ == "block" {
		attr = "dev"
	}
	return fmt.Sprintf(`<disk type='%s' device='disk'><driver name='qemu' type='raw'/><source %s='%s'/><target dev='%s' bus='virtio'/></disk>`,
		typ, attr, source, target)
}

// vmSpec describes a test VM.
type vmSpec struct {
	n         int
	name      string
	host      string
	state     virt.DomainState
	transient bool
	snapshots int
	disks     []string // diskXML elements
}

// add defines the VM in the fake and reads it into the inventory.
func (r *rig) add(s vmSpec) inventory.VM {
	r.t.Helper()
	u, err := host.ParseUUID(testUUID(s.n))
	if err != nil {
		r.t.Fatal(err)
	}
	if s.host == "" {
		s.host = local
	}
	if s.state == 0 {
		s.state = virt.StateShutoff
	}
	doc := fmt.Sprintf(`<domain type='kvm'><name>%s</name><uuid>%s</uuid><memory unit='KiB'>1024</memory><vcpu>1</vcpu>`+
		`<os><type arch='x86_64'>hvm</type></os><devices>`, s.name, testUUID(s.n))
	for _, d := range s.disks {
		doc += d
	}
	doc += `</devices></domain>`
	r.conn.Add(virtfake.Domain{Name: s.name, UUID: u, State: s.state, Persistent: !s.transient, Snapshots: s.snapshots, XML: doc})
	vm, err := r.inv.Refresh(r.conn, s.host, testUUID(s.n))
	if err != nil {
		r.t.Fatalf("reading %s into the inventory: %v", s.name, err)
	}
	return vm
}

func (r *rig) fakeDomain(n int) (virtfake.Domain, bool) {
	u, _ := host.ParseUUID(testUUID(n))
	return r.conn.Get(u)
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

// wantProblem fails unless err is a problem of kind and code with a hint.
func wantProblem(t *testing.T, err error, kind problem.Kind, code string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("error = %v, want a %s problem %s", err, kind, code)
	}
	if p.Kind != kind || p.Code != code || p.Hint == "" {
		t.Fatalf("problem = {kind %s, code %s, hint %q}, want {kind %s, code %s} with a hint (message %q)", p.Kind, p.Code, p.Hint, kind, code, p.Message)
	}
}
