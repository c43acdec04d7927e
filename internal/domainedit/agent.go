package domainedit

import (
	"fmt"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// GuestAgentChannel is the name of the virtio-serial channel that the QEMU
// guest agent (qemu-guest-agent) serves in the guest.
const GuestAgentChannel = "org.qemu.guest_agent.0"

// GuestAgentAdded is the answer to AddGuestAgent.
type GuestAgentAdded struct {
	// Added is false when the VM's definition already had the channel.
	Added bool `json:"added"`
	// EffectiveAtNextStart says that a running VM gets the channel only
	// after it was shut down and started again.
	EffectiveAtNextStart bool         `json:"effectiveAtNextStart"`
	Message              string       `json:"message"`
	VM                   inventory.VM `json:"-"`
}

// AddGuestAgent adds the QEMU guest agent's virtio-serial channel (a unix
// socket libvirt places and connects to itself) to the VM's persistent
// definition. The guest still needs qemu-guest-agent installed and running.
// A running VM gets the channel at its next start: the change is made to
// the stored definition only, so that it never depends on hot-plugging a
// virtio-serial controller into a running guest.
func (e *Editor) AddGuestAgent(hostName, uuid string) (GuestAgentAdded, error) {
	ch, err := e.changeStored(hostName, uuid, "add a guest agent channel to", addGuestAgent)
	if err != nil {
		return GuestAgentAdded{}, err
	}
	res := GuestAgentAdded{Added: ch.Changed, EffectiveAtNextStart: ch.Running && ch.Changed, VM: ch.VM}
	switch {
	case !ch.Changed:
		res.Message = "the VM's definition already has a guest agent channel; if the agent is not connected, install and start qemu-guest-agent in the guest (and, if the channel was added while the VM ran, shut it down and start it again)"
	case ch.Running:
		res.Message = "a guest agent channel was added to the VM's definition; it takes effect the next time the VM starts (shut it down and start it: a reboot inside the guest is not enough). The guest needs qemu-guest-agent installed and running"
	default:
		res.Message = "a guest agent channel was added to the VM's definition; the guest needs qemu-guest-agent installed and running"
	}
	return res, nil
}

// HasGuestAgentChannel reports whether a definition has the guest agent's
// virtio-serial channel.
func HasGuestAgentChannel(d *libvirtxml.Domain) bool {
	if d.Devices == nil {
		return false
	}
	for _, ch := range d.Devices.Channels {
		if ch.Target != nil && ch.Target.VirtIO != nil && ch.Target.VirtIO.Name == GuestAgentChannel {
			return true
		}
	}
	return false
}

// addGuestAgent adds the guest agent's channel (unix socket, path chosen by
// libvirt) to a domain XML and reports whether it changed it. libvirt adds
// the virtio-serial controller the channel needs.
func addGuestAgent(doc string) (string, bool, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return "", false, fmt.Errorf("parse domain XML: %w", err)
	}
	if HasGuestAgentChannel(&d) {
		return doc, false, nil
	}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{}
	}
	d.Devices.Channels = append(d.Devices.Channels, libvirtxml.DomainChannel{
		Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{Mode: "bind"}},
		Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: GuestAgentChannel}},
	})
	out, err := d.Marshal()
	if err != nil {
		return "", false, fmt.Errorf("write domain XML: %w", err)
	}
	return out, true, nil
}
