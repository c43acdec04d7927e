// Package vms is the kvm-bench subcommand "vms": how a kvm-manager binary
// copes with many VMs on the real libvirtd of this machine. It asserts
// nothing: docs/benchmarks.md says what the figures mean and records them.
//
// It defines N shut-off filler domains (kmbench-0000, kmbench-0001, ...) and
// starts one real test guest (kmbench-guest-<random>), runs the server against
// them and measures:
//
//   - the initial sync: from starting the server until GET /api/v1/vms lists
//     all N+1 bench VMs;
//   - GET /api/v1/vms latency over one keep-alive connection;
//   - the delay from a libvirt suspend/resume call to the matching "vm"
//     Server-Sent Event at a client (and, for reference, to libvirt's own
//     lifecycle event at the bench's connection);
//   - the server's resident memory after an idle spell;
//   - how long the server takes to exit on SIGTERM.
//
// Every kmbench-* domain is removed at the end, also on error or Ctrl-C, and
// leftovers of an interrupted run are removed before it starts. Run it with
// `make bench`, which prepares libvirt, the test guest and the binary.
package vms

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// Every domain the bench makes starts with benchPrefix, so that cleanup (and
// the removal of leftovers) can find them all by name.
const (
	benchPrefix = "kmbench-"
	guestPrefix = benchPrefix + "guest-"
)

// Targets the figures are compared with (see docs/benchmarks.md).
const (
	targetListP50  = 30 * time.Millisecond
	targetEventP50 = 50 * time.Millisecond
	targetRSSMiB   = 40.0
)

// Timeouts for things that normally take seconds; they only stop a run that
// hangs.
const (
	syncTimeout  = 5 * time.Minute
	eventTimeout = 5 * time.Second
)

// options are the command-line flags.
type options struct {
	*benchkit.Common
	n        int
	workers  int
	warmup   int
	requests int
	flips    int
	pause    time.Duration
	idle     time.Duration
	after    string
	soak     time.Duration
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's own flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.n, "n", 500, "number of shut-off filler domains to define")
	fs.IntVar(&o.workers, "workers", 8, "concurrent libvirt calls when defining and removing domains")
	fs.IntVar(&o.warmup, "warmup", 20, "GET /api/v1/vms requests before measuring")
	fs.IntVar(&o.requests, "requests", 300, "measured GET /api/v1/vms requests")
	fs.IntVar(&o.flips, "flips", 50, "suspend/resume calls whose events are timed")
	fs.DurationVar(&o.pause, "pause", 100*time.Millisecond, "pause between suspend/resume calls")
	fs.DurationVar(&o.idle, "idle", 10*time.Second, "idle time before reading the server's memory")
	fs.DurationVar(&o.soak, "soak", 0, "after everything else, leave the loaded server idle this long and report its RSS (the issue's hour, shortened to what a run can afford)")
	fs.StringVar(&o.after, "after", "", "a command to run against the loaded server before it stops (it gets KVM_BENCH_URL, KVM_BENCH_TOKEN and KVM_BENCH_VMS), e.g. the web UI benchmark")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require(o.n >= 0 && o.workers >= 1 && o.requests >= 1 && o.flips >= 1, "-n must be >= 0 and --workers, --requests, --flips >= 1")
}

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

// run does the whole benchmark. Whatever happens after the leftovers are
// gone, the deferred cleanup removes every kmbench-* domain again.
func run(ctx context.Context, o options, out io.Writer) (err error) {
	l, err := benchkit.Dial()
	if err != nil {
		return err
	}
	defer l.Disconnect()
	doms := benchkit.Domains{Prefix: benchPrefix, Dir: o.GuestDir, Workers: o.workers}

	env, err := readEnv(l, o.GuestDir)
	if err != nil {
		return err
	}
	env.print(out)
	if err := removeBenchDomains(l, doms, out, "leftover"); err != nil {
		return err
	}
	defer func() {
		if benchkit.Closed(l.Disconnected()) {
			fmt.Fprintln(out, "the libvirt link dropped; reconnecting to clean up")
			if err != nil {
				err = fmt.Errorf("%w (the bench's libvirt link dropped: was libvirtd restarted?)", err)
			}
		}
		err = errors.Join(err, removeBenchDomains(l, doms, out, "bench"))
	}()

	g, err := startGuest(l, o, env.domainType)
	if err != nil {
		return err
	}
	if err := defineFillers(ctx, l, o, env.domainType, out); err != nil {
		return err
	}
	if err := g.boot.Wait(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "guest %s is up\n", g.name)
	return measure(ctx, l, o, g, out)
}

