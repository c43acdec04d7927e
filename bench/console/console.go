// Package console is the kvm-bench subcommand "console": KVM Manager's
// graphical console proxy against talking to the VNC server directly, the
// figures side by side. It asserts nothing: docs/benchmarks.md records what they mean.
//
// It speaks RFB itself (internal/console's test client), once through the
// proxy (POST .../console for a ticket, then the WebSocket) and once
// straight to the VNC server, and measures:
//
//   - connection setup: from dialling (TCP, or the WebSocket) to ServerInit,
//     against a real guest's QEMU VNC server;
//   - a round trip QEMU answers at once: SetEncodings with the
//     ExtendedKeyEvent pseudo-encoding, which QEMU acknowledges with a
//     FramebufferUpdate straight away;
//   - path capacity: full-screen raw framebuffer updates per second against
//     a synthetic VNC server that answers every FramebufferUpdateRequest at
//     once (QEMU paces updates at 30 ms, so it cannot show what the path
//     carries), with one and with several consoles at once;
//   - the proxy's CPU per console during the capacity run, from
//     /proc/<server pid>/stat.
//
// The paths take turns: setup by setup, in blocks of 100 round trips, and
// in one-second slices of the capacity runs, so that the load of a shared
// machine changing meanwhile hits all of them alike.
//
// The client is as lean on both paths: straight to the VNC server it is a
// TCP connection; through the proxy, consoletest.DialWebSocket (the upgrade
// request written by hand, frames read and written on the connection
// itself), as a browser's native WebSocket is. --client coder measures the
// proxy path with coder/websocket's client instead (net/http's client for
// the upgrade), as the bench did before.
//
// For the floor that any extra hop sets on this machine, every figure is
// also measured through a minimal relay: this program, started again as a
// process of its own (RunRelayIfAsked), that accepts TCP and copies bytes both ways to the
// VNC server with plain reads and writes (no WebSocket, no HTTP, no ticket).
//
// How the proxy reaches the synthetic server without a test seam: a second
// domain gets VNC on a unix socket (<listen type='socket'/>) and is started
// paused; the bench then replaces the socket file that QEMU created with its
// own listener at the same path. The proxy reads the path from the live XML
// and dials it exactly as in production.
//
// Every domain it makes is named kmvncbench-* and removed at the end, also
// on error or Ctrl-C.
package console

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/coder/websocket"
	libvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

const prefix = "kmvncbench-"

// Targets from the issue: proxy/direct ratios.
const (
	targetSetup     = 1.5
	targetRoundTrip = 1.5
	targetCapacity  = 0.8
)

type options struct {
	*benchkit.Common
	client     string
	setups     int
	roundTrips int
	capacity   time.Duration
	consoles   int
	width      int
	height     int
	rounds     int
	only       string
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's own flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.client, "client", "lean", "WebSocket client on the proxy path: lean (console.DialWebSocket) or coder (coder/websocket)")
	fs.IntVar(&o.setups, "setups", 100, "connection setups measured per path")
	fs.IntVar(&o.roundTrips, "round-trips", 2000, "round trips measured per path")
	fs.DurationVar(&o.capacity, "capacity", 5*time.Second, "length of each capacity run")
	fs.IntVar(&o.consoles, "consoles", 4, "consoles at once in the second capacity run")
	fs.IntVar(&o.width, "width", 1024, "synthetic screen width")
	fs.IntVar(&o.height, "height", 768, "synthetic screen height")
	fs.IntVar(&o.rounds, "rounds", 5, "rounds of the round-trip comparison with socat and websockify (each --round-trips per path)")
	fs.StringVar(&o.only, "only", "", "round-trip: only the round-trip comparison (direct, proxy, websockify, socat, minimal relay)")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require((o.client == "lean" || o.client == "coder") &&
		o.setups >= 1 && o.roundTrips >= 1 && o.consoles >= 1 && o.width >= 1 && o.height >= 1 && o.rounds >= 1 &&
		(o.only == "" || o.only == "round-trip"), "--client is lean or coder; --only is empty or round-trip; counts and sizes must be positive")
}

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

