package snapshot

import (
	"slices"
	"strings"
	"testing"
)

func TestLivePullRefusal(t *testing.T) {
	for _, tc := range []struct {
		qemu    string
		refused bool
	}{
		{"7.2.22", true},
		{"8.2.0", true},
		{"", true},
		{"garbage", true},
		{"9.0.0", false},
		{"10.1.2", false},
	} {
		got := livePullRefusal(tc.qemu)
		if (got != "") != tc.refused {
			t.Errorf("QEMU %q: refusal %q, want refused=%v", tc.qemu, got, tc.refused)
		}
		if tc.refused && (!strings.Contains(got, "9.0") || !strings.Contains(got, "Shut the VM off")) {
			t.Errorf("QEMU %q: the refusal does not say what works: %q", tc.qemu, got)
		}
	}
}

func TestMergedAway(t *testing.T) {
	d := chainPlan{Target: "vda", Base: "/d/data.qcow2", Overlays: []string{"/d/data.s3.qcow2", "/d/data.s2.qcow2", "/d/data.s1.qcow2"}}
	if got := mergedAway(d, false); !slices.Equal(got, d.Overlays) {
		t.Errorf("commit: %v", got)
	}
	// A pull keeps the top (the disk) and leaves the base out of use.
	if got, want := mergedAway(d, true), []string{"/d/data.s2.qcow2", "/d/data.s1.qcow2", "/d/data.qcow2"}; !slices.Equal(got, want) {
		t.Errorf("pull: %v, want %v", got, want)
	}
	if len(d.Overlays) != 3 || d.Overlays[1] != "/d/data.s2.qcow2" {
		t.Errorf("mergedAway changed the plan: %v", d.Overlays)
	}
}
