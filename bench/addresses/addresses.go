// Package addresses is kvm-bench addresses: the IP addresses of 100
// running VMs among 500, read by the server's own address watcher
// (internal/network: the guest agent first, then DHCP leases, then ARP)
// into the server's own inventory, and what that costs the VM list. It
// runs in-process over virtfake, whose guest agent answers for every
// running VM: 100 real guests with agents do not fit on the 2-core test
// machine. So it measures KVM Manager's side (the watcher's pass, its
// libvirt calls, the list with addresses), not libvirtd's or the agents'.
package addresses

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/network"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

type options struct {
	*benchkit.Common
	vms, running, passes, lists int
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.vms, "vms", 500, "VMs in the inventory")
	fs.IntVar(&o.running, "running", 100, "of them running, each with a guest agent reporting one address")
	fs.IntVar(&o.passes, "passes", 20, "address passes to time")
	fs.IntVar(&o.lists, "lists", 300, "VM lists to time, without and with passes running")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require(o.vms > 0 && o.running >= 0 && o.running <= o.vms && o.running < 65000 && o.passes > 0 && o.lists > 0,
		"-vms > 0, 0 <= -running <= -vms, -passes and -lists > 0")
}

func uuidOf(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func macOf(n int) string { return fmt.Sprintf("52:54:00:00:%02x:%02x", n/256, n%256) }

// domainXML has what the watcher reads: one NIC (its MAC) and the guest
// agent's channel, connected.
func domainXML(name, uuid, mac string) string {
	return `<domain type="kvm"><name>` + name + `</name><uuid>` + uuid + `</uuid><memory unit="KiB">196608</memory><vcpu>1</vcpu>` +
		`<devices><interface type="network"><mac address="` + mac + `"/><source network="default"/><model type="virtio"/></interface>` +
		`<channel type="unix"><target type="virtio" name="org.qemu.guest_agent.0" state="connected"/></channel></devices></domain>`
}

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error {
	c := virtfake.New()
	for i := 1; i <= o.vms; i++ {
		u, err := host.ParseUUID(uuidOf(i))
		if err != nil {
			return err
		}
		name := fmt.Sprintf("vm-%04d", i)
		st := virt.StateShutoff
		if i <= o.running {
			st = virt.StateRunning
		}
		c.Add(virtfake.Domain{Name: name, UUID: u, State: st, Persistent: true, XML: domainXML(name, uuidOf(i), macOf(i))})
		if i <= o.running {
			c.SetGuest(u, &virtfake.Guest{
				Addresses: map[virt.AddressSource][]virt.Interface{virt.SourceAgent: {
					{Name: "lo", MAC: "00:00:00:00:00:00", Addrs: []virt.IPAddr{{Addr: "127.0.0.1", Prefix: 8}}},
					{Name: "eth0", MAC: macOf(i), Addrs: []virt.IPAddr{{Addr: fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256), Prefix: 8}}},
				}},
				Info:    &virt.GuestInfo{Hostname: name, OSPrettyName: "Debian GNU/Linux 12 (bookworm)", KernelRelease: "6.1.0"},
				Version: "7.2.19",
			})
		}
	}
	quiet := slog.New(slog.DiscardHandler)
	inv := inventory.New(inventory.Options{Logger: quiet, MemoryStatsPeriod: -1})
	inv.AddHost("h1")
	h, err := host.New(host.Options{Name: "h1", URI: "qemu:///system"})
	if err != nil {
		return err
	}
	ictx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { inv.Connected(ictx, h, c) })
	defer func() { cancel(); wg.Wait() }()
	if err := waitListed(ctx, inv, o.vms); err != nil {
		return err
	}

	before := timeLists(inv, o.lists)
	w := network.NewWatcher(network.WatchOptions{Inventory: inv, Logger: quiet})
	var passes []time.Duration
	calls0 := len(c.Calls())
	for i := 0; i < o.passes && ctx.Err() == nil; i++ {
		t0 := time.Now()
		w.Pass(ctx, c, "h1")
		passes = append(passes, time.Since(t0))
	}
	calls := float64(len(c.Calls())-calls0) / float64(len(passes))
	withAgent, listBytes := 0, 0
	for _, vm := range inv.List() {
		for _, a := range vm.Addresses {
			if a.Source == "agent" {
				withAgent++
				break
			}
		}
	}
	if b, err := json.Marshal(map[string]any{"vms": inv.List()}); err == nil {
		listBytes = len(b)
	}

	// The list while the watcher passes back to back (the worst case: the
	// server's own loop waits 15 s between passes, 2 s after an event).
	pctx, stop := context.WithCancel(ctx)
	var pw sync.WaitGroup
	pw.Go(func() {
		for pctx.Err() == nil {
			w.Pass(pctx, c, "h1")
		}
	})
	during := timeLists(inv, o.lists)
	stop()
	pw.Wait()

	slices.Sort(passes)
	fmt.Fprintf(out, "addresses of %d running VMs among %d (in-process, virtfake's guest agent answering each):\n", o.running, o.vms)
	fmt.Fprintf(out, "  VMs listed with an agent address after the passes: %d of %d running\n", withAgent, o.running)
	fmt.Fprintf(out, "  one address pass over the running VMs: median %v, max %v over %d passes; %.0f libvirt calls per pass (%.1f per running VM)\n",
		passes[len(passes)/2].Round(10*time.Microsecond), passes[len(passes)-1].Round(10*time.Microsecond), len(passes), calls, calls/float64(max(o.running, 1)))
	fmt.Fprintf(out, "  the VM list as GET /api/v1/vms builds it (inventory.List + JSON, %d bytes with addresses):\n", listBytes)
	fmt.Fprintf(out, "    before any pass:            p50 %v, p95 %v (target: p50 < 5 ms)\n", before.p50, before.p95)
	fmt.Fprintf(out, "    with passes back to back:   p50 %v, p95 %v (target: p50 < 5 ms; met: %s)\n", during.p50, during.p95, benchkit.Met(during.p50 < 5*time.Millisecond))
	return nil
}

type latency struct{ p50, p95 time.Duration }

// timeLists times n lists of the inventory encoded as the API's JSON.
func timeLists(inv *inventory.Inventory, n int) latency {
	took := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		_ = json.NewEncoder(io.Discard).Encode(map[string]any{"vms": inv.List()})
		took = append(took, time.Since(t0))
	}
	slices.Sort(took)
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	return latency{p50: r(took[len(took)/2]), p95: r(took[len(took)*95/100])}
}

// waitListed waits (up to 60 s) until the inventory lists n VMs.
func waitListed(ctx context.Context, inv *inventory.Inventory, n int) error {
	deadline := time.Now().Add(60 * time.Second)
	for len(inv.List()) < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("the inventory lists %d of %d VMs after 60 s", len(inv.List()), n)
		}
		if err := benchkit.Sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
