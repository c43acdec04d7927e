//go:build integration

package integration

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// spiceDial opens one SPICE channel WebSocket at path with the bearer token.
func spiceDial(t *testing.T, path string) *wsframe.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, err := consoletest.DialWebSocket(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+path, gcBearer())
	if err != nil {
		t.Fatalf("SPICE channel websocket %s: %v", path, err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

// spiceTicketURL asks for a SPICE console ticket and returns its URL.
func spiceTicketURL(t *testing.T, uuid string) string {
	t.Helper()
	var tk gcTicketJSON
	st, b := apiJSON("POST", gcPath(uuid, "/console/spice"), nil, &tk)
	if st != 200 || !strings.HasPrefix(tk.URL, gcPath(uuid, "/console/spice/ws?ticket=")) {
		t.Fatalf("SPICE ticket: %d %s", st, b)
	}
	return tk.URL
}

// spiceDrain reads a channel's messages until it ends, and closes done then.
func spiceDrain(ws *wsframe.Conn) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := consoletest.SpiceReadMsg(ws); err != nil {
				return
			}
		}
	}()
	return done
}

// TestSpiceConsole runs a SPICE-only guest with a SPICE password through
// the SPICE proxy of the real binary, as spice-html5 does: the ticket's
// main channel, then an inputs channel joined with the same ticket, keys
// typed on it run in the guest; a channel past the bound is refused, a
// first channel that is not the main one is closed, and the console's
// channels end with its main channel. The password works only because the
// proxy puts it in: the client sends an empty one, which the SPICE server
// itself refuses.
func TestSpiceConsole(t *testing.T) {
	t.Parallel()
	l := lv(t)
	const pw = "sp1cepw"
	// A second video device with a QEMU VNC server of its own: the
	// multiple displays check below shares the boot.
	g := gcGuest(t, l, testguest.Options{NoVNC: true, Spice: true, SpicePassword: pw, Videos: 2, HeadVNC: true}, nil)
	t0 := time.Now()
	gcBoot(t, g)
	t.Logf("booted in %v", time.Since(t0).Round(time.Millisecond))

	// The SPICE server refuses the empty password the browser sends.
	doc, err := l.DomainGetXMLDesc(g.Dom, 0)
	if err != nil {
		t.Fatal(err)
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		t.Fatal(err)
	}
	port := d.Devices.Graphics[0].Spice.Port
	direct, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = direct.SetDeadline(time.Now().Add(30 * time.Second))
	var le *consoletest.SpiceLinkError
	if err := consoletest.SpiceLink(direct, 0, consoletest.SpiceChannelMain, 0, ""); !errors.As(err, &le) || le.Code != 7 {
		t.Errorf("direct link with an empty password: %v, want SPICE link error 7 (permission denied)", err)
	}
	direct.Close()

	url := spiceTicketURL(t, g.UUID)
	main := spiceDial(t, url)
	_ = main.SetReadDeadline(time.Now().Add(60 * time.Second))
	if err := consoletest.SpiceLink(main, 0, consoletest.SpiceChannelMain, 0, ""); err != nil {
		t.Fatalf("main channel through the proxy: %v", err)
	}
	id, err := consoletest.SpiceMainInit(main)
	if err != nil {
		t.Fatalf("main init: %v", err)
	}
	_ = main.SetReadDeadline(time.Time{})
	mainDone := spiceDrain(main)

	in := spiceDial(t, url)
	if err := consoletest.SpiceLink(in, id, consoletest.SpiceChannelInputs, 0, ""); err != nil {
		t.Fatalf("inputs channel joined with the same ticket: %v", err)
	}
	inDone := spiceDrain(in)
	since := testguest.LogSize(g.Log)
	if err := consoletest.SpiceType(in, "echo SP$((6*7))X > /dev/ttyS1\n", 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the keys typed over SPICE to run in the guest", func() bool {
		b, _ := os.ReadFile(g.Log)
		return int64(len(b)) > since && strings.Contains(string(b[since:]), "SP42X")
	})

	t.Logf("typed by %v", time.Since(t0).Round(time.Millisecond))
	// The ticket allows 8 channels after the main one: 7 more open (they
	// wait in their link handshake), the next is refused.
	for range 7 {
		spiceDial(t, url)
	}
	gcRefused(t, "a 10th channel", url, gcBearer(), 429, "too_many_consoles")

	// Closing the main channel ends the console's other channels.
	_ = main.SendClose(wsframe.StatusNormal, "", time.Second)
	for what, done := range map[string]<-chan struct{}{"main": mainDone, "inputs": inDone} {
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("the %s channel is still open 30 s after the main channel closed", what)
		}
	}
	t.Logf("closed by %v", time.Since(t0).Round(time.Millisecond))
	// The ticket is gone with its console.
	gcRefused(t, "the ticket after its console ended", url, gcBearer(), 403, "invalid_ticket")
	// One console, one audit entry (its main channel's, counting the 9
	// channels), not one per channel.
	waitFor(t, 30*time.Second, "the SPICE console's audit entry", func() bool {
		_, b := api("GET", "/api/v1/audit?action=console.spice&vm="+g.UUID, nil)
		return strings.Contains(string(b), "9 SPICE channels")
	})
	var au struct {
		Entries []struct {
			Result, Detail string
			Error          *struct{ Code string }
		}
	}
	st, b := apiJSON("GET", "/api/v1/audit?action=console.spice&vm="+g.UUID, nil, &au)
	ok := 0
	for _, e := range au.Entries {
		if e.Result == "ok" {
			ok++
		}
	}
	// The others: the refused 10th channel and the used ticket tried again.
	if st != 200 || ok != 1 || len(au.Entries) != 3 {
		t.Errorf("audit entries of the SPICE console: %d %s; want one ok entry for the console and two refusals", st, b)
	}

	// Multiple displays: the SPICE head and the second video device's own
	// VNC server, which opens in the browser through its display route.
	var ds struct {
		Displays []struct {
			Index   int    `json:"index"`
			Device  string `json:"device"`
			Primary bool   `json:"primary"`
			Browser bool   `json:"browser"`
		} `json:"displays"`
	}
	if st, b := apiJSON("GET", gcPath(g.UUID, "/displays"), nil, &ds); st != 200 || len(ds.Displays) != 2 ||
		!ds.Displays[0].Primary || ds.Displays[1].Device != "video1" || !ds.Displays[1].Browser {
		t.Fatalf("displays: %d %s", st, b)
	}
	if st, b := api("POST", gcPath(g.UUID, "/console/display/5"), nil); st != 404 || !strings.Contains(string(b), "no_such_display") {
		t.Errorf("ticket for display 5 of 2: %d %s, want 404 no_such_display", st, b)
	}
	var dt gcTicketJSON
	if st, b := apiJSON("POST", gcPath(g.UUID, "/console/display/1"), nil, &dt); st != 200 || !strings.HasPrefix(dt.URL, gcPath(g.UUID, "/console/display/1/ws?ticket=")) {
		t.Fatalf("display 1 ticket: %d %s", st, b)
	}
	head, res, err := gcDial(dt.URL, gcBearer())
	if err != nil {
		t.Fatalf("display 1 websocket: %v (%v)", err, res)
	}
	defer head.CloseNow()
	if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(head), ""); err != nil {
		t.Fatalf("RFB handshake with display 1's VNC server through the proxy: %v", err)
	}
	// A display ticket opens only its own display.
	if st, _ := apiJSON("POST", gcPath(g.UUID, "/console/display/1"), nil, &dt); st != 200 {
		t.Fatal("second display ticket")
	}
	gcRefused(t, "a display 1 ticket on display 0", strings.Replace(dt.URL, "/display/1/", "/display/0/", 1), gcBearer(), 403, "invalid_ticket")

	// A console's first channel must be its main channel.
	url2 := spiceTicketURL(t, g.UUID)
	first := spiceDial(t, url2)
	_ = first.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := consoletest.SpiceLink(first, id, consoletest.SpiceChannelInputs, 0, ""); err == nil {
		t.Error("an inputs channel opened a SPICE console without its main channel")
	}
}

// TestSpiceTicketRefusals: a SPICE ticket is refused for a VM without
// SPICE graphics (reusing no guest: a VNC-only guest that never runs).
func TestSpiceTicketRefusals(t *testing.T) {
	t.Parallel()
	g := gcGuest(t, lv(t), testguest.Options{}, nil)
	if st, b := api("POST", gcPath(g.UUID, "/console/spice"), nil); st != 422 || !strings.Contains(string(b), "no_spice_graphics") {
		t.Errorf("SPICE ticket for a VNC-only VM: %d %s, want 422 no_spice_graphics", st, b)
	}
}
