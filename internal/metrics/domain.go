package metrics

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// The per-VM series, named as the common libvirt exporters name them
// (prometheus-libvirt-exporter and its forks), so that their dashboards
// and alerts work; the labels are host, uuid and name (plus target_device
// for disks and interfaces) instead of their "domain".
//
// They are written straight in the text format rather than through
// client_golang's registry: at 500 VMs (about 22,000 series) building a
// const metric per series and having the registry check and sort them
// took about 200 ms a scrape on the 2-core CI machine; writing the lines
// takes a few (docs/benchmarks.md, make bench).

// vmSeries is one series per VM.
type vmSeries struct {
	name, help, typ string
	// value says the VM's value, and false when it has none (not running,
	// or the guest reports no such figure).
	value func(d *inventory.DomainMetrics) (float64, bool)
}

const kib = 1024

func always(v float64) (float64, bool) { return v, true }

var vmFamilies = []vmSeries{
	{"libvirt_domain_info_state", "The VM's libvirt state: 0 no state, 1 running, 2 blocked, 3 paused, 4 shutting down, 5 shut off, 6 crashed, 7 suspended by power management.", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) { return always(float64(d.State)) }},
	{"libvirt_domain_info_virtual_cpus", "Virtual CPUs of the VM.", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) { return always(float64(d.VCPUs)) }},
	{"libvirt_domain_info_maximum_memory_bytes", "The VM's maximum memory.", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) {
			if d.Sampled && d.BalloonMaxKiB > 0 {
				return always(float64(d.BalloonMaxKiB * kib))
			}
			return always(float64(d.MemoryMaxKiB * kib))
		}},
	{"libvirt_domain_info_memory_usage_bytes", "The VM's current memory (the balloon's size while it runs).", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) {
			if d.Sampled && d.HasBalloonCurrent {
				return always(float64(d.BalloonCurrentKiB * kib))
			}
			return always(float64(d.MemoryKiB * kib))
		}},
	{"libvirt_domain_info_cpu_time_seconds_total", "CPU time the running VM has used.", "counter",
		func(d *inventory.DomainMetrics) (float64, bool) { return float64(d.CPUTimeNs) / 1e9, d.Sampled }},
	{"libvirt_domain_memory_stats_available_bytes", "Memory the guest sees (balloon statistics from the guest's driver).", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) {
			return float64(d.AvailableKiB * kib), d.Sampled && d.HasAvailable
		}},
	{"libvirt_domain_memory_stats_usable_bytes", "Memory the guest could use without swapping: free plus reclaimable (balloon statistics).", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) {
			return float64(d.UsableKiB * kib), d.Sampled && d.HasUsable
		}},
	{"libvirt_domain_memory_stats_unused_bytes", "Memory the guest leaves entirely unused (balloon statistics).", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) {
			return float64(d.UnusedKiB * kib), d.Sampled && d.HasUnused
		}},
	{"libvirt_domain_memory_stats_used_bytes", "Memory the guest uses: available less usable (less unused when the guest reports no usable).", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) {
			switch {
			case !d.Sampled || !d.HasAvailable:
				return 0, false
			case d.HasUsable && d.AvailableKiB >= d.UsableKiB:
				return float64((d.AvailableKiB - d.UsableKiB) * kib), true
			case d.HasUnused && d.AvailableKiB >= d.UnusedKiB:
				return float64((d.AvailableKiB - d.UnusedKiB) * kib), true
			}
			return 0, false
		}},
	{"libvirt_domain_memory_stats_rss_bytes", "Resident memory of the VM's QEMU process on the host.", "gauge",
		func(d *inventory.DomainMetrics) (float64, bool) {
			return float64(d.RSSKiB * kib), d.Sampled && d.HasRSS
		}},
}

// deviceSeries is one series per disk or interface of a VM.
type deviceSeries struct {
	name, help string
	block      func(b *inventory.BlockCounters) uint64
	nic        func(n *inventory.InterfaceCounters) uint64
}

