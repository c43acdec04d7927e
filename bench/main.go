// Command kvm-bench measures a kvm-manager binary against the real libvirtd
// of this machine and prints figures; it asserts nothing. Each area is a
// subcommand (kvm-bench vms|serial|snapshot|console|conn [flags]);
// docs/benchmarks.md says what the figures mean and records them, and
// `make bench` (scripts/bench.sh) runs them all.
//
// It lives apart from the product's cmd/: it is a measuring tool, built
// from the product's test plumbing (internal/testrig, internal/testguest).
package main

import (
	"os"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/bench/conn"
	"github.com/kvm-manager/kvm-manager/bench/console"
	"github.com/kvm-manager/kvm-manager/bench/serial"
	"github.com/kvm-manager/kvm-manager/bench/snapshot"
	"github.com/kvm-manager/kvm-manager/bench/vms"
)

func main() {
	// The console benchmark starts this program again as its minimal relay.
	console.RunRelayIfAsked()
	benchkit.Main("kvm-bench", os.Args[1:], []benchkit.Command{
		vms.Command, serial.Command, snapshot.Command, console.Command, conn.Command,
	})
}
