package network

import (
	"context"
	"encoding/xml"
	"log/slog"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Guests is where the watcher reads the running VMs and records what it
// found (inventory.Inventory).
type Guests interface {
	List() []inventory.VM
	SetGuest(hostName, uuid string, addrs []inventory.Address, g *inventory.Guest)
}

// WatchOptions configures a Watcher.
type WatchOptions struct {
	Inventory Guests
	Logger    *slog.Logger
	// Interval between two reads of every running VM's addresses
	// (default 15 s).
	Interval time.Duration
	// Fast is the interval for the first minute after a VM's lifecycle
	// event, while a booting guest gets its lease and starts its agent
	// (default 2 s).
	Fast time.Duration
	// FastFor is how long Fast applies after an event (default 60 s).
	FastFor time.Duration
}

// Watcher reads every running VM's IP addresses (the guest agent first,
// then the DHCP leases of libvirt's networks, then the host's ARP table)
// and the guest agent's state and facts, and gives them to the inventory.
// It implements host.Observer: one loop per host link, off the request
// path, so the VM list never waits for a guest.
type Watcher struct {
	opts WatchOptions
	log  *slog.Logger

	mu    sync.Mutex
	hosts map[string]*watchHost
}

type watchHost struct {
	poke     chan struct{}
	fastTill time.Time
	// versions caches the agent's version per VM run ("uuid/id"): it
	// does not change while the agent runs.
	versions map[string]string
}

// NewWatcher returns a Watcher.
func NewWatcher(opts WatchOptions) *Watcher {
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Second
	}
	if opts.Fast <= 0 {
		opts.Fast = 2 * time.Second
	}
	if opts.FastFor <= 0 {
		opts.FastFor = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Watcher{opts: opts, log: opts.Logger, hosts: map[string]*watchHost{}}
}

func (w *Watcher) host(name string) *watchHost {
	w.mu.Lock()
	defer w.mu.Unlock()
	h, ok := w.hosts[name]
	if !ok {
		h = &watchHost{poke: make(chan struct{}, 1), versions: map[string]string{}}
		w.hosts[name] = h
	}
	return h
}

// Connected implements host.Observer: it reads the host's VMs' addresses
// until the link goes away.
func (w *Watcher) Connected(ctx context.Context, h *host.Host, c virt.Conn) {
	name := h.Name()
	wh := w.host(name)
	w.mu.Lock()
	wh.fastTill = time.Now().Add(w.opts.FastFor)
	w.mu.Unlock()
	for {
		w.Pass(ctx, c, name)
		w.mu.Lock()
		wait := w.opts.Interval
		if time.Now().Before(wh.fastTill) {
			wait = w.opts.Fast
		}
		w.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wh.poke:
			t.Stop()
		case <-t.C:
		}
	}
}

// Lifecycle implements host.Observer: a VM that started, stopped or
// changed is read again soon, and often for a minute (its guest is
// booting).
func (w *Watcher) Lifecycle(h *host.Host, ev host.LifecycleEvent) {
	wh := w.host(h.Name())
	w.mu.Lock()
	wh.fastTill = time.Now().Add(w.opts.FastFor)
	w.mu.Unlock()
	select {
	case wh.poke <- struct{}{}:
	default:
	}
}

// StateChanged implements host.Observer.
func (w *Watcher) StateChanged(*host.Host, host.Status) {}

// domXML is the part of a running domain's XML the watcher reads.
type domXML struct {
	Channels []struct {
		Target struct {
			Type  string `xml:"type,attr"`
			Name  string `xml:"name,attr"`
			State string `xml:"state,attr"`
		} `xml:"target"`
	} `xml:"devices>channel"`
}

// agentChannel is the state of the domain's guest agent channel:
// connected, disconnected or none.
func agentChannel(doc string) string {
	var x domXML
	if xml.Unmarshal([]byte(doc), &x) != nil {
		return "none"
	}
	for _, ch := range x.Channels {
		if ch.Target.Type == "virtio" && ch.Target.Name == "org.qemu.guest_agent.0" {
			if ch.Target.State == "connected" {
				return "connected"
			}
			return "disconnected"
		}
	}
	return "none"
}

