// Package host keeps one live link to one libvirt daemon: it dials, watches
// the link with its own heartbeat (go-libvirt does not answer libvirt's
// keepalives), force-closes and redials a link that stops answering,
// subscribes to domain lifecycle events once per link and fans them out to
// observers, and reports its connection state.
//
// It is the only package that knows go-libvirt's socket details.
package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/host/sshconn"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// State is the connection state of a host.
type State string

// Connection states.
const (
	Connecting   State = "connecting"   // first attempt, never connected yet
	Connected    State = "connected"    // link up and answering
	Reconnecting State = "reconnecting" // link lost or a dial failed; retrying
	Failed       State = "failed"       // several attempts in a row failed; still retrying, slower
)

// Status is a host's state as shown to users.
type Status struct {
	Name      string     `json:"name"`
	URI       string     `json:"uri"`
	State     State      `json:"state"`
	Error     string     `json:"error,omitempty"`
	Since     time.Time  `json:"since"`
	NextRetry *time.Time `json:"nextRetry,omitempty"`
	Hostname  string     `json:"hostname,omitempty"`
	// HostKey is the SSH host key of an untrusted host or one whose key
	// changed (states Untrusted and HostKeyChanged).
	HostKey *HostKey `json:"hostKey,omitempty"`
	// SSHKey is the approved key of the live SSH connection (qemu+ssh
	// hosts while connected), so that users can check it.
	SSHKey         *HostKey `json:"sshKey,omitempty"`
	LibvirtVersion string   `json:"libvirtVersion,omitempty"`
	// Node describes the computer the host runs on (QEMU version, CPU,
	// memory), as last read; absent before the first connection.
	Node  *Node `json:"node,omitempty"`
	Local bool  `json:"local"`
	// Source says where the host was configured: "config" (flags or the
	// config file: not changeable through the API) or "api" (added
	// through the API or the Hosts page, kept in the data dir).
	Source Source `json:"source,omitempty"`
}

// Source says where a host was configured.
type Source string

// Where a host comes from.
const (
	SourceConfig Source = "config" // --host, --connect or the config file
	SourceAPI    Source = "api"    // added through the API, kept in the data dir
)

// LifecycleEvent is a libvirt domain lifecycle event of one host.
type LifecycleEvent struct {
	Host   string
	UUID   string
	Name   string
	Event  int32 // libvirt.DomainEventType
	Detail int32
}

// Observer is told about a host's links and events. Methods are called from
// the host's own goroutines and must not block for long.
type Observer interface {
	// Connected is called once per new link, in its own goroutine; ctx ends
	// when the link goes away.
	Connected(ctx context.Context, h *Host, c virt.Conn)
	// Lifecycle is called for every domain lifecycle event, in order.
	Lifecycle(h *Host, ev LifecycleEvent)
	// StateChanged is called whenever Status changes.
	StateChanged(h *Host, s Status)
}

// Options configures a Host.
type Options struct {
	Name string
	URI  string
	// Heartbeat is the interval between liveness checks (default 5 s).
	Heartbeat time.Duration
	// CallTimeout bounds a heartbeat call and a dial (default 5 s).
	CallTimeout time.Duration
	// MinBackoff and MaxBackoff bound redial delays (defaults 250 ms, 10 s).
	MinBackoff, MaxBackoff time.Duration
	// FailAfter is how many failed dials in a row turn "reconnecting" into
	// "failed" (default 5).
	FailAfter int
	Observers []Observer
	Logger    *slog.Logger
	// Machine is the computer the host runs on, for the work beyond
	// libvirt (see package machine). Nil chooses it from the URI: this
	// computer for a local socket, none (machine.Unsupported) otherwise.
	Machine machine.Machine
	// DataDir is KVM Manager's data dir, whose known_hosts file holds the
	// approved SSH host keys (a URI's known_hosts parameter names another).
	DataDir string
	// Source is where the host was configured (default SourceConfig).
	Source Source
}

