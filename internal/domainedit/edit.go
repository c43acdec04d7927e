// Package domainedit changes VMs' persistent definitions (libvirt domain
// XML): today the fixes the consoles offer (add VNC graphics, add a serial
// console); VM creation and hardware editing are to share it. Each edit
// reads the definition with its secrets, changes only what it must, and
// writes it back whole, so that nothing else in it is lost.
package domainedit

import (
	"log/slog"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Hosts gives the live libvirt link of a host.
type Hosts interface {
	Client(host string) (virt.Conn, error)
}

// VMs is the part of the inventory the edits need: a VM's name and state,
// and a refresh after its definition changed.
type VMs interface {
	Get(host, uuid string) (inventory.VM, error)
	Refresh(c virt.Conn, host, uuid string) (inventory.VM, error)
}

// Options configures an Editor.
type Options struct {
	Hosts     Hosts
	Inventory VMs
	Logger    *slog.Logger
}

// Editor makes the edits of VM definitions: one per server.
type Editor struct {
	opts Options
	log  *slog.Logger
}

// New returns an Editor.
func New(opts Options) *Editor {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Editor{opts: opts, log: opts.Logger}
}
