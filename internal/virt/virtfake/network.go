package virtfake

import (
	"encoding/xml"
	"fmt"
	"sort"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Network is one fake virtual network. Tests add it with AddNetwork;
// DefineNetwork adds one from its XML.
type Network struct {
	Name      string
	UUID      virt.UUID
	XML       string
	Active    bool
	Autostart bool
	Leases    []virt.Lease
}

// Guest is what a running domain's guest tells through the agent, and
// what the leases and ARP sources say about it (SetGuest).
type Guest struct {
	// Addresses by source; a source that is missing fails as libvirt does
	// when it has nothing (the agent: not connected).
	Addresses map[virt.AddressSource][]virt.Interface
	Info      *virt.GuestInfo
	Version   string
}

func noNetwork(name string) error {
	return virt.Error{Code: uint32(virt.ErrNoNetwork), Message: "Network not found: no network with matching name '" + name + "'"}
}

// AddNetwork stores a network (a copy).
func (c *Conn) AddNetwork(n Network) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nets == nil {
		c.nets = map[string]*Network{}
	}
	if n.XML == "" {
		n.XML = fmt.Sprintf("<network><name>%s</name></network>", n.Name)
	}
	c.nets[n.Name] = &n
}

// NetworkState returns a copy of the named network and whether it exists.
func (c *Conn) NetworkState(name string) (Network, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nets[name]
	if !ok {
		return Network{}, false
	}
	return *n, true
}

// SetGuest sets what the guest of a domain answers (nil: no agent and no
// addresses).
func (c *Conn) SetGuest(uuid virt.UUID, g *Guest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.guests == nil {
		c.guests = map[virt.UUID]*Guest{}
	}
	c.guests[uuid] = g
}

func netRef(n *Network) virt.Network { return virt.Network{Name: n.Name, UUID: n.UUID} }

func (c *Conn) netLocked(method string, ref virt.Network) (*Network, error) {
	c.calls = append(c.calls, method+" "+ref.Name)
	if fn := c.hooks[method]; fn != nil {
		c.mu.Unlock()
		err := fn()
		c.mu.Lock()
		if err != nil {
			return nil, err
		}
	}
	if err := c.failing[method]; err != nil {
		return nil, err
	}
	n, ok := c.nets[ref.Name]
	if !ok {
		return nil, noNetwork(ref.Name)
	}
	return n, nil
}

// ListNetworks implements virt.Conn.
func (c *Conn) ListNetworks() ([]virt.Network, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("ListNetworks", nil); err != nil {
		return nil, err
	}
	out := make([]virt.Network, 0, len(c.nets))
	for _, n := range c.nets {
		out = append(out, netRef(n))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LookupNetwork implements virt.Conn.
func (c *Conn) LookupNetwork(name string) (virt.Network, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("LookupNetwork", virt.Network{Name: name})
	if err != nil {
		return virt.Network{}, err
	}
	return netRef(n), nil
}

// NetworkXML implements virt.Conn.
func (c *Conn) NetworkXML(ref virt.Network) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("NetworkXML", ref)
	if err != nil {
		return "", err
	}
	return n.XML, nil
}

// NetworkActive implements virt.Conn.
func (c *Conn) NetworkActive(ref virt.Network) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("NetworkActive", ref)
	if err != nil {
		return false, err
	}
	return n.Active, nil
}

// NetworkAutostart implements virt.Conn.
func (c *Conn) NetworkAutostart(ref virt.Network) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("NetworkAutostart", ref)
	if err != nil {
		return false, err
	}
	return n.Autostart, nil
}

// SetNetworkAutostart implements virt.Conn.
func (c *Conn) SetNetworkAutostart(ref virt.Network, on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("SetNetworkAutostart", ref)
	if err != nil {
		return err
	}
	n.Autostart = on
	return nil
}

// DefineNetwork implements virt.Conn.
func (c *Conn) DefineNetwork(doc string) (virt.Network, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("DefineNetwork", nil); err != nil {
		return virt.Network{}, err
	}
	var x struct {
		Name string `xml:"name"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil || x.Name == "" {
		return virt.Network{}, virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: bad network definition"}
	}
	if c.nets == nil {
		c.nets = map[string]*Network{}
	}
	if _, ok := c.nets[x.Name]; ok {
		return virt.Network{}, virt.Error{Code: uint32(virt.ErrNetworkExist), Message: "operation failed: network '" + x.Name + "' already exists"}
	}
	var u virt.UUID
	copy(u[:], fmt.Sprintf("net-%-12s", x.Name))
	n := &Network{Name: x.Name, UUID: u, XML: doc}
	c.nets[x.Name] = n
	return netRef(n), nil
}

// StartNetwork implements virt.Conn.
func (c *Conn) StartNetwork(ref virt.Network) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("StartNetwork", ref)
	if err != nil {
		return err
	}
	if n.Active {
		return invalid("network is already active")
	}
	n.Active = true
	return nil
}

// StopNetwork implements virt.Conn.
func (c *Conn) StopNetwork(ref virt.Network) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("StopNetwork", ref)
	if err != nil {
		return err
	}
	if !n.Active {
		return invalid("network is not active")
	}
	n.Active, n.Leases = false, nil
	return nil
}

// UndefineNetwork implements virt.Conn.
func (c *Conn) UndefineNetwork(ref virt.Network) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("UndefineNetwork", ref)
	if err != nil {
		return err
	}
	delete(c.nets, n.Name)
	return nil
}

// NetworkLeases implements virt.Conn.
func (c *Conn) NetworkLeases(ref virt.Network) ([]virt.Lease, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.netLocked("NetworkLeases", ref)
	if err != nil {
		return nil, err
	}
	if !n.Active {
		return nil, invalid("network '" + n.Name + "' is not active")
	}
	return append([]virt.Lease(nil), n.Leases...), nil
}

func (c *Conn) guestLocked(method string, dom virt.Domain) (*Guest, error) {
	d, err := c.call(method, &dom)
	if err != nil {
		return nil, err
	}
	if !active(d.State) {
		return nil, invalid("domain is not running")
	}
	return c.guests[dom.UUID], nil
}

func agentMissing() error {
	return virt.Error{Code: uint32(virt.ErrAgentUnresponsive), Message: "Guest agent is not responding: QEMU guest agent is not connected"}
}

// InterfaceAddresses implements virt.Conn.
func (c *Conn) InterfaceAddresses(dom virt.Domain, source virt.AddressSource) ([]virt.Interface, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := c.guestLocked("InterfaceAddresses", dom)
	if err != nil {
		return nil, err
	}
	var ifs []virt.Interface
	var ok bool
	if g != nil {
		ifs, ok = g.Addresses[source]
	}
	if !ok && source == virt.SourceAgent {
		return nil, agentMissing()
	}
	return append([]virt.Interface(nil), ifs...), nil
}

// GuestInfo implements virt.Conn.
func (c *Conn) GuestInfo(dom virt.Domain) (virt.GuestInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := c.guestLocked("GuestInfo", dom)
	if err != nil {
		return virt.GuestInfo{}, err
	}
	if g == nil || g.Info == nil {
		return virt.GuestInfo{}, agentMissing()
	}
	return *g.Info, nil
}

// AgentVersion implements virt.Conn.
func (c *Conn) AgentVersion(dom virt.Domain) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, err := c.guestLocked("AgentVersion", dom)
	if err != nil {
		return "", err
	}
	if g == nil || g.Info == nil {
		return "", agentMissing()
	}
	return g.Version, nil
}
