package lifecycle

import (
	"context"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Each quick action makes exactly its libvirt call and answers with the VM
// as it is afterwards; an action that does not apply is refused before
// libvirt is asked anything.
func TestDoActions(t *testing.T) {
	tests := []struct {
		name   string
		from   virt.DomainState
		action string
		call   string          // the libvirt call made, "" when refused
		state  inventory.State // the VM's state afterwards
		code   string          // the refusal's code
	}{
		{"start a stopped VM", virt.StateShutoff, Start, "Start", "running", ""},
		{"pause a running VM", virt.StateRunning, Pause, "Suspend", "paused", ""},
		{"resume a paused VM", virt.StatePaused, Resume, "Resume", "running", ""},
		{"force off a running VM", virt.StateRunning, ForceOff, "Destroy", "shutoff", ""},
		{"force off a paused VM", virt.StatePaused, ForceOff, "Destroy", "shutoff", ""},
		{"reboot a running VM", virt.StateRunning, Reboot, "Reboot", "running", ""},
		{"reset a running VM", virt.StateRunning, Reset, "Reset", "running", ""},
		{"start a running VM", virt.StateRunning, Start, "", "running", "vm_already_running"},
		{"start a paused VM", virt.StatePaused, Start, "", "paused", "vm_paused"},
		{"resume a running VM", virt.StateRunning, Resume, "", "running", "vm_not_paused"},
		{"pause a stopped VM", virt.StateShutoff, Pause, "", "shutoff", "vm_not_running"},
		{"reboot a paused VM", virt.StatePaused, Reboot, "", "paused", "vm_paused"},
		{"force off a stopped VM", virt.StateShutoff, ForceOff, "", "shutoff", "vm_not_running"},
		{"shut down a stopped VM", virt.StateShutoff, Shutdown, "", "shutoff", "vm_not_running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			vm := r.add(vmSpec{n: 1, name: "web", state: tt.from})
			before := len(r.conn.Calls())
			res, err := r.svc.Do(context.Background(), local, vm.UUID, tt.action, Request{})
			var made []string
			for _, c := range r.conn.Calls()[before:] {
				switch c {
				case "Start web", "Suspend web", "Resume web", "Destroy web", "Reboot web", "Reset web", "Shutdown web":
					made = append(made, c)
				}
			}
			if tt.code != "" {
				wantProblem(t, err, problem.Conflict, tt.code)
				if len(made) != 0 {
					t.Errorf("refused, yet libvirt was asked to %v", made)
				}
			} else {
				if err != nil {
					t.Fatalf("Do = %v", err)
				}
				if want := tt.call + " web"; len(made) != 1 || made[0] != want {
					t.Errorf("libvirt calls = %v, want [%s]", made, want)
				}
				if res.VM == nil || res.VM.State != tt.state || res.Operation != nil {
					t.Errorf("result = %+v, want the VM, %s, and no operation", res, tt.state)
				}
			}
			got, err := r.inv.Get(local, vm.UUID)
			if err != nil || got.State != tt.state {
				t.Errorf("inventory has %q (%v), want %q", got.State, err, tt.state)
			}
		})
	}
}

// Requests that make no sense are refused before the VM is looked at.
func TestDoRefusesBadRequests(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web", state: virt.StateRunning})
	tests := []struct {
		name   string
		action string
		req    Request
		kind   problem.Kind
		code   string
	}{
		{"unknown action", "explode", Request{}, problem.NotFound, "unknown_action"},
		{"timeout on a non-shutdown", Reboot, Request{TimeoutSeconds: 5}, problem.Invalid, "invalid_field"},
		{"negative timeout", Shutdown, Request{TimeoutSeconds: -1}, problem.Invalid, "invalid_timeout"},
		{"timeout above an hour", Shutdown, Request{TimeoutSeconds: 3601}, problem.Invalid, "invalid_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.conn.Calls())
			_, err := r.svc.Do(context.Background(), local, vm.UUID, tt.action, tt.req)
			wantProblem(t, err, tt.kind, tt.code)
			if calls := r.conn.Calls()[before:]; len(calls) != 0 {
				t.Errorf("libvirt was called: %v", calls)
			}
		})
	}
	_, err := r.svc.Do(context.Background(), local, testUUID(99), Start, Request{})
	wantProblem(t, err, problem.NotFound, "vm_not_found")
}

// A libvirt refusal becomes a problem that says what failed, and the VM is
// left as it was.
func TestDoReportsLibvirtFailure(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web", state: virt.StateShutoff})
	r.conn.Fail("Start", virt.Error{Code: uint32(virt.ErrOperationInvalid), Message: "domain is already active"})
	_, err := r.svc.Do(context.Background(), local, vm.UUID, Start, Request{})
	wantProblem(t, err, problem.Conflict, "vm_state_conflict")
	if d, _ := r.fakeDomain(1); d.State != virt.StateShutoff {
		t.Errorf("domain state = %d, want shutoff", d.State)
	}
}

