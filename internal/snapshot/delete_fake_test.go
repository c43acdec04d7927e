package snapshot

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// branched is a tree in which a snapshot with children has an older
// sibling: the shape on which libvirt 9.0's DELETE_CHILDREN crashed
// libvirtd.
//
//	r ─┬─ a ─┬─ a1 ── a11
//	   │     └─ a2
//	   └─ b
var branched = []string{"r", "a<r", "a1<a", "a11<a1", "a2<a", "b<r"}

// descendantsIn returns name's descendants in a spec list like branched.
func descendantsIn(specs []string, name string) []string {
	var out []string
	for _, s := range specs {
		n, p, _ := strings.Cut(s, "<")
		if p == name {
			out = append(out, n)
			out = append(out, descendantsIn(specs, n)...)
		}
	}
	return out
}

// TestDeleteLeavesFirst: every scope deletes what it names, and each
// snapshot only once all its descendants are gone (so that libvirt never
// re-parents children while deleting a subtree).
func TestDeleteLeavesFirst(t *testing.T) {
	tests := []struct {
		target, scope string
		deleted       []string // in any order that puts descendants first
		left          []string
	}{
		{"a", ScopeSubtree, []string{"a", "a1", "a11", "a2"}, []string{"b", "r"}},
		{"a", ScopeChildren, []string{"a1", "a11", "a2"}, []string{"a", "b", "r"}},
		{"r", ScopeChildren, []string{"a", "a1", "a11", "a2", "b"}, []string{"r"}},
		{"a", ScopeOne, []string{"a"}, []string{"a1", "a11", "a2", "b", "r"}},
		{"a", "", []string{"a"}, []string{"a1", "a11", "a2", "b", "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.target+"/"+tt.scope, func(t *testing.T) {
			r := newRig(t)
			r.addVM(virt.StateShutoff, nil)
			r.tree(branched...)
			r.conn.SetCurrent(vmRef(), "a11")
			op, err := r.svc.Delete(local, vmUUID, tt.target, tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			done := r.wait(op)
			if done.State != operation.Succeeded {
				t.Fatalf("delete ended %s: %+v", done.State, done.Error)
			}
			res := done.Result.(DeleteResult)
			if got := slices.Sorted(slices.Values(res.Deleted)); !slices.Equal(got, tt.deleted) {
				t.Errorf("deleted %q, want %q", res.Deleted, tt.deleted)
			}
			for i, name := range res.Deleted {
				for _, d := range descendantsIn(branched, name) {
					if j := slices.Index(res.Deleted, d); j > i {
						t.Errorf("%s deleted before its descendant %s (order %q)", name, d, res.Deleted)
					}
				}
			}
			if got := r.snapshotNames(); !slices.Equal(got, tt.left) {
				t.Errorf("left %q, want %q", got, tt.left)
			}
			if res.Current != r.conn.Current(vmRef()) {
				t.Errorf("result's current %q, libvirt's %q", res.Current, r.conn.Current(vmRef()))
			}
			if got := r.bus.changes(); len(got) != 1 || !strings.HasPrefix(got[0], "deleted:") {
				t.Errorf("events = %q, want one deleted event", got)
			}
		})
	}
}

// TestDeleteRefusals: what libvirt cannot delete is refused before any
// snapshot is deleted.
func TestDeleteRefusals(t *testing.T) {
	tests := []struct {
		name        string
		snaps       []virtfake.Snapshot
		target      string
		scope       string
		kind        problem.Kind
		code, inMsg string
	}{
		{"children of a leaf", []virtfake.Snapshot{{Name: "r"}}, "r", ScopeChildren, problem.Conflict, "no_children", "has no children"},
		{"unknown snapshot", []virtfake.Snapshot{{Name: "r"}}, "x", ScopeOne, problem.NotFound, "snapshot_not_found", `"x"`},
		{"bad scope", []virtfake.Snapshot{{Name: "r"}}, "r", "all", problem.Invalid, "invalid_scope", "not a choice"},
		{"external child of an internal parent", []virtfake.Snapshot{{Name: "r"}, {Name: "e", Parent: "r", External: true, Memory: "no", State: "disk-snapshot"}},
			"e", ScopeOne, problem.Unsupported, "delete_unsupported", "internal parent"},
		{"subtree with an external descendant", []virtfake.Snapshot{{Name: "r"}, {Name: "e", Parent: "r", External: true, Memory: "no", State: "disk-snapshot"}},
			"r", ScopeSubtree, problem.Unsupported, "delete_unsupported", "external descendants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			vm := r.addVM(virt.StateShutoff, nil)
			for _, s := range tt.snaps {
				r.conn.AddSnapshot(vmRef(), s)
			}
			_, err := r.svc.Delete(local, vmUUID, tt.target, tt.scope)
			// Not wantProblem: libvirt's rule for an external snapshot
			// over an internal parent has no fix to offer, so no hint.
			p, ok := problem.As(err)
			if !ok || p.Kind != tt.kind || p.Code != tt.code || !strings.Contains(p.Message, tt.inMsg) {
				t.Fatalf("error = %v, want a %s problem %s saying %q", err, tt.kind, tt.code, tt.inMsg)
			}
			if n := r.callCount("DeleteSnapshot web"); n != 0 {
				t.Errorf("DeleteSnapshot called %d times after a refusal", n)
			}
			if len(r.conn.Snapshots(vmRef())) != len(tt.snaps) {
				t.Errorf("snapshots changed: %+v", r.conn.Snapshots(vmRef()))
			}
			if h := r.ops.Holding(operation.Target{Host: local, UUID: vm.UUID}); h != nil {
				t.Errorf("the VM is still held after a refusal: %+v", h)
			}
		})
	}
}

