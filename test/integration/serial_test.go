//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// serialTimeout bounds waits for console output: the guest is TCG on a
// shared machine, so give it time.
const serialTimeout = 60 * time.Second

type serialTicket struct {
	Ticket           string
	URL              string
	ExpiresInSeconds int `json:"expiresInSeconds"`
}

type apiError struct {
	Error struct{ Code, Message, Hint string }
}

func serialPath(uuid string) string { return "/api/v1/hosts/local/vms/" + uuid + "/serial" }

// ticketFor asks for a serial console ticket with the bearer token.
func ticketFor(t *testing.T, uuid string, body any) serialTicket {
	t.Helper()
	var tk serialTicket
	st, b := apiJSON("POST", serialPath(uuid), body, &tk)
	if st != 200 || tk.Ticket == "" || !strings.HasPrefix(tk.URL, serialPath(uuid)+"/ws?ticket=") {
		t.Fatalf("POST serial: %d %s", st, b)
	}
	return tk
}

func wsURL(path string) string { return "ws" + strings.TrimPrefix(baseURL, "http") + path }

func bearer() http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// viewer is one WebSocket client of a serial console. A goroutine reads
// everything: terminal bytes into out, control messages into ctrl.
type viewer struct {
	t    *testing.T
	c    *websocket.Conn
	mu   sync.Mutex
	out  bytes.Buffer
	ctrl []map[string]any
	err  error
	done chan struct{}
}

func openViewer(t *testing.T, path string, h http.Header) *viewer {
	t.Helper()
	return openViewerAt(t, baseURL, path, h)
}

// openViewerAt is openViewer on the server at base (another than the
// suite's, e.g. the network namespace's).
func openViewerAt(t *testing.T, base, path string, h http.Header) *viewer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("open serial console: %v (HTTP %d)", err, status)
	}
	c.SetReadLimit(1 << 20)
	v := &viewer{t: t, c: c, done: make(chan struct{})}
	go v.read()
	t.Cleanup(func() { _ = c.CloseNow(); <-v.done })
	return v
}

// refused dials a WebSocket URL that must be refused before the upgrade
// with status and error code.
func refused(t *testing.T, path string, h http.Header, status int, code string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, wsURL(path), &websocket.DialOptions{HTTPHeader: h})
	if err == nil {
		_ = c.CloseNow()
		t.Fatalf("%s: the upgrade was accepted", path)
	}
	if res == nil || res.StatusCode != status {
		t.Fatalf("%s: %v, want HTTP %d", path, err, status)
	}
	var e apiError
	body, _ := io.ReadAll(res.Body)
	if json.Unmarshal(body, &e) != nil || e.Error.Code != code {
		t.Fatalf("%s: body %s, want code %s", path, body, code)
	}
}

func (v *viewer) read() {
	defer close(v.done)
	for {
		typ, p, err := v.c.Read(context.Background())
		v.mu.Lock()
		if err != nil {
			v.err = err
			v.mu.Unlock()
			return
		}
		if typ == websocket.MessageBinary {
			v.out.Write(p)
		} else {
			var m map[string]any
			if json.Unmarshal(p, &m) != nil {
				v.err = &json.SyntaxError{}
				v.mu.Unlock()
				return
			}
			v.ctrl = append(v.ctrl, m)
		}
		v.mu.Unlock()
	}
}

func (v *viewer) output() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.out.String()
}

func (v *viewer) controls() []map[string]any {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]map[string]any(nil), v.ctrl...)
}

// waitOutput waits until the console output, from byte from on, contains s.
func (v *viewer) waitOutput(from int, s string) {
	v.t.Helper()
	v.waitFor("output "+s, func() bool { o := v.output(); return len(o) >= from && strings.Contains(o[from:], s) })
}

// waitState waits for a status message with this state after the first
// `after` control messages, and returns its index.
func (v *viewer) waitState(after int, state string) (int, map[string]any) {
	v.t.Helper()
	idx, msg := -1, map[string]any(nil)
	v.waitFor("state "+state, func() bool {
		for i, m := range v.controls() {
			if i >= after && m["type"] == "status" && m["state"] == state {
				idx, msg = i, m
				return true
			}
		}
		return false
	})
	return idx, msg
}

