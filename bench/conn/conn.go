// Package conn is the kvm-bench subcommand "conn": how a kvm-manager binary
// copes with a flood of slow connections. It asserts nothing:
// docs/benchmarks.md says what the figures mean and records them.
//
// It starts the server and measures, on new connections from 127.0.0.1:
//
//   - GET /healthz latency (p50, p99, max) with nothing else going on;
//   - the same while -n slow connections are held: each, from one of
//     -addrs loopback addresses (127.0.0.2 upwards), sends the headers of a
//     POST /api/v1/login announcing a 60,000-byte body and then one byte of
//     it every 5 s (the attack of issue 11);
//   - the server's resident memory (VmRSS) before, at the peak while they
//     are held, and -idle after they are all closed.
//
// It needs no libvirt guest: the server's host may be down. The server is
// stopped at the end, also on error or Ctrl-C.
package conn

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/kvm-manager/kvm-manager/bench/benchkit"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

type options struct {
	*benchkit.Common
	serverArgs string
	n          int
	addrs      int
	probes     int
	idle       time.Duration
	keepLog    bool
}

// New returns the subcommand, for bench/main.go's table.
func New(c *benchkit.Common) benchkit.Subcommand { return &options{Common: c} }

// Flags registers the subcommand's own flags.
func (o *options) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.serverArgs, "server-args", "--max-connections 6000",
		"extra server arguments, split at spaces (the default lets the server hold all -n connections)")
	fs.IntVar(&o.n, "n", 5000, "slow connections to hold")
	fs.IntVar(&o.addrs, "addrs", 20, "loopback addresses the slow connections come from (127.0.0.2 upwards)")
	fs.IntVar(&o.probes, "probes", 200, "GET /healthz requests per measurement")
	fs.DurationVar(&o.idle, "idle", 10*time.Second, "time after the burst before reading the idle memory")
	fs.BoolVar(&o.keepLog, "server-log", false, "print the server's log at the end")
}

// Check says what is wrong with the flags.
func (o *options) Check() error {
	return benchkit.Require(o.n >= 1 && o.addrs >= 1 && o.addrs <= 250 && o.probes >= 1, "-n and -probes must be positive, -addrs 1 to 250")
}

// Run measures and prints the figures.
func (o *options) Run(ctx context.Context, out io.Writer) error { return run(ctx, *o, out) }

// figures is what one run measured.
type figures struct {
	quiet, loaded          []time.Duration
	loadedErrors           int
	rssStart, rssPeak      int64
	rssHeld, rssIdle, hwm  int64
	held, refused, dialErr int64
	ramp                   time.Duration
}

func run(ctx context.Context, o options, out io.Writer) error {
	s, err := testrig.Start(o.Server, append([]string{"--stats-interval", "2s"}, strings.Fields(o.serverArgs)...))
	if err != nil {
		return err
	}
	defer s.Close()
	pid := s.PID()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var f figures

	time.Sleep(2 * time.Second) // start-up work (first host dial, UI assets) settles
	status := func(field string) int64 {
		kib, _ := benchkit.StatusKiB(pid, field) // 0 when gone: the report shows it
		return kib
	}
	f.rssStart = status("VmRSS")
	if f.quiet, _, err = probe(ctx, s, client, o.probes); err != nil {
		return fmt.Errorf("healthz before the flood: %w", err)
	}

	// The flood: -n connections, dialled by 64 workers.
	floodCtx, endFlood := context.WithCancel(ctx)
	defer endFlood()
	var wg sync.WaitGroup
	var held, refused, dialErr atomic.Int64
	next := make(chan int)
	rampStart := time.Now()
	for range 64 {
		wg.Go(func() {
			for i := range next {
				from := net.IPv4(127, 0, 0, byte(2+i%o.addrs))
				c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: from}, Timeout: 5 * time.Second}).DialContext(floodCtx, "tcp", strings.TrimPrefix(s.URL, "http://"))
				if err != nil {
					dialErr.Add(1)
					continue
				}
				wg.Go(func() { slow(floodCtx, c, &held, &refused) })
			}
		})
	}
	for i := range o.n {
		next <- i
	}
	close(next)
	f.ramp = time.Since(rampStart)
	// A connection counts as held once it has lived 2 s; wait for that.
	time.Sleep(3 * time.Second)
	f.held, f.refused, f.dialErr = held.Load(), refused.Load(), dialErr.Load()
	peak := make(chan int64)
	go func() {
		var m int64
		for floodCtx.Err() == nil {
			m = max(m, status("VmRSS"))
			select {
			case <-time.After(100 * time.Millisecond):
			case <-floodCtx.Done():
			}
		}
		peak <- m
	}()
	f.loaded, f.loadedErrors, err = probe(ctx, s, client, o.probes)
	if err != nil {
		return fmt.Errorf("healthz during the flood: %w", err)
	}
	f.rssHeld = status("VmRSS")
	if h := held.Load(); h < f.held {
		f.held = h // the body timeout may have begun to cut them off
	}
	endFlood()
	wg.Wait()
	f.rssPeak = <-peak
	select {
	case <-time.After(o.idle):
	case <-ctx.Done():
		return ctx.Err()
	}
	f.rssIdle = status("VmRSS")
	f.hwm = status("VmHWM")
	report(out, o, f)
	if o.keepLog {
		fmt.Fprintf(out, "--- server log ---\n%s\n", s.Log())
	}
	return nil
}

