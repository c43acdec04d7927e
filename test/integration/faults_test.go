//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// Fault tests: libvirtd killed, a VM's QEMU killed, many clients at once, a
// full disk and SIGTERM, against the real daemon, real guests and the real
// binary. Helpers are prefixed flt; guests are named flt-XXXXXXXX.
//
// Figures a test measures are logged with the prefix "figure:" so that a
// run with -v shows them together (docs/reliability.md quotes them).

// fltGuest defines a test guest with opts (its name and directories are
// filled in) and removes it, with its files and snapshots, when the test
// ends. When s is not nil it waits until s lists the guest.
func fltGuest(t *testing.T, l *libvirt.Libvirt, opts testguest.Options, s *testrig.Server) guest {
	t.Helper()
	g := defineGuest(t, l, "flt-", opts)
	if s != nil {
		waitFor(t, 30*time.Second, "the API to list "+g.Name, func() bool {
			st, _ := fltDo(s, "GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, nil)
			return st == 200
		})
	}
	return g
}

// fltBoot starts g with virsh and waits until its shells are up.
func fltBoot(t *testing.T, g guest) {
	t.Helper()
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
}

// fltDo sends an authenticated request to s, decodes a JSON answer into
// out (when not nil) and returns the status and body. A transport error is
// status 0 with the error as body.
func fltDo(s *testrig.Server, method, path string, body, out any) (int, []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st, b, err := s.Do(ctx, method, path, body)
	if err != nil {
		return 0, []byte(err.Error())
	}
	if out != nil && len(b) > 0 {
		_ = json.Unmarshal(b, out)
	}
	return st, b
}

// fltWaitOp waits until operation id on s has ended.
func fltWaitOp(t *testing.T, s *testrig.Server, id string, d time.Duration) opJSON {
	t.Helper()
	var op opJSON
	waitFor(t, d, "operation "+id, func() bool {
		op = opJSON{}
		fltDo(s, "GET", "/api/v1/operations/"+id, nil, &op)
		return op.State != "" && op.State != "running"
	})
	return op
}

// fltClearFailure checks that an operation failed with an error a user can
// act on: a specific code (not the catch-all "internal") and a message.
func fltClearFailure(t *testing.T, what string, op opJSON) {
	t.Helper()
	if op.State != "failed" || op.Error == nil || op.Error.Code == "" || op.Error.Code == "internal" || op.Error.Message == "" {
		t.Errorf("%s: operation ended %q with error %+v; want failed with a specific code and a message", what, op.State, op.Error)
	}
}

// ---- libvirtd ----

// fltKillLibvirtd kills libvirtd with SIGKILL and makes sure it runs again
// when the test ends, pass or fail.
func fltKillLibvirtd(t *testing.T) time.Time {
	t.Helper()
	t.Cleanup(func() {
		if out, err := exec.Command("../../scripts/setup-libvirt.sh").CombinedOutput(); err != nil {
			t.Errorf("restarting libvirtd after the test: %v\n%s", err, out)
		}
	})
	pid := libvirtdPID(t)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill libvirtd: %v", err)
	}
	return time.Now()
}

// fltRestartLibvirtd starts libvirtd again and returns when it answers.
func fltRestartLibvirtd(t *testing.T) time.Time {
	t.Helper()
	restartLibvirtd(t)
	return time.Now()
}

// fltOpEnded returns a channel closed once operation id on s is no longer
// running (or after 3 minutes), for loops that must stop when it ends.
func fltOpEnded(s *testrig.Server, id string) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var op opJSON
			if st, _ := fltDo(s, "GET", "/api/v1/operations/"+id, nil, &op); st == 200 && op.State != "running" {
				return
			}
		}
	}()
	return ch
}

// ---- QEMU ----

