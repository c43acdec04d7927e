package vnc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console"
	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc/rfb"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/host/machine/machinefake"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

const testVMUUID = "3ebff392-0803-4fe8-8612-5bed46ecf81f"

// fakeQEMU is a VNC server on loopback that does QEMU's handshake (with a
// password) and then either echoes what it gets or answers requests.
type fakeQEMU struct {
	t        *testing.T
	ln       net.Listener
	password string
	echo     bool // echo every byte after ClientInit
	mu       sync.Mutex
	inits    [][]byte // ClientInit bytes seen, one per connection
	received bytes.Buffer
	conns    []net.Conn
	closed   chan struct{} // gets a value when a connection ends
}

func newFakeQEMU(t *testing.T, password string, echo bool) *fakeQEMU {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeQEMU{t: t, ln: ln, password: password, echo: echo, closed: make(chan struct{}, 16)}
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
	})
	go f.accept()
	return f
}

func (f *fakeQEMU) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		go f.serve(c)
	}
}

func (f *fakeQEMU) serve(c net.Conn) {
	defer func() { c.Close(); f.closed <- struct{}{} }()
	types := []byte{rfb.SecNone}
	if f.password != "" {
		types = []byte{rfb.SecVNCAuth}
	}
	hs := &consoletest.VNCServer{Version: rfb.Version38, Types: types, Password: f.password}
	if err := hs.Serve(c); err != nil {
		return
	}
	f.mu.Lock()
	f.inits = append(f.inits, hs.ClientInit)
	f.mu.Unlock()
	buf := make([]byte, 64<<10)
	var pending []byte // client messages not yet complete
	for {
		n, err := c.Read(buf)
		if n > 0 && f.echo {
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		} else if n > 0 {
			f.mu.Lock()
			f.received.Write(buf[:n])
			f.mu.Unlock()
			pending = append(pending, buf[:n]...)
			// Answer each complete FramebufferUpdateRequest with a 2x1 raw
			// rectangle; KeyEvents (8 bytes) are only recorded.
			for len(pending) > 0 {
				size := map[byte]int{3: 10, 4: 8}[pending[0]]
				if size == 0 || len(pending) < size {
					break
				}
				if pending[0] == 3 {
					_, _ = c.Write([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})
				}
				pending = pending[size:]
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *fakeQEMU) target() Target {
	return Target{VMName: "fake", Network: "tcp", Address: f.ln.Addr().String(), password: f.password}
}

// fakeVMs is an inventory of VMs by UUID.
type fakeVMs map[string]inventory.VM

func (f fakeVMs) Get(_, uuid string) (inventory.VM, error) {
	vm, ok := f[uuid]
	if !ok {
		return vm, problem.New(problem.NotFound, "vm_not_found", "no such VM", "")
	}
	return vm, nil
}

// machineHosts is the proxy's Hosts with every host on the computer m and
// no libvirt link.
type machineHosts struct{ m machine.Machine }

func (machineHosts) Client(string) (virt.Conn, error) {
	return nil, errors.New("this test has no libvirt link")
}

func (h machineHosts) Machine(string) (machine.Machine, error) { return h.m, nil }

// localHosts puts every host on this computer, where the fake VNC servers
// listen.
func localHosts() machineHosts { return machineHosts{machine.NewLocal(machine.LocalOptions{})} }

// proxyRig serves one VNC proxy over httptest, reaching the target given.
type proxyRig struct {
	v        *Proxy
	srv      *httptest.Server
	accepted atomic.Int32
	serveErr chan error
}

func newProxyRig(t *testing.T, opts Options, resolve func(host, uuid string) (Target, error)) *proxyRig {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Hosts == nil {
		opts.Hosts = localHosts()
	}
	if opts.Inventory == nil {
		opts.Inventory = fakeVMs{testVMUUID: {UUID: testVMUUID, Name: "fake", State: "running", Graphics: []inventory.Graphics{{Type: "vnc"}}}}
	}
	rig := &proxyRig{v: New(opts), serveErr: make(chan error, 16)}
	rig.v.resolve = resolve
	rig.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept := func() (*wsframe.Conn, error) {
			return wsframe.Accept(&hijackCounter{ResponseWriter: w, n: &rig.accepted}, r, ReadBufferSize)
		}
		err := rig.v.Serve(r.Context(), "local", testVMUUID, accept)
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
		}
		rig.serveErr <- err
	}))
	t.Cleanup(rig.srv.Close)
	return rig
}

