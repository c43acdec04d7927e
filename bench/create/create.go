// Package create is the kvm-bench subcommand "create": the time from
// "Create" (POST /api/v1/hosts/{host}/vms) to a booted cloud-init test guest
// whose address the server shows, and the server's share of it. It asserts
// nothing: docs/benchmarks.md says what the figures mean and records them.
//
// Guests get a network, so everything runs against the libvirtd of the
// test network namespace (scripts/netns-libvirt.sh): an isolated libvirt
// network there, with DHCP, and no route out; no packet leaves it. The
// server under test talks to that libvirtd through its socket.
//
// Each of -runs creations is timed in phases, from the client's side (the
// event stream, with arrival times) and from the server's own log line
// ("vm created", internal/vmcreate), which splits the operation into the
// libvirt calls that do the work and the rest:
//
//   - request: POST until the 202 (checking the request, osinfo-db, the
//     cloud-init seed image built in memory, a few libvirt lookups);
//   - operation: 202 until the operation's success event (the disk copied,
//     the seed volume uploaded, the VM defined and started);
//   - boot: until the guest's DHCP lease exists in libvirt (polled
//     directly every 50 ms): QEMU, the guest and dnsmasq;
//   - shown: until a vm event carries the address (the server's address
//     watcher reads leases every 2 s after a lifecycle event).
//
// The server's share is request + (operation − its libvirt calls) + shown.
// Everything it made (VMs, volumes, pool, network) is removed at the end.
package create

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

type options struct {
	*benchkit.Common
	runs  int
	netns string
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's own flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.runs, "runs", 3, "VMs created, one after the other")
	fs.StringVar(&o.netns, "netns", "kvmbench-net", "the network namespace of the benchmark's own libvirtd (scripts/netns-libvirt.sh)")
}

// Check says what is wrong with the flags.
func (o *options) Check() error { return benchkit.Require(o.runs >= 1, "-runs must be positive") }

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

// sample is one creation's phases; server* come from the server's log.
type sample struct {
	request, operation, boot, shown time.Duration
	plan, runLib, runAll            time.Duration
	// libvirt's calls in the operation, by phase (the server's log).
	volumes, seed, define, start time.Duration
}

func (s sample) total() time.Duration { return s.request + s.operation + s.boot + s.shown }

// serverShare is everything but libvirt's and QEMU's work.
func (s sample) serverShare() time.Duration {
	return s.request + max(0, s.operation-s.runLib) + s.shown // two clocks: never below zero
}

func run(ctx context.Context, o options, out io.Writer) error {
	root := testrig.ModuleRoot()
	nsScript := filepath.Join(root, "scripts", "netns-libvirt.sh")
	// A namespace of the benchmark's own: "down" at the end must not stop
	// the one the integration tests share.
	nsEnv := append(os.Environ(), "KVM_TEST_NETNS="+o.netns, "KVM_TEST_NETNS_DIR=/var/lib/kvm-manager-test/"+o.netns)
	up := exec.CommandContext(ctx, nsScript, "up")
	up.Env = nsEnv
	sockOut, err := up.Output()
	if err != nil {
		return fmt.Errorf("%s up: %w", nsScript, err)
	}
	defer func() {
		down := exec.Command(nsScript, "down")
		down.Env = nsEnv
		_ = down.Run()
	}()
	sock := strings.TrimSpace(string(sockOut))
	uri := "qemu+unix:///system?socket=" + sock
	if b, err := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build-test-guest-media.sh"), o.GuestDir).CombinedOutput(); err != nil {
		return fmt.Errorf("build-test-guest-media.sh: %w: %s", err, b)
	}
	image := filepath.Join(o.GuestDir, "media", "testguest.qcow2")

	srv, err := benchkit.StartConnected(ctx, o.Server, "--host", "local="+uri)
	if err != nil {
		return err
	}
	defer srv.Close()
	l := libvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(sock)))
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		return fmt.Errorf("dial the namespace's libvirtd: %w", err)
	}
	defer func() { _ = l.Disconnect() }()

	// The pool: a folder QEMU can read, holding the cloud image.
	pool := testguest.UniqueName("kmbench-cpool-")
	dir := filepath.Join(o.GuestDir, "vms", pool)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if b, err := exec.CommandContext(ctx, "cp", "--sparse=always", image, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("cp: %w: %s", err, b)
	}
	if st, b, err := srv.Do(ctx, "POST", "/api/v1/hosts/local/pools", map[string]any{"name": pool, "path": dir}); err != nil || st != 201 {
		return fmt.Errorf("create pool: %d %s %v", st, benchkit.Clip(b), err)
	}
	var made []string // VM UUIDs
	defer func() {
		for _, uuid := range made {
			_ = exec.Command("virsh", "-c", uri, "destroy", uuid).Run()
			_ = exec.Command("virsh", "-c", uri, "undefine", uuid, "--nvram", "--remove-all-storage").Run()
		}
		_, _, _ = srv.Do(context.Background(), "DELETE", "/api/v1/hosts/local/pools/"+pool+"/volumes/testguest.qcow2", nil)
		_, _, _ = srv.Do(context.Background(), "DELETE", "/api/v1/hosts/local/pools/"+pool, nil)
	}()

	// The network: isolated (no forward), DHCP, inside the namespace.
	netName := testguest.UniqueName("kmbench-net-")
	var prefix string
	for try := 0; ; try++ {
		prefix = fmt.Sprintf("10.%d.%d", 200+try%50, 7+try)
		st, b, err := srv.Do(ctx, "POST", "/api/v1/hosts/local/networks", map[string]any{
			"name": netName, "mode": "isolated", "subnet": prefix + ".0/24", "bridge": "kmb" + strconv.Itoa(os.Getpid()%100000),
			"dhcpStart": prefix + ".100", "dhcpEnd": prefix + ".199", "start": true,
		})
		if err == nil && st == 201 {
			break
		}
		if try > 20 || err != nil || !strings.Contains(string(b), "subnet_overlap") {
			return fmt.Errorf("create network: %d %s %v", st, benchkit.Clip(b), err)
		}
	}
	defer func() {
		_ = exec.Command("virsh", "-c", uri, "net-destroy", netName).Run()
		_ = exec.Command("virsh", "-c", uri, "net-undefine", netName).Run()
	}()
	network, err := l.NetworkLookupByName(netName)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "%d creations of a cloud-init test guest (256 MiB, 1 vCPU, TCG unless /dev/kvm), network %s (%s.0/24, isolated, in namespace)\n", o.runs, netName, prefix)
	var samples []sample
	for i := range o.runs {
		s, uuid, err := once(ctx, srv, l, network, pool, netName, i)
		if uuid != "" {
			made = append(made, uuid)
		}
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		samples = append(samples, s)
		// Each guest is stopped before the next starts: one boot at a time.
		_ = exec.Command("virsh", "-c", uri, "destroy", uuid).Run()
	}
	report(out, samples)
	return nil
}

