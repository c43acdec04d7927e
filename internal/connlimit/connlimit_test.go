package connlimit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// rig is a capped listener on loopback with its Accept loop running.
type rig struct {
	ln       *Listener
	accepted chan net.Conn
}

func newRig(t *testing.T, opts Options) *rig {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{ln: New(inner, opts), accepted: make(chan net.Conn, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := r.ln.Accept()
			if err != nil {
				return
			}
			r.accepted <- c
		}
	}()
	t.Cleanup(func() {
		_ = r.ln.Close()
		<-done
		close(r.accepted)
		for c := range r.accepted {
			_ = c.Close()
		}
	})
	return r
}

// dial connects from the loopback address from (127.0.0.x) and reports
// whether the server kept the connection: a refused one is reset at once.
func (r *rig) dial(t *testing.T, from string) (net.Conn, bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", r.ln.Addr().String())
	if errors.Is(err, syscall.ECONNRESET) {
		return nil, false // refused even before the handshake was done
	}
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// A refused connection is reset at once; an accepted one arrives on
	// r.accepted while the client's read still waits.
	readErr := make(chan error, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Read(make([]byte, 1))
		readErr <- err
	}()
	select {
	case sc := <-r.accepted:
		t.Cleanup(func() { _ = sc.Close() })
		return sc, true
	case err := <-readErr:
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
			t.Fatalf("connection from %s neither accepted nor refused: read error %v", from, err)
		}
		return nil, false
	}
}

func TestPerAddressCap(t *testing.T) {
	r := newRig(t, Options{PerAddr: 2, Total: 10})
	first, ok1 := r.dial(t, "127.0.0.1")
	_, ok2 := r.dial(t, "127.0.0.1")
	if !ok1 || !ok2 {
		t.Fatal("connections within the per-address cap were refused")
	}
	if _, ok := r.dial(t, "127.0.0.1"); ok {
		t.Fatal("a third connection from one address was accepted with a cap of 2")
	}
	if _, ok := r.dial(t, "127.0.0.2"); !ok {
		t.Fatal("another address was refused although it holds nothing")
	}
	if st := r.ln.Stats(); st.Open != 3 || st.Addresses != 2 || st.Refused != 1 {
		t.Fatalf("stats = %+v, want 3 open from 2 addresses, 1 refused", st)
	}
	// Closing gives the place back, once, however often Close is called.
	_ = first.Close()
	_ = first.Close()
	if _, ok := r.dial(t, "127.0.0.1"); !ok {
		t.Fatal("the address's place was not given back when its connection closed")
	}
	if _, ok := r.dial(t, "127.0.0.1"); ok {
		t.Fatal("closing one connection twice gave back two places")
	}
}

func TestFairShareWhenNearlyFull(t *testing.T) {
	// The last tenth of 10 places is 1: it goes to an address holding
	// fewer than 2, not to the one holding 9.
	r := newRig(t, Options{Total: 10, PerAddr: 10, FairShare: 2})
	for i := range 9 {
		if _, ok := r.dial(t, "127.0.0.2"); !ok {
			t.Fatalf("connection %d refused with 9 of 10 places free", i+1)
		}
	}
	if _, ok := r.dial(t, "127.0.0.2"); ok {
		t.Fatal("the heavy address took the last place")
	}
	if _, ok := r.dial(t, "127.0.0.3"); !ok {
		t.Fatal("a light address was refused the last place")
	}
	if _, ok := r.dial(t, "127.0.0.4"); ok {
		t.Fatal("accepted over the overall cap")
	}
}

func TestTotalCap(t *testing.T) {
	r := newRig(t, Options{Total: 3})
	for _, a := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		if _, ok := r.dial(t, a); !ok {
			t.Fatalf("connection from %s refused within the overall cap", a)
		}
	}
	if _, ok := r.dial(t, "127.0.0.4"); ok {
		t.Fatal("a fourth connection was accepted with an overall cap of 3")
	}
}

// records collects log records.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

func (h *records) attrs(i int) map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]string{"msg": h.recs[i].Message}
	h.recs[i].Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	return m
}

func (h *records) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.recs)
}