func (v *viewer) waitFor(what string, cond func() bool) {
	v.t.Helper()
	deadline := time.Now().Add(serialTimeout)
	for !cond() {
		v.mu.Lock()
		err := v.err
		v.mu.Unlock()
		if err != nil {
			v.t.Fatalf("waiting for %s: the console closed: %v\noutput: %q\ncontrol: %v", what, err, v.output(), v.controls())
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("timed out waiting for %s\noutput: %q\ncontrol: %v", what, v.output(), v.controls())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (v *viewer) waitClosed() websocket.StatusCode {
	v.t.Helper()
	select {
	case <-v.done:
	case <-time.After(serialTimeout):
		v.t.Fatal("the console did not close")
	}
	return websocket.CloseStatus(v.err)
}

func (v *viewer) send(s string) {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.c.Write(ctx, websocket.MessageBinary, []byte(s)); err != nil {
		v.t.Fatalf("send %q: %v", s, err)
	}
}

func (v *viewer) sendControl(s string) {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		v.t.Fatalf("send %s: %v", s, err)
	}
}

// runningGuest makes a test guest, boots it and returns it.
func runningGuest(t *testing.T, l *libvirt.Libvirt) guest {
	t.Helper()
	g := newGuest(t, l, "")
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	waitFor(t, 20*time.Second, "the API to see "+g.Name+" running", func() bool { return getVM(t, g.UUID).State == "running" })
	return g
}

// TestSerialConsoleSharedAndSecured types into a real guest's console over
// the WebSocket and reads the answer there; a second viewer shares the
// console and gets the scrollback; tickets, Origin and input limits hold;
// binary garbage from the guest breaks nothing.
func TestSerialConsoleSharedAndSecured(t *testing.T) {
	l := lv(t)
	g := runningGuest(t, l)

	tk := ticketFor(t, g.UUID, nil)
	if tk.ExpiresInSeconds != 30 {
		t.Errorf("ticket expires in %d s, want 30", tk.ExpiresInSeconds)
	}
	a := openViewer(t, tk.URL, bearer())
	a.waitState(0, "connected")
	ctrl := a.controls()
	if len(ctrl) < 3 || ctrl[0]["type"] != "scrollback-start" {
		t.Fatalf("the console did not start with its scrollback: %v", ctrl)
	}

	// The ticket was single-use; any other ticket, VM or missing ticket is refused.
	refused(t, tk.URL, bearer(), 403, "invalid_ticket")
	refused(t, serialPath(g.UUID)+"/ws", bearer(), 403, "invalid_ticket")
	refused(t, serialPath(g.UUID)+"/ws?ticket=nonsense", bearer(), 403, "invalid_ticket")
	other := ticketFor(t, g.UUID, nil)
	refused(t, strings.Replace(other.URL, g.UUID, "00000000-0000-4000-8000-000000000000", 1), bearer(), 403, "invalid_ticket")
	refused(t, other.URL, bearer(), 403, "invalid_ticket") // burnt by the failed attempt

	// Type a command; its answer comes back over the WebSocket.
	a.send("echo R=$((6*7))\r")
	a.waitOutput(0, "R=42")

	// A second viewer sees what was printed before it came, then live output
	// of commands either viewer types.
	b := openViewer(t, ticketFor(t, g.UUID, nil).URL, bearer())
	b.waitState(0, "connected")
	if !strings.Contains(b.output(), "R=42") {
		t.Fatalf("late viewer's scrollback lacks earlier output: %q", b.output())
	}
	fromA, fromB := len(a.output()), len(b.output())
	b.send("echo B=$((7*6))\r")
	a.waitOutput(fromA, "B=42")
	b.waitOutput(fromB, "B=42")

	// Binary garbage from the guest reaches the viewers as bytes and breaks
	// nothing: the console still answers afterwards.
	fromA = len(a.output())
	a.send("head -c 3000 /dev/urandom; echo; echo G=$((6*7))\r")
	a.waitOutput(fromA, "G=42")
	if n := len(a.output()) - fromA; n < 2000 {
		t.Fatalf("only %d bytes of garbage arrived", n)
	}
	fromB = len(b.output())
	b.send("echo AFTER=$((6*7))\r")
	b.waitOutput(fromB, "AFTER=42")

	// An input frame over 4 KiB closes that viewer (1009) and only that one.
	c := openViewer(t, ticketFor(t, g.UUID, nil).URL, bearer())
	c.waitState(0, "connected")
	c.send(strings.Repeat("x", 5000))
	if code := c.waitClosed(); code != websocket.StatusMessageTooBig {
		t.Fatalf("oversized input closed with %v, want 1009", code)
	}
	fromA = len(a.output())
	a.send("echo STILL=$((6*7))\r")
	a.waitOutput(fromA, "STILL=42")
	if strings.Contains(a.output()[fromA:], "xxxx") {
		t.Fatal("part of the oversized frame reached the guest")
	}
}

// TestSerialConsoleBrowserSession checks the cookie session path: the
// ticket works from our own origin and is refused from another.
func TestSerialConsoleBrowserSession(t *testing.T) {
	l := lv(t)
	g := runningGuest(t, l)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	login, _ := json.Marshal(map[string]string{"token": token})
	res, err := client.Post(baseURL+"/api/v1/login", "application/json", bytes.NewReader(login))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", err, res)
	}
	var sess struct{ CSRFToken string }
	_ = json.NewDecoder(res.Body).Decode(&sess)
	res.Body.Close()
	mint := func() serialTicket {
		req, _ := http.NewRequest("POST", baseURL+serialPath(g.UUID), nil)
		req.Header.Set("X-CSRF-Token", sess.CSRFToken)
		req.Header.Set("Origin", baseURL)
		res, err := client.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("ticket with a session: %v %v", err, res)
		}
		defer res.Body.Close()
		var tk serialTicket
		_ = json.NewDecoder(res.Body).Decode(&tk)
		return tk
	}
	u, _ := url.Parse(baseURL)
	cookies := jar.Cookies(u)
	if len(cookies) == 0 {
		t.Fatal("login set no cookie")
	}
	h := func(origin string) http.Header {
		hh := http.Header{}
		for _, c := range cookies {
			hh.Add("Cookie", c.Name+"="+c.Value)
		}
		if origin != "" {
			hh.Set("Origin", origin)
		}
		return hh
	}
	refused(t, mint().URL, h("http://evil.example"), 403, "origin_mismatch")
	refused(t, mint().URL, h(""), 403, "origin_mismatch")
	// A ticket minted for this session is refused to the bearer token.
	refused(t, mint().URL, bearer(), 403, "invalid_ticket")
	v := openViewer(t, mint().URL, h(baseURL))
	v.waitState(0, "connected")
	v.send("echo S=$((6*7))\r")
	v.waitOutput(0, "S=42")
}