// once creates one VM and times its phases.
func once(ctx context.Context, srv *testrig.Server, l *libvirt.Libvirt, network libvirt.Network, pool, netName string, i int) (sample, string, error) {
	name := testguest.UniqueName(fmt.Sprintf("kmbench-create%d-", i))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	body, err := benchkit.Events(ctx, srv, "vm,operation")
	if err != nil {
		return sample{}, "", err
	}
	var mu sync.Mutex
	var opID, uuid string
	var opDone, shown time.Time
	var opErr string
	gotDone, gotShown := make(chan struct{}), make(chan struct{})
	go benchkit.ReadSSE(body, func(typ, data string, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		switch typ {
		case "operation":
			var op struct {
				ID, State string
				Error     *struct{ Message string }
			}
			if json.Unmarshal([]byte(data), &op) == nil && op.ID == opID && opDone.IsZero() && (op.State == "succeeded" || op.State == "failed") {
				opDone = at
				if op.Error != nil {
					opErr = op.Error.Message
				}
				close(gotDone)
			}
		case "vm":
			var vm struct {
				UUID      string
				Addresses []struct{ Address string }
			}
			if json.Unmarshal([]byte(data), &vm) == nil && vm.UUID == uuid && uuid != "" && len(vm.Addresses) > 0 && shown.IsZero() {
				shown = at
				close(gotShown)
			}
		}
	})
	req := map[string]any{
		"name": name, "memoryMiB": 256, "cpu": map[string]any{"count": 1},
		"source":    map[string]any{"kind": "cloud-image", "pool": pool, "volume": "testguest.qcow2"},
		"disk":      map[string]any{"pool": pool},
		"network":   map[string]any{"network": netName},
		"start":     true,
		"cloudInit": map[string]any{"hostname": "bench" + strconv.Itoa(i), "userData": "#cloud-config\nruncmd:\n  - echo bench > /root/ran\n"},
	}
	mu.Lock() // the operation's events wait until its id is known
	t0 := time.Now()
	st, b, err := srv.Do(ctx, "POST", "/api/v1/hosts/local/vms", req)
	t1 := time.Now()
	var op struct{ ID string }
	if err != nil || st != 202 || json.Unmarshal(b, &op) != nil {
		mu.Unlock()
		return sample{}, "", fmt.Errorf("POST vms: %d %s %v", st, benchkit.Clip(b), err)
	}
	opID = op.ID
	mu.Unlock()
	select {
	case <-gotDone:
	case <-ctx.Done():
		return sample{}, "", fmt.Errorf("the operation did not end: %w", ctx.Err())
	}
	mu.Lock()
	failed := opErr
	mu.Unlock()
	// The VM's UUID: the server's log line names it, with the phases.
	line, err := waitLogLine(ctx, srv, name)
	if err != nil {
		return sample{}, "", err
	}
	if failed != "" {
		return sample{}, line.uuid, fmt.Errorf("the creation failed: %s", failed)
	}
	mu.Lock()
	uuid = line.uuid
	mu.Unlock()
	// The lease of this guest's MAC, straight from libvirt (dnsmasq keeps
	// the leases of the runs before).
	dom, err := l.DomainLookupByName(name)
	if err != nil {
		return sample{}, uuid, err
	}
	doc, err := l.DomainGetXMLDesc(dom, 0)
	if err != nil {
		return sample{}, uuid, err
	}
	m := macRE.FindStringSubmatch(doc)
	if m == nil {
		return sample{}, uuid, fmt.Errorf("no MAC address in %s's definition", name)
	}
	mac := strings.ToLower(m[1])
	var leased time.Time
	for leased.IsZero() {
		leases, _, err := l.NetworkGetDhcpLeases(network, nil, 1, 0)
		if err == nil && slices.ContainsFunc(leases, func(x libvirt.NetworkDhcpLease) bool {
			return len(x.Mac) == 1 && strings.EqualFold(x.Mac[0], mac) && validIP(x.Ipaddr)
		}) {
			leased = time.Now()
			break
		}
		if err := benchkit.Sleep(ctx, 50*time.Millisecond); err != nil {
			return sample{}, uuid, fmt.Errorf("no DHCP lease: %w", err)
		}
	}
	// The address may already have been shown before the lease was seen
	// here (the 50 ms poll): then shown counts as zero.
	select {
	case <-gotShown:
	case <-ctx.Done():
		return sample{}, uuid, fmt.Errorf("the address was never shown: %w", ctx.Err())
	}
	cancel()
	mu.Lock()
	defer mu.Unlock()
	s := sample{request: t1.Sub(t0), operation: opDone.Sub(t1), boot: leased.Sub(opDone), shown: max(0, shown.Sub(leased)),
		plan: line.plan, runLib: line.libvirt, runAll: line.run,
		volumes: line.volumes, seed: line.seed, define: line.define, start: line.start}
	return s, uuid, nil
}