// measure starts the server and takes every figure, in an order where each
// step leaves the server as the next one expects it.
func measure(ctx context.Context, l *libvirt.Libvirt, o options, g *guest, out io.Writer) error {
	srv, err := startServer(o.Server)
	if err != nil {
		return err
	}
	defer srv.close(out)
	res := &results{n: o.n}
	fmt.Fprintf(out, "server %s started (%s)\n", srv.version(ctx), srv.URL)
	if res.sync, err = srv.waitSynced(ctx, o.n+1); err != nil {
		return err
	}
	fmt.Fprintf(out, "initial sync of %d VMs done after %s\n", o.n+1, testrig.Ms(res.sync))
	if err := measureList(ctx, srv, o, res); err != nil {
		return err
	}
	if err := measureEvents(ctx, l, srv, g, o, res); err != nil {
		return err
	}
	fmt.Fprintf(out, "idle for %s\n", o.idle)
	if err := measureIdle(ctx, srv, o, res); err != nil {
		return err
	}
	res.print(out)
	if o.after != "" {
		if err := runAfter(ctx, o.after, srv, o.n+1, out); err != nil {
			return err
		}
	}
	if o.soak > 0 {
		if err := soak(ctx, srv, o.soak, out); err != nil {
			return err
		}
	}
	res.stop, res.exit = srv.stop()
	fmt.Fprintf(out, "exit after SIGTERM: %s (%s)\n", testrig.Ms(res.stop), res.exit)
	return nil
}

// soak leaves the server alone with all the bench VMs (its stats loop, the
// guest's history filling its tiers, the UI's watchers gone) for d, reads its
// RSS every tenth of d, and prints the first, highest and last reading: the
// memory a server settles at after a long quiet spell, measured on the real
// process rather than computed (kvm-bench history computes the hour).
func soak(ctx context.Context, s *server, d time.Duration, out io.Writer) error {
	fmt.Fprintf(out, "\nsoak: the server idle for %s with all VMs, RSS every %s\n", d, d/10)
	var first, peak, last int64
	for i := 0; i <= 10; i++ {
		if i > 0 {
			if err := benchkit.Sleep(ctx, d/10); err != nil {
				return err
			}
		}
		rss, err := benchkit.StatusKiB(s.PID(), "VmRSS")
		if err != nil {
			return err
		}
		if i == 0 {
			first = rss
		}
		peak, last = max(peak, rss), rss
		fmt.Fprintf(out, "  %s\t%.1f MiB\n", d/10*time.Duration(i), float64(rss)/1024)
	}
	mib := func(k int64) float64 { return float64(k) / 1024 }
	fmt.Fprintf(out, "server RSS after a %s soak\t%.1f MiB (start %.1f, peak %.1f)\t< %.0f MiB\t%s\n",
		d, mib(last), mib(first), mib(peak), targetRSSMiB, benchkit.Met(mib(peak) < targetRSSMiB))
	return nil
}

// runAfter runs another benchmark against the server while it holds all
// the bench VMs, so that it needs no setup of its own.
func runAfter(ctx context.Context, command string, srv *server, vms int, out io.Writer) error {
	fmt.Fprintf(out, "\n--- %s\n", command)
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Env = append(os.Environ(), "KVM_BENCH_URL="+srv.URL, "KVM_BENCH_TOKEN="+srv.Token, fmt.Sprintf("KVM_BENCH_VMS=%d", vms))
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", command, err)
	}
	return nil
}

// ---- environment -----------------------------------------------------------

// environment is what the figures depend on besides the server.
type environment struct {
	domainType, typeReason string
	cpu                    string
	nproc                  int
	memTotal               string
	kernel                 string
	libvirt, qemu          string
	others, othersActive   int // domains on this host that are not the bench's
}

