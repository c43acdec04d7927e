package domainedit

import (
	"fmt"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
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
	ch, err := e.changeStored(hostName, uuid, "add VNC graphics to", addVNC)
	if err != nil {
		return VNCAdded{}, err
	}
	res := VNCAdded{Added: ch.Changed, EffectiveAtNextStart: ch.Running, VM: ch.VM}
	switch {
	case !ch.Changed && ch.Running:
		res.Message = "the VM's definition already has VNC graphics; if the console still cannot connect, shut the VM down and start it again"
	case !ch.Changed:
		res.Message = "the VM's definition already has VNC graphics; start the VM to use the console"
	case ch.Running:
		res.Message = "VNC graphics were added to the VM's definition; they take effect the next time the VM starts (shut it down and start it: a reboot inside the guest is not enough)"
	default:
		res.Message = "VNC graphics were added to the VM's definition; start the VM to use the console"
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