// Host is one libvirt daemon and the link to it.
type Host struct {
	opts Options
	uri  URI
	log  *slog.Logger

	mu     sync.Mutex
	status Status
	client virt.Conn // the live link as the services use it: one per link
	conn   net.Conn  // the raw socket under client, closed to force a disconnect
	ssh    *sshLink  // the one SSH connection of a qemu+ssh host, else nil
	// pending is the SSH host key awaiting approval (nil: none); wake
	// cuts Run's wait short once it is approved; trustMu serializes
	// approvals, which write the known_hosts file.
	pending *pendingKey
	wake    chan struct{}
	trustMu sync.Mutex
}

// New validates the options and returns a Host that is not yet connected;
// call Run to connect.
func New(opts Options) (*Host, error) {
	if !validHostName(opts.Name) {
		return nil, problem.New(problem.Invalid, problem.CodeInvalidHostName,
			fmt.Sprintf("host name %q is not valid", problem.Clip(opts.Name)),
			"use 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit")
	}
	u, err := ParseURI(opts.URI)
	if err != nil {
		return nil, err
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = 5 * time.Second
	}
	if opts.CallTimeout == 0 {
		opts.CallTimeout = 5 * time.Second
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff = 250 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 10 * time.Second
	}
	if opts.FailAfter == 0 {
		opts.FailAfter = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Source == "" {
		opts.Source = SourceConfig
	}
	h := &Host{opts: opts, uri: u, log: opts.Logger.With("host", opts.Name), wake: make(chan struct{}, 1)}
	if u.Transport != TransportUnix {
		if err := checkRemoteParams(u); err != nil {
			return nil, err
		}
	}
	if u.Transport == TransportSSH {
		so, err := sshOptions(u, opts.DataDir)
		if err != nil {
			return nil, err
		}
		h.ssh = &sshLink{opts: so, timeout: opts.CallTimeout}
	}
	if opts.Machine == nil {
		opts.Machine = machineFor(opts.Name, u, h.ssh)
		h.opts.Machine = opts.Machine
	}
	h.status = Status{Name: opts.Name, URI: opts.URI, State: Connecting, Since: time.Now(), Local: u.Local(), Source: opts.Source}
	return h, nil
}

// ValidName reports whether s may name a host: 1 to 63 letters, digits,
// '-', '_' or '.', starting with a letter or digit (it appears in URL
// paths and file names).
func ValidName(s string) bool { return validHostName(s) }

func validHostName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && (r == '-' || r == '_' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// Name returns the host's configured name.
func (h *Host) Name() string { return h.opts.Name }

// URI returns the parsed connection URI.
func (h *Host) URI() URI { return h.uri }

// Machine returns the computer the host runs on, for the work that
// libvirt's API does not do (remove a disk image, run qemu-img, reach a
// VM's VNC server, take a screenshot). It is the same for the host's whole
// life and does not depend on the libvirt link being up.
func (h *Host) Machine() machine.Machine { return h.opts.Machine }

// machineFor chooses a host's machine from its URI.
func machineFor(name string, u URI, link *sshLink) machine.Machine {
	switch u.Transport {
	case TransportUnix:
		return machine.NewLocal(machine.LocalOptions{URI: u.Raw})
	case TransportSSH:
		return sshconn.NewMachine(link.get, u.Remote())
	case TransportTLS:
		return machine.Unsupported{Why: fmt.Sprintf("KVM Manager reaches host %q over TLS (qemu+tls), which gives it no shell on that computer", name)}
	default:
		return machine.Unsupported{Why: fmt.Sprintf("KVM Manager does not yet reach the computer of host %q over %s", name, u.Transport)}
	}
}

// Status returns the current connection state.
func (h *Host) Status() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.status
}

// Client returns the live link as the services use it (virt.Conn), or an
// Unavailable problem when there is none. Callers must not keep it beyond
// one piece of work: it is replaced on reconnect. The same link is always
// the same Conn, so a caller can tell a new link from the one it had.
func (h *Host) Client() (virt.Conn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client == nil {
		return nil, problem.New(problem.Unavailable, problem.CodeHostUnavailable,
			fmt.Sprintf("host %q is not connected (%s)", h.opts.Name, h.status.State),
			"KVM Manager reconnects by itself; check that libvirtd is running on the host")
	}
	return h.client, nil
}

// Dial opens an extra, independent link to the same daemon, for work that
// must not share the main link (streams: a slow stream reader stalls every
// call on its link). The caller must Close it.
func (h *Host) Dial() (virt.Link, error) {
	l, conn, err := h.dial()
	if err != nil {
		return nil, err
	}
	return virt.NewLink(l, conn), nil
}

// Run keeps the host connected until ctx ends.
func (h *Host) Run(ctx context.Context) {
	backoff := h.opts.MinBackoff
	failures := 0
	everConnected := false
	for ctx.Err() == nil {
		l, conn, err := h.dial()
		if err != nil && h.hostKeyProblem(err, backoff) {
			// Nothing was sent beyond the key exchange; look again later
			// (at once when an admin approves the key meanwhile).
			if !h.sleepOrWake(ctx, backoff) {
				break
			}
			backoff = min(backoff*2, h.opts.MaxBackoff)
			continue
		}
		if err != nil && problem.KindOf(err) == problem.Unsupported {
			// Retrying cannot help; say so and wait for a restart.
			h.setStatus(func(s *Status) { s.State, s.Error, s.NextRetry = Failed, describeDialError(h.uri, err), nil })
			h.log.Error("cannot connect to libvirt", "err", err)
			<-ctx.Done()
			break
		}
		if err != nil {
			failures++
			state := Reconnecting
			if !everConnected && failures == 1 {
				state = Connecting
			}
			if failures >= h.opts.FailAfter {
				state = Failed
			}
			next := time.Now().Add(backoff)
			h.setStatus(func(s *Status) {
				s.State = state
				s.Error = describeDialError(h.uri, err)
				s.NextRetry = &next
			})
			h.log.Warn("cannot connect to libvirt", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				break
			}
			backoff = min(backoff*2, h.opts.MaxBackoff)
			continue
		}
		failures, backoff, everConnected = 0, h.opts.MinBackoff, true
		why := h.serve(ctx, l, conn)
		if ctx.Err() != nil {
			break
		}
		h.log.Warn("libvirt link lost", "reason", why)
		h.setStatus(func(s *Status) {
			s.State = Reconnecting
			s.Error = "connection to libvirtd lost: " + why
			s.NextRetry = nil
		})
		// A short pause so that a daemon that is restarting is not hammered.
		if !sleep(ctx, h.opts.MinBackoff) {
			break
		}
	}
	h.mu.Lock()
	h.client, h.conn = nil, nil
	h.mu.Unlock()
	if h.ssh != nil {
		h.ssh.close()
	}
}

// hostKeyProblem reports whether err is an untrusted or changed SSH host
// key, and if so puts the host in that state.
func (h *Host) hostKeyProblem(err error, retry time.Duration) bool {
	var ue *sshconn.UntrustedError
	var ke *sshconn.KeyChangedError
	next := time.Now().Add(retry)
	switch {
	case errors.As(err, &ue):
		h.mu.Lock()
		h.pending = &pendingKey{key: ue.Key}
		h.mu.Unlock()
		h.setStatus(func(s *Status) {
			s.State, s.Error, s.NextRetry = Untrusted, ue.Error()+"; an admin must approve this fingerprint", &next
			s.HostKey = &HostKey{Type: ue.KeyType, Fingerprint: ue.Fingerprint}
		})
		h.log.Warn("ssh host key not trusted", "key_type", ue.KeyType, "fingerprint", ue.Fingerprint)
		return true
	case errors.As(err, &ke):
		h.mu.Lock()
		h.pending = &pendingKey{key: ke.Key, changed: true}
		h.mu.Unlock()
		h.setStatus(func(s *Status) {
			s.State, s.Error, s.NextRetry = HostKeyChanged, ke.Error()+"; the host is blocked until an admin approves the new key", &next
			s.HostKey = &HostKey{Type: ke.KeyType, Fingerprint: ke.Fingerprint, Known: ke.Known}
		})
		h.log.Error("ssh host key changed", "key_type", ke.KeyType, "fingerprint", ke.Fingerprint, "known", ke.Known)
		return true
	}
	return false
}

// serve runs one link until it fails or ctx ends, and returns why it ended.
func (h *Host) serve(ctx context.Context, l *libvirt.Libvirt, conn net.Conn) string {
	linkCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		_ = conn.Close() // force: Disconnect would send a request that may hang
		wg.Wait()
	}()

	hostname, _ := l.ConnectGetHostname()
	version := ""
	if v, err := l.ConnectGetLibVersion(); err == nil {
		version = formatVersion(v)
	}
	// Read before the host says "connected", so that the status a client
	// fetches on that event has them; bounded, since nothing watches the
	// link yet.
	node, err := readNode(linkCtx, l, h.opts.CallTimeout)
	if err != nil {
		h.log.Warn("host details not read", "err", err)
	}

	events, err := l.LifecycleEvents(linkCtx)
	if err != nil {
		return "subscribing to lifecycle events failed: " + err.Error()
	}

	client := virt.New(l)
	sshKey := h.sshKey()
	h.mu.Lock()
	h.client, h.conn = client, conn
	h.mu.Unlock()
	h.setStatus(func(s *Status) {
		s.State = Connected
		s.Error = ""
		s.NextRetry = nil
		s.Hostname = hostname
		s.LibvirtVersion = version
		if node != nil {
			s.Node = node
		}
		s.HostKey = nil
		s.SSHKey = sshKey
	})
	h.log.Info("connected to libvirt", "uri", h.opts.URI, "libvirt", version)
	defer func() {
		h.mu.Lock()
		h.client, h.conn = nil, nil
		h.mu.Unlock()
	}()

	for _, o := range h.opts.Observers {
		wg.Add(1)
		go func() { defer wg.Done(); o.Connected(linkCtx, h, client) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); h.watchNode(linkCtx, l) }()

	beat := time.NewTicker(h.opts.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return "shutting down"
		case <-l.Disconnected():
			return "the daemon closed the connection"
		case ev, ok := <-events:
			if !ok {
				return "the event stream ended"
			}
			le := LifecycleEvent{Host: h.opts.Name, UUID: FormatUUID(ev.Dom.UUID), Name: ev.Dom.Name, Event: ev.Event, Detail: ev.Detail}
			for _, o := range h.opts.Observers {
				o.Lifecycle(h, le)
			}
		case <-beat.C:
			if err := h.heartbeat(l); err != nil {
				return err.Error()
			}
		}
	}
}

