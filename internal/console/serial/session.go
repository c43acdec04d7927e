package serial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Console states, as sent to viewers in {"type":"status","state":...}.
const (
	// StateConnecting: the console is being opened.
	StateConnecting = "connecting"
	// StateConnected: the console is open; output flows and input reaches the guest.
	StateConnected = "connected"
	// StateReopened: the console is open again after the VM (re)started or
	// the link came back; what follows is new output, boot messages first.
	StateReopened = "reopened"
	// StateVMStopped: the VM is not running; the console reopens by itself
	// when it starts.
	StateVMStopped = "vm-stopped"
	// StateHeld: another client (virsh console, another manager) holds the
	// console; a viewer may take it over.
	StateHeld = "held-by-other"
	// StateNoConsole: the running VM has no usable serial console.
	StateNoConsole = "no-serial-console"
	// StateUnavailable: libvirt cannot be reached; the console retries.
	StateUnavailable = "unavailable"
)

// WebSocket close codes of the serial console beyond the standard ones
// (1001 going away at server shutdown, 1009 for an oversized input frame).
const (
	// CloseTooSlow: the viewer fell too far behind the guest's output. It may
	// reconnect at once; it gets the scrollback.
	CloseTooSlow websocket.StatusCode = 4000
	// CloseVMRemoved: the VM was deleted.
	CloseVMRemoved websocket.StatusCode = 4004
)

