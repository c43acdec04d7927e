// Package network manages a host's libvirt virtual networks through
// libvirt's API only (listing with their DHCP leases and attached VMs;
// NAT, routed and isolated networks' creation with a validated subnet,
// DHCP range and static leases; start, stop, autostart and deletion,
// refused while running VMs use the network), and finds every running
// VM's IP addresses and guest agent facts for the inventory (Watcher).
package network

import (
	"encoding/xml"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Hosts gives a host's shared link.
type Hosts interface {
	Client(host string) (virt.Conn, error)
}

// VMs lists the inventory's VMs, for "which VMs use this network", and
// re-reads them before a refusal depends on them (inventory.Inventory).
type VMs interface {
	List() []inventory.VM
	Refresh(c virt.Conn, host, uuid string) (inventory.VM, error)
}

// Options configures a Service.
type Options struct {
	Hosts     Hosts
	Inventory VMs
}

// Service is the virtual network manager.
type Service struct {
	opts Options
}

// New returns a Service.
func New(opts Options) *Service { return &Service{opts: opts} }

// Network is one virtual network as the API shows it.
type Network struct {
	Host string `json:"host"`
	Name string `json:"name"`
	UUID string `json:"uuid"`
	// Active: the network runs (its bridge and dnsmasq are up).
	Active    bool   `json:"active"`
	Autostart bool   `json:"autostart"`
	Bridge    string `json:"bridge,omitempty"`
	// Forward is libvirt's forward mode: nat, route, open, bridge,
	// passthrough, ... or "isolated" when the network forwards nothing.
	Forward string `json:"forward"`
	// ForwardDev is the host device NAT or routing is limited to, if any.
	ForwardDev string    `json:"forwardDev,omitempty"`
	IPs        []IPRange `json:"ips"`
	// VMs are the VMs with an interface on this network.
	VMs []User `json:"vms"`
	// Leases are the network's DHCP leases (only in a single network's
	// answer, and only while it runs).
	Leases []Lease `json:"leases,omitempty"`
}

// IPRange is one address block of a network, with its DHCP range.
type IPRange struct {
	Family  string `json:"family"` // ipv4 or ipv6
	Address string `json:"address"`
	Prefix  int    `json:"prefix"`
	// Subnet is the block in CIDR form.
	Subnet    string       `json:"subnet,omitempty"`
	DHCPStart string       `json:"dhcpStart,omitempty"`
	DHCPEnd   string       `json:"dhcpEnd,omitempty"`
	Hosts     []StaticHost `json:"hosts,omitempty"`
}

// StaticHost is a fixed DHCP lease: this MAC always gets this address.
type StaticHost struct {
	MAC  string `json:"mac"`
	IP   string `json:"ip"`
	Name string `json:"name,omitempty"`
}

// User is a VM with an interface on a network.
type User struct {
	UUID  string          `json:"uuid"`
	Name  string          `json:"name"`
	State inventory.State `json:"state"`
	MAC   string          `json:"mac,omitempty"`
}

// Lease is one DHCP lease of a network.
type Lease struct {
	MAC      string `json:"mac"`
	IP       string `json:"ip"`
	Prefix   uint   `json:"prefix"`
	Hostname string `json:"hostname,omitempty"`
	// Expiry is when the lease ends (Unix seconds; 0: never).
	Expiry int64 `json:"expiry"`
	// VM is the VM whose interface has the lease's MAC, if known.
	VM *User `json:"vm,omitempty"`
}

// netXML is the part of a network's definition read and written here.
type netXML struct {
	XMLName xml.Name    `xml:"network"`
	Name    string      `xml:"name"`
	Forward *forwardXML `xml:"forward"`
	Bridge  *bridgeXML  `xml:"bridge"`
	IPs     []ipXML     `xml:"ip"`
}

type forwardXML struct {
	Mode string `xml:"mode,attr,omitempty"`
	Dev  string `xml:"dev,attr,omitempty"`
}

type bridgeXML struct {
	Name string `xml:"name,attr,omitempty"`
	STP  string `xml:"stp,attr,omitempty"`
}

type ipXML struct {
	Family  string   `xml:"family,attr,omitempty"`
	Address string   `xml:"address,attr,omitempty"`
	Netmask string   `xml:"netmask,attr,omitempty"`
	Prefix  string   `xml:"prefix,attr,omitempty"`
	DHCP    *dhcpXML `xml:"dhcp"`
}

type dhcpXML struct {
	Ranges []rangeXML `xml:"range"`
	Hosts  []hostXML  `xml:"host"`
}

type rangeXML struct {
	Start string `xml:"start,attr"`
	End   string `xml:"end,attr"`
}

type hostXML struct {
	MAC  string `xml:"mac,attr,omitempty"`
	Name string `xml:"name,attr,omitempty"`
	IP   string `xml:"ip,attr"`
}

// prefix returns the block's address and prefix length (from prefix or
// netmask; IPv4 without either is a /24 by libvirt's classful default,
// which only old definitions rely on).
func (x ipXML) prefix() (netip.Prefix, bool) {
	a, err := netip.ParseAddr(x.Address)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := -1
	if x.Prefix != "" {
		if _, err := fmt.Sscan(x.Prefix, &bits); err != nil {
			return netip.Prefix{}, false
		}
	} else if x.Netmask != "" {
		m, err := netip.ParseAddr(x.Netmask)
		if err != nil || !m.Is4() {
			return netip.Prefix{}, false
		}
		b := m.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		bits = 0
		for v&(1<<31) != 0 {
			bits++
			v <<= 1
		}
	} else if a.Is4() {
		bits = 24
	} else {
		bits = 64
	}
	if _, err := a.Prefix(bits); err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, bits), true
}

