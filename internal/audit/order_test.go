package audit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeLines writes entries as the log would have, in the order given.
func writeLines(t *testing.T, path string, es []Entry) {
	t.Helper()
	var b []byte
	for _, e := range es {
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b = append(append(b, line...), '\n')
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// pageAll reads every page of f's answer through the cursor.
func pageAll(t *testing.T, l *Log, f Filter) []Entry {
	t.Helper()
	var out []Entry
	for range 100 {
		page, more, err := l.Query(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if !more {
			return out
		}
		c := f.Next(page)
		f.At, f.Skip = c.At, c.Skip
	}
	t.Fatal("paging did not end")
	return nil
}

// TestQueryAcrossRotationOutOfWriteOrder is the log of issue 13 (an
// 08:53:33 entry listed above 08:53:40 ones): console sessions that began
// before a rotation are written after it, with their start time, into the
// new file, while entries of the seconds in between sit in the rotated
// one. A page full from the new file alone must still take the rotated
// file's newer entries into account.
func TestQueryAcrossRotationOutOfWriteOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	day := time.Date(2026, 12, 7, 8, 53, 0, 0, time.UTC)
	at := func(sec int) time.Time { return day.Add(time.Duration(sec) * time.Second) }
	var rotated, current []Entry
	for s := 40; s <= 45; s++ {
		rotated = append(rotated, Entry{Time: at(s), User: "otto", Client: "127.0.0.1", Action: "vm.start", Result: ResultOK})
	}
	for i := range 3 {
		// Written first into the new file: sessions that started at :33.
		current = append(current, Entry{Time: at(33), User: "ada", Client: "127.0.0.1", Action: "console.open", Detail: string(rune('a' + i)), Result: ResultOK, Status: 101})
	}
	for s := 100; s < 110; s++ {
		current = append(current, Entry{Time: at(s), User: "otto", Client: "127.0.0.1", Action: "vm.reboot", Result: ResultOK})
	}
	writeLines(t, path+".1", rotated)
	writeLines(t, path, current)
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	for _, limit := range []int{1, 2, 5, 11, 12, 100} {
		got := pageAll(t, l, Filter{Limit: limit})
		if len(got) != len(rotated)+len(current) {
			t.Fatalf("limit %d: %d entries, want %d", limit, len(got), len(rotated)+len(current))
		}
		for i := 1; i < len(got); i++ {
			if got[i].Time.After(got[i-1].Time) {
				t.Fatalf("limit %d: entry %d (%s %s) is listed below an older one (%s %s)", limit, i,
					got[i].Time.Format(time.TimeOnly), got[i].Action, got[i-1].Time.Format(time.TimeOnly), got[i-1].Action)
			}
		}
	}
}

// TestQueryCursorKeepsTies pages through entries that share one time: the
// cursor's skip count keeps each exactly once (a plain "before" cursor
// would drop those of the last time on a page that the page did not hold).
func TestQueryCursorKeepsTies(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	l, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 7 {
		tm := t0
		if i == 6 {
			tm = t0.Add(-time.Second)
		}
		if err := l.Write(Entry{Time: tm, User: "u", Client: "c", Action: "vm.start", Detail: string(rune('a' + i)), Result: ResultOK}); err != nil {
			t.Fatal(err)
		}
	}
	got := pageAll(t, l, Filter{Limit: 2})
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.Detail] {
			t.Fatalf("entry %s listed twice", e.Detail)
		}
		seen[e.Detail] = true
	}
	if len(seen) != 7 {
		t.Fatalf("%d of 7 entries listed: %v", len(seen), seen)
	}
	if _, err := ParseCursor("bad"); err == nil {
		t.Error("a cursor without ~ was accepted")
	}
	c := Cursor{At: t0, Skip: 3}
	if back, err := ParseCursor(c.String()); err != nil || !back.At.Equal(c.At) || back.Skip != 3 {
		t.Errorf("cursor round trip: %v, %v", back, err)
	}
}
