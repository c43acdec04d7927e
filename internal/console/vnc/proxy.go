// Package vnc is the graphical console: a proxy that joins a browser's
// WebSocket to the VNC server of a VM, reads where that server listens from
// the VM's live XML, and answers the fixes its errors offer (a .vv file
// for SPICE). The RFB handshakes are in package rfb, the WebSocket framing
// in package wsframe; the HTTP upgrade itself is done by package api.
package vnc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/console/recording"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc/rfb"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// Hosts gives the live libvirt link of a host, and the computer it runs on
// (host.Set), where the VM's VNC server listens.
type Hosts interface {
	Client(host string) (virt.Conn, error)
	Machine(host string) (machine.Machine, error)
}

// VMs is the part of the inventory the console needs: a VM's name, which
// addresses it in libvirt calls together with its UUID, its state and its
// graphics.
type VMs interface {
	Get(host, uuid string) (inventory.VM, error)
}

// Options configures a Proxy.
type Options struct {
	Hosts     Hosts
	Inventory VMs
	Logger    *slog.Logger
	// DialTimeout bounds connecting to a VM's VNC server (default 5 s).
	DialTimeout time.Duration
	// HandshakeTimeout bounds the RFB handshakes on both sides (default 10 s).
	HandshakeTimeout time.Duration
	// PingInterval is how often an idle browser is pinged; a console whose
	// browser misses two pings in a row is closed (default 20 s).
	PingInterval time.Duration
	// ReadLimit bounds one WebSocket message from the browser (default 4 MiB;
	// RFB client messages are small, clipboard text the largest).
	ReadLimit int64
	// Recordings keeps console recordings (record.go); nil: consoles
	// cannot be recorded.
	Recordings *recording.Store
	// RecordPolicy names the consoles that always record.
	RecordPolicy RecordPolicy
	// RecordingChanged, if not nil, is told when a VM's consoles start or
	// stop recording (for the events stream: the "Recording" mark).
	RecordingChanged func(host, uuid string, st RecordingStatus)
}

// Proxy is the graphical console proxy: it joins a browser's WebSocket to the
// VNC server of the VM the console ticket names, at the address the VM's
// live XML gives. It completes the RFB security handshake with the VNC
// server itself (with the VM's VNC password, which never leaves the server)
// and offers the browser security type None.
type Proxy struct {
	opts Options
	log  *slog.Logger
	// resolve reads the target from the live XML, and liveID the running
	// domain's libvirt id; unit tests replace them to reach a fake VNC
	// server.
	resolve func(host, uuid string) (Target, error)
	liveID  func(host, uuid string) (int32, error)

	dialLocks vncKeyedMutex

	tmu     sync.Mutex
	targets map[string]vncKnownTarget // by host/uuid: read when a ticket was minted

	mu       sync.Mutex
	closed   bool
	sessions map[*vncSession]struct{}
	// ended holds, by host/uuid, why a VM's last recording ended by
	// itself (RecordingStatus.Ended), until the next start.
	ended sync.Map
}

// vncKnownTarget is a target read from a domain's live XML, with the libvirt
// id of the domain's run it belongs to.
type vncKnownTarget struct {
	t  Target
	id int32
	at time.Time
}

// New returns a proxy with no consoles open.
func New(opts Options) *Proxy {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.HandshakeTimeout == 0 {
		opts.HandshakeTimeout = 10 * time.Second
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = 20 * time.Second
	}
	if opts.ReadLimit == 0 {
		opts.ReadLimit = 4 << 20
	}
	v := &Proxy{opts: opts, log: opts.Logger, sessions: make(map[*vncSession]struct{}), targets: make(map[string]vncKnownTarget)}
	v.resolve = v.readTarget
	v.liveID = v.domainID
	return v
}

// errVNCShuttingDown refuses new consoles once Close was called.
var errVNCShuttingDown = problem.New(problem.Unavailable, problem.CodeShuttingDown,
	"KVM Manager is shutting down", "open the console again once it is back")

