// Package history measures what the inventory's stats history costs in
// memory at its full depth: N running VMs with every tier full (a day of
// history with the default tiers). A day cannot be waited for, so time is
// compressed: the tick interval and every tier's step shrink by the same
// factor, which keeps the number of points (and so the memory) of a day.
// It runs the real inventory in-process over virtfake (no libvirtd).
package history

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

type options struct {
	*benchkit.Common
	vms      int
	compress int
}

// New returns the history subcommand.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags implements benchkit.Subcommand.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.vms, "vms", 500, "running VMs")
	fs.IntVar(&o.compress, "compress", 2000, "time compression: a day passes in 86400/compress seconds")
}

// Check implements benchkit.Subcommand.
func (o *options) Check() error {
	return benchkit.Require(o.vms > 0 && o.compress >= 100 && o.compress <= 20000, "-vms > 0, -compress from 100 to 20000")
}

type discard struct{}

func (discard) Publish(event.Type, any) {}

// Run implements benchkit.Subcommand.
func (o *options) Run(ctx context.Context, out io.Writer) error {
	scale := func(d time.Duration) time.Duration { return d / time.Duration(o.compress) }
	interval := scale(2 * time.Second)
	var tiers []inventory.Tier
	for _, t := range inventory.DefaultTiers(2 * time.Second) {
		tiers = append(tiers, inventory.Tier{Step: scale(t.Step), Span: scale(t.Span)})
	}
	c := virtfake.New()
	for i := range o.vms {
		var u virt.UUID
		u[0], u[1], u[15] = byte(i>>8), byte(i), 0xbe
		c.Add(virtfake.Domain{Name: fmt.Sprintf("hist-%04d", i), UUID: u, State: virt.StateRunning, Persistent: true,
			Balloon: map[string]uint64{"balloon.available": 180000, "balloon.usable": 150000, "balloon.rss": 320000}})
	}
	h, err := host.New(host.Options{Name: "bench", URI: "qemu:///system"})
	if err != nil {
		return err
	}
	inv := inventory.New(inventory.Options{Publisher: discard{}, Logger: slog.New(slog.DiscardHandler), Interval: interval, Tiers: tiers, MemoryStatsPeriod: -1})
	before := heap()

	day := scale(24 * time.Hour)
	runCtx, cancel := context.WithTimeout(ctx, day+day/20)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); inv.Connected(runCtx, h, c) }()
	fmt.Fprintf(out, "filling the stats history of %d running VMs: a day compressed %d× (%s) ...\n", o.vms, o.compress, (day + day/20).Round(time.Second))
	<-runCtx.Done()
	if ctx.Err() != nil {
		<-done
		return ctx.Err()
	}
	<-done
	after := heap()
	n := 0
	if vms := inv.List(); len(vms) > 0 {
		s, _, err := inv.History("bench", vms[0].UUID, time.Time{})
		if err != nil {
			return err
		}
		n = len(s)
	}
	runtime.KeepAlive(inv)
	grown := float64(after-before) / (1 << 20)
	fmt.Fprintf(out, "stats history at full depth (%d points read back per VM, a day with the default tiers):\n", n)
	fmt.Fprintf(out, "  Go heap held by the inventory of %d VMs: %.1f MiB (%.1f KiB per VM)\n", o.vms, grown, grown*1024/float64(o.vms))
	fmt.Fprintf(out, "  (add this to the idle server RSS of kvm-bench vms for a server that has run a day with %d running VMs)\n", o.vms)
	return nil
}

// heap is the live Go heap after a collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