// hijackCounter counts the connections taken over: the upgrades answered.
type hijackCounter struct {
	http.ResponseWriter
	n *atomic.Int32
}

func (h *hijackCounter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.n.Add(1)
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

func (h *hijackCounter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (rig *proxyRig) dial(t *testing.T) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(rig.srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestProxyHandshakeKeepsPasswordAndShares(t *testing.T) {
	q := newFakeQEMU(t, "s3cretpw", false)
	rig := newProxyRig(t, Options{}, func(string, string) (Target, error) { return q.target(), nil })
	ws := rig.dial(t)
	rw := consoletest.WebSocketStream(ws)

	// The browser's side, by hand: it must be offered None only, and must
	// never see anything of the password.
	var seen bytes.Buffer
	read := func(n int) []byte {
		b := make([]byte, n)
		if _, err := io.ReadFull(rw, b); err != nil {
			t.Fatalf("read: %v", err)
		}
		seen.Write(b)
		return b
	}
	if v := read(12); string(v) != rfb.Version38 {
		t.Fatalf("version %q", v)
	}
	_, _ = io.WriteString(rw, rfb.Version38)
	if types := read(2); !bytes.Equal(types, []byte{1, rfb.SecNone}) {
		t.Fatalf("security types %v, want [None]", types)
	}
	_, _ = rw.Write([]byte{rfb.SecNone})
	if res := read(4); !bytes.Equal(res, []byte{0, 0, 0, 0}) {
		t.Fatalf("security result %v", res)
	}
	_, _ = rw.Write([]byte{0}) // ClientInit asking for an exclusive session
	cl, err := consoletest.ReadServerInit(rw)
	if err != nil {
		t.Fatal(err)
	}
	if cl.Width != 720 || cl.Height != 400 || cl.Name != "QEMU (fake)" {
		t.Fatalf("ServerInit %+v", cl)
	}
	if bytes.Contains(seen.Bytes(), []byte("s3cretpw")) {
		t.Fatal("the password reached the browser")
	}

	// Input reaches the VM's VNC server byte for byte, and pixels come back.
	if err := cl.KeyEvent(true, 0xff0d); err != nil {
		t.Fatal(err)
	}
	if err := cl.RequestUpdate(false); err != nil {
		t.Fatal(err)
	}
	rects, err := cl.ReadUpdate(true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rects) != 1 || !bytes.Equal(rects[0].Pixels, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("update %+v", rects)
	}
	q.mu.Lock()
	got, inits := q.received.Bytes(), q.inits
	q.mu.Unlock()
	want := []byte{4, 1, 0, 0, 0, 0, 0xff, 0x0d, 3, 0, 0, 0, 0, 0, 2, 0xd0, 1, 0x90}
	if !bytes.Equal(got, want) {
		t.Errorf("VNC server received % x, want % x", got, want)
	}
	if len(inits) != 1 || inits[0][0] != 1 {
		t.Errorf("ClientInit at the VNC server = %v, want shared (1)", inits)
	}
	if rig.v.Sessions() != 1 {
		t.Errorf("Sessions() = %d, want 1", rig.v.Sessions())
	}
}

func TestProxyClosesTheOtherSide(t *testing.T) {
	q := newFakeQEMU(t, "", true)
	rig := newProxyRig(t, Options{}, func(string, string) (Target, error) { return q.target(), nil })

	// The browser leaves: the VNC connection closes.
	ws := rig.dial(t)
	if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
		t.Fatal(err)
	}
	_ = ws.Close(websocket.StatusNormalClosure, "")
	select {
	case <-q.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the VNC connection stayed open after the browser left")
	}
	waitUntil(t, "the session to end", func() bool { return rig.v.Sessions() == 0 })

	// The VM's display goes away: the browser is told so.
	ws = rig.dial(t)
	if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	_ = q.conns[len(q.conns)-1].Close()
	q.mu.Unlock()
	_, _, err := ws.Read(context.Background())
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusNormalClosure || !strings.Contains(ce.Reason, "display closed") {
		t.Fatalf("browser read %v, want a normal close saying the display closed", err)
	}
}

func TestProxyDropsUnresponsiveBrowser(t *testing.T) {
	q := newFakeQEMU(t, "", true)
	rig := newProxyRig(t, Options{PingInterval: 30 * time.Millisecond}, func(string, string) (Target, error) { return q.target(), nil })
	ws := rig.dial(t)
	if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
		t.Fatal(err)
	}
	// The client stops reading, so it answers no pings: a half-open peer.
	select {
	case <-q.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("an unresponsive browser kept its console open")
	}
	waitUntil(t, "the session to end", func() bool { return rig.v.Sessions() == 0 })
}

func TestProxyKeepsAnsweringBrowser(t *testing.T) {
	q := newFakeQEMU(t, "", true)
	rig := newProxyRig(t, Options{PingInterval: 20 * time.Millisecond}, func(string, string) (Target, error) { return q.target(), nil })
	ws := rig.dial(t)
	rw := consoletest.WebSocketStream(ws)
	if _, err := consoletest.RFBHandshake(rw, ""); err != nil {
		t.Fatal(err)
	}
	// A reading client answers pings and stays connected for many intervals.
	go func() { _, _ = io.Copy(io.Discard, rw) }()
	time.Sleep(300 * time.Millisecond)
	if rig.v.Sessions() != 1 {
		t.Fatal("a browser that answers pings was dropped")
	}
}

func TestProxyTellsWhyTheVMIsUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rig := newProxyRig(t, Options{}, func(string, string) (Target, error) {
		return Target{VMName: "gone", Network: "tcp", Address: addr}, nil
	})
	ws := rig.dial(t)
	_, err = consoletest.RFBHandshake(consoletest.WebSocketStream(ws), "")
	var re *rfb.Error
	if !errors.As(err, &re) || !strings.Contains(re.Msg, `cannot connect to the VNC server of VM "gone"`) {
		t.Fatalf("handshake err = %v, want the reason in the security result", err)
	}
}