// Target reads the VM's graphics from its live XML and returns where its
// VNC server listens. It fails with a problem that says what to do when the
// VM is not running, has no VNC graphics, or has only SPICE. The console
// ticket request calls it; the console WebSocket that follows within the
// ticket's lifetime dials the target read here, once libvirt confirmed
// that the domain still runs the same QEMU (see Serve), instead of reading
// the live XML a second time.
func (v *Proxy) Target(hostName, uuid string) (Target, error) {
	// The id is read before the XML: should the VM restart in between,
	// the id names an older run than the XML and the WebSocket reads the
	// live XML again, rather than the other way round.
	vm, err := v.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return Target{}, err
	}
	t, err := v.resolve(hostName, uuid)
	if err == nil && vm.ID > 0 {
		v.remember(hostName+"/"+uuid, vncKnownTarget{t: t, id: vm.ID, at: time.Now()})
	}
	return t, err
}

func (v *Proxy) readTarget(hostName, uuid string) (Target, error) {
	ld, err := v.live(hostName, uuid)
	if err != nil {
		return Target{}, err
	}
	return ld.vncTarget()
}

// remember keeps a target for the WebSocket that follows a ticket, and
// forgets those older than a ticket lives.
func (v *Proxy) remember(key string, kt vncKnownTarget) {
	v.tmu.Lock()
	defer v.tmu.Unlock()
	for k, old := range v.targets {
		if kt.at.Sub(old.at) > console.TicketTTL {
			delete(v.targets, k)
		}
	}
	v.targets[key] = kt
}

// known returns the target remembered for key if it is younger than a
// ticket and belongs to the domain run with libvirt id id.
func (v *Proxy) known(key string, id int32) (vncKnownTarget, bool) {
	v.tmu.Lock()
	defer v.tmu.Unlock()
	kt, ok := v.targets[key]
	if !ok || id <= 0 || kt.id != id || time.Since(kt.at) > console.TicketTTL {
		return vncKnownTarget{}, false
	}
	return kt, true
}

// domainID asks libvirt for the running domain's id: one small call, which
// tells whether the QEMU that a remembered target belongs to still runs.
func (v *Proxy) domainID(hostName, uuid string) (int32, error) {
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return 0, err
	}
	c, err := v.opts.Hosts.Client(hostName)
	if err != nil {
		return 0, err
	}
	d, err := c.LookupDomain(u)
	if err != nil {
		return 0, host.Problem(err, "look up the VM")
	}
	return d.ID, nil
}

// vncLiveDomain reads a domain's live XML, with secure information (the VNC
// password), over the host's main link: it is one quick call.
func (v *Proxy) live(hostName, uuid string) (vncLiveDomain, error) {
	return readVNCLiveDomain(v.opts.Hosts, v.opts.Inventory, hostName, uuid, virt.XMLSecure)
}

func readVNCLiveDomain(links Hosts, vms VMs, hostName, uuid string, flags virt.DomainXMLFlags) (vncLiveDomain, error) {
	vm, err := vms.Get(hostName, uuid)
	if err != nil {
		return vncLiveDomain{}, err
	}
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return vncLiveDomain{}, err
	}
	c, err := links.Client(hostName)
	if err != nil {
		return vncLiveDomain{}, err
	}
	// libvirtd finds the domain by its UUID; the name only has to be there.
	doc, err := c.XML(virt.Domain{Name: vm.Name, UUID: u}, flags)
	if err != nil {
		return vncLiveDomain{}, host.Problem(err, "read the VM's definition")
	}
	return parseVNCLiveDomain(doc)
}

// Sessions returns the number of consoles open now.
func (v *Proxy) Sessions() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.sessions)
}

