package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// floor is a relay process of someone else's on the round-trip path, for
// comparison: socat (a C TCP relay, no WebSocket), the floor for any
// relay process on this machine, and websockify (Python, the WebSocket to
// TCP bridge noVNC ships with), what a proxy in front of noVNC is usually
// measured against.
type floor struct {
	name string
	cmd  *exec.Cmd
	addr string // where it listens (loopback)
	ws   bool   // speaks WebSocket to the client
}

// startFloor starts prog (socat or websockify) relaying 127.0.0.1:<free
// port> to target. It waits until the port accepts connections, for up
// to 10 s, in 20 ms polls.
func startFloor(ctx context.Context, prog, target string) (*floor, error) {
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("%s is not installed (Debian package %s; scripts/bench.sh installs it): %w", prog, prog, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var args []string
	switch prog {
	case "socat":
		// nodelay on both sides, as the proxy has; fork: one child per
		// connection, as socat is used as a relay.
		args = []string{"TCP-LISTEN:" + strconv.Itoa(port) + ",bind=127.0.0.1,reuseaddr,fork,nodelay", "TCP:" + target + ",nodelay"}
	case "websockify":
		args = []string{addr, target}
	default:
		return nil, fmt.Errorf("unknown floor %q", prog)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", prog, err)
	}
	f := &floor{name: prog, cmd: cmd, addr: addr, ws: prog == "websockify"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return f, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			f.Close()
			return nil, errors.Join(fmt.Errorf("%s did not listen on %s", prog, addr), err, ctx.Err())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// dial opens an RFB connection through the floor.
func (f *floor) dial() dialer {
	if !f.ws {
		return direct("tcp", f.addr)
	}
	return func(ctx context.Context) (conn, time.Duration, error) {
		start := time.Now()
		ws, err := consoletest.DialWebSocket(ctx, "ws://"+f.addr+"/", nil)
		if err != nil {
			return conn{}, 0, err
		}
		c, err := consoletest.RFBHandshake(ws, "")
		took := time.Since(start)
		if err != nil {
			ws.CloseNow()
			return conn{}, 0, err
		}
		return conn{rfb: c, close: func() { _ = ws.Close() }}, took, nil
	}
}

// Close stops the process (and, for socat, its children: they exit when
// their connection closes, which the bench does first).
func (f *floor) Close() {
	_ = f.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}

// roundTripRounds compares the immediate round trip (see RoundTrip) over
// five paths: direct, the proxy, websockify, socat and the minimal relay,
// in o.rounds rounds. Each round opens a new connection per path and
// measures o.roundTrips per path after a tenth more for warm-up, the paths
// taking turns in blocks of 100, and prints the medians; the targets are
// the proxy below websockify in every round and within 1.2× of socat.
func (b *bench) roundTripRounds(ctx context.Context, qemu libvirt.Domain, qemuAddr string) error {
	sc, err := startFloor(ctx, "socat", qemuAddr)
	if err != nil {
		return err
	}
	defer sc.Close()
	wsf, err := startFloor(ctx, "websockify", qemuAddr)
	if err != nil {
		return err
	}
	defer wsf.Close()
	paths := []struct {
		name string
		dial dialer
	}{
		{"direct", direct("tcp", qemuAddr)},
		{"proxy", b.viaProxy(qemu, nil)},
		{"websockify", wsf.dial()},
		{"socat", sc.dial()},
		{"go relay", direct("tcp", b.relay.addrs[0])},
	}
	fmt.Fprintf(b.out, "\nImmediate round trip (SetEncodings → ack), p50 over %d per path and round, %d rounds, paths in turns of 100:\n", b.o.roundTrips, b.o.rounds)
	w := tabwriter.NewWriter(b.out, 2, 4, 2, ' ', 0)
	fmt.Fprint(w, "Round")
	for _, p := range paths {
		fmt.Fprintf(w, "\t%s", p.name)
	}
	fmt.Fprintln(w, "\tproxy/websockify\tproxy/socat\tload")
	belowWS, withinSocat := 0, 0
	for round := 1; round <= b.o.rounds; round++ {
		conns := make([]conn, len(paths))
		for i, p := range paths {
			c, _, err := p.dial(ctx)
			if err != nil {
				for _, o := range conns[:i] {
					o.close()
				}
				return fmt.Errorf("%s: %w", p.name, err)
			}
			conns[i] = c
		}
		const block = 100
		total := b.o.roundTrips + b.o.roundTrips/10
		rts := make([][]time.Duration, len(paths))
		var rerr error
		for i := 0; i < total && rerr == nil; i += block {
			for p := range paths {
				for j := i; j < min(i+block, total); j++ {
					took, err := conns[p].rfb.RoundTrip()
					if err != nil {
						rerr = fmt.Errorf("%s round trips: %w", paths[p].name, err)
						break
					}
					if j >= b.o.roundTrips/10 {
						rts[p] = append(rts[p], took)
					}
				}
			}
		}
		for _, c := range conns {
			c.close()
		}
		if rerr != nil {
			return rerr
		}
		p50 := make([]time.Duration, len(paths))
		fmt.Fprintf(w, "%d", round)
		for p := range paths {
			p50[p] = testrig.Percentile(rts[p], 50)
			fmt.Fprintf(w, "\t%s", us(p50[p]))
		}
		rws, rsc := float64(p50[1])/float64(p50[2]), float64(p50[1])/float64(p50[3])
		if rws < 1 {
			belowWS++
		}
		if rsc <= 1.2 {
			withinSocat++
		}
		fmt.Fprintf(w, "\t%.2f×\t%.2f×\t%s\n", rws, rsc, loadAverage())
	}
	_ = w.Flush()
	fmt.Fprintf(b.out, "Proxy below websockify in %d of %d rounds (target: all); within 1.2× of socat in %d of %d (target: all)\n",
		belowWS, b.o.rounds, withinSocat, b.o.rounds)
	return nil
}

// loadAverage is the one-minute load average, for the record.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