// Pass reads the addresses and agent facts of hostName's running VMs once.
func (w *Watcher) Pass(ctx context.Context, c virt.Conn, hostName string) {
	var vms []inventory.VM
	anyNIC := false
	for _, vm := range w.opts.Inventory.List() {
		if vm.Host == hostName && (vm.State == inventory.StateRunning || vm.State == inventory.StateBlocked) {
			vms = append(vms, vm)
			anyNIC = anyNIC || len(vm.NICs) > 0
		}
	}
	if len(vms) == 0 {
		return
	}
	var leases map[string][]inventory.Address
	if anyNIC {
		leases = w.leases(c)
	}
	wh := w.host(hostName)
	w.mu.Lock()
	if len(wh.versions) > 2*len(vms)+16 {
		clear(wh.versions) // runs that ended; the live ones are read again
	}
	w.mu.Unlock()
	for _, vm := range vms {
		if ctx.Err() != nil {
			return
		}
		addrs, g := w.readVM(c, wh, vm, leases)
		w.opts.Inventory.SetGuest(hostName, vm.UUID, addrs, g)
	}
}

// leases maps MAC addresses to their DHCP leases on the host's running
// networks (one call per network).
func (w *Watcher) leases(c virt.Conn) map[string][]inventory.Address {
	out := map[string][]inventory.Address{}
	refs, err := c.ListNetworks()
	if err != nil {
		w.log.Debug("addresses: listing networks failed", "err", err)
		return out
	}
	for _, n := range refs {
		if on, err := c.NetworkActive(n); err != nil || !on {
			continue
		}
		ls, err := c.NetworkLeases(n)
		if err != nil {
			continue
		}
		for _, l := range ls {
			mac := strings.ToLower(l.MAC)
			if mac == "" {
				continue
			}
			out[mac] = append(out[mac], inventory.Address{IP: l.IP, Prefix: l.Prefix, MAC: mac, Interface: l.Interface, Source: "lease"})
		}
	}
	return out
}

// usable reports whether an address the agent reports is worth showing:
// not loopback, not IPv6 link-local.
func usable(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsUnspecified()
}

func (w *Watcher) readVM(c virt.Conn, wh *watchHost, vm inventory.VM, leases map[string][]inventory.Address) ([]inventory.Address, *inventory.Guest) {
	g := &inventory.Guest{Agent: "none"}
	u, err := host.ParseUUID(vm.UUID)
	if err != nil {
		return nil, nil
	}
	dom, err := c.LookupDomain(u)
	if err != nil {
		return vm.Addresses, vm.Guest
	}
	if doc, err := c.XML(dom, 0); err == nil {
		g.Agent = agentChannel(doc)
	}
	var addrs []inventory.Address
	have := map[string]bool{} // MACs with an address
	if g.Agent == "connected" {
		if ifs, err := c.InterfaceAddresses(dom, virt.SourceAgent); err == nil {
			for _, i := range ifs {
				mac := strings.ToLower(i.MAC)
				for _, a := range i.Addrs {
					if usable(a.Addr) {
						addrs = append(addrs, inventory.Address{IP: a.Addr, Prefix: a.Prefix, MAC: mac, Interface: i.Name, Source: "agent"})
						have[mac] = true
					}
				}
			}
		} else {
			w.log.Debug("addresses: agent failed", "vm", vm.Name, "err", err)
		}
		if info, err := c.GuestInfo(dom); err == nil {
			g.Hostname, g.Kernel = info.Hostname, info.KernelRelease
			g.OSName = info.OSPrettyName
			if g.OSName == "" {
				g.OSName = strings.TrimSpace(info.OSName + " " + info.OSVersion)
			}
		}
		key := vm.UUID + "/" + strconv.Itoa(int(dom.ID))
		w.mu.Lock()
		v, ok := wh.versions[key]
		w.mu.Unlock()
		if !ok {
			if v, err = c.AgentVersion(dom); err == nil {
				w.mu.Lock()
				wh.versions[key] = v
				w.mu.Unlock()
			}
		}
		g.Version = v
	}
	missing := false
	for _, nic := range vm.NICs {
		mac := strings.ToLower(nic.MAC)
		if mac == "" || have[mac] {
			continue
		}
		if ls := leases[mac]; len(ls) > 0 {
			addrs = append(addrs, ls...)
			have[mac] = true
			continue
		}
		missing = true
	}
	if missing {
		// The ARP table knows guests with static addresses, on bridges
		// that are not libvirt networks. libvirt reads it on the host; it
		// fails on some kernels (netlink) and then there is nothing.
		if ifs, err := c.InterfaceAddresses(dom, virt.SourceARP); err == nil {
			for _, i := range ifs {
				mac := strings.ToLower(i.MAC)
				if have[mac] {
					continue
				}
				for _, a := range i.Addrs {
					addrs = append(addrs, inventory.Address{IP: a.Addr, Prefix: a.Prefix, MAC: mac, Interface: i.Name, Source: "arp"})
				}
			}
		}
	}
	sort.SliceStable(addrs, func(i, j int) bool { return addrs[i].MAC < addrs[j].MAC })
	if addrs == nil {
		addrs = []inventory.Address{}
	}
	return addrs, g
}
