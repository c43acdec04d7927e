package hardware

import (
	"context"
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// heldRig is rig with a real operation.Manager holding VMs.
func heldRig(t *testing.T) (*Service, *virtfake.Conn, *operation.Manager) {
	t.Helper()
	s, c := rig(t, virt.StateShutoff, virtfake.DomainXML(false,
		`<interface type="network"><mac address="52:54:00:00:00:01"/><source network="default"/></interface>`+
			`<disk type="file" device="disk"><source file="/var/lib/libvirt/images/web-1.qcow2"/><target dev="vda" bus="virtio"/></disk>`+
			`<graphics type="vnc" port="-1" autoport="yes"/>`))
	m := operation.New(operation.Options{})
	s.opts.Operations = m
	return s, c, m
}

// edits are one call of every change the Hardware tab makes.
func edits(s *Service) map[string]func() error {
	return map[string]func() error{
		"cpu":    func() error { _, err := s.SetCPU("h", uuid, CPURequest{VCPUs: 1}); return err },
		"memory": func() error { _, err := s.SetMemory("h", uuid, MemoryRequest{MemoryMiB: 64}); return err },
		"disk-add": func() error {
			_, err := s.AddDisk("h", uuid, DiskRequest{Pool: "default", Size: "1GiB"})
			return err
		},
		"disk-remove": func() error { _, err := s.RemoveDisk("h", uuid, "vda"); return err },
		"disk-resize": func() error { _, err := s.ResizeDisk("h", uuid, "vda", ResizeRequest{Size: "2GiB"}); return err },
		"nic-add":     func() error { _, err := s.AddNIC("h", uuid, NICRequest{}); return err },
		"nic-update": func() error {
			_, err := s.UpdateNIC("h", uuid, "52:54:00:00:00:01", NICUpdate{LinkUp: ptr(false)})
			return err
		},
		"nic-remove": func() error { _, err := s.RemoveNIC("h", uuid, "52:54:00:00:00:01"); return err },
		"boot":       func() error { _, err := s.SetBoot("h", uuid, BootRequest{Order: []string{"cdrom", "hd"}}); return err },
		"firmware":   func() error { _, err := s.SetFirmware("h", uuid, FirmwareRequest{Firmware: "bios"}); return err },
		"graphics": func() error {
			_, err := s.SetGraphics("h", uuid, GraphicsRequest{Password: ptr("secret")})
			return err
		},
		"tpm":  func() error { _, err := s.SetTPM("h", uuid, TPMRequest{Enabled: false}); return err },
		"info": func() error { _, err := s.SetInfo("h", uuid, InfoRequest{Title: ptr("web")}); return err },
		"xml": func() error {
			_, err := s.SaveXML("h", uuid, XMLRequest{XML: virtfake.DomainXML(false, ""), DryRun: true})
			return err
		},
	}
}

// TestEditsRefusedWhileHeld: while a snapshot operation holds the VM,
// every edit is refused with a 409 that names the work and its operation
// and says to try again, and nothing is read for a change or defined.
func TestEditsRefusedWhileHeld(t *testing.T) {
	s, c, m := heldRig(t)
	claim, err := m.Claim(operation.Target{Host: "h", UUID: uuid, Name: "web-1"}, "snapshot-create", "before-upgrade")
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	op, err := claim.Start("snapshot-create", false, func(context.Context, operation.Reporter) error { <-gate; return nil })
	if err != nil {
		t.Fatal(err)
	}
	before := len(c.Calls())
	for name, edit := range edits(s) {
		t.Run(name, func(t *testing.T) {
			err := edit()
			p, ok := problem.As(err)
			if !ok || p.Kind != problem.Conflict || p.Code != problem.CodeSnapshotBusy {
				t.Fatalf("edit while a snapshot runs: %v, want a snapshot_busy conflict", err)
			}
			if !strings.Contains(p.Message, `snapshot-create of "before-upgrade"`) || !strings.Contains(p.Hint, op.ID) || !strings.Contains(p.Hint, "try again") {
				t.Errorf("the refusal does not say what runs and what to do: %q / %q", p.Message, p.Hint)
			}
		})
	}
	for _, call := range c.Calls()[before:] {
		if strings.HasPrefix(call, "Define") || strings.HasPrefix(call, "XML") || strings.HasPrefix(call, "Set") ||
			strings.HasPrefix(call, "Attach") || strings.HasPrefix(call, "Detach") || strings.HasPrefix(call, "CreateVolume") {
			t.Errorf("a refused edit went on to %s", call)
		}
	}
	// Reads are not held.
	if _, err := s.Get("h", uuid); err != nil {
		t.Errorf("reading the hardware while a snapshot runs: %v", err)
	}
	close(gate)
	m.Wait(context.Background(), op.ID)
	if _, err := s.SetInfo("h", uuid, InfoRequest{Title: ptr("web")}); err != nil {
		t.Fatalf("an edit after the snapshot ended: %v", err)
	}
}

// TestEditHoldsTheVM: while an edit runs (blocked inside its define), a
// snapshot of the same VM is refused naming the edit, and the VM is free
// again when the edit ends, also when it failed.
func TestEditHoldsTheVM(t *testing.T) {
	s, c, m := heldRig(t)
	target := operation.Target{Host: "h", UUID: uuid, Name: "web-1"}
	inDefine, leave := make(chan struct{}), make(chan struct{})
	c.Before("Define", func() error { close(inDefine); <-leave; return nil })
	done := make(chan error, 1)
	go func() { _, err := s.SetBoot("h", uuid, BootRequest{Order: []string{"cdrom", "hd"}}); done <- err }()
	<-inDefine
	_, err := m.Claim(target, "snapshot-create", "s1")
	p, ok := problem.As(err)
	if !ok || p.Code != problem.CodeVMBusy || !strings.Contains(p.Message, `hardware-edit of "boot"`) {
		t.Errorf("a snapshot during an edit: %v, want vm_busy naming the edit", err)
	}
	close(leave)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.Before("Define", nil)
	if h := m.Holding(target); h != nil {
		t.Fatalf("the VM is still held after the edit: %+v", h)
	}
	// A refused edit (libvirt says no) releases it too.
	c.Fail("Define", virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: no"})
	if _, err := s.SetBoot("h", uuid, BootRequest{Order: []string{"hd"}}); err == nil {
		t.Fatal("the define's failure was not reported")
	}
	if h := m.Holding(target); h != nil {
		t.Fatalf("the VM is still held after a failed edit: %+v", h)
	}
	// So does a refusal inside the hold's reads (an unknown NIC).
	c.Fail("Define", nil)
	if _, err := s.RemoveNIC("h", uuid, "52:54:00:99:99:99"); err == nil {
		t.Fatal("removing an unknown NIC was not refused")
	}
	if h := m.Holding(target); h != nil {
		t.Fatalf("the VM is still held after a refused edit: %+v", h)
	}
}