func TestProxyRefusesBeforeUpgrade(t *testing.T) {
	for _, tc := range []struct {
		name string
		vm   inventory.VM
		code string
	}{
		{name: "spice only", vm: inventory.VM{State: "running", Graphics: []inventory.Graphics{{Type: "spice"}}}, code: "spice_only"},
		{name: "no graphics", vm: inventory.VM{State: "running"}, code: "no_vnc_graphics"},
		{name: "not running", vm: inventory.VM{State: "shutoff", Graphics: []inventory.Graphics{{Type: "vnc"}}}, code: "vm_not_running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resolved := false
			rig := newProxyRig(t, Options{Inventory: fakeVMs{testVMUUID: tc.vm}}, func(string, string) (Target, error) {
				resolved = true
				return Target{}, errors.New("not to be called")
			})
			res, err := http.Get(rig.srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if p, ok := problem.As(<-rig.serveErr); !ok || p.Code != tc.code {
				t.Fatalf("Serve = %v, want %s", p, tc.code)
			}
			if rig.accepted.Load() != 0 || resolved {
				t.Fatal("the WebSocket was accepted, or a target dialled, despite the problem")
			}
		})
	}
}

// The inventory may lag behind the VM: the live XML has the last word, and
// the browser learns why in RFB.
func TestProxyLiveXMLWins(t *testing.T) {
	rig := newProxyRig(t, Options{}, func(string, string) (Target, error) {
		return Target{}, errGraphicsNotRunning("fake")
	})
	ws := rig.dial(t)
	_, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), "")
	if err == nil || !strings.Contains(err.Error(), `VM "fake" is not running`) {
		t.Fatalf("handshake = %v, want the live XML's verdict", err)
	}
}