// serialStatus is the {"type":"status"} control message.
type serialStatus struct {
	Type    string `json:"type"` // "status"
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

// The status messages a session sends.
var (
	statusStopped = serialStatus{State: StateVMStopped, Message: "the VM is not running",
		Hint: "the console reconnects by itself when the VM starts, and shows its boot output"}
	statusHeld = serialStatus{State: StateHeld,
		Message: "another client (for example virsh console) has this VM's serial console open, and libvirt allows only one",
		Hint:    `take it over to use it here (send {"type":"take-over"}); the other client is disconnected`}
	statusTakenOver = serialStatus{State: StateHeld,
		Message: "another client (for example virsh console --force) took this VM's serial console over",
		Hint:    `take it back to use it here (send {"type":"take-over"}); the other client is disconnected`}
	statusNoConsole = serialStatus{State: StateNoConsole, Message: "the VM has no serial console that libvirt can open",
		Hint: "add a serial console to the VM; it takes effect when the VM next starts"}
)

// serialWake says why a waiting session was woken.
type serialWake uint8

const (
	wakeVMActive   serialWake = 1 << iota // the VM is (still or again) running
	wakeVMInactive                        // the VM is not running
	wakeHostUp                            // the host's main link (re)connected
	wakeTakeOver                          // a viewer asked to take the console over
)

// Retry pacing when libvirt cannot be reached, and after a stream that
// ended while the VM still ran (usually a VM on its way down).
const (
	serialRetryMin     = time.Second
	serialRetryMax     = 30 * time.Second
	serialEndedRetry   = 300 * time.Millisecond
	serialEndedRetries = 10
	serialAttemptsGap  = 250 * time.Millisecond
)

// serialEnding says why a session ended, for its viewers' close frames.
type serialEnding struct {
	code   websocket.StatusCode
	reason string
}

var (
	serialEndShutdown  = serialEnding{websocket.StatusGoingAway, "KVM Manager is shutting down"}
	serialEndVMRemoved = serialEnding{CloseVMRemoved, "the VM was deleted"}
	serialEndLinger    = serialEnding{websocket.StatusNormalClosure, "closed after a time without viewers"}
)

// serialSession is the shared serial console of one VM.
type serialSession struct {
	svc    *Service
	key    serialKey
	ctx    context.Context // ends when the session ends
	cancel context.CancelFunc

	mu      sync.Mutex
	ring    *serialRing
	cpr     cprFilter
	viewers map[*serialViewer]struct{}
	status  serialStatus
	opened  bool           // the console has been open at least once
	kbd     *io.PipeWriter // input to the guest while the console is open
	flags   serialWake
	wakeC   chan struct{}
	linger  *time.Timer
	ended   bool

	// Checking an open console that may have been dropped (checkConsole).
	attempt   context.CancelFunc // ends the current open attempt
	echoTimer *time.Timer        // runs from unanswered input until output
	echoGen   uint64             // tells a stale echoTimer apart
	checking  bool               // closed to be checked: input waits in pending
	pending   []byte
	lastCheck time.Time
	streamGen uint64 // counts streams closed, for the flush of pending input
}

// serialPendingMax bounds the input kept while a console is checked.
const serialPendingMax = 4 << 10

func newSerialSession(svc *Service, key serialKey) *serialSession {
	ctx, cancel := context.WithCancel(svc.ctx)
	return &serialSession{
		svc: svc, key: key, ctx: ctx, cancel: cancel,
		ring:    newSerialRing(svc.opts.Scrollback),
		viewers: make(map[*serialViewer]struct{}),
		status:  serialStatus{State: StateConnecting},
		wakeC:   make(chan struct{}, 1),
	}
}

// attach adds v: it receives the scrollback, then the current state, then
// everything live. Taking the snapshot and joining happen under one lock, so
// no output is missed or repeated in between.
func (s *serialSession) attach(v *serialViewer, force bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	if s.linger != nil {
		s.linger.Stop()
		s.linger = nil
	}
	data, truncated := s.ring.Snapshot()
	v.pushControl(map[string]any{"type": "scrollback-start", "bytes": len(data), "truncated": truncated})
	if len(data) > 0 {
		v.pushInitial(data)
	}
	v.pushControl(map[string]any{"type": "scrollback-end"})
	v.pushControl(s.status)
	s.viewers[v] = struct{}{}
	if force && s.status.State == StateHeld {
		s.wakeLocked(wakeTakeOver)
	}
	return true
}

// detach removes v. The last viewer to leave starts the linger timer.
func (s *serialSession) detach(v *serialViewer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.viewers[v]; !ok {
		return
	}
	delete(s.viewers, v)
	if len(s.viewers) == 0 && !s.ended {
		s.cpr.reset()
		s.linger = time.AfterFunc(s.svc.opts.Linger, s.lingerExpired)
	}
}

func (s *serialSession) lingerExpired() {
	s.mu.Lock()
	idle := len(s.viewers) == 0
	s.mu.Unlock()
	if idle {
		s.svc.log.Info("closing unwatched serial console", "host", s.key.host, "uuid", s.key.uuid)
		s.end(serialEndLinger)
	}
}

// end closes the session for good: viewers are told why, the stream is
// closed and the service forgets the session.
func (s *serialSession) end(why serialEnding) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	for v := range s.viewers {
		v.close(why.code, why.reason)
	}
	clear(s.viewers)
	if s.linger != nil {
		s.linger.Stop()
	}
	s.mu.Unlock()
	s.cancel()
	s.svc.forget(s)
}

// wake records why the session should look again and wakes it if it waits.
func (s *serialSession) wake(f serialWake) {
	s.mu.Lock()
	s.wakeLocked(f)
	s.mu.Unlock()
}

func (s *serialSession) wakeLocked(f serialWake) {
	s.flags |= f
	select {
	case s.wakeC <- struct{}{}:
	default:
	}
}

// takeOver asks for the console to be taken over from another client; it
// does nothing unless another client holds it.
func (s *serialSession) takeOver() {
	s.mu.Lock()
	if s.status.State == StateHeld {
		s.wakeLocked(wakeTakeOver)
	}
	s.mu.Unlock()
}