func validIP(s string) bool { return net.ParseIP(s) != nil }

var macRE = regexp.MustCompile(`<mac address='([0-9a-fA-F:]{17})'`)

// logLine is the server's "vm created" line.
type logLine struct {
	uuid                         string
	plan, run, libvirt           time.Duration
	volumes, seed, define, start time.Duration
}

var logRE = regexp.MustCompile(`(\w+)=("[^"]*"|\S+)`)

// waitLogLine finds the server's "vm created" line for name.
func waitLogLine(ctx context.Context, srv *testrig.Server, name string) (logLine, error) {
	for {
		for _, ln := range strings.Split(srv.Log(), "\n") {
			if !strings.Contains(ln, `msg="vm created"`) || !strings.Contains(ln, "vm="+name+" ") {
				continue
			}
			var r logLine
			for _, m := range logRE.FindAllStringSubmatch(ln, -1) {
				ms := func() time.Duration {
					f, _ := strconv.ParseFloat(m[2], 64)
					return time.Duration(f * float64(time.Millisecond))
				}
				switch m[1] {
				case "uuid":
					r.uuid = m[2]
				case "plan_ms":
					r.plan = ms()
				case "run_ms":
					r.run = ms()
				case "libvirt_ms":
					r.libvirt = ms()
				case "volumes_ms":
					r.volumes = ms()
				case "seed_upload_ms":
					r.seed = ms()
				case "define_ms":
					r.define = ms()
				case "start_ms":
					r.start = ms()
				}
			}
			return r, nil
		}
		if err := benchkit.Sleep(ctx, 50*time.Millisecond); err != nil {
			return logLine{}, fmt.Errorf("no \"vm created\" line for %s in the server's log: %w", name, err)
		}
	}
}

func report(out io.Writer, ss []sample) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintln(w, "run\trequest ms\toperation ms\t(its libvirt calls)\tboot to lease ms\tlease to shown ms\ttotal ms\tserver's share ms\t")
	for i, s := range ss {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", i+1, ms(s.request), ms(s.operation), ms(s.runLib), ms(s.boot), ms(s.shown), ms(s.total()), ms(s.serverShare()))
	}
	med := func(f func(sample) time.Duration) string {
		ds := make([]time.Duration, len(ss))
		for i, s := range ss {
			ds[i] = f(s)
		}
		return ms(testrig.Percentile(ds, 50))
	}
	fmt.Fprintf(w, "median\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", med(func(s sample) time.Duration { return s.request }), med(func(s sample) time.Duration { return s.operation }),
		med(func(s sample) time.Duration { return s.runLib }), med(func(s sample) time.Duration { return s.boot }), med(func(s sample) time.Duration { return s.shown }),
		med(sample.total), med(sample.serverShare))
	_ = w.Flush()
	fmt.Fprintf(out, "server's own work in the request (plan, from its log): median %s ms\n", med(func(s sample) time.Duration { return s.plan }))
	fmt.Fprintf(out, "in the operation (server's log), medians: libvirt copying the disk %s ms, seed volume made and uploaded %s ms, define %s ms, start %s ms; the server's own %s ms\n",
		med(func(s sample) time.Duration { return s.volumes }), med(func(s sample) time.Duration { return s.seed }),
		med(func(s sample) time.Duration { return s.define }), med(func(s sample) time.Duration { return s.start }),
		med(func(s sample) time.Duration { return s.runAll - s.runLib }))
}
