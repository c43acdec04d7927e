// Package connlimit caps the connections a server holds open, per client
// address and overall, in a [net.Listener] wrapper.
//
// A connection over a cap is closed the moment it is accepted: before TLS,
// before a byte of it is read, and with a reset (SO_LINGER 0) so that it
// leaves no TIME_WAIT state behind. Refusing that early is what keeps a
// flood cheap: the server spends one accept and one close on it, never a
// goroutine, a buffer or a TLS handshake.
//
// The per-address count is by the TCP peer. Behind a reverse proxy every
// client is the proxy, so the per-address cap limits the proxy as a whole:
// raise it to the overall cap there, and let the proxy limit its clients.
// IPv6 peers are counted by their /64, which one host usually owns whole.
//
// The last tenth of the overall cap is kept for addresses that hold few
// connections (the fair share, [Options.FairShare]): attackers spread over
// a few addresses fill the server only up to there, and browsers still get
// in.
//
// The package also keeps what goes with the caps: raising the process's
// file limit ([RaiseFileLimit]), deriving caps that fit below it
// ([Resolve]), and a hook for when a burst of connections has ended
// ([Options.Drained]), where a server can hand memory back to the system.
package connlimit

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options configures a [Listener]. The zero value caps nothing.
type Options struct {
	// Total is the most connections open at once; 0 means no cap.
	Total int
	// PerAddr is the most connections one client address may hold open at
	// once; 0 means no cap.
	PerAddr int
	// FairShare is what one address may hold once the server is nearly
	// full (the last tenth of Total): a few addresses with many connections
	// each cannot then take the last places from everyone else. Default 8:
	// a browser uses up to six connections to a server, plus an event
	// stream and a console or two.
	FairShare int
	// Logger receives a warning when a cap refuses a connection: at most
	// one line per client address (and one for the overall cap) per
	// LogEvery, each counting the refusals it stood for. Nil logs nothing.
	Logger *slog.Logger
	// LogEvery is the least time between two refusal lines for the same
	// address (default 1 min).
	LogEvery time.Duration
	// Drained, when set, is called on a goroutine of its own after a burst
	// of connections has ended: at least BurstSize were open at once, and
	// Settle after the count fell to half of that peak it is still there.
	// The peak then starts again from what is open, so a long burst that
	// ebbs away in steps calls it once per halving, never in a loop.
	Drained func()
	// BurstSize is the least peak that counts as a burst (default 256).
	BurstSize int
	// Settle is how long the count must stay low before Drained is called
	// (default 2 s).
	Settle time.Duration
	// Now returns the time; nil means time.Now. Tests set it.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.LogEvery <= 0 {
		o.LogEvery = time.Minute
	}
	if o.FairShare <= 0 {
		o.FairShare = 8
	}
	if o.BurstSize <= 0 {
		o.BurstSize = 256
	}
	if o.Settle <= 0 {
		o.Settle = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// maxLogStates bounds the table of addresses whose refusals are being
// counted between log lines, so that a flood from many addresses cannot
// grow memory; past it, refusals are reported under one shared entry.
const maxLogStates = 1024

// Listener is a [net.Listener] that refuses connections over its caps. Its
// connections give their place back when they are closed, including after
// an HTTP server has hijacked them.
type Listener struct {
	net.Listener
	opts Options

	mu           sync.Mutex
	open         int
	perAddr      map[netip.Addr]int
	peak         int
	drainPending bool
	closed       bool
	logs         map[netip.Addr]*logState // refusals by the per-address caps
	totalLog     logState                 // refusals by the overall cap
	overflow     logState                 // refusals of addresses past maxLogStates

	refused atomic.Int64
}

// logState counts the refusals of one address since its last log line.
type logState struct {
	last       time.Time
	suppressed int
}

// New wraps inner with the caps in opts.
func New(inner net.Listener, opts Options) *Listener {
	return &Listener{
		Listener: inner,
		opts:     opts.withDefaults(),
		perAddr:  make(map[netip.Addr]int),
		logs:     make(map[netip.Addr]*logState),
	}
}

// Stats is a snapshot of a [Listener]'s counts.
type Stats struct {
	// Open is the number of connections open now.
	Open int
	// Addresses is the number of client addresses holding them.
	Addresses int
	// Refused is the number of connections refused since the start.
	Refused int64
}

// Stats reports the listener's counts.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Open: l.open, Addresses: len(l.perAddr), Refused: l.refused.Load()}
}

