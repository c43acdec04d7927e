package snapshot

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// TestCreateTakesSnapshots runs Create end to end on the fake: the XML and
// flags reach libvirt, the new snapshot is current and a child of the one
// current before, and a "created" event names it.
func TestCreateTakesSnapshots(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateRunning, nil)
	op, err := r.svc.Create(local, vmUUID, CreateRequest{Name: "s1", Description: "before the upgrade"})
	if err != nil {
		t.Fatal(err)
	}
	done := r.wait(op)
	if done.State != operation.Succeeded {
		t.Fatalf("create ended %s: %+v", done.State, done.Error)
	}
	res, ok := done.Result.(CreateResult)
	if !ok {
		t.Fatalf("result = %T, want CreateResult", done.Result)
	}
	want := Snapshot{Name: "s1", Description: "before the upgrade", State: "running", Location: "internal", Memory: true, Current: true, Children: []string{}}
	got := res.Snapshot
	got.CreationTime = time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("snapshot = %+v, want %+v", got, want)
	}

	// A disk-only snapshot of the running VM is external, and a child of s1.
	op, err = r.svc.Create(local, vmUUID, CreateRequest{Name: "s2", Memory: boolp(false)})
	if err != nil {
		t.Fatal(err)
	}
	if done := r.wait(op); done.State != operation.Succeeded {
		t.Fatalf("disk-only create ended %s: %+v", done.State, done.Error)
	}
	snaps := r.conn.Snapshots(vmRef())
	if len(snaps) != 2 || snaps[1].Parent != "s1" || !snaps[1].External || snaps[1].State != "disk-snapshot" || snaps[1].Memory != "no" {
		t.Errorf("fake holds %+v, want s2 an external disk-only child of s1", snaps)
	}
	if cur := r.conn.Current(vmRef()); cur != "s2" {
		t.Errorf("current = %q, want s2", cur)
	}
	if got, want := r.bus.changes(), []string{"created:s1", "created:s2"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// TestCreateRefusals checks planCreate's checks through Create: each
// refusal comes before any snapshot call, and leaves the VM free.
func TestCreateRefusals(t *testing.T) {
	uefi := testDomain(pflashLoader)
	tests := []struct {
		name    string
		state   virt.DomainState
		dom     *libvirtxml.Domain
		version uint64
		tree    []string
		req     CreateRequest
		kind    problem.Kind
		code    string
	}{
		{"name taken", virt.StateRunning, nil, 0, []string{"s1"}, CreateRequest{Name: "s1"}, problem.Conflict, "snapshot_exists"},
		{"bad name", virt.StateRunning, nil, 0, nil, CreateRequest{Name: "a/b"}, problem.Invalid, "invalid_snapshot_name"},
		{"memory of a stopped VM", virt.StateShutoff, nil, 0, nil, CreateRequest{Name: "s1", Memory: boolp(true)}, problem.Conflict, "vm_not_running"},
		{"quiesce with memory", virt.StateRunning, nil, 0, nil, CreateRequest{Name: "s1", Quiesce: boolp(true)}, problem.Invalid, "quiesce_not_applicable"},
		{"quiesce without an agent", virt.StateRunning, nil, 0, nil, CreateRequest{Name: "s1", Memory: boolp(false), Quiesce: boolp(true)}, problem.Conflict, "quiesce_unavailable"},
		{"UEFI memory snapshot on libvirt 9", virt.StateRunning, uefi, 0, nil, CreateRequest{Name: "s1"}, problem.Unsupported, "snapshot_not_possible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			vm := r.addVM(tt.state, tt.dom)
			if tt.version != 0 {
				r.conn.SetVersion(tt.version)
			}
			r.tree(tt.tree...)
			_, err := r.svc.Create(local, vmUUID, tt.req)
			wantProblem(t, err, tt.kind, tt.code)
			if n := r.callCount("CreateSnapshot web"); n != 0 {
				t.Errorf("CreateSnapshot called %d times after a refusal", n)
			}
			if h := r.ops.Holding(operation.Target{Host: local, UUID: vm.UUID}); h != nil {
				t.Errorf("the VM is still held after a refusal: %+v", h)
			}
		})
	}
}