func TestCloseEndsConsolesAndRefusesNew(t *testing.T) {
	q := newFakeQEMU(t, "", true)
	rig := newProxyRig(t, Options{}, func(string, string) (Target, error) { return q.target(), nil })
	var wss []*websocket.Conn
	for range 2 {
		ws := rig.dial(t)
		if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
			t.Fatal(err)
		}
		wss = append(wss, ws)
	}
	waitUntil(t, "two sessions", func() bool { return rig.v.Sessions() == 2 })
	rig.v.Close()
	for _, ws := range wss {
		_, _, err := ws.Read(context.Background())
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Errorf("read after Close = %v, want going away", err)
		}
	}
	res, err := http.Get(rig.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// Three Serve calls ended, in no fixed order: the two consoles closed
	// by Close (nil) and the one refused after it (shutting_down).
	var nils, refused int
	for range 3 {
		select {
		case err := <-rig.serveErr:
			if err == nil {
				nils++
			} else if p, ok := problem.As(err); ok && p.Code == "shutting_down" {
				refused++
			} else {
				t.Fatalf("Serve = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of 3 Serve calls ended", nils+refused)
		}
	}
	if nils != 2 || refused != 1 {
		t.Fatalf("Serve results: %d nil, %d shutting_down; want 2 and 1", nils, refused)
	}
}

// TestRelayDoesNotAllocate checks the hot path: once a console is open,
// relaying messages in both directions allocates nothing per message.
func TestRelayDoesNotAllocate(t *testing.T) {
	q := newFakeQEMU(t, "", true)
	rig := newProxyRig(t, Options{PingInterval: time.Hour}, func(string, string) (Target, error) { return q.target(), nil })
	ws := rig.dial(t)
	rw := consoletest.WebSocketStream(ws)
	if _, err := consoletest.RFBHandshake(rw, ""); err != nil {
		t.Fatal(err)
	}
	msg := []byte{4, 1, 0, 0, 0, 0, 0, 0x61}
	back := make([]byte, len(msg))
	roundTrip := func() {
		if _, err := rw.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(rw, back); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 { // warm up pools and buffers
		roundTrip()
	}
	// The count includes the test's own client and fake server, which do
	// not allocate either; a little slack covers the runtime's own.
	if a := testing.AllocsPerRun(2000, roundTrip); a > 0.05 {
		t.Errorf("%.2f allocations per round trip, want 0", a)
	}
}

func TestDialsToOneVMAreSerialised(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var pending, maxPending atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				// Count connections that were accepted but not yet greeted,
				// as QEMU's one-slot backlog would see them.
				n := pending.Add(1)
				for {
					m := maxPending.Load()
					if n <= m || maxPending.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				pending.Add(-1)
				_ = (&consoletest.VNCServer{Version: rfb.Version38, Types: []byte{rfb.SecNone}}).Serve(c)
			}()
		}
	}()
	v := New(Options{Hosts: localHosts(), Logger: slog.New(slog.DiscardHandler)})
	tg := Target{VMName: "x", Network: "tcp", Address: ln.Addr().String()}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			c, _, err := v.connect(context.Background(), "local/"+testVMUUID, "local", tg, nil)
			if err != nil {
				t.Error(err)
				return
			}
			c.Close()
		})
	}
	wg.Wait()
	if maxPending.Load() != 1 {
		t.Errorf("%d connections to one VM were waiting at once, want 1", maxPending.Load())
	}
	if len(v.dialLocks.m) != 0 {
		t.Errorf("dial locks left behind: %d", len(v.dialLocks.m))
	}
}

