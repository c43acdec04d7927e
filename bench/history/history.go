// Package history measures what the inventory's stats history costs in
// memory: N running VMs fed -span of history (default a day, every tier
// full with the default tiers). Hours cannot be waited for, so time is
// compressed: the tick interval and every tier's step and span shrink by
// the same factor, so that the inventory records the same number of ticks
// (span / 2 s, each with a sample of every VM) through the same code
// (inventory.Connected's stats loop) and keeps the same number of points as
// in real time. It runs the real inventory in-process over virtfake (no
// libvirtd), and reports the growth of this process's Go heap and resident
// memory. With -server-rss (the idle RSS of the real server holding 501 VMs,
// from kvm-bench vms) it adds that growth to it: the server's RSS after
// -span with N running VMs, compared with the target.
package history

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	vms       int
	compress  int
	span      time.Duration
	serverRSS float64
}

// targetRSSMiB is the bound for the server's RSS after an hour
// with 500 VMs and their stats history (issue 13).
const targetRSSMiB = 40.0

// New returns the history subcommand.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags implements benchkit.Subcommand.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.vms, "vms", 500, "running VMs")
	fs.IntVar(&o.compress, "compress", 2000, "time compression: -span passes in span/compress")
	fs.DurationVar(&o.span, "span", 24*time.Hour, "how much history to feed (a day fills every default tier)")
	fs.Float64Var(&o.serverRSS, "server-rss", 0, "the real server's idle RSS in MiB (kvm-bench vms), to which the growth is added; 0: none")
}

// Check implements benchkit.Subcommand.
func (o *options) Check() error {
	return benchkit.Require(o.vms > 0 && o.compress >= 10 && o.compress <= 20000 && o.span >= time.Minute && o.serverRSS >= 0,
		"-vms > 0, -compress from 10 to 20000, -span >= 1m, -server-rss >= 0")
}

type discard struct{}

func (discard) Publish(event.Type, any) {}

// Run implements benchkit.Subcommand.
func (o *options) Run(ctx context.Context, out io.Writer) error {
	scale := func(d time.Duration) time.Duration { return d / time.Duration(o.compress) }
	interval := scale(2 * time.Second)
	var tiers []inventory.Tier
	// Every tier compressed alike; a tier longer than the span fills only
	// as far as the span reaches, as in real time.
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
	rssBefore, err := benchkit.StatusKiB(os.Getpid(), "VmRSS")
	if err != nil {
		return err
	}

	span := scale(o.span)
	runCtx, cancel := context.WithTimeout(ctx, span+span/20)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); inv.Connected(runCtx, h, c) }()
	fmt.Fprintf(out, "feeding the stats history of %d running VMs: %s (%d ticks of 2 s) compressed %d× into %s ...\n",
		o.vms, o.span, int(o.span/(2*time.Second)), o.compress, (span + span/20).Round(time.Second))
	<-runCtx.Done()
	if ctx.Err() != nil {
		<-done
		return ctx.Err()
	}
	<-done
	// RSS as the process holds it after the feed (no memory handed back
	// to the system first): what a server would show.
	rssAfter, err := benchkit.StatusKiB(os.Getpid(), "VmRSS")
	if err != nil {
		return err
	}
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
	rssGrown := float64(rssAfter-rssBefore) / 1024
	fmt.Fprintf(out, "stats history after %s (%d points read back per VM, default tiers):\n", o.span, n)
	fmt.Fprintf(out, "  Go heap held by the inventory of %d VMs: %.1f MiB (%.1f KiB per VM)\n", o.vms, grown, grown*1024/float64(o.vms))
	fmt.Fprintf(out, "  this process's RSS grew by %.1f MiB (the heap, its garbage between collections, virtfake's %d VMs)\n", rssGrown, o.vms)
	if o.serverRSS > 0 {
		// Two bounds: the live heap the history adds (as if the server's
		// collector left no more garbage than it does idle), and all the
		// resident memory this process gained (its garbage between
		// collections, and virtfake's work, counted as the server's). The
		// target is judged on the upper one.
		low, high := o.serverRSS+grown, o.serverRSS+max(grown, rssGrown)
		met := "no"
		if high < targetRSSMiB {
			met = "yes"
		}
		fmt.Fprintf(out, "  server RSS after %s with %d running VMs: %.1f to %.1f MiB (idle RSS %.1f MiB from kvm-bench vms + the heap growth, or + the RSS growth; target < %.0f MiB; met: %s)\n",
			o.span, o.vms, low, high, o.serverRSS, targetRSSMiB, met)
	} else {
		fmt.Fprintf(out, "  (add this to the idle server RSS of kvm-bench vms for a server that has run %s with %d running VMs)\n", o.span, o.vms)
	}
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
