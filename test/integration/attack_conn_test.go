//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// The attacks below run against a server limited to 1024 open files,
// which derives its caps from that: 384 connections overall, 256 per
// address, the last tenth of the overall cap kept for addresses holding
// fewer than 8. The server's default body timeout is 20 s.
const (
	attackFileLimit   = 1024
	attackBodyTimeout = 20 * time.Second
	attackAnswerIn    = time.Second
)

// TestAttackSlowBodyFlood is issue 11, item 1: an anonymous client opens
// thousands of `POST /api/v1/login` connections that announce a 60,000-byte
// body and send one byte of it every 2 s. Another client (another address)
// must still get /healthz and a logged-in /api/v1/vms within 1 s on new
// connections all along; the server must cut every slow body off at its
// body timeout, refuse what is over the per-address cap, say so in its log
// (once a minute), and answer at once when the attacker is gone.
func TestAttackSlowBodyFlood(t *testing.T) {
	const attackFrom = "127.0.0.2"
	s := attackServer(t)
	f := attackAndProbe(t, s, []string{attackFrom}, 3000, 28*time.Second)

	// The attack was real: the server held slow bodies until their timeout,
	// and refused the rest at once.
	if f.maxHeld.Load() < 100 {
		t.Errorf("the server held at most %d slow connections: the attack did not take hold", f.maxHeld.Load())
	}
	if f.refused.Load() == 0 {
		t.Error("no connection of the attacker was refused")
	}
	if l := f.longestHeld(); l > attackBodyTimeout+5*time.Second {
		t.Errorf("a slow body was held open for %s; the body timeout is %s", l.Round(time.Millisecond), attackBodyTimeout)
	}
	if f.cut.Load() == 0 {
		t.Error("the server never cut off a slow body")
	}
	// The refusals are in the log, rate-limited.
	capLine := regexp.MustCompile(`(?m)^.*level=WARN.*per-address cap.*client=` + regexp.QuoteMeta(attackFrom) + ` .*$`)
	lines := capLine.FindAllString(s.Log(), -1)
	if len(lines) == 0 {
		t.Errorf("no per-address cap line for %s in the server's log", attackFrom)
	} else if len(lines) > 1 {
		t.Errorf("%d per-address cap lines within a minute for one address, want one:\n%s", len(lines), strings.Join(lines, "\n"))
	} else {
		t.Logf("log: %s", lines[0])
	}
}

// TestAttackSlowBodyFloodManyAddresses spreads the same attack over eight
// addresses, so that no per-address cap stops it before the server is
// full: the overall cap holds, and the places kept for light clients let
// the other client in.
func TestAttackSlowBodyFloodManyAddresses(t *testing.T) {
	var from []string
	for i := 2; i < 10; i++ {
		from = append(from, fmt.Sprintf("127.0.0.%d", i))
	}
	s := attackServer(t)
	f := attackAndProbe(t, s, from, 3200, 12*time.Second)
	if f.maxHeld.Load() < 300 {
		t.Errorf("the server held at most %d slow connections: the attack did not fill it", f.maxHeld.Load())
	}
	if f.refused.Load() == 0 {
		t.Error("no connection of the attacker was refused")
	}
	capLine := regexp.MustCompile(`(?m)^.*level=WARN.*(fair-share|overall) cap.*client=127\.0\.0\.[2-9] .*$`)
	if lines := capLine.FindAllString(s.Log(), -1); len(lines) == 0 {
		t.Error("no fair-share or overall cap line in the server's log")
	} else {
		t.Logf("log: %s (and %d more)", lines[0], len(lines)-1)
	}
}

// attackServer starts a server of its own, limited to attackFileLimit open
// files.
func attackServer(t *testing.T) *testrig.Server {
	t.Helper()
	bin, err := testrig.WithFileLimit(serverBin, attackFileLimit)
	if err != nil {
		t.Fatal(err)
	}
	s, err := testrig.Start(bin, []string{"--stats-interval", "1s"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log (end):\n%s", s.LogTail(30))
		}
		s.Close()
	})
	if n, err := testrig.FileLimit(s.PID()); err != nil || n != attackFileLimit {
		t.Fatalf("server's open-file limit = %d (%v), want %d: the attack would not reach it", n, err, attackFileLimit)
	}
	return s
}

