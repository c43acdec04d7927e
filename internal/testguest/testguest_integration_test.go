//go:build integration

package testguest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"libvirt.org/go/libvirtxml"
)

// Run with: go test -tags integration ./internal/testguest/
// Needs a running libvirtd (scripts/setup-libvirt.sh) and the guest built by
// scripts/build-test-guest.sh into $KVM_TEST_GUEST_DIR (default DefaultDir).

func guestDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KVM_TEST_GUEST_DIR")
	if dir == "" {
		dir = DefaultDir
	}
	if err := CheckBuilt(dir); err != nil {
		t.Fatalf("KVM_TEST_GUEST_DIR=%s: %v", dir, err)
	}
	return dir
}

func connect(t *testing.T) *libvirt.Libvirt {
	t.Helper()
	l := libvirt.NewWithDialer(dialers.NewLocal())
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		t.Fatalf("connecting to libvirt (run scripts/setup-libvirt.sh?): %v", err)
	}
	t.Cleanup(func() { l.Disconnect() })
	return l
}

func TestGuestLifecycle(t *testing.T) {
	dir := guestDir(t)
	l := connect(t)

	typ, reason, err := DetectDomainType(l, dir)
	if err != nil {
		t.Fatalf("DetectDomainType: %v", err)
	}
	t.Logf("domain type %s (%s)", typ, reason)

	name := UniqueName("kmtest-")
	t.Cleanup(func() {
		if err := Remove(l, name, dir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	dom, err := Create(l, Options{Name: name, Dir: dir, DomainType: typ})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := Create(l, Options{Name: name, Dir: dir, DomainType: typ}); err == nil {
		t.Fatal("Create of an existing domain succeeded")
	}
	for _, p := range []string{DataDiskPath(dir, name), SerialLogPath(dir, name)} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("after Create: %v", err)
		}
	}
	if state, _, err := l.DomainGetState(dom, 0); err != nil || libvirt.DomainState(state) != libvirt.DomainShutoff {
		t.Fatalf("after Create: state %v, %v; want shut off (defined, not started)", state, err)
	}

	logPath := SerialLogPath(dir, name)
	boot := func() string {
		t.Helper()
		since := LogSize(logPath)
		start := time.Now()
		if err := l.DomainCreate(dom); err != nil {
			t.Fatalf("DomainCreate: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		id, err := WaitReady(ctx, logPath, since)
		if err != nil {
			t.Fatalf("WaitReady: %v", err)
		}
		t.Logf("start to %s: %v (boot=%s)", ReadyMarker, time.Since(start).Round(time.Millisecond), id)
		if id == "" {
			t.Fatal("ready line has no boot id")
		}
		return id
	}
	shutdown := func() {
		t.Helper()
		start := time.Now()
		if err := l.DomainShutdown(dom); err != nil {
			t.Fatalf("DomainShutdown: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := WaitState(ctx, l, dom, libvirt.DomainShutoff); err != nil {
			t.Fatalf("after ACPI shutdown: %v", err)
		}
		t.Logf("ACPI shutdown to shut off: %v", time.Since(start).Round(time.Millisecond))
	}

	first := boot()

	// The running domain has a VNC display on loopback with a real port.
	live, err := l.DomainGetXMLDesc(dom, 0)
	if err != nil {
		t.Fatalf("DomainGetXMLDesc: %v", err)
	}
	var ldom libvirtxml.Domain
	if err := ldom.Unmarshal(live); err != nil {
		t.Fatalf("parsing live XML: %v", err)
	}
	if g := ldom.Devices.Graphics; len(g) != 1 || g[0].VNC == nil || g[0].VNC.Port < 5900 {
		t.Errorf("live graphics = %+v, want VNC with a port", g)
	} else if g[0].VNC.Listen != "127.0.0.1" {
		t.Errorf("VNC listens on %q, want 127.0.0.1", g[0].VNC.Listen)
	}

	shutdown()

	// A second boot is told apart from the first by the log offset.
	second := boot()
	if second == first {
		t.Errorf("second boot has the same boot id %s", first)
	}
	if data, err := os.ReadFile(logPath); err != nil || strings.Count(string(data), ReadyMarker) != 2 {
		t.Errorf("ttyS1 log should hold both ready lines (append mode): %q, %v", data, err)
	}

	// Remove a running domain.
	if err := Remove(l, name, dir); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := l.DomainLookupByName(name); !libvirt.IsNotFound(err) {
		t.Errorf("after Remove: lookup error %v, want not found", err)
	}
	if _, err := os.Stat(VMDir(dir, name)); !os.IsNotExist(err) {
		t.Errorf("after Remove: per-VM dir still there (%v)", err)
	}
	if err := Remove(l, name, dir); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

func TestRemoveWithSnapshot(t *testing.T) {
	dir := guestDir(t)
	l := connect(t)
	name := UniqueName("kmtest-")
	t.Cleanup(func() { Remove(l, name, dir) })
	dom, err := Create(l, Options{Name: name, Dir: dir, DomainType: "qemu", NoVNC: true})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	snap := libvirtxml.DomainSnapshot{Name: "s1"}
	doc, err := snap.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.DomainSnapshotCreateXML(dom, doc, 0); err != nil {
		t.Fatalf("DomainSnapshotCreateXML: %v", err)
	}
	if err := Remove(l, name, dir); err != nil {
		t.Fatalf("Remove with a snapshot: %v", err)
	}
	if _, err := l.DomainLookupByName(name); !libvirt.IsNotFound(err) {
		t.Errorf("after Remove: lookup error %v, want not found", err)
	}
}
