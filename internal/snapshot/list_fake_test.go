package snapshot

import (
	"context"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// TestListTreeAndOutsideChanges: List links libvirt's snapshots into a
// tree, and a tree changed behind the service's back (virsh) is published
// once as an "external" change, while changes of its own are not.
func TestListTreeAndOutsideChanges(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateRunning, nil)
	r.tree(branched...)
	r.conn.SetCurrent(vmRef(), "a2")
	list, err := r.svc.List(context.Background(), local, vmUUID, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if list.Count != 6 || list.Current != "a2" || list.VMState != "running" || len(list.Tree) != 1 || list.Tree[0].Name != "r" ||
		treeString(list.Tree) != treeString(buildForest(list.Snapshots, "a2").roots) || !list.Capabilities.Memory.Possible {
		t.Fatalf("list = %+v", list)
	}
	if got := names(list.Snapshots); strings.Join(got, " ") != "r a a1 a11 a2 b" {
		t.Errorf("order = %q, want parents before children, siblings oldest first", got)
	}
	if len(r.bus.changes()) != 0 {
		t.Errorf("the first list published %q", r.bus.changes())
	}

	r.conn.AddSnapshot(vmRef(), virtfake.Snapshot{Name: "virsh", Parent: "b"})
	if _, err := r.svc.List(context.Background(), local, vmUUID, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := r.bus.changes(); len(got) != 1 || got[0] != "external:" {
		t.Fatalf("events after an outside change = %q, want one external", got)
	}
	if _, err := r.svc.List(context.Background(), local, vmUUID, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := r.bus.changes(); len(got) != 1 {
		t.Fatalf("an unchanged tree published again: %q", got)
	}

	// A change of ours is not taken for an outside one.
	op, err := r.svc.Create(local, vmUUID, CreateRequest{Name: "ours"})
	if err != nil {
		t.Fatal(err)
	}
	if done := r.wait(op); done.State != operation.Succeeded {
		t.Fatalf("create ended %s: %+v", done.State, done.Error)
	}
	if _, err := r.svc.List(context.Background(), local, vmUUID, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := r.bus.changes(); len(got) != 2 || got[1] != "created:ours" {
		t.Fatalf("events = %q, want only our created after the external one", got)
	}
}

// TestListErrors: a host without a link and a failed listing are
// problems that say so.
func TestListErrors(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateRunning, nil)
	r.hosts.mu.Lock()
	r.hosts.down = true
	r.hosts.mu.Unlock()
	_, err := r.svc.List(context.Background(), local, vmUUID, ListOptions{})
	wantProblem(t, err, problem.Unavailable, "host_unavailable")

	r.hosts.relink(r.conn)
	r.conn.Fail("ListSnapshots", virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: busy"})
	_, err = r.svc.List(context.Background(), local, vmUUID, ListOptions{})
	wantProblem(t, err, problem.Upstream, "libvirt_error")
}

// TestEditDescription: a description edit redefines the snapshot and keeps
// the current snapshot as it was.
func TestEditDescription(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateShutoff, nil)
	r.tree("s1", "s2<s1")
	desc := "new words"
	for _, name := range []string{"s1", "s2"} {
		sn, err := r.svc.Edit(local, vmUUID, name, EditRequest{Description: &desc})
		if err != nil {
			t.Fatal(err)
		}
		if sn.Name != name || sn.Description != desc || sn.Current != (name == "s2") {
			t.Errorf("edited %s = %+v", name, sn)
		}
		if cur := r.conn.Current(vmRef()); cur != "s2" {
			t.Fatalf("editing %s made %q current", name, cur)
		}
	}
	if got := r.bus.changes(); strings.Join(got, " ") != "edited:s1 edited:s2" {
		t.Errorf("events = %q", got)
	}
	// The same description again changes nothing.
	before := r.callCount("RedefineSnapshot web")
	if _, err := r.svc.Edit(local, vmUUID, "s1", EditRequest{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	if r.callCount("RedefineSnapshot web") != before {
		t.Error("an unchanged description was redefined")
	}
	_, err := r.svc.Edit(local, vmUUID, "s1", EditRequest{})
	wantProblem(t, err, problem.Invalid, "missing_field")
	_, err = r.svc.Edit(local, vmUUID, "gone", EditRequest{Description: &desc})
	wantProblem(t, err, problem.NotFound, "snapshot_not_found")
}

// TestDetailsAndDiff: Get puts a snapshot's place in the tree, the VM's
// state and what a revert or delete would need together; Diff compares
// the configuration captured with it against today's.
func TestDetailsAndDiff(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateRunning, nil)
	r.tree("s1", "s2<s1")
	d, err := r.svc.Get(context.Background(), local, vmUUID, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "s1" || d.VMState != "running" || !d.Revert.NeedsConfirm || !d.Revert.Possible || !d.Delete.One.Possible ||
		!d.Delete.Children.Possible || !strings.Contains(d.DomainXML, "<name>web</name>") || len(d.Disks) != 1 || d.Disks[0].Name != "vda" {
		t.Errorf("details = %+v", d)
	}
	_, err = r.svc.Get(context.Background(), local, vmUUID, "nope")
	wantProblem(t, err, problem.NotFound, "snapshot_not_found")

	diff, err := r.svc.Diff(local, vmUUID, "s1")
	if err != nil || !diff.Identical {
		t.Fatalf("diff of an unchanged VM = %+v, %v", diff, err)
	}
	more := testDomain(func(x *libvirtxml.Domain) { x.Memory = &libvirtxml.DomainMemory{Value: 2, Unit: "GiB"} })
	more.Name, more.UUID = "web", vmUUID
	doc, err := more.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.conn.Define(doc); err != nil {
		t.Fatal(err)
	}
	diff, err = r.svc.Diff(local, vmUUID, "s1")
	if err != nil || diff.Identical || !strings.Contains(diff.Unified, "memory") {
		t.Fatalf("diff after a memory change = %+v, %v", diff, err)
	}
}
