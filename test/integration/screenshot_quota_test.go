//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// TestScreenshotQuota: an operator saving screenshots on the server cannot
// fill its disk. A server started with --screenshots-per-vm 2 saves two of a
// running guest, refuses the third with 507 screenshot_quota (saying which
// VM, which folder and how to make room) without writing anything, logs the
// refusal, and saves again once a file was removed.
func TestScreenshotQuota(t *testing.T) {
	l := lv(t)
	dir := filepath.Join(t.TempDir(), "shots")
	s, err := testrig.Start(serverBin, []string{"--stats-interval", "1s", "--screenshots-dir", dir, "--screenshots-per-vm", "2"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	g := gcGuest(t, l, testguest.Options{}, nil)
	gcBoot(t, g)
	waitFor(t, 20*time.Second, "the quota server to see "+g.Name+" running", func() bool {
		var vm vmJSON
		st, _ := fltDo(s, "GET", gcPath(g.UUID, ""), nil, &vm)
		return st == 200 && vm.State == "running"
	})

	save := func() (int, []byte) { return fltDo(s, "POST", gcPath(g.UUID, "/screenshot"), nil, nil) }
	files := func() []string {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	for i := range 2 {
		if st, b := save(); st != 200 {
			t.Fatalf("save %d: %d %s", i+1, st, b)
		}
	}
	st, b := save()
	var e struct {
		Error struct{ Code, Message, Hint string }
	}
	_ = json.Unmarshal(b, &e)
	if st != 507 || e.Error.Code != "screenshot_quota" || !strings.Contains(e.Error.Message, g.Name) ||
		!strings.Contains(e.Error.Message, dir) || !strings.Contains(e.Error.Hint, "--screenshots-per-vm") {
		t.Fatalf("third save: %d %s; want 507 screenshot_quota naming the VM, the folder and the flag", st, b)
	}
	if got := files(); len(got) != 2 {
		t.Fatalf("the folder holds %v after the refusal; want the 2 saved before", got)
	}
	waitFor(t, 5*time.Second, "the refusal in the server log", func() bool {
		return strings.Contains(s.Log(), "quota reached")
	})
	// Making room as the hint says lets the next one in.
	if err := os.Remove(filepath.Join(dir, files()[0])); err != nil {
		t.Fatal(err)
	}
	if st, b := save(); st != 200 {
		t.Fatalf("save after a file was removed: %d %s", st, b)
	}
	if got := files(); len(got) != 2 {
		t.Errorf("the folder holds %v; want 2", got)
	}
}