// RunRelayIfAsked makes this process the minimal relay, and exits, when the
// console subcommand started it as one; otherwise it returns at once.
func RunRelayIfAsked() {
	targets := os.Getenv(relayEnv)
	if targets == "" {
		return
	}
	if err := runRelay(targets); err != nil {
		fmt.Fprintln(os.Stderr, "kvm-bench console relay:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func run(ctx context.Context, o options, out io.Writer) (err error) {
	l, err := benchkit.Dial()
	if err != nil {
		return err
	}
	defer l.Disconnect()
	doms := benchkit.Domains{Prefix: prefix, Dir: o.GuestDir}
	_, _ = doms.Remove(l)
	defer func() { _, _ = doms.Cleanup(l) }()
	domType, _, err := testguest.DetectDomainType(l, o.GuestDir)
	if err != nil {
		return err
	}

	// The QEMU guest, booted so that its screen is settled.
	qemu, err := defineGuest(l, o.GuestDir, domType, nil)
	if err != nil {
		return err
	}
	if err := benchkit.Boot(ctx, l, qemu, o.GuestDir); err != nil {
		return err
	}
	qemuAddr, _, err := vncOf(l, qemu)
	if err != nil {
		return err
	}

	// The synthetic server's domain: VNC on a socket, started paused.
	synthDom, err := defineGuest(l, o.GuestDir, domType, func(d *libvirtxml.Domain) {
		d.Devices.Graphics = []libvirtxml.DomainGraphic{{VNC: &libvirtxml.DomainGraphicVNC{
			Listeners: []libvirtxml.DomainGraphicListener{{Socket: &libvirtxml.DomainGraphicListenerSocket{}}},
		}}}
	})
	if err != nil {
		return err
	}
	if _, err := l.DomainCreateWithFlags(synthDom, uint32(libvirt.DomainStartPaused)); err != nil {
		return fmt.Errorf("start %s paused: %w", synthDom.Name, err)
	}
	_, sock, err := vncOf(l, synthDom)
	if err != nil {
		return err
	}
	synth, err := startSynthetic(sock, o.width, o.height)
	if err != nil {
		return err
	}
	defer synth.Close()

	srv, err := benchkit.StartConnected(ctx, o.Server)
	if err != nil {
		return err
	}
	defer srv.Close()
	rl, err := startRelay("tcp:"+qemuAddr, "unix:"+sock)
	if err != nil {
		return err
	}
	defer rl.Close()
	b := &bench{o: o, srv: srv, out: out, relay: rl}
	for _, d := range []libvirt.Domain{qemu, synthDom} {
		if err := benchkit.WaitListed(ctx, srv, testrig.FormatUUID(d.UUID), d.Name, "", 20*time.Second); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "kvm-bench console: QEMU guest %s (VNC %s), synthetic server %dx%d on %s; server pid %d, relay pid %d; %s client; %d CPUs\n",
		qemu.Name, qemuAddr, o.width, o.height, sock, srv.PID(), rl.cmd.Process.Pid, o.client, runtime.NumCPU())
	if o.only == "" {
		if err := b.measure(ctx, qemu, qemuAddr, synthDom, sock, synth.tcp.Addr().String()); err != nil {
			return err
		}
	}
	return b.roundTripRounds(ctx, qemu, qemuAddr)
}

// defineGuest defines a test guest named kmvncbench-*, optionally editing
// its definition.
func defineGuest(l *libvirt.Libvirt, dir, domType string, edit func(*libvirtxml.Domain)) (libvirt.Domain, error) {
	name := testguest.UniqueName(prefix)
	dom, err := testguest.Create(l, testguest.Options{Name: name, Dir: dir, DomainType: domType})
	if err != nil || edit == nil {
		return dom, err
	}
	doc, err := l.DomainGetXMLDesc(dom, libvirt.DomainXMLInactive|libvirt.DomainXMLSecure)
	if err != nil {
		return dom, err
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return dom, err
	}
	edit(&d)
	x, err := d.Marshal()
	if err != nil {
		return dom, err
	}
	return l.DomainDefineXML(x)
}

// vncOf reads a running domain's VNC address (tcp) or socket path.
func vncOf(l *libvirt.Libvirt, dom libvirt.Domain) (addr, sock string, err error) {
	doc, err := l.DomainGetXMLDesc(dom, 0)
	if err != nil {
		return "", "", err
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return "", "", err
	}
	v := d.Devices.Graphics[0].VNC
	for _, li := range v.Listeners {
		if li.Socket != nil && li.Socket.Socket != "" {
			return "", li.Socket.Socket, nil
		}
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(v.Port)), "", nil
}

type bench struct {
	o     options
	srv   *testrig.Server
	out   io.Writer
	relay *relay
}

// ticket gets a console ticket of d and returns the WebSocket URL and how
// long the request took.
func (b *bench) ticket(ctx context.Context, d libvirt.Domain) (string, time.Duration, error) {
	start := time.Now()
	url, err := benchkit.Ticket(ctx, b.srv, testrig.FormatUUID(d.UUID), "console")
	return url, time.Since(start), err
}

// conn is one RFB connection of either path.
type conn struct {
	rfb   *consoletest.RFBClient
	close func()
}

// dialer opens an RFB connection over one path and returns how long it took
// from the dial to ServerInit.
type dialer func(ctx context.Context) (conn, time.Duration, error)

var wsClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

func (b *bench) viaProxy(d libvirt.Domain, tickets *[]time.Duration) dialer {
	return func(ctx context.Context) (conn, time.Duration, error) {
		url, took, err := b.ticket(ctx, d)
		if err != nil {
			return conn{}, 0, err
		}
		if tickets != nil {
			*tickets = append(*tickets, took)
		}
		h := http.Header{"Authorization": {"Bearer " + b.srv.Token}}
		if b.o.client == "coder" {
			start := time.Now()
			ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h, HTTPClient: wsClient})
			if err != nil {
				return conn{}, 0, err
			}
			c, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), "")
			took = time.Since(start)
			if err != nil {
				ws.CloseNow()
				return conn{}, 0, err
			}
			return conn{rfb: c, close: func() { _ = ws.Close(websocket.StatusNormalClosure, "") }}, took, nil
		}
		start := time.Now()
		ws, err := consoletest.DialWebSocket(ctx, url, h)
		if err != nil {
			return conn{}, 0, err
		}
		c, err := consoletest.RFBHandshake(ws, "")
		took = time.Since(start)
		if err != nil {
			ws.CloseNow()
			return conn{}, 0, err
		}
		return conn{rfb: c, close: func() { _ = ws.Close() }}, took, nil
	}
}