// TestSerialConsoleFollowsRestarts restarts the VM under a viewer (which
// sees vm-stopped, then the new boot's output), and again with no viewer
// (the console reopens by itself and keeps the boot output for the next).
func TestSerialConsoleFollowsRestarts(t *testing.T) {
	l := lv(t)
	g := runningGuest(t, l)
	a := openViewer(t, ticketFor(t, g.UUID, nil).URL, bearer())
	connected, _ := a.waitState(0, "connected")

	virsh(t, "destroy", g.Name)
	stopped, msg := a.waitState(connected, "vm-stopped")
	if msg["hint"] == nil || msg["message"] == nil {
		t.Errorf("vm-stopped status without message and hint: %v", msg)
	}
	// The console may learn of the stop before the inventory does.
	waitFor(t, 20*time.Second, "the API to see the VM shut off", func() bool { return getVM(t, g.UUID).State == "shutoff" })
	st, b := apiJSON("POST", serialPath(g.UUID), nil, nil)
	if st != 409 || !strings.Contains(string(b), "vm_not_running") {
		t.Fatalf("ticket for a stopped VM: %d %s", st, b)
	}
	from := len(a.output())
	boot := bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	a.waitState(stopped, "reopened")
	a.waitOutput(from, testguest.ReadyMarker+" boot="+boot)

	// Nobody watching: the console stays open, follows a restart, and the
	// next viewer finds the new boot's output in the scrollback.
	_ = a.c.Close(websocket.StatusNormalClosure, "")
	<-a.done
	virsh(t, "destroy", g.Name)
	boot2 := bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	waitFor(t, 20*time.Second, "the API to see the VM running", func() bool { return getVM(t, g.UUID).State == "running" })
	late := openViewer(t, ticketFor(t, g.UUID, nil).URL, bearer())
	late.waitState(0, "reopened")
	late.waitOutput(0, testguest.ReadyMarker+" boot="+boot2)
	if !strings.Contains(late.output(), testguest.ReadyMarker+" boot="+boot) {
		t.Errorf("the scrollback lost the first boot's output")
	}
}

