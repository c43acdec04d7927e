// Package spice is the SPICE console in the browser: a proxy that joins the
// WebSockets of a SPICE client running in the browser (spice-html5, one
// WebSocket per SPICE channel) to the SPICE server of a VM. One console
// ticket opens one SPICE session: its main channel redeems the ticket, and
// the session's other channels (display, inputs, cursor, ...) join it with
// the same ticket, a bounded number of times within a bounded time. The
// proxy completes each channel's link handshake with the VM's SPICE
// password, which never leaves the server.
package spice

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// Kind is the console ticket kind of a SPICE console.
const Kind = "spice"

// ReadBufferSize is the read buffer to give [wsframe.Accept] for a SPICE
// channel's WebSocket: the browser sends small messages.
const ReadBufferSize = 8 << 10

const downBufSize = 64 << 10

// Hosts gives the live libvirt link of a host and the computer it runs on.
type Hosts interface {
	Client(host string) (virt.Conn, error)
	Machine(host string) (machine.Machine, error)
}

// VMs is the part of the inventory the console needs.
type VMs interface {
	Get(host, uuid string) (inventory.VM, error)
}

// Options configures a Proxy.
type Options struct {
	Hosts     Hosts
	Inventory VMs
	Logger    *slog.Logger
	// MaxChannels bounds the channels one SPICE session may open after its
	// main channel (default 8: display, inputs, cursor, playback and a
	// few ports or further displays).
	MaxChannels int
	// JoinWindow is how long after the main channel linked the others may
	// join (default 30 s; spice-html5 opens them at once).
	JoinWindow time.Duration
	// DialTimeout bounds connecting to the SPICE server (default 5 s).
	DialTimeout time.Duration
	// HandshakeTimeout bounds a channel's link handshake (default 10 s).
	HandshakeTimeout time.Duration
	// PingInterval is how often the main channel's browser is pinged; a
	// session whose browser misses two pings in a row ends (default 20 s).
	PingInterval time.Duration
	// ReadLimit bounds one WebSocket message from the browser (default 1 MiB).
	ReadLimit int64
}

// Proxy is the SPICE console proxy.
type Proxy struct {
	opts Options
	log  *slog.Logger
	// resolve reads the target from the live XML; tests replace it.
	resolve func(host, uuid string) (Target, error)

	mu       sync.Mutex
	closed   bool
	sessions map[[32]byte]*session // by the hash of the ticket that opened them
}

// New returns a proxy with no consoles open.
func New(opts Options) *Proxy {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxChannels <= 0 {
		opts.MaxChannels = 8
	}
	if opts.JoinWindow <= 0 {
		opts.JoinWindow = 30 * time.Second
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 10 * time.Second
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 20 * time.Second
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = 1 << 20
	}
	p := &Proxy{opts: opts, log: opts.Logger, sessions: make(map[[32]byte]*session)}
	p.resolve = p.readTarget
	return p
}

var errShuttingDown = problem.New(problem.Unavailable, problem.CodeShuttingDown,
	"KVM Manager is shutting down", "open the console again once it is back")

var errChannels = problem.New(problem.TooMany, problem.CodeTooManyConsoles,
	"this SPICE console has opened all the channels its ticket allows",
	"close the console and open it again")

// Check reads the VM's live XML and reports whether a SPICE console can
// connect to it; the ticket request calls it.
func (p *Proxy) Check(hostName, uuid string) error {
	_, err := p.resolve(hostName, uuid)
	return err
}

func (p *Proxy) readTarget(hostName, uuid string) (Target, error) {
	vm, err := p.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return Target{}, err
	}
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return Target{}, err
	}
	c, err := p.opts.Hosts.Client(hostName)
	if err != nil {
		return Target{}, err
	}
	doc, err := c.XML(virt.Domain{Name: vm.Name, UUID: u}, virt.XMLSecure)
	if err != nil {
		return Target{}, host.Problem(err, "read the VM's definition")
	}
	return targetFromXML(doc)
}

// session is one SPICE console: its main channel and those that joined.
type session struct {
	key     [32]byte
	host    string
	uuid    string
	owner   string // the login session (or "token") the ticket was for
	target  Target
	started time.Time

	mu     sync.Mutex
	joined int
	chans  map[*channel]struct{}
	ended  bool
}

// channel is one WebSocket joined to one SPICE channel connection.
type channel struct {
	ws   *wsframe.Conn
	once sync.Once
	up   atomic.Pointer[net.Conn]
	kind uint8
}

// statusPolicyViolation closes a channel whose handshake was refused.
const statusPolicyViolation = 1008

// end closes the channel: the SPICE connection at once, the WebSocket
// with a close frame carrying reason.
func (c *channel) end(code int, reason string) {
	c.once.Do(func() {
		if up := c.up.Load(); up != nil {
			_ = (*up).Close()
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(wsframe.CloseWait))
		go func() { _ = c.ws.SendClose(code, reason, wsframe.CloseWait) }()
	})
}

