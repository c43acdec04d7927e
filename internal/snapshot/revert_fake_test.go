package snapshot

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// TestRevertStateChecks: a revert that would lose a running VM's state
// needs confirmation, one libvirt cannot do is refused, and neither
// reaches libvirt's revert call.
func TestRevertStateChecks(t *testing.T) {
	external := virtfake.Snapshot{Name: "s1", External: true, Memory: "no", State: "disk-snapshot"}
	tests := []struct {
		name  string
		state virt.DomainState
		snap  virtfake.Snapshot
		req   RevertRequest
		kind  problem.Kind
		code  string
		inMsg string
	}{
		{"running VM, no confirmation", virt.StateRunning, virtfake.Snapshot{Name: "s1"}, RevertRequest{}, problem.Conflict, "confirm_required", `the current state of VM "web" (its memory and disks) since`},
		{"paused VM, no confirmation", virt.StatePaused, virtfake.Snapshot{Name: "s1"}, RevertRequest{}, problem.Conflict, "confirm_required", "needs confirmation"},
		{"external on libvirt 9.0", virt.StateShutoff, external, RevertRequest{}, problem.Unsupported, "revert_unsupported", "9.9.0 or newer"},
		{"bad after", virt.StateShutoff, virtfake.Snapshot{Name: "s1"}, RevertRequest{After: "stopped"}, problem.Invalid, "invalid_after", "not a choice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			vm := r.addVM(tt.state, nil)
			r.conn.AddSnapshot(vmRef(), tt.snap)
			_, err := r.svc.Revert(local, vmUUID, "s1", tt.req)
			p := wantProblem(t, err, tt.kind, tt.code)
			if !strings.Contains(p.Message, tt.inMsg) {
				t.Errorf("message %q lacks %q", p.Message, tt.inMsg)
			}
			if n := r.callCount("RevertSnapshot web"); n != 0 {
				t.Errorf("RevertSnapshot called %d times after a refusal", n)
			}
			if h := r.ops.Holding(operation.Target{Host: local, UUID: vm.UUID}); h != nil {
				t.Errorf("the VM is still held after a refusal: %+v", h)
			}
		})
	}
}

// TestRevertLeavesTheVMAsAsked: the VM ends in the state the snapshot
// recorded or the one asked for, the snapshot becomes current, and the
// result says what was lost.
func TestRevertLeavesTheVMAsAsked(t *testing.T) {
	tests := []struct {
		name    string
		vm      virt.DomainState
		snap    string // state recorded by the snapshot
		req     RevertRequest
		want    inventory.State
		confirm bool
	}{
		{"stopped VM to a running snapshot", virt.StateShutoff, "running", RevertRequest{}, "running", false},
		{"stopped VM, paused after", virt.StateShutoff, "running", RevertRequest{After: AfterPaused}, "paused", false},
		{"running VM to a stopped snapshot", virt.StateRunning, "shutoff", RevertRequest{Confirm: true}, "shutoff", true},
		{"running VM to a stopped snapshot, running after", virt.StateRunning, "shutoff", RevertRequest{Confirm: true, After: AfterRunning}, "running", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.addVM(tt.vm, nil)
			r.conn.AddSnapshot(vmRef(), virtfake.Snapshot{Name: "s1", State: tt.snap})
			r.tree("s2<s1")
			op, err := r.svc.Revert(local, vmUUID, "s1", tt.req)
			if err != nil {
				t.Fatal(err)
			}
			done := r.wait(op)
			if done.State != operation.Succeeded {
				t.Fatalf("revert ended %s: %+v", done.State, done.Error)
			}
			res := done.Result.(RevertResult)
			if res.Snapshot != "s1" || res.VMState != tt.want || res.Lost.Since == nil || !strings.Contains(res.Lost.Message, `snapshot "s2"`) {
				t.Errorf("result = %+v, want VM %s and the state since s2 lost", res, tt.want)
			}
			if cur := r.conn.Current(vmRef()); cur != "s1" {
				t.Errorf("current = %q, want s1", cur)
			}
			if got := r.bus.changes(); len(got) != 1 || got[0] != "reverted:s1" {
				t.Errorf("events = %q", got)
			}
		})
	}
}

// TestRevertFailures: libvirt's refusal of a risky revert asks the user to
// force it; a VM whose QEMU dies during the revert is reported stopped.
func TestRevertFailures(t *testing.T) {
	t.Run("risky", func(t *testing.T) {
		r := newRig(t)
		r.addVM(virt.StateShutoff, nil)
		r.tree("s1")
		r.conn.Fail("RevertSnapshot", virt.Error{Code: uint32(virt.ErrSnapshotRevertRisky), Message: "revert requires force: snapshot has no memory state"})
		op, err := r.svc.Revert(local, vmUUID, "s1", RevertRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if msg := wantFailed(t, r.wait(op), "revert_risky"); !strings.Contains(msg, "snapshot has no memory state") {
			t.Errorf("message %q lacks libvirt's reason", msg)
		}
	})
	t.Run("QEMU died", func(t *testing.T) {
		r := newRig(t)
		r.addVM(virt.StateRunning, nil)
		r.tree("s1")
		r.conn.Before("RevertSnapshot", func() error {
			r.conn.SetState(vmRef(), virt.StateShutoff)
			return virt.Error{Code: uint32(virt.ErrInternalError), Message: "Unable to read from monitor: Connection reset by peer"}
		})
		op, err := r.svc.Revert(local, vmUUID, "s1", RevertRequest{Confirm: true})
		if err != nil {
			t.Fatal(err)
		}
		if msg := wantFailed(t, r.wait(op), "vm_stopped"); !strings.Contains(msg, `during the revert to "s1"`) {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("plain refusal", func(t *testing.T) {
		r := newRig(t)
		r.addVM(virt.StateRunning, nil)
		r.tree("s1")
		r.conn.Fail("RevertSnapshot", virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: something"})
		op, err := r.svc.Revert(local, vmUUID, "s1", RevertRequest{Confirm: true})
		if err != nil {
			t.Fatal(err)
		}
		wantFailed(t, r.wait(op), "libvirt_error")
	})
}