// Shutdown asks the guest and returns an operation that succeeds once the
// guest has really powered off, and not before.
func TestShutdownWaitsForPowerOff(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web", state: virt.StateRunning})
	res, err := r.svc.Do(context.Background(), local, vm.UUID, Shutdown, Request{})
	if err != nil || res.Operation == nil {
		t.Fatalf("Do = %+v, %v; want an operation", res, err)
	}
	if !r.conn.Called("Shutdown web") {
		t.Fatalf("no ACPI shutdown request: %v", r.conn.Calls())
	}
	// The guest has not powered off: after the operation has looked a few
	// times, it must still run.
	r.waitCalls("State web", 3)
	if op, _ := r.ops.Get(res.Operation.ID); op.State != operation.Running {
		t.Fatalf("operation is %s before the guest powered off", op.State)
	}
	r.conn.SetState(mustUUID(t, vm.UUID), virt.StateShutoff)
	if op := r.wait(*res.Operation); op.State != operation.Succeeded {
		t.Fatalf("operation = %+v, want succeeded", op)
	}
	if got, _ := r.inv.Get(local, vm.UUID); got.State != "shutoff" {
		t.Errorf("inventory state = %q, want shutoff", got.State)
	}
}

// A transient VM vanishes when it powers off: that is success too.
func TestShutdownOfTransientVM(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "tmp", state: virt.StateRunning, transient: true})
	res, err := r.svc.Do(context.Background(), local, vm.UUID, Shutdown, Request{})
	if err != nil {
		t.Fatal(err)
	}
	r.conn.Remove(mustUUID(t, vm.UUID))
	if op := r.wait(*res.Operation); op.State != operation.Succeeded {
		t.Fatalf("operation = %+v, want succeeded", op)
	}
}

// A guest that ignores ACPI makes the operation fail with a hint to force
// it off, after the timeout the request asked for.
func TestShutdownTimesOut(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web", state: virt.StateRunning})
	res, err := r.svc.Do(context.Background(), local, vm.UUID, Shutdown, Request{TimeoutSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	op := r.wait(*res.Operation)
	if op.State != operation.Failed || op.Error == nil || op.Error.Code != "shutdown_timeout" {
		t.Fatalf("operation = %+v, want failed with shutdown_timeout", op)
	}
}

// Autostart changes only for persistent VMs, and the answer shows it.
func TestSetAutostart(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web"})
	got, err := r.svc.SetAutostart(local, vm.UUID, true)
	if err != nil || !got.Autostart {
		t.Fatalf("SetAutostart = %+v, %v; want autostart on", got, err)
	}
	if d, _ := r.fakeDomain(1); !d.Autostart {
		t.Error("libvirt's autostart flag is still off")
	}
	tmp := r.add(vmSpec{n: 2, name: "tmp", state: virt.StateRunning, transient: true})
	_, err = r.svc.SetAutostart(local, tmp.UUID, true)
	wantProblem(t, err, problem.Conflict, "vm_transient")
	if r.conn.Called("SetAutostart tmp") {
		t.Error("libvirt was asked to set autostart of a transient VM")
	}
}

func mustUUID(t *testing.T, s string) virt.UUID {
	t.Helper()
	u, err := host.ParseUUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// waitCalls waits (bounded) until call has been made at least n times.
func (r *rig) waitCalls(call string, n int) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := 0
		for _, c := range r.conn.Calls() {
			if c == call {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%q was made %d times, want %d", call, got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A state the inventory has not caught up with yet (the resume that ends a
// snapshot, its event still on the way) does not refuse an action that
// libvirt's own state allows; a refusal still stands when libvirt agrees.
func TestDoAsksLibvirtBeforeRefusing(t *testing.T) {
	r := newRig(t)
	vm := r.add(vmSpec{n: 1, name: "web", state: virt.StatePaused})
	u, _ := host.ParseUUID(vm.UUID)
	r.conn.SetState(u, virt.StateRunning) // no event reaches the inventory
	res, err := r.svc.Do(context.Background(), local, vm.UUID, Pause, Request{})
	if err != nil {
		t.Fatalf("pause of a VM that libvirt says runs: %v", err)
	}
	if res.VM == nil || res.VM.State != inventory.StatePaused {
		t.Errorf("result = %+v, want the VM paused", res)
	}
	_, err = r.svc.Do(context.Background(), local, vm.UUID, Pause, Request{})
	wantProblem(t, err, problem.Conflict, "vm_paused")
}