func TestRefusalLogIsRateLimited(t *testing.T) {
	h := &records{}
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC).UnixNano())
	l := New(nil, Options{PerAddr: 1, Total: 5, Logger: slog.New(h), LogEvery: time.Minute,
		Now: func() time.Time { return time.Unix(0, now.Load()) }})
	a := netip.MustParseAddr("127.0.0.2")
	b := netip.MustParseAddr("127.0.0.3")

	for range 5 {
		l.logRefusal(a, overAddr)
	}
	l.logRefusal(b, overAddr)
	if h.len() != 2 {
		t.Fatalf("%d lines for 5 refusals of one address and 1 of another within a minute, want 2", h.len())
	}
	if m := h.attrs(0); m["client"] != "127.0.0.2" || m["limit"] != "1" || m["suppressed"] != "0" || !strings.Contains(m["msg"], "per-address cap") {
		t.Fatalf("first line = %v", m)
	}
	now.Add(int64(61 * time.Second))
	l.logRefusal(a, overAddr)
	if m := h.attrs(2); m["client"] != "127.0.0.2" || m["suppressed"] != "4" {
		t.Fatalf("line after a minute = %v, want the 4 refusals it did not log", m)
	}
	// The overall cap has a line of its own, rate-limited the same way.
	l.logRefusal(a, overTotal)
	l.logRefusal(b, overTotal)
	if h.len() != 4 {
		t.Fatalf("%d lines, want one more for the overall cap", h.len())
	}
	if m := h.attrs(3); !strings.Contains(m["msg"], "overall cap") || m["limit"] != "5" {
		t.Fatalf("overall cap line = %v", m)
	}
}

func TestRefusalLogTableIsBounded(t *testing.T) {
	h := &records{}
	l := New(nil, Options{PerAddr: 1, Logger: slog.New(h)})
	base := netip.MustParseAddr("10.0.0.0").As4()
	for i := range maxLogStates + 100 {
		ip := base
		ip[2], ip[3] = byte(i>>8), byte(i)
		l.logRefusal(netip.AddrFrom4(ip), overAddr)
	}
	if len(l.logs) > maxLogStates {
		t.Fatalf("%d addresses remembered, want at most %d", len(l.logs), maxLogStates)
	}
	// The addresses past the table share one line per minute.
	if h.len() != maxLogStates+1 {
		t.Fatalf("%d lines, want %d", h.len(), maxLogStates+1)
	}
}

func TestDrainedAfterBurst(t *testing.T) {
	drained := make(chan struct{}, 8)
	r := newRig(t, Options{BurstSize: 4, Settle: 20 * time.Millisecond, Drained: func() { drained <- struct{}{} }})
	var conns []net.Conn
	for range 6 {
		c, ok := r.dial(t, "127.0.0.1")
		if !ok {
			t.Fatal("refused without caps")
		}
		conns = append(conns, c)
	}
	// Closing two of six is no end of the burst.
	_ = conns[0].Close()
	_ = conns[1].Close()
	select {
	case <-drained:
		t.Fatal("Drained called with 4 of 6 connections still open")
	case <-time.After(200 * time.Millisecond):
	}
	for _, c := range conns[2:] {
		_ = c.Close()
	}
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("Drained not called after the burst ended")
	}
	select {
	case <-drained:
		t.Fatal("Drained called twice for one burst")
	case <-time.After(200 * time.Millisecond):
	}
}

func TestAddrKey(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 5}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 5}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6"), Port: 5}, "2001:db8:1:2::"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 5}, "::"},
		{&net.UnixAddr{Name: "@", Net: "unix"}, "invalid IP"},
		{nil, "invalid IP"},
	} {
		if got := addrKey(tc.addr).String(); got != tc.want {
			t.Errorf("addrKey(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		limit                  uint64
		total, perAddr         int
		wantTotal, wantPerAddr int
		wantLowered            bool
	}{
		{name: "defaults under a large limit", limit: 1 << 20, wantTotal: 4096, wantPerAddr: 256},
		{name: "defaults under 1024 files", limit: 1024, wantTotal: 384, wantPerAddr: 256},
		{name: "defaults under 256 files", limit: 256, wantTotal: 64, wantPerAddr: 64},
		{name: "configured within the limit", limit: 1 << 20, total: 10000, perAddr: 50, wantTotal: 10000, wantPerAddr: 50},
		{name: "configured above the limit", limit: 1024, total: 5000, wantTotal: 384, wantPerAddr: 256, wantLowered: true},
		{name: "per address above total", limit: 1 << 20, total: 100, perAddr: 500, wantTotal: 100, wantPerAddr: 100},
		{name: "tiny limit", limit: 1, wantTotal: 1, wantPerAddr: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			total, perAddr, lowered := Resolve(tc.limit, tc.total, tc.perAddr)
			if total != tc.wantTotal || perAddr != tc.wantPerAddr || lowered != tc.wantLowered {
				t.Fatalf("Resolve(%d, %d, %d) = %d, %d, %v; want %d, %d, %v", tc.limit, tc.total, tc.perAddr,
					total, perAddr, lowered, tc.wantTotal, tc.wantPerAddr, tc.wantLowered)
			}
			if total > 1 && uint64(2*total) > tc.limit {
				t.Fatalf("overall cap %d leaves no descriptor per connection for a console under %d files", total, tc.limit)
			}
		})
	}
}

func TestRaiseFileLimit(t *testing.T) {
	soft, hard, err := RaiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	if soft == 0 || soft > hard {
		t.Fatalf("soft %d, hard %d", soft, hard)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur != soft {
		t.Fatalf("reported soft limit %d, the process has %d", soft, lim.Cur)
	}
}