func readEnv(l *libvirt.Libvirt, guestDir string) (environment, error) {
	e := environment{nproc: runtime.NumCPU(), cpu: procField("/proc/cpuinfo", "model name"),
		memTotal: procField("/proc/meminfo", "MemTotal")}
	var err error
	if e.domainType, e.typeReason, err = testguest.DetectDomainType(l, guestDir); err != nil {
		return e, fmt.Errorf("detect kvm or qemu: %w", err)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.kernel = strings.TrimSpace(string(b))
	}
	if v, err := l.ConnectGetLibVersion(); err == nil {
		e.libvirt = benchkit.Dotted(v)
	}
	if v, err := l.ConnectGetVersion(); err == nil {
		e.qemu = benchkit.Dotted(v)
	}
	doms, _, err := l.ConnectListAllDomains(1, 0)
	if err != nil {
		return e, fmt.Errorf("list domains: %w", err)
	}
	for _, d := range doms {
		if !isBenchName(d.Name) {
			e.others++
			if d.ID > 0 {
				e.othersActive++
			}
		}
	}
	return e, nil
}

func (e environment) print(out io.Writer) {
	fmt.Fprintln(out, "environment:")
	fmt.Fprintf(out, "  domain type  %s (%s)\n", e.domainType, e.typeReason)
	fmt.Fprintf(out, "  CPU          %s, nproc %d\n", e.cpu, e.nproc)
	fmt.Fprintf(out, "  memory       %s\n", e.memTotal)
	fmt.Fprintf(out, "  kernel       %s\n", e.kernel)
	fmt.Fprintf(out, "  libvirt      %s, QEMU %s\n", e.libvirt, e.qemu)
	fmt.Fprintf(out, "  bench Go     %s\n", runtime.Version())
	fmt.Fprintf(out, "  other VMs    %d defined, %d running (they load the host and the server too)\n", e.others, e.othersActive)
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "unknown"
}

// ---- domains ---------------------------------------------------------------

// removeBenchDomains removes every kmbench-* domain (the cleanup reconnects
// if libvirtd dropped the bench's link) and says how many it found.
func removeBenchDomains(l *libvirt.Libvirt, doms benchkit.Domains, out io.Writer, what string) error {
	start := time.Now()
	n, err := doms.Cleanup(l)
	if n > 0 {
		fmt.Fprintf(out, "removed %d %s domains in %s\n", n, what, testrig.Ms(time.Since(start)))
	}
	return err
}

// isBenchName reports whether a domain is one of the bench's (see
// benchkit.Domains.Owns: other VMs may share the prefix).
func isBenchName(name string) bool { return benchkit.Domains{Prefix: benchPrefix}.Owns(name) }

// fillerName is the name of filler domain i; four digits keep them sorted.
func fillerName(i int) string { return fmt.Sprintf("%s%04d", benchPrefix, i) }

// fillerXML is a minimal shut-off VM that still looks like a real one to the
// server: memory, a vCPU and a VNC display, but no disks, so it costs only a
// config file in libvirt.
func fillerXML(name, domainType string) (string, error) {
	dom := &libvirtxml.Domain{
		Type:        domainType,
		Name:        name,
		Description: "kvm-bench filler domain (kvm-bench vms); safe to delete",
		Memory:      &libvirtxml.DomainMemory{Value: 64, Unit: "MiB"},
		VCPU:        &libvirtxml.DomainVCPU{Value: 1},
		OS:          &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Arch: "x86_64", Type: "hvm"}},
		Devices: &libvirtxml.DomainDeviceList{
			Graphics: []libvirtxml.DomainGraphic{{VNC: &libvirtxml.DomainGraphicVNC{
				Port: -1, AutoPort: "yes",
				Listeners: []libvirtxml.DomainGraphicListener{{
					Address: &libvirtxml.DomainGraphicListenerAddress{Address: "127.0.0.1"},
				}},
			}}},
		},
	}
	return dom.Marshal()
}

