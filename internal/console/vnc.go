package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// GraphicsHosts gives the live libvirt link of a host.
type GraphicsHosts interface {
	Client(host string) (*libvirt.Libvirt, error)
}

// GraphicsVMs is the part of the inventory the console needs: a VM's name,
// which addresses it in libvirt calls together with its UUID, and a refresh
// after its definition changed.
type GraphicsVMs interface {
	Get(host, uuid string) (inventory.VM, error)
	Refresh(l *libvirt.Libvirt, host, uuid string) (inventory.VM, error)
}

// VNCOptions configures a VNC proxy.
type VNCOptions struct {
	Hosts     GraphicsHosts
	Inventory GraphicsVMs
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
}

// VNC is the graphical console proxy: it joins a browser's WebSocket to the
// VNC server of the VM the console ticket names, at the address the VM's
// live XML gives. It completes the RFB security handshake with the VNC
// server itself (with the VM's VNC password, which never leaves the server)
// and offers the browser security type None.
type VNC struct {
	opts VNCOptions
	log  *slog.Logger
	// resolve is Target; unit tests replace it to reach a fake VNC server.
	resolve func(host, uuid string) (VNCTarget, error)

	dialLocks vncKeyedMutex

	mu       sync.Mutex
	closed   bool
	sessions map[*vncSession]struct{}
}

// NewVNC returns a proxy with no consoles open.
func NewVNC(opts VNCOptions) *VNC {
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
	v := &VNC{opts: opts, log: opts.Logger, sessions: make(map[*vncSession]struct{})}
	v.resolve = v.Target
	return v
}

// errVNCShuttingDown refuses new consoles once Close was called.
var errVNCShuttingDown = problem.New(problem.Unavailable, "shutting_down",
	"KVM Manager is shutting down", "open the console again once it is back")

// Target reads the VM's graphics from its live XML and returns where its
// VNC server listens. It fails with a problem that says what to do when the
// VM is not running, has no VNC graphics, or has only SPICE.
func (v *VNC) Target(hostName, uuid string) (VNCTarget, error) {
	ld, err := v.live(hostName, uuid)
	if err != nil {
		return VNCTarget{}, err
	}
	return ld.vncTarget()
}

// vncLiveDomain reads a domain's live XML, with secure information (the VNC
// password), over the host's main link: it is one quick call.
func (v *VNC) live(hostName, uuid string) (vncLiveDomain, error) {
	return readVNCLiveDomain(v.opts.Hosts, v.opts.Inventory, hostName, uuid, libvirt.DomainXMLSecure)
}

func readVNCLiveDomain(links GraphicsHosts, vms GraphicsVMs, hostName, uuid string, flags libvirt.DomainXMLFlags) (vncLiveDomain, error) {
	vm, err := vms.Get(hostName, uuid)
	if err != nil {
		return vncLiveDomain{}, err
	}
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return vncLiveDomain{}, err
	}
	l, err := links.Client(hostName)
	if err != nil {
		return vncLiveDomain{}, err
	}
	// libvirtd finds the domain by its UUID; the name only has to be there.
	doc, err := l.DomainGetXMLDesc(libvirt.Domain{Name: vm.Name, UUID: u}, flags)
	if err != nil {
		return vncLiveDomain{}, host.Problem(err, "read the VM's definition")
	}
	return parseVNCLiveDomain(doc)
}

// Sessions returns the number of consoles open now.
func (v *VNC) Sessions() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.sessions)
}

