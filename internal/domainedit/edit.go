// Package domainedit changes VMs' persistent definitions (libvirt domain
// XML): today the fixes the consoles offer (add VNC graphics, add a serial
// console); VM creation and hardware editing are to share it. Each edit
// reads the definition with its secrets, changes only what it must, and
// writes it back whole, so that nothing else in it is lost.
package domainedit

import (
	"fmt"
	"log/slog"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
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

// storedChange is what changeStored did to a VM's stored definition.
type storedChange struct {
	// Changed is false when the edit found nothing to do.
	Changed bool
	// Running says the VM runs (or is paused): it keeps the devices it
	// started with until its next start.
	Running bool
	// VM is the VM as the inventory has it afterwards.
	VM inventory.VM
}

// changeStored applies edit to the VM's stored definition and writes it
// back when edit changed it; what names the change for messages ("add VNC
// graphics to"). The definition is read with its secrets: it is written
// back whole and must keep the passwords it has. A transient VM has no
// stored definition and is refused.
func (e *Editor) changeStored(hostName, uuid, what string, edit func(doc string) (string, bool, error)) (storedChange, error) {
	vm, err := e.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return storedChange{}, err
	}
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return storedChange{}, err
	}
	c, err := e.opts.Hosts.Client(hostName)
	if err != nil {
		return storedChange{}, err
	}
	dom := virt.Domain{Name: vm.Name, UUID: u}
	persistent, err := c.Persistent(dom)
	if err != nil {
		return storedChange{}, host.Problem(err, "read the VM's definition")
	}
	if !persistent {
		return storedChange{}, problem.New(problem.Unsupported, problem.CodeVMTransient,
			fmt.Sprintf("VM %q is transient: it has no stored definition to %s", problem.Clip(vm.Name), what),
			"define the VM persistently first (virsh define)")
	}
	doc, err := c.XML(dom, virt.XMLInactive|virt.XMLSecure)
	if err != nil {
		return storedChange{}, host.Problem(err, "read the VM's definition")
	}
	out, changed, err := edit(doc)
	if err != nil {
		return storedChange{}, err
	}
	if changed {
		if _, err := c.Define(out); err != nil {
			return storedChange{}, host.Problem(err, what+" the VM's definition")
		}
		e.log.Info("VM definition changed", "change", what, "host", hostName, "vm", vm.Name)
	}
	res := storedChange{Changed: changed, Running: inventory.Active(vm.State)}
	if res.VM, err = e.opts.Inventory.Refresh(c, hostName, uuid); err != nil {
		return storedChange{}, err
	}
	return res, nil
}