// Sessions returns the number of SPICE consoles open now.
func (p *Proxy) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// Serve runs the main channel of a SPICE console of hostName/uuid, opened
// with ticket (already redeemed by the caller for owner). The WebSocket is
// accepted by accept once the VM passed its checks (which fail with a
// problem for the caller to answer); from then on Serve returns nil and
// tells failures to the browser in the close reason. The session ends,
// with all its channels, when the main channel does.
func (p *Proxy) Serve(ctx context.Context, hostName, uuid, ticket, owner string, accept func() (*wsframe.Conn, error)) error {
	if p.isClosed() {
		return errShuttingDown
	}
	vm, err := p.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return err
	}
	if err := precheck(vm); err != nil {
		return err
	}
	t, err := p.resolve(hostName, uuid)
	if err != nil {
		return err
	}
	s := &session{key: sha256.Sum256([]byte(ticket)), host: hostName, uuid: uuid, owner: owner, target: t,
		started: time.Now(), chans: make(map[*channel]struct{})}
	ws, err := accept()
	if err != nil {
		return nil
	}
	c := &channel{ws: ws}
	s.chans[c] = struct{}{}
	if !p.add(s) {
		c.end(wsframe.StatusGoingAway, "KVM Manager is shutting down")
		drain(ws)
		return nil
	}
	defer p.endSession(s, "the SPICE console ended")
	p.log.Debug("spice console open", "host", hostName, "uuid", uuid, "vm", vm.Name)
	stop := context.AfterFunc(ctx, func() {
		reason := "your login session ended; log in again to reopen the console"
		if p.isClosed() {
			reason = "KVM Manager is shutting down"
		}
		p.endSession(s, reason)
	})
	defer stop()
	done := make(chan struct{})
	defer close(done)
	go p.pingLoop(s, c, done)
	err = p.runChannel(ctx, s, c, func(typ uint8) error {
		if typ != channelMain {
			return fmt.Errorf("the first channel of a SPICE console must be its main channel, not type %d", typ)
		}
		return nil
	})
	p.logEnd(s, "main", err)
	if f, ok := ctx.Value(channelsKey{}).(func(int)); ok {
		s.mu.Lock()
		n := 1 + s.joined
		s.mu.Unlock()
		f(n)
	}
	return nil
}

type channelsKey struct{}

// WithChannels returns ctx for Serve, which tells fn, when the console
// ends, how many channels it had (the main one and those that joined): the
// console's one audit entry counts them.
func WithChannels(ctx context.Context, fn func(n int)) context.Context {
	return context.WithValue(ctx, channelsKey{}, fn)
}

// Join runs a further channel of the SPICE session that ticket opened, if
// there is one for owner and this VM. It reports false (and does nothing)
// when there is none, so that the caller treats the ticket as a new one.
// A session accepts MaxChannels further channels within JoinWindow of its
// start; past that Join fails with a problem.
func (p *Proxy) Join(ctx context.Context, hostName, uuid, ticket, owner string, accept func() (*wsframe.Conn, error)) (bool, error) {
	if len(ticket) == 0 || len(ticket) > 128 {
		return false, nil
	}
	key := sha256.Sum256([]byte(ticket))
	p.mu.Lock()
	s := p.sessions[key]
	p.mu.Unlock()
	if s == nil || s.host != hostName || s.uuid != uuid || s.owner != owner {
		return false, nil
	}
	s.mu.Lock()
	if s.ended || s.joined >= p.opts.MaxChannels || time.Since(s.started) > p.opts.JoinWindow {
		s.mu.Unlock()
		return true, errChannels
	}
	s.joined++
	s.mu.Unlock()
	ws, err := accept()
	if err != nil {
		return true, nil
	}
	c := &channel{ws: ws}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		c.end(wsframe.StatusGoingAway, "the SPICE console ended")
		drain(ws)
		return true, nil
	}
	s.chans[c] = struct{}{}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { c.end(wsframe.StatusGoingAway, "your login session ended") })
	defer stop()
	err = p.runChannel(ctx, s, c, func(typ uint8) error {
		if typ == channelMain {
			return errors.New("a SPICE console has one main channel")
		}
		return nil
	})
	s.mu.Lock()
	delete(s.chans, c)
	s.mu.Unlock()
	p.logEnd(s, fmt.Sprintf("channel type %d", c.kind), err)
	return true, nil
}

