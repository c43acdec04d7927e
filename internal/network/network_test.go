package network

import (
	"strings"
	"sync"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

type fakeHosts struct{ c *virtfake.Conn }

func (h fakeHosts) Client(string) (virt.Conn, error) { return h.c, nil }

// fakeVMs is an inventory of fixed VMs that records SetGuest.
type fakeVMs struct {
	mu     sync.Mutex
	vms    []inventory.VM
	guests map[string][]inventory.Address
	agents map[string]*inventory.Guest
}

func (v *fakeVMs) List() []inventory.VM { return v.vms }

func (v *fakeVMs) Refresh(_ virt.Conn, _, uuid string) (inventory.VM, error) {
	for _, vm := range v.vms {
		if vm.UUID == uuid {
			return vm, nil
		}
	}
	return inventory.VM{}, problem.New(problem.NotFound, "vm_not_found", "no VM", "")
}

func (v *fakeVMs) SetGuest(_, uuid string, addrs []inventory.Address, g *inventory.Guest) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.guests == nil {
		v.guests, v.agents = map[string][]inventory.Address{}, map[string]*inventory.Guest{}
	}
	v.guests[uuid], v.agents[uuid] = addrs, g
}

func wantProblem(t *testing.T, err error, code string, says ...string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != code {
		t.Fatalf("error %v; want problem %s", err, code)
	}
	for _, s := range says {
		if !strings.Contains(p.Message, s) {
			t.Errorf("message %q does not say %q", p.Message, s)
		}
	}
}

const webUUID = "5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11"

var web = inventory.VM{Host: "h", UUID: webUUID, Name: "web-1", State: inventory.StateRunning,
	NICs: []inventory.NIC{{Type: "network", Source: "lab", MAC: "52:54:00:aa:bb:01"}}}

func rig(t *testing.T, vms ...inventory.VM) (*Service, *virtfake.Conn, *fakeVMs) {
	t.Helper()
	c := virtfake.New()
	c.AddNetwork(virtfake.Network{Name: "default", Active: true,
		XML: `<network><name>default</name><forward mode="nat"/><bridge name="virbr0"/><ip address="192.168.122.1" netmask="255.255.255.0"><dhcp><range start="192.168.122.2" end="192.168.122.254"/></dhcp></ip></network>`})
	c.AddNetwork(virtfake.Network{Name: "lab", Active: true,
		XML:    `<network><name>lab</name><bridge name="virbr9"/><ip address="10.9.0.1" prefix="16"/></network>`,
		Leases: []virt.Lease{{Interface: "virbr9", MAC: "52:54:00:AA:BB:01", IP: "10.9.0.50", Prefix: 16, Hostname: "web"}}})
	for _, vm := range vms {
		u, _ := host.ParseUUID(vm.UUID)
		c.Add(virtfake.Domain{Name: vm.Name, UUID: u, State: virt.StateRunning, Persistent: true})
	}
	inv := &fakeVMs{vms: vms}
	return New(Options{Hosts: fakeHosts{c}, Inventory: inv}), c, inv
}

func TestListDescribesNetworks(t *testing.T) {
	s, _, _ := rig(t, web)
	nets, err := s.List("h")
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != 2 || nets[0].Name != "default" || nets[1].Name != "lab" {
		t.Fatalf("networks %+v", nets)
	}
	d, lab := nets[0], nets[1]
	if d.Forward != "nat" || d.Bridge != "virbr0" || len(d.IPs) != 1 || d.IPs[0].Subnet != "192.168.122.0/24" ||
		d.IPs[0].DHCPStart != "192.168.122.2" || d.IPs[0].DHCPEnd != "192.168.122.254" || len(d.VMs) != 0 {
		t.Errorf("default: %+v", d)
	}
	if lab.Forward != "isolated" || lab.IPs[0].Subnet != "10.9.0.0/16" || len(lab.VMs) != 1 || lab.VMs[0].Name != "web-1" {
		t.Errorf("lab: %+v", lab)
	}
	got, err := s.Get("h", "lab")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Leases) != 1 || got.Leases[0].IP != "10.9.0.50" || got.Leases[0].VM == nil || got.Leases[0].VM.UUID != webUUID {
		t.Errorf("leases %+v", got.Leases)
	}
	_, err = s.Get("h", "../etc")
	wantProblem(t, err, "network_not_found")
}

