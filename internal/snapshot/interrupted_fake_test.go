package snapshot

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// TestCreateInterrupted drives recoverCreate: after a create call that
// failed because the link broke (or QEMU died), the service looks again on
// the host's next link and says what became of the snapshot and the VM.
func TestCreateInterrupted(t *testing.T) {
	tests := []struct {
		name  string
		state virt.DomainState
		req   CreateRequest
		// during runs inside the failing call (the fake's state as the
		// interruption leaves it) and returns the call's error.
		during func(r *rig) error
		code   string // "" when the snapshot exists after all
		inMsg  []string
		vmEnds virt.DomainState
		resume bool
	}{
		{"answer lost, snapshot taken", virt.StateRunning, CreateRequest{Name: "s1"}, func(r *rig) error {
			r.conn.AddSnapshot(vmRef(), virtfake.Snapshot{Name: "s1"})
			r.hosts.relink(r.conn)
			return virt.ErrInterrupted
		}, "", nil, virt.StateRunning, false},
		{"libvirtd restarted, VM left paused", virt.StateRunning, CreateRequest{Name: "s1"}, func(r *rig) error {
			r.conn.SetStateReason(vmRef(), virt.StatePaused, int32(virt.PausedSave))
			r.hosts.relink(r.conn)
			return virt.ErrInterrupted
		}, "snapshot_interrupted", []string{"was not taken", "was resumed"}, virt.StateRunning, true},
		{"libvirtd restarted and stopped the VM", virt.StateRunning, CreateRequest{Name: "s1"}, func(r *rig) error {
			r.conn.SetStateReason(vmRef(), virt.StateShutoff, int32(virt.ShutoffDaemon))
			r.hosts.relink(r.conn)
			return virt.ErrInterrupted
		}, "snapshot_interrupted", []string{"libvirtd stopped it"}, virt.StateShutoff, false},
		{"libvirtd restarted, stopped VM", virt.StateShutoff, CreateRequest{Name: "s1"}, func(r *rig) error {
			r.hosts.relink(r.conn)
			return virt.ErrInterrupted
		}, "snapshot_interrupted", []string{"no record of it"}, virt.StateShutoff, false},
		{"paused by someone else: not resumed", virt.StateRunning, CreateRequest{Name: "s1"}, func(r *rig) error {
			r.conn.SetStateReason(vmRef(), virt.StatePaused, 1) // paused by the user
			r.hosts.relink(r.conn)
			return virt.ErrInterrupted
		}, "snapshot_interrupted", []string{"was not taken"}, virt.StatePaused, false},
		{"QEMU died", virt.StateRunning, CreateRequest{Name: "s1"}, func(r *rig) error {
			r.conn.SetState(vmRef(), virt.StateShutoff)
			return virt.Error{Code: uint32(virt.ErrInternalError), Message: "Unable to read from monitor: Connection reset by peer"}
		}, "vm_stopped", []string{"the snapshot was not taken"}, virt.StateShutoff, false},
		{"plain refusal", virt.StateRunning, CreateRequest{Name: "s1"}, func(r *rig) error {
			return virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: no space"}
		}, "libvirt_error", []string{"no space"}, virt.StateRunning, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.addVM(tt.state, nil)
			r.conn.Before("CreateSnapshot", func() error { return tt.during(r) })
			op, err := r.svc.Create(local, vmUUID, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			done := r.wait(op)
			if tt.code == "" {
				if done.State != operation.Succeeded || done.Result.(CreateResult).Snapshot.Name != "s1" {
					t.Fatalf("create ended %s (%+v), want the snapshot libvirt holds", done.State, done.Error)
				}
			} else {
				msg := wantFailed(t, done, tt.code)
				for _, s := range tt.inMsg {
					if !strings.Contains(msg, s) {
						t.Errorf("message %q lacks %q", msg, s)
					}
				}
			}
			if d, _ := r.conn.Get(vmRef()); d.State != tt.vmEnds {
				t.Errorf("VM ends in state %d, want %d", d.State, tt.vmEnds)
			}
			if resumed := r.conn.Called("Resume web"); resumed != tt.resume {
				t.Errorf("resumed = %v, want %v", resumed, tt.resume)
			}
		})
	}
}

// TestInterruptedVMBusy: a VM left paused while a job still runs on it is
// not resumed (the job may be QEMU still writing the snapshot).
func TestInterruptedVMBusy(t *testing.T) {
	r := newRig(t)
	r.addVM(virt.StatePaused, nil)
	r.conn.SetStateReason(vmRef(), virt.StatePaused, int32(virt.PausedSnapshot))
	r.conn.SetJob(vmRef(), true)
	tg, err := r.svc.target(local, vmUUID)
	if err != nil {
		t.Fatal(err)
	}
	if after := r.svc.afterInterruption(&tg, true); after != vmMaybePaused {
		t.Errorf("after = %d, want vmMaybePaused", after)
	}
	r.conn.SetJob(vmRef(), false)
	if after := r.svc.afterInterruption(&tg, true); after != vmResumed {
		t.Errorf("after the job = %d, want vmResumed", after)
	}
	if after := r.svc.afterInterruption(&tg, false); after != vmUntouched {
		t.Errorf("disk-only = %d, want vmUntouched", after)
	}
}
