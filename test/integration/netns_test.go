//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// The tests that give guests a network run against a libvirtd of their
// own inside a network namespace that the suite creates
// (scripts/netns-libvirt.sh; docs/design-notes.md says why a second
// libvirtd rather than the host's): the bridges, dnsmasq and the guests'
// NICs are all inside it, it has no route out, and the only traffic a test
// sends to a guest's address (ping) is sent from inside it. A kvm-manager
// of its own manages that libvirtd as host "local", so the paths are the
// usual ones; the suite's server and the host's libvirtd are untouched.

// netnsRig is that namespace: its name, its libvirtd's URI and the server.
type netnsRig struct {
	ns, uri, sock string
	srv           *testrig.Server
}

var (
	netnsOnce sync.Once
	netnsMu   sync.Mutex // guards netnsUp and netnsErr
	netnsUp   *netnsRig
	netnsErr  error
)

func netnsScript() string { return filepath.Join(testrig.ModuleRoot(), "scripts", "netns-libvirt.sh") }

// netns starts the namespace, its libvirtd and a server on first use (about
// 2 s), and fails the test when they do not come up.
func netns(t *testing.T) *netnsRig {
	t.Helper()
	netnsOnce.Do(func() {
		r, err := netnsStart()
		netnsMu.Lock()
		netnsUp, netnsErr = r, err
		netnsMu.Unlock()
	})
	netnsMu.Lock()
	defer netnsMu.Unlock()
	if netnsErr != nil {
		t.Fatalf("network namespace: %v", netnsErr)
	}
	return netnsUp
}

func netnsStart() (*netnsRig, error) {
	out, err := exec.Command(netnsScript(), "up").Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		return nil, fmt.Errorf("%s up: %w: %s", netnsScript(), err, stderr)
	}
	r := &netnsRig{ns: envOr("KVM_TEST_NETNS", "kvmtest-net"), sock: strings.TrimSpace(string(out))}
	r.uri = "qemu+unix:///system?socket=" + r.sock
	s, err := testrig.Start(serverBin, []string{"--host", "local=" + r.uri, "--log-level", "debug"})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.WaitConnected(ctx); err != nil {
		s.Close()
		return nil, err
	}
	r.srv = s
	return r, nil
}

// netnsDown stops the server, the namespace's libvirtd (with what is left
// of its guests and networks) and deletes the namespace, if a test
// started them.
func netnsDown() error {
	netnsMu.Lock()
	r := netnsUp
	netnsMu.Unlock()
	if r == nil {
		return nil
	}
	var errs []string
	if _, err := r.srv.Stop(); err != nil {
		errs = append(errs, fmt.Sprintf("server: %v", err))
	}
	r.srv.Close()
	if out, err := exec.Command(netnsScript(), "down").CombinedOutput(); err != nil {
		errs = append(errs, fmt.Sprintf("%s down: %v: %s", netnsScript(), err, out))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// api sends a request to the namespace's server.
func (r *netnsRig) api(method, path string, body any) (int, []byte) {
	st, b, err := r.srv.Do(context.Background(), method, path, body)
	if err != nil {
		return 0, []byte(err.Error())
	}
	return st, b
}

func (r *netnsRig) apiJSON(method, path string, body, out any) (int, []byte) {
	st, b := r.api(method, path, body)
	if out != nil && len(b) > 0 {
		_ = json.Unmarshal(b, out)
	}
	return st, b
}

// virsh runs virsh against the namespace's libvirtd.
func (r *netnsRig) virsh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-c", r.uri}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// virshQuiet is virsh for cleanups: errors ignored.
func (r *netnsRig) virshQuiet(args ...string) {
	_, _ = exec.Command("virsh", append([]string{"-c", r.uri}, args...)...).CombinedOutput()
}

func (r *netnsRig) dial() (*libvirt.Libvirt, error) {
	l := libvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(r.sock)))
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		return nil, err
	}
	return l, nil
}

// inNetns runs a command inside the namespace (only there can a guest's
// address be reached).
func (r *netnsRig) inNetns(args ...string) (string, error) {
	out, err := exec.Command("nsenter", append([]string{"--net=/run/netns/" + r.ns}, args...)...).CombinedOutput()
	return string(out), err
}

// defineGuest defines a test guest on the namespace's libvirtd, waits for
// the server to list it, and removes it with its files when the test ends.
func (r *netnsRig) defineGuest(t *testing.T, opts testguest.Options) guest {
	t.Helper()
	l, err := r.dial()
	if err != nil {
		t.Fatalf("connect to the namespace's libvirtd: %v", err)
	}
	defer l.Disconnect()
	opts.Name = testguest.UniqueName("kmtest-")
	opts.Dir, opts.DomainType = guestDir, domainType
	dom, err := testguest.Create(l, opts)
	if err != nil {
		t.Fatalf("create guest: %v", err)
	}
	t.Cleanup(func() {
		cl, err := r.dial()
		if err != nil {
			t.Errorf("cleanup of %s: %v", opts.Name, err)
			return
		}
		defer cl.Disconnect()
		if err := testguest.Remove(cl, opts.Name, guestDir); err != nil {
			t.Errorf("cleanup of %s: %v", opts.Name, err)
		}
	})
	g := guest{Name: opts.Name, UUID: formatUUID(dom.UUID), Log: testguest.SerialLogPath(guestDir, opts.Name), Dom: dom}
	waitFor(t, 10*time.Second, "the API to list "+g.Name, func() bool {
		st, _ := r.api("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil)
		return st == 200
	})
	return g
}

// guestSays types cmd on g's serial console (through the namespace's
// server) and returns the first line of its ttyS1 log, written after
// now, that starts with marker.
func (r *netnsRig) guestSays(t *testing.T, g guest, cmd, marker string) string {
	t.Helper()
	since := testguest.LogSize(g.Log)
	var tk serialTicket
	if st, b := r.apiJSON("POST", serialPath(g.UUID), nil, &tk); st != 200 || tk.Ticket == "" {
		t.Fatalf("POST serial: %d %s", st, b)
	}
	v := openViewerAt(t, r.srv.URL, tk.URL, http.Header{"Authorization": {"Bearer " + r.srv.Token}})
	v.waitState(0, "connected")
	v.send(cmd + "\r")
	var line string
	waitFor(t, 30*time.Second, marker+" in the guest's ttyS1 log", func() bool {
		line = logLine(g.Log, since, marker)
		return line != ""
	})
	return line
}

// snapCreate makes a snapshot through the namespace's server and waits for
// the operation to succeed.
func (r *netnsRig) snapCreate(t *testing.T, uuid string, body map[string]any) struct {
	Snapshot snapJSON
	Quiesced bool
} {
	t.Helper()
	var op opJSON
	st, b := r.apiJSON("POST", snapPath(uuid), body, &op)
	if st != 202 || op.ID == "" {
		t.Fatalf("POST %s: %d %s", snapPath(uuid), st, b)
	}
	var done opJSON
	waitFor(t, 120*time.Second, "snapshot operation "+op.ID, func() bool {
		r.apiJSON("GET", "/api/v1/operations/"+op.ID, nil, &done)
		return done.State != "" && done.State != "running"
	})
	if done.State != "succeeded" {
		t.Fatalf("snapshot %v: operation %s: %+v", body, done.State, done.Error)
	}
	var res struct {
		Snapshot snapJSON
		Quiesced bool
	}
	if err := json.Unmarshal(done.Result, &res); err != nil {
		t.Fatal(err)
	}
	return res
}
