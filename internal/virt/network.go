package virt

import (
	"encoding/json"
	"fmt"

	"github.com/digitalocean/go-libvirt"
)

// Network names a libvirt virtual network (name and UUID).
type Network = libvirt.Network

// Network error codes the services tell apart.
const (
	// ErrNoNetwork: no network of that name.
	ErrNoNetwork = libvirt.ErrNoNetwork
	// ErrNetworkExist: a network of that name (or UUID) is already defined.
	ErrNetworkExist = libvirt.ErrNetworkExist
	// ErrAgentUnsynced: the guest agent did not answer its sync in time.
	ErrAgentUnsynced = libvirt.ErrAgentUnsynced
)

// Lease is one DHCP lease that a network's dnsmasq handed out.
type Lease struct {
	// Interface is the network's bridge.
	Interface string
	// Expiry is when the lease ends, in seconds since 1970 (0: never).
	Expiry int64
	// IPv6 tells the address family.
	IPv6     bool
	MAC      string
	IP       string
	Prefix   uint
	Hostname string
	ClientID string
}

// AddressSource says where InterfaceAddresses reads a domain's addresses.
type AddressSource int

// Address sources.
const (
	// SourceLease: the DHCP leases of the libvirt networks the domain is on.
	SourceLease AddressSource = AddressSource(libvirt.DomainInterfaceAddressesSrcLease)
	// SourceAgent: the guest agent (the guest's own view).
	SourceAgent AddressSource = AddressSource(libvirt.DomainInterfaceAddressesSrcAgent)
	// SourceARP: the host's ARP table.
	SourceARP AddressSource = AddressSource(libvirt.DomainInterfaceAddressesSrcArp)
)

// Interface is one network interface of a domain with its addresses, as
// InterfaceAddresses reports it.
type Interface struct {
	Name  string
	MAC   string
	Addrs []IPAddr
}

// IPAddr is one address of an Interface.
type IPAddr struct {
	IPv6   bool
	Addr   string
	Prefix uint
}

// GuestInfo is what the guest agent tells about the guest's system.
type GuestInfo struct {
	Hostname      string
	OSID          string
	OSName        string
	OSPrettyName  string
	OSVersion     string
	KernelRelease string
}

// NetworkConn is the part of Conn about virtual networks, addresses and the
// guest agent.
type NetworkConn interface {
	// ListNetworks returns every virtual network, active or not.
	ListNetworks() ([]Network, error)
	// LookupNetwork finds a network by name (ErrNoNetwork when there is
	// none).
	LookupNetwork(name string) (Network, error)
	// NetworkXML returns a network's definition (the live one while it
	// runs).
	NetworkXML(n Network) (string, error)
	// NetworkActive reports whether the network runs.
	NetworkActive(n Network) (bool, error)
	// NetworkAutostart reports whether the network starts with the daemon.
	NetworkAutostart(n Network) (bool, error)
	// SetNetworkAutostart turns starting with the daemon on or off.
	SetNetworkAutostart(n Network, on bool) error
	// DefineNetwork stores a new persistent network (not started).
	DefineNetwork(doc string) (Network, error)
	// StartNetwork starts a defined network (bridge, dnsmasq, firewall).
	StartNetwork(n Network) error
	// StopNetwork stops a running network.
	StopNetwork(n Network) error
	// UndefineNetwork removes a network's definition.
	UndefineNetwork(n Network) error
	// NetworkLeases returns the DHCP leases of a running network.
	NetworkLeases(n Network) ([]Lease, error)

	// InterfaceAddresses returns a running domain's interfaces and their
	// addresses as source knows them.
	InterfaceAddresses(dom Domain, source AddressSource) ([]Interface, error)
	// GuestInfo asks the guest agent for the guest's OS and host name.
	GuestInfo(dom Domain) (GuestInfo, error)
	// AgentVersion asks the guest agent for its own version (guest-info).
	AgentVersion(dom Domain) (string, error)
}

// ListNetworks implements NetworkConn.
func (c *Libvirt) ListNetworks() ([]Network, error) {
	nets, _, err := c.l.ConnectListAllNetworks(1, 0)
	return nets, err
}

// LookupNetwork implements NetworkConn.
func (c *Libvirt) LookupNetwork(name string) (Network, error) { return c.l.NetworkLookupByName(name) }

// NetworkXML implements NetworkConn.
func (c *Libvirt) NetworkXML(n Network) (string, error) { return c.l.NetworkGetXMLDesc(n, 0) }

