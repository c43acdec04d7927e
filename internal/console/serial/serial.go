// Package serial is the serial console service.
//
// One [Service] serves every VM's serial console. The console of a VM is a
// session, opened when its first viewer arrives and shared by all viewers
// (browser tabs) after that: they all see the guest's output and may all
// type. The session keeps the last Scrollback bytes of output, which a new
// viewer receives first, so a reload or a late viewer sees recent output.
//
// Lifetime policy. Each open console costs a libvirt connection of its own,
// so consoles are not opened for every running VM, only for VMs someone has
// watched: a session stays after its last viewer leaves, for Linger (1 h by
// default), and while it stays, it follows its VM: when the VM stops, the
// session waits; when the VM starts again, the session reopens the console at
// once, so the boot output lands in the scrollback even if nobody is
// watching. The VM's start and stop are learnt from the inventory's events
// on the event bus, not by polling. A deleted VM ends its session.
//
// libvirt lets one client at a time hold a VM's console. If another client
// (virsh console, say) holds it, the session says so and waits for a viewer
// to ask to take it over (libvirt's force flag); if another client takes it
// over from us, the session does not fight back.
package serial

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/domainedit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Defaults of Options.
const (
	DefaultScrollback = 256 << 10
	DefaultLinger     = time.Hour
	// DefaultEchoWait: a terminal echoes typed characters at once; three
	// seconds of silence after input is a console worth checking (a
	// password prompt costs one quiet reopen, its input kept).
	DefaultEchoWait = 3 * time.Second
	// DefaultCheckGap: a guest that really is silent (hung, or a password
	// prompt) is not reopened at every keystroke. Input within the gap is
	// still checked, later: a console taken over just after a check must
	// not pass for connected.
	DefaultCheckGap = 30 * time.Second
)

// Options configures a Service.
type Options struct {
	// Hosts gives the libvirt links: an extra link per open console (a slow
	// stream reader stalls every call on its link), and the main link for
	// reading a VM's definition.
	Hosts Hosts
	// Inventory says whether a VM runs and has a serial console.
	Inventory VMs
	// Bus carries the inventory's "vm", "vm-removed" and "host" events,
	// which tell sessions when to reopen.
	Bus Events
	// Scrollback is how many bytes of output each console keeps (default
	// DefaultScrollback).
	Scrollback int
	// Linger is how long a console stays open without viewers (default
	// DefaultLinger).
	Linger time.Duration
	// EchoWait is how long typed input may go without any output before
	// the console is checked by reopening it (default DefaultEchoWait).
	// libvirt 9.0 sometimes drops a console that another client takes over
	// with the force flag without telling its holder (see checkConsole).
	EchoWait time.Duration
	// CheckGap is the least time between two checks of one console
	// (default DefaultCheckGap); input within it is checked when it ends.
	CheckGap time.Duration
	Logger   *slog.Logger
}

// Hosts is what the serial console needs of the configured hosts.
type Hosts interface {
	Get(name string) (*host.Host, error)
}

// VMs is what the serial console needs of the inventory.
type VMs interface {
	Get(hostName, uuid string) (inventory.VM, error)
}

// Events is the event bus, seen from a consumer.
type Events interface {
	Subscribe(buf int, types ...event.Type) *event.Subscription
}

// Service is the serial console service: one per server.
type Service struct {
	opts   Options
	log    *slog.Logger
	opener serialOpener
	now    func() time.Time

	ctx    context.Context // ends at Close
	cancel context.CancelFunc

	mu       sync.Mutex
	sessions map[serialKey]*serialSession
	closed   bool
	wg       sync.WaitGroup // session goroutines and viewers
}

type serialKey struct{ host, uuid string }

// New returns the service and starts following VM events. Call Close
// to end every console.
func New(opts Options) *Service {
	return newService(opts, serialLibvirtOpener{dial: hostDialer(opts.Hosts), log: opts.Logger}).start()
}

// start follows the bus, if there is one.
func (s *Service) start() *Service {
	if s.opts.Bus != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.follow() }()
	}
	return s
}

func newService(opts Options, o serialOpener) *Service {
	if opts.Scrollback <= 0 {
		opts.Scrollback = DefaultScrollback
	}
	if opts.Linger <= 0 {
		opts.Linger = DefaultLinger
	}
	if opts.EchoWait <= 0 {
		opts.EchoWait = DefaultEchoWait
	}
	if opts.CheckGap <= 0 {
		opts.CheckGap = DefaultCheckGap
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		opts: opts, log: opts.Logger.With("component", "serial"), opener: o, now: time.Now,
		ctx: ctx, cancel: cancel, sessions: make(map[serialKey]*serialSession),
	}
}

// ErrNotRunning is the answer to a console request for a VM that is not
// running.
var ErrNotRunning = problem.New(problem.Conflict, problem.CodeVMNotRunning,
	"the VM is not running, so its serial console is not available",
	"start the VM; its serial console connects as soon as it runs")

// Check says whether the VM's serial console can be opened now, with a
// problem that says what to do if not: the VM must run and have a serial
// console.
func (s *Service) Check(hostName, uuid string) error {
	vm, err := s.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return err
	}
	if !inventory.Active(vm.State) {
		return ErrNotRunning
	}
	if !vm.SerialConsole {
		return s.noConsole(hostName, uuid)
	}
	return nil
}