// heartbeat makes one cheap call and fails if it does not answer in time.
func (h *Host) heartbeat(l *libvirt.Libvirt) error {
	done := make(chan error, 1)
	go func() { _, err := l.ConnectGetLibVersion(); done <- err }()
	t := time.NewTimer(h.opts.CallTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("heartbeat failed: %w", err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("heartbeat got no answer within %s", h.opts.CallTimeout)
	}
}

// dial opens a new link and returns it with its raw socket.
func (h *Host) dial() (*libvirt.Libvirt, net.Conn, error) {
	d := &trackingDialer{}
	switch h.uri.Transport {
	case TransportUnix:
		d.dial = dialers.NewLocal(dialers.WithSocket(h.uri.Socket), dialers.WithLocalTimeout(h.opts.CallTimeout)).Dial
	case TransportSSH:
		// The SSH connection is dialled here, before go-libvirt starts,
		// so that a host key problem comes back as itself and within
		// CallTimeout.
		ctx, cancel := context.WithTimeout(context.Background(), h.opts.CallTimeout)
		_, err := h.ssh.get(ctx)
		cancel()
		if err != nil {
			return nil, nil, err
		}
		d.dial = (&sshDialer{link: h.ssh, uri: h.uri}).Dial
	case TransportTLS:
		cfg, err := tlsConfig(h.uri)
		if err != nil {
			return nil, nil, err
		}
		d.dial = (&tlsDialer{uri: h.uri, cfg: cfg, timeout: h.opts.CallTimeout}).Dial
	default:
		return nil, nil, problem.New(problem.Unsupported, problem.CodeTransportUnsupported,
			fmt.Sprintf("connecting over %s is not supported", h.uri.Transport),
			"use qemu:///system, qemu+ssh://user@host/system or qemu+tls://host/system")
	}
	l := libvirt.NewWithDialer(d)
	done := make(chan error, 1)
	go func() { done <- l.ConnectToURI(libvirt.ConnectURI(h.uri.Remote())) }()
	t := time.NewTimer(h.opts.CallTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			// What virt-ssh-helper said on the remote side says more than
			// the EOF that go-libvirt saw.
			if e, ok := d.get().(*sshconn.ExecConn); ok && e.Stderr() != "" {
				err = fmt.Errorf("%w (on the host: %s)", err, machine.Clip(e.Stderr(), 300))
			}
			d.close()
			return nil, nil, err
		}
		return l, d.get(), nil
	case <-t.C:
		d.close()
		return nil, nil, errors.New("the daemon accepted the connection but did not answer")
	}
}

