package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestWriteQueryRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	l, err := Open(Options{Path: path, MaxSize: 2000})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 30; i++ {
		e := Entry{Time: t0.Add(time.Duration(i) * time.Second), User: "otto", Client: "127.0.0.1", Action: "vm.start", VM: "web", UUID: "u-1", Result: ResultOK}
		if i%3 == 0 {
			e.User, e.Action, e.VM = "ada", "vm.delete", "db"
		}
		if err := l.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := os.Stat(path + ".1"); err != nil || st.Size() > 2000 {
		t.Fatalf("no rotation: %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("audit log mode %v", st.Mode())
	}
	got, more, err := l.Query(Filter{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || !more || !got[0].Time.Equal(t0.Add(29*time.Second)) || !got[0].Time.After(got[1].Time) {
		t.Fatalf("newest first: %+v more=%v", got, more)
	}
	page2, _, _ := l.Query(Filter{Limit: 5, Before: got[4].Time})
	if len(page2) != 5 || !page2[0].Time.Before(got[4].Time) {
		t.Fatalf("paging: %+v", page2)
	}
	ada, _, _ := l.Query(Filter{User: "ada", Limit: 1000})
	for _, e := range ada {
		if e.User != "ada" || e.Action != "vm.delete" {
			t.Fatalf("user filter let through %+v", e)
		}
	}
	if len(ada) == 0 {
		t.Fatal("no entries for ada")
	}
	byVM, _, _ := l.Query(Filter{VM: "u-1", Action: "vm"})
	for _, e := range byVM {
		if e.UUID != "u-1" {
			t.Fatalf("vm filter let through %+v", e)
		}
	}
	if len(byVM) == 0 {
		t.Fatal("no entries for the VM by uuid")
	}
}

func TestDamagedLinesAreSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte(`{"time":"2026-01-01T00:00:00Z","user":"a","action":"login","result":"ok"}`+"\n{broken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Entry{User: "b", Action: "logout", Result: ResultOK}); err != nil {
		t.Fatal(err)
	}
	got, _, err := l.Query(Filter{})
	if err != nil || len(got) != 2 || got[0].User != "b" || got[1].User != "a" {
		t.Fatalf("got %+v %v", got, err)
	}
}

// TestWriteFailureIsReportedAndRecovers uses /dev/full, which fails every
// write with ENOSPC like a full disk.
func TestWriteFailureIsReportedAndRecovers(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if err := os.Symlink("/dev/full", path); err != nil {
		t.Fatal(err)
	}
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Entry{User: "a", Action: "vm.start", Result: ResultOK}); err == nil {
		t.Fatal("a write to a full disk succeeded")
	}
	if we := l.WriteError(); !strings.Contains(we, "no space left") {
		t.Fatalf("write error %q", we)
	}
	// Space comes back (here: the file is a normal one again).
	l.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Entry{User: "a", Action: "vm.start", Result: ResultOK}); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if we := l.WriteError(); we != "" {
		t.Fatalf("write error still reported: %q", we)
	}
}

