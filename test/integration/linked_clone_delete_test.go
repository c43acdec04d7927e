//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// TestDeleteKeepsLinkedClonesBase makes a linked clone of a test guest
// (its disk a qcow2 overlay on the guest's disk image) and deletes the
// guest: removing its disk image is refused with a 409 that names the
// clone, and nothing changes; deleting the guest while keeping the image
// works, and the clone's chain is whole afterwards.
func TestDeleteKeepsLinkedClonesBase(t *testing.T) {
	start := time.Now()
	l := lv(t)
	g := newGuest(t, l, "")
	// A pool over the guest's own folder: a clone's disks go into the
	// pool of the original's.
	dir := testguest.VMDir(guestDir, g.Name)
	pool := testguest.UniqueName("kmtest-lcp-")
	t.Cleanup(func() { stRemovePool(t, pool) })
	if st, b := api("POST", "/api/v1/hosts/local/pools", map[string]any{"name": pool, "path": dir}); st != 201 {
		t.Fatalf("create pool: %d %s", st, b)
	}
	cloneName := testguest.UniqueName("kmtest-lc-")
	crCreateOp(t, t, "/api/v1/hosts/local/vms/"+g.UUID+"/clone", map[string]any{"name": cloneName, "linked": true})
	base := testguest.DataDiskPath(guestDir, g.Name)
	overlay := filepath.Join(dir, cloneName+".qcow2")
	if chain := crBackingChain(t, overlay); len(chain) != 2 || chain[1] != base {
		t.Fatalf("the linked clone's chain: %v, want its overlay on %s", chain, base)
	}
	t.Logf("guest, pool and linked clone: %v", time.Since(start))

	before := virsh(t, "dumpxml", "--inactive", g.Name)
	st, b := api("DELETE", "/api/v1/hosts/local/vms/"+g.UUID, map[string]any{"disks": []string{"vdb"}})
	hwkErr(t, "delete with the image a linked clone backs onto", st, b, 409, "disk_has_dependents", `"`+cloneName+`"`)
	if after := virsh(t, "dumpxml", "--inactive", g.Name); after != before {
		t.Errorf("the refused delete changed the VM:\n%s", diffLines(before, after))
	}
	if _, err := os.Stat(base); err != nil {
		t.Errorf("the base image after the refused delete: %v", err)
	}

	// Without its image the VM goes, and the clone's chain stays whole.
	var op opJSON
	if st, b := apiJSON("DELETE", "/api/v1/hosts/local/vms/"+g.UUID, map[string]any{}, &op); st != 202 {
		t.Fatalf("delete keeping the image: %d %s", st, b)
	}
	if done := waitOp(t, op.ID, time.Minute); done.State != "succeeded" {
		t.Fatalf("delete keeping the image: %+v", done)
	}
	if chain := crBackingChain(t, overlay); len(chain) != 2 || chain[1] != base {
		t.Errorf("the linked clone's chain after its original's delete: %v", chain)
	}
	if _, err := os.Stat(base); err != nil {
		t.Errorf("the kept base image: %v", err)
	}
	t.Logf("linked clone delete check took %v", time.Since(start))
}
