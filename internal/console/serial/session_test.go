package serial

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// fakeSerialOpener stands in for libvirt. Each open takes the next plan: fail at
// once with plan.fail, or open and echo input back (as a tty does) until
// the test sends the stream's end on plan.end.
type fakeSerialOpener struct {
	plans  chan fakeSerialPlan
	forces chan bool // the force flag of every open, in order

	mu     sync.Mutex
	screen io.Writer
}

type fakeSerialPlan struct {
	fail error
	end  chan error
	// mute: the stream opens but takes input without echoing and never
	// ends by itself, like a stream libvirt dropped without telling us.
	mute bool
	// wait, if set, holds the open until it is closed.
	wait chan struct{}
}

func newFakeSerialOpener() *fakeSerialOpener {
	return &fakeSerialOpener{plans: make(chan fakeSerialPlan, 8), forces: make(chan bool, 32)}
}

// stream queues a plan for a console that opens and runs until end gets
// its error.
func (f *fakeSerialOpener) stream() chan error {
	end := make(chan error, 1)
	f.plans <- fakeSerialPlan{end: end}
	return end
}

func (f *fakeSerialOpener) open(ctx context.Context, _, _ string, force bool, kbd *io.PipeReader, screen io.Writer, opened func()) error {
	f.forces <- force
	var plan fakeSerialPlan
	select {
	case plan = <-f.plans:
	case <-ctx.Done():
		return ctx.Err()
	}
	if plan.fail != nil {
		return plan.fail
	}
	if plan.wait != nil {
		select {
		case <-plan.wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if plan.mute {
		opened()
		go func() { _, _ = io.Copy(io.Discard, kbd) }()
		<-ctx.Done()
		return ctx.Err()
	}
	f.mu.Lock()
	f.screen = screen
	f.mu.Unlock()
	opened()
	echoed := make(chan struct{})
	go func() { defer close(echoed); _, _ = io.Copy(screen, kbd) }()
	defer func() { _ = kbd.CloseWithError(io.EOF); <-echoed }()
	select {
	case err := <-plan.end:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// emit writes guest output as if the guest printed it.
func (f *fakeSerialOpener) emit(p string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, _ = f.screen.Write([]byte(p))
}

type fakeSerialInventory struct{ vm inventory.VM }

func (f fakeSerialInventory) Get(string, string) (inventory.VM, error) { return f.vm, nil }

const (
	serialTestHost = "local"
	serialTestUUID = "4b1e2c3d-0000-4000-8000-1234567890ab"
)

// serialRig is a Serial with a fake libvirt behind a real WebSocket server.
type serialRig struct {
	svc  *Service
	fake *fakeSerialOpener
	bus  *event.Bus
	url  string
}

func newSerialRig(t *testing.T, opts Options) *serialRig {
	t.Helper()
	r := &serialRig{fake: newFakeSerialOpener(), bus: event.New()}
	opts.Bus = r.bus
	opts.Inventory = fakeSerialInventory{vm: inventory.VM{Host: serialTestHost, UUID: serialTestUUID, State: "running", SerialConsole: true}}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	r.svc = newService(opts, r.fake).start()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c, err := websocket.Accept(w, req, nil)
		if err != nil {
			return
		}
		r.svc.Serve(req.Context(), c, console.Grant{Kind: console.KindSerial, Host: serialTestHost, UUID: serialTestUUID, User: "u",
			Force: req.URL.Query().Get("force") == "1"})
	}))
	t.Cleanup(func() { r.svc.Close(); srv.Close() })
	r.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return r
}

// serialClient is one viewer: it collects output and control messages.
type serialClient struct {
	t    *testing.T
	c    *websocket.Conn
	out  bytes.Buffer
	ctrl []map[string]any
	err  error
}

func (r *serialRig) dial(t *testing.T, query string) *serialClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, r.url+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return &serialClient{t: t, c: c}
}

