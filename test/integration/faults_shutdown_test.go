//go:build integration

package integration

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// wsClosedWith reads ws until it ends and returns its close frame.
func wsClosedWith(ws *websocket.Conn, d time.Duration) (websocket.CloseError, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce, nil
			}
			return ce, err
		}
	}
}

// TestFaultGracefulShutdown sends SIGTERM to a server of its own while a
// graphical and a serial console and an event stream are open, an ACPI
// shutdown waits on a guest that ignores it, and a snapshot is being
// taken of another: the consoles get a close frame saying why, the ACPI
// shutdown is canceled and the snapshot finishes, both visible on the event
// stream (which then ends cleanly) and in the log, and the process exits
// within a few seconds. libvirt is left consistent: the snapshot is there
// with its metadata, and no VM is left paused.
func TestFaultGracefulShutdown(t *testing.T) {
	s := fltServer(t, []string{"--log-level", "info"})
	l := lv(t)
	a := fltGuest(t, l, testguest.Options{ExtraCmdline: "kvmtest.noacpi"}, s)
	b := fltGuest(t, l, testguest.Options{MemoryMiB: 384}, s)
	fltBoot(t, a)
	fltBoot(t, b)
	waitFor(t, 20*time.Second, "the server to see the guests running", func() bool {
		var va, vb vmJSON
		fltDo(s, "GET", "/api/v1/hosts/local/vms/"+a.UUID, nil, &va)
		fltDo(s, "GET", "/api/v1/hosts/local/vms/"+b.UUID, nil, &vb)
		return va.State == "running" && vb.State == "running"
	})

	ev := fltEvents(t, s)
	gc, err := fltOpenConsole(t, s, a.UUID)
	if err != nil {
		t.Fatal(err)
	}
	gcFullUpdate(t, gc.rfb)
	sv := fltSerial(t, s, a.UUID)
	sv.waitState(0, "connected")

	var shutdown, snap opJSON
	if st, body := fltDo(s, "POST", "/api/v1/hosts/local/vms/"+a.UUID+"/shutdown", map[string]any{"timeoutSeconds": 120}, &shutdown); st != 202 {
		t.Fatalf("shutdown: %d %s", st, body)
	}
	waitEvent(t, ev.C, 10*time.Second, "the shutdown running", opEvent(shutdown.ID, "running"))
	// SIGTERM the moment libvirt pauses b for its snapshot.
	if st, body := fltDo(s, "POST", snapPath(b.UUID), map[string]any{"name": "at-sigterm", "memory": true}, &snap); st != 202 {
		t.Fatalf("snapshot: %d %s", st, body)
	}
	var took time.Duration
	var stopErr error
	if !fltWatchPaused(l, b.Dom, 60*time.Second, nil, func() { took, stopErr = s.Stop() }) {
		t.Fatal("the snapshot never paused the VM")
	}
	if stopErr != nil {
		t.Fatalf("SIGTERM: %v", stopErr)
	}
	t.Logf("figure: the server exited %s after SIGTERM", took.Round(time.Millisecond))
	if took > 6*time.Second {
		t.Errorf("the server took %s to exit after SIGTERM", took)
	}

	// Consoles: a close frame with a reason, not a reset.
	if ce, err := wsClosedWith(gc.ws, 5*time.Second); err != nil || ce.Code != websocket.StatusGoingAway || !strings.Contains(ce.Reason, "shutting down") {
		t.Errorf("graphical console at SIGTERM: close %+v, error %v; want 1001 saying the server shuts down", ce, err)
	}
	sv.waitClosed()
	sv.mu.Lock()
	serr := sv.err
	sv.mu.Unlock()
	var ce websocket.CloseError
	if !errors.As(serr, &ce) || ce.Code != websocket.StatusGoingAway || !strings.Contains(ce.Reason, "shutting down") {
		t.Errorf("serial console at SIGTERM: %v; want a 1001 close saying the server shuts down", serr)
	}

	// The event stream told the operations' ends, then ended cleanly.
	var sawCanceled, sawSnap bool
	timeout := time.After(5 * time.Second)
	for done := false; !done; {
		select {
		case e, ok := <-ev.C:
			if !ok {
				done = true
				break
			}
			sawCanceled = sawCanceled || opEvent(shutdown.ID, "canceled")(e)
			sawSnap = sawSnap || opEvent(snap.ID, "succeeded")(e) || opEvent(snap.ID, "failed")(e)
		case <-timeout:
			t.Fatal("the event stream did not end after SIGTERM")
		}
	}
	if err := <-ev.End; err != nil {
		t.Errorf("the event stream ended with %v, want a clean end", err)
	}
	if !sawCanceled {
		t.Error("the event stream did not say that the ACPI shutdown was canceled")
	}
	if !sawSnap {
		t.Error("the event stream did not carry the end of the snapshot")
	}
	log := s.Log()
	for _, id := range []string{shutdown.ID, snap.ID} {
		if !strings.Contains(log, id) {
			t.Errorf("the log does not say how operation %s ended:\n%s", id, s.LogTail(30))
		}
	}

	// libvirt finished the snapshot, whole, and resumed the VM.
	waitFor(t, 30*time.Second, b.Name+" running again", func() bool { return virshState(t, b.Name) == "running" })
	if names := virshSnapshotNames(t, b.Name); !containsString(names, "at-sigterm") {
		t.Errorf("the snapshot in progress at SIGTERM is not in libvirt: %v", names)
	}
	if s := virshState(t, a.Name); s != "running" {
		t.Errorf("%s is %s after its ACPI shutdown was canceled", a.Name, s)
	}
}