// wait blocks until a wake-up with one of the wanted flags arrives (and
// returns all flags collected, clearing them), until timeout (if > 0), or
// until the session ends (false).
func (s *serialSession) wait(want serialWake, timeout time.Duration) (serialWake, bool) {
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	for {
		s.mu.Lock()
		got := s.flags
		if got&want != 0 {
			s.flags = 0
			s.mu.Unlock()
			return got, true
		}
		s.mu.Unlock()
		select {
		case <-s.ctx.Done():
			return 0, false
		case <-timer:
			s.mu.Lock()
			got := s.flags
			s.flags = 0
			s.mu.Unlock()
			return got, true
		case <-s.wakeC:
		}
	}
}

// run opens the console and keeps it open while the session lasts: it
// reopens it when the VM starts again, and retries when libvirt cannot be
// reached. It returns when the session ends.
func (s *serialSession) run(force bool) {
	backoff := serialRetryMin
	ended := 0
	var last time.Time
	for {
		if gap := serialAttemptsGap - time.Since(last); gap > 0 && !serialSleep(s.ctx, gap) {
			return
		}
		last = time.Now()
		pr, pw := io.Pipe()
		wasOpen := false
		attempt, cancel := context.WithCancel(s.ctx)
		s.mu.Lock()
		s.attempt = cancel
		s.mu.Unlock()
		err := s.svc.opener.open(attempt, s.key.host, s.key.uuid, force, pr, serialOutput{s}, func() {
			wasOpen = true
			s.streamOpened(pw)
		})
		cancel()
		s.streamClosed(pw)
		force = false
		if s.ctx.Err() != nil {
			return
		}
		if wasOpen {
			backoff, ended = serialRetryMin, 0
		}
		checked := s.checkResult(wasOpen, err)
		if checked == checkReopen {
			last = time.Time{} // reopen at once: input waits
			continue
		}
		if checked == checkTaken {
			err = fmt.Errorf("%w: %w", errSerialTakenOver, err)
		}
		switch {
		case errors.Is(err, errSerialVMGone):
			s.end(serialEndVMRemoved)
			return
		case errors.Is(err, errSerialVMStopped):
			s.setStatus(statusStopped)
			if _, ok := s.wait(wakeVMActive|wakeHostUp|wakeTakeOver, 0); !ok {
				return
			}
		case errors.Is(err, errSerialHeld), errors.Is(err, errSerialTakenOver):
			st := statusHeld
			if errors.Is(err, errSerialTakenOver) {
				st = statusTakenOver
			}
			s.setStatus(st)
			// Any news of the VM is worth a polite look (no force): the
			// other client may have let go, or the VM restarted.
			got, ok := s.wait(wakeTakeOver|wakeVMActive|wakeVMInactive|wakeHostUp, 0)
			if !ok {
				return
			}
			force = got&wakeTakeOver != 0
		case errors.Is(err, errSerialNoConsole):
			s.setStatus(statusNoConsole)
			// A console added to the definition appears at the next start.
			if _, ok := s.wait(wakeVMActive|wakeTakeOver, 0); !ok {
				return
			}
		case errors.Is(err, errSerialEnded) && ended < serialEndedRetries:
			// Usually the VM is going down and libvirt does not say so yet;
			// the next attempt finds out.
			ended++
			if !serialSleep(s.ctx, serialEndedRetry) {
				return
			}
		default:
			s.svc.log.Warn("serial console unavailable", "host", s.key.host, "uuid", s.key.uuid, "err", err, "retry_in", backoff)
			s.setStatus(serialStatus{State: StateUnavailable, Message: "the serial console cannot be opened: " + serialDescribe(err),
				Hint: "KVM Manager retries by itself"})
			if _, ok := s.wait(wakeVMActive|wakeHostUp|wakeTakeOver, backoff); !ok {
				return
			}
			backoff = min(backoff*2, serialRetryMax)
		}
	}
}

