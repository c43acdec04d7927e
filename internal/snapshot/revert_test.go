package snapshot

import (
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/virt"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestRevertFlags(t *testing.T) {
	tests := []struct {
		after string
		force bool
		want  virt.SnapshotRevertFlags
		bad   bool
	}{
		{"", false, 0, false},
		{"snapshot", false, 0, false},
		{"running", false, virt.SnapshotRevertRunning, false},
		{"paused", true, virt.SnapshotRevertPaused | virt.SnapshotRevertForce, false},
		{"snapshot", true, virt.SnapshotRevertForce, false},
		{"stopped", false, 0, true},
		{"Running", false, 0, true},
	}
	for _, tt := range tests {
		got, err := revertFlags(tt.after, tt.force)
		if tt.bad {
			if p, ok := problem.As(err); !ok || p.Code != "invalid_after" {
				t.Errorf("revertFlags(%q) = %v, want invalid_after", tt.after, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("revertFlags(%q, %v) = %b, %v; want %b", tt.after, tt.force, got, err, tt.want)
		}
	}
}

func TestRevertImpact(t *testing.T) {
	cur := snapAt("before-upgrade", "", 30)
	im := revertImpact("web1", true, &cur)
	if im.Since == nil || !im.Since.Equal(time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("since = %v", im.Since)
	}
	for _, want := range []string{`"web1"`, "memory and disks", "2026-01-01 00:30:00 UTC", `"before-upgrade"`, "will be lost"} {
		if !strings.Contains(im.Message, want) {
			t.Errorf("message %q lacks %q", im.Message, want)
		}
	}
	none := revertImpact("web1", false, nil)
	if none.Since != nil || !strings.Contains(none.Message, "no current snapshot") || strings.Contains(none.Message, "memory") {
		t.Errorf("without a current snapshot: %+v", none)
	}
}

func TestRevertCheck(t *testing.T) {
	ext := Snapshot{Name: "e", Location: "external", State: "disk-snapshot"}
	if c := revertCheck(&ext, V(9, 0, 0)); c.Possible || !strings.Contains(joined(c), "9.9.0 or newer") {
		t.Errorf("external on 9.0: %+v", c)
	}
	if c := revertCheck(&ext, V(9, 9, 0)); !c.Possible || !strings.Contains(joined(c), "holds no memory") {
		t.Errorf("external on 9.9: %+v", c)
	}
	in := Snapshot{Name: "i", Location: "internal", State: "running", Memory: true}
	if c := revertCheck(&in, V(9, 0, 0)); !c.Possible {
		t.Errorf("internal: %+v", c)
	}
}