func direct(network, addr string) dialer {
	return func(ctx context.Context) (conn, time.Duration, error) {
		start := time.Now()
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return conn{}, 0, err
		}
		c, err := consoletest.RFBHandshake(nc, "")
		took := time.Since(start)
		if err != nil {
			nc.Close()
			return conn{}, 0, err
		}
		return conn{rfb: c, close: func() { nc.Close() }}, took, nil
	}
}

type pathResult struct {
	setupP50, setupP95 time.Duration
	rtP50, rtP95       time.Duration
	capacity           capacity
	capacityN          capacity
	cpu                float64 // CPU seconds per second of the path's middle process during the 1-console run
	cpuN               float64
}

func (b *bench) measure(ctx context.Context, qemu libvirt.Domain, qemuAddr string, synth libvirt.Domain, sock, synthTCP string) error {
	var tickets []time.Duration
	paths := []struct {
		name         string
		qemu, synthD dialer
		pid          int // of the process in the middle; 0 for none
	}{
		{"direct", direct("tcp", qemuAddr), direct("tcp", synthTCP), 0},
		{"proxy", b.viaProxy(qemu, &tickets), b.viaProxy(synth, nil), b.srv.PID()},
		{"relay", direct("tcp", b.relay.addrs[0]), direct("tcp", b.relay.addrs[1]), b.relay.cmd.Process.Pid},
	}
	res := make([]pathResult, len(paths))

	// Setup: alternate the paths so that load changes hit both alike.
	setups := make([][]time.Duration, len(paths))
	for i := 0; i < b.o.setups; i++ {
		for p := range paths {
			c, took, err := paths[p].qemu(ctx)
			if err != nil {
				return fmt.Errorf("%s setup: %w", paths[p].name, err)
			}
			c.close()
			setups[p] = append(setups[p], took)
			time.Sleep(10 * time.Millisecond) // let QEMU drop the client
		}
	}
	for p := range paths {
		res[p].setupP50, res[p].setupP95 = testrig.Percentile(setups[p], 50), testrig.Percentile(setups[p], 95)
	}
	fmt.Fprintln(b.out, "setup done")

	// Round trips: SetEncodings(ExtendedKeyEvent), acknowledged at once,
	// back to back on one connection per path; the paths take turns in
	// blocks of rtBlock, so that load changes hit all alike. (Turns round
	// trip by round trip would measure something else: each round trip
	// after a pause, which made the direct one twice as slow here.)
	rtConns := make([]conn, len(paths))
	for p := range paths {
		c, _, err := paths[p].qemu(ctx)
		if err != nil {
			return err
		}
		defer c.close()
		rtConns[p] = c
	}
	const rtBlock = 100
	rts := make([][]time.Duration, len(paths))
	for i := 0; i < b.o.roundTrips+b.o.roundTrips/10; i += rtBlock { // the first tenth warms up
		for p := range paths {
			for j := i; j < min(i+rtBlock, b.o.roundTrips+b.o.roundTrips/10); j++ {
				took, err := rtConns[p].rfb.RoundTrip()
				if err != nil {
					return fmt.Errorf("%s round trips: %w", paths[p].name, err)
				}
				if j >= b.o.roundTrips/10 {
					rts[p] = append(rts[p], took)
				}
			}
		}
	}
	for p := range paths {
		res[p].rtP50, res[p].rtP95 = testrig.Percentile(rts[p], 50), testrig.Percentile(rts[p], 95)
	}
	fmt.Fprintln(b.out, "round trips done")

	// Capacity against the synthetic server, with the CPU of the process
	// in the middle: the paths take turns in one-second slices.
	for _, n := range []int{1, b.o.consoles} {
		sets := make([][]conn, len(paths))
		for p := range paths {
			for range n {
				c, _, err := paths[p].synthD(ctx)
				if err != nil {
					return fmt.Errorf("%s capacity: %w", paths[p].name, err)
				}
				defer c.close()
				if err := c.rfb.SetEncodings(consoletest.RFBEncodingRaw); err != nil {
					return err
				}
				sets[p] = append(sets[p], c)
			}
		}
		total := make([]capacity, len(paths))
		cpu := make([]float64, len(paths))
		for slice := time.Duration(0); slice < b.o.capacity; slice += time.Second {
			for p := range paths {
				cpu0 := benchkit.CPUTime(paths[p].pid)
				cp, err := b.capacity(ctx, sets[p], min(time.Second, b.o.capacity-slice))
				cpu[p] += (benchkit.CPUTime(paths[p].pid) - cpu0).Seconds()
				if err != nil {
					return fmt.Errorf("%s capacity: %w", paths[p].name, err)
				}
				total[p].add(cp)
			}
		}
		for p := range paths {
			if n == 1 {
				res[p].capacity, res[p].cpu = total[p], cpu[p]/total[p].wall.Seconds()
			} else {
				res[p].capacityN, res[p].cpuN = total[p], cpu[p]/total[p].wall.Seconds()
			}
		}
	}
	c, _, err := direct("unix", sock)(ctx)
	if err != nil {
		return fmt.Errorf("direct unix capacity: %w", err)
	}
	defer c.close()
	if err := c.rfb.SetEncodings(consoletest.RFBEncodingRaw); err != nil {
		return err
	}
	unix, err := b.capacity(ctx, []conn{c}, b.o.capacity)
	if err != nil {
		return fmt.Errorf("direct unix capacity: %w", err)
	}
	b.report(res, tickets, unix)
	return nil
}