// fltQemuPID returns the pid of g's QEMU process, from libvirt's pid file.
func fltQemuPID(t *testing.T, g guest) int {
	t.Helper()
	pid, err := fltFindQemu(g)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// fltFindQemu reads the pid of g's QEMU process from libvirt's pid file and
// checks that the process is that VM's QEMU (the file may be stale).
func fltFindQemu(g guest) (int, error) {
	b, err := os.ReadFile(filepath.Join("/run/libvirt/qemu", g.Name+".pid"))
	if err != nil {
		return 0, fmt.Errorf("QEMU pid of %s: %w", g.Name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("QEMU pid file of %s holds %q", g.Name, b)
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if !strings.Contains(string(cmdline), "guest="+g.Name) {
		return 0, fmt.Errorf("pid %d is not the QEMU of %s", pid, g.Name)
	}
	return pid, nil
}

// fltKillQemu kills a QEMU process with SIGKILL.
func fltKillQemu(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill QEMU %d: %v", pid, err)
	}
}

// fltKillCurrentQemu kills whatever QEMU process g has right now, trying
// for up to 2 s: libvirt may be replacing it (a revert to a snapshot with
// memory starts a new QEMU that loads the snapshot). It returns the pid
// killed, or 0.
func fltKillCurrentQemu(g guest) int {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		pid, err := fltFindQemu(g)
		if err == nil && syscall.Kill(pid, syscall.SIGKILL) == nil {
			return pid
		}
	}
	return 0
}

// fltWatchPaused polls dom's state on its own link every 2 ms and calls
// onPause once, as soon as libvirt reports it paused (libvirt pauses a VM
// for the length of a snapshot with memory and of a revert to one). It
// stops at the pause, when stop is closed, or after d.
func fltWatchPaused(l *libvirt.Libvirt, dom libvirt.Domain, d time.Duration, stop <-chan struct{}, onPause func()) (paused bool) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-stop:
			return false
		default:
		}
		st, _, err := l.DomainGetState(dom, 0)
		if err == nil && libvirt.DomainState(st) == libvirt.DomainPaused {
			onPause()
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// ---- what the API shows against what libvirt holds ----

// fltVirshStates returns every domain's state as virsh shows it, in the
// API's words, by UUID. Other VMs on the host may have any legal name
// (spaces, markup, words like "shut off"), so no name is parsed out of
// `virsh list`'s table: the UUIDs are listed, and each one's state asked.
func fltVirshStates(t *testing.T) map[string]string {
	t.Helper()
	words := map[string]string{
		"running": "running", "idle": "blocked", "paused": "paused", "in shutdown": "shutting-down",
		"shut off": "shutoff", "crashed": "crashed", "pmsuspended": "pmsuspended", "no state": "nostate",
	}
	states := map[string]string{}
	for _, u := range strings.Split(virsh(t, "list", "--all", "--uuid"), "\n") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		st, err := execVirsh("domstate", u)
		if err != nil {
			continue // removed meanwhile (other tests' VMs come and go)
		}
		if w, ok := words[st]; ok {
			st = w
		}
		states[u] = st
	}
	return states
}

// fltAPIStates returns every VM's state as s lists it, by UUID.
func fltAPIStates(t *testing.T, s *testrig.Server) map[string]string {
	t.Helper()
	var list struct{ VMs []vmJSON }
	if st, b := fltDo(s, "GET", "/api/v1/vms", nil, &list); st != 200 {
		t.Fatalf("list VMs: %d %s", st, b)
	}
	states := map[string]string{}
	for _, vm := range list.VMs {
		states[vm.UUID] = vm.State
	}
	return states
}

