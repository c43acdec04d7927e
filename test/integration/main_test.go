//go:build integration

// Package integration runs the real kvm-manager binary against the real
// libvirtd of this machine and real test guests (scripts/build-test-guest.sh),
// and checks what a user or libvirt itself would see. Nothing is mocked.
package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

var (
	srv        *testrig.Server
	baseURL    string
	token      string
	guestDir   string
	domainType string
	// serverBin is the kvm-manager binary under test, for tests that need
	// a server of their own (other flags, users, TLS, faults).
	serverBin string
)

func TestMain(m *testing.M) {
	code, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration setup failed:", err)
		os.Exit(1)
	}
	if code == 0 {
		code = m.Run()
	}
	// The network namespace and its libvirtd, when a test started them.
	if err := netnsDown(); err != nil {
		fmt.Fprintln(os.Stderr, "network namespace teardown:", err)
		code = 1
	}
	// A clean, prompt exit on SIGTERM is part of what is tested.
	if _, err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "server shutdown:", err)
		code = 1
	}
	if code != 0 {
		// The whole log goes to a file; only its end is printed, so that
		// the failures stay near the end of the output where CI shows it.
		full := filepath.Join("..", "..", "test-results", "integration-server.log")
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err == nil {
			_ = os.WriteFile(full, []byte(srv.Log()), 0o644)
		}
		fmt.Fprintf(os.Stderr, "--- kvm-manager log, last 60 lines (all of it: test-results/integration-server.log) ---\n%s\n", srv.LogTail(60))
	}
	srv.Close()
	os.Exit(code)
}

func setup() (int, error) {
	guestDir = os.Getenv("KVM_TEST_GUEST_DIR")
	if guestDir == "" {
		guestDir = testguest.DefaultDir
	}
	if err := testguest.CheckBuilt(guestDir); err != nil {
		return 1, fmt.Errorf("%w (run scripts/build-test-guest.sh, or make test)", err)
	}
	l, err := dial()
	if err != nil {
		return 1, fmt.Errorf("libvirtd is not answering (run scripts/setup-libvirt.sh): %w", err)
	}
	dt, reason, err := testguest.DetectDomainType(l, guestDir)
	_ = l.Disconnect()
	if err != nil {
		return 1, fmt.Errorf("detecting KVM or TCG: %w", err)
	}
	domainType = dt
	fmt.Printf("integration: test guests use domain type %q (%s)\n", dt, reason)

	tmp, err := os.MkdirTemp("", "kvm-manager-it-")
	if err != nil {
		return 1, err
	}
	bin, err := testrig.Build(tmp)
	if err != nil {
		return 1, err
	}
	serverBin = bin
	srv, err = testrig.Start(bin, []string{"--stats-interval", "500ms", "--log-level", "debug", "--screenshots-dir", tmp + "/screenshots"})
	if err != nil {
		return 1, err
	}
	baseURL, token = srv.URL, srv.Token
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return 0, srv.WaitConnected(ctx)
}

// dial opens a go-libvirt link for the test's own ground truth and setup.
func dial() (*libvirt.Libvirt, error) { return testrig.Dial() }

func lv(t *testing.T) *libvirt.Libvirt {
	t.Helper()
	var l *libvirt.Libvirt
	var err error
	for i := 0; i < 50; i++ { // libvirtd may be restarting after the reconnect test
		if l, err = dial(); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("connect to libvirtd: %v", err)
	}
	t.Cleanup(func() { _ = l.Disconnect() })
	return l
}

// guest is one test VM.
type guest struct {
	Name, UUID, Log string
	Dom             libvirt.Domain
}