type capacity struct {
	updates int
	bytes   int64
	wall    time.Duration
}

func (c *capacity) add(o capacity) {
	c.updates += o.updates
	c.bytes += o.bytes
	c.wall += o.wall
}

func (c capacity) perSecond() float64 { return float64(c.updates) / c.wall.Seconds() }
func (c capacity) mbps() float64      { return float64(c.bytes) / c.wall.Seconds() / 1e6 }

// capacity runs the consoles conns together, each requesting the whole
// screen again as soon as the previous update is in, for d.
func (b *bench) capacity(ctx context.Context, conns []conn, d time.Duration) (capacity, error) {
	var mu sync.Mutex
	var total capacity
	var errs []error
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			updates, bytes := 0, int64(0)
			var err error
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err = c.rfb.RequestUpdate(false); err != nil {
					break
				}
				var rects []consoletest.Rect
				if rects, err = c.rfb.ReadUpdate(false); err != nil {
					break
				}
				updates++
				for _, r := range rects {
					bytes += int64(16 + r.W*r.H*c.rfb.BytesPerPixel)
				}
			}
			mu.Lock()
			total.updates += updates
			total.bytes += bytes
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	total.wall = time.Since(start)
	return total, errors.Join(errs...)
}

func (b *bench) report(res []pathResult, tickets []time.Duration, unix capacity) {
	d, p, r := res[0], res[1], res[2]
	ratio := func(a, b float64) string { return fmt.Sprintf("%.2f×", a/b) }
	dr := func(a, b time.Duration) string { return ratio(float64(a), float64(b)) }
	w := tabwriter.NewWriter(b.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "\nFigure\tDirect\tProxy\tProxy/direct\tTarget\tMet\tMinimal relay\tRelay/direct")
	su := float64(p.setupP50) / float64(d.setupP50)
	fmt.Fprintf(w, "Setup (dial to ServerInit) p50\t%s\t%s\t%s\t≤ %.1f×\t%s\t%s\t%s\n", testrig.Ms(d.setupP50), testrig.Ms(p.setupP50), dr(p.setupP50, d.setupP50), targetSetup, benchkit.Met(su <= targetSetup), testrig.Ms(r.setupP50), dr(r.setupP50, d.setupP50))
	sp := float64(p.setupP95) / float64(d.setupP95)
	fmt.Fprintf(w, "Setup p95\t%s\t%s\t%s\t≤ %.1f×\t%s\t%s\t%s\n", testrig.Ms(d.setupP95), testrig.Ms(p.setupP95), dr(p.setupP95, d.setupP95), targetSetup, benchkit.Met(sp <= targetSetup), testrig.Ms(r.setupP95), dr(r.setupP95, d.setupP95))
	fmt.Fprintf(w, "  ticket POST before it, p50 / p95\t\t%s / %s\t\t\t\t\t\n", testrig.Ms(testrig.Percentile(tickets, 50)), testrig.Ms(testrig.Percentile(tickets, 95)))
	rt := float64(p.rtP50) / float64(d.rtP50)
	fmt.Fprintf(w, "Round trip (SetEncodings → ack) p50\t%s\t%s\t%s\t≤ %.1f×\t%s\t%s\t%s\n", us(d.rtP50), us(p.rtP50), dr(p.rtP50, d.rtP50), targetRoundTrip, benchkit.Met(rt <= targetRoundTrip), us(r.rtP50), dr(r.rtP50, d.rtP50))
	fmt.Fprintf(w, "Round trip p95\t%s\t%s\t%s\t\t\t%s\t%s\n", us(d.rtP95), us(p.rtP95), dr(p.rtP95, d.rtP95), us(r.rtP95), dr(r.rtP95, d.rtP95))
	cp := p.capacity.perSecond() / d.capacity.perSecond()
	fmt.Fprintf(w, "Capacity, 1 console (%dx%d raw updates)\t%.0f/s (%.0f MB/s)\t%.0f/s (%.0f MB/s)\t%.2f×\t≥ %.1f×\t%s\t%.0f/s\t%.2f×\n", b.o.width, b.o.height,
		d.capacity.perSecond(), d.capacity.mbps(), p.capacity.perSecond(), p.capacity.mbps(), cp, targetCapacity, benchkit.Met(cp >= targetCapacity),
		r.capacity.perSecond(), r.capacity.perSecond()/d.capacity.perSecond())
	fmt.Fprintf(w, "  direct over the unix socket the proxy dials\t%.0f/s (%.0f MB/s)\t\t%.2f×\t\t\t\t%.2f×\n", unix.perSecond(), unix.mbps(), p.capacity.perSecond()/unix.perSecond(), r.capacity.perSecond()/unix.perSecond())
	fmt.Fprintf(w, "Capacity, %d consoles together\t%.0f/s (%.0f MB/s)\t%.0f/s (%.0f MB/s)\t%.2f×\t\t\t%.0f/s\t%.2f×\n", b.o.consoles,
		d.capacityN.perSecond(), d.capacityN.mbps(), p.capacityN.perSecond(), p.capacityN.mbps(), p.capacityN.perSecond()/d.capacityN.perSecond(),
		r.capacityN.perSecond(), r.capacityN.perSecond()/d.capacityN.perSecond())
	fmt.Fprintf(w, "Middle process CPU, 1 console at capacity\t–\t%.0f%%\t\t\t\t%.0f%%\t\n", 100*p.cpu, 100*r.cpu)
	fmt.Fprintf(w, "  CPU per MB relayed\t\t%.2f ms\t\t\t\t%.2f ms\t\n", 1000*p.cpu/p.capacity.mbps(), 1000*r.cpu/r.capacity.mbps())
	fmt.Fprintf(w, "Middle process CPU, %d consoles at capacity\t–\t%.0f%% (%.0f%% per console)\t\t\t\t%.0f%%\t\n", b.o.consoles, 100*p.cpuN, 100*p.cpuN/float64(b.o.consoles), 100*r.cpuN)
	_ = w.Flush()
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)) }