// fltStatesMatch waits until the API's view of every VM equals libvirt's.
// Other engineers' VMs may be changing meanwhile, so a difference must
// last: it fails only when no two looks within d agree.
func fltStatesMatch(t *testing.T, s *testrig.Server, d time.Duration) {
	t.Helper()
	var diff []string
	deadline := time.Now().Add(d)
	for {
		v, a := fltVirshStates(t), fltAPIStates(t, s)
		diff = diff[:0]
		for uuid, st := range v {
			if a[uuid] != st {
				diff = append(diff, fmt.Sprintf("%s: virsh %q, API %q", uuid, st, a[uuid]))
			}
		}
		for uuid, st := range a {
			if _, ok := v[uuid]; !ok {
				diff = append(diff, fmt.Sprintf("%s: API %q, unknown to virsh", uuid, st))
			}
		}
		if len(diff) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API's VM states differ from virsh list --all for %s:\n%s", d, strings.Join(diff, "\n"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// fltImageSnapshots lists the internal snapshots inside g's qcow2 data disk
// (qemu-img, read-only and without locking: the VM may run). Snapshots
// libvirt has no metadata for show up here only.
func fltImageSnapshots(t *testing.T, g guest) []string {
	t.Helper()
	out, err := exec.Command("qemu-img", "snapshot", "-U", "-l", testguest.DataDiskPath(guestDir, g.Name)).CombinedOutput()
	if err != nil {
		t.Logf("qemu-img snapshot -l: %v: %s", err, out)
		return nil
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n")[1:] {
		if f := strings.Fields(line); len(f) >= 2 && f[0] != "ID" {
			names = append(names, f[1])
		}
	}
	return names
}

// ---- the server's health ----

// fltHealth polls /healthz every 100 ms with a 2 s timeout until end.
type fltHealth struct {
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	n     int
	fails []string
	worst time.Duration
}

func fltWatchHealth(s *testrig.Server) *fltHealth {
	h := &fltHealth{stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 2 * time.Second}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
			start := time.Now()
			res, err := client.Get(s.URL + "/healthz")
			took := time.Since(start)
			h.mu.Lock()
			h.n++
			h.worst = max(h.worst, took)
			switch {
			case err != nil:
				h.fails = append(h.fails, start.Format("15:04:05.000")+" "+err.Error())
			case res.StatusCode != 200:
				h.fails = append(h.fails, start.Format("15:04:05.000")+" status "+res.Status)
			}
			h.mu.Unlock()
			if res != nil {
				res.Body.Close()
			}
		}
	}()
	return h
}

// end stops the polling and fails the test if any poll failed.
func (h *fltHealth) end(t *testing.T) {
	t.Helper()
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Logf("figure: /healthz answered %d polls, %d failed, slowest %s", h.n, len(h.fails), h.worst.Round(time.Millisecond))
	if len(h.fails) > 0 || h.n == 0 {
		t.Errorf("/healthz failed %d of %d times: %v", len(h.fails), h.n, h.fails)
	}
}

// ---- event streams and consoles on any server ----

// fltStream is an open /api/v1/events stream.
type fltStream struct {
	C <-chan sseEvent
	// End receives how the stream ended: nil for a clean end of the
	// response, otherwise the read error.
	End <-chan error
}

// fltEvents subscribes to s's event stream (all types).
func fltEvents(t *testing.T, s *testrig.Server) fltStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("open events: %v %v", err, res)
	}
	ch, end := readSSE(res.Body)
	return fltStream{C: ch, End: end}
}

// opEvent matches an "operation" event of id in state.
func opEvent(id, state string) func(sseEvent) bool {
	return func(ev sseEvent) bool {
		var op opJSON
		return ev.Type == "operation" && json.Unmarshal(ev.Data, &op) == nil && op.ID == id && op.State == state
	}
}

// fltConsole is a graphical console WebSocket after the RFB handshake.
type fltConsole struct {
	ws  *websocket.Conn
	rfb *consoletest.RFBClient
}

// fltOpenConsole gets a console ticket from s and opens the console of
// uuid with the bearer token.
func fltOpenConsole(t *testing.T, s *testrig.Server, uuid string) (*fltConsole, error) {
	t.Helper()
	var tk gcTicketJSON
	if st, b := fltDo(s, "POST", gcPath(uuid, "/console"), nil, &tk); st != 200 || tk.URL == "" {
		return nil, fmt.Errorf("console ticket: %d %s", st, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+tk.URL,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + s.Token}}})
	if err != nil {
		return nil, fmt.Errorf("console websocket: %w", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	cl, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), "")
	if err != nil {
		return nil, fmt.Errorf("RFB handshake: %w", err)
	}
	return &fltConsole{ws: ws, rfb: cl}, nil
}