// Serve runs one console of the VM hostName/uuid on a WebSocket that
// accept opens: the caller's upgrade of its HTTP request (see
// [wsframe.Accept], with a read buffer of [ReadBufferSize]). It checks the
// VM in the inventory first (kept current from libvirt's events): a VM
// that does not run, has no VNC graphics or only SPICE is refused before
// accept is called, with the problem returned for the caller to answer.
// Then, at the same time, it connects to the VM's VNC server and calls
// accept (on another goroutine, so that neither waits for the other); it
// runs the console until either side ends. Once accept was called (and
// answered the upgrade, or refused it as invalid with an HTTP error),
// Serve returns nil: later failures (also a live XML that disagrees with
// the inventory) are told to the browser in RFB or in the WebSocket close
// reason, and logged.
func (v *Proxy) Serve(ctx context.Context, hostName, uuid string, accept func() (*wsframe.Conn, error)) error {
	if v.isClosed() {
		return errVNCShuttingDown
	}
	vm, err := v.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return err
	}
	if err := precheckVNC(vm); err != nil {
		return err
	}
	dialCtx, cancelDial := context.WithTimeout(ctx, v.opts.DialTimeout+v.opts.HandshakeTimeout)
	defer cancelDial()
	// The browser's side (the upgrade and its RFB handshake) runs beside
	// the connection to the VNC server, which usually takes longer and so
	// is made on this goroutine, without waiting to be scheduled.
	bc := make(chan vncBrowserSide, 1)
	go func() {
		b := v.browserSide(ctx, accept, hostName, uuid, vm.Name)
		if b.err != nil {
			cancelDial() // nobody will use the VNC connection
		}
		bc <- b
	}()
	up, si, uerr := v.upstream(dialCtx, hostName, uuid, vm.ID)
	b := <-bc
	if b.s == nil {
		if up != nil {
			_ = up.Close()
		}
		v.log.Debug("console websocket not accepted", "host", hostName, "uuid", uuid, "err", b.err)
		return nil
	}
	s := b.s
	defer v.remove(s)
	defer b.stop()
	if b.err != nil {
		if up != nil {
			_ = up.Close()
		}
		s.close(wsframe.StatusProtocolError, "RFB handshake failed", b.err)
		s.drain()
		s.logEnd(b.err)
		return nil
	}
	if uerr == nil {
		s.serverInit = si
		s.recInit(si, viewerOf(ctx))
	}
	if err := s.start(up, si, uerr, b.minor); err != nil {
		s.drain()
		s.logEnd(err)
		return nil
	}
	s.recPolicy()
	s.relay(up)
	return nil
}

// vncBrowserSide is the browser's side of a console after its RFB handshake
// up to the security choice: the session (nil when the upgrade failed, err
// says why), the RFB minor version agreed, and stop, which ends watching
// the request's context.
type vncBrowserSide struct {
	s     *vncSession
	minor int
	stop  func() bool
	err   error
}

// browserSide answers the upgrade (accept), registers the console and runs
// the browser's side of the RFB handshake up to its security choice.
func (v *Proxy) browserSide(ctx context.Context, accept func() (*wsframe.Conn, error), hostName, uuid, vmName string) vncBrowserSide {
	ws, err := accept()
	if err != nil {
		return vncBrowserSide{err: err}
	}
	s := newVNCSession(v, ws, hostName, uuid, vmName)
	b := vncBrowserSide{s: s, stop: func() bool { return false }}
	if !v.add(s) {
		s.close(wsframe.StatusGoingAway, "KVM Manager is shutting down", errVNCShuttingDown)
		b.err = errVNCShuttingDown
		return b
	}
	// The request context ends when the login session ends, and at
	// server shutdown.
	b.stop = context.AfterFunc(ctx, func() {
		reason := "your login session ended; log in again to reopen the console"
		if v.isClosed() {
			reason = "KVM Manager is shutting down"
		}
		s.close(wsframe.StatusGoingAway, reason, context.Cause(ctx))
	})
	timer := time.AfterFunc(v.opts.HandshakeTimeout, func() {
		s.abort(errors.New("the browser did not complete the RFB handshake in time"))
	})
	defer timer.Stop()
	b.minor, b.err = rfb.ServerHandshake(ws, ws)
	return b
}

