//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// hrdClientFrom is an HTTP client whose connections leave from the
// loopback address src (127.0.0.x), to play another client address.
func hrdClientFrom(src string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: d.DialContext, MaxIdleConnsPerHost: 4, DisableCompression: true,
	}}
}

type hrdAuditEntry struct {
	auditEntry
	Time   time.Time
	Status int
	Count  int
	Names  []string
}

// hrdAudit reads one page of the audit log as u.
func hrdAudit(t *testing.T, s *testrig.Server, u *secUser, query string) (es []hrdAuditEntry, more bool) {
	t.Helper()
	st, body := u.do(t, s.URL, "GET", "/api/v1/audit?"+query, nil)
	if st != 200 {
		t.Fatalf("audit as %s: %d %s", u.name, st, body)
	}
	var r struct {
		Entries []hrdAuditEntry
		More    bool
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r.Entries, r.More
}

// TestSecurityAuditSurvivesLoginFlood: an admin's action is still in the
// audit log after 130,000 anonymous failed logins from 20 addresses (the
// first few of each checked and refused with 401, the rest refused with
// 429 by the throttle). The failed logins are there too: each checked one
// on its own line, the refused ones summed up per address, the sums equal
// to the 429s the clients saw.
func TestSecurityAuditSurvivesLoginFlood(t *testing.T) {
	s, users := secServer(t)
	ada := users["ada"]
	var list struct{ Sessions []struct{ ID, User string } }
	_, body := ada.do(t, s.URL, "GET", "/api/v1/sessions", nil)
	_ = json.Unmarshal(body, &list)
	var veraID string
	for _, x := range list.Sessions {
		if x.User == "vera" {
			veraID = x.ID
		}
	}
	if st, body := ada.do(t, s.URL, "DELETE", "/api/v1/sessions/"+veraID, nil); veraID == "" || st != 204 {
		t.Fatalf("the admin's change (revoking vera's session %q): %d %s", veraID, st, body)
	}

	// The flood: 20 addresses, one goroutine each, a 64-byte user name so
	// that each line the old server wrote was long (it kept 2 × 16 MiB).
	const addrs, total = 20, 130000
	name := "intruder-" + strings.Repeat("x", 55)
	payload, _ := json.Marshal(map[string]string{"username": name, "password": "wrong"})
	var sent, n401, n429, other atomic.Int64
	var firstOther atomic.Value
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range addrs {
		c := hrdClientFrom(fmt.Sprintf("127.0.0.%d", 10+i))
		wg.Go(func() {
			defer c.CloseIdleConnections()
			for ctx.Err() == nil && sent.Add(1) <= total {
				req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/api/v1/login", bytes.NewReader(payload))
				req.Header.Set("Content-Type", "application/json")
				res, err := c.Do(req)
				if err != nil {
					other.Add(1)
					firstOther.CompareAndSwap(nil, err.Error())
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				switch res.StatusCode {
				case 401:
					n401.Add(1)
				case 429:
					n429.Add(1)
				default:
					other.Add(1)
					firstOther.CompareAndSwap(nil, res.Status)
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	t.Logf("flood: %d failed logins in %v (%.0f/s): %d × 401, %d × 429, %d other (%v)",
		n401.Load()+n429.Load(), took.Round(time.Millisecond), float64(n401.Load()+n429.Load())/took.Seconds(), n401.Load(), n429.Load(), other.Load(), firstOther.Load())
	if n401.Load()+n429.Load() < 100000 || n401.Load() < addrs || n429.Load() < 90000 || other.Load() > 0 {
		t.Fatalf("the flood did not happen as planned (ended: %v)", ctx.Err())
	}

	// The admin's entry is found, by filter and by paging through all.
	es, _ := hrdAudit(t, s, ada, "action=session.revoke")
	if len(es) != 1 || es[0].User != "ada" || es[0].Result != "ok" || !strings.Contains(es[0].Detail, "vera") {
		t.Errorf("the admin's revocation after the flood: %+v", es)
	}
	found, pages, entries := false, 0, 0
	before := ""
	for ; pages < 200 && !found; pages++ {
		q := "limit=1000"
		if before != "" {
			q += "&before=" + before
		}
		page, more := hrdAudit(t, s, ada, q)
		for i, e := range page {
			if i > 0 && e.Time.After(page[i-1].Time) {
				t.Fatalf("page %d is not newest first at %d", pages, i)
			}
			found = found || (e.Action == "session.revoke" && e.User == "ada")
		}
		entries += len(page)
		if !more || len(page) == 0 {
			break
		}
		before = url.QueryEscape(page[len(page)-1].Time.Format(time.RFC3339Nano))
	}
	if !found {
		t.Errorf("paging through the whole audit log (%d pages, %d entries) did not reach the admin's revocation", pages+1, entries)
	}
	t.Logf("paging reached the admin's entry after %d entries", entries)
	if t.Failed() {
		t.FailNow()
	}

	// Every failed login is accounted for: the checked ones line by line,
	// the refused ones in summaries whose counts add up to the 429s.
	var got401, got429, summaries int
	waitFor(t, 15*time.Second, "the failed logins in the audit log to add up", func() bool {
		got401, got429, summaries = 0, 0, 0
		before := ""
		for range 20 {
			q := "action=login&user=" + name + "&limit=1000"
			if before != "" {
				q += "&before=" + before
			}
			page, more := hrdAudit(t, s, ada, q)
			for _, e := range page {
				switch e.Status {
				case 401:
					got401++
				case 429:
					summaries++
					got429 += e.Count
				}
			}
			if !more || len(page) == 0 {
				break
			}
			before = url.QueryEscape(page[len(page)-1].Time.Format(time.RFC3339Nano))
		}
		return got401 == int(n401.Load()) && got429 == int(n429.Load())
	})
	if summaries > addrs*int(took/time.Minute+2) {
		t.Errorf("%d summaries for %d addresses in %v: want at most one per address and minute", summaries, addrs, took)
	}
	es, _ = hrdAudit(t, s, ada, "action=login&user="+name+"&limit=1000")
	for _, e := range es {
		if e.Status == 429 && (e.Count < 1 || len(e.Names) != 1 || e.Names[0] != name || e.User != name || !strings.Contains(e.Detail, "failed logins for")) {
			t.Errorf("summary %+v", e)
			break
		}
	}
	// The users' file holds no failed login; the anonymous one is bounded.
	raw, err := os.ReadFile(filepath.Join(s.DataDir(), "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "intruder-") || len(raw) > 64<<10 {
		t.Errorf("the users' audit file holds failed logins (%d bytes)", len(raw))
	}
	if st, err := os.Stat(filepath.Join(s.DataDir(), "audit-anonymous.log")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the anonymous audit file: %v %v", st, err)
	} else {
		t.Logf("audit.log %d bytes, audit-anonymous.log %d bytes", len(raw), st.Size())
	}
}

// hrdEvents opens an event stream as u (or with the API token when u is
// nil), from the address of transport tr (nil: the default); it returns
// the response, open or refused. The stream closes when the test ends.
func hrdEvents(t *testing.T, s *testrig.Server, u *secUser, tr http.RoundTripper) *http.Response {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/events?types=host", nil)
	if u == nil {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	} else {
		for _, ck := range u.client.Jar.Cookies(mustURL(s.URL)) {
			req.AddCookie(ck)
		}
	}
	// No client timeout: it would cut an open stream.
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		cancel()
		t.Fatalf("events: %v", err)
	}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	return res
}

// hrdRefused checks a 429 with the code and a hint to close something.
func hrdRefused(t *testing.T, what string, res *http.Response, code, inMessage string) {
	t.Helper()
	if res.StatusCode == 200 {
		// Not refused: an open stream, whose body never ends.
		t.Fatalf("%s: 200, want 429 %s", what, code)
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var e struct {
		Error struct{ Code, Message, Hint string }
	}
	_ = json.Unmarshal(body, &e)
	if res.StatusCode != 429 || e.Error.Code != code || !strings.Contains(e.Error.Hint, "close other KVM Manager") ||
		!strings.Contains(e.Error.Message, inMessage) {
		t.Fatalf("%s: %d %s, want 429 %s with a hint to close other tabs or consoles, saying %q", what, res.StatusCode, body, code, inMessage)
	}
}

// TestSecurityEventStreamLimits: one session may hold 16 event streams
// and one address 64; the next is refused with 429 and a hint, and
// closing a stream frees its slot at once. Another address is not
// affected. The server's heap per open stream is logged.
func TestSecurityEventStreamLimits(t *testing.T) {
	s, users := secServer(t)
	otto, vera, ada := users["otto"], users["vera"], users["ada"]
	heap := func() uint64 {
		var info struct{ HeapBytes uint64 }
		_, b, _ := s.Do(context.Background(), "GET", "/api/v1/server", nil)
		_ = json.Unmarshal(b, &info)
		return info.HeapBytes
	}
	heap0 := heap()
	var ottos []*http.Response
	for i := range 16 {
		res := hrdEvents(t, s, otto, nil)
		if res.StatusCode != 200 {
			t.Fatalf("stream %d of one session: %d", i+1, res.StatusCode)
		}
		ottos = append(ottos, res)
	}
	hrdRefused(t, "a 17th stream of one session", hrdEvents(t, s, otto, nil), "too_many_event_streams", "one session")
	// Closing one frees its slot (the server notices the closed
	// connection within moments).
	ottos[0].Body.Close()
	waitFor(t, 10*time.Second, "a closed stream's slot to be free", func() bool {
		res := hrdEvents(t, s, otto, nil)
		if res.StatusCode == 200 {
			ottos[0] = res
			return true
		}
		return false
	})
	// 16 + 16 + 16 + 16 streams from 127.0.0.1: the address is full.
	for _, u := range []*secUser{vera, ada, nil} {
		for i := range 16 {
			if res := hrdEvents(t, s, u, nil); res.StatusCode != 200 {
				t.Fatalf("stream %d of %v: %d", i+1, u, res.StatusCode)
			}
		}
	}
	heap64 := heap()
	t.Logf("server heap: %d KiB before, %d KiB with 64 event streams open (%d KiB per stream)",
		heap0>>10, heap64>>10, (int64(heap64)-int64(heap0))/64>>10)
	vera2 := secClient(t, s)
	if st, b := secLogin(vera2, s.URL, map[string]string{"username": "vera", "password": vera.password}); st != 200 {
		t.Fatalf("second login of vera: %d %s", st, b)
	}
	fresh := &secUser{name: "vera", client: vera2}
	hrdRefused(t, "a 65th stream from one address", hrdEvents(t, s, fresh, nil), "too_many_event_streams", "your address")
	// The same session from another address is served.
	if res := hrdEvents(t, s, fresh, hrdClientFrom("127.0.0.2").Transport); res.StatusCode != 200 {
		t.Fatalf("a stream from another address: %d", res.StatusCode)
	}
	if !strings.Contains(s.Log(), "stream limit reached") {
		t.Error("the server log does not say that a limit was reached")
	}
}

// hrdWSHeader is what a browser sends on a WebSocket upgrade as u, with
// the given Origin.
func hrdWSHeader(s *testrig.Server, u *secUser, origin string) http.Header {
	h := http.Header{"Origin": {origin}}
	for _, c := range u.client.Jar.Cookies(mustURL(s.URL)) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	return h
}

// hrdTicket asks for a graphical console ticket as u; it returns the
// WebSocket path, or the refusal.
func hrdTicket(t *testing.T, s *testrig.Server, u *secUser, uuid string) (string, int, []byte) {
	t.Helper()
	st, body := u.do(t, s.URL, "POST", gcPath(uuid, "/console"), nil)
	var tk gcTicketJSON
	_ = json.Unmarshal(body, &tk)
	return tk.URL, st, body
}

// hrdDial opens a console WebSocket at path on s.
func hrdDial(s *testrig.Server, path string, h http.Header) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+path, &websocket.DialOptions{HTTPHeader: h})
}

// hrdWSRefused checks a console WebSocket refused before the upgrade; a
// failure is reported and the test goes on, so that one run shows every
// check that fails.
func hrdWSRefused(t *testing.T, what string, s *testrig.Server, path string, h http.Header, status int, code string) {
	t.Helper()
	ws, res, err := hrdDial(s, path, h)
	if err == nil {
		ws.CloseNow()
		t.Errorf("%s: the console opened", what)
		return
	}
	if res == nil || res.StatusCode != status {
		t.Errorf("%s: %v (%v), want %d", what, err, res, status)
		return
	}
	var e struct{ Error struct{ Code string } }
	if res.Body != nil {
		_ = json.NewDecoder(res.Body).Decode(&e)
	}
	if e.Error.Code != code {
		t.Errorf("%s: error code %q, want %q", what, e.Error.Code, code)
	}
}

// hrdRunningGuest defines a test guest and starts it through s as u; the
// graphical console works as soon as it runs.
func hrdRunningGuest(t *testing.T, s *testrig.Server, u *secUser) guest {
	t.Helper()
	g := gcGuest(t, lv(t), testguest.Options{}, nil)
	waitFor(t, 15*time.Second, "the server to list the guest", func() bool {
		st, _ := u.do(t, s.URL, "GET", gcPath(g.UUID, ""), nil)
		return st == 200
	})
	if st, b := u.do(t, s.URL, "POST", gcPath(g.UUID, "/start"), nil); st != 200 && st != 202 {
		t.Fatalf("start: %d %s", st, b)
	}
	waitFor(t, 30*time.Second, "the guest to run", func() bool {
		st, b := u.do(t, s.URL, "GET", gcPath(g.UUID, ""), nil)
		return st == 200 && strings.Contains(string(b), `"state":"running"`)
	})
	return g
}

// TestSecurityConsoleTicketsAndOrigin: a ticket presented with a foreign
// Origin is burnt (the same ticket with the right Origin is then refused),
// an https Origin is refused by a plain-HTTP server (WebSocket and a
// cookie write alike), and a ticket with the right Origin still opens.
func TestSecurityConsoleTicketsAndOrigin(t *testing.T) {
	s, users := secServer(t)
	otto := users["otto"]
	g := hrdRunningGuest(t, s, otto)
	hostPort := strings.TrimPrefix(s.URL, "http://")

	path, st, body := hrdTicket(t, s, otto, g.UUID)
	if st != 200 {
		t.Fatalf("ticket: %d %s", st, body)
	}
	hrdWSRefused(t, "a foreign Origin", s, path, hrdWSHeader(s, otto, "http://evil.example"), 403, "origin_mismatch")
	hrdWSRefused(t, "the same ticket again with the right Origin", s, path, hrdWSHeader(s, otto, s.URL), 403, "invalid_ticket")

	path, _, _ = hrdTicket(t, s, otto, g.UUID)
	hrdWSRefused(t, "an https Origin on a plain-HTTP server", s, path, hrdWSHeader(s, otto, "https://"+hostPort), 403, "origin_mismatch")
	hrdWSRefused(t, "that ticket again", s, path, hrdWSHeader(s, otto, s.URL), 403, "invalid_ticket")

	// The same scheme check on a cookie write (the CSRF path).
	req, _ := http.NewRequest("POST", s.URL+gcPath(g.UUID, "/console"), nil)
	req.Header.Set("Origin", "https://"+hostPort)
	req.Header.Set("X-CSRF-Token", otto.csrf)
	res, err := otto.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 403 || errCode(b) != "origin_mismatch" {
		t.Fatalf("a write with an https Origin on a plain-HTTP server: %d %s", res.StatusCode, b)
	}

	path, _, _ = hrdTicket(t, s, otto, g.UUID)
	ws, res, err := hrdDial(s, path, hrdWSHeader(s, otto, s.URL))
	if err != nil {
		t.Fatalf("a fresh ticket with the right Origin: %v (%v)", err, res)
	}
	ws.CloseNow()
}

// TestSecurityConsoleLimits: a session with 8 consoles open (the default
// cap) gets 429 with a hint for a ninth ticket, and for the WebSocket of a
// ticket minted before the eighth opened; closing one console frees its
// slot. The refusal is in the audit log.
func TestSecurityConsoleLimits(t *testing.T) {
	s, users := secServer(t)
	otto := users["otto"]
	g := hrdRunningGuest(t, s, otto)
	open := func(path string) *websocket.Conn {
		t.Helper()
		ws, res, err := hrdDial(s, path, hrdWSHeader(s, otto, s.URL))
		if err != nil {
			t.Fatalf("console: %v (%v)", err, res)
		}
		t.Cleanup(func() { ws.CloseNow() })
		// QEMU's VNC server takes one connection at a time: finish the
		// handshake before the next.
		if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), ""); err != nil {
			t.Fatalf("RFB handshake through the proxy: %v", err)
		}
		return ws
	}
	ticket := func() string {
		t.Helper()
		p, st, body := hrdTicket(t, s, otto, g.UUID)
		if st != 200 {
			t.Fatalf("ticket: %d %s", st, body)
		}
		return p
	}
	var consoles []*websocket.Conn
	for range 7 {
		consoles = append(consoles, open(ticket()))
	}
	p8, p9 := ticket(), ticket() // seven open, two pending: allowed
	consoles = append(consoles, open(p8))
	_, st, body := hrdTicket(t, s, otto, g.UUID)
	hrdRefused(t, "a ninth ticket", &http.Response{StatusCode: st, Body: io.NopCloser(bytes.NewReader(body))}, "too_many_consoles", "one session")
	hrdWSRefused(t, "a ninth console with an earlier ticket", s, p9, hrdWSHeader(s, otto, s.URL), 429, "too_many_consoles")
	if t.Failed() {
		t.FailNow()
	}
	consoles[0].Close(websocket.StatusNormalClosure, "done")
	var p10 string
	waitFor(t, 10*time.Second, "a closed console's slot to be free", func() bool {
		var st int
		p10, st, _ = hrdTicket(t, s, otto, g.UUID)
		return st == 200
	})
	open(p10)
	es := secAudit(t, s, users["ada"], "action=console.open")
	if refused := findAudit(es, func(e auditEntry) bool { return e.Error != nil && e.Error.Code == "too_many_consoles" }); refused == nil || refused.User != "otto" {
		t.Errorf("the refused console is not in the audit log: %+v", es)
	}
}

// TestSecurityDataDirMadePrivate: an existing data dir readable by others
// (0755) is made 0700 at start.
func TestSecurityDataDirMadePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	s, err := testrig.Start(serverBin, []string{"--data-dir", dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %04o after start, want 0700", st.Mode().Perm())
	}
	if !strings.Contains(s.Log(), "made it private") {
		t.Errorf("the server did not say it changed the mode:\n%s", s.LogTail(10))
	}
}

// TestSecurityDataDirRefusedWhenOpen: a data dir readable by others whose
// mode cannot be changed (immutable, chattr +i: even root's chmod fails)
// stops the server at start with a message that says what to do.
func TestSecurityDataDirRefusedWhenOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := execCommand("chattr", "+i", dir); err != nil {
		t.Fatalf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { _, _ = execCommand("chattr", "-i", dir) })
	s, err := testrig.Start(serverBin, []string{"--data-dir", dir})
	if err == nil {
		s.Close()
		t.Fatal("the server started with a data dir open to other users")
	}
	if !strings.Contains(err.Error(), "open to other users (mode 0755)") || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("the refusal does not say what is wrong and what to do: %v", err)
	}
}
