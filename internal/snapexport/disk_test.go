package snapexport

import "testing"

func TestSnapshotParamAndFileName(t *testing.T) {
	if got := snapshotParam("a,b"); got != "snapshot.name=a,,b" {
		t.Errorf("snapshotParam: %q", got)
	}
	for _, tc := range []struct{ vm, snap, disk, format, want string }{
		{"web-1", "nightly", "vda", "qcow2", "web-1-nightly-vda.qcow2"},
		{"../a b", "s/1", "vdb", "raw", "a_b-s_1-vdb.raw"},
	} {
		if got := DiskFileName(tc.vm, tc.snap, tc.disk, tc.format); got != tc.want {
			t.Errorf("DiskFileName(%q, %q, %q): %q, want %q", tc.vm, tc.snap, tc.disk, got, tc.want)
		}
	}
}
