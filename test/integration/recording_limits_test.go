//go:build integration

package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/auth"
	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// recCaps are the caps of the attack's server, small so that the attack
// reaches each within a few requests.
var recCaps = []string{
	"--max-recordings-per-session", "2", "--max-recordings-per-client", "3",
	"--max-recording-starts-per-session", "4", "--max-recording-starts-per-client", "6",
}

// recDo sends a request as u like the web UI and returns the status, the
// error code and message, and the Retry-After header.
func recDo(t *testing.T, s *testrig.Server, u *secUser, method, path string) (int, string, string, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, nil)
	req.Header.Set("Origin", s.URL)
	req.Header.Set(auth.CSRFHeader, u.csrf)
	res, err := u.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, u.name, err)
	}
	defer res.Body.Close()
	var e struct {
		Error struct{ Code, Message, Hint string }
	}
	b, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(b, &e)
	return res.StatusCode, e.Error.Code, e.Error.Message + " / " + e.Error.Hint, res.Header.Get("Retry-After")
}

// recConsole opens a console of uuid as u and reads what the VM sends in
// the background, as a browser does.
func recConsole(t *testing.T, s *testrig.Server, u *secUser, uuid string) *websocket.Conn {
	t.Helper()
	p, st, body := hrdTicket(t, s, u, uuid)
	if st != 200 {
		t.Fatalf("ticket: %d %s", st, body)
	}
	ws, res, err := hrdDial(s, p, hrdWSHeader(s, u, s.URL))
	if err != nil {
		t.Fatalf("console: %v (%v)", err, res)
	}
	t.Cleanup(func() { ws.CloseNow() })
	rw := consoletest.WebSocketStream(ws)
	// QEMU's VNC server takes one connection at a time: finish the
	// handshake before the next.
	if _, err := consoletest.RFBHandshake(rw, ""); err != nil {
		t.Fatalf("RFB handshake through the proxy: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, rw) }()
	return ws
}

// recRunningGuests defines two test guests and starts both through s as u,
// at the same time; a graphical console works as soon as a guest runs.
func recRunningGuests(t *testing.T, s *testrig.Server, u *secUser) (guest, guest) {
	t.Helper()
	l := lv(t)
	gs := []guest{gcGuest(t, l, testguest.Options{}, nil), gcGuest(t, l, testguest.Options{}, nil)}
	for _, g := range gs {
		waitFor(t, 15*time.Second, "the server to list the guest", func() bool {
			st, _ := u.do(t, s.URL, "GET", gcPath(g.UUID, ""), nil)
			return st == 200
		})
		if st, b := u.do(t, s.URL, "POST", gcPath(g.UUID, "/start"), nil); st != 200 && st != 202 {
			t.Fatalf("start: %d %s", st, b)
		}
	}
	for _, g := range gs {
		waitFor(t, 30*time.Second, "the guest to run", func() bool {
			st, b := u.do(t, s.URL, "GET", gcPath(g.UUID, ""), nil)
			return st == 200 && strings.Contains(string(b), `"state":"running"`)
		})
	}
	return gs[0], gs[1]
}

type recStatus struct {
	Recording bool     `json:"recording"`
	IDs       []string `json:"ids"`
	Consoles  int      `json:"consoles"`
}

func recStatusOf(t *testing.T, s *testrig.Server, u *secUser, uuid string) recStatus {
	t.Helper()
	st, body := u.do(t, s.URL, "GET", gcPath(uuid, "/console/recording"), nil)
	var rs recStatus
	if err := json.Unmarshal(body, &rs); st != 200 || err != nil {
		t.Fatalf("recording status: %d %s", st, body)
	}
	return rs
}

// TestAttackRecordingStartStopLoop is the attack on console recordings
// (issue 18): a client starts and stops recordings of consoles in a loop
// to fill the disk and the audit log, and starts more recordings at once
// than it should. Against the real binary with small caps: a start that
// would run more recordings than one session or one address may is
// refused whole with 429 too_many_recordings; starts beyond the rate are
// refused with 429 too_many_recording_starts and Retry-After; a viewer and
// a request without the CSRF token are refused before any cap counts; the files made are exactly the
// starts allowed, and hundreds of refused starts leave a few audit
// entries and a few server log lines.
func TestAttackRecordingStartStopLoop(t *testing.T) {
	t.Parallel()
	s, users := secServer(t, recCaps...)
	otto, ada, vera := users["otto"], users["ada"], users["vera"]
	g1, g2 := recRunningGuests(t, s, otto)
	rec1, rec2 := gcPath(g1.UUID, "/console/recording"), gcPath(g2.UUID, "/console/recording")

	recConsole(t, s, otto, g1.UUID)
	recConsole(t, s, otto, g1.UUID)
	a3 := recConsole(t, s, otto, g1.UUID)
	waitFor(t, 10*time.Second, "three consoles of the first VM", func() bool { return recStatusOf(t, s, otto, g1.UUID).Consoles == 3 })

	// Roles come first: a viewer's start is refused by role, not by a cap.
	if st, code, _, _ := recDo(t, s, vera, "POST", rec1); st != 403 || code != "forbidden_role" {
		t.Fatalf("viewer start: %d %s", st, code)
	}
	forged := *otto
	forged.csrf = "wrong"
	if st, code, _, _ := recDo(t, s, &forged, "POST", rec1); st != 403 || code != "csrf_failed" {
		t.Fatalf("start without the CSRF token: %d %s", st, code)
	}
	// Three consoles would be three recordings: more than a session may
	// run. Refused whole.
	st, code, msg, _ := recDo(t, s, otto, "POST", rec1)
	if st != 429 || code != "too_many_recordings" || !strings.Contains(msg, "one session may run 2") || !strings.Contains(msg, "stop one of your recordings") {
		t.Fatalf("a start of 3 recordings with a cap of 2 per session: %d %s %q", st, code, msg)
	}
	if rs := recStatusOf(t, s, otto, g1.UUID); rs.Recording {
		t.Fatalf("a refused start left recordings running: %+v", rs)
	}
	a3.Close(websocket.StatusNormalClosure, "done")
	waitFor(t, 10*time.Second, "the closed console to go", func() bool { return recStatusOf(t, s, otto, g1.UUID).Consoles == 2 })
	first := time.Now()
	if st, code, msg, _ := recDo(t, s, otto, "POST", rec1); st != 200 {
		t.Fatalf("a start of 2 recordings: %d %s %s", st, code, msg)
	}
	allowed := 1
	// Another session at the same address: 2 more would make 4 running
	// from one address, whose cap is 3.
	recConsole(t, s, ada, g2.UUID)
	recConsole(t, s, ada, g2.UUID)
	waitFor(t, 10*time.Second, "two consoles of the second VM", func() bool { return recStatusOf(t, s, ada, g2.UUID).Consoles == 2 })
	st, code, msg, _ = recDo(t, s, ada, "POST", rec2)
	if st != 429 || code != "too_many_recordings" || !strings.Contains(msg, "one address may run 3") {
		t.Fatalf("a start of 2 more recordings from one address with 2 running and a cap of 3: %d %s %q", st, code, msg)
	}
	// Stopping frees the slots.
	if st, code, _, _ := recDo(t, s, otto, "DELETE", rec1); st != 200 {
		t.Fatalf("stop: %d %s", st, code)
	}
	if st, code, msg, _ := recDo(t, s, ada, "POST", rec2); st != 200 {
		t.Fatalf("a start after the other stopped: %d %s %s", st, code, msg)
	}
	allowed++
	if st, code, _, _ := recDo(t, s, ada, "DELETE", rec2); st != 200 {
		t.Fatalf("stop: %d %s", st, code)
	}

	// The loop: start and stop as fast as the server answers.
	const rounds = 150
	loop := func(u *secUser, path, wantIn string) (ok, refused int) {
		t.Helper()
		for range rounds {
			st, code, msg, retry := recDo(t, s, u, "POST", path)
			switch {
			case st == 200:
				ok++
				if st, code, _, _ := recDo(t, s, u, "DELETE", path); st != 200 {
					t.Fatalf("stop in the loop: %d %s", st, code)
				}
			case st == 429 && code == "too_many_recording_starts" && retry != "" && strings.Contains(msg, wantIn):
				refused++
			default:
				t.Fatalf("start in the loop as %s: %d %s %q Retry-After=%q; want 200, or 429 too_many_recording_starts naming %q with Retry-After",
					u.name, st, code, msg, retry, wantIn)
			}
		}
		return ok, refused
	}
	ottoOK, ottoRefused := loop(otto, rec1, "your session started 4")
	adaOK, adaRefused := loop(ada, rec2, "your address started 6")
	took := time.Since(first)
	t.Logf("loop: otto %d started, %d refused; ada %d started, %d refused; %v since the first start",
		ottoOK, ottoRefused, adaOK, adaRefused, took.Round(time.Millisecond))
	// Within one minute of the first start: otto 3 more (4 per session),
	// ada 1 more (6 per address). A slower run may pass a window's end
	// and start some more, but never more than the caps per minute.
	wantOtto, wantAda := 3, 1
	if took < startWindowOf() {
		if ottoOK != wantOtto || adaOK != wantAda {
			t.Errorf("starts allowed in the loop: otto %d, ada %d; want %d and %d", ottoOK, adaOK, wantOtto, wantAda)
		}
	} else if windows := int(took/startWindowOf()) + 1; ottoOK+adaOK > 6*windows {
		t.Errorf("starts allowed in the loop over %v: %d, more than 6 per minute", took, ottoOK+adaOK)
	}
	allowed += ottoOK + adaOK

	// The disk: one file per console per allowed start, nothing more.
	st2, body := ada.do(t, s.URL, "GET", "/api/v1/recordings", nil)
	var list struct{ Recordings []struct{ ID, UUID string } }
	if err := json.Unmarshal(body, &list); st2 != 200 || err != nil {
		t.Fatalf("recordings: %d %s", st2, body)
	}
	if len(list.Recordings) != 2*allowed {
		t.Errorf("%d recording files after %d allowed starts of 2 consoles each", len(list.Recordings), allowed)
	}
	// The audit log: every allowed start, and the refusals only as a few
	// entries (the first of each session's minute, which counts the rest).
	es := secAudit(t, s, ada, "action=console.record.start&limit=1000")
	var okEntries, refusedEntries int
	for _, e := range es {
		switch {
		case e.Result == "ok":
			okEntries++
		case e.Error != nil && strings.HasPrefix(e.Error.Code, "too_many_recording"):
			refusedEntries++
		}
	}
	windows := int(time.Since(first)/startWindowOf()) + 1
	if okEntries != allowed || refusedEntries < 2 || refusedEntries > 2*windows {
		t.Errorf("audit: %d ok and %d refused start entries after %d allowed starts and %d refusals; want %d ok and 2 to %d refused",
			okEntries, refusedEntries, allowed, ottoRefused+adaRefused+2, allowed, 2*windows)
	}
	// The server log: a line per 10 s at most.
	lines := regexp.MustCompile(`(?m)^.*level=WARN.*recording limit reached.*$`).FindAllString(s.Log(), -1)
	if len(lines) == 0 || len(lines) > int(time.Since(first)/(10*time.Second))+2 {
		t.Errorf("%d 'recording limit reached' lines in the server log", len(lines))
	}
	// The consoles the loop recorded are still open, and nothing records.
	if rs := recStatusOf(t, s, otto, g1.UUID); rs.Consoles != 2 || rs.Recording {
		t.Errorf("after the loop: %+v", rs)
	}
}

// startWindowOf is the window of the start caps (api.startWindow).
func startWindowOf() time.Duration { return time.Minute }