func (h *Host) setStatus(change func(*Status)) {
	h.mu.Lock()
	old := h.status
	change(&h.status)
	if h.status.State != old.State {
		h.status.Since = time.Now()
	}
	s := h.status
	h.mu.Unlock()
	if s.State == old.State && s.Error == old.Error {
		return
	}
	for _, o := range h.opts.Observers {
		o.StateChanged(h, s)
	}
}

func describeDialError(u URI, err error) string {
	if p, ok := problem.As(err); ok {
		return p.Message
	}
	if u.Transport != TransportUnix {
		return fmt.Sprintf("cannot reach libvirtd at %s: %v", u.Host, err)
	}
	return fmt.Sprintf("cannot reach libvirtd at %s: %v", u.Socket, err)
}

// trackingDialer is go-libvirt's dialer for every transport: it
// remembers the connection dial made so that it can be closed from outside
// go-libvirt, which is the only way to abandon a hung link.
type trackingDialer struct {
	dial func() (net.Conn, error)
	mu   sync.Mutex
	conn net.Conn
}

func (d *trackingDialer) Dial() (net.Conn, error) {
	c, err := d.dial()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.conn = c
	d.mu.Unlock()
	return c, nil
}

func (d *trackingDialer) get() net.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn
}

func (d *trackingDialer) close() {
	if c := d.get(); c != nil {
		_ = c.Close()
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// FormatUUID renders a libvirt UUID in its canonical text form.
func FormatUUID(u libvirt.UUID) string {
	const hexdig = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexdig[c>>4], hexdig[c&15])
	}
	return string(b)
}

// ParseUUID parses a UUID in canonical form (8-4-4-4-12 hex digits) or as 32
// bare hex digits.
func ParseUUID(s string) (libvirt.UUID, error) {
	var u libvirt.UUID
	bad := problem.New(problem.Invalid, problem.CodeInvalidUUID,
		fmt.Sprintf("%q is not a VM UUID", problem.Clip(s)),
		"VMs are addressed by their UUID, e.g. 4b1e2c3d-0000-4000-8000-1234567890ab")
	switch len(s) {
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return u, bad
		}
		s = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	case 32:
	default:
		return u, bad
	}
	for i := 0; i < 32; i++ {
		v, ok := unhex(s[i])
		if !ok {
			return u, bad
		}
		if i%2 == 0 {
			u[i/2] = v << 4
		} else {
			u[i/2] |= v
		}
	}
	return u, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