func TestCreateValidatesAndRefusesOverlaps(t *testing.T) {
	s, c, _ := rig(t)
	cases := []struct {
		req  CreateRequest
		code string
	}{
		{CreateRequest{Name: "a/b", Mode: "nat", Subnet: "10.1.0.0/24"}, "invalid_network_name"},
		{CreateRequest{Name: "..", Mode: "nat", Subnet: "10.1.0.0/24"}, "invalid_network_name"},
		{CreateRequest{Name: "x", Mode: "bridged", Subnet: "10.1.0.0/24"}, "invalid_network_mode"},
		{CreateRequest{Name: "x", Mode: "bridge"}, "invalid_bridge_name"},
		{CreateRequest{Name: "x", Mode: "bridge", Bridge: "br 0"}, "invalid_bridge_name"},
		{CreateRequest{Name: "x", Mode: "bridge", Bridge: "br0", Subnet: "10.1.0.0/24"}, "invalid_subnet"},
		{CreateRequest{Name: "x", Mode: "bridge", Bridge: "br0", DHCPStart: "10.1.0.10", DHCPEnd: "10.1.0.20"}, "invalid_subnet"},
		{CreateRequest{Name: "x", Mode: "bridge", Bridge: "virbr9"}, "bridge_in_use"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.5/24"}, "invalid_subnet"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "8.8.8.0/24"}, "invalid_subnet"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.0/31"}, "invalid_subnet"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "fd00::/64"}, "invalid_subnet"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.0/24", DHCPStart: "10.1.0.10"}, "invalid_dhcp_range"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.0/24", DHCPStart: "10.1.0.100", DHCPEnd: "10.1.0.10"}, "invalid_dhcp_range"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.0/24", DHCPStart: "10.1.0.1", DHCPEnd: "10.1.0.10"}, "invalid_dhcp_range"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.0/24", DHCPStart: "10.1.1.10", DHCPEnd: "10.1.1.20"}, "invalid_dhcp_start"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.0/24", DHCPStart: "10.1.0.10", DHCPEnd: "10.1.0.255"}, "invalid_dhcp_end"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.0/24", DHCPStart: "10.1.0.10", DHCPEnd: "10.1.0.20",
			Hosts: []StaticHost{{MAC: "52:54:00:zz:00:01", IP: "10.1.0.15"}}}, "invalid_mac"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "10.1.0.0/24", Bridge: "a-very-long-bridge"}, "invalid_bridge_name"},
		{CreateRequest{Name: "x", Mode: "nat", Subnet: "192.168.122.128/25"}, "subnet_overlap"},
		{CreateRequest{Name: "x", Mode: "isolated", Subnet: "10.0.0.0/8"}, "subnet_overlap"},
		{CreateRequest{Name: "lab", Mode: "isolated", Subnet: "172.16.5.0/24"}, "network_exists"},
		{CreateRequest{Name: "x", Mode: "isolated", Subnet: "172.16.5.0/24", Bridge: "virbr9"}, "bridge_in_use"},
	}
	for _, tc := range cases {
		_, err := s.Create("h", tc.req)
		wantProblem(t, err, tc.code)
	}
	if _, ok := c.NetworkState("x"); ok {
		t.Fatal("a refused request left a network behind")
	}

	n, err := s.Create("h", CreateRequest{Name: "test-nat", Mode: "nat", Subnet: "10.77.0.0/24", DHCPStart: "10.77.0.100", DHCPEnd: "10.77.0.200",
		Hosts: []StaticHost{{MAC: "52:54:00:AB:CD:EF", IP: "10.77.0.10", Name: "db"}}, Autostart: true, Start: true})
	if err != nil {
		t.Fatal(err)
	}
	if !n.Active || !n.Autostart || n.Forward != "nat" || n.IPs[0].Address != "10.77.0.1" || n.IPs[0].Subnet != "10.77.0.0/24" ||
		n.IPs[0].DHCPStart != "10.77.0.100" || len(n.IPs[0].Hosts) != 1 || n.IPs[0].Hosts[0].MAC != "52:54:00:ab:cd:ef" {
		t.Errorf("created %+v", n)
	}
	iso, err := s.Create("h", CreateRequest{Name: "test-iso", Mode: "isolated", Subnet: "10.78.0.0/24", Gateway: "10.78.0.254"})
	if err != nil {
		t.Fatal(err)
	}
	if iso.Active || iso.Forward != "isolated" || iso.IPs[0].Address != "10.78.0.254" {
		t.Errorf("isolated %+v", iso)
	}
	br, err := s.Create("h", CreateRequest{Name: "test-br", Mode: "bridge", Bridge: "br0"})
	if err != nil {
		t.Fatal(err)
	}
	if br.Forward != "bridge" || br.Bridge != "br0" || len(br.IPs) != 0 {
		t.Errorf("bridge network %+v", br)
	}
}

func TestCreateUndoesWhenStartFails(t *testing.T) {
	s, c, _ := rig(t)
	c.Fail("StartNetwork", virt.Error{Code: uint32(virt.ErrInternalError), Message: "internal error: no dnsmasq"})
	_, err := s.Create("h", CreateRequest{Name: "half", Mode: "isolated", Subnet: "10.80.0.0/24", Start: true})
	if err == nil {
		t.Fatal("accepted")
	}
	if _, ok := c.NetworkState("half"); ok {
		t.Error("the network stayed defined after its start failed")
	}
}

func TestInUseNetworksAreRefused(t *testing.T) {
	off := inventory.VM{Host: "h", UUID: "6a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e12", Name: "off-1", State: inventory.StateShutoff,
		NICs: []inventory.NIC{{Type: "network", Source: "default", MAC: "52:54:00:aa:bb:02"}}}
	s, c, _ := rig(t, web, off)
	_, err := s.Action("h", "lab", "stop")
	wantProblem(t, err, "network_in_use", `"web-1"`)
	wantProblem(t, s.Delete("h", "lab"), "network_in_use", `"web-1"`)
	if n, ok := c.NetworkState("lab"); !ok || !n.Active {
		t.Fatal("a refused stop or delete changed the network")
	}
	// Only a stopped VM uses default: stop and delete go through.
	if _, err := s.Action("h", "default", "stop"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Action("h", "default", "autostart-on"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("h", "default"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.NetworkState("default"); ok {
		t.Error("default is still defined")
	}
	_, err = s.Action("h", "lab", "explode")
	wantProblem(t, err, "invalid_action")
}