// Close ends every console: viewers get a WebSocket close frame saying that
// the server is going away, and every libvirt stream is closed. It returns
// when all is done, or after a few seconds.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	all := make([]*serialSession, 0, len(s.sessions))
	for _, ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	for _, ss := range all {
		ss.end(serialEndShutdown)
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(serialCloseTimeout):
		s.log.Warn("serial consoles did not close in time")
	}
}

// serialCloseTimeout bounds Close.
const serialCloseTimeout = 4 * time.Second

// attach adds a viewer to the VM's session, creating the session if there is
// none. force asks to take the console over from another client.
func (s *Service) attach(g console.Grant) (*serialSession, *serialViewer, error) {
	key := serialKey{g.Host, g.UUID}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, nil, errSerialShuttingDown
	}
	v := newSerialViewer(g.User)
	ss, ok := s.sessions[key]
	if ok && !ss.attach(v, g.Force) {
		ok = false // it ended just now; start afresh
	}
	if !ok {
		ss = newSerialSession(s, key)
		s.sessions[key] = ss
		ss.attach(v, g.Force)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); ss.run(g.Force) }()
	}
	s.wg.Add(1) // the viewer, until Serve returns
	s.mu.Unlock()
	s.log.Info("serial console viewer joined", "host", g.Host, "uuid", g.UUID, "user", g.User, "new_session", !ok)
	return ss, v, nil
}

var errSerialShuttingDown = errors.New("the server is shutting down")

// forget removes an ended session from the table.
func (s *Service) forget(ss *serialSession) {
	s.mu.Lock()
	if s.sessions[ss.key] == ss {
		delete(s.sessions, ss.key)
	}
	s.mu.Unlock()
}

// lookup returns the session of a VM, if there is one.
func (s *Service) lookup(hostName, uuid string) *serialSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[serialKey{hostName, uuid}]
}

// each calls f for every session.
func (s *Service) each(f func(*serialSession)) {
	s.mu.Lock()
	all := make([]*serialSession, 0, len(s.sessions))
	for _, ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	for _, ss := range all {
		f(ss)
	}
}

// follow turns the inventory's events into wake-ups of the sessions: a VM
// that starts reopens its console, a deleted VM ends it, a host that
// reconnects retries the consoles that failed.
func (s *Service) follow() {
	for s.ctx.Err() == nil {
		sub := s.opts.Bus.Subscribe(256, event.TypeVM, event.TypeVMRemoved, event.TypeHost)
		s.consume(sub)
		sub.Close()
		if s.ctx.Err() != nil {
			return
		}
		// The bus dropped us (we fell behind), so events were lost: let
		// every waiting session check for itself.
		s.log.Warn("serial console fell behind the event bus; resynchronising")
		s.each(func(ss *serialSession) { ss.wake(wakeVMActive | wakeHostUp) })
	}
}

func (s *Service) consume(sub *event.Subscription) {
	for {
		select {
		case <-s.ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			s.apply(ev)
		}
	}
}

// apply handles one bus event.
func (s *Service) apply(ev *event.Event) {
	switch v := ev.Data.(type) {
	case inventory.VM:
		if ss := s.lookup(v.Host, v.UUID); ss != nil {
			if inventory.Active(v.State) {
				ss.wake(wakeVMActive)
			} else {
				ss.wake(wakeVMInactive)
			}
		}
	case inventory.Removed:
		if ss := s.lookup(v.Host, v.UUID); ss != nil {
			ss.end(serialEndVMRemoved)
		}
	case host.Status:
		if v.State != host.Connected {
			return
		}
		s.each(func(ss *serialSession) {
			if ss.key.host == v.Name {
				ss.wake(wakeHostUp)
			}
		})
	}
}

// SessionInfo describes one open serial console, for diagnostics.
type SessionInfo struct {
	Host            string `json:"host"`
	UUID            string `json:"uuid"`
	State           string `json:"state"`
	Viewers         int    `json:"viewers"`
	ScrollbackBytes int    `json:"scrollbackBytes"`
}

// Sessions lists the consoles the service holds.
func (s *Service) Sessions() []SessionInfo {
	var out []SessionInfo
	s.each(func(ss *serialSession) { out = append(out, ss.info()) })
	return out
}

// noConsole is the problem for a running VM without a serial console. Its
// hint depends on whether one was added to the configuration meanwhile.
func (s *Service) noConsole(hostName, uuid string) error {
	p := problem.New(problem.Unsupported, problem.CodeNoSerialConsole,
		"this VM has no serial console",
		"add one (POST .../serial/device); it takes effect when the VM next starts, and the guest must use it (e.g. console=ttyS0 on a Linux kernel command line)")
	if s.consolePending(hostName, uuid) {
		p.Hint = "a serial console was added to the VM's configuration and takes effect when the VM next starts: shut it down and start it again"
	}
	return p
}

// consolePending reports whether the VM's persistent configuration has a
// serial console (which a running VM gets at its next start).
func (s *Service) consolePending(hostName, uuid string) bool {
	if s.opts.Hosts == nil {
		return false
	}
	h, err := s.opts.Hosts.Get(hostName)
	if err != nil {
		return false
	}
	c, err := h.Client()
	if err != nil {
		return false
	}
	_, def, err := domainedit.ReadInactive(c, uuid)
	return err == nil && domainedit.HasSerialConsole(def)
}
