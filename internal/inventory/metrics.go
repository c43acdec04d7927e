package inventory

import (
	"strconv"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// DomainMetrics is one VM's figures for the Prometheus scrape: what the
// inventory holds and the raw counters of the last stats tick, so that a
// scrape makes no libvirt call of its own.
type DomainMetrics struct {
	Host, UUID, Name string
	// State is libvirt's state number (1 running, 3 paused, 5 shut off...).
	State        int32
	VCPUs        int
	MemoryMaxKiB uint64
	MemoryKiB    uint64
	// Sampled says that the fields below come from a stats tick (the VM
	// runs and has been sampled at least once).
	Sampled bool
	// CPUTimeNs is cpu.time: the VM's CPU time in nanoseconds.
	CPUTimeNs uint64
	// The balloon's figures in KiB; Has* tell which the guest reported.
	BalloonCurrentKiB, BalloonMaxKiB                              uint64
	AvailableKiB, UsableKiB, UnusedKiB, RSSKiB                    uint64
	HasBalloonCurrent, HasAvailable, HasUsable, HasUnused, HasRSS bool
	Blocks                                                        []BlockCounters
	Interfaces                                                    []InterfaceCounters
}

// BlockCounters are one disk's cumulative I/O counters.
type BlockCounters struct {
	Device                                     string
	ReadBytes, ReadReqs, WriteBytes, WriteReqs uint64
}

// InterfaceCounters are one network interface's cumulative counters.
type InterfaceCounters struct {
	Device                                string
	RxBytes, RxPackets, RxErrors, RxDrops uint64
	TxBytes, TxPackets, TxErrors, TxDrops uint64
}

// EachDomainMetrics calls fn with every VM's figures, host by host. It
// copies what it needs under the inventory's lock and parses after, so a
// scrape holds the lock only for the copy; fn's argument is reused between
// calls (copy what you keep).
func (inv *Inventory) EachDomainMetrics(fn func(*DomainMetrics)) {
	type snap struct {
		params []virt.TypedParam
	}
	inv.mu.RLock()
	n := 0
	for _, hv := range inv.hosts {
		n += len(hv.vms)
	}
	snaps := make([]snap, 0, n)
	vms := make([]VM, 0, n)
	for _, hv := range inv.hosts {
		for _, e := range hv.vms {
			// Only the scalar fields are read below: a shallow copy is
			// enough, and the slices it shares are never changed in place.
			vms = append(vms, e.vm)
			snaps = append(snaps, snap{params: e.params})
		}
	}
	inv.mu.RUnlock()
	var d DomainMetrics
	for i := range snaps {
		vm := &vms[i]
		d = DomainMetrics{
			Host: vm.Host, UUID: vm.UUID, Name: vm.Name, State: stateCode(vm.State),
			VCPUs: vm.VCPUs, MemoryMaxKiB: vm.MemoryMaxKiB, MemoryKiB: vm.MemoryKiB,
			Blocks: d.Blocks[:0], Interfaces: d.Interfaces[:0],
		}
		if snaps[i].params != nil && Active(vm.State) {
			d.parse(snaps[i].params)
		}
		fn(&d)
	}
}

// stateCode turns a state name back into libvirt's number, which the
// common libvirt exporters report.
func stateCode(s State) int32 {
	for code := int32(0); code <= 7; code++ {
		if StateName(code) == s {
			return code
		}
	}
	return 0
}

// parse reads one stats record's typed parameters.
func (d *DomainMetrics) parse(params []virt.TypedParam) {
	d.Sampled = true
	for _, p := range params {
		f := p.Field
		switch {
		case f == "cpu.time":
			d.CPUTimeNs = asUint(p.Value)
		case f == "balloon.current":
			d.BalloonCurrentKiB, d.HasBalloonCurrent = asUint(p.Value), true
		case f == "balloon.maximum":
			d.BalloonMaxKiB = asUint(p.Value)
		case f == "balloon.available":
			d.AvailableKiB, d.HasAvailable = asUint(p.Value), true
		case f == "balloon.usable":
			d.UsableKiB, d.HasUsable = asUint(p.Value), true
		case f == "balloon.unused":
			d.UnusedKiB, d.HasUnused = asUint(p.Value), true
		case f == "balloon.rss":
			d.RSSKiB, d.HasRSS = asUint(p.Value), true
		case strings.HasPrefix(f, "block."):
			i, rest, ok := indexed(f[len("block."):])
			if !ok {
				continue
			}
			for len(d.Blocks) <= i {
				d.Blocks = append(d.Blocks, BlockCounters{})
			}
			b := &d.Blocks[i]
			switch rest {
			case "name":
				b.Device, _ = p.Value.I.(string)
			case "rd.bytes":
				b.ReadBytes = asUint(p.Value)
			case "rd.reqs":
				b.ReadReqs = asUint(p.Value)
			case "wr.bytes":
				b.WriteBytes = asUint(p.Value)
			case "wr.reqs":
				b.WriteReqs = asUint(p.Value)
			}
		case strings.HasPrefix(f, "net."):
			i, rest, ok := indexed(f[len("net."):])
			if !ok {
				continue
			}
			for len(d.Interfaces) <= i {
				d.Interfaces = append(d.Interfaces, InterfaceCounters{})
			}
			n := &d.Interfaces[i]
			switch rest {
			case "name":
				n.Device, _ = p.Value.I.(string)
			case "rx.bytes":
				n.RxBytes = asUint(p.Value)
			case "rx.pkts":
				n.RxPackets = asUint(p.Value)
			case "rx.errs":
				n.RxErrors = asUint(p.Value)
			case "rx.drop":
				n.RxDrops = asUint(p.Value)
			case "tx.bytes":
				n.TxBytes = asUint(p.Value)
			case "tx.pkts":
				n.TxPackets = asUint(p.Value)
			case "tx.errs":
				n.TxErrors = asUint(p.Value)
			case "tx.drop":
				n.TxDrops = asUint(p.Value)
			}
		}
	}
}

// indexed splits "3.rd.bytes" into 3 and "rd.bytes"; "count" and indexes
// beyond any real VM's device count are refused.
func indexed(s string) (int, string, bool) {
	num, rest, ok := strings.Cut(s, ".")
	if !ok {
		return 0, "", false
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 || i >= 256 {
		return 0, "", false
	}
	return i, rest, true
}