// until reads messages until cond holds, and fails the test after 5 s.
func (cl *serialClient) until(what string, cond func() bool) {
	cl.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for !cond() {
		if cl.err != nil {
			cl.t.Fatalf("waiting for %s: connection ended: %v (output %q, control %v)", what, cl.err, cl.out.String(), cl.ctrl)
		}
		typ, p, err := cl.c.Read(ctx)
		if err != nil {
			cl.err = err
			continue
		}
		if typ == websocket.MessageBinary {
			cl.out.Write(p)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(p, &m); err != nil {
			cl.t.Fatalf("control message %q is not JSON", p)
		}
		cl.ctrl = append(cl.ctrl, m)
	}
}

func (cl *serialClient) sawOutput(s string) {
	cl.t.Helper()
	cl.until("output "+s, func() bool { return strings.Contains(cl.out.String(), s) })
}

func (cl *serialClient) sawState(state string) {
	cl.t.Helper()
	n := len(cl.ctrl)
	cl.until("state "+state, func() bool {
		for _, m := range cl.ctrl[min(n, len(cl.ctrl)):] {
			if m["type"] == "status" && m["state"] == state {
				return true
			}
		}
		return false
	})
}

func (cl *serialClient) closedWith(code websocket.StatusCode) {
	cl.t.Helper()
	cl.until("close", func() bool { return cl.err != nil })
	if got := websocket.CloseStatus(cl.err); got != code {
		cl.t.Fatalf("closed with %v (%v), want %v", got, cl.err, code)
	}
}

func (cl *serialClient) send(typ websocket.MessageType, p string) {
	cl.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cl.c.Write(ctx, typ, []byte(p)); err != nil {
		cl.t.Fatal(err)
	}
}

func (r *serialRig) nextForce(t *testing.T) bool {
	t.Helper()
	select {
	case f := <-r.fake.forces:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("the console was not opened")
		return false
	}
}

func TestSerialSharedByViewers(t *testing.T) {
	r := newSerialRig(t, Options{Scrollback: 1 << 10})
	r.fake.stream()
	a := r.dial(t, "")
	a.until("scrollback", func() bool { return len(a.ctrl) >= 2 })
	if a.ctrl[0]["type"] != "scrollback-start" || a.ctrl[0]["bytes"] != 0.0 || a.ctrl[1]["type"] != "scrollback-end" {
		t.Fatalf("first messages: %v", a.ctrl)
	}
	a.sawState(StateConnected)
	a.send(websocket.MessageBinary, "echo one\r")
	a.sawOutput("echo one\r")

	b := r.dial(t, "")
	b.sawState(StateConnected)
	if got := b.out.String(); got != "echo one\r" {
		t.Fatalf("late viewer's scrollback = %q", got)
	}
	b.send(websocket.MessageBinary, "two\r")
	a.sawOutput("two\r")
	b.sawOutput("two\r")

	// Guest output that is not UTF-8 passes unchanged.
	r.fake.emit("\xff\xfe\x00garbage\x1b[31m")
	a.sawOutput("\xff\xfe\x00garbage\x1b[31m")
	if n := len(r.svc.Sessions()); n != 1 {
		t.Fatalf("%d sessions for one VM", n)
	}
	if r.nextForce(t) {
		t.Fatal("opened with force, unasked")
	}
}

func TestSerialFollowsTheVM(t *testing.T) {
	r := newSerialRig(t, Options{})
	end := r.fake.stream()
	a := r.dial(t, "")
	a.sawState(StateConnected)
	r.fake.emit("before\r\n")

	r.nextForce(t)
	// The VM stops: the stream ends, and libvirt says the VM is not running.
	end <- errSerialVMStopped
	a.sawState(StateVMStopped)

	// It starts again: the inventory's event reopens the console.
	r.fake.stream()
	r.bus.Publish(event.TypeVM, inventory.VM{Host: serialTestHost, UUID: serialTestUUID, State: "running"})
	a.sawState(StateReopened)
	if r.nextForce(t) {
		t.Fatal("reopened with force")
	}
	r.fake.emit("boot messages\r\n")
	a.sawOutput("boot messages")

	// A viewer who comes later sees the output of both runs.
	b := r.dial(t, "")
	b.sawState(StateReopened)
	if got := b.out.String(); got != "before\r\nboot messages\r\n" {
		t.Fatalf("scrollback = %q", got)
	}

	// The VM is deleted: viewers are told so.
	r.bus.Publish(event.TypeVMRemoved, inventory.Removed{Host: serialTestHost, UUID: serialTestUUID})
	a.closedWith(CloseVMRemoved)
	b.closedWith(CloseVMRemoved)
	serialWaitUntil(t, "the session to go", func() bool { return len(r.svc.Sessions()) == 0 })
}

func TestSerialHeldThenTakenOver(t *testing.T) {
	r := newSerialRig(t, Options{})
	r.fake.plans <- fakeSerialPlan{fail: errSerialHeld}
	a := r.dial(t, "")
	a.sawState(StateHeld)
	if r.nextForce(t) {
		t.Fatal("first open used force")
	}
	// News of the VM makes the session look again, politely.
	r.fake.plans <- fakeSerialPlan{fail: errSerialHeld}
	r.bus.Publish(event.TypeVM, inventory.VM{Host: serialTestHost, UUID: serialTestUUID, State: "running"})
	if r.nextForce(t) {
		t.Fatal("a VM event made the session take the console")
	}
	// A viewer asks to take over.
	r.fake.stream()
	a.send(websocket.MessageText, `{"type":"take-over"}`)
	if !r.nextForce(t) {
		t.Fatal("take-over did not use libvirt's force flag")
	}
	a.sawState(StateConnected)
	a.send(websocket.MessageBinary, "mine\r")
	a.sawOutput("mine\r")
}

func TestSerialForceTicketTakesOver(t *testing.T) {
	r := newSerialRig(t, Options{})
	r.fake.plans <- fakeSerialPlan{fail: errSerialHeld}
	a := r.dial(t, "")
	a.sawState(StateHeld)
	r.nextForce(t)
	r.fake.stream()
	b := r.dial(t, "?force=1")
	if !r.nextForce(t) {
		t.Fatal("a force ticket did not use libvirt's force flag")
	}
	b.sawState(StateConnected)
	a.sawState(StateConnected)
}

func TestSerialTakenOverByAnother(t *testing.T) {
	r := newSerialRig(t, Options{})
	end := r.fake.stream()
	a := r.dial(t, "")
	a.sawState(StateConnected)
	end <- errSerialTakenOver
	a.sawState(StateHeld)
	if !strings.Contains(a.ctrl[len(a.ctrl)-1]["message"].(string), "took") {
		t.Fatalf("status does not say the console was taken: %v", a.ctrl[len(a.ctrl)-1])
	}
	r.nextForce(t)
	select {
	case f := <-r.fake.forces:
		t.Fatalf("the session fought back (force %v)", f)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestSerialInputLimits(t *testing.T) {
	r := newSerialRig(t, Options{})
	r.fake.stream()
	a := r.dial(t, "")
	a.sawState(StateConnected)
	a.send(websocket.MessageBinary, strings.Repeat("x", MaxSerialInput))
	a.sawOutput(strings.Repeat("x", MaxSerialInput))
	a.send(websocket.MessageBinary, strings.Repeat("y", MaxSerialInput+1))
	a.closedWith(websocket.StatusMessageTooBig)
	if strings.Contains(a.out.String(), "y") {
		t.Fatal("part of an oversized frame reached the guest")
	}
}

func TestSerialControlErrors(t *testing.T) {
	r := newSerialRig(t, Options{})
	r.fake.stream()
	a := r.dial(t, "")
	a.sawState(StateConnected)
	for _, tc := range []struct{ in, code string }{
		{`{"type":"resize","cols":80}`, "unknown_message"},
		{`nonsense`, "bad_message"},
	} {
		n := len(a.ctrl)
		a.send(websocket.MessageText, tc.in)
		a.until("an error", func() bool { return len(a.ctrl) > n })
		if m := a.ctrl[n]; m["type"] != "error" || m["code"] != tc.code {
			t.Fatalf("%s: answer %v, want error %s", tc.in, m, tc.code)
		}
	}
	// The connection still works.
	a.send(websocket.MessageBinary, "ok\r")
	a.sawOutput("ok\r")
}

func TestSerialCursorReportsOncePerQuery(t *testing.T) {
	r := newSerialRig(t, Options{})
	r.fake.stream()
	a, b := r.dial(t, ""), r.dial(t, "")
	a.sawState(StateConnected)
	b.sawState(StateConnected)
	r.fake.emit("kvmtest# \x1b[6n")
	a.sawOutput("\x1b[6n")
	b.sawOutput("\x1b[6n")
	// Both terminals answer; the fake guest echoes what reaches it.
	a.send(websocket.MessageBinary, "\x1b[1;10R")
	b.send(websocket.MessageBinary, "\x1b[1;10R")
	a.send(websocket.MessageBinary, "done")
	a.sawOutput("done")
	if n := strings.Count(a.out.String(), "\x1b[1;10R"); n != 1 {
		t.Fatalf("%d cursor reports reached the guest, want 1: %q", n, a.out.String())
	}
}

func TestSerialShutdownClosesViewers(t *testing.T) {
	r := newSerialRig(t, Options{})
	r.fake.stream()
	a := r.dial(t, "")
	a.sawState(StateConnected)
	done := make(chan struct{})
	go func() { r.svc.Close(); close(done) }()
	a.closedWith(websocket.StatusGoingAway)
	select {
	case <-done:
	case <-time.After(serialCloseTimeout + time.Second):
		t.Fatal("Close did not return")
	}
	// A viewer arriving after Close is turned away.
	b := r.dial(t, "")
	b.closedWith(websocket.StatusGoingAway)
}

func TestSerialLingersThenCloses(t *testing.T) {
	r := newSerialRig(t, Options{Linger: 200 * time.Millisecond})
	end := r.fake.stream()
	a := r.dial(t, "")
	a.sawState(StateConnected)
	_ = a.c.Close(websocket.StatusNormalClosure, "")
	// Output keeps accumulating while nobody watches.
	time.Sleep(50 * time.Millisecond)
	r.fake.emit("while away\r\n")
	b := r.dial(t, "")
	b.sawOutput("while away")
	_ = b.c.Close(websocket.StatusNormalClosure, "")
	serialWaitUntil(t, "the unwatched session to close", func() bool { return len(r.svc.Sessions()) == 0 })
	select {
	case <-end:
		t.Fatal("the stream was ended by the test")
	default:
	}
}

func TestViewerTooSlowIsDropped(t *testing.T) {
	svc := newService(Options{Scrollback: 4 << 10, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, newFakeSerialOpener())
	defer svc.Close()
	ss := newSerialSession(svc, serialKey{serialTestHost, serialTestUUID})
	ss.output(bytes.Repeat([]byte("s"), 4<<10)) // a full scrollback
	slow, fast := newSerialViewer("slow"), newSerialViewer("fast")
	ss.attach(slow, false)
	ss.attach(fast, false)
	chunk := bytes.Repeat([]byte("o"), 64<<10)
	for i := 0; i < serialMaxBacklog/len(chunk)-1; i++ {
		ss.output(chunk)
		fast.take() // fast keeps up, slow does not
	}
	if slow.closing != nil {
		t.Fatal("dropped before its backlog was full")
	}
	ss.output(chunk)
	ss.output(chunk)
	if slow.closing == nil || slow.closing.code != CloseTooSlow {
		t.Fatalf("a viewer %d bytes behind was not dropped", serialMaxBacklog+len(chunk))
	}
	if fast.closing != nil {
		t.Fatal("the fast viewer was dropped too")
	}
	if info := ss.info(); info.Viewers != 1 {
		t.Fatalf("%d viewers left, want 1", info.Viewers)
	}
}

func TestSerialCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vm       inventory.VM
		wantCode string
	}{
		{"running with console", inventory.VM{State: "running", SerialConsole: true}, ""},
		{"paused with console", inventory.VM{State: "paused", SerialConsole: true}, ""},
		{"shut off", inventory.VM{State: "shutoff", SerialConsole: true}, "vm_not_running"},
		{"running without console", inventory.VM{State: "running"}, "no_serial_console"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newService(Options{Inventory: fakeSerialInventory{vm: tc.vm}}, newFakeSerialOpener())
			defer svc.Close()
			err := svc.Check(serialTestHost, serialTestUUID)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if p, ok := problem.As(err); !ok || p.Code != tc.wantCode || p.Hint == "" {
				t.Fatalf("Check = %v, want %s with a hint", err, tc.wantCode)
			}
		})
	}
}

func serialWaitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkSessionOutput is the cost of one piece of guest output (14
// bytes, as a PC's UART delivers them through libvirt) with two viewers.
func BenchmarkSessionOutput(b *testing.B) {
	svc := newService(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, newFakeSerialOpener())
	defer svc.Close()
	ss := newSerialSession(svc, serialKey{serialTestHost, serialTestUUID})
	v1, v2 := newSerialViewer("a"), newSerialViewer("b")
	ss.attach(v1, false)
	ss.attach(v2, false)
	p := []byte("12345\r\n12346\r\n")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ss.output(p)
		if i%256 == 0 {
			v1.take()
			v2.take()
		}
	}
}

// TestSerialDroppedConsoleFoundByUnansweredInput: libvirt 9.0 can drop a
// console that another client takes over without telling us (see
// checkResult). Input that gets no output makes the session reopen the
// console politely, and the viewer learns that it was taken over.
func TestSerialDroppedConsoleFoundByUnansweredInput(t *testing.T) {
	r := newSerialRig(t, Options{EchoWait: 100 * time.Millisecond})
	r.fake.plans <- fakeSerialPlan{mute: true}
	r.fake.plans <- fakeSerialPlan{fail: errSerialHeld}
	a := r.dial(t, "")
	a.sawState(StateConnected)
	r.nextForce(t)
	a.send(websocket.MessageBinary, "x")
	a.sawState(StateHeld)
	if msg, _ := a.ctrl[len(a.ctrl)-1]["message"].(string); !strings.Contains(msg, "took") {
		t.Fatalf("status does not say the console was taken over: %v", a.ctrl[len(a.ctrl)-1])
	}
	if r.nextForce(t) {
		t.Fatal("the check took the console back with the force flag")
	}
}

// TestSerialQuietConsoleCheckedQuietly: a console that is merely silent
// (a password prompt) is reopened without viewers noticing, and what was
// typed during the check reaches the guest first.
func TestSerialQuietConsoleCheckedQuietly(t *testing.T) {
	r := newSerialRig(t, Options{EchoWait: 100 * time.Millisecond})
	release := make(chan struct{})
	r.fake.plans <- fakeSerialPlan{mute: true}
	r.fake.plans <- fakeSerialPlan{end: make(chan error, 1), wait: release}
	a := r.dial(t, "")
	a.sawState(StateConnected)
	seen := len(a.ctrl)
	r.nextForce(t)
	a.send(websocket.MessageBinary, "secret")
	if r.nextForce(t) {
		t.Fatal("the check used the force flag")
	}
	// The reopen waits: input now is kept for it.
	a.send(websocket.MessageBinary, "typed-during-check\r")
	close(release)
	a.sawOutput("typed-during-check\r")
	a.send(websocket.MessageBinary, "after\r")
	a.sawOutput("after\r")
	for _, m := range a.ctrl[seen:] {
		if m["type"] == "status" {
			t.Fatalf("the viewer saw the check: %v", a.ctrl)
		}
	}
}

// TestSerialInputSoonAfterCheckIsChecked: a console taken over just after a
// check (which found it ours) is still found out by the next unanswered
// input, once the gap between checks has passed, rather than passing for
// connected until the user gives up.
func TestSerialInputSoonAfterCheckIsChecked(t *testing.T) {
	r := newSerialRig(t, Options{EchoWait: 50 * time.Millisecond, CheckGap: 400 * time.Millisecond})
	r.fake.plans <- fakeSerialPlan{mute: true}
	r.fake.plans <- fakeSerialPlan{mute: true}
	r.fake.plans <- fakeSerialPlan{fail: errSerialHeld}
	a := r.dial(t, "")
	a.sawState(StateConnected)
	r.nextForce(t)
	a.send(websocket.MessageBinary, "x")
	if r.nextForce(t) {
		t.Fatal("the check used the force flag")
	}
	// The quiet check is over once the session takes input directly again.
	ss := r.svc.lookup(serialTestHost, serialTestUUID)
	serialWaitUntil(t, "the end of the first check", func() bool {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return !ss.checking && ss.kbd != nil
	})
	a.send(websocket.MessageBinary, "y")
	a.sawState(StateHeld)
}