// serialDescribe is a short, safe account of an error for viewers.
func serialDescribe(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

func serialSleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// streamOpened is called once libvirt has opened the console: input may
// flow, and viewers learn that the console is (again) connected.
func (s *serialSession) streamOpened(kbd *io.PipeWriter) {
	s.mu.Lock()
	s.flags = 0 // news from before the console opened is stale now
	if s.checking {
		// The check found the console free and has it again: viewers
		// were never told otherwise, and what they typed meanwhile goes
		// first. This runs on libvirt's keyboard reader, which must read
		// what is written: hence the goroutine.
		gen := s.streamGen
		s.mu.Unlock()
		s.svc.log.Info("serial console checked: it was still ours, or free", "host", s.key.host, "uuid", s.key.uuid)
		go s.flushPending(kbd, gen)
		return
	}
	s.kbd = kbd
	st := serialStatus{State: StateConnected}
	if s.opened {
		st.State = StateReopened
	}
	s.opened = true
	s.setStatusLocked(st)
	s.mu.Unlock()
	s.svc.log.Info("serial console open", "host", s.key.host, "uuid", s.key.uuid, "state", st.State)
}

// flushPending sends the input kept during a check, then lets input flow.
func (s *serialSession) flushPending(kbd *io.PipeWriter, gen uint64) {
	for {
		s.mu.Lock()
		p := s.pending
		s.pending = nil
		if len(p) == 0 || s.streamGen != gen {
			if s.streamGen == gen {
				s.kbd = kbd
			}
			s.checking = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if _, err := kbd.Write(p); err != nil {
			s.mu.Lock()
			s.checking, s.pending = false, nil
			s.mu.Unlock()
			return
		}
	}
}

// streamClosed stops input to a stream that has ended.
func (s *serialSession) streamClosed(kbd *io.PipeWriter) {
	s.mu.Lock()
	if s.kbd == kbd {
		s.kbd = nil
	}
	s.streamGen++
	if s.echoTimer != nil {
		s.echoTimer.Stop()
		s.echoTimer = nil
	}
	s.mu.Unlock()
	_ = kbd.Close()
}

// What a finished open attempt means for a check of the console.
type checkOutcome uint8

const (
	checkNone   checkOutcome = iota // no check was under way
	checkReopen                     // the console was closed to be checked: reopen it politely now
	checkTaken                      // the check found another client holding the console
)

// checkResult ends or continues a check of the console, from how an open
// attempt ended.
//
// Why checks exist: when another client takes a console over with the force
// flag while libvirtd is handing guest output to us, libvirt 9.0 aborts our
// stream without telling us (the daemon's stream is between "output sent"
// and "sent completely" and has no events registered, so the abort's
// callback is skipped: src/remote/remote_daemon_stream.c, src/util/
// virfdstream.c). Measured with continuous output: 3 takeovers in 60 left
// the old holder's stream open and silent, keystrokes included. Such a
// console would show "connected" while nothing reaches the guest. Typed
// input that gets no output for EchoWait therefore closes the stream and
// reopens it without force: if the console is still ours or free, that
// succeeds quietly and the input is sent; if another client has it, the
// viewers are told it was taken over.
func (s *serialSession) checkResult(wasOpen bool, err error) checkOutcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.checking {
		return checkNone
	}
	if wasOpen && errors.Is(err, context.Canceled) {
		return checkReopen // the stream we closed for the check
	}
	// The reopen failed (or the stream ended by itself first): the check
	// is over; what was typed meanwhile had nowhere to go.
	s.checking, s.pending = false, nil
	if !wasOpen && errors.Is(err, errSerialHeld) {
		return checkTaken
	}
	return checkNone
}

// echoMissing runs when input gen got no output for EchoWait.
func (s *serialSession) echoMissing(gen uint64) {
	s.mu.Lock()
	if gen != s.echoGen || s.echoTimer == nil || s.kbd == nil || s.ended {
		s.mu.Unlock()
		return
	}
	s.echoTimer = nil
	s.checking = true
	s.lastCheck = s.svc.now()
	s.kbd = nil // input waits in pending from now on
	cancel := s.attempt
	s.mu.Unlock()
	s.svc.log.Info("serial console input got no output; checking that the console is still ours", "host", s.key.host, "uuid", s.key.uuid, "waited", s.svc.opts.EchoWait)
	if cancel != nil {
		cancel()
	}
}

// setStatus tells every viewer the console's new state (if it changed).
func (s *serialSession) setStatus(st serialStatus) {
	s.mu.Lock()
	s.setStatusLocked(st)
	s.mu.Unlock()
}

func (s *serialSession) setStatusLocked(st serialStatus) {
	if st == s.status {
		return
	}
	s.status = st
	for v := range s.viewers {
		if !v.pushControl(st) {
			s.dropLocked(v)
		}
	}
}

// dropLocked disconnects a viewer that fell behind.
func (s *serialSession) dropLocked(v *serialViewer) {
	delete(s.viewers, v)
	v.close(CloseTooSlow, "fell behind the console output; reconnect to catch up")
	s.svc.log.Info("serial console viewer too slow; dropped", "host", s.key.host, "uuid", s.key.uuid, "user", v.user)
	if len(s.viewers) == 0 && !s.ended && s.linger == nil {
		s.linger = time.AfterFunc(s.svc.opts.Linger, s.lingerExpired)
	}
}

// output takes guest output: into the scrollback and to every viewer. It
// runs on the stream link's reader goroutine, so it never blocks: a viewer
// whose queue is full is dropped rather than waited for.
func (s *serialSession) output(p []byte) {
	now := s.svc.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring.Write(p)
	s.cpr.sawOutput(p, now)
	if s.echoTimer != nil {
		s.echoTimer.Stop()
		s.echoTimer = nil
	}
	if len(s.viewers) == 0 {
		return
	}
	for v := range s.viewers {
		if !v.pushOutput(p) {
			s.dropLocked(v)
		}
	}
}

// input sends a viewer's keystrokes to the guest. It blocks while libvirt
// takes them (the viewer's own reader waits, nobody else); input while the
// console is not open is dropped.
func (s *serialSession) input(p []byte) {
	now := s.svc.now()
	s.mu.Lock()
	kbd := s.kbd
	ok := s.cpr.allow(p, now)
	if ok && s.checking {
		// The console is being checked: the input goes first when it is
		// open again (or is dropped if another client has it).
		if len(s.pending)+len(p) <= serialPendingMax {
			s.pending = append(s.pending, p...)
		}
		s.mu.Unlock()
		return
	}
	if kbd != nil && ok && s.echoTimer == nil {
		wait := max(s.svc.opts.EchoWait, s.lastCheck.Add(s.svc.opts.CheckGap).Sub(now))
		s.echoGen++
		gen := s.echoGen
		s.echoTimer = time.AfterFunc(wait, func() { s.echoMissing(gen) })
	}
	s.mu.Unlock()
	if kbd == nil || !ok {
		return
	}
	_, _ = kbd.Write(p) // fails only when the stream has just ended
}

// info describes the session.
func (s *serialSession) info() SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, _ := s.ring.Snapshot()
	return SessionInfo{Host: s.key.host, UUID: s.key.uuid, State: s.status.State, Viewers: len(s.viewers), ScrollbackBytes: len(data)}
}