// attackAndProbe floods s with n slow connections from the addresses from
// for the time given, while another client on 127.0.0.1 asks for /healthz
// and /api/v1/vms (with the API token) twice a second; it fails the test
// if any of those answers fails or takes over attackAnswerIn, during the
// attack or right after it. It returns the attacker's counts.
func attackAndProbe(t *testing.T, s *testrig.Server, from []string, n int, attackFor time.Duration) *flood {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The victim opens a new connection for every request, as a browser
	// arriving during the attack would: a kept-alive connection made before
	// it would prove nothing about accepting new ones.
	victim := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, Timeout: 5 * time.Second}).DialContext,
	}}
	type probe struct {
		at   time.Duration
		path string
		took time.Duration
		err  error
	}
	start := time.Now()
	probeOnce := func(path string) probe {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		t0 := time.Now()
		code, body, err := s.DoWith(ctx, victim, "GET", path, nil)
		p := probe{at: t0.Sub(start).Round(time.Millisecond), path: path, took: time.Since(t0), err: err}
		if err == nil && code != http.StatusOK {
			p.err = fmt.Errorf("status %d: %s", code, body)
		}
		return p
	}
	for _, path := range []string{"/healthz", "/api/v1/vms"} {
		if p := probeOnce(path); p.err != nil {
			t.Fatalf("before the attack: GET %s: %v", path, p.err)
		}
	}

	ctx, stop := context.WithTimeout(context.Background(), attackFor)
	defer stop()
	f := &flood{addr: u.Host}
	for _, a := range from {
		f.from = append(f.from, net.ParseIP(a))
	}
	attackDone := f.run(ctx, n)

	// Let the flood build up, then keep asking.
	select {
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
	}
	var probes []probe
	for ctx.Err() == nil {
		probes = append(probes, probeOnce("/healthz"), probeOnce("/api/v1/vms"))
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	attackDone()
	var after []probe
	for _, path := range []string{"/healthz", "/api/v1/vms"} {
		after = append(after, probeOnce(path))
	}
	t.Logf("attack from %s: %d connections made, at most %d held at once, %d refused at once, %d cut off by the server after being held, longest held %s",
		strings.Join(from, " "), f.dials.Load(), f.maxHeld.Load(), f.refused.Load(), f.cut.Load(), f.longestHeld().Round(time.Millisecond))
	var slowest probe
	for _, p := range probes {
		if p.took > slowest.took {
			slowest = p
		}
	}
	t.Logf("%d probes during the attack, slowest %s (GET %s at %s); after it: %s %s, %s %s", len(probes),
		slowest.took.Round(time.Millisecond), slowest.path, slowest.at,
		after[0].path, after[0].took.Round(time.Millisecond), after[1].path, after[1].took.Round(time.Millisecond))

	// Another client is served within a second all along...
	var bad []string
	for _, p := range probes {
		if p.err != nil || p.took > attackAnswerIn {
			bad = append(bad, fmt.Sprintf("at %s GET %s took %s: %v", p.at, p.path, p.took.Round(time.Millisecond), p.err))
		}
	}
	if want := int(attackFor/time.Second) * 2; len(probes) < want {
		t.Errorf("only %d probes during the attack, want at least %d", len(probes), want)
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d requests of another client failed or took over %s during the attack, e.g.:\n  %s",
			len(bad), len(probes), attackAnswerIn, strings.Join(bad[:min(len(bad), 8)], "\n  "))
	}
	// ... and at once when the attacker has gone.
	for _, p := range after {
		if p.err != nil || p.took > attackAnswerIn {
			t.Errorf("right after the attack GET %s took %s: %v", p.path, p.took, p.err)
		}
	}
	if strings.Contains(s.Log(), "too many open files") {
		t.Error("the server ran out of open files")
	}
	return f
}

// flood is the attacker: connections from one address that each send a
// login request's headers and then its body one byte every 2 s, and come
// back about a second after the server ends them.
type flood struct {
	addr string
	from []net.IP // goroutine i attacks from from[i%len(from)]

	dials   atomic.Int64
	held    atomic.Int64 // connections alive for 2 s or more now
	maxHeld atomic.Int64
	refused atomic.Int64 // ended by the server within 2 s
	cut     atomic.Int64 // ended by the server later

	mu      sync.Mutex
	longest time.Duration
}

const floodHeader = "POST /api/v1/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n"

// run starts n attacker goroutines; they stop when ctx ends, and the
// returned function waits for them to have closed every connection.
func (f *flood) run(ctx context.Context, n int) (wait func()) {
	var wg sync.WaitGroup
	for i := range n {
		from := f.from[i%len(f.from)]
		wg.Go(func() {
			for ctx.Err() == nil {
				f.once(ctx, from)
				select {
				case <-time.After(time.Second + rand.N(500*time.Millisecond)):
				case <-ctx.Done():
				}
			}
		})
	}
	return wg.Wait
}

// once makes one slow connection and holds it until the server ends it or
// ctx ends.
func (f *flood) once(ctx context.Context, from net.IP) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from}, Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", f.addr)
	if err != nil {
		return
	}
	f.dials.Add(1)
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	start := time.Now()
	if _, err := fmt.Fprintf(c, floodHeader, f.addr); err != nil {
		f.refused.Add(1)
		return
	}
	held := false
	defer func() {
		if held {
			f.held.Add(-1)
		}
		life := time.Since(start)
		f.mu.Lock()
		f.longest = max(f.longest, life)
		f.mu.Unlock()
	}()
	buf := make([]byte, 512)
	for {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := c.Read(buf)
		if ctx.Err() != nil {
			return // the attacker went away
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			// An answer, EOF or a reset: the server ended it.
			if held {
				f.cut.Add(1)
			} else {
				f.refused.Add(1)
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<16))
			return
		}
		if !held {
			held = true
			n := f.held.Add(1)
			for m := f.maxHeld.Load(); n > m && !f.maxHeld.CompareAndSwap(m, n); m = f.maxHeld.Load() {
			}
		}
		if _, err := c.Write([]byte{' '}); err != nil && ctx.Err() == nil {
			f.cut.Add(1)
			return
		}
	}
}

// longestHeld is the longest any attacker connection lived.
func (f *flood) longestHeld() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.longest
}
