package inventory

import (
	"strconv"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// counters are the cumulative values of one VM at one tick, kept to turn the
// next tick's values into rates.
type counters struct {
	time                         time.Time
	cpuNs                        uint64
	diskRd, diskWr, netRx, netTx uint64
	vcpus                        int
	state                        int32
	hasCPU, hasDisk, hasNet      bool
	memUsed, memTotal, memRSS    uint64
}

// parseRecord reads the typed parameters of one domain's stats record.
func parseRecord(params []virt.TypedParam, now time.Time) counters {
	c := counters{time: now, state: -1}
	var avail, unused, usable uint64
	var hasAvail, hasUnused, hasUsable bool
	for _, p := range params {
		f := p.Field
		switch {
		case f == "state.state":
			c.state = int32(asUint(p.Value))
		case f == "cpu.time":
			c.cpuNs, c.hasCPU = asUint(p.Value), true
		case f == "vcpu.current":
			c.vcpus = int(asUint(p.Value))
		case f == "balloon.available":
			avail, hasAvail = asUint(p.Value), true
		case f == "balloon.unused":
			unused, hasUnused = asUint(p.Value), true
		case f == "balloon.usable":
			usable, hasUsable = asUint(p.Value), true
		case f == "balloon.rss":
			c.memRSS = asUint(p.Value)
		case strings.HasPrefix(f, "block."):
			if strings.HasSuffix(f, ".rd.bytes") {
				c.diskRd += asUint(p.Value)
				c.hasDisk = true
			} else if strings.HasSuffix(f, ".wr.bytes") {
				c.diskWr += asUint(p.Value)
				c.hasDisk = true
			}
		case strings.HasPrefix(f, "net."):
			if strings.HasSuffix(f, ".rx.bytes") {
				c.netRx += asUint(p.Value)
				c.hasNet = true
			} else if strings.HasSuffix(f, ".tx.bytes") {
				c.netTx += asUint(p.Value)
				c.hasNet = true
			}
		}
	}
	// Guest-reported figures need a balloon driver with stats in the guest
	// (and a stats period set, see Inventory.statsLoop). "available" is the
	// memory the guest sees (MemTotal), "usable" what it could hand out
	// without swapping (MemAvailable: free plus reclaimable caches), so
	// their difference is what "free" calls used. Older guests report only
	// "unused" (MemFree), which counts caches as used.
	switch {
	case hasAvail && hasUsable && avail >= usable:
		c.memUsed, c.memTotal = avail-usable, avail
	case hasAvail && hasUnused && avail >= unused:
		c.memUsed, c.memTotal = avail-unused, avail
	}
	return c
}

// sample turns two consecutive counter sets into a Sample. prev may be nil.
func sample(prev *counters, cur counters) Sample {
	s := Sample{Time: cur.time, MemoryUsedKiB: cur.memUsed, MemoryTotalKiB: cur.memTotal, MemoryRSSKiB: cur.memRSS}
	if prev == nil {
		return s
	}
	dt := cur.time.Sub(prev.time).Seconds()
	if dt <= 0 {
		return s
	}
	rate := func(a, b uint64) *float64 {
		if b < a { // counter reset: the VM restarted
			return nil
		}
		v := float64(b-a) / dt
		return &v
	}
	if cur.hasCPU && prev.hasCPU && cur.cpuNs >= prev.cpuNs {
		n := cur.vcpus
		if n <= 0 {
			n = 1
		}
		v := float64(cur.cpuNs-prev.cpuNs) / (dt * 1e9 * float64(n)) * 100
		v = min(v, 100)
		s.CPUPercent = &v
	}
	if cur.hasDisk && prev.hasDisk {
		s.DiskReadBps = rate(prev.diskRd, cur.diskRd)
		s.DiskWriteBps = rate(prev.diskWr, cur.diskWr)
	}
	if cur.hasNet && prev.hasNet {
		s.NetRxBps = rate(prev.netRx, cur.netRx)
		s.NetTxBps = rate(prev.netTx, cur.netTx)
	}
	return s
}

func asUint(v virt.TypedParamValue) uint64 {
	switch x := v.I.(type) {
	case int32:
		return uint64(x)
	case uint32:
		return uint64(x)
	case int64:
		return uint64(x)
	case uint64:
		return x
	case float64:
		return uint64(x)
	case string:
		n, _ := strconv.ParseUint(x, 10, 64)
		return n
	}
	return 0
}

// applyBlockSizes fills the disks' sizes from a "block" stats group:
// capacity is the virtual size, physical what the image takes on the host.
func applyBlockSizes(disks []Disk, params []virt.TypedParam) {
	type sizes struct{ capacity, physical *uint64 }
	byIndex := map[string]*sizes{}
	names := map[string]string{} // index -> target
	for _, p := range params {
		rest, ok := strings.CutPrefix(p.Field, "block.")
		if !ok {
			continue
		}
		idx, field, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		sz := byIndex[idx]
		if sz == nil {
			sz = &sizes{}
			byIndex[idx] = sz
		}
		switch field {
		case "name":
			if v, ok := p.Value.I.(string); ok {
				names[idx] = v
			}
		case "capacity":
			v := asUint(p.Value)
			sz.capacity = &v
		case "physical":
			v := asUint(p.Value)
			sz.physical = &v
		}
	}
	for idx, target := range names {
		for i := range disks {
			if disks[i].Target == target {
				disks[i].Capacity, disks[i].Allocation = byIndex[idx].capacity, byIndex[idx].physical
			}
		}
	}
}