// serialOutput is the io.Writer that libvirt writes guest output to.
type serialOutput struct{ s *serialSession }

func (o serialOutput) Write(p []byte) (int, error) {
	o.s.output(p)
	return len(p), nil
}

// serialFrame is one WebSocket message for a viewer: terminal bytes (binary) or a
// JSON control message (text).
type serialFrame struct {
	text  bool
	data  []byte
	owned bool // data belongs to this viewer's queue and may grow
}

// serialMaxBacklog is how much output may wait for one viewer beyond its initial
// scrollback before it counts as too slow.
const serialMaxBacklog = 1 << 20

// serialViewer is one WebSocket client of a session. The session pushes frames;
// the viewer's writer goroutine takes them.
type serialViewer struct {
	user   string
	notify chan struct{} // a frame or the close is waiting

	mu      sync.Mutex
	queue   []serialFrame
	queued  int // bytes in queue
	allowed int // bytes the queue may hold
	closing *serialEnding
	bucket  serialTokenBucket
}

func newSerialViewer(user string) *serialViewer {
	return &serialViewer{user: user, notify: make(chan struct{}, 1), allowed: serialMaxBacklog,
		bucket: serialTokenBucket{capacity: serialInputBurst, rate: serialInputRate}}
}

// pushOutput queues a copy of guest output; it reports false when the
// viewer is too far behind. libvirt delivers a console's output in small
// pieces (about 14 bytes each from a PC's UART), so output is appended to
// the last queued output frame rather than queued piece by piece: one
// allocation and, later, one WebSocket message for many pieces.
func (v *serialViewer) pushOutput(p []byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing != nil {
		return true
	}
	if v.queued+len(p) > v.allowed {
		return false
	}
	v.queued += len(p)
	if n := len(v.queue); n > 0 && v.queue[n-1].owned && len(v.queue[n-1].data) < serialMaxFrame {
		v.queue[n-1].data = append(v.queue[n-1].data, p...)
	} else {
		buf := make([]byte, len(p), max(len(p), 4<<10))
		copy(buf, p)
		v.queue = append(v.queue, serialFrame{data: buf, owned: true})
	}
	v.signal()
	return true
}