// Accept returns the next connection within the caps. Connections over a
// cap are closed at once and never returned; errors of the wrapped
// listener are returned as they are.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := addrKey(c.RemoteAddr())
		why := l.admit(key)
		if why == admitted {
			return &conn{Conn: c, l: l, key: key}, nil
		}
		refuse(c)
		l.refused.Add(1)
		l.logRefusal(key, why)
	}
}

// Close closes the wrapped listener; open connections stay open and still
// give their places back when they close.
func (l *Listener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.Listener.Close()
}

// reason says why a connection was refused, or that it was not.
type reason int

const (
	admitted  reason = iota
	overTotal        // the overall cap
	overAddr         // the per-address cap
	overShare        // the fair share of a nearly full server
)

// admit takes a place for a connection from key, or says which cap is
// full.
func (l *Listener) admit(key netip.Addr) reason {
	l.mu.Lock()
	defer l.mu.Unlock()
	held := l.perAddr[key]
	switch {
	case l.opts.Total > 0 && l.open >= l.opts.Total:
		return overTotal
	case l.opts.PerAddr > 0 && held >= l.opts.PerAddr:
		return overAddr
	case l.opts.Total > 0 && l.opts.Total-l.open <= l.opts.Total/10 && held >= l.opts.FairShare:
		return overShare
	}
	l.open++
	l.perAddr[key]++
	l.peak = max(l.peak, l.open)
	return admitted
}

// release gives back the place of a closed connection from key.
func (l *Listener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if n := l.perAddr[key] - 1; n > 0 {
		l.perAddr[key] = n
	} else {
		delete(l.perAddr, key)
	}
	if l.opts.Drained != nil && !l.drainPending && !l.closed && l.peak >= l.opts.BurstSize && l.open <= l.peak/2 {
		l.drainPending = true
		time.AfterFunc(l.opts.Settle, l.checkDrained)
	}
}

// checkDrained calls Drained if the count is still at most half its peak.
func (l *Listener) checkDrained() {
	l.mu.Lock()
	l.drainPending = false
	fire := !l.closed && l.open <= l.peak/2
	if fire {
		l.peak = l.open
	}
	l.mu.Unlock()
	if fire {
		l.opts.Drained()
	}
}

// logRefusal writes the refusal line for key unless one was written less
// than LogEvery ago; then it only counts the refusal for the next line.
func (l *Listener) logRefusal(key netip.Addr, why reason) {
	if l.opts.Logger == nil {
		return
	}
	now := l.opts.Now()
	l.mu.Lock()
	st := &l.totalLog
	if why != overTotal {
		st = l.addrLog(key, now)
	}
	if !st.last.IsZero() && now.Sub(st.last) < l.opts.LogEvery {
		st.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := st.suppressed
	st.last, st.suppressed = now, 0
	open, fromAddr := l.open, l.perAddr[key]
	l.mu.Unlock()

	client := key.String()
	if !key.IsValid() {
		client = "unknown"
	}
	switch why {
	case overTotal:
		l.opts.Logger.Warn("connection refused: the server holds as many connections as it may (overall cap)",
			"client", client, "open", open, "limit", l.opts.Total,
			"suppressed", suppressed, "every", l.opts.LogEvery)
	case overAddr:
		l.opts.Logger.Warn("connection refused: this client address holds as many connections as it may (per-address cap)",
			"client", client, "open", fromAddr, "limit", l.opts.PerAddr,
			"suppressed", suppressed, "every", l.opts.LogEvery)
	case overShare:
		l.opts.Logger.Warn("connection refused: the server is nearly full and this client address holds more than its share (fair-share cap)",
			"client", client, "open", fromAddr, "limit", l.opts.FairShare, "server-open", open, "server-limit", l.opts.Total,
			"suppressed", suppressed, "every", l.opts.LogEvery)
	}
}

// addrLog returns the log state of key, made when needed. Called with l.mu
// held.
func (l *Listener) addrLog(key netip.Addr, now time.Time) *logState {
	if st, ok := l.logs[key]; ok {
		return st
	}
	if len(l.logs) >= maxLogStates {
		l.sweepLogs(now)
	}
	if len(l.logs) >= maxLogStates {
		return &l.overflow
	}
	st := &logState{}
	l.logs[key] = st
	return st
}

// sweepLogs forgets addresses whose last line is older than LogEvery: the
// next refusal from them is logged anyway. Called with l.mu held.
func (l *Listener) sweepLogs(now time.Time) {
	for k, st := range l.logs {
		if now.Sub(st.last) >= l.opts.LogEvery {
			delete(l.logs, k)
		}
	}
}

// conn is an admitted connection; closing it gives its place back once.
type conn struct {
	net.Conn
	l        *Listener
	key      netip.Addr
	released atomic.Bool
}

// Close closes the connection and gives its place back.
func (c *conn) Close() error {
	err := c.Conn.Close()
	if c.released.CompareAndSwap(false, true) {
		c.l.release(c.key)
	}
	return err
}

// CloseWrite shuts down the sending side, as [net.TCPConn.CloseWrite] does.
// net/http uses it to let an error answer reach the client before the
// connection closes; without it the answer could be lost to a reset.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// refuse closes a connection over a cap with a reset: nothing was read
// from it, and nothing needs to linger.
func refuse(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// addrKey is what a peer is counted by: its IP address (IPv4-mapped IPv6
// as IPv4), IPv6 by its /64. Peers without an IP address share the zero
// key.
func addrKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	default:
		if a != nil {
			if ap, err := netip.ParseAddrPort(a.String()); err == nil {
				ip = ap.Addr()
			}
		}
	}
	return Key(ip)
}