func TestKeyedMutex(t *testing.T) {
	var k vncKeyedMutex
	ctx := context.Background()
	if err := k.lock(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := k.lock(ctx, "b"); err != nil { // another key does not wait
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := k.lock(short, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock of a = %v, want to wait until the deadline", err)
	}
	got := make(chan struct{})
	go func() { _ = k.lock(ctx, "a"); close(got) }()
	time.Sleep(10 * time.Millisecond)
	k.unlock("a")
	select {
	case <-got:
	case <-time.After(time.Second):
		t.Fatal("unlock did not let the waiter in")
	}
	k.unlock("a")
	k.unlock("b")
	if len(k.m) != 0 {
		t.Errorf("keys left: %v", k.m)
	}
}

// The ticket request reads the live XML (Target); the WebSocket that
// follows dials that target at once while libvirt confirms that the VM
// still runs the same QEMU, and reads the live XML only when it does not,
// or when the remembered password is refused.
func TestProxyUsesTheTicketsTarget(t *testing.T) {
	for _, tc := range []struct {
		name           string
		liveID         int32  // what libvirt says at the WebSocket
		ticketPassword string // in the target read for the ticket
		wantResolves   int32  // live XML reads, the ticket's included
		wantConns      int    // connections the VNC server saw
	}{
		{name: "same run", liveID: 7, ticketPassword: "s3cretpw", wantResolves: 1, wantConns: 1},
		{name: "restarted since the ticket", liveID: 8, ticketPassword: "s3cretpw", wantResolves: 2, wantConns: 2},
		{name: "password changed since the ticket", liveID: 7, ticketPassword: "0ldpass", wantResolves: 2, wantConns: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newFakeQEMU(t, "s3cretpw", false)
			var resolves, idChecks atomic.Int32
			inv := fakeVMs{testVMUUID: {UUID: testVMUUID, Name: "fake", State: "running", ID: 7, Graphics: []inventory.Graphics{{Type: "vnc"}}}}
			rig := newProxyRig(t, Options{Inventory: inv}, func(string, string) (Target, error) {
				tg := q.target()
				if resolves.Add(1) == 1 {
					tg.password = tc.ticketPassword
				}
				return tg, nil
			})
			rig.v.liveID = func(string, string) (int32, error) { idChecks.Add(1); return tc.liveID, nil }
			if _, err := rig.v.Target("local", testVMUUID); err != nil {
				t.Fatal(err)
			}
			cl, err := consoletest.RFBHandshake(consoletest.WebSocketStream(rig.dial(t)), "")
			if err != nil {
				t.Fatal(err)
			}
			if cl.Name != "QEMU (fake)" {
				t.Fatalf("ServerInit %+v", cl)
			}
			if resolves.Load() != tc.wantResolves || idChecks.Load() != 1 {
				t.Errorf("%d live XML reads and %d id checks, want %d and 1", resolves.Load(), idChecks.Load(), tc.wantResolves)
			}
			waitUntil(t, "the VNC server to see the connections", func() bool {
				q.mu.Lock()
				defer q.mu.Unlock()
				return len(q.conns) >= tc.wantConns
			})
			q.mu.Lock()
			conns := len(q.conns)
			q.mu.Unlock()
			if conns != tc.wantConns {
				t.Errorf("the VNC server saw %d connections, want %d", conns, tc.wantConns)
			}
		})
	}
}

// The VNC server is dialled on the computer of the VM's host, at the
// address its live XML names.
func TestProxyDialsOnTheHostsComputer(t *testing.T) {
	q := newFakeQEMU(t, "", true)
	m := machinefake.New()
	m.OnDial(func(network, address string) (net.Conn, error) {
		return net.Dial("tcp", q.ln.Addr().String())
	})
	tg := Target{VMName: "fake", Network: "unix", Address: "/run/libvirt/qemu/vnc-fake.sock"}
	rig := newProxyRig(t, Options{Hosts: machineHosts{m}}, func(string, string) (Target, error) { return tg, nil })
	ws := rig.dial(t)
	if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
		t.Fatal(err)
	}
	if calls := m.Calls(); len(calls) != 1 || calls[0] != "Dial unix /run/libvirt/qemu/vnc-fake.sock" {
		t.Errorf("calls = %v, want one dial of the VM's socket", calls)
	}
}

