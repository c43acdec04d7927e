package snapshot

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestCheckScope(t *testing.T) {
	for _, ok := range []string{"", "one", "subtree", "children"} {
		if err := checkScope(ok); err != nil {
			t.Errorf("checkScope(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"all", "ONE", "children-only"} {
		if p, ok := problem.As(checkScope(bad)); !ok || p.Code != "invalid_scope" || !strings.Contains(p.Hint, "scope=subtree") {
			t.Errorf("checkScope(%q) = %v", bad, p)
		}
	}
}

// TestFactsFromForest checks what the delete rules get from a tree.
func TestFactsFromForest(t *testing.T) {
	f := buildForest([]Snapshot{snapAt("r", "", 0), snapAt("c1", "r", 1), snapAt("c2", "c1", 2), snapAt("d1", "c1", 3),
		ext(snapAt("d2", "d1", 4))}, "d2")
	d, ok := factsFromForest(f, "c1")
	if !ok {
		t.Fatal("no facts for c1")
	}
	// The facts as comparable strings, so that a mismatch names the field.
	type facts struct{ Parent, Children, Descendants, External, Current string }
	got := facts{Children: strings.Join(d.children, ","), Descendants: strings.Join(d.descendants, ","),
		External: strings.Join(d.externalDescendants, ","), Current: d.current}
	if d.parent != nil {
		got.Parent = d.parent.Name
	}
	if want := (facts{Parent: "r", Children: "c2,d1", Descendants: "c2,d1,d2", External: "d2", Current: "d2"}); got != want {
		t.Fatalf("facts of c1:\n got  %+v\n want %+v", got, want)
	}
	if _, ok := factsFromForest(f, "gone"); ok {
		t.Fatal("facts of a missing snapshot")
	}
}

func ext(s Snapshot) Snapshot { s.Location = "external"; return s }

func TestDeleteChecks(t *testing.T) {
	v := V(9, 0, 0)
	// i1 (internal) ── i2 ── i3
	//               └── e1 (external) ── e2 ── e3
	//                                  └── e4
	internalAndExternal := []Snapshot{
		snapAt("i1", "", 0), snapAt("i2", "i1", 1), snapAt("i3", "i2", 2),
		ext(snapAt("e1", "i1", 3)), ext(snapAt("e2", "e1", 4)), ext(snapAt("e3", "e2", 5)), ext(snapAt("e4", "e1", 6)),
	}
	tests := []struct {
		name                   string
		snaps                  []Snapshot
		current, target        string
		version                Version
		one, subtree, children bool
		says                   string
	}{
		{"internal leaf", internalAndExternal, "i3", "i3", v, true, true, false, "no children"},
		{"internal middle", internalAndExternal, "i3", "i2", v, true, true, true, ""},
		{"root with external descendants", internalAndExternal, "i3", "i1", v, true, false, false, "external descendants"},
		{"external with internal parent", internalAndExternal, "e3", "e1", v, false, false, false, "internal parent"},
		{"external with two children", internalAndExternal, "e3", "e1", v, false, false, false, "has 2 children"},
		{"external leaf", internalAndExternal, "e3", "e3", v, true, false, false, "together with its children"},
		{"current external with a child", internalAndExternal, "e2", "e2", v, false, false, false, "current snapshot and has children"},
		{"external below the current one", internalAndExternal, "e1", "e2", v, false, false, false, "not on the path to the current snapshot"},
		{"external on old libvirt", internalAndExternal, "e3", "e3", V(8, 10, 0), false, false, false, "8.10.0 cannot delete external snapshots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snaps := append([]Snapshot(nil), tt.snaps...)
			f := buildForest(snaps, tt.current)
			d, _ := factsFromForest(f, tt.target)
			info := deleteChecks(d, tt.version)
			if info.One.Possible != tt.one || info.Subtree.Possible != tt.subtree || info.Children.Possible != tt.children {
				t.Errorf("possible one/subtree/children = %v %v %v, want %v %v %v\n%s\n%s\n%s", info.One.Possible, info.Subtree.Possible, info.Children.Possible,
					tt.one, tt.subtree, tt.children, joined(info.One), joined(info.Subtree), joined(info.Children))
			}
			all := joined(info.One) + joined(info.Subtree) + joined(info.Children)
			if !strings.Contains(all, tt.says) {
				t.Errorf("reasons %q lack %q", all, tt.says)
			}
		})
	}
}
