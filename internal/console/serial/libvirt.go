package serial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// serialOpener opens one VM's serial console and runs it until it ends. It writes
// the guest's output to screen and sends what it reads from kbd to the
// guest. It calls opened, at most once and before it returns, when libvirt
// has opened the console. When ctx ends it closes the console and returns.
//
// Its error says why the console ended or could not be opened: one of the
// err* sentinels below, or anything else for "libvirt is unreachable".
type serialOpener interface {
	open(ctx context.Context, hostName, uuid string, force bool, kbd *io.PipeReader, screen io.Writer, opened func()) error
}

// Why a console ended or could not be opened.
var (
	errSerialVMStopped = errors.New("the VM is not running")
	errSerialVMGone    = errors.New("the VM no longer exists")
	errSerialHeld      = errors.New("another client holds the console")
	errSerialTakenOver = errors.New("another client took the console over")
	errSerialNoConsole = errors.New("the VM has no serial console that libvirt can open")
	errSerialEnded     = errors.New("the console stream ended while the VM runs")
)

// serialLibvirtOpener opens consoles with virt.Link's OpenConsole
// (DomainOpenConsoleBidirectional), each on a libvirt link of its own.
//
// How go-libvirt behaves (measured with libvirt 9.0): the call blocks for the
// life of the stream. Guest output is written to the screen writer from the
// link's one reader goroutine, so a slow writer would stall every call on
// the link: hence a link per console, and a writer that never blocks. The
// keyboard reader is first read once the console is open, which is how
// "open" is told apart from "still opening". When the VM stops the call
// returns nil; when another client takes the console over with the force
// flag it returns "stream had I/O failure" (VIR_ERR_RPC); when another client
// holds it, opening fails at once with VIR_ERR_OPERATION_FAILED "Active
// console session exists for this domain"; for a VM without a console,
// VIR_ERR_INTERNAL_ERROR "cannot find character device"; when the VM is not
// running, VIR_ERR_OPERATION_INVALID. A keyboard reader that returns EOF
// finishes the stream cleanly (the call returns nil).
type serialLibvirtOpener struct {
	// dial opens a link of its own to a host's libvirtd.
	dial func(hostName string) (virt.Link, error)
	// finish bounds each wait for a console call that was asked to end
	// (default serialFinishTimeout).
	finish time.Duration
	log    *slog.Logger
}

// hostDialer dials the configured hosts' own links.
func hostDialer(hosts Hosts) func(string) (virt.Link, error) {
	return func(hostName string) (virt.Link, error) {
		h, err := hosts.Get(hostName)
		if err != nil {
			return nil, err
		}
		l, err := h.Dial()
		if err != nil {
			return nil, fmt.Errorf("connect to libvirt: %w", err)
		}
		return l, nil
	}
}

// serialFinishTimeout is how long a console may take to finish after we ask
// before its link is dropped.
const serialFinishTimeout = 2 * time.Second