// A host whose computer KVM Manager cannot reach (TLS) has no graphical
// console, and the problem says so rather than "unreachable".
func TestProxyOnUnsupportedMachine(t *testing.T) {
	v := New(Options{Hosts: machineHosts{machinefake.NewUnsupported("the host is reached over TLS")}, Logger: slog.New(slog.DiscardHandler)})
	_, _, err := v.connect(context.Background(), "far/"+testVMUUID, "far", Target{VMName: "x", Network: "tcp", Address: "127.0.0.1:5900"}, nil)
	if p, ok := problem.As(err); !ok || p.Kind != problem.Unsupported || p.Code != "console_unsupported" ||
		!strings.Contains(p.Message, `host "far"`) || !strings.Contains(p.Message, "reached over TLS") {
		t.Fatalf("err = %v, want console_unsupported naming the host and why", err)
	}
	if len(v.dialLocks.m) != 0 {
		t.Errorf("dial locks left behind: %d", len(v.dialLocks.m))
	}
}

func TestKnownTargetsExpire(t *testing.T) {
	v := New(Options{Logger: slog.New(slog.DiscardHandler)})
	now := time.Now()
	v.remember("h/old", vncKnownTarget{id: 3, at: now.Add(-console.TicketTTL - time.Second)})
	v.remember("h/a", vncKnownTarget{id: 3, at: now})
	if _, ok := v.targets["h/old"]; ok {
		t.Error("a target older than a ticket was kept")
	}
	for _, tc := range []struct {
		key  string
		id   int32
		want bool
	}{
		{"h/a", 3, true},
		{"h/a", 4, false}, // another run of the VM
		{"h/a", 0, false}, // not running
		{"h/b", 3, false},
		{"h/old", 3, false},
	} {
		if _, ok := v.known(tc.key, tc.id); ok != tc.want {
			t.Errorf("known(%s, %d) = %v, want %v", tc.key, tc.id, ok, tc.want)
		}
	}
}

// The console works with this package's own client as the browser, and a
// round trip allocates nothing on either end.
func TestProxyWithOwnClientDoesNotAllocate(t *testing.T) {
	q := newFakeQEMU(t, "", true)
	rig := newProxyRig(t, Options{PingInterval: time.Hour}, func(string, string) (Target, error) { return q.target(), nil })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := consoletest.DialWebSocket(ctx, "ws"+strings.TrimPrefix(rig.srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, err := consoletest.RFBHandshake(c, ""); err != nil {
		t.Fatal(err)
	}
	msg := []byte{4, 1, 0, 0, 0, 0, 0, 0x61}
	back := make([]byte, len(msg))
	roundTrip := func() {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, back); err != nil || !bytes.Equal(back, msg) {
			t.Fatalf("echo %v %v", back, err)
		}
	}
	for range 100 {
		roundTrip()
	}
	if a := testing.AllocsPerRun(2000, roundTrip); a > 0.05 {
		t.Errorf("%.2f allocations per round trip, want 0", a)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-q.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the VNC connection stayed open after the client closed")
	}
}

// A text message breaks the console's protocol: the browser gets close
// 1003, and the VNC connection is closed.
func TestProxyClosesOnTextMessage(t *testing.T) {
	q := newFakeQEMU(t, "", true)
	rig := newProxyRig(t, Options{}, func(string, string) (Target, error) { return q.target(), nil })
	ws := rig.dial(t)
	if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
		t.Fatal(err)
	}
	if err := ws.Write(context.Background(), websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	_, _, err := ws.Read(context.Background())
	if websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
		t.Fatalf("read after a text message: %v, want close 1003", err)
	}
	select {
	case <-q.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the VNC connection stayed open")
	}
	waitUntil(t, "the session to end", func() bool { return rig.v.Sessions() == 0 })
}