// synthetic is a VNC server that answers every FramebufferUpdateRequest at
// once with one raw rectangle of the whole screen.
type synthetic struct {
	ln     net.Listener
	tcp    net.Listener // the same server on loopback TCP, for the direct path
	update []byte
	w, h   int
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

// startSynthetic replaces the socket file at path (QEMU's) with its own.
func startSynthetic(path string, w, h int) (*synthetic, error) {
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("take over the VNC socket %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &synthetic{ln: ln, tcp: tcp, w: w, h: h, conns: map[net.Conn]struct{}{}}
	s.update = make([]byte, 16+w*h*4)
	binary.BigEndian.PutUint16(s.update[2:4], 1)
	binary.BigEndian.PutUint16(s.update[8:10], uint16(w))
	binary.BigEndian.PutUint16(s.update[10:12], uint16(h))
	for i := 16; i < len(s.update); i++ {
		s.update[i] = byte(i * 7)
	}
	s.wg.Go(func() { s.accept(s.ln) })
	s.wg.Go(func() { s.accept(s.tcp) })
	return s, nil
}

func (s *synthetic) Close() {
	s.ln.Close()
	s.tcp.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *synthetic) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			_ = s.serve(c)
		})
	}
}

func (s *synthetic) serve(c net.Conn) error {
	buf := make([]byte, 64<<10)
	if _, err := io.WriteString(c, "RFB 003.008\n"); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, buf[:12]); err != nil {
		return err
	}
	if _, err := c.Write([]byte{1, 1}); err != nil { // security: None
		return err
	}
	if _, err := io.ReadFull(c, buf[:1]); err != nil {
		return err
	}
	if _, err := c.Write([]byte{0, 0, 0, 0}); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, buf[:1]); err != nil { // ClientInit
		return err
	}
	name := "synthetic"
	si := make([]byte, 24+len(name))
	binary.BigEndian.PutUint16(si[0:2], uint16(s.w))
	binary.BigEndian.PutUint16(si[2:4], uint16(s.h))
	copy(si[4:20], []byte{32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0})
	binary.BigEndian.PutUint32(si[20:24], uint32(len(name)))
	copy(si[24:], name)
	if _, err := c.Write(si); err != nil {
		return err
	}
	// Client messages: answer FramebufferUpdateRequests, skip the rest.
	var pending []byte
	for {
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		pending = append(pending, buf[:n]...)
		for {
			size := clientMessageSize(pending)
			if size == 0 || len(pending) < size {
				break
			}
			if pending[0] == 3 {
				if _, err := c.Write(s.update); err != nil {
					return err
				}
			}
			pending = pending[size:]
		}
		pending = append(buf[:0:0], pending...)
	}
}

