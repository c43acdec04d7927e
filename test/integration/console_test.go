//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	libvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// The graphical console against real QEMU VNC servers, through the real
// binary. Helpers are prefixed gc (graphical console).

const gcPassword = "s3cretpw" // libvirt allows at most 8 characters

func gcPath(uuid, rest string) string { return "/api/v1/hosts/local/vms/" + uuid + rest }

// gcGuest defines a test guest like newGuest, with testguest options and an
// optional edit of its definition before it is first started.
func gcGuest(t *testing.T, l *libvirt.Libvirt, opts testguest.Options, edit func(*libvirtxml.Domain)) guest {
	t.Helper()
	g := defineGuest(t, l, "kmvnc-", opts)
	dom := g.Dom
	if edit != nil {
		doc, err := l.DomainGetXMLDesc(dom, libvirt.DomainXMLInactive|libvirt.DomainXMLSecure)
		if err != nil {
			t.Fatal(err)
		}
		var d libvirtxml.Domain
		if err := d.Unmarshal(doc); err != nil {
			t.Fatal(err)
		}
		edit(&d)
		out, err := d.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if dom, err = l.DomainDefineXML(out); err != nil {
			t.Fatalf("redefine %s: %v", g.Name, err)
		}
		g.Dom = dom
	}
	waitFor(t, 10*time.Second, "the API to list "+g.Name, func() bool {
		st, _ := apiJSON("GET", gcPath(g.UUID, ""), nil, nil)
		return st == 200
	})
	return g
}

func gcWithPassword(d *libvirtxml.Domain) { d.Devices.Graphics[0].VNC.Passwd = gcPassword }

func gcSpiceOnly(d *libvirtxml.Domain) {
	d.Devices.Graphics = []libvirtxml.DomainGraphic{{Spice: &libvirtxml.DomainGraphicSpice{
		AutoPort: "yes", Listeners: []libvirtxml.DomainGraphicListener{{Address: &libvirtxml.DomainGraphicListenerAddress{Address: "127.0.0.1"}}},
	}}}
}

// gcBoot starts g through the API and waits for its shells.
func gcBoot(t *testing.T, g guest) {
	t.Helper()
	bootAndWait(t, g, func() {
		if st, b := api("POST", gcPath(g.UUID, "/start"), nil); st != 200 {
			t.Fatalf("start %s: %d %s", g.Name, st, b)
		}
	})
}

type gcTicketJSON struct {
	Ticket           string `json:"ticket"`
	URL              string `json:"url"`
	ExpiresInSeconds int    `json:"expiresInSeconds"`
}

// gcTicket asks for a console ticket with the bearer token.
func gcTicket(t *testing.T, uuid string) gcTicketJSON {
	t.Helper()
	var tk gcTicketJSON
	st, b := apiJSON("POST", gcPath(uuid, "/console"), nil, &tk)
	if st != 200 || tk.Ticket == "" || !strings.HasPrefix(tk.URL, gcPath(uuid, "/console/ws?ticket=")) || tk.ExpiresInSeconds != 30 {
		t.Fatalf("console ticket: %d %s", st, b)
	}
	return tk
}

func gcBearer() http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// gcDial opens the console WebSocket at path (with its query).
func gcDial(path string, h http.Header) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return websocket.Dial(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+path, &websocket.DialOptions{HTTPHeader: h})
}

// recorder keeps every byte the client read, to prove what it never saw.
type gcRecorder struct {
	io.ReadWriter
	mu   sync.Mutex
	seen bytes.Buffer
}

func (r *gcRecorder) Read(p []byte) (int, error) {
	n, err := r.ReadWriter.Read(p)
	r.mu.Lock()
	r.seen.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *gcRecorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.seen.Bytes())
}

type gcConsole struct {
	ws  *websocket.Conn
	rec *gcRecorder
	rfb *consoletest.RFBClient
}