// runChannel connects c to the SPICE server, completes the link handshake
// (allow vets the channel the browser asks for) and relays until either
// side ends.
func (p *Proxy) runChannel(ctx context.Context, s *session, c *channel, allow func(uint8) error) error {
	c.ws.SetReadLimit(p.opts.ReadLimit)
	m, err := p.opts.Hosts.Machine(s.host)
	if err != nil {
		c.end(wsframe.StatusInternalError, "cannot reach the VM's host")
		drain(c.ws)
		return err
	}
	up, err := m.Dial(s.target.Network, s.target.Address, p.opts.DialTimeout)
	if err == nil && ctx.Err() != nil {
		_ = up.Close()
		err = ctx.Err()
	}
	if err != nil {
		c.end(wsframe.StatusInternalError, "cannot connect to the VM's SPICE server; the VM may be stopping")
		drain(c.ws)
		return problem.Wrap(err, problem.Upstream, problem.CodeSpiceUnreachable,
			fmt.Sprintf("cannot connect to the SPICE server of VM %q", problem.Clip(s.target.VMName)), "")
	}
	c.up.Store(&up)
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	if ended {
		_ = up.Close()
		c.end(wsframe.StatusGoingAway, "the SPICE console ended")
		drain(c.ws)
		return nil
	}
	deadline := time.Now().Add(p.opts.HandshakeTimeout)
	_ = up.SetDeadline(deadline)
	_ = c.ws.SetReadDeadline(deadline)
	typ, _, err := link(c.ws, up, s.target.password, allow)
	if err != nil {
		reason := "SPICE handshake failed"
		var le errLink
		if errors.As(err, &le) {
			reason = le.Error()
		}
		c.end(statusPolicyViolation, reason)
		drain(c.ws)
		return err
	}
	c.kind = typ
	_ = up.SetDeadline(time.Time{})
	_ = c.ws.SetReadDeadline(time.Time{})
	down := make(chan struct{})
	go func() {
		defer close(down)
		bp := make([]byte, downBufSize)
		for {
			n, err := up.Read(bp[wsframe.Headroom:])
			if n > 0 {
				if werr := c.ws.WriteMessage(bp[:wsframe.Headroom+n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		c.end(wsframe.StatusNormal, "the VM's SPICE server closed the channel (the VM may have stopped)")
	}()
	buf := make([]byte, ReadBufferSize)
	var rerr error
	for {
		n, err := c.ws.Read(buf)
		if n > 0 {
			if _, werr := up.Write(buf[:n]); werr != nil {
				c.end(wsframe.StatusNormal, "the VM's SPICE server closed the channel (the VM may have stopped)")
			}
		}
		if err != nil {
			rerr = err
			break
		}
	}
	c.end(wsframe.StatusNormal, "")
	_ = up.Close()
	_ = c.ws.CloseNow()
	<-down
	return rerr
}

// pingLoop pings the main channel's browser; two missed pongs in a row end
// the session (a browser that vanished without closing).
func (p *Proxy) pingLoop(s *session, c *channel, done <-chan struct{}) {
	iv := p.opts.PingInterval
	t := time.NewTicker(iv)
	defer t.Stop()
	missed := 0
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		err := c.ws.Ping(iv)
		switch {
		case err == nil:
			missed = 0
		case errors.Is(err, net.ErrClosed), errors.Is(err, wsframe.ErrClosing):
			return
		default:
			if missed++; missed >= 2 {
				p.log.Info("spice console closed: the browser stopped answering pings", "host", s.host, "uuid", s.uuid)
				p.endSession(s, "the browser stopped answering")
				return
			}
		}
	}
}

// endSession ends every channel of s and forgets it.
func (p *Proxy) endSession(s *session, reason string) {
	p.mu.Lock()
	if p.sessions[s.key] == s {
		delete(p.sessions, s.key)
	}
	p.mu.Unlock()
	s.mu.Lock()
	s.ended = true
	all := make([]*channel, 0, len(s.chans))
	for c := range s.chans {
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		c.end(wsframe.StatusGoingAway, reason)
	}
}

func (p *Proxy) logEnd(s *session, what string, err error) {
	if err != nil && !closedErr(err) {
		p.log.Info("spice channel ended", "host", s.host, "uuid", s.uuid, "vm", s.target.VMName, "channel", what,
			"duration", time.Since(s.started).Round(time.Millisecond), "err", err)
		return
	}
	p.log.Debug("spice channel ended", "host", s.host, "uuid", s.uuid, "vm", s.target.VMName, "channel", what,
		"duration", time.Since(s.started).Round(time.Millisecond))
}

// closedErr reports whether err is an ordinary end of a channel.
func closedErr(err error) bool {
	var ce *wsframe.CloseError
	if errors.As(err, &ce) && !ce.Local {
		switch ce.Code {
		case wsframe.StatusNormal, wsframe.StatusGoingAway, wsframe.StatusNoStatus:
			return true
		}
	}
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

// drain reads what the browser still sends until its close frame or the
// close wait ends, then closes the connection.
func drain(ws *wsframe.Conn) {
	var buf [512]byte
	for {
		if _, err := ws.Read(buf[:]); err != nil {
			break
		}
	}
	_ = ws.CloseNow()
}

func (p *Proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *Proxy) add(s *session) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.sessions[s.key] = s
	return true
}

// Close ends every SPICE console and refuses new ones; call it on shutdown.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	all := make([]*session, 0, len(p.sessions))
	for _, s := range p.sessions {
		all = append(all, s)
	}
	p.mu.Unlock()
	for _, s := range all {
		p.endSession(s, "KVM Manager is shutting down")
	}
}