// errVNCTargetStale says that a remembered target belongs to an earlier run
// of the domain.
var errVNCTargetStale = errors.New("the VM was restarted since its console ticket was made")

// upstream connects to the VM's VNC server. The live XML, not the
// inventory, names the target: a cached port may already belong to another
// VM. When the ticket request has just read it (Target) for the domain run
// whose libvirt id the inventory shows now (runID), the remembered target
// is dialled at once, while libvirt confirms in parallel that that run
// still goes on; nothing reaches the browser before it has. Otherwise, or
// if the remembered target fails, the live XML is read first.
func (v *Proxy) upstream(ctx context.Context, hostName, uuid string, runID int32) (net.Conn, []byte, error) {
	key := hostName + "/" + uuid
	if kt, ok := v.known(key, runID); ok {
		c, si, err := v.connectKnown(ctx, key, hostName, uuid, kt)
		var re *rfb.Error
		if err == nil || !(errors.Is(err, errVNCTargetStale) || errors.As(err, &re)) {
			return c, si, err
		}
		// A new run, or a new VNC password: read the live XML.
		v.log.Debug("console target changed since the ticket; reading the live XML", "host", hostName, "uuid", uuid, "err", err)
	}
	t, err := v.resolve(hostName, uuid)
	if err != nil {
		return nil, nil, err
	}
	return v.connect(ctx, key, hostName, t, nil)
}

// connectKnown connects to a remembered target while libvirt confirms that
// it is still current.
func (v *Proxy) connectKnown(ctx context.Context, key, hostName, uuid string, kt vncKnownTarget) (net.Conn, []byte, error) {
	var check chan error
	// The check starts once the dial is done, while the VNC server takes
	// its time to greet: started before, it competed with the dial for
	// the CPU.
	c, si, err := v.connect(ctx, key, hostName, kt.t, func() {
		check = make(chan error, 1)
		go func() {
			id, err := v.liveID(hostName, uuid)
			if err == nil && id != kt.id {
				err = errVNCTargetStale
			}
			check <- err
		}()
	})
	if check == nil { // the dial failed
		return nil, nil, err
	}
	if cerr := <-check; cerr != nil {
		if c != nil {
			_ = c.Close()
		}
		return nil, nil, cerr
	}
	return c, si, err
}

// connect dials the VM's VNC server and completes the RFB handshake with it,
// asking for a shared session, up to its ServerInit, which it returns for
// the browser. dialed, if not nil, is called once the dial succeeded.
// Dials to one VM are serialised: QEMU's VNC listen backlog is 1, and a
// second connect in the same instant may be refused.
func (v *Proxy) connect(ctx context.Context, key, hostName string, t Target, dialed func()) (net.Conn, []byte, error) {
	// The VNC server listens on the computer of the VM's host: the
	// address is dialled there (this computer for a local host).
	m, err := v.opts.Hosts.Machine(hostName)
	if err != nil {
		return nil, nil, err
	}
	if err := v.dialLocks.lock(ctx, key); err != nil {
		return nil, nil, err
	}
	locked := true
	unlock := func() {
		if locked {
			v.dialLocks.unlock(key)
			locked = false
		}
	}
	defer unlock()
	// No context for the dial (see machine.Machine.Dial): for a context
	// that can be cancelled, a dial starts a goroutine to watch it and
	// waits for that goroutine to end, a handoff that cost tens of
	// microseconds on the setup path here. The dial is bounded by
	// DialTimeout; ctx is checked after it, and watched for the handshake
	// below.
	c, err := m.Dial(t.Network, t.Address, v.opts.DialTimeout)
	if err == nil && ctx.Err() != nil {
		_ = c.Close()
		err = ctx.Err()
	}
	if errors.Is(err, machine.ErrUnsupported) {
		return nil, nil, problem.Wrap(err, problem.Unsupported, "console_unsupported",
			fmt.Sprintf("graphical consoles of VMs on host %q are not possible: %v", problem.Clip(hostName), err),
			"use a viewer (virt-viewer, remote-viewer) that reaches the host itself")
	}
	if err != nil {
		return nil, nil, problem.Wrap(err, problem.Upstream, problem.CodeVNCUnreachable,
			fmt.Sprintf("cannot connect to the VNC server of VM %q", problem.Clip(t.VMName)),
			"the VM may be stopping; check its state and try again")
	}
	if dialed != nil {
		dialed()
	}
	_ = c.SetDeadline(time.Now().Add(v.opts.HandshakeTimeout))
	// Stop waiting when ctx ends (the browser gave up, or shutdown).
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var si []byte
	err = rfb.ClientHandshake(&vncUnlockOnRead{Conn: c, unlock: unlock}, t.password, true)
	if err == nil {
		si, err = rfb.ReadServerInit(c)
	}
	if err != nil {
		_ = c.Close()
		var re *rfb.Error
		if errors.As(err, &re) {
			return nil, nil, problem.Wrap(err, problem.Upstream, problem.CodeVNCHandshakeRefused, re.Msg, "")
		}
		return nil, nil, problem.Wrap(err, problem.Upstream, problem.CodeVNCHandshakeFailed,
			fmt.Sprintf("the VNC server of VM %q did not complete the connection", problem.Clip(t.VMName)),
			"try again; if it persists, restart the VM")
	}
	_ = c.SetDeadline(time.Time{})
	return c, si, nil
}