// newGuest defines a uniquely named test guest and removes it (and all its
// files and snapshots) when the test ends, pass or fail.
func newGuest(t *testing.T, l *libvirt.Libvirt, extraCmdline string) guest {
	t.Helper()
	g := defineGuest(t, l, "kmtest-", testguest.Options{ExtraCmdline: extraCmdline})
	waitFor(t, 10*time.Second, "the API to list "+g.Name, func() bool {
		st, _ := apiJSON("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, nil)
		return st == 200
	})
	return g
}

// defineGuest defines a test guest named prefix+random with opts (name,
// folder and domain type filled in), and removes it with its files and
// snapshots when the test ends, pass or fail, also after a test that
// restarted libvirtd.
func defineGuest(t *testing.T, l *libvirt.Libvirt, prefix string, opts testguest.Options) guest {
	t.Helper()
	opts.Name = testguest.UniqueName(prefix)
	opts.Dir, opts.DomainType = guestDir, domainType
	dom, err := testguest.Create(l, opts)
	if err != nil {
		t.Fatalf("create guest: %v", err)
	}
	t.Cleanup(func() {
		var cl *libvirt.Libvirt
		var err error
		for range 100 { // libvirtd may be restarting after a fault test
			if cl, err = dial(); err == nil {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("cleanup of %s: %v", opts.Name, err)
			return
		}
		defer cl.Disconnect()
		if err := testguest.Remove(cl, opts.Name, guestDir); err != nil {
			t.Errorf("cleanup of %s: %v", opts.Name, err)
		}
	})
	return guest{Name: opts.Name, UUID: formatUUID(dom.UUID), Log: testguest.SerialLogPath(guestDir, opts.Name), Dom: dom}
}

func formatUUID(u libvirt.UUID) string { return testrig.FormatUUID(u) }

// startGuest starts g with virsh-independent go-libvirt and waits until the
// guest's shells are up.
func bootAndWait(t *testing.T, g guest, start func()) string {
	t.Helper()
	since := testguest.LogSize(g.Log)
	start()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	id, err := testguest.WaitReady(ctx, g.Log, since)
	if err != nil {
		t.Fatalf("guest %s did not boot: %v", g.Name, err)
	}
	return id
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// api sends a request with the bearer token and returns status and body.
func api(method, path string, body any) (int, []byte) {
	st, b, err := srv.Do(context.Background(), method, path, body)
	if err != nil {
		return 0, []byte(err.Error())
	}
	return st, b
}

func apiJSON(method, path string, body, out any) (int, []byte) {
	st, b := api(method, path, body)
	if out != nil && len(b) > 0 {
		_ = json.Unmarshal(b, out)
	}
	return st, b
}

// virsh runs virsh against the system daemon: the ground truth the API is
// compared with.
func virsh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-c", "qemu:///system"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// virshState returns the state as the API names it.
func virshState(t *testing.T, name string) string {
	t.Helper()
	s := virsh(t, "domstate", name)
	switch s {
	case "shut off":
		return "shutoff"
	case "in shutdown":
		return "shutting-down"
	case "pmsuspended":
		return "pmsuspended"
	}
	return s
}

type vmJSON struct {
	Host, UUID, Name, State, Reason string
	SnapshotCount                   int      `json:"snapshotCount"`
	Actions                         []string `json:"actions"`
	Disks                           []struct {
		Target, Source, Format string
		Capacity               *uint64 `json:"capacityBytes"`
	} `json:"disks"`
	Graphics []struct {
		Type string
		Port int
	} `json:"graphics"`
	VCPUs        int    `json:"vcpus"`
	MemoryMaxKiB uint64 `json:"memoryMaxKiB"`
	DomainType   string `json:"domainType"`
	Stats        *struct {
		CPUPercent *float64 `json:"cpuPercent"`
	} `json:"stats"`
}

func getVM(t *testing.T, uuid string) vmJSON {
	t.Helper()
	var vm vmJSON
	st, b := apiJSON("GET", "/api/v1/hosts/local/vms/"+uuid, nil, &vm)
	if st != 200 {
		t.Fatalf("GET vm %s: %d %s", uuid, st, b)
	}
	return vm
}

type opJSON struct {
	ID, Kind, State string
	Error           *struct{ Code, Message, Hint string }
	Result          json.RawMessage
}

func waitOp(t *testing.T, id string, d time.Duration) opJSON {
	t.Helper()
	var op opJSON
	waitFor(t, d, "operation "+id, func() bool {
		apiJSON("GET", "/api/v1/operations/"+id, nil, &op)
		return op.State != "" && op.State != "running"
	})
	return op
}