// gcOpen gets a ticket and opens a console of uuid as an RFB client that
// only knows security type None.
func gcOpen(t *testing.T, uuid string) *gcConsole {
	t.Helper()
	tk := gcTicket(t, uuid)
	ws, res, err := gcDial(tk.URL, gcBearer())
	if err != nil {
		t.Fatalf("console websocket: %v (%v)", err, res)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	rec := &gcRecorder{ReadWriter: consoletest.WebSocketStream(ws)}
	cl, err := consoletest.RFBHandshake(rec, "")
	if err != nil {
		t.Fatalf("RFB handshake through the proxy: %v", err)
	}
	return &gcConsole{ws: ws, rec: rec, rfb: cl}
}

// gcRefused checks that the WebSocket at path is refused before the
// upgrade with status and error code.
func gcRefused(t *testing.T, what, path string, h http.Header, status int, code string) {
	t.Helper()
	ws, res, err := gcDial(path, h)
	if err == nil {
		ws.CloseNow()
		t.Fatalf("%s: the console opened", what)
	}
	if res == nil || res.StatusCode != status {
		t.Fatalf("%s: %v (%v), want %d", what, err, res, status)
	}
	var e struct{ Error struct{ Code string } }
	if res.Body != nil {
		_ = json.NewDecoder(res.Body).Decode(&e)
	}
	if e.Error.Code != code {
		t.Errorf("%s: error code %q, want %q", what, e.Error.Code, code)
	}
}

// gcType types s on the guest's VGA console (tty1) with key events,
// pressing Shift for the characters that need it on a US keyboard.
func gcType(t *testing.T, c *consoletest.RFBClient, s string) {
	t.Helper()
	const shiftL, enter = 0xffe1, 0xff0d
	for _, r := range s {
		sym, shift := uint32(r), strings.ContainsRune(`~!@#$%^&*()_+{}|:"<>?`, r) || (r >= 'A' && r <= 'Z')
		if r == '\n' {
			sym = enter
		}
		var err error
		if shift {
			err = errors.Join(err, c.KeyEvent(true, shiftL))
		}
		err = errors.Join(err, c.KeyEvent(true, sym), c.KeyEvent(false, sym))
		if shift {
			err = errors.Join(err, c.KeyEvent(false, shiftL))
		}
		if err != nil {
			t.Fatalf("key event: %v", err)
		}
		time.Sleep(5 * time.Millisecond) // a human-ish pace; the guest is emulated
	}
}

// gcWaitLog waits for want in the guest's ttyS1 log after offset since.
func gcWaitLog(t *testing.T, g guest, since int64, want string) {
	t.Helper()
	waitFor(t, 60*time.Second, want+" in "+g.Name+"'s ttyS1 log", func() bool {
		b, _ := os.ReadFile(g.Log)
		return int64(len(b)) > since && bytes.Contains(b[since:], []byte(want))
	})
}

// gcFullUpdate requests the whole screen in raw encoding and reads updates
// until they have covered it.
func gcFullUpdate(t *testing.T, c *consoletest.RFBClient) {
	t.Helper()
	if err := c.SetEncodings(consoletest.RFBEncodingRaw); err != nil {
		t.Fatal(err)
	}
	if err := c.RequestUpdate(false); err != nil {
		t.Fatal(err)
	}
	area := 0
	for area < c.Width*c.Height {
		rects, err := c.ReadUpdate(true)
		if err != nil {
			t.Fatalf("framebuffer update: %v", err)
		}
		for _, r := range rects {
			if r.Encoding == consoletest.RFBEncodingRaw {
				if len(r.Pixels) != r.W*r.H*c.BytesPerPixel {
					t.Fatalf("rect %dx%d with %d bytes", r.W, r.H, len(r.Pixels))
				}
				area += r.W * r.H
			}
		}
	}
}

// TestConsoleInputAndScreen opens a console to a real guest, reads its
// screen, and types a command on the VGA console whose output appears on
// the guest's ttyS1: input really reaches the guest.
func TestConsoleInputAndScreen(t *testing.T) {
	l := lv(t)
	g := gcGuest(t, l, testguest.Options{}, nil)
	gcBoot(t, g)
	c := gcOpen(t, g.UUID)
	if c.rfb.Width < 640 || c.rfb.Height < 200 || c.rfb.Name != "QEMU ("+g.Name+")" {
		t.Fatalf("ServerInit %dx%d %q", c.rfb.Width, c.rfb.Height, c.rfb.Name)
	}
	gcFullUpdate(t, c.rfb)

	since := testguest.LogSize(g.Log)
	gcType(t, c.rfb, "echo V=$((6*7)) >/dev/ttyS1\n")
	gcWaitLog(t, g, since, "V=42")

	// A server-side screenshot shows the same screen size, and a screen
	// with text on it is not one colour.
	st, b := api("GET", gcPath(g.UUID, "/screenshot"), nil)
	if st != 200 {
		t.Fatalf("screenshot: %d %s", st, b)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if img.Bounds().Dx() != c.rfb.Width || img.Bounds().Dy() != c.rfb.Height {
		t.Errorf("screenshot %v, ServerInit %dx%d", img.Bounds(), c.rfb.Width, c.rfb.Height)
	}
	if gcColours(img) < 2 {
		t.Error("the screenshot is one uniform colour")
	}
}

func gcColours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// TestConsolePasswordStaysOnServer uses a guest whose VNC has a password:
// the browser gets security type None, and the password appears in no
// answer and no byte the client sees, while QEMU itself does want it.
func TestConsolePasswordStaysOnServer(t *testing.T) {
	l := lv(t)
	g := gcGuest(t, l, testguest.Options{}, gcWithPassword)
	gcBoot(t, g)

	// QEMU really asks for the password: a client without it is refused.
	doc, err := l.DomainGetXMLDesc(g.Dom, 0)
	if err != nil {
		t.Fatal(err)
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	port := d.Devices.Graphics[0].VNC.Port
	raw, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = consoletest.RFBHandshake(raw, "")
	raw.Close()
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("direct connection without password: %v, want a password demand", err)
	}

	tk := gcTicket(t, g.UUID)
	ws, _, err := gcDial(tk.URL, gcBearer())
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	rec := &gcRecorder{ReadWriter: consoletest.WebSocketStream(ws)}
	// The browser's side by hand: only None is offered.
	buf := make([]byte, 12)
	if _, err := io.ReadFull(rec, buf); err != nil || string(buf) != "RFB 003.008\n" {
		t.Fatalf("version %q %v", buf, err)
	}
	_, _ = rec.Write([]byte("RFB 003.008\n"))
	if _, err := io.ReadFull(rec, buf[:2]); err != nil || !bytes.Equal(buf[:2], []byte{1, 1}) {
		t.Fatalf("security types %v %v, want only None", buf[:2], err)
	}
	_, _ = rec.Write([]byte{1})
	if _, err := io.ReadFull(rec, buf[:4]); err != nil || !bytes.Equal(buf[:4], []byte{0, 0, 0, 0}) {
		t.Fatalf("security result %v %v", buf[:4], err)
	}
	_, _ = rec.Write([]byte{1})
	cl, err := consoletest.ReadServerInit(rec)
	if err != nil || cl.Name != "QEMU ("+g.Name+")" {
		t.Fatalf("ServerInit %+v %v", cl, err)
	}
	gcFullUpdate(t, cl)
	since := testguest.LogSize(g.Log)
	gcType(t, cl, "echo P=$((7*6)) >/dev/ttyS1\n")
	gcWaitLog(t, g, since, "P=42")

	var answers [][]byte
	answers = append(answers, []byte(tk.Ticket+tk.URL), rec.bytes())
	for _, p := range []string{gcPath(g.UUID, ""), "/api/v1/vms", gcPath(g.UUID, "/stats")} {
		_, b := api("GET", p, nil)
		answers = append(answers, b)
	}
	for i, b := range answers {
		if bytes.Contains(b, []byte(gcPassword)) {
			t.Errorf("answer %d contains the VNC password", i)
		}
	}
}

// TestConsoleManyAtOnce opens two consoles on one VM (a shared session:
// the first keeps working) and one on another VM, all at once.
func TestConsoleManyAtOnce(t *testing.T) {
	l := lv(t)
	a := gcGuest(t, l, testguest.Options{}, nil)
	b := gcGuest(t, l, testguest.Options{}, nil)
	gcBoot(t, a)
	gcBoot(t, b)
	var wg sync.WaitGroup
	consoles := make([]*gcConsole, 3)
	for i, uuid := range []string{a.UUID, a.UUID, b.UUID} {
		wg.Go(func() { consoles[i] = gcOpen(t, uuid) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if consoles[0].rfb.Name != "QEMU ("+a.Name+")" || consoles[1].rfb.Name != consoles[0].rfb.Name || consoles[2].rfb.Name != "QEMU ("+b.Name+")" {
		t.Fatalf("desktop names %q %q %q", consoles[0].rfb.Name, consoles[1].rfb.Name, consoles[2].rfb.Name)
	}
	for _, c := range consoles {
		wg.Go(func() { gcFullUpdate(t, c.rfb) })
	}
	wg.Wait()
	// Both consoles of a type into the same shell.
	since := testguest.LogSize(a.Log)
	gcType(t, consoles[0].rfb, "echo A1=$((1+1))")
	gcType(t, consoles[1].rfb, " A2=$((2+2)) >/dev/ttyS1\n")
	gcWaitLog(t, a, since, "A1=2 A2=4")
}

// TestConsoleTicketRules checks who may open a console WebSocket.
func TestConsoleTicketRules(t *testing.T) {
	l := lv(t)
	a := gcGuest(t, l, testguest.Options{}, nil)
	b := gcGuest(t, l, testguest.Options{}, nil)
	gcBoot(t, a)
	gcBoot(t, b)
	wsA := gcPath(a.UUID, "/console/ws")

	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		tk := gcTicket(t, a.UUID)
		time.Sleep(31 * time.Second)
		gcRefused(t, "expired ticket", tk.URL, gcBearer(), 403, "invalid_ticket")
	})
	t.Run("single use", func(t *testing.T) {
		t.Parallel()
		tk := gcTicket(t, a.UUID)
		ws, _, err := gcDial(tk.URL, gcBearer())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
			t.Fatal(err)
		}
		ws.CloseNow()
		gcRefused(t, "second use", tk.URL, gcBearer(), 403, "invalid_ticket")
		// Neither the used nor the refused request logged the ticket (the
		// server logs every request at debug level here).
		waitFor(t, 5*time.Second, "the requests to be logged", func() bool {
			return strings.Count(srv.Log(), "path="+gcPath(a.UUID, "/console/ws")) >= 2
		})
		time.Sleep(500 * time.Millisecond) // the closed console's line comes last
		if strings.Contains(srv.Log(), tk.Ticket) {
			t.Error("the server log contains a console ticket")
		}
	})
	t.Run("wrong VM", func(t *testing.T) {
		t.Parallel()
		tk := gcTicket(t, a.UUID)
		gcRefused(t, "ticket of A on B", gcPath(b.UUID, "/console/ws?ticket=")+tk.Ticket, gcBearer(), 403, "invalid_ticket")
		// The refusal used the ticket up.
		gcRefused(t, "reuse after refusal", tk.URL, gcBearer(), 403, "invalid_ticket")
	})
	t.Run("missing or unknown ticket", func(t *testing.T) {
		t.Parallel()
		gcRefused(t, "no ticket", wsA, gcBearer(), 403, "invalid_ticket")
		gcRefused(t, "made-up ticket", wsA+"?ticket=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", gcBearer(), 403, "invalid_ticket")
		gcRefused(t, "no credentials", gcTicket(t, a.UUID).URL, nil, 401, "unauthenticated")
	})
	t.Run("query cannot choose the target", func(t *testing.T) {
		t.Parallel()
		bPort := gcVNCPort(t, l, b.Dom)
		tk := gcTicket(t, a.UUID)
		ws, _, err := gcDial(tk.URL+"&host=127.0.0.1&port="+strconv.Itoa(bPort)+"&target=127.0.0.1:"+strconv.Itoa(bPort), gcBearer())
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		cl, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), "")
		if err != nil {
			t.Fatal(err)
		}
		if cl.Name != "QEMU ("+a.Name+")" {
			t.Fatalf("a ticket for %s reached %q", a.Name, cl.Name)
		}
	})
	t.Run("not a websocket", func(t *testing.T) {
		t.Parallel()
		st, body := api("GET", gcTicket(t, a.UUID).URL, nil)
		if st != 400 || !strings.Contains(string(body), "websocket_required") {
			t.Fatalf("plain GET: %d %s", st, body)
		}
	})
	t.Run("browser sessions", func(t *testing.T) {
		t.Parallel()
		s1, s2 := gcLogin(t), gcLogin(t)
		// Minting needs the CSRF token: it is a state-changing POST.
		if st, body := s1.do(t, "POST", gcPath(a.UUID, "/console"), false); st != 403 || !strings.Contains(string(body), "csrf_failed") {
			t.Fatalf("POST without CSRF: %d %s", st, body)
		}
		ticketOf := func(s gcSession) string {
			st, body := s.do(t, "POST", gcPath(a.UUID, "/console"), true)
			var tk gcTicketJSON
			if st != 200 || json.Unmarshal(body, &tk) != nil {
				t.Fatalf("session ticket: %d %s", st, body)
			}
			return tk.URL
		}
		gcRefused(t, "another session's ticket", ticketOf(s1), s2.wsHeader(baseURL), 403, "invalid_ticket")
		gcRefused(t, "foreign Origin", ticketOf(s1), s1.wsHeader("http://evil.example"), 403, "origin_mismatch")
		gcRefused(t, "no Origin", ticketOf(s1), s1.wsHeader(""), 403, "origin_mismatch")
		gcRefused(t, "bearer using a session's ticket", ticketOf(s1), gcBearer(), 403, "invalid_ticket")
		ws, _, err := gcDial(ticketOf(s1), s1.wsHeader(baseURL))
		if err != nil {
			t.Fatalf("own session, own origin: %v", err)
		}
		defer ws.CloseNow()
		if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
			t.Fatal(err)
		}
	})
}