// Serve runs one console of the VM hostName/uuid. It checks the VM in the
// inventory first (kept current from libvirt's events): a VM that does not
// run, has no VNC graphics or only SPICE is refused before accept is called,
// so the caller can answer with a clear error. Then, at the same time, it
// reads the VM's graphics from its live XML and connects to the VNC server
// named there, and calls accept to upgrade the request to a WebSocket; it
// runs the console until either side ends. Once accept was called, Serve
// returns nil: later failures (also a live XML that disagrees with the
// inventory) are told to the browser in RFB or in the WebSocket close
// reason, and logged.
func (v *VNC) Serve(ctx context.Context, hostName, uuid string, accept func() (*websocket.Conn, error)) error {
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
	upc := make(chan vncUpstream, 1)
	dialCtx, cancelDial := context.WithTimeout(ctx, v.opts.DialTimeout+v.opts.HandshakeTimeout)
	defer cancelDial()
	go func() {
		// The live XML, not the inventory, names the target: a cached
		// port may already belong to another VM.
		t, err := v.resolve(hostName, uuid)
		var c net.Conn
		if err == nil {
			c, err = v.connect(dialCtx, hostName+"/"+uuid, t)
		}
		upc <- vncUpstream{c, err}
	}()
	abandon := func() {
		cancelDial()
		if r := <-upc; r.conn != nil {
			_ = r.conn.Close()
		}
	}
	ws, err := accept()
	if err != nil {
		abandon()
		v.log.Debug("console websocket not accepted", "host", hostName, "uuid", uuid, "err", err)
		return nil
	}
	s := newVNCSession(v, ws, hostName, uuid, vm.Name)
	if !v.add(s) {
		abandon()
		_ = ws.Close(websocket.StatusGoingAway, "KVM Manager is shutting down")
		return nil
	}
	defer v.remove(s)
	// The request context ends at server shutdown.
	stop := context.AfterFunc(ctx, func() { s.close(websocket.StatusGoingAway, "KVM Manager is shutting down") })
	defer stop()
	up, err := s.handshake(upc, abandon)
	if err != nil {
		s.logEnd(err)
		return nil
	}
	s.relay(up)
	return nil
}

type vncUpstream struct {
	conn net.Conn
	err  error
}

// connect dials the VM's VNC server and completes the RFB handshake with it
// up to ClientInit, which it sends at once (shared), so that the server's
// ServerInit is on its way while the browser finishes its own handshake.
// Dials to one VM are serialised: QEMU's VNC listen backlog is 1, and a
// second connect in the same instant may be refused.
func (v *VNC) connect(ctx context.Context, key string, t VNCTarget) (net.Conn, error) {
	if err := v.dialLocks.lock(ctx, key); err != nil {
		return nil, err
	}
	locked := true
	unlock := func() {
		if locked {
			v.dialLocks.unlock(key)
			locked = false
		}
	}
	defer unlock()
	d := net.Dialer{Timeout: v.opts.DialTimeout}
	c, err := d.DialContext(ctx, t.Network, t.Address)
	if err != nil {
		return nil, problem.Wrap(err, problem.Upstream, "vnc_unreachable",
			fmt.Sprintf("cannot connect to the VNC server of VM %q", problem.Clip(t.VMName)),
			"the VM may be stopping; check its state and try again")
	}
	_ = c.SetDeadline(time.Now().Add(v.opts.HandshakeTimeout))
	// Stop waiting when ctx ends (the browser gave up, or shutdown).
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	err = rfbClientHandshake(&vncUnlockOnRead{Conn: c, unlock: unlock}, t.password)
	if err == nil {
		_, err = c.Write([]byte{1}) // ClientInit: shared
	}
	if err != nil {
		_ = c.Close()
		var re *RFBError
		if errors.As(err, &re) {
			return nil, problem.Wrap(err, problem.Upstream, "vnc_handshake_refused", re.Msg, "")
		}
		return nil, problem.Wrap(err, problem.Upstream, "vnc_handshake_failed",
			fmt.Sprintf("the VNC server of VM %q did not complete the connection", problem.Clip(t.VMName)),
			"try again; if it persists, restart the VM")
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
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

func (v *VNC) isClosed() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.closed
}

func (v *VNC) add(s *vncSession) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return false
	}
	v.sessions[s] = struct{}{}
	return true
}

func (v *VNC) remove(s *vncSession) {
	v.mu.Lock()
	delete(v.sessions, s)
	v.mu.Unlock()
}

// Close ends every open console (telling browsers that the server is going
// away) and refuses new ones. Call it on shutdown: the HTTP server does not
// track WebSockets.
func (v *VNC) Close() {
	v.mu.Lock()
	v.closed = true
	all := make([]*vncSession, 0, len(v.sessions))
	for s := range v.sessions {
		all = append(all, s)
	}
	v.mu.Unlock()
	for _, s := range all {
		s.close(websocket.StatusGoingAway, "KVM Manager is shutting down")
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