// vncUnlockOnRead releases the per-VM dial lock as soon as the VNC server has
// sent its first bytes, which shows that it accepted the connection.
type vncUnlockOnRead struct {
	net.Conn
	unlock func()
}

func (u *vncUnlockOnRead) Read(p []byte) (int, error) {
	n, err := u.Conn.Read(p)
	if n > 0 {
		u.unlock()
	}
	return n, err
}

func (v *Proxy) isClosed() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.closed
}

func (v *Proxy) add(s *vncSession) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return false
	}
	v.sessions[s] = struct{}{}
	return true
}

func (v *Proxy) remove(s *vncSession) {
	v.mu.Lock()
	delete(v.sessions, s)
	v.mu.Unlock()
}

// Close ends every open console (telling browsers that the server is going
// away, and waiting up to a second for those close frames to be sent) and
// refuses new ones. Call it on shutdown: the HTTP server does not track
// WebSockets.
func (v *Proxy) Close() {
	v.mu.Lock()
	v.closed = true
	all := make([]*vncSession, 0, len(v.sessions))
	for s := range v.sessions {
		all = append(all, s)
	}
	v.mu.Unlock()
	for _, s := range all {
		s.close(wsframe.StatusGoingAway, "KVM Manager is shutting down", errVNCShuttingDown)
	}
	// Let the close frames go out before the process goes on to exit.
	deadline := time.NewTimer(time.Second)
	defer deadline.Stop()
	for _, s := range all {
		select {
		case <-s.closeSent:
		case <-deadline.C:
			return
		}
	}
}

// vncKeyedMutex is a set of mutexes by key that holds only the keys in use.
type vncKeyedMutex struct {
	mu sync.Mutex
	m  map[string]*vncKeyedEntry
}

type vncKeyedEntry struct {
	ch    chan struct{}
	users int
}

func (k *vncKeyedMutex) lock(ctx context.Context, key string) error {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*vncKeyedEntry)
	}
	e := k.m[key]
	if e == nil {
		e = &vncKeyedEntry{ch: make(chan struct{}, 1)}
		k.m[key] = e
	}
	e.users++
	k.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		k.release(key, e)
		return ctx.Err()
	}
}

func (k *vncKeyedMutex) unlock(key string) {
	k.mu.Lock()
	e := k.m[key]
	k.mu.Unlock()
	<-e.ch
	k.release(key, e)
}

func (k *vncKeyedMutex) release(key string, e *vncKeyedEntry) {
	k.mu.Lock()
	e.users--
	if e.users == 0 {
		delete(k.m, key)
	}
	k.mu.Unlock()
}
