package domainedit

import (
	"fmt"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// VNCAdded is the answer to AddVNC.
type VNCAdded struct {
	// Added is false when the VM's definition already had VNC graphics.
	Added bool `json:"added"`
	// EffectiveAtNextStart says that a running VM shows the change only
	// after it was shut down and started again (a reboot inside the guest
	// keeps the old devices).
	EffectiveAtNextStart bool         `json:"effectiveAtNextStart"`
	Message              string       `json:"message"`
	VM                   inventory.VM `json:"-"`
}

// AddVNC adds VNC graphics (listening on 127.0.0.1, port chosen
// automatically) to the VM's persistent definition. Graphics cannot be
// added to a running QEMU, so a running VM gets them at its next start.
func (e *Editor) AddVNC(hostName, uuid string) (VNCAdded, error) {
	vm, err := e.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return VNCAdded{}, err
	}
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return VNCAdded{}, err
	}
	c, err := e.opts.Hosts.Client(hostName)
	if err != nil {
		return VNCAdded{}, err
	}
	dom := virt.Domain{Name: vm.Name, UUID: u}
	persistent, err := c.Persistent(dom)
	if err != nil {
		return VNCAdded{}, host.Problem(err, "read the VM's definition")
	}
	if !persistent {
		return VNCAdded{}, problem.New(problem.Unsupported, problem.CodeVMTransient,
			fmt.Sprintf("VM %q is transient: it has no stored definition to add VNC graphics to", problem.Clip(vm.Name)),
			"define the VM persistently first (virsh define)")
	}
	// Secure: the definition is written back whole, and must keep the
	// passwords it has.
	doc, err := c.XML(dom, virt.XMLInactive|virt.XMLSecure)
	if err != nil {
		return VNCAdded{}, host.Problem(err, "read the VM's definition")
	}
	out, changed, err := addVNC(doc)
	if err != nil {
		return VNCAdded{}, err
	}
	running := inventory.Active(vm.State)
	res := VNCAdded{Added: changed, EffectiveAtNextStart: running}
	switch {
	case !changed && running:
		res.Message = "the VM's definition already has VNC graphics; if the console still cannot connect, shut the VM down and start it again"
	case !changed:
		res.Message = "the VM's definition already has VNC graphics; start the VM to use the console"
	case running:
		res.Message = "VNC graphics were added to the VM's definition; they take effect the next time the VM starts (shut it down and start it: a reboot inside the guest is not enough)"
	default:
		res.Message = "VNC graphics were added to the VM's definition; start the VM to use the console"
	}
	if changed {
		if _, err := c.Define(out); err != nil {
			return VNCAdded{}, host.Problem(err, "add VNC graphics to the VM's definition")
		}
		e.log.Info("VNC graphics added", "host", hostName, "vm", vm.Name)
	}
	if res.VM, err = e.opts.Inventory.Refresh(c, hostName, uuid); err != nil {
		return VNCAdded{}, err
	}
	return res, nil
}

// addVNC adds VNC graphics listening on 127.0.0.1 with an automatic port to
// a (persistent, secure) domain XML, and reports whether it changed it:
// a domain that already has VNC graphics is left alone.
func addVNC(doc string) (string, bool, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return "", false, fmt.Errorf("parse domain XML: %w", err)
	}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{}
	}
	for _, g := range d.Devices.Graphics {
		if g.VNC != nil {
			return doc, false, nil
		}
	}
	d.Devices.Graphics = append(d.Devices.Graphics, libvirtxml.DomainGraphic{VNC: &libvirtxml.DomainGraphicVNC{
		Port:     -1,
		AutoPort: "yes",
		Listeners: []libvirtxml.DomainGraphicListener{{
			Address: &libvirtxml.DomainGraphicListenerAddress{Address: "127.0.0.1"},
		}},
	}})
	// A display needs a video device; libvirt adds a default one for
	// graphics, but only when there is none at all, which is what we want.
	out, err := d.Marshal()
	if err != nil {
		return "", false, fmt.Errorf("write domain XML: %w", err)
	}
	return out, true, nil
}
