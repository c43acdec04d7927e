package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
