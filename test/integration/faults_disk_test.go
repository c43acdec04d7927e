//go:build integration

package integration

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// fltSmallDisk mounts a 1 MiB tmpfs at a new folder and unmounts it when
// the test ends (after anything registered later, such as a server using
// it, has been stopped).
func fltSmallDisk(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fltFill writes a file into dir until the disk is full.
func fltFill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return
		}
	}
}

// fltUnfill removes what fltFill wrote.
func fltUnfill(t *testing.T, dir string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
}

// fltLogin logs in with the token as a browser does and returns the
// session cookie.
func fltLogin(t *testing.T, s *testrig.Server) *http.Cookie {
	t.Helper()
	res, err := http.Post(s.URL+"/api/v1/login", "application/json", strings.NewReader(`{"token":"`+s.Token+`"}`))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("login: %s", res.Status)
	}
	for _, c := range res.Cookies() {
		if c.Name == "kvmm_session" {
			return c
		}
	}
	t.Fatal("login set no session cookie")
	return nil
}

// fltAuditJSON is GET /api/v1/audit.
type fltAuditJSON struct {
	Entries []struct {
		Action, Result, UUID string
	}
	WriteError string `json:"writeError"`
}

// fltAudit reads the audit log; ok is false when the server has none yet
// (the route does not exist).
func fltAudit(t *testing.T, s *testrig.Server) (a fltAuditJSON, ok bool) {
	t.Helper()
	st, b := fltDo(s, "GET", "/api/v1/audit?limit=50", nil, &a)
	if st == 404 && strings.Contains(string(b), "no_such_route") {
		return a, false
	}
	if st != 200 {
		t.Fatalf("GET /api/v1/audit: %d %s", st, b)
	}
	return a, true
}