// push queues a frame; it reports false when the viewer is too far behind.
func (v *serialViewer) push(f serialFrame) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing != nil {
		return true
	}
	if v.queued+len(f.data) > v.allowed {
		return false
	}
	v.queued += len(f.data)
	v.queue = append(v.queue, f)
	v.signal()
	return true
}

// pushInitial queues the scrollback, which does not count against the
// backlog allowance.
func (v *serialViewer) pushInitial(data []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.allowed += len(data)
	v.queued += len(data)
	v.queue = append(v.queue, serialFrame{data: data})
	v.signal()
}

// pushControl queues a JSON control message.
func (v *serialViewer) pushControl(msg any) bool {
	if st, ok := msg.(serialStatus); ok {
		st.Type = "status"
		msg = st
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return true // our own types always encode
	}
	return v.push(serialFrame{text: true, data: b})
}

// close asks the writer to close the WebSocket after what is queued.
func (v *serialViewer) close(code websocket.StatusCode, reason string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing == nil {
		v.closing = &serialEnding{code: code, reason: reason}
		v.signal()
	}
}

func (v *serialViewer) signal() {
	select {
	case v.notify <- struct{}{}:
	default:
	}
}

// take returns the queued frames and, once asked, how to close.
func (v *serialViewer) take() ([]serialFrame, *serialEnding) {
	v.mu.Lock()
	defer v.mu.Unlock()
	q := v.queue
	v.queue, v.queued = nil, 0
	v.allowed = serialMaxBacklog // the scrollback's allowance is spent once taken
	return q, v.closing
}

// Input limits: frames larger than MaxSerialInput close the WebSocket; beyond
// a burst of inputBurst bytes, input is slowed to inputRate bytes a second
// (a paste of a long text arrives, slowly; nothing is dropped).
const (
	MaxSerialInput   = 4096
	serialInputBurst = 64 << 10
	serialInputRate  = 32 << 10
)

// serialTokenBucket paces a viewer's input.
type serialTokenBucket struct {
	capacity, rate float64
	tokens         float64
	last           time.Time
	started        bool
}

// delay takes n tokens and returns how long to wait before using them.
func (b *serialTokenBucket) delay(n int, now time.Time) time.Duration {
	if !b.started {
		b.tokens, b.last, b.started = b.capacity, now, true
	}
	b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}