func libvirtProblem(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case host.IsCode(err, virt.ErrNoNetwork):
		return problem.Wrap(err, problem.NotFound, "network_not_found", "the network does not exist", "reload the network list")
	case host.IsCode(err, virt.ErrNetworkExist):
		return problem.Wrap(err, problem.Conflict, "network_exists", "a network of that name already exists", "choose another name")
	case host.IsCode(err, virt.ErrOperationInvalid):
		le, _ := err.(virt.Error)
		return problem.Wrap(err, problem.Conflict, "network_state_conflict", fmt.Sprintf("could not %s: %s", what, le.Message),
			"the network's state does not allow this now; reload and check whether it runs")
	}
	return host.Problem(err, what)
}

func (s *Service) describe(c virt.Conn, hostName string, n virt.Network, vms []inventory.VM) (Network, netXML, error) {
	out := Network{Host: hostName, Name: n.Name, UUID: host.FormatUUID(n.UUID), IPs: []IPRange{}, VMs: []User{}}
	doc, err := c.NetworkXML(n)
	if err != nil {
		return out, netXML{}, libvirtProblem(err, "read the network's definition")
	}
	var x netXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return out, x, fmt.Errorf("parse network %q XML: %w", n.Name, err)
	}
	out.Forward = "isolated"
	if x.Forward != nil {
		out.Forward = x.Forward.Mode
		if out.Forward == "" {
			out.Forward = "nat" // libvirt's default mode for <forward/>
		}
		out.ForwardDev = x.Forward.Dev
	}
	if x.Bridge != nil {
		out.Bridge = x.Bridge.Name
	}
	for _, ip := range x.IPs {
		r := IPRange{Family: "ipv4", Address: ip.Address}
		if ip.Family == "ipv6" {
			r.Family = "ipv6"
		}
		if p, ok := ip.prefix(); ok {
			r.Prefix = p.Bits()
			r.Subnet = p.Masked().String()
		}
		if ip.DHCP != nil {
			if len(ip.DHCP.Ranges) > 0 {
				r.DHCPStart, r.DHCPEnd = ip.DHCP.Ranges[0].Start, ip.DHCP.Ranges[0].End
			}
			for _, h := range ip.DHCP.Hosts {
				r.Hosts = append(r.Hosts, StaticHost{MAC: strings.ToLower(h.MAC), IP: h.IP, Name: h.Name})
			}
		}
		out.IPs = append(out.IPs, r)
	}
	if out.Active, err = c.NetworkActive(n); err != nil {
		return out, x, libvirtProblem(err, "read whether the network runs")
	}
	if out.Autostart, err = c.NetworkAutostart(n); err != nil {
		return out, x, libvirtProblem(err, "read the network's autostart flag")
	}
	out.VMs = usersOf(vms, hostName, n.Name, out.Bridge)
	return out, x, nil
}