// TestFaultDiskFull fills the data dir and the screenshots folder (each a
// 1 MiB tmpfs) of a server of its own: saving a screenshot says the disk is
// full and what to do, a snapshot is still taken (its stored screenshot is
// skipped and logged), logging in works, the server keeps serving, and the
// audit log reports that it cannot be written while actions still answer.
// Once space is free again, screenshots are saved again.
func TestFaultDiskFull(t *testing.T) {
	data := fltSmallDisk(t, "data")
	shots := fltSmallDisk(t, "screenshots")
	s := fltServer(t, []string{"--data-dir", data, "--screenshots-dir", shots})
	g := fltGuest(t, lv(t), testguest.Options{}, s)
	fltBoot(t, g)
	waitFor(t, 20*time.Second, "the server to see the guest running", func() bool {
		var vm vmJSON
		fltDo(s, "GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, &vm)
		return vm.State == "running"
	})
	// Saving works before the disk is full.
	var saved struct{ Path string }
	if st, b := fltDo(s, "POST", gcPath(g.UUID, "/screenshot"), nil, &saved); st != 200 || filepath.Dir(saved.Path) != shots {
		t.Fatalf("screenshot with free space: %d %s", st, b)
	}
	if err := os.Remove(saved.Path); err != nil {
		t.Fatal(err)
	}
	fltFill(t, data)
	fltFill(t, shots)

	t.Run("screenshot", func(t *testing.T) {
		var e apiError
		st, b := fltDo(s, "POST", gcPath(g.UUID, "/screenshot"), nil, &e)
		if st != 507 && st != 503 || e.Error.Code != "disk_full" || !strings.Contains(e.Error.Message, "full") ||
			!strings.Contains(e.Error.Message, shots) || !strings.Contains(e.Error.Hint, "free some space") {
			t.Fatalf("screenshot on a full disk: %d %s", st, b)
		}
		t.Logf("figure: screenshot on a full disk: HTTP %d %s — %s (hint: %s)", st, e.Error.Code, e.Error.Message, e.Error.Hint)
		ents, _ := os.ReadDir(shots)
		if len(ents) != 1 {
			t.Errorf("the failed save left files behind: %v", ents)
		}
	})

	t.Run("snapshot", func(t *testing.T) {
		// libvirt writes the snapshot into the VM's image, elsewhere; only
		// the console screenshot kept with it needs the data dir.
		var op opJSON
		if st, b := fltDo(s, "POST", snapPath(g.UUID), map[string]any{"name": "full"}, &op); st != 202 {
			t.Fatalf("snapshot on a full data disk: %d %s", st, b)
		}
		if done := fltWaitOp(t, s, op.ID, 120*time.Second); done.State != "succeeded" {
			t.Fatalf("snapshot on a full data disk: %s %+v", done.State, done.Error)
		}
		waitFor(t, 30*time.Second, "the skipped screenshot in the log", func() bool {
			return strings.Contains(s.Log(), "no screenshot stored with the snapshot")
		})
		fltTreeMatches(t, s, g)
		var l snapListJSON
		fltDo(s, "GET", snapPath(g.UUID), nil, &l)
		if len(l.Snapshots) != 1 || l.Snapshots[0].Screenshot {
			t.Errorf("snapshots after a skipped screenshot: %+v", l.Snapshots)
		}
		var left []string
		_ = filepath.WalkDir(filepath.Join(data, "snapshots"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if len(left) > 0 {
			t.Errorf("the failed screenshot store left files: %v", left)
		}
	})

	t.Run("login and serving", func(t *testing.T) {
		// The session store cannot be written; the session works anyway.
		c := fltLogin(t, s)
		req, _ := http.NewRequest("GET", s.URL+"/api/v1/session", nil)
		req.AddCookie(c)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("session after a login on a full disk: %v %v", err, res)
		}
		res.Body.Close()
		for _, p := range []string{"/healthz", "/api/v1/vms", "/api/v1/hosts"} {
			if st, b := fltDo(s, "GET", p, nil, nil); st != 200 {
				t.Errorf("GET %s on a full disk: %d %s", p, st, b)
			}
		}
	})

	t.Run("audit", func(t *testing.T) {
		if _, ok := fltAudit(t, s); !ok {
			t.Log("the server has no audit log yet (GET /api/v1/audit is not routed): nothing to check")
			return
		}
		// State-changing actions still answer, and the audit log says it
		// cannot be written. The log file was opened before the disk
		// filled up: the rest of its last page still takes a few entries.
		var a fltAuditJSON
		for i := 0; a.WriteError == ""; i++ {
			if i == 80 {
				t.Fatalf("after %d actions on a full disk the audit log does not report that it cannot be written: %+v", i, a)
			}
			action := []string{"pause", "resume"}[i%2]
			if st, b := fltDo(s, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/"+action, nil, nil); st != 200 {
				t.Fatalf("%s with a full audit disk: %d %s", action, st, b)
			}
			a, _ = fltAudit(t, s)
		}
		if virshState(t, g.Name) != "running" {
			if st, b := fltDo(s, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/resume", nil, nil); st != 200 {
				t.Fatalf("resume with a full audit disk: %d %s", st, b)
			}
		}
		t.Logf("figure: audit writeError on a full disk: %s", a.WriteError)
	})

	// Space again: screenshots are saved again.
	fltUnfill(t, shots)
	fltUnfill(t, data)
	if st, b := fltDo(s, "POST", gcPath(g.UUID, "/screenshot"), nil, &saved); st != 200 {
		t.Fatalf("screenshot after freeing space: %d %s", st, b)
	}
	if a, ok := fltAudit(t, s); ok {
		for _, action := range []string{"pause", "resume"} {
			if st, b := fltDo(s, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/"+action, nil, nil); st != 200 {
				t.Fatalf("%s after freeing space: %d %s", action, st, b)
			}
		}
		if a, _ = fltAudit(t, s); a.WriteError != "" {
			t.Errorf("the audit log still reports %q after space was freed and an action written", a.WriteError)
		}
	}
	// Stop the server before its disks are unmounted.
	if took, err := s.Stop(); err != nil {
		t.Errorf("stop after a full disk: %v (%s)", err, took)
	}
	var sessions json.RawMessage
	if b, err := os.ReadFile(filepath.Join(data, "sessions.json")); err == nil && json.Unmarshal(b, &sessions) != nil {
		t.Errorf("sessions.json is damaged after the disk was full: %q", b)
	}
}