var deviceFamilies = []deviceSeries{
	{name: "libvirt_domain_block_stats_read_bytes_total", help: "Bytes read from the disk.", block: func(b *inventory.BlockCounters) uint64 { return b.ReadBytes }},
	{name: "libvirt_domain_block_stats_read_requests_total", help: "Read requests to the disk.", block: func(b *inventory.BlockCounters) uint64 { return b.ReadReqs }},
	{name: "libvirt_domain_block_stats_write_bytes_total", help: "Bytes written to the disk.", block: func(b *inventory.BlockCounters) uint64 { return b.WriteBytes }},
	{name: "libvirt_domain_block_stats_write_requests_total", help: "Write requests to the disk.", block: func(b *inventory.BlockCounters) uint64 { return b.WriteReqs }},
	{name: "libvirt_domain_interface_stats_receive_bytes_total", help: "Bytes the interface received.", nic: func(n *inventory.InterfaceCounters) uint64 { return n.RxBytes }},
	{name: "libvirt_domain_interface_stats_receive_packets_total", help: "Packets the interface received.", nic: func(n *inventory.InterfaceCounters) uint64 { return n.RxPackets }},
	{name: "libvirt_domain_interface_stats_receive_errors_total", help: "Receive errors of the interface.", nic: func(n *inventory.InterfaceCounters) uint64 { return n.RxErrors }},
	{name: "libvirt_domain_interface_stats_receive_drops_total", help: "Received packets the interface dropped.", nic: func(n *inventory.InterfaceCounters) uint64 { return n.RxDrops }},
	{name: "libvirt_domain_interface_stats_transmit_bytes_total", help: "Bytes the interface sent.", nic: func(n *inventory.InterfaceCounters) uint64 { return n.TxBytes }},
	{name: "libvirt_domain_interface_stats_transmit_packets_total", help: "Packets the interface sent.", nic: func(n *inventory.InterfaceCounters) uint64 { return n.TxPackets }},
	{name: "libvirt_domain_interface_stats_transmit_errors_total", help: "Transmit errors of the interface.", nic: func(n *inventory.InterfaceCounters) uint64 { return n.TxErrors }},
	{name: "libvirt_domain_interface_stats_transmit_drops_total", help: "Packets to send that the interface dropped.", nic: func(n *inventory.InterfaceCounters) uint64 { return n.TxDrops }},
}

// domain is one VM's figures kept for one scrape, with its label set
// written once.
type domain struct {
	d      inventory.DomainMetrics
	labels string // host="…",uuid="…",name="…"
}

// writeDomains writes every VM's series in the text format (version
// 0.0.4), family by family as the format requires.
func writeDomains(w io.Writer, inv *inventory.Inventory) error {
	var doms []domain
	inv.EachDomainMetrics(func(d *inventory.DomainMetrics) {
		c := *d
		c.Blocks = append([]inventory.BlockCounters(nil), d.Blocks...)
		c.Interfaces = append([]inventory.InterfaceCounters(nil), d.Interfaces...)
		var b strings.Builder
		b.WriteString(`host="`)
		escape(&b, d.Host)
		b.WriteString(`",uuid="`)
		escape(&b, d.UUID)
		b.WriteString(`",name="`)
		escape(&b, d.Name)
		b.WriteByte('"')
		doms = append(doms, domain{d: c, labels: b.String()})
	})
	bw := bufio.NewWriterSize(w, 64<<10)
	num := make([]byte, 0, 32)
	line := func(name, labels, dev string, v float64) {
		bw.WriteString(name)
		bw.WriteByte('{')
		bw.WriteString(labels)
		if dev != "" {
			bw.WriteString(`,target_device="`)
			var b strings.Builder
			escape(&b, dev)
			bw.WriteString(b.String())
			bw.WriteByte('"')
		}
		bw.WriteString("} ")
		num = strconv.AppendFloat(num[:0], v, 'g', -1, 64)
		bw.Write(num)
		bw.WriteByte('\n')
	}
	header := func(name, help, typ string) {
		bw.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
	}
	for _, f := range vmFamilies {
		header(f.name, f.help, f.typ)
		for i := range doms {
			if v, ok := f.value(&doms[i].d); ok {
				line(f.name, doms[i].labels, "", v)
			}
		}
	}
	for _, f := range deviceFamilies {
		header(f.name, f.help, "counter")
		for i := range doms {
			d := &doms[i]
			if f.block != nil {
				for j := range d.d.Blocks {
					if b := &d.d.Blocks[j]; b.Device != "" {
						line(f.name, d.labels, b.Device, float64(f.block(b)))
					}
				}
			} else {
				for j := range d.d.Interfaces {
					if n := &d.d.Interfaces[j]; n.Device != "" {
						line(f.name, d.labels, n.Device, float64(f.nic(n)))
					}
				}
			}
		}
	}
	return bw.Flush()
}

// escape writes a label value as the text format quotes it.
func escape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
}