// TestDeleteFailsHalfway: when libvirt refuses one deletion, the work
// stops there, and the result and message say what was deleted before.
func TestDeleteFailsHalfway(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateShutoff, nil)
	r.tree(branched...)
	calls := 0
	r.conn.Before("DeleteSnapshot", func() error {
		calls++ // the operation deletes one at a time
		if calls == 3 {
			return virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: disk is locked"}
		}
		return nil
	})
	op, err := r.svc.Delete(local, vmUUID, "r", ScopeSubtree)
	if err != nil {
		t.Fatal(err)
	}
	done := r.wait(op)
	msg := wantFailed(t, done, "libvirt_error")
	if !strings.Contains(msg, "disk is locked") || !strings.Contains(msg, "2 of 6 were deleted before") {
		t.Errorf("message %q does not say what happened", msg)
	}
	res, ok := done.Result.(DeleteResult)
	if !ok || len(res.Deleted) != 2 {
		t.Fatalf("result = %+v, want the 2 deleted", done.Result)
	}
	if left := len(r.conn.Snapshots(vmRef())); left != 4 {
		t.Errorf("%d snapshots left, want 4", left)
	}
}

// TestDeleteAllBranched: DeleteAll empties a branched tree leaves first.
func TestDeleteAllBranched(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StateShutoff, nil)
	r.tree(branched...)
	n, err := DeleteAll(r.conn, virt.Domain{Name: "web", UUID: vmRef()})
	if err != nil || n != len(branched) {
		t.Fatalf("DeleteAll = %d, %v; want %d", n, err, len(branched))
	}
	if left := r.conn.Snapshots(vmRef()); len(left) != 0 {
		t.Fatalf("left %+v", left)
	}
	// A snapshot deleted by someone else meanwhile is not an error.
	r.tree("x", "y<x")
	r.conn.Before("DeleteSnapshot", func() error { return virtfake.NoSnapshot("y") })
	if _, err := DeleteAll(r.conn, virt.Domain{Name: "web", UUID: vmRef()}); err == nil || !strings.Contains(err.Error(), "remain") {
		t.Fatalf("DeleteAll over snapshots that never go = %v, want an error saying they remain", err)
	}
	r.conn.Before("DeleteSnapshot", nil)
	r.conn.Fail("LeafSnapshots", errors.New("link down"))
	if _, err := DeleteAll(r.conn, virt.Domain{Name: "web", UUID: vmRef()}); err == nil {
		t.Fatal("DeleteAll ignored a failed listing")
	}
}