func defineFillers(ctx context.Context, l *libvirt.Libvirt, o options, domainType string, out io.Writer) error {
	start := time.Now()
	err := benchkit.Parallel(ctx, o.n, o.workers, func(i int) error {
		xml, err := fillerXML(fillerName(i), domainType)
		if err != nil {
			return err
		}
		if _, err := l.DomainDefineXMLFlags(xml, 0); err != nil {
			return fmt.Errorf("define %s: %w", fillerName(i), err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "defined %d filler domains in %s\n", o.n, testrig.Ms(time.Since(start)))
	return nil
}

// guest is the one running test guest whose state changes are timed.
type guest struct {
	name, uuid string
	dom        libvirt.Domain
	boot       benchkit.Booting
}

// startGuest defines and starts the test guest without waiting for it, so
// that it boots while the fillers are defined.
func startGuest(l *libvirt.Libvirt, o options, domainType string) (*guest, error) {
	name := testguest.UniqueName(guestPrefix)
	dom, err := testguest.Create(l, testguest.Options{Name: name, Dir: o.GuestDir, DomainType: domainType})
	if err != nil {
		return nil, err
	}
	boot, err := benchkit.Start(l, dom, o.GuestDir)
	if err != nil {
		return nil, err
	}
	return &guest{name: name, uuid: testrig.FormatUUID(dom.UUID), dom: dom, boot: boot}, nil
}

// ---- server ----------------------------------------------------------------

// server is the kvm-manager process under measurement.
type server struct {
	*testrig.Server
}

// startServer runs the binary on a free loopback port. GODEBUG=gctrace=1
// makes the Go runtime log every GC with the live heap size, which is the
// only cheap look at the heap of an unmodified binary (heapAfterLastGC).
func startServer(bin string) (*server, error) {
	s, err := testrig.Start(bin, []string{"--stats-interval", "2s"}, "GODEBUG=gctrace=1")
	if err != nil {
		return nil, err
	}
	return &server{s}, nil
}

// stop sends SIGTERM and returns how long the server took to exit and how it
// exited.
func (s *server) stop() (time.Duration, string) {
	d, err := s.Stop()
	if err != nil {
		return d, err.Error()
	}
	return d, "exit 0"
}

// close stops the server if it still runs and removes its data dir. It is
// deferred, so it is what stops the server after an error or Ctrl-C; the
// server's log tail is shown then because it usually says what went wrong.
func (s *server) close(out io.Writer) {
	select {
	case <-s.Exited():
	default:
		s.stop()
		fmt.Fprintf(out, "server stopped early; last lines of its log:\n%s\n", s.LogTail(20))
	}
	s.Close()
}

// get sends an authenticated GET with client c and reads the whole body.
func (s *server) get(ctx context.Context, c *http.Client, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s: %s", path, res.Status, benchkit.Clip(body))
	}
	return body, err
}

func (s *server) version(ctx context.Context) string {
	var h struct{ Version string }
	if b, err := s.get(ctx, s.Client, "/healthz"); err == nil && json.Unmarshal(b, &h) == nil {
		return h.Version
	}
	return "(version unknown)"
}

// waitSynced polls the VM list until it holds want bench VMs, and returns the
// time since the process was started. Counting only kmbench-* VMs keeps other
// VMs on this host from fooling it. The 20 ms polls bound its resolution.
func (s *server) waitSynced(ctx context.Context, want int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	have := -1
	for {
		if b, err := s.get(ctx, s.Client, "/api/v1/vms"); err == nil {
			have = countBenchVMs(b)
			if have == want {
				return time.Since(s.Started), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("the server lists %d of %d bench VMs: %w", have, want, ctx.Err())
		case <-s.Exited():
			return 0, fmt.Errorf("kvm-manager exited; log:\n%s", s.LogTail(20))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func countBenchVMs(body []byte) int {
	var list struct{ VMs []struct{ Name string } }
	if json.Unmarshal(body, &list) != nil {
		return -1
	}
	n := 0
	for _, vm := range list.VMs {
		if isBenchName(vm.Name) {
			n++
		}
	}
	return n
}

// ---- measurements ----------------------------------------------------------

// results holds every figure; durations are zero when not measured.
type results struct {
	n                       int
	sync                    time.Duration
	list                    []time.Duration
	listBytes               int
	listConns               int64
	events, libvirtEv, call []time.Duration
	rssKiB, hwmKiB          int64
	heapMB, gcs             int
	stop                    time.Duration
	exit                    string
}

// measureList times GET /api/v1/vms as a client that keeps its connection:
// from sending the request until the last body byte is read. The response is
// not decoded, so client-side JSON work is not counted.
func measureList(ctx context.Context, s *server, o options, res *results) error {
	var dials atomic.Int64
	d := &net.Dialer{}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	}}
	defer c.CloseIdleConnections()
	for range o.warmup {
		if _, err := s.get(ctx, c, "/api/v1/vms"); err != nil {
			return err
		}
	}
	for range o.requests {
		start := time.Now()
		b, err := s.get(ctx, c, "/api/v1/vms")
		if err != nil {
			return err
		}
		res.list = append(res.list, time.Since(start))
		res.listBytes = len(b)
	}
	res.listConns = dials.Load()
	return nil
}

// stamped is a state change seen by the bench, with the time it arrived.
type stamped struct {
	uuid, state string
	at          time.Time
}

// measureEvents suspends and resumes the guest through the bench's own
// libvirt link and times, for each call, the arrival of the "vm" event with
// the new state at an SSE client. Libvirt's lifecycle event at the bench's
// link is timed too: it is the floor that the server's path cannot beat.
func measureEvents(ctx context.Context, l *libvirt.Libvirt, s *server, g *guest, o options, res *results) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the SSE stream and the libvirt subscription
	if err := ensureRunning(l, g); err != nil {
		return err
	}
	sse, err := openVMEvents(ctx, s)
	if err != nil {
		return err
	}
	lv, err := libvirtEvents(ctx, l)
	if err != nil {
		return err
	}
	for i := range o.flips {
		if err := flip(ctx, l, g, i%2 == 0, sse, lv, res); err != nil {
			return fmt.Errorf("state change %d: %w", i+1, err)
		}
		if err := benchkit.Sleep(ctx, o.pause); err != nil {
			return err
		}
	}
	return nil
}

func ensureRunning(l *libvirt.Libvirt, g *guest) error {
	state, _, err := l.DomainGetState(g.dom, 0)
	if err != nil {
		return err
	}
	if libvirt.DomainState(state) == libvirt.DomainPaused {
		return l.DomainResume(g.dom)
	}
	return nil
}

// flip makes one suspend (or resume) call and records its three times.
func flip(ctx context.Context, l *libvirt.Libvirt, g *guest, suspend bool, sse, lv <-chan stamped, res *results) error {
	call, want := l.DomainResume, "running"
	if suspend {
		call, want = l.DomainSuspend, "paused"
	}
	start := time.Now()
	if err := call(g.dom); err != nil {
		return err
	}
	res.call = append(res.call, time.Since(start))
	at, err := waitStamped(ctx, sse, g.uuid, want, start)
	if err != nil {
		return fmt.Errorf("SSE: %w", err)
	}
	res.events = append(res.events, at.Sub(start))
	at, err = waitStamped(ctx, lv, g.uuid, want, start)
	if err != nil {
		return fmt.Errorf("libvirt event: %w", err)
	}
	res.libvirtEv = append(res.libvirtEv, at.Sub(start))
	return nil
}

// waitStamped returns the arrival time of the first change of uuid to state
// that arrived after start. Earlier ones are stale: a late event of an
// earlier call, or a re-read that still saw the old state.
func waitStamped(ctx context.Context, ch <-chan stamped, uuid, state string, start time.Time) (time.Time, error) {
	timeout := time.NewTimer(eventTimeout)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return time.Time{}, errors.New("event stream ended")
			}
			if ev.uuid == uuid && ev.state == state && !ev.at.Before(start) {
				return ev.at, nil
			}
		case <-timeout.C:
			return time.Time{}, fmt.Errorf("no %q event within %s", state, eventTimeout)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// openVMEvents subscribes to the server's "vm" events, stamped on arrival.
func openVMEvents(ctx context.Context, s *server) (<-chan stamped, error) {
	body, err := benchkit.Events(ctx, s.Server, "vm")
	if err != nil {
		return nil, err
	}
	ch := make(chan stamped, 1024)
	go func() {
		defer close(ch)
		benchkit.ReadSSE(body, func(typ, data string, at time.Time) {
			var vm struct{ UUID, State string }
			if typ != "vm" || json.Unmarshal([]byte(data), &vm) != nil {
				return
			}
			select {
			case ch <- stamped{uuid: vm.UUID, state: vm.State, at: at}:
			default: // nobody is reading any more; keep draining the stream
			}
		})
	}()
	return ch, nil
}

// libvirtEvents relays suspend and resume lifecycle events of the bench's own
// link, stamped on arrival, named as the API names the resulting states.
func libvirtEvents(ctx context.Context, l *libvirt.Libvirt) (<-chan stamped, error) {
	events, err := l.LifecycleEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscribe to lifecycle events: %w", err)
	}
	ch := make(chan stamped, 1024)
	go func() {
		defer close(ch)
		for ev := range events {
			at := time.Now()
			state := ""
			switch libvirt.DomainEventType(ev.Event) {
			case libvirt.DomainEventSuspended:
				state = "paused"
			case libvirt.DomainEventResumed:
				state = "running"
			default:
				continue
			}
			select {
			case ch <- stamped{uuid: testrig.FormatUUID(ev.Dom.UUID), state: state, at: at}:
			default: // nobody is waiting for so many; drop rather than block go-libvirt
			}
		}
	}()
	return ch, nil
}

// measureIdle waits, then reads the server's resident memory from /proc and
// its heap from the last gctrace line.
func measureIdle(ctx context.Context, s *server, o options, res *results) error {
	if err := benchkit.Sleep(ctx, o.idle); err != nil {
		return err
	}
	var err error
	if res.rssKiB, err = benchkit.StatusKiB(s.PID(), "VmRSS"); err != nil {
		return err
	}
	if res.hwmKiB, err = benchkit.StatusKiB(s.PID(), "VmHWM"); err != nil {
		return err
	}
	res.heapMB, res.gcs = heapAfterLastGC(s.LogPath())
	return nil
}

// heapAfterLastGC returns the live heap (MB) that the last GC of the server
// left, from its gctrace lines ("gc 7 @1.2s 0%: ..., 4->5->2 MB, 5 MB goal,
// ..."), and how many GCs it ran; -1 when there is none.
func heapAfterLastGC(logPath string) (mb, gcs int) {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return -1, 0
	}
	re := regexp.MustCompile(`(?m)^gc \d+ @.* \d+->\d+->(\d+) MB`)
	all := re.FindAllStringSubmatch(string(b), -1)
	if len(all) == 0 {
		return -1, 0
	}
	mb, _ = strconv.Atoi(all[len(all)-1][1])
	return mb, len(all)
}

// ---- report ----------------------------------------------------------------

func (r *results) print(out io.Writer) {
	listP50, eventP50 := testrig.Percentile(r.list, 50), testrig.Percentile(r.events, 50)
	rssMiB := float64(r.rssKiB) / 1024
	heap := "not available"
	switch {
	case r.heapMB == 0: // gctrace rounds down to whole MB
		heap = fmt.Sprintf("< 1 MB (last of %d GCs)", r.gcs)
	case r.heapMB > 0:
		heap = fmt.Sprintf("%d MB (last of %d GCs)", r.heapMB, r.gcs)
	}
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "metric\tvalue\ttarget\tmet")
	fmt.Fprintf(w, "initial sync of %d VMs (from exec)\t%s\t-\t-\n", r.n+1, testrig.Ms(r.sync))
	fmt.Fprintf(w, "GET /api/v1/vms p50\t%s\t<= %s\t%s\n", testrig.Ms(listP50), testrig.Ms(targetListP50), benchkit.Met(listP50 <= targetListP50))
	fmt.Fprintf(w, "GET /api/v1/vms p95 / p99 / max\t%s / %s / %s\t-\t-\n",
		testrig.Ms(testrig.Percentile(r.list, 95)), testrig.Ms(testrig.Percentile(r.list, 99)), testrig.Ms(testrig.Percentile(r.list, 100)))
	fmt.Fprintf(w, "GET /api/v1/vms response size\t%d bytes (%d requests, %d connection(s) in all)\t-\t-\n", r.listBytes, len(r.list), r.listConns)
	fmt.Fprintf(w, "libvirt call -> SSE vm event p50\t%s\t<= %s\t%s\n", testrig.Ms(eventP50), testrig.Ms(targetEventP50), benchkit.Met(eventP50 <= targetEventP50))
	fmt.Fprintf(w, "libvirt call -> SSE vm event p95 / max\t%s / %s\t-\t-\n", testrig.Ms(testrig.Percentile(r.events, 95)), testrig.Ms(testrig.Percentile(r.events, 100)))
	fmt.Fprintf(w, "  reference: call -> libvirt event at bench p50 / max\t%s / %s\t-\t-\n", testrig.Ms(testrig.Percentile(r.libvirtEv, 50)), testrig.Ms(testrig.Percentile(r.libvirtEv, 100)))
	fmt.Fprintf(w, "  reference: suspend/resume call itself p50\t%s\t-\t-\n", testrig.Ms(testrig.Percentile(r.call, 50)))
	fmt.Fprintf(w, "server RSS after idle\t%.1f MiB\t<= %.0f MiB\t%s\n", rssMiB, targetRSSMiB, benchkit.Met(r.rssKiB > 0 && rssMiB <= targetRSSMiB))
	fmt.Fprintf(w, "server peak RSS (VmHWM)\t%.1f MiB\t-\t-\n", float64(r.hwmKiB)/1024)
	fmt.Fprintf(w, "server Go heap live after last GC\t%s\t-\t-\n", heap)
	w.Flush()
}