// slow holds one connection as the attacker does, until ctx ends or the
// server ends it.
func slow(ctx context.Context, c net.Conn, held, refused *atomic.Int64) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := fmt.Fprintf(c, "POST /api/v1/login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n"); err != nil {
		refused.Add(1)
		return
	}
	counted := false
	defer func() {
		if counted {
			held.Add(-1)
		}
	}()
	buf := make([]byte, 256)
	for wait := 2 * time.Second; ; wait = 5 * time.Second {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		_, err := c.Read(buf)
		var ne net.Error
		if ctx.Err() != nil || !errors.As(err, &ne) || !ne.Timeout() {
			if !counted && ctx.Err() == nil {
				refused.Add(1)
			}
			return
		}
		if !counted {
			counted = true
			held.Add(1)
		}
		if _, err := c.Write([]byte{' '}); err != nil {
			return
		}
	}
}

// probe times n GET /healthz requests, each on a new connection, 25 ms
// apart. Failed requests are counted, not timed; all failing is an error.
func probe(ctx context.Context, s *testrig.Server, client *http.Client, n int) ([]time.Duration, int, error) {
	var ds []time.Duration
	failed := 0
	var last error
	for range n {
		t0 := time.Now()
		code, _, err := s.DoWith(ctx, client, "GET", "/healthz", nil)
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("status %d", code)
		}
		if err != nil {
			failed++
			last = err
		} else {
			ds = append(ds, time.Since(t0))
		}
		select {
		case <-time.After(25 * time.Millisecond):
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	if len(ds) == 0 {
		return nil, failed, last
	}
	return ds, failed, nil
}

func report(out io.Writer, o options, f figures) {
	mib := func(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
	lat := func(ds []time.Duration) string {
		return fmt.Sprintf("p50 %s  p99 %s  max %s", testrig.Ms(testrig.Percentile(ds, 50)),
			testrig.Ms(testrig.Percentile(ds, 99)), testrig.Ms(testrig.Percentile(ds, 100)))
	}
	fmt.Fprintf(out, "=== %d slow connections from %d addresses (server %s %s)\n", o.n, o.addrs, o.Server, o.serverArgs)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "slow connections held / refused / not connected\t%d / %d / %d\t(dialled in %s)\n", f.held, f.refused, f.dialErr, f.ramp.Round(time.Millisecond))
	fmt.Fprintf(w, "GET /healthz, nothing else going on\t%s\t\n", lat(f.quiet))
	fmt.Fprintf(w, "GET /healthz while they are held\t%s\t%d failed\n", lat(f.loaded), f.loadedErrors)
	fmt.Fprintf(w, "server RSS before\t%s\t\n", mib(f.rssStart))
	fmt.Fprintf(w, "server RSS while held (end of probes / peak)\t%s / %s\t\n", mib(f.rssHeld), mib(f.rssPeak))
	fmt.Fprintf(w, "server RSS %s after they closed\t%s\t(VmHWM %s)\n", o.idle, mib(f.rssIdle), mib(f.hwm))
	_ = w.Flush()
}