func (o serialLibvirtOpener) open(ctx context.Context, hostName, uuid string, force bool, kbd *io.PipeReader, screen io.Writer, opened func()) error {
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return err
	}
	l, err := o.dial(hostName)
	if err != nil {
		return err
	}
	dropped := false
	defer func() {
		if !dropped {
			serialDisconnect(l)
		}
	}()
	dom, err := l.LookupDomain(u)
	if err != nil {
		if host.IsCode(err, virt.ErrNoDomain) {
			return errSerialVMGone
		}
		return fmt.Errorf("look up the VM: %w", err)
	}

	gate := &serialOpenGate{opened: opened}
	call := make(chan error, 1)
	go func() { call <- l.OpenConsole(dom, force, serialGateReader{kbd, gate}, screen) }()
	select {
	case err = <-call:
	case <-ctx.Done():
		// The session ends, or the console is being checked: finish the
		// stream politely (EOF on the keyboard), drop the link if libvirt
		// does not end it soon, and if even that does not free the call,
		// leave it behind. go-libvirt (2026-10-13) can deadlock a link for
		// good when a packet of the stream arrives after the stream's end
		// (measured: finishing a console while the guest prints hung 1 in
		// 30 closes; the stack showed the reader goroutine blocked sending
		// to the finished call, holding the lock that the call's own
		// cleanup and Disconnect wait for). Closing the socket frees the
		// console on libvirtd's side; only goroutines of the stuck link
		// remain.
		_ = kbd.CloseWithError(io.EOF)
		if err = o.await(call); errors.Is(err, errSerialCallStuck) {
			serialDisconnect(l)
			dropped = true
			if err = o.await(call); errors.Is(err, errSerialCallStuck) {
				gate.close()
				if o.log != nil {
					o.log.Warn("the libvirt client library did not let go of a finished serial console; left behind (its goroutines remain until restart)",
						"host", hostName, "uuid", uuid)
				}
				return ctx.Err()
			}
		}
	}
	wasOpen := gate.close()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !wasOpen && err != nil {
		return classifyOpenError(err)
	}
	// The stream ended: did the VM stop, or did someone take the console?
	if !l.Connected() {
		return fmt.Errorf("the console's libvirt connection was lost: %w", serialErrOr(err, io.ErrUnexpectedEOF))
	}
	state, _, serr := l.State(dom)
	switch {
	case host.IsCode(serr, virt.ErrNoDomain):
		return errSerialVMGone
	case serr != nil:
		return fmt.Errorf("read the VM's state: %w", serr)
	case !serialActiveState(virt.DomainState(state)):
		return errSerialVMStopped
	case err != nil:
		return fmt.Errorf("%w: %w", errSerialTakenOver, err)
	}
	return errSerialEnded
}

// errSerialCallStuck: a console call did not return in time after it was
// asked to end.
var errSerialCallStuck = errors.New("the console call did not end in time")

// await waits, bounded, for a console call that was asked to end.
func (o serialLibvirtOpener) await(call <-chan error) error {
	wait := o.finish
	if wait <= 0 {
		wait = serialFinishTimeout
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-call:
		return err
	case <-t.C:
		return errSerialCallStuck
	}
}

func serialErrOr(err, other error) error {
	if err != nil {
		return err
	}
	return other
}

// classifyOpenError names the reason libvirt refused to open a console.
func classifyOpenError(err error) error {
	var le virt.Error
	if !errors.As(err, &le) {
		return fmt.Errorf("open the console: %w", err)
	}
	msg := strings.ToLower(le.Message)
	switch {
	case host.IsCode(err, virt.ErrOperationInvalid):
		return errSerialVMStopped
	case host.IsCode(err, virt.ErrNoDomain):
		return errSerialVMGone
	case host.IsCode(err, virt.ErrOperationFailed) && strings.Contains(msg, "console session"):
		return fmt.Errorf("%w: %w", errSerialHeld, err)
	case strings.Contains(msg, "character device"):
		// "cannot find character device", "character device ... is not
		// using a PTY": nothing libvirt could open as a console.
		return fmt.Errorf("%w: %w", errSerialNoConsole, err)
	}
	return fmt.Errorf("open the console: %w", err)
}

func serialActiveState(s virt.DomainState) bool {
	switch s {
	case virt.StateRunning, virt.StateBlocked, virt.StatePaused, virt.StateShutdown, virt.StatePMSuspended:
		return true
	}
	return false
}

// serialDisconnect closes a stream link without waiting forever: closing
// makes a call, which a daemon that stopped answering never answers.
func serialDisconnect(l virt.Link) {
	done := make(chan struct{})
	go func() { _ = l.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(serialFinishTimeout):
	}
}

// serialOpenGate tells "opened" apart from "ended before it opened": go-libvirt
// first reads the keyboard once the console is open, but that read happens
// on its own goroutine and may come after the call has returned. The gate
// calls opened only before it is closed.
type serialOpenGate struct {
	mu     sync.Mutex
	opened func()
	fired  bool
	closed bool
}

func (g *serialOpenGate) fire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.fired && !g.closed {
		g.fired = true
		g.opened()
	}
}

// close ends the gate and reports whether it fired.
func (g *serialOpenGate) close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	return g.fired
}

// serialGateReader fires the gate on its first read.
type serialGateReader struct {
	r    io.Reader
	gate *serialOpenGate
}

func (g serialGateReader) Read(p []byte) (int, error) {
	g.gate.fire()
	return g.r.Read(p)
}