// TestCreateReadsTheVersionFromLibvirt: the UEFI refusal above depends on
// the version libvirt reports, not on a constant.
func TestCreateReadsTheVersionFromLibvirt(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateRunning, testDomain(pflashLoader))
	r.conn.SetVersion(11_000_000)
	op, err := r.svc.Create(local, vmUUID, CreateRequest{Name: "s1"})
	if err != nil {
		t.Fatalf("libvirt 11 takes memory snapshots of UEFI VMs: %v", err)
	}
	if done := r.wait(op); done.State != operation.Succeeded {
		t.Fatalf("create ended %s: %+v", done.State, done.Error)
	}
}

// TestCreateQuiesceFailure: a guest agent that cannot freeze the guest is
// reported as such, with a way out.
func TestCreateQuiesceFailure(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateRunning, testDomain(withAgent("connected")))
	r.conn.Fail("CreateSnapshot", virt.Error{Code: uint32(virt.ErrAgentUnresponsive), Message: "Guest agent is not responding: QEMU guest agent is not connected"})
	op, err := r.svc.Create(local, vmUUID, CreateRequest{Name: "s1", Memory: boolp(false)})
	if err != nil {
		t.Fatal(err)
	}
	msg := wantFailed(t, r.wait(op), "quiesce_failed")
	if !strings.Contains(msg, "guest agent is not responding") && !strings.Contains(msg, "Guest agent is not responding") {
		t.Errorf("message %q lacks libvirt's words", msg)
	}
}

// TestCreateProgress: while libvirt writes the snapshot, the operation
// reports the elapsed time and the percentage from libvirt's job
// statistics, read on the host's link.
func TestCreateProgress(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateRunning, nil)
	r.conn.SetJob(vmRef(), true,
		virt.TypedParam{Field: "memory_total", Value: virt.TypedParamValue{D: 4, I: uint64(200)}},
		virt.TypedParam{Field: "memory_processed", Value: virt.TypedParamValue{D: 4, I: uint64(50)}})
	seen := make(chan operation.Progress, 1)
	r.conn.Before("CreateSnapshot", func() error {
		// Block the call, as a long snapshot does, until a report with the
		// job's percentage arrives (bounded: a missing report fails the
		// operation and so the test).
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			for _, op := range r.ops.List() {
				if p := op.Progress; op.State == operation.Running && p.Percent != nil && *p.Percent == 25 {
					seen <- p
					return nil
				}
			}
			time.Sleep(time.Millisecond)
		}
		return fmt.Errorf("no progress report with 25 %%")
	})
	op, err := r.svc.Create(local, vmUUID, CreateRequest{Name: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if done := r.wait(op); done.State != operation.Succeeded {
		t.Fatalf("create ended %s: %+v", done.State, done.Error)
	}
	p := <-seen
	if !strings.HasPrefix(p.Stage, "saving memory and disks (") || !strings.Contains(p.Stage, "elapsed") {
		t.Errorf("stage = %q, want the stage with the elapsed time", p.Stage)
	}
	if r.callCount("JobStats web") == 0 {
		t.Error("JobStats was never called")
	}
}

// TestCreateStoppedVM: a snapshot of a stopped VM holds no
// memory and is internal.
func TestCreateStoppedVM(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateShutoff, nil)
	r.tree("base")
	op, err := r.svc.Create(local, vmUUID, CreateRequest{Name: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	done := r.wait(op)
	res, _ := done.Result.(CreateResult)
	if done.State != operation.Succeeded || res.Snapshot.Memory || res.Snapshot.Location != "internal" || res.Snapshot.State != "shutoff" || res.Snapshot.Parent != "base" {
		t.Fatalf("create ended %s with %+v (%+v)", done.State, res.Snapshot, done.Error)
	}
	if snaps := r.conn.Snapshots(vmRef()); len(snaps) != 2 || snaps[1] != (virtfake.Snapshot{Name: "s1", Parent: "base", State: "shutoff", Memory: "no",
		Created: snaps[1].Created, Domain: snaps[1].Domain}) {
		t.Errorf("fake holds %+v", snaps)
	}
}