// typeKeys types s on a console with key events (no shifted characters
// other than those gcType knows); it returns the first error.
func (c *fltConsole) typeKeys(s string) (err error) {
	defer func() {
		// gcType reports through t.Fatalf; here the caller decides.
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	const shiftL, enter = 0xffe1, 0xff0d
	for _, r := range s {
		sym, shift := uint32(r), strings.ContainsRune(`~!@#$%^&*()_+{}|:"<>?`, r) || (r >= 'A' && r <= 'Z')
		if r == '\n' {
			sym = enter
		}
		if shift {
			err = errors.Join(err, c.rfb.KeyEvent(true, shiftL))
		}
		err = errors.Join(err, c.rfb.KeyEvent(true, sym), c.rfb.KeyEvent(false, sym))
		if shift {
			err = errors.Join(err, c.rfb.KeyEvent(false, shiftL))
		}
		if err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// fltSerial opens a serial console viewer of uuid on s.
func fltSerial(t *testing.T, s *testrig.Server, uuid string) *viewer {
	t.Helper()
	var tk serialTicket
	if st, b := fltDo(s, "POST", serialPath(uuid), nil, &tk); st != 200 || tk.URL == "" {
		t.Fatalf("serial ticket: %d %s", st, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+tk.URL,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + s.Token}}})
	if err != nil {
		t.Fatalf("serial websocket: %v", err)
	}
	c.SetReadLimit(1 << 20)
	v := &viewer{t: t, c: c, done: make(chan struct{})}
	go v.read()
	t.Cleanup(func() { _ = c.CloseNow(); <-v.done })
	return v
}

// fltAsk types a command on a serial viewer until its answer, with a fresh
// key, shows in the output: the shell may be busy or still booting.
func fltAsk(t *testing.T, v *viewer, expr string) {
	t.Helper()
	key := fmt.Sprintf("F%d", time.Now().UnixNano()%1e9)
	deadline := time.Now().Add(serialTimeout)
	for !strings.Contains(v.output(), key+"=42") {
		if time.Now().After(deadline) {
			t.Fatalf("the serial console never answered %s: %q", expr, v.output())
		}
		v.send("echo " + key + "=" + expr + "\r")
		waitUntil(3*time.Second, func() bool { return strings.Contains(v.output(), key+"=42") })
	}
}

// waitUntil polls cond for up to d and says whether it came true.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// ---- fault 1: libvirtd killed while the UI is open and work runs ----

// TestFaultLibvirtdKilledMidWork kills libvirtd with SIGKILL while an event
// stream, a graphical and a serial console are open, a long ACPI shutdown
// waits on a guest that ignores ACPI, and a snapshot with memory is being
// written; a third guest's QEMU dies while libvirtd is down. The server
// must keep serving, reconnect by itself, end the interrupted snapshot
// with a clear error and no trace in libvirt, keep or reopen the consoles,
// and show the VMs as libvirt has them.
func TestFaultLibvirtdKilledMidWork(t *testing.T) {
	l := lv(t)
	a := fltGuest(t, l, testguest.Options{ExtraCmdline: "kvmtest.noacpi"}, srv)
	b := fltGuest(t, l, testguest.Options{MemoryMiB: 384}, srv)
	c := fltGuest(t, l, testguest.Options{NoVNC: true}, srv)
	for _, g := range []guest{a, b, c} {
		fltBoot(t, g)
	}
	waitFor(t, 30*time.Second, "the API to see the guests running", func() bool {
		return getVM(t, a.UUID).State == "running" && getVM(t, b.UUID).State == "running" && getVM(t, c.UUID).State == "running"
	})

	// "The UI is open": an event stream, both consoles of a.
	events := openEvents(t, "host,operation,vm,snapshot")
	gc, err := fltOpenConsole(t, srv, a.UUID)
	if err != nil {
		t.Fatal(err)
	}
	gcFullUpdate(t, gc.rfb)
	sv := fltSerial(t, srv, a.UUID)
	svConnected, _ := sv.waitState(0, "connected")
	fltAsk(t, sv, "$((6*7))")
	health := fltWatchHealth(srv)

	// A long operation: the guest ignores the ACPI request.
	var shutdown opJSON
	if st, body := apiJSON("POST", "/api/v1/hosts/local/vms/"+a.UUID+"/shutdown", map[string]any{"timeoutSeconds": 45}, &shutdown); st != 202 {
		t.Fatalf("shutdown: %d %s", st, body)
	}

	// A snapshot with memory is being written when libvirtd dies: the
	// guest is paused for exactly that time. A snapshot that ends before
	// the pause is seen is an ordinary one; take another.
	var snapOp opJSON
	var killed time.Time
	var lost string
	for attempt := 1; killed.IsZero(); attempt++ {
		if attempt > 8 {
			t.Fatal("never caught a snapshot in progress in 8 attempts")
		}
		name := fmt.Sprintf("lvd-%d", attempt)
		if st, body := apiJSON("POST", snapPath(b.UUID), map[string]any{"name": name, "memory": true}, &snapOp); st != 202 {
			t.Fatalf("snapshot: %d %s", st, body)
		}
		stop := fltOpEnded(srv, snapOp.ID)
		if fltWatchPaused(l, b.Dom, 60*time.Second, stop, func() { killed = fltKillLibvirtd(t) }) {
			lost = name
			break
		}
		<-stop
		if op := waitOp(t, snapOp.ID, time.Second); op.State != "succeeded" {
			t.Fatalf("snapshot %s without a fault: %s %+v", name, op.State, op.Error)
		}
		t.Logf("snapshot %s ended before it was seen in progress; again", name)
	}

	down := waitEvent(t, events, 15*time.Second, "host reconnecting", hostEvent("reconnecting"))
	t.Logf("figure: host reconnecting %s after SIGKILL of libvirtd", down.At.Sub(killed).Round(time.Millisecond))

	// While libvirtd is down the API answers from its cache and refuses
	// actions with a reason; a VM's QEMU dies meanwhile.
	if st, body := api("GET", "/api/v1/vms", nil); st != 200 {
		t.Errorf("list VMs while libvirtd is down: %d %s", st, body)
	}
	var e apiError
	if st, body := apiJSON("POST", "/api/v1/hosts/local/vms/"+c.UUID+"/pause", nil, &e); st != 503 || e.Error.Code != "host_unavailable" || e.Error.Hint == "" {
		t.Errorf("action while libvirtd is down: %d %s", st, body)
	}
	if st, body := apiJSON("POST", snapPath(c.UUID), map[string]any{"name": "down"}, &e); st != 503 || e.Error.Code != "host_unavailable" {
		t.Errorf("snapshot while libvirtd is down: %d %s", st, body)
	}
	fltKillQemu(t, fltQemuPID(t, c))

	restarted := fltRestartLibvirtd(t)
	t.Logf("figure: libvirtd was down %s (SIGKILL to answering again)", restarted.Sub(killed).Round(time.Millisecond))
	up := waitEvent(t, events, 30*time.Second, "host connected", hostEvent("connected"))
	// The server may reconnect before virsh, which the restart waits on,
	// returns: then the first figure is negative.
	t.Logf("figure: host connected %s after libvirtd answered virsh again, %s after the kill",
		up.At.Sub(restarted).Round(time.Millisecond), up.At.Sub(killed).Round(time.Millisecond))

	// The interrupted snapshot ends once libvirtd is back, with a clear
	// error: libvirt has no record of it, and the error says what became
	// of the VM. libvirt 9.0 leaves it paused (we resume it), or kills it
	// when it cannot reconnect to a QEMU still busy writing the snapshot.
	op := fltWaitOp(t, srv, snapOp.ID, 90*time.Second)
	t.Logf("figure: the interrupted snapshot operation ended %s after the kill: %s %+v", time.Since(killed).Round(time.Millisecond), op.State, op.Error)
	fltClearFailure(t, "snapshot create interrupted by the libvirtd kill", op)
	waitEvent(t, events, 5*time.Second, "the snapshot's failure on the event stream", opEvent(snapOp.ID, "failed"))
	bState := virsh(t, "domstate", "--reason", b.Name)
	t.Logf("after the interrupted snapshot %s is %s", b.Name, bState)
	switch {
	case op.Error == nil || op.Error.Code != "snapshot_interrupted" || !strings.Contains(op.Error.Hint, "new name"):
		t.Errorf("interrupted snapshot: %+v, want snapshot_interrupted asking for a new name", op.Error)
	case bState == "running (unpaused)":
		if !strings.Contains(op.Error.Message, "was resumed") {
			t.Errorf("the VM was resumed, but the error does not say so: %+v", op.Error)
		}
	case strings.HasPrefix(bState, "shut off"):
		if !strings.Contains(op.Error.Message, "shut off now") {
			t.Errorf("the VM is off, but the error does not say so: %+v", op.Error)
		}
	default:
		t.Errorf("after the interrupted snapshot %s is %s, want running again (resumed) or shut off", b.Name, bState)
	}
	if names := virshSnapshotNames(t, b.Name); containsString(names, lost) {
		t.Errorf("libvirt holds the snapshot %q whose operation failed: %v", lost, names)
	}
	snapTreeMatches(t, b)
	orphaned := containsString(fltImageSnapshots(t, b), lost)
	t.Logf("QEMU left %q in the qcow2 image without libvirt metadata: %v", lost, orphaned)

	// The VM whose QEMU died while libvirtd was down is shown shut off.
	waitFor(t, 20*time.Second, c.Name+" shown shut off", func() bool { return getVM(t, c.UUID).State == "shutoff" })
	fltStatesMatch(t, srv, 20*time.Second)

	// The ACPI shutdown was not interrupted: it kept waiting across the
	// reconnect and ends with its own clear error, as the guest ignores ACPI.
	sd := fltWaitOp(t, srv, shutdown.ID, 90*time.Second)
	fltClearFailure(t, "ACPI shutdown of a guest that ignores it", sd)
	if sd.Error != nil && sd.Error.Code != "shutdown_timeout" {
		t.Errorf("ACPI shutdown ended with %+v, want shutdown_timeout", sd.Error)
	}
	waitEvent(t, events, 5*time.Second, "the shutdown's end on the event stream", opEvent(shutdown.ID, "failed"))
	if s := virshState(t, a.Name); s != "running" {
		t.Errorf("%s is %s after an ignored ACPI shutdown", a.Name, s)
	}

	// The graphical console stayed open (it talks to QEMU, which lived
	// on) and still types into the guest.
	since := testguest.LogSize(a.Log)
	if err := gc.typeKeys("echo G=$((6*7)) >/dev/ttyS1\n"); err != nil {
		t.Errorf("the graphical console opened before the kill no longer works: %v", err)
	} else {
		gcWaitLog(t, a, since, "G=42")
	}
	// The serial console said it was cut off, reopened by itself, and works.
	sv.waitState(svConnected+1, "reopened")
	t.Logf("serial console states seen: %v", serialStates(sv))
	fltAsk(t, sv, "$((6*7))")

	// New consoles open.
	gc2, err := fltOpenConsole(t, srv, a.UUID)
	if err != nil {
		t.Fatalf("a new graphical console after the reconnect: %v", err)
	}
	gcFullUpdate(t, gc2.rfb)
	sv2 := fltSerial(t, srv, a.UUID)
	sv2.waitState(0, "reopened")
	fltAsk(t, sv2, "$((6*7))")

	// Taking the snapshot again under a new name, as the error says, works.
	if !strings.HasPrefix(bState, "running") {
		fltBoot(t, b)
	}
	snapCreate(t, b.UUID, map[string]any{"name": "retake"})
	snapTreeMatches(t, b)
	health.end(t)
}

// serialStates lists the states a viewer was told, in order.
func serialStates(v *viewer) []string {
	var out []string
	for _, m := range v.controls() {
		if m["type"] == "status" {
			out = append(out, fmt.Sprint(m["state"]))
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