// holdConsole opens the VM's console from another libvirt client (as virsh
// console does) and keeps it until the returned stop is called or someone
// takes it over. ended receives how its stream ended.
func holdConsole(t *testing.T, g guest, force bool) (ended <-chan error, stop func()) {
	t.Helper()
	l, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	var flags uint32
	if force {
		flags = uint32(libvirt.DomainConsoleForce)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	opened := make(chan struct{})
	var once sync.Once
	go func() {
		done <- l.DomainOpenConsoleBidirectional(g.Dom, libvirt.OptString{}, readerFunc(func(p []byte) (int, error) {
			once.Do(func() { close(opened) })
			return pr.Read(p)
		}), io.Discard, flags)
	}()
	select {
	case <-opened:
	case err := <-done:
		t.Fatalf("the other client could not open the console: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the other client's console did not open")
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			_ = pw.Close()
			_ = l.Disconnect()
		}
	}
	t.Cleanup(stop)
	return done, stop
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestSerialConsoleHeldByOther: another client holds the console; the API
// says so and takes it over when asked; and when another client takes it
// over from us, we say so and do not fight back.
func TestSerialConsoleHeldByOther(t *testing.T) {
	l := lv(t)
	g := runningGuest(t, l)
	otherEnded, _ := holdConsole(t, g, false)

	a := openViewer(t, ticketFor(t, g.UUID, nil).URL, bearer())
	held, msg := a.waitState(0, "held-by-other")
	if s, _ := msg["hint"].(string); !strings.Contains(s, "take-over") {
		t.Errorf("held-by-other does not offer to take over: %v", msg)
	}
	a.send("echo LOST=$((6*7))\r") // dropped: the console is not ours
	a.sendControl(`{"type":"take-over"}`)
	a.waitState(held, "connected")
	select {
	case err := <-otherEnded:
		if err == nil {
			t.Log("the other client's stream ended cleanly")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the other client kept the console after the take-over")
	}
	from := len(a.output())
	a.send("echo MINE=$((6*7))\r")
	a.waitOutput(from, "MINE=42")
	if strings.Contains(a.output(), "LOST=42") {
		t.Error("input typed while another client held the console reached the guest")
	}

	// Another client takes it from us: the viewer is told, the session
	// waits instead of taking it back.
	before := len(a.controls())
	thiefEnded, stopThief := holdConsole(t, g, true)
	_, msg = a.waitState(before, "held-by-other")
	if s, _ := msg["message"].(string); !strings.Contains(s, "took") {
		t.Errorf("status does not say the console was taken over: %v", msg)
	}
	time.Sleep(2 * time.Second)
	select {
	case err := <-thiefEnded:
		t.Fatalf("the session took the console back by itself: %v", err)
	default:
	}

	// A ticket with force takes it over for every viewer.
	// The console was open before, so it is "reopened" now.
	b := openViewer(t, ticketFor(t, g.UUID, map[string]bool{"force": true}).URL, bearer())
	b.waitState(0, "reopened")
	a.waitState(before, "reopened")
	select {
	case <-thiefEnded:
	case <-time.After(20 * time.Second):
		t.Fatal("the other client kept the console after a forced ticket")
	}
	stopThief()
	from = len(a.output())
	b.send("echo BACK=$((6*7))\r")
	a.waitOutput(from, "BACK=42")
}

// TestSerialConsoleMissing: a VM without a serial console is refused with a
// hint; adding one changes the stored configuration only; after a restart,
// the console works.
func TestSerialConsoleMissing(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	// Take the console and serial ports out of its configuration.
	doc, err := l.DomainGetXMLDesc(g.Dom, libvirt.DomainXMLInactive)
	if err != nil {
		t.Fatal(err)
	}
	var def libvirtxml.Domain
	if err := def.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	def.Devices.Serials, def.Devices.Consoles = nil, nil
	doc, _ = def.Marshal()
	if _, err := l.DomainDefineXML(doc); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the API to see the change", func() bool {
		var vm struct{ SerialConsole bool }
		apiJSON("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, &vm)
		return !vm.SerialConsole
	})
	expect := func(method, path string, status int, code, hintHas string) {
		t.Helper()
		var e apiError
		st, b := apiJSON(method, path, nil, &e)
		if st != status || e.Error.Code != code || !strings.Contains(e.Error.Hint, hintHas) {
			t.Fatalf("%s %s: %d %s; want %d %s with a hint containing %q", method, path, st, b, status, code, hintHas)
		}
	}
	expect("POST", serialPath(g.UUID), 409, "vm_not_running", "start")
	virsh(t, "start", g.Name)
	waitFor(t, 20*time.Second, "the API to see it running", func() bool { return getVM(t, g.UUID).State == "running" })
	expect("POST", serialPath(g.UUID), 422, "no_serial_console", "add one")

	var added struct {
		Message   string
		NextStart bool                         `json:"nextStart"`
		VM        struct{ SerialConsole bool } `json:"vm"`
	}
	st, b := apiJSON("POST", serialPath(g.UUID)+"/device", nil, &added)
	if st != 200 || !added.NextStart || !strings.Contains(added.Message, "next start") {
		t.Fatalf("add a serial console: %d %s", st, b)
	}
	inactive := virsh(t, "dumpxml", "--inactive", g.Name)
	live := virsh(t, "dumpxml", g.Name)
	if !strings.Contains(inactive, "<serial type='pty'>") || !strings.Contains(inactive, "<console type='pty'>") {
		t.Fatalf("the stored configuration has no pty serial console:\n%s", inactive)
	}
	if strings.Contains(live, "<serial") {
		t.Fatal("the running VM changed; the console should wait for the next start")
	}
	expect("POST", serialPath(g.UUID), 422, "no_serial_console", "next starts")
	expect("POST", serialPath(g.UUID)+"/device", 409, "serial_console_exists", "")

	virsh(t, "destroy", g.Name)
	virsh(t, "start", g.Name)
	waitFor(t, 20*time.Second, "the API to see the console", func() bool {
		var vm struct {
			State         string
			SerialConsole bool
		}
		apiJSON("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, &vm)
		return vm.State == "running" && vm.SerialConsole
	})
	v := openViewer(t, ticketFor(t, g.UUID, nil).URL, bearer())
	v.waitState(0, "connected")
	// The guest may still be booting: type until the shell answers.
	deadline := time.Now().Add(serialTimeout)
	for !strings.Contains(v.output(), "N=42") {
		if time.Now().After(deadline) {
			t.Fatalf("the added console never answered: %q", v.output())
		}
		v.send("echo N=$((6*7))\r")
		time.Sleep(time.Second)
	}
	expect("POST", serialPath(g.UUID)+"/device", 409, "serial_console_exists", "")
}
