// Package metricstest builds an inventory of many running VMs with full
// stats records (CPU, balloon, two disks and two interfaces each) over the
// in-memory virtfake, for the scrape's unit tests and its benchmark.
package metricstest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

// Conn is virtfake with stats records as libvirt's bulk stats call gives
// them for running VMs (virtfake's own carry only the state and balloon).
type Conn struct {
	*virtfake.Conn
}

// UUID is the n-th VM's UUID.
func UUID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// AllDomainStats implements virt.Conn: every VM gets the same counters,
// with its number added so that they differ.
func (c Conn) AllDomainStats(doms []virt.Domain, types virt.StatsTypes, flags virt.StatsFlags) ([]virt.DomainStatsRecord, error) {
	recs, err := c.Conn.AllDomainStats(doms, types, flags)
	if err != nil {
		return nil, err
	}
	u := func(f string, v uint64) virt.TypedParam {
		return virt.TypedParam{Field: f, Value: virt.TypedParamValue{D: 4, I: v}}
	}
	s := func(f, v string) virt.TypedParam {
		return virt.TypedParam{Field: f, Value: virt.TypedParamValue{D: 7, I: v}}
	}
	for i := range recs {
		n := uint64(i)
		recs[i].Params = append(recs[i].Params,
			u("cpu.time", 1_000_000_000+n), u("vcpu.current", 2),
			u("balloon.current", 1<<20), u("balloon.maximum", 2<<20),
			u("balloon.available", 1<<20), u("balloon.usable", 512<<10), u("balloon.unused", 256<<10), u("balloon.rss", 300<<10),
			u("block.count", 2),
			s("block.0.name", "vda"), u("block.0.rd.reqs", 10), u("block.0.rd.bytes", 4096), u("block.0.wr.reqs", 20), u("block.0.wr.bytes", 8192),
			s("block.1.name", "sda"), u("block.1.rd.reqs", 1), u("block.1.rd.bytes", 2048), u("block.1.wr.reqs", 0), u("block.1.wr.bytes", 0),
			u("net.count", 2),
			s("net.0.name", "vnet0"), u("net.0.rx.bytes", 1000), u("net.0.rx.pkts", 10), u("net.0.rx.errs", 0), u("net.0.rx.drop", 1),
			u("net.0.tx.bytes", 2000), u("net.0.tx.pkts", 20), u("net.0.tx.errs", 0), u("net.0.tx.drop", 0),
			s("net.1.name", "vnet1"), u("net.1.rx.bytes", 5), u("net.1.rx.pkts", 1), u("net.1.rx.errs", 0), u("net.1.rx.drop", 0),
			u("net.1.tx.bytes", 6), u("net.1.tx.pkts", 1), u("net.1.tx.errs", 0), u("net.1.tx.drop", 0),
		)
	}
	return recs, nil
}

// Inventory returns an inventory of host "h1" with n running VMs named
// vm-0001..., each sampled once, and the fake connection (whose Calls
// count libvirt calls). The link is closed before it returns, so nothing
// calls libvirt afterwards unless the caller does.
func Inventory(n int) (*inventory.Inventory, Conn, error) {
	c := Conn{virtfake.New()}
	for i := 1; i <= n; i++ {
		u, err := host.ParseUUID(UUID(i))
		if err != nil {
			return nil, c, err
		}
		c.Add(virtfake.Domain{Name: fmt.Sprintf("vm-%04d", i), UUID: u, State: virt.StateRunning, Persistent: true})
	}
	inv := inventory.New(inventory.Options{Logger: slog.New(slog.DiscardHandler), Interval: 20 * time.Millisecond, MemoryStatsPeriod: -1})
	inv.AddHost("h1")
	h, err := host.New(host.Options{Name: "h1", URI: "qemu:///system"})
	if err != nil {
		return nil, c, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); inv.Connected(ctx, h, c) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		sampled := 0
		for _, vm := range inv.List() {
			if vm.Stats != nil {
				sampled++
			}
		}
		if sampled == n {
			return inv, c, nil
		}
		if time.Now().After(deadline) {
			return nil, c, fmt.Errorf("%d of %d VMs sampled within 60 s", sampled, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
