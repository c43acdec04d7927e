//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kvm-manager/kvm-manager/internal/console/consoletest"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// sessionGuestsDir holds the test guests of kvmtest's session daemon: the
// shared kernel and initramfs (linked, world-readable) and one directory
// per guest owned by kvmtest, whose QEMU runs as kvmtest.
const sessionGuestsDir = "/var/lib/kvm-manager-test/guests"

// runAsKvmtest runs a command as kvmtest and returns its error with output.
func runAsKvmtest(args ...string) error {
	out, err := exec.Command("runuser", append([]string{"-u", "kvmtest", "--"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// sessionTestGuest defines the real test guest (kernel, initramfs, qcow2
// data disk, serial ports, VNC on loopback) in kvmtest's session daemon,
// not started, and removes it with its files and snapshots when the test
// ends.
func sessionTestGuest(t *testing.T) guest {
	t.Helper()
	if err := testguest.CheckBuilt(""); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(sessionGuestsDir, "vms"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{testguest.KernelPath(""), testguest.InitrdPath("")} {
		link := filepath.Join(sessionGuestsDir, filepath.Base(f))
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(f, link); err != nil {
				t.Fatal(err)
			}
		}
	}
	name := testguest.UniqueName("kmremote-")
	vmDir := testguest.VMDir(sessionGuestsDir, name)
	if err := os.MkdirAll(vmDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = runAsKvmtest("virsh", "-q", "-c", "qemu:///session", "destroy", name)
		_ = runAsKvmtest("virsh", "-q", "-c", "qemu:///session", "undefine", "--snapshots-metadata", name)
		_ = os.RemoveAll(vmDir)
	})
	disk := testguest.DataDiskPath(sessionGuestsDir, name)
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk, "64M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v: %s", err, out)
	}
	logPath := testguest.SerialLogPath(sessionGuestsDir, name)
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "-R", "kvmtest:kvmtest", vmDir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	// KVM when kvmtest may use it (it is in group kvm), TCG otherwise.
	domType := "qemu"
	if runAsKvmtest("test", "-w", "/dev/kvm") == nil {
		domType = "kvm"
	}
	xml, err := testguest.DomainXML(testguest.Options{Name: name, Dir: sessionGuestsDir, DomainType: domType})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp("", "kmremote-*.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(xml)
	if err := errors.Join(err, f.Chmod(0o644), f.Close()); err != nil {
		t.Fatal(err)
	}
	asKvmtest(t, "define", f.Name())
	return guest{Name: name, UUID: asKvmtest(t, "domuuid", name), Log: logPath}
}

// remoteDo is fltDo that fails the test on a status other than want (0:
// any 2xx).
func remoteDo(t *testing.T, s *testrig.Server, want int, method, path string, body, out any) []byte {
	t.Helper()
	st, b := fltDo(s, method, path, body, out)
	if (want != 0 && st != want) || (want == 0 && (st < 200 || st > 299)) {
		t.Fatalf("%s %s: %d %s, want %d", method, path, st, b, want)
	}
	return b
}

// remoteWS opens a console WebSocket (graphical or serial) of the remote
// host's VM: a ticket from POST path, then the URL it names.
func remoteWS(t *testing.T, s *testrig.Server, path string) *websocket.Conn {
	t.Helper()
	var tk gcTicketJSON
	remoteDo(t, s, 200, "POST", path, nil, &tk)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+tk.URL,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + s.Token}}})
	if err != nil {
		t.Fatalf("websocket %s: %v", path, err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

// TestRemoteSessionGuest runs the test guest in kvmtest's session daemon,
// reached over SSH as host "remote", and drives it through the API as a
// user would a local one: power, a graphical console whose keys reach the
// guest (checked in the guest's own serial log), a screenshot, a serial
// console, and a snapshot. With two graphical consoles, a serial console and an event
// stream open, the server still has exactly one TCP connection to sshd.
func TestRemoteSessionGuest(t *testing.T) {
	env := setupRemote(t)
	g := sessionTestGuest(t)
	s := startWithHosts(t, "local=qemu:///system", "remote="+env.sshURI(env.User, "/session", env.KnownHosts))
	waitHost(t, s, "remote", "connected", 20*time.Second)
	waitFor(t, 15*time.Second, "the remote host to list "+g.Name, func() bool { return hasVM(listVMs(t, s, "remote"), g.UUID) })
	events := fltEvents(t, s)
	vm := "/api/v1/hosts/remote/vms/" + g.UUID

	// Power on through the API; the guest boots on the remote daemon.
	bootAndWait(t, g, func() { remoteDo(t, s, 0, "POST", vm+"/start", nil, nil) })
	waitEvent(t, events.C, 30*time.Second, "the remote VM running", func(ev sseEvent) bool {
		return ev.Type == "vm" && strings.Contains(string(ev.Data), g.UUID) && strings.Contains(string(ev.Data), `"state":"running"`)
	})

	// The graphical console: VNC on the remote host's loopback, through
	// the SSH connection. Keys typed reach the guest's tty1.
	ws := remoteWS(t, s, vm+"/console")
	rfb, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws), "")
	if err != nil {
		t.Fatalf("RFB handshake over ssh: %v", err)
	}
	if rfb.Name != "QEMU ("+g.Name+")" {
		t.Errorf("ServerInit name %q", rfb.Name)
	}
	gcFullUpdate(t, rfb)
	since := testguest.LogSize(g.Log)
	gcType(t, rfb, "echo R=$((6*7)) >/dev/ttyS1\n")
	gcWaitLog(t, g, since, "R=42")

	// A screenshot, taken on the remote host (virsh screenshot there, over
	// the same SSH connection), is the guest's screen as a PNG.
	shot := remoteDo(t, s, 200, "GET", vm+"/screenshot", nil, nil)
	if img, err := png.Decode(bytes.NewReader(shot)); err != nil {
		t.Errorf("the remote screenshot is not a PNG: %v", err)
	} else if img.Bounds().Dx() != rfb.Width || img.Bounds().Dy() != rfb.Height {
		t.Errorf("remote screenshot %v, ServerInit %dx%d", img.Bounds(), rfb.Width, rfb.Height)
	}

	// The dashboard card's thumbnail: a watched VM is captured at once
	// (a thumbnail event), and GET .../thumbnail answers that picture.
	remoteDo(t, s, 200, "POST", "/api/v1/thumbnails/watch", map[string]any{"vms": []map[string]string{{"host": "remote", "uuid": g.UUID}}}, nil)
	var change struct{ ETag string }
	waitEvent(t, events.C, 30*time.Second, "a thumbnail event for the remote VM", func(ev sseEvent) bool {
		return ev.Type == "thumbnail" && strings.Contains(string(ev.Data), g.UUID) && json.Unmarshal(ev.Data, &change) == nil
	})
	req, _ := http.NewRequest("GET", s.URL+vm+"/thumbnail", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	thumb, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("ETag") != change.ETag {
		t.Errorf("remote thumbnail: %d, ETag %q; the event said %q", res.StatusCode, res.Header.Get("ETag"), change.ETag)
	} else if cfg, err := png.DecodeConfig(bytes.NewReader(thumb)); err != nil || cfg.Width != 320 {
		t.Errorf("remote thumbnail %+v %v, want a 320 px wide PNG", cfg, err)
	}

	// The Hosts list tells about the remote computer and counts the
	// running VM, without waiting for anything.
	var hosts struct {
		Hosts []struct {
			Name string
			Node *struct {
				QEMUVersion, CPUModel        string
				CPUs                         int
				MemoryBytes, MemoryFreeBytes uint64
			}
			VMs map[string]int
		}
	}
	remoteDo(t, s, 200, "GET", "/api/v1/hosts", nil, &hosts)
	for _, h := range hosts.Hosts {
		if h.Name != "remote" {
			continue
		}
		if n := h.Node; n == nil || n.QEMUVersion == "" || n.CPUModel == "" || n.CPUs < 1 || n.MemoryBytes == 0 ||
			n.MemoryFreeBytes == 0 || n.MemoryFreeBytes > n.MemoryBytes {
			t.Errorf("remote host details %+v", n)
		}
		if h.VMs["running"] < 1 {
			t.Errorf("remote host counts %v, want at least 1 running", h.VMs)
		}
	}

	// A second graphical console and a serial console at the same time.
	ws2 := remoteWS(t, s, vm+"/console")
	if _, err := consoletest.RFBHandshake(consoletest.WebSocketStream(ws2), ""); err != nil {
		t.Fatalf("second console: %v", err)
	}
	var tk serialTicket
	remoteDo(t, s, 200, "POST", vm+"/serial", nil, &tk)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	sc, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+tk.URL,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + s.Token}}})
	cancel()
	if err != nil {
		t.Fatalf("serial websocket: %v", err)
	}
	sc.SetReadLimit(1 << 20)
	v := &viewer{t: t, c: sc, done: make(chan struct{})}
	go v.read()
	t.Cleanup(func() { _ = sc.CloseNow(); <-v.done })
	fltAsk(t, v, "$((6*7))")

	if n := sshdConns(t, s.PID(), env.SSHPort); n != 1 {
		t.Errorf("with 2 graphical consoles, a serial console and the event stream open: %d TCP connections to sshd, want exactly 1", n)
	}

	// A snapshot of the running remote VM (disk and memory, internal).
	var op opJSON
	remoteDo(t, s, 202, "POST", vm+"/snapshots", map[string]any{"name": "remote-snap"}, &op)
	if op = fltWaitOp(t, s, op.ID, 120*time.Second); op.State != "succeeded" {
		t.Fatalf("snapshot on the remote host: %+v", op)
	}
	if b := remoteDo(t, s, 200, "GET", vm+"/snapshots", nil, nil); !strings.Contains(string(b), `"remote-snap"`) {
		t.Errorf("snapshot list: %s", b)
	}

	// Pause, resume, force off.
	for _, step := range []struct{ action, state string }{{"pause", "paused"}, {"resume", "running"}, {"force-off", "shutoff"}} {
		remoteDo(t, s, 0, "POST", vm+"/"+step.action, nil, nil)
		waitFor(t, 30*time.Second, g.Name+" "+step.state, func() bool {
			st, b := fltDo(s, "GET", vm, nil, nil)
			return st == 200 && strings.Contains(string(b), `"state":"`+step.state+`"`)
		})
	}
}