// TestFailedLoginsCannotEvictUsers: a flood of failed logins, refused
// ones and checked ones, fills only the anonymous file; an admin's entry
// written before it is still found, and the anonymous file stays bounded.
func TestFailedLoginsCannotEvictUsers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	l, err := Open(Options{Path: path, MaxSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t0 := time.Now()
	if err := l.Write(Entry{Time: t0, User: "ada", Role: "admin", Client: "127.0.0.1", Action: "vm.autostart", UUID: "u-1", Result: ResultOK}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20000; i++ {
		e := Entry{Time: t0.Add(time.Duration(i+1) * time.Microsecond), User: fmt.Sprintf("guess-%d", i%7),
			Client: fmt.Sprintf("10.0.%d.%d", i%3, i%200), Action: "login", Result: ResultError, Status: 401,
			Error: &problem.Info{Code: "invalid_credentials", Message: "wrong user name or password"}}
		throttled := i%10 != 0
		if throttled {
			e.Status, e.Error = 429, &problem.Info{Code: "too_many_attempts", Message: "wait"}
		}
		if err := l.FailedLogin(e, throttled); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := l.Query(Filter{Action: "vm.autostart"})
	if err != nil || len(got) != 1 || got[0].User != "ada" {
		t.Fatalf("the admin's entry after the flood: %+v %v", got, err)
	}
	// Unfiltered, newest first: the failed logins, and the admin's entry
	// on the last page.
	var all []Entry
	before := time.Time{}
	for page := 0; page < 100; page++ {
		es, more, err := l.Query(Filter{Before: before, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(es); i++ {
			if es[i].Time.After(es[i-1].Time) {
				t.Fatalf("page %d not newest first at %d: %v after %v", page, i, es[i].Time, es[i-1].Time)
			}
		}
		all = append(all, es...)
		if !more {
			break
		}
		before = es[len(es)-1].Time
	}
	if len(all) == 0 || all[len(all)-1].Action != "vm.autostart" {
		t.Fatalf("paging did not reach the admin's entry (%d entries)", len(all))
	}
	users, _ := os.ReadFile(path)
	if strings.Contains(string(users), "guess-") {
		t.Error("failed logins were written to the users' file")
	}
	anon, _ := filepath.Glob(filepath.Join(dir, "audit-anonymous.log*"))
	var size int64
	for _, p := range anon {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		size += st.Size()
	}
	if len(anon) != 2 || size > 2*4096 {
		t.Errorf("anonymous files %v, %d bytes: want the file and one rotated, at most 8 KiB", anon, size)
	}
}

// TestRefusedLoginsAreSummed: refused attempts become one summary per
// client and interval, with the count, a bounded list of names and the
// span; pending summaries show in queries at once; addresses beyond the
// bound share one summary.
func TestRefusedLoginsAreSummed(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(Options{Path: filepath.Join(dir, "audit.log"), SummaryInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	refuse := func(client, user string, at time.Duration) {
		t.Helper()
		e := Entry{Time: t0.Add(at), User: user, Client: client, Action: "login", Result: ResultError, Status: 429,
			Error: &problem.Info{Code: "too_many_attempts", Message: "too many failed logins"}}
		if err := l.FailedLogin(e, true); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 1000; i++ {
		refuse("10.0.0.1", "admin", time.Duration(i)*time.Millisecond)
	}
	for i := 0; i < 10; i++ {
		refuse("10.0.0.2", fmt.Sprintf("name-%d-%s", i, strings.Repeat("x", 100)), time.Second)
	}
	got, _, err := l.Query(Filter{Action: "login"})
	if err != nil || len(got) != 2 {
		t.Fatalf("pending summaries: %+v %v", got, err)
	}
	one, many := got[1], got[0]
	if one.Client != "10.0.0.1" || one.Count != 1000 || one.User != "admin" || one.Status != 429 ||
		one.DurationMs != 999 || !one.Time.Equal(t0) || !strings.HasPrefix(one.Detail, `1000 failed logins for "admin"`) {
		t.Errorf("summary of one name: %+v", one)
	}
	if many.Count != 10 || many.User != "" || len(many.Names) != summaryNames || !strings.Contains(many.Detail, "and other names") {
		t.Errorf("summary of many names: %+v", many)
	}
	for _, n := range many.Names {
		if len(n) > summaryNameLen+len("…") {
			t.Errorf("name not clipped: %q", n)
		}
	}
	// The user filter finds a name a summary lists.
	if es, _, _ := l.Query(Filter{User: many.Names[2]}); len(es) != 1 || es[0].Client != "10.0.0.2" {
		t.Errorf("user filter on a listed name: %+v", es)
	}
	// Beyond the bound of addresses: one shared summary.
	for i := 0; i < summaryClients+50; i++ {
		refuse(fmt.Sprintf("10.1.%d.%d", i/256, i%256), "root", 2*time.Second)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "audit-anonymous.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != summaryClients+1 {
		t.Fatalf("%d summary lines, want %d", len(lines), summaryClients+1)
	}
	if !strings.Contains(string(raw), `"client":"other addresses"`) {
		t.Error("no shared summary for the addresses beyond the bound")
	}
}

// TestSummariesAreWrittenEachInterval: the timer writes pending summaries
// and the next refused attempt starts a new one.
// It runs in a synctest bubble: the interval passes on the bubble's clock
// as soon as every goroutine waits, so the test neither sleeps nor polls.
func TestSummariesAreWrittenEachInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		l, err := Open(Options{Path: filepath.Join(dir, "audit.log"), SummaryInterval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		e := Entry{User: "admin", Client: "10.0.0.1", Action: "login", Result: ResultError, Status: 429}
		for i := 0; i < 3; i++ {
			_ = l.FailedLogin(e, true)
		}
		anon := filepath.Join(dir, "audit-anonymous.log")
		if raw, _ := os.ReadFile(anon); strings.Contains(string(raw), `"count":3`) {
			t.Fatalf("summary written before its interval: %q", raw)
		}
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if raw, _ := os.ReadFile(anon); !strings.Contains(string(raw), `"count":3`) {
			t.Fatalf("no summary written after its interval: %q", raw)
		}
		_ = l.FailedLogin(e, true)
		if es, _, _ := l.Query(Filter{}); len(es) != 2 || es[0].Count+es[1].Count != 4 {
			t.Fatalf("after a new refused attempt: %+v", es)
		}
	})
}

// TestRotateByAge: a file is rotated at the first write after its first
// line turned MaxAge old, generations beyond Keep are dropped (also ones
// a larger Keep left), and queries read every kept generation.
func TestRotateByAge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(path+".9", []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l, err := Open(Options{Path: path, MaxAge: 24 * time.Hour, Keep: 2, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := os.Stat(path + ".9"); !os.IsNotExist(err) {
		t.Errorf("a generation beyond Keep was left: %v", err)
	}
	for day := 0; day < 4; day++ {
		for h := 0; h < 3; h++ {
			if err := l.Write(Entry{User: "ada", Action: "vm.start", Result: ResultOK, Detail: fmt.Sprint(day)}); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Hour)
		}
		now = now.Add(21 * time.Hour)
	}
	for _, g := range []string{"", ".1", ".2"} {
		if _, err := os.Stat(path + g); err != nil {
			t.Errorf("generation %q: %v", g, err)
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("a third generation was kept: %v", err)
	}
	es, more, err := l.Query(Filter{Limit: 1000})
	if err != nil || more || len(es) != 9 || es[0].Detail != "3" || es[8].Detail != "1" {
		t.Fatalf("three days kept, newest first: %+v more=%v %v", es, more, err)
	}
	// Reopening finds the age of the current file from its first line.
	l.Close()
	now = now.Add(-20 * time.Hour) // 4 h after day 3's first line
	l2, err := Open(Options{Path: path, MaxAge: 24 * time.Hour, Keep: 2, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	_ = l2.Write(Entry{User: "ada", Action: "vm.stop", Result: ResultOK})
	if es, _, _ := l2.Query(Filter{Limit: 1000}); len(es) != 10 {
		t.Errorf("a young file was rotated after reopening: %d entries", len(es))
	}
}
