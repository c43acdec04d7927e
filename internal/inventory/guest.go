package inventory

import (
	"reflect"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/event"
)

// Address is one IP address of a VM and where it was read.
type Address struct {
	IP     string `json:"ip"`
	Prefix uint   `json:"prefix"`
	MAC    string `json:"mac,omitempty"`
	// Interface is the guest's name for the interface (agent) or the
	// host-side device (lease, arp).
	Interface string `json:"interface,omitempty"`
	// Source: "agent" (the guest agent), "lease" (a libvirt network's
	// DHCP lease) or "arp" (the host's ARP table).
	Source string `json:"source"`
}

// Guest is what is known of a running VM's guest agent.
type Guest struct {
	// Agent: "connected", "disconnected" (the channel exists, no agent
	// answers in the guest) or "none" (the VM has no agent channel).
	Agent    string `json:"agent"`
	Version  string `json:"version,omitempty"`
	OSName   string `json:"osName,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	Kernel   string `json:"kernel,omitempty"`
}

// SetGuest records a running VM's addresses and guest agent facts, read
// outside the inventory (package network's watcher), and publishes the VM
// when they changed. A VM that is unknown or not running is left alone.
func (inv *Inventory) SetGuest(hostName, uuid string, addrs []Address, g *Guest) {
	uuid = strings.ToLower(uuid)
	inv.mu.Lock()
	h := inv.hostLocked(hostName)
	e, ok := h.vms[uuid]
	if !ok || !Active(e.vm.State) {
		inv.mu.Unlock()
		return
	}
	if addrs == nil {
		addrs = []Address{}
	}
	changed := !reflect.DeepEqual(e.vm.Addresses, addrs) || !reflect.DeepEqual(e.vm.Guest, g)
	e.vm.Addresses, e.vm.Guest = addrs, g
	vm := e.vm
	inv.mu.Unlock()
	if changed {
		inv.publish(event.TypeVM, vm)
	}
}