// Key is the address a client is counted by, here and in the login
// throttle: IPv4 (also IPv4-mapped IPv6) as it is, IPv6 by its /64, the
// smallest block one site usually gets, so that rotating through the
// addresses of one network does not escape a per-address limit.
func Key(ip netip.Addr) netip.Addr {
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}

// Defaults for [Resolve] when a cap is not configured.
const (
	DefaultTotal   = 4096
	DefaultPerAddr = 256
	// Reserve is how many file descriptors the overall cap leaves for what
	// is not a client connection: libvirt links, the audit log, session
	// store, screenshots, the listener itself.
	Reserve = 256
)

// MaxTotal is the largest overall cap a file limit allows. Each client
// connection may need a second descriptor (a console's link to QEMU's VNC
// server or to libvirt), and Reserve (or half of a small limit) stay for
// the rest; the result is at least 1.
func MaxTotal(fileLimit uint64) int {
	reserve := min(uint64(Reserve), fileLimit/2)
	n := (fileLimit - reserve) / 2
	return int(max(min(n, 1<<30), 1))
}

// Resolve turns configured caps (0 = not configured) into the ones to use
// under fileLimit. An unconfigured overall cap is DefaultTotal, or less
// when the file limit requires; a configured one above MaxTotal is lowered
// to it, and lowered reports that. The per-address cap defaults to
// DefaultPerAddr and never exceeds the overall cap.
func Resolve(fileLimit uint64, total, perAddr int) (t, p int, lowered bool) {
	most := MaxTotal(fileLimit)
	switch {
	case total <= 0:
		t = min(DefaultTotal, most)
	case total > most:
		t, lowered = most, true
	default:
		t = total
	}
	p = perAddr
	if p <= 0 {
		p = DefaultPerAddr
	}
	return t, min(p, t), lowered
}

// RaiseFileLimit raises the soft limit on open files (RLIMIT_NOFILE) to
// the hard one and returns both as they are afterwards. Go's runtime tries
// the same at start (since Go 1.19), so usually nothing is left to do; this
// makes it explicit, reports the result, and copes with an unlimited hard
// limit, which the kernel refuses as a soft one: then fs.nr_open, the
// kernel's ceiling, is used.
func RaiseFileLimit() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			if n, nerr := nrOpen(); nerr == nil && n > lim.Cur && n < lim.Max {
				want.Cur = n
				err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want)
			}
			if err != nil {
				return lim.Cur, lim.Max, err
			}
		}
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, 0, err
		}
	}
	return lim.Cur, lim.Max, nil
}

// nrOpen reads the kernel's ceiling for RLIMIT_NOFILE.
func nrOpen() (uint64, error) {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}
