package network

import (
	"context"
	"fmt"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

const agentXML = `<domain><devices><channel type="unix"><target type="virtio" name="org.qemu.guest_agent.0" state="%s"/></channel></devices></domain>`

// TestWatcherPrefersAgentThenLeaseThenARP checks the order of sources per
// interface: the agent's view when it answers, a DHCP lease otherwise,
// then the ARP table; loopback and link-local addresses are left out.
func TestWatcherPrefersAgentThenLeaseThenARP(t *testing.T) {
	db := inventory.VM{Host: "h", UUID: "7a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e13", Name: "db-1", State: inventory.StateRunning,
		NICs: []inventory.NIC{{Type: "network", Source: "lab", MAC: "52:54:00:aa:bb:03"}}}
	arp := inventory.VM{Host: "h", UUID: "8a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e14", Name: "arp-1", State: inventory.StateRunning,
		NICs: []inventory.NIC{{Type: "bridge", Source: "br0", MAC: "52:54:00:aa:bb:04"}}}
	_, c, inv := rig(t, web, db, arp)
	u := func(s string) virt.UUID { x, _ := host.ParseUUID(s); return x }

	// web-1: agent connected, answering; its lease must not be used.
	c.Add(virtfake.Domain{Name: web.Name, UUID: u(web.UUID), State: virt.StateRunning, XML: sprintf(agentXML, "connected")})
	c.SetGuest(u(web.UUID), &virtfake.Guest{
		Addresses: map[virt.AddressSource][]virt.Interface{virt.SourceAgent: {
			{Name: "lo", MAC: "00:00:00:00:00:00", Addrs: []virt.IPAddr{{Addr: "127.0.0.1", Prefix: 8}}},
			{Name: "eth0", MAC: "52:54:00:aa:bb:01", Addrs: []virt.IPAddr{{Addr: "10.9.0.77", Prefix: 16}, {IPv6: true, Addr: "fe80::1", Prefix: 64}}},
		}},
		Info: &virt.GuestInfo{Hostname: "web", OSPrettyName: "Debian GNU/Linux 12 (bookworm)"}, Version: "7.2.0",
	})
	// db-1: agent channel, nothing answers; a lease is known.
	c.Add(virtfake.Domain{Name: db.Name, UUID: u(db.UUID), State: virt.StateRunning, XML: sprintf(agentXML, "disconnected")})
	n, _ := c.NetworkState("lab")
	n.Leases = append(n.Leases, virt.Lease{Interface: "virbr9", MAC: "52:54:00:aa:bb:03", IP: "10.9.0.51", Prefix: 16})
	c.AddNetwork(n)
	// arp-1: no agent channel, no lease; the ARP table knows it.
	c.SetGuest(u(arp.UUID), &virtfake.Guest{Addresses: map[virt.AddressSource][]virt.Interface{virt.SourceARP: {
		{Name: "vnet7", MAC: "52:54:00:aa:bb:04", Addrs: []virt.IPAddr{{Addr: "192.168.1.40", Prefix: 0}}},
	}}})

	w := NewWatcher(WatchOptions{Inventory: inv})
	w.Pass(context.Background(), c, "h")

	want := map[string]struct {
		ip, source, agent string
	}{
		web.UUID: {"10.9.0.77", "agent", "connected"},
		db.UUID:  {"10.9.0.51", "lease", "disconnected"},
		arp.UUID: {"192.168.1.40", "arp", "none"},
	}
	for uuid, w := range want {
		got := inv.guests[uuid]
		if len(got) != 1 || got[0].IP != w.ip || got[0].Source != w.source {
			t.Errorf("%s: addresses %+v, want %s from %s", uuid, got, w.ip, w.source)
		}
		if g := inv.agents[uuid]; g == nil || g.Agent != w.agent {
			t.Errorf("%s: guest %+v, want agent %s", uuid, g, w.agent)
		}
	}
	if g := inv.agents[web.UUID]; g.Hostname != "web" || g.OSName != "Debian GNU/Linux 12 (bookworm)" || g.Version != "7.2.0" {
		t.Errorf("web-1 guest facts %+v", g)
	}
}

func TestAgentChannel(t *testing.T) {
	for doc, want := range map[string]string{
		sprintf(agentXML, "connected"):    "connected",
		sprintf(agentXML, "disconnected"): "disconnected",
		`<domain><devices><channel type="spicevmc"><target type="virtio" name="com.redhat.spice.0"/></channel></devices></domain>`: "none",
		`not xml`: "none",
	} {
		if got := agentChannel(doc); got != want {
			t.Errorf("agentChannel(%s) = %s, want %s", doc, got, want)
		}
	}
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
