// Command kvm-bench measures a kvm-manager binary against the real libvirtd
// of this machine and prints figures; it asserts nothing. Each area is a
// subcommand (kvm-bench vms|serial|snapshot|console|history|metrics|remote|upload|create|addresses|schedule|transfer|recording|conn [flags]);
// docs/benchmarks.md says what the figures mean and records them, and
// `make bench` (scripts/bench.sh) runs them all.
//
// It lives apart from the product's cmd/: it is a measuring tool, built
// from the product's test plumbing (internal/testrig, internal/testguest).
package main

import (
	"os"

	"github.com/kvm-manager/kvm-manager/bench/addresses"
	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/bench/conn"
	"github.com/kvm-manager/kvm-manager/bench/console"
	"github.com/kvm-manager/kvm-manager/bench/create"
	"github.com/kvm-manager/kvm-manager/bench/history"
	"github.com/kvm-manager/kvm-manager/bench/metrics"
	"github.com/kvm-manager/kvm-manager/bench/recording"
	"github.com/kvm-manager/kvm-manager/bench/remote"
	"github.com/kvm-manager/kvm-manager/bench/schedule"
	"github.com/kvm-manager/kvm-manager/bench/serial"
	"github.com/kvm-manager/kvm-manager/bench/snapshot"
	"github.com/kvm-manager/kvm-manager/bench/transfer"
	"github.com/kvm-manager/kvm-manager/bench/upload"
	"github.com/kvm-manager/kvm-manager/bench/vms"
)

func main() {
	// The console benchmark starts this program again as its minimal relay.
	console.RunRelayIfAsked()
	benchkit.Main("kvm-bench", os.Args[1:], []benchkit.Command{
		{
			Name:    "vms",
			Summary: "500 VMs: initial sync, GET /api/v1/vms latency, state change -> SSE event, memory, exit",
			Guest:   true,
			New:     vms.New,
		},
		{
			Name:    "serial",
			Summary: "serial console: keystroke echo and cat throughput, direct go-libvirt against the server's WebSocket",
			Guest:   true,
			New:     serial.New,
		},
		{
			Name:    "snapshot",
			Summary: "snapshots: list of a 200-snapshot tree; create, revert, delete against virsh and libvirt",
			Guest:   true,
			New:     snapshot.New,
		},
		{
			Name:    "console",
			Summary: "graphical console: setup, round trip and capacity through the proxy against direct VNC and a minimal relay",
			Guest:   true,
			New:     console.New,
		},
		{
			Name:    "history",
			Summary: "stats history: the memory of 500 running VMs' full history (a day, time compressed, in-process over virtfake)",
			New:     history.New,
		},
		{
			Name:    "metrics",
			Summary: "GET /metrics with 500 running VMs: scrape time and the libvirt calls it makes (none), in-process over virtfake",
			New:     metrics.New,
		},
		{
			Name:    "remote",
			Summary: "a host over ssh: listing its VMs through KVM Manager against virsh -c qemu+ssh://, in one run",
			New:     remote.New,
		},
		{
			Name:    "upload",
			Summary: "volume upload: 2 GiB through the API against virsh vol-upload of the same file, throughput and server RSS",
			New:     upload.New,
		},
		{
			Name:    "create",
			Summary: "New VM: POST to a booted cloud-init test guest with its address shown, in phases, and the server's share (guests in the test network namespace)",
			Guest:   true,
			New:     create.New,
		},
		{
			Name:    "addresses",
			Summary: "IP addresses of 100 running VMs among 500: the address watcher's pass and the VM list with addresses, in-process over virtfake",
			New:     addresses.New,
		},
		{
			Name:    "schedule",
			Summary: "snapshot scheduler idle overhead: 100 policies on 100 VMs, CPU and RSS (in-process)",
			New:     schedule.New,
		},
		{
			Name:    "transfer",
			Summary: "export and import of a VM through the API against cp and qemu-img convert of the same disk, throughput",
			New:     transfer.New,
		},
		{
			Name:    "recording",
			Summary: "console recording: CPU per MB of a busy console's stream (framer, framer + file), memory, seek in a 10-minute recording",
			New:     recording.New,
		},
		{
			Name:    "conn",
			Summary: "5,000 slow connections: /healthz latency and the server's memory during and after",
			New:     conn.New,
		},
	})
}
