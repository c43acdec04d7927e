package domainedit

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// oneHost hands out the same fake link for every host name.
type oneHost struct{ c virt.Conn }

func (o oneHost) Client(string) (virt.Conn, error) { return o.c, nil }

const fakeVMUUID = "00000000-0000-4000-8000-000000000001"

// newFakeEditor returns an Editor over a fake libvirt holding one VM
// without graphics or serial devices, read into a real inventory.
func newFakeEditor(t *testing.T, state virt.DomainState, persistent bool) (*Editor, *virtfake.Conn) {
	t.Helper()
	u, err := host.ParseUUID(fakeVMUUID)
	if err != nil {
		t.Fatal(err)
	}
	c := virtfake.New()
	c.Add(virtfake.Domain{Name: "web", UUID: u, State: state, Persistent: persistent, XML: `<domain type='kvm'><name>web</name><uuid>` +
		fakeVMUUID + `</uuid><memory unit='KiB'>1024</memory><os><type arch='x86_64'>hvm</type></os><devices></devices></domain>`})
	quiet := slog.New(slog.DiscardHandler)
	inv := inventory.New(inventory.Options{Logger: quiet})
	if _, err := inv.Refresh(c, "local", fakeVMUUID); err != nil {
		t.Fatal(err)
	}
	return New(Options{Hosts: oneHost{c}, Inventory: inv, Logger: quiet}), c
}

// Adding VNC graphics stores a definition that has them, once: a second
// request changes nothing.
func TestAddVNCOnFake(t *testing.T) {
	e, c := newFakeEditor(t, virt.StateShutoff, true)
	res, err := e.AddVNC("local", fakeVMUUID)
	if err != nil || !res.Added || res.EffectiveAtNextStart {
		t.Fatalf("AddVNC = %+v, %v; want added, effective now", res, err)
	}
	u, _ := host.ParseUUID(fakeVMUUID)
	d, _ := c.Get(u)
	if !strings.Contains(d.XML, "vnc") {
		t.Errorf("stored definition has no VNC graphics: %s", d.XML)
	}
	if len(res.VM.Graphics) != 1 || res.VM.Graphics[0].Type != "vnc" {
		t.Errorf("answered VM graphics = %+v, want one vnc", res.VM.Graphics)
	}
	again, err := e.AddVNC("local", fakeVMUUID)
	if err != nil || again.Added {
		t.Errorf("second AddVNC = %+v, %v; want nothing added", again, err)
	}
}

// A transient VM has no stored definition to edit: both edits refuse it
// and store nothing.
func TestEditsRefuseTransientVM(t *testing.T) {
	e, c := newFakeEditor(t, virt.StateRunning, false)
	_, err := e.AddVNC("local", fakeVMUUID)
	if p, ok := problem.As(err); !ok || p.Code != "vm_transient" {
		t.Errorf("AddVNC = %v, want vm_transient", err)
	}
	_, err = e.AddConsole("local", fakeVMUUID)
	if p, ok := problem.As(err); !ok || p.Code != "vm_transient" {
		t.Errorf("AddConsole = %v, want vm_transient", err)
	}
	if c.Called("Define") {
		t.Error("a definition was stored for a transient VM")
	}
}

// A serial console added to a running VM takes effect at its next start,
// and a second request is refused as pending.
func TestAddConsoleOnFake(t *testing.T) {
	e, c := newFakeEditor(t, virt.StateRunning, true)
	res, err := e.AddConsole("local", fakeVMUUID)
	if err != nil || !res.NextStart {
		t.Fatalf("AddConsole = %+v, %v; want added for the next start", res, err)
	}
	u, _ := host.ParseUUID(fakeVMUUID)
	if d, _ := c.Get(u); !strings.Contains(d.XML, "<serial") || !strings.Contains(d.XML, "<console") {
		t.Errorf("stored definition lacks the serial console: %s", d.XML)
	}
	_, err = e.AddConsole("local", fakeVMUUID)
	if p, ok := problem.As(err); !ok || p.Code != "serial_console_exists" {
		t.Errorf("second AddConsole = %v, want serial_console_exists", err)
	}
}