// usersOf lists the VMs of hostName with an interface on the network
// (by its name, or on its bridge directly).
func usersOf(vms []inventory.VM, hostName, name, bridge string) []User {
	out := []User{}
	for _, vm := range vms {
		if vm.Host != hostName {
			continue
		}
		for _, nic := range vm.NICs {
			if (nic.Type == "network" && nic.Source == name) || (bridge != "" && nic.Type == "bridge" && nic.Source == bridge) {
				out = append(out, User{UUID: vm.UUID, Name: vm.Name, State: vm.State, MAC: nic.MAC})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// List returns the host's networks, by name.
func (s *Service) List(hostName string) ([]Network, error) {
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return nil, err
	}
	refs, err := c.ListNetworks()
	if err != nil {
		return nil, libvirtProblem(err, "list the networks")
	}
	vms := s.opts.Inventory.List()
	out := make([]Network, 0, len(refs))
	for _, n := range refs {
		d, _, err := s.describe(c, hostName, n, vms)
		if p, ok := problem.As(err); ok && p.Code == "network_not_found" {
			continue // undefined meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// lookup finds a network by name; names that could never be one are
// refused before libvirt is asked.
func lookup(c virt.Conn, name string) (virt.Network, error) {
	if name == "" || len(name) > 255 || strings.ContainsAny(name, "/\x00") {
		return virt.Network{}, problem.New(problem.NotFound, "network_not_found", fmt.Sprintf("there is no network %q", problem.Clip(name)), "reload the network list")
	}
	n, err := c.LookupNetwork(name)
	if err != nil {
		return n, libvirtProblem(err, "find the network")
	}
	return n, nil
}

// Get returns one network with its DHCP leases (while it runs).
func (s *Service) Get(hostName, name string) (Network, error) {
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return Network{}, err
	}
	n, err := lookup(c, name)
	if err != nil {
		return Network{}, err
	}
	vms := s.opts.Inventory.List()
	out, _, err := s.describe(c, hostName, n, vms)
	if err != nil {
		return out, err
	}
	out.Leases = []Lease{}
	if !out.Active {
		return out, nil
	}
	leases, err := c.NetworkLeases(n)
	if err != nil {
		return out, libvirtProblem(err, "read the network's DHCP leases")
	}
	byMAC := map[string]User{}
	for _, vm := range vms {
		if vm.Host != hostName {
			continue
		}
		for _, nic := range vm.NICs {
			byMAC[strings.ToLower(nic.MAC)] = User{UUID: vm.UUID, Name: vm.Name, State: vm.State, MAC: nic.MAC}
		}
	}
	for _, l := range leases {
		x := Lease{MAC: strings.ToLower(l.MAC), IP: l.IP, Prefix: l.Prefix, Hostname: l.Hostname, Expiry: l.Expiry}
		if u, ok := byMAC[x.MAC]; ok {
			x.VM = &u
		}
		out.Leases = append(out.Leases, x)
	}
	sort.Slice(out.Leases, func(i, j int) bool { return out.Leases[i].IP < out.Leases[j].IP })
	return out, nil
}

// runningUsers re-reads the host's running VMs (an interface plugged in
// with virsh attach-interface sends no event the inventory hears, and a
// stale cache must not let a used network go) and returns those that use
// the network. VMs that are off cannot be using it now.
func (s *Service) runningUsers(c virt.Conn, hostName string, d Network) []User {
	var fresh []inventory.VM
	for _, vm := range s.opts.Inventory.List() {
		if vm.Host != hostName || !inventory.Active(vm.State) {
			continue
		}
		if v, err := s.opts.Inventory.Refresh(c, hostName, vm.UUID); err == nil {
			vm = v
		}
		fresh = append(fresh, vm)
	}
	var out []User
	for _, u := range usersOf(fresh, hostName, d.Name, d.Bridge) {
		if inventory.Active(u.State) {
			out = append(out, u)
		}
	}
	return out
}

func inUse(name, what string, users []User) error {
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = fmt.Sprintf("%q", u.Name)
	}
	return problem.New(problem.Conflict, "network_in_use",
		fmt.Sprintf("the network %q cannot be %s: running VMs use it: %s", problem.Clip(name), what, strings.Join(names, ", ")),
		"shut those VMs down (or remove their interface on this network) first")
}

// Action starts or stops a network, or turns its autostart on or off
// (autostart-on, autostart-off). Stopping is refused while running VMs
// use it.
func (s *Service) Action(hostName, name, action string) (Network, error) {
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return Network{}, err
	}
	n, err := lookup(c, name)
	if err != nil {
		return Network{}, err
	}
	switch action {
	case "start":
		err = libvirtProblem(c.StartNetwork(n), "start the network")
	case "stop":
		d, _, derr := s.describe(c, hostName, n, nil)
		if derr != nil {
			return Network{}, derr
		}
		if users := s.runningUsers(c, hostName, d); len(users) > 0 {
			return Network{}, inUse(name, "stopped", users)
		}
		err = libvirtProblem(c.StopNetwork(n), "stop the network")
	case "autostart-on", "autostart-off":
		err = libvirtProblem(c.SetNetworkAutostart(n, action == "autostart-on"), "change the network's autostart flag")
	default:
		return Network{}, problem.New(problem.Invalid, "invalid_action", fmt.Sprintf("%q is not a network action", problem.Clip(action)),
			"use start, stop, autostart-on or autostart-off")
	}
	if err != nil {
		return Network{}, err
	}
	return s.Get(hostName, name)
}

// Delete stops (when it runs) and undefines a network. It is refused
// while running VMs use it, naming them.
func (s *Service) Delete(hostName, name string) error {
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return err
	}
	n, err := lookup(c, name)
	if err != nil {
		return err
	}
	d, _, err := s.describe(c, hostName, n, nil)
	if err != nil {
		return err
	}
	if users := s.runningUsers(c, hostName, d); len(users) > 0 {
		return inUse(name, "deleted", users)
	}
	if d.Active {
		if err := c.StopNetwork(n); err != nil && !host.IsCode(err, virt.ErrOperationInvalid) {
			return libvirtProblem(err, "stop the network")
		}
	}
	return libvirtProblem(c.UndefineNetwork(n), "undefine the network")
}

// CreateRequest is a new network.
type CreateRequest struct {
	Name string `json:"name"`
	// Mode: "nat", "route" (routed, no NAT), "isolated" (no forwarding) or
	// "bridge" (an existing bridge of the host, named by Bridge; no subnet).
	Mode string `json:"mode"`
	// Subnet is the IPv4 block in CIDR form, e.g. 192.168.150.0/24.
	Subnet string `json:"subnet"`
	// Gateway is the host's address on the network (default: the
	// subnet's first address).
	Gateway string `json:"gateway,omitempty"`
	// DHCPStart and DHCPEnd bound the DHCP range (both or neither; when
	// neither, no DHCP server runs).
	DHCPStart string       `json:"dhcpStart,omitempty"`
	DHCPEnd   string       `json:"dhcpEnd,omitempty"`
	Hosts     []StaticHost `json:"hosts,omitempty"`
	// Bridge names the bridge device (default: libvirt picks virbrN); with
	// mode bridge, the host's existing bridge.
	Bridge    string `json:"bridge,omitempty"`
	Autostart bool   `json:"autostart,omitempty"`
	// Start starts the network once it is defined.
	Start bool `json:"start,omitempty"`
}

// plan is a validated CreateRequest.
type plan struct {
	req    CreateRequest
	subnet netip.Prefix
	doc    string
}

// validate checks a request without looking at the host (ValidName,
// ParseSubnet, ...), and makes the network's XML.
func validate(req CreateRequest) (plan, error) {
	if err := ValidName(req.Name); err != nil {
		return plan{}, err
	}
	if req.Mode == "bridge" {
		return validateBridge(req)
	}
	fwd := &forwardXML{}
	switch req.Mode {
	case "nat":
		fwd.Mode = "nat"
	case "route":
		fwd.Mode = "route"
	case "isolated":
		fwd = nil
	default:
		return plan{}, problem.New(problem.Invalid, "invalid_network_mode", fmt.Sprintf("%q is not a network mode", problem.Clip(req.Mode)),
			"use nat (guests reach out through the host), route (routed, no NAT), isolated (guests reach only the host and each other) or bridge (an existing bridge of the host)")
	}
	if err := ValidBridge(req.Bridge); err != nil {
		return plan{}, err
	}
	subnet, err := ParseSubnet(req.Subnet)
	if err != nil {
		return plan{}, err
	}
	gw := subnet.Addr().Next()
	if req.Gateway != "" {
		if gw, err = ParseHostAddr(subnet, req.Gateway, "gateway"); err != nil {
			return plan{}, err
		}
	}
	ip := ipXML{Address: gw.String(), Prefix: fmt.Sprint(subnet.Bits())}
	if (req.DHCPStart == "") != (req.DHCPEnd == "") {
		return plan{}, problem.New(problem.Invalid, "invalid_dhcp_range", "the DHCP range needs both its start and its end",
			"give both dhcpStart and dhcpEnd, or neither for a network without DHCP")
	}
	if req.DHCPStart != "" {
		start, err := ParseHostAddr(subnet, req.DHCPStart, "DHCP start")
		if err != nil {
			return plan{}, err
		}
		end, err := ParseHostAddr(subnet, req.DHCPEnd, "DHCP end")
		if err != nil {
			return plan{}, err
		}
		if end.Less(start) {
			return plan{}, problem.New(problem.Invalid, "invalid_dhcp_range", fmt.Sprintf("the DHCP range ends (%s) before it starts (%s)", end, start),
				"swap the two addresses")
		}
		if !gw.Less(start) && !end.Less(gw) {
			return plan{}, problem.New(problem.Invalid, "invalid_dhcp_range", fmt.Sprintf("the DHCP range %s-%s contains the gateway %s", start, end, gw),
				"start the range after the gateway's address, or end it before")
		}
		ip.DHCP = &dhcpXML{Ranges: []rangeXML{{Start: start.String(), End: end.String()}}}
	}
	if len(req.Hosts) > 0 && ip.DHCP == nil {
		return plan{}, problem.New(problem.Invalid, "invalid_dhcp_range", "static leases need a DHCP range", "give dhcpStart and dhcpEnd too")
	}
	if len(req.Hosts) > 256 {
		return plan{}, problem.New(problem.Invalid, "invalid_static_lease", "more than 256 static leases", "give fewer")
	}
	seenMAC, seenIP := map[string]bool{}, map[netip.Addr]bool{}
	for _, h := range req.Hosts {
		mac, err := ValidMAC(h.MAC)
		if err != nil {
			return plan{}, err
		}
		a, err := ParseHostAddr(subnet, h.IP, "static lease address")
		if err != nil {
			return plan{}, err
		}
		if a == gw {
			return plan{}, problem.New(problem.Invalid, "invalid_static_lease", fmt.Sprintf("the static lease for %s gives the gateway's address %s", mac, a), "choose another address")
		}
		if seenMAC[mac] || seenIP[a] {
			return plan{}, problem.New(problem.Invalid, "invalid_static_lease", fmt.Sprintf("the static lease %s → %s repeats a MAC or an address", mac, a), "give each MAC and each address once")
		}
		if h.Name != "" {
			if err := ValidName(h.Name); err != nil {
				return plan{}, problem.New(problem.Invalid, "invalid_static_lease", fmt.Sprintf("the static lease for %s has the host name %q, which is not allowed", mac, problem.Clip(h.Name)), "use letters, digits, '.', '_' or '-'")
			}
		}
		seenMAC[mac], seenIP[a] = true, true
		ip.DHCP.Hosts = append(ip.DHCP.Hosts, hostXML{MAC: mac, Name: h.Name, IP: a.String()})
	}
	x := netXML{Name: req.Name, Forward: fwd, IPs: []ipXML{ip}}
	if req.Bridge != "" {
		x.Bridge = &bridgeXML{Name: req.Bridge, STP: "on"}
	}
	b, err := xml.MarshalIndent(x, "", "  ")
	if err != nil {
		return plan{}, fmt.Errorf("network XML: %w", err)
	}
	return plan{req: req, subnet: subnet, doc: string(b)}, nil
}

// validateBridge checks a request for a network on an existing bridge of
// the host (libvirt's forward mode bridge): the bridge's name, and nothing
// of the addresses, which the bridge's own network gives (libvirt runs no
// DHCP there). Whether the bridge exists, libvirt says only when a guest's
// NIC attaches to it (starting the network does not check).
func validateBridge(req CreateRequest) (plan, error) {
	if req.Bridge == "" {
		return plan{}, problem.New(problem.Invalid, "invalid_bridge_name", "a bridge network needs the name of an existing bridge of the host",
			"give bridge, e.g. br0 (ip link show type bridge lists them on the host)")
	}
	if err := ValidBridge(req.Bridge); err != nil {
		return plan{}, err
	}
	if req.Subnet != "" || req.Gateway != "" || req.DHCPStart != "" || req.DHCPEnd != "" || len(req.Hosts) > 0 {
		return plan{}, problem.New(problem.Invalid, "invalid_subnet",
			"a bridge network has no subnet, gateway, DHCP range or static leases: guests get addresses from the network the bridge is on",
			"leave out subnet, gateway, dhcpStart, dhcpEnd and hosts")
	}
	x := netXML{Name: req.Name, Forward: &forwardXML{Mode: "bridge"}, Bridge: &bridgeXML{Name: req.Bridge}}
	b, err := xml.MarshalIndent(x, "", "  ")
	if err != nil {
		return plan{}, fmt.Errorf("network XML: %w", err)
	}
	return plan{req: req, doc: string(b)}, nil
}

// overlaps reports the first of the host's networks whose IPv4 blocks
// overlap subnet (libvirt itself checks only against the host's routes,
// and only when a network starts), and one using the same bridge.
func overlaps(c virt.Conn, p plan) error {
	refs, err := c.ListNetworks()
	if err != nil {
		return libvirtProblem(err, "list the networks")
	}
	for _, n := range refs {
		doc, err := c.NetworkXML(n)
		if err != nil {
			if host.IsCode(err, virt.ErrNoNetwork) {
				continue
			}
			return libvirtProblem(err, "read a network's definition")
		}
		var x netXML
		if xml.Unmarshal([]byte(doc), &x) != nil {
			continue
		}
		if n.Name == p.req.Name {
			return problem.New(problem.Conflict, "network_exists", fmt.Sprintf("a network named %q already exists", problem.Clip(n.Name)), "choose another name")
		}
		if p.req.Bridge != "" && x.Bridge != nil && x.Bridge.Name == p.req.Bridge {
			return problem.New(problem.Conflict, "bridge_in_use", fmt.Sprintf("the network %q already uses the bridge %s", n.Name, p.req.Bridge), "choose another bridge name, or leave it empty")
		}
		for _, ip := range x.IPs {
			other, ok := ip.prefix()
			if !ok || !other.Addr().Is4() {
				continue
			}
			if p.subnet.IsValid() && other.Masked().Overlaps(p.subnet) {
				return problem.New(problem.Conflict, "subnet_overlap",
					fmt.Sprintf("the subnet %s overlaps %s of the network %q", p.subnet, other.Masked(), n.Name),
					"choose a subnet that no other network of this host uses")
			}
		}
	}
	return nil
}

// Create defines a network as req describes it, after checking it and
// that its subnet overlaps no other network of the host; with Start it
// starts it too (and undefines it again when that fails, so nothing half
// made stays behind).
func (s *Service) Create(hostName string, req CreateRequest) (Network, error) {
	p, err := validate(req)
	if err != nil {
		return Network{}, err
	}
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return Network{}, err
	}
	if err := overlaps(c, p); err != nil {
		return Network{}, err
	}
	n, err := c.DefineNetwork(p.doc)
	if err != nil {
		return Network{}, libvirtProblem(err, "define the network")
	}
	undo := func(cause error) (Network, error) {
		if uerr := c.UndefineNetwork(n); uerr != nil && !host.IsCode(uerr, virt.ErrNoNetwork) {
			return Network{}, fmt.Errorf("%w (and undefining the half-made network failed: %v)", cause, uerr)
		}
		return Network{}, cause
	}
	if req.Autostart {
		if err := c.SetNetworkAutostart(n, true); err != nil {
			return undo(libvirtProblem(err, "turn the network's autostart on"))
		}
	}
	if req.Start {
		if err := c.StartNetwork(n); err != nil {
			return undo(libvirtProblem(err, "start the network"))
		}
	}
	return s.Get(hostName, req.Name)
}

// HostSet adapts *host.Set to Hosts.
type HostSet struct{ Set *host.Set }

// Client implements Hosts.
func (h HostSet) Client(name string) (virt.Conn, error) { return h.Set.Client(name) }
