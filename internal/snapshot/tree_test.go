package snapshot

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func snapAt(name, parent string, minute int) Snapshot {
	return Snapshot{Name: name, Parent: parent, CreationTime: time.Date(2026, 1, 1, 0, minute, 0, 0, time.UTC)}
}

// treeString renders roots as "a(b(c) d)".
func treeString(nodes []*TreeNode) string {
	var parts []string
	for _, n := range nodes {
		s := n.Name
		if len(n.Children) > 0 {
			s += "(" + treeString(n.Children) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func names(snaps []Snapshot) []string {
	var out []string
	for _, s := range snaps {
		out = append(out, s.Name)
	}
	return out
}

func TestBuildForest(t *testing.T) {
	tests := []struct {
		name      string
		snaps     []Snapshot
		current   string
		wantTree  string
		wantOrder []string
	}{
		{"empty", nil, "", "", nil},
		{"chain", []Snapshot{snapAt("c", "b", 3), snapAt("a", "", 1), snapAt("b", "a", 2)}, "c", "a(b(c))", []string{"a", "b", "c"}},
		{"branches, siblings oldest first", []Snapshot{
			snapAt("root", "", 0), snapAt("late", "root", 9), snapAt("early", "root", 1), snapAt("leaf", "early", 2), snapAt("root2", "", 5),
		}, "leaf", "root(early(leaf) late) root2", []string{"root", "early", "leaf", "late", "root2"}},
		{"same time sorted by name", []Snapshot{snapAt("b", "", 0), snapAt("a", "", 0)}, "", "a b", []string{"a", "b"}},
		{"unknown parent becomes a root", []Snapshot{snapAt("orphan", "gone", 1), snapAt("x", "", 0)}, "", "x orphan", []string{"x", "orphan"}},
		{"cycle still lists everything once", []Snapshot{snapAt("p", "q", 0), snapAt("q", "p", 1), snapAt("r", "", 2)}, "", "r p(q)", []string{"r", "p", "q"}},
		{"self parent", []Snapshot{snapAt("s", "s", 0)}, "", "s", []string{"s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := buildForest(tt.snaps, tt.current)
			if got := treeString(f.roots); got != tt.wantTree {
				t.Errorf("tree = %q, want %q", got, tt.wantTree)
			}
			flat := f.flat()
			if got := names(flat); !slices.Equal(got, tt.wantOrder) {
				t.Errorf("order = %v, want %v", got, tt.wantOrder)
			}
			for _, s := range flat {
				if s.Current != (s.Name == tt.current) {
					t.Errorf("%s: current = %v", s.Name, s.Current)
				}
				if s.Children == nil {
					t.Errorf("%s: children is nil, want [] in JSON", s.Name)
				}
			}
			if b, _ := json.Marshal(f.roots); tt.snaps == nil && string(b) != "[]" {
				t.Errorf("empty tree encodes as %s", b)
			}
		})
	}
}

func TestDescendants(t *testing.T) {
	// a ── b ── c
	//  │    └── d ── e
	//  └── f
	f := buildForest([]Snapshot{
		snapAt("a", "", 0), snapAt("b", "a", 1), snapAt("c", "b", 2), snapAt("d", "b", 3), snapAt("e", "d", 4), snapAt("f", "a", 5),
	}, "e")
	want := map[string]int{"a": 5, "b": 3, "c": 0, "d": 1, "e": 0, "f": 0}
	for name, n := range want {
		if got := f.byName[name].Descendants; got != n {
			t.Errorf("%s has %d descendants, want %d", name, got, n)
		}
	}
	if got := f.descendants("b"); !slices.Equal(got, []string{"c", "d", "e"}) {
		t.Errorf("descendants(b) = %v", got)
	}
	if got := f.descendants("c"); len(got) != 0 {
		t.Errorf("descendants(c) = %v", got)
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{{"a", "e", true}, {"b", "e", true}, {"d", "e", true}, {"e", "e", false}, {"f", "e", false}, {"e", "a", false}, {"", "e", false}} {
		if got := f.isAncestor(c.a, c.b); got != c.want {
			t.Errorf("isAncestor(%q, %q) = %v", c.a, c.b, got)
		}
	}
	if currentOf(f) != "e" {
		t.Errorf("current = %q", currentOf(f))
	}
}

// TestBuildForestLarge checks that a deep chain of hundreds builds quickly
// and completely (the list must be fast for hundreds of snapshots).
func TestBuildForestLarge(t *testing.T) {
	var snaps []Snapshot
	for i := 0; i < 1000; i++ {
		parent := ""
		if i > 0 {
			parent = snaps[i-1].Name
		}
		snaps = append(snaps, snapAt("s"+string(rune('a'+i%26))+strings.Repeat("x", i/26), parent, i))
	}
	start := time.Now()
	f := buildForest(snaps, "")
	if len(f.order) != 1000 || f.byName[snaps[0].Name].Descendants != 999 {
		t.Fatalf("chain of 1000: %d listed, root has %d descendants", len(f.order), f.byName[snaps[0].Name].Descendants)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("building a chain of 1000 took %s", d)
	}
}