// NetworkActive implements NetworkConn.
func (c *Libvirt) NetworkActive(n Network) (bool, error) {
	a, err := c.l.NetworkIsActive(n)
	return a == 1, err
}

// NetworkAutostart implements NetworkConn.
func (c *Libvirt) NetworkAutostart(n Network) (bool, error) {
	a, err := c.l.NetworkGetAutostart(n)
	return a == 1, err
}

// SetNetworkAutostart implements NetworkConn.
func (c *Libvirt) SetNetworkAutostart(n Network, on bool) error {
	v := int32(0)
	if on {
		v = 1
	}
	return c.l.NetworkSetAutostart(n, v)
}

// DefineNetwork implements NetworkConn.
func (c *Libvirt) DefineNetwork(doc string) (Network, error) { return c.l.NetworkDefineXML(doc) }

// StartNetwork implements NetworkConn.
func (c *Libvirt) StartNetwork(n Network) error { return c.l.NetworkCreate(n) }

// StopNetwork implements NetworkConn.
func (c *Libvirt) StopNetwork(n Network) error { return c.l.NetworkDestroy(n) }

// UndefineNetwork implements NetworkConn.
func (c *Libvirt) UndefineNetwork(n Network) error { return c.l.NetworkUndefine(n) }

// NetworkLeases implements NetworkConn.
func (c *Libvirt) NetworkLeases(n Network) ([]Lease, error) {
	ls, _, err := c.l.NetworkGetDhcpLeases(n, libvirt.OptString{}, 1, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Lease, 0, len(ls))
	for _, l := range ls {
		out = append(out, Lease{
			Interface: l.Iface, Expiry: l.Expirytime, IPv6: l.Type == int32(libvirt.IPAddrTypeIpv6),
			MAC: opt(l.Mac), IP: l.Ipaddr, Prefix: uint(l.Prefix), Hostname: opt(l.Hostname), ClientID: opt(l.Clientid),
		})
	}
	return out, nil
}

func opt(s libvirt.OptString) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// InterfaceAddresses implements NetworkConn.
func (c *Libvirt) InterfaceAddresses(dom Domain, source AddressSource) ([]Interface, error) {
	ifs, err := c.l.DomainInterfaceAddresses(dom, uint32(source), 0)
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(ifs))
	for _, i := range ifs {
		x := Interface{Name: i.Name, MAC: opt(i.Hwaddr)}
		for _, a := range i.Addrs {
			x.Addrs = append(x.Addrs, IPAddr{IPv6: a.Type == int32(libvirt.IPAddrTypeIpv6), Addr: a.Addr, Prefix: uint(a.Prefix)})
		}
		out = append(out, x)
	}
	return out, nil
}

// GuestInfo implements NetworkConn.
func (c *Libvirt) GuestInfo(dom Domain) (GuestInfo, error) {
	params, err := c.l.DomainGetGuestInfo(dom, uint32(libvirt.DomainGuestInfoOs|libvirt.DomainGuestInfoHostname), 0)
	if err != nil {
		return GuestInfo{}, err
	}
	var g GuestInfo
	for _, p := range params {
		s, ok := p.Value.I.(string)
		if !ok {
			continue
		}
		switch p.Field {
		case "hostname":
			g.Hostname = s
		case libvirt.DomainGuestInfoOsID:
			g.OSID = s
		case libvirt.DomainGuestInfoOsName:
			g.OSName = s
		case libvirt.DomainGuestInfoOsPrettyName:
			g.OSPrettyName = s
		case libvirt.DomainGuestInfoOsVersion:
			g.OSVersion = s
		case "os.kernel-release":
			g.KernelRelease = s
		}
	}
	return g, nil
}

// AgentVersion implements NetworkConn. It uses libvirt's QEMU-specific
// agent pass-through for the one read-only command libvirt has no API for.
func (c *Libvirt) AgentVersion(dom Domain) (string, error) {
	res, err := c.l.QEMUDomainAgentCommand(dom, `{"execute":"guest-info"}`, int32(libvirt.DomainAgentResponseTimeoutDefault), 0)
	if err != nil {
		return "", err
	}
	var out struct {
		Return struct {
			Version string `json:"version"`
		} `json:"return"`
	}
	if err := json.Unmarshal([]byte(opt(res)), &out); err != nil {
		return "", fmt.Errorf("parse guest-info answer: %w", err)
	}
	return out.Return.Version, nil
}