// clientMessageSize is the size of the client message at the start of p,
// or 0 when p does not hold enough to tell.
func clientMessageSize(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	switch p[0] {
	case 0:
		return 20 // SetPixelFormat
	case 2:
		if len(p) < 4 {
			return 0
		}
		return 4 + 4*int(binary.BigEndian.Uint16(p[2:4])) // SetEncodings
	case 3:
		return 10 // FramebufferUpdateRequest
	case 4:
		return 8 // KeyEvent
	case 5:
		return 6 // PointerEvent
	case 6:
		if len(p) < 8 {
			return 0
		}
		return 8 + int(binary.BigEndian.Uint32(p[4:8])) // ClientCutText
	}
	return len(p) // unknown: drop it
}

// relayEnv, when set, makes this program the minimal relay: a list of
// targets ("tcp:host:port" or "unix:path", comma-separated).
const relayEnv = "BENCH_CONSOLE_RELAY"

// relay is the minimal relay process.
type relay struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addrs []string // its listen addresses, one per target
}

// startRelay starts this program again as the minimal relay to targets.
func startRelay(targets ...string) (*relay, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), relayEnv+"="+strings.Join(targets, ","))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("start the relay: %w", err)
	}
	return &relay{cmd: cmd, stdin: stdin, addrs: strings.Fields(line)}, nil
}

// Close ends the relay: it exits when its stdin closes.
func (r *relay) Close() {
	_ = r.stdin.Close()
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
}

// runRelay is the relay process: it listens on loopback for each target,
// prints the addresses on one line, and copies bytes both ways between each
// accepted connection and a new connection to the target, with plain reads
// and writes of up to 256 KiB (the proxy's buffer). It exits when stdin
// closes.
func runRelay(targets string) error {
	var addrs []string
	for _, t := range strings.Split(targets, ",") {
		network, addr, ok := strings.Cut(t, ":")
		if !ok {
			return fmt.Errorf("target %q is not network:address", t)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addrs = append(addrs, ln.Addr().String())
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go relayConn(c, network, addr)
			}
		}()
	}
	fmt.Println(strings.Join(addrs, " "))
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

func relayConn(c net.Conn, network, addr string) {
	defer c.Close()
	up, err := net.Dial(network, addr)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		copyPlain(up, c)
		up.Close()
		close(done)
	}()
	copyPlain(c, up)
	c.Close()
	<-done
}

// copyPlain copies with read and write calls (io.Copy would splice from a
// unix socket into TCP, which was slower here).
func copyPlain(dst, src net.Conn) {
	buf := make([]byte, 256<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
