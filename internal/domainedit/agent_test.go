package domainedit

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// The guest agent's channel is added once; a running VM is told it gets it
// at its next start; a transient VM is refused.
func TestAddGuestAgentOnFake(t *testing.T) {
	e, c := newFakeEditor(t, virt.StateRunning, true)
	res, err := e.AddGuestAgent("local", fakeVMUUID)
	if err != nil || !res.Added || !res.EffectiveAtNextStart || !strings.Contains(res.Message, "next time the VM starts") {
		t.Fatalf("AddGuestAgent on a running VM = %+v, %v; want added at the next start, saying so", res, err)
	}
	u, _ := host.ParseUUID(fakeVMUUID)
	d, _ := c.Get(u)
	if !strings.Contains(d.XML, `name="org.qemu.guest_agent.0"`) || !strings.Contains(d.XML, `type="unix"`) {
		t.Errorf("stored definition has no guest agent channel: %s", d.XML)
	}
	again, err := e.AddGuestAgent("local", fakeVMUUID)
	if err != nil || again.Added || again.EffectiveAtNextStart {
		t.Errorf("second AddGuestAgent = %+v, %v; want nothing added", again, err)
	}
	if d2, _ := c.Get(u); d2.XML != d.XML {
		t.Errorf("the second request changed the definition:\n%s", d2.XML)
	}

	stopped, _ := newFakeEditor(t, virt.StateShutoff, true)
	if res, err := stopped.AddGuestAgent("local", fakeVMUUID); err != nil || !res.Added || res.EffectiveAtNextStart {
		t.Errorf("AddGuestAgent on a stopped VM = %+v, %v; want added, effective at once", res, err)
	}

	transient, _ := newFakeEditor(t, virt.StateRunning, false)
	if _, err := transient.AddGuestAgent("local", fakeVMUUID); func() bool { p, ok := problem.As(err); return !ok || p.Code != problem.CodeVMTransient }() {
		t.Errorf("transient VM: %v, want %s", err, problem.CodeVMTransient)
	}
}