func gcVNCPort(t *testing.T, l *libvirt.Libvirt, dom libvirt.Domain) int {
	t.Helper()
	doc, err := l.DomainGetXMLDesc(dom, 0)
	if err != nil {
		t.Fatal(err)
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	return d.Devices.Graphics[0].VNC.Port
}

// gcSession is a browser session from POST /api/v1/login.
type gcSession struct{ cookie, csrf string }

func gcLogin(t *testing.T) gcSession {
	t.Helper()
	res, err := http.Post(baseURL+"/api/v1/login", "application/json", strings.NewReader(`{"token":"`+token+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s struct {
		CSRF string `json:"csrfToken"`
	}
	_ = json.NewDecoder(res.Body).Decode(&s)
	for _, c := range res.Cookies() {
		if c.Name == "kvmm_session" {
			return gcSession{cookie: c.Name + "=" + c.Value, csrf: s.CSRF}
		}
	}
	t.Fatalf("login: %d, no session cookie", res.StatusCode)
	return gcSession{}
}

func (s gcSession) do(t *testing.T, method, path string, csrf bool) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, baseURL+path, nil)
	req.Header.Set("Cookie", s.cookie)
	req.Header.Set("Origin", baseURL)
	if csrf {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (s gcSession) wsHeader(origin string) http.Header {
	h := http.Header{"Cookie": {s.cookie}}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return h
}

// TestConsoleErrorsWithFixes checks the errors a console request meets
// before any WebSocket, and that their fixes work: start the VM; add VNC
// graphics; a .vv file for SPICE.
func TestConsoleErrorsWithFixes(t *testing.T) {
	l := lv(t)
	refusedWith := func(uuid string, status int, code string) {
		t.Helper()
		var e struct {
			Error struct{ Code, Message, Hint string }
		}
		st, b := apiJSON("POST", gcPath(uuid, "/console"), nil, &e)
		if st != status || e.Error.Code != code || e.Error.Hint == "" {
			t.Fatalf("POST console: %d %s, want %d %s with a hint", st, b, status, code)
		}
	}

	t.Run("no VNC, then added", func(t *testing.T) {
		t.Parallel()
		g := gcGuest(t, l, testguest.Options{NoVNC: true}, nil)
		refusedWith(g.UUID, 422, "no_vnc_graphics")
		var res struct {
			Added                bool   `json:"added"`
			EffectiveAtNextStart bool   `json:"effectiveAtNextStart"`
			Message              string `json:"message"`
			VM                   vmJSON `json:"vm"`
		}
		st, b := apiJSON("POST", gcPath(g.UUID, "/graphics/vnc"), nil, &res)
		if st != 200 || !res.Added || res.EffectiveAtNextStart || len(res.VM.Graphics) != 1 || res.VM.Graphics[0].Type != "vnc" {
			t.Fatalf("add VNC to a stopped VM: %d %s", st, b)
		}
		// Now the fix for a stopped VM is to start it.
		refusedWith(g.UUID, 409, "vm_not_running")
		if st, b := api("POST", gcPath(g.UUID, "/start"), nil); st != 200 {
			t.Fatalf("start: %d %s", st, b)
		}
		c := gcOpen(t, g.UUID)
		if c.rfb.Name != "QEMU ("+g.Name+")" {
			t.Fatalf("desktop %q", c.rfb.Name)
		}
		// A second request changes nothing.
		st, b = apiJSON("POST", gcPath(g.UUID, "/graphics/vnc"), nil, &res)
		if st != 200 || res.Added {
			t.Fatalf("second add: %d %s", st, b)
		}
	})
	t.Run("SPICE only", func(t *testing.T) {
		t.Parallel()
		g := gcGuest(t, l, testguest.Options{}, gcSpiceOnly)
		refusedWith(g.UUID, 422, "spice_only")
		if st, b := api("POST", gcPath(g.UUID, "/start"), nil); st != 200 {
			t.Fatalf("start: %d %s", st, b)
		}
		refusedWith(g.UUID, 422, "spice_only")
		res, err := http.DefaultClient.Do(gcRequest(t, "GET", gcPath(g.UUID, "/console.vv")))
		if err != nil {
			t.Fatal(err)
		}
		vv, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-virt-viewer" ||
			!strings.Contains(res.Header.Get("Content-Disposition"), g.Name+".vv") ||
			!bytes.HasPrefix(vv, []byte("[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=")) {
			t.Fatalf(".vv: %d %v\n%s", res.StatusCode, res.Header, vv)
		}
		var add struct {
			Added                bool   `json:"added"`
			EffectiveAtNextStart bool   `json:"effectiveAtNextStart"`
			Message              string `json:"message"`
		}
		st, b := apiJSON("POST", gcPath(g.UUID, "/graphics/vnc"), nil, &add)
		if st != 200 || !add.Added || !add.EffectiveAtNextStart || !strings.Contains(add.Message, "next time") {
			t.Fatalf("add VNC to a running VM: %d %s", st, b)
		}
		// The running VM still has only SPICE until it is started again.
		refusedWith(g.UUID, 422, "spice_only")
		inactive := virsh(t, "dumpxml", "--inactive", g.Name)
		if !strings.Contains(inactive, "<graphics type='vnc'") || !strings.Contains(inactive, "<graphics type='spice'") {
			t.Fatalf("definition after adding VNC:\n%s", inactive)
		}
	})
	t.Run("not running", func(t *testing.T) {
		t.Parallel()
		g := gcGuest(t, l, testguest.Options{}, nil)
		refusedWith(g.UUID, 409, "vm_not_running")
		if st, b := api("GET", gcPath(g.UUID, "/thumbnail"), nil); st != 409 || !strings.Contains(string(b), "vm_not_running") {
			t.Fatalf("thumbnail of a stopped VM: %d %s", st, b)
		}
		if st, b := api("POST", gcPath(g.UUID, "/screenshot"), nil); st != 409 {
			t.Fatalf("screenshot of a stopped VM: %d %s", st, b)
		}
	})
}

func gcRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// TestScreenshotsSavedAndThumbnailsCached saves screenshots on the server
// (never overwriting) and checks that thumbnails are cached.
func TestScreenshotsSavedAndThumbnailsCached(t *testing.T) {
	l := lv(t)
	g := gcGuest(t, l, testguest.Options{}, nil)
	gcBoot(t, g)

	type saved struct {
		Path          string `json:"path"`
		Name          string `json:"name"`
		Bytes         int    `json:"bytes"`
		Width, Height int
	}
	var shots []saved
	for range 2 {
		var s saved
		st, b := apiJSON("POST", gcPath(g.UUID, "/screenshot"), nil, &s)
		if st != 200 {
			t.Fatalf("save screenshot: %d %s", st, b)
		}
		shots = append(shots, s)
	}
	if shots[0].Path == shots[1].Path {
		t.Fatalf("both screenshots saved as %s", shots[0].Path)
	}
	for _, s := range shots {
		if filepath.Base(filepath.Dir(s.Path)) != "screenshots" || !strings.HasPrefix(s.Name, g.Name+"-") || filepath.Base(s.Path) != s.Name {
			t.Errorf("saved as %+v", s)
		}
		f, err := os.Open(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != s.Width || cfg.Height != s.Height || cfg.Width < 640 {
			t.Errorf("%s: %+v %v, answer said %dx%d", s.Path, cfg, err, s.Width, s.Height)
		}
	}

	get := func(etag string) (*http.Response, []byte) {
		req := gcRequest(t, "GET", gcPath(g.UUID, "/thumbnail"))
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	r1, b1 := get("")
	r2, _ := get("")
	if r1.StatusCode != 200 || r1.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("thumbnail: %d %v", r1.StatusCode, r1.Header)
	}
	if e := r1.Header.Get("ETag"); e == "" || r2.Header.Get("ETag") != e {
		t.Errorf("two quick thumbnails came from different captures: %q %q", e, r2.Header.Get("ETag"))
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b1)); err != nil || cfg.Width != 320 {
		t.Errorf("thumbnail %+v %v, want 320 px wide", cfg, err)
	}
	if r3, _ := get(r1.Header.Get("ETag")); r3.StatusCode != 304 {
		t.Errorf("If-None-Match with the current ETag: %d, want 304", r3.StatusCode)
	}
	// A capture that shows the same picture keeps its ETag (a blinking
	// cursor is no new picture: clients keep theirs), so the screen is
	// changed first: a line typed on the guest's VGA shell and its output.
	virsh(t, "send-key", g.UUID, "KEY_E", "KEY_C", "KEY_H", "KEY_O", "KEY_SPACE", "KEY_T", "KEY_H", "KEY_U", "KEY_M", "KEY_B", "KEY_N", "KEY_A", "KEY_I", "KEY_L", "KEY_ENTER")
	time.Sleep(6 * time.Second) // past the cache's 5 s
	if r4, _ := get(r1.Header.Get("ETag")); r4.StatusCode != 200 || r4.Header.Get("ETag") == r1.Header.Get("ETag") {
		t.Errorf("after typing on the screen and 6 s: %d, ETag %q; want a new capture", r4.StatusCode, r4.Header.Get("ETag"))
	}
}
