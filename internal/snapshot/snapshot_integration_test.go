//go:build integration

package snapshot

import (
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// TestDeleteAllBranchedTree builds, on a stopped test guest, the tree shape
// on which libvirt 9.0's DELETE_CHILDREN crashes libvirtd (a snapshot with
// children that has an older sibling), and deletes it all with DeleteAll.
func TestDeleteAllBranchedTree(t *testing.T) {
	if err := testguest.CheckBuilt(""); err != nil {
		t.Fatalf("%v (run scripts/build-test-guest.sh)", err)
	}
	l, err := testrig.Dial()
	if err != nil {
		t.Fatalf("libvirtd is not answering (run scripts/setup-libvirt.sh): %v", err)
	}
	defer l.Disconnect()
	name := testguest.UniqueName("kmsnap-")
	dom, err := testguest.Create(l, testguest.Options{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cl, err := testrig.Dial()
		if err == nil {
			defer cl.Disconnect()
			_ = testguest.Remove(cl, name, "")
		}
	}()
	create := func(n string) {
		t.Helper()
		doc, flags := createXML(createPlan{name: n})
		if _, err := l.DomainSnapshotCreateXML(dom, doc, uint32(flags)); err != nil {
			t.Fatalf("create %s: %v", n, err)
		}
	}
	revert := func(n string) {
		t.Helper()
		snap, err := l.DomainSnapshotLookupByName(dom, n, 0)
		if err == nil {
			err = l.DomainRevertToSnapshot(snap, 0)
		}
		if err != nil {
			t.Fatalf("revert %s: %v", n, err)
		}
	}
	// r ─┬─ c2 (older)
	//    └─ d1 ── d2
	create("r")
	create("c2")
	revert("r")
	create("d1")
	create("d2")
	n, err := DeleteAll(virt.New(l), dom)
	if err != nil || n != 4 {
		t.Fatalf("DeleteAll = %d, %v; want 4", n, err)
	}
	if left, err := l.DomainSnapshotNum(dom, 0); err != nil || left != 0 {
		t.Fatalf("%d snapshots left (%v)", left, err)
	}
}
