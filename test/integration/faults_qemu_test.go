//go:build integration

package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// fltKillDuring starts an operation with start, and kills g's QEMU as soon
// as libvirt shows g paused: it is for the length of a snapshot with
// memory, and of a revert to one (libvirt 9.0 reverts a running VM by
// starting a new, paused QEMU that loads the snapshot). It returns the operation's end and
// whether the kill happened while the operation still ran.
func fltKillDuring(t *testing.T, g guest, start func() opJSON) (op opJSON, killedDuring bool) {
	t.Helper()
	l := lv(t)
	started := start()
	ended := fltOpEnded(srv, started.ID)
	killed := false
	fltWatchPaused(l, g.Dom, 120*time.Second, ended, func() { killed = fltKillCurrentQemu(g) != 0 })
	op = fltWaitOp(t, srv, started.ID, 120*time.Second)
	// The operation may have ended in the instant between the pause and
	// the kill; then it really succeeded before QEMU died.
	return op, killed && op.State != "succeeded"
}

// fltShutOff waits until libvirt and the API both see g shut off, as they
// must once its QEMU was killed.
func fltShutOff(t *testing.T, g guest) {
	t.Helper()
	waitFor(t, 30*time.Second, g.Name+" shut off in libvirt and the API", func() bool {
		return virshState(t, g.Name) == "shutoff" && getVM(t, g.UUID).State == "shutoff"
	})
}

// TestFaultQemuKilledDuringSnapshot kills a VM's QEMU process while a
// snapshot with memory is being taken: the operation fails with a clear
// error, libvirt keeps no metadata of the snapshot, and the API's tree is
// libvirt's. The kill must land inside the operation at least once; an
// attempt where the snapshot finished first still has to leave a
// consistent tree.
func TestFaultQemuKilledDuringSnapshot(t *testing.T) {
	l := lv(t)
	g := fltGuest(t, l, testguest.Options{MemoryMiB: 384}, srv)
	fltBoot(t, g)
	snapCreate(t, g.UUID, map[string]any{"name": "base"})

	const attempts = 8
	exercised, raced := 0, 0
	for i := 1; i <= attempts && exercised < 2; i++ {
		if virshState(t, g.Name) != "running" {
			fltBoot(t, g)
			waitFor(t, 20*time.Second, "the API to see it running", func() bool { return getVM(t, g.UUID).State == "running" })
		}
		name := fmt.Sprintf("k%d", i)
		op, during := fltKillDuring(t, g, func() opJSON {
			var op opJSON
			if st, b := apiJSON("POST", snapPath(g.UUID), map[string]any{"name": name, "memory": true}, &op); st != 202 {
				t.Fatalf("snapshot %s: %d %s", name, st, b)
			}
			return op
		})
		names := virshSnapshotNames(t, g.Name)
		if during {
			exercised++
			t.Logf("attempt %d: QEMU killed during the snapshot: %s %+v", i, op.State, op.Error)
			fltClearFailure(t, "snapshot create whose QEMU was killed", op)
			if op.Error != nil && (op.Error.Code != "vm_stopped" || !strings.Contains(op.Error.Message, "was not taken")) {
				t.Errorf("snapshot whose QEMU was killed: %+v, want vm_stopped saying the snapshot was not taken", op.Error)
			}
			if slices.Contains(names, name) {
				t.Errorf("libvirt holds metadata of snapshot %q whose operation failed: %v", name, names)
			}
			fltShutOff(t, g)
		} else {
			raced++
			t.Logf("attempt %d: the snapshot ended before the kill: %s", i, op.State)
			if op.State != "succeeded" || !slices.Contains(names, name) {
				t.Errorf("snapshot %s ended %s %+v; libvirt has %v", name, op.State, op.Error, names)
			}
		}
		snapTreeMatches(t, g)
	}
	t.Logf("figure: QEMU killed during a snapshot create in %d attempts, after it in %d", exercised, raced)
	if exercised == 0 {
		t.Fatalf("the kill never landed during a snapshot create in %d attempts", attempts)
	}
	// The VM starts again and takes snapshots as before.
	if virshState(t, g.Name) != "running" {
		fltBoot(t, g)
	}
	snapCreate(t, g.UUID, map[string]any{"name": "after"})
	snapTreeMatches(t, g)
}

// TestFaultQemuKilledDuringRevert kills a VM's QEMU process while it is
// being reverted to a snapshot with memory: the operation fails with a
// clear error, the snapshots are unchanged (the API's tree is libvirt's),
// and the VM can be reverted afterwards.
func TestFaultQemuKilledDuringRevert(t *testing.T) {
	l := lv(t)
	g := fltGuest(t, l, testguest.Options{MemoryMiB: 384}, srv)
	fltBoot(t, g)
	snapSetMarkers(t, g, "alpha")
	snapCreate(t, g.UUID, map[string]any{"name": "r1"})
	snapCreate(t, g.UUID, map[string]any{"name": "r2"})
	before := virshTree(t, g.Name)

	const attempts = 8
	exercised, raced := 0, 0
	for i := 1; i <= attempts && exercised < 2; i++ {
		if virshState(t, g.Name) != "running" {
			fltBoot(t, g)
			waitFor(t, 20*time.Second, "the API to see it running", func() bool { return getVM(t, g.UUID).State == "running" })
		}
		op, during := fltKillDuring(t, g, func() opJSON {
			var op opJSON
			if st, b := apiJSON("POST", snapPath(g.UUID, "r1", "revert"), map[string]any{"confirm": true}, &op); st != 202 {
				t.Fatalf("revert: %d %s", st, b)
			}
			return op
		})
		if during {
			exercised++
			t.Logf("attempt %d: QEMU killed during the revert: %s %+v", i, op.State, op.Error)
			fltClearFailure(t, "revert whose QEMU was killed", op)
			if op.Error != nil && (op.Error.Code != "vm_stopped" || !strings.Contains(op.Error.Message, "shut off now")) {
				t.Errorf("revert whose QEMU was killed: %+v, want vm_stopped saying the VM is shut off", op.Error)
			}
			fltShutOff(t, g)
		} else {
			raced++
			t.Logf("attempt %d: the revert ended before the kill: %s", i, op.State)
			if op.State != "succeeded" {
				t.Errorf("revert ended %s %+v", op.State, op.Error)
			}
		}
		// No snapshot appeared or went, whatever happened.
		if after := virshTree(t, g.Name); !mapsEqual(before, after) {
			t.Errorf("the snapshot tree changed: %v → %v", before, after)
		}
		snapTreeMatches(t, g)
	}
	t.Logf("figure: QEMU killed during a revert in %d attempts, after it in %d", exercised, raced)
	if exercised == 0 {
		t.Fatalf("the kill never landed during a revert in %d attempts", attempts)
	}
	// A revert of the stopped VM brings the snapshot's memory back.
	if virshState(t, g.Name) == "running" {
		virsh(t, "destroy", g.Name)
	}
	snapDo(t, "POST", snapPath(g.UUID, "r1", "revert"), map[string]any{"confirm": true})
	if got := snapMarkers(t, g); got != "alpha:alpha:DISK-alpha" {
		t.Fatalf("after a revert following the failures the markers are %q, want alpha", got)
	}
	if l := snapTreeMatches(t, g); l.Current != "r1" {
		t.Errorf("current snapshot %q after reverting to r1", l.Current)
	}
}
