//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// extMarker writes marker i (8 bytes) at MiB i of the guest's data disk.
func extMarker(i int) string { return fmt.Sprintf("MARK-%03d", i) }

func extWrite(t *testing.T, g guest, i int) {
	t.Helper()
	// Asked, not typed: the answer comes once the write is on the disk.
	if got := snapAsk(t, g, fmt.Sprintf(`"$(printf %s | dd of=/dev/vda bs=1048576 seek=%d 2>/dev/null; sync; echo written)"`, extMarker(i), i)); got != "written" {
		t.Fatalf("writing marker %d: %q", i, got)
	}
}

// extRead reads the markers at MiB 0..n-1 inside the guest, from the disk
// (the guest's page cache dropped first), joined with ",".
func extRead(t *testing.T, g guest, n int) string {
	t.Helper()
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, fmt.Sprintf("$(dd if=/dev/vda bs=1048576 skip=%d count=1 2>/dev/null | head -c 8 | tr -c A-Z0-9- .)", i))
	}
	return snapAsk(t, g, `"$(sync; echo 3 >/proc/sys/vm/drop_caches)`+strings.Join(parts, ",")+`"`)
}

// extDir lists a directory: file name → SHA-256 of its content, leaving
// out the serial log (QEMU appends to it all the time).
func extDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		if e.Name() == filepath.Base(testguest.SerialLogPath(guestDir, "x")) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}

type usageJSON struct {
	VMState string
	Total   uint64
	Disks   []struct {
		Target string
		Layers []struct {
			File, Format, Role, Snapshot string
			Allocation                   struct{ Bytes *uint64 }
			InternalSnapshots            []struct {
				Name         string
				VMStateBytes uint64
			}
		}
	}
	Snapshots []struct {
		Name, Location string
		Holds, Frees   struct{ Bytes *uint64 }
	}
	Merge struct {
		Pull struct {
			Possible bool
			Reason   string
		}
		Possible bool
		Reasons  []string
		Forget   []string
		Disks    []struct {
			Target, Base string
			Overlays     []string
		}
	}
	MergeFrees *uint64
	Compact    struct {
		Possible bool
		Reasons  []string
		Images   []string
	}
}

func extUsage(t *testing.T, uuid string) usageJSON {
	t.Helper()
	var u usageJSON
	if st, b := apiJSON("GET", "/api/v1/hosts/local/vms/"+uuid+"/disk-usage", nil, &u); st != 200 {
		t.Fatalf("disk usage: %d %s", st, b)
	}
	return u
}

// extMergeCompact runs on a booted guest without snapshots (it is part of
// TestSnapshotExternalRules, which boots one anyway): external snapshots
// of the running guest, a different marker written in the guest after
// each, then a merge of the chain: every marker is intact inside the
// guest, the disk is back on its base image, the snapshots are forgotten,
// and of the VM's directory only the chain's overlays are gone (a decoy
// overlay-looking file beside them is untouched). Then an internal
// snapshot, zeros written, the VM shut off and its image compacted: space
// is reclaimed, the snapshot is still listed and reverting to it brings
// its state back. The guest runs again at the end, with snapshot c1.
func extMergeCompact(t *testing.T, g guest) {
	t0 := time.Now()
	step := func(what string) { t.Logf("%6.1fs %s", time.Since(t0).Seconds(), what) }
	dir := filepath.Dir(testguest.DataDiskPath(guestDir, g.Name))
	base := testguest.DataDiskPath(guestDir, g.Name)
	// A file that looks like an overlay of this disk but is not in its
	// chain: a merge must not touch it.
	decoy := filepath.Join(dir, "data.e9.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", decoy).CombinedOutput(); err != nil {
		t.Fatalf("decoy: %v %s", err, out)
	}

	extWrite(t, g, 0)
	for i, name := range []string{"e1", "e2", "e3"} {
		sn := snapCreate(t, g.UUID, map[string]any{"name": name, "memory": false})
		if sn.Location != "external" || sn.State != "disk-snapshot" {
			t.Fatalf("snapshot %s: %+v", name, sn)
		}
		if src := virsh(t, "domblklist", g.Name); !strings.Contains(src, filepath.Join(dir, "data."+name+".qcow2")) {
			t.Fatalf("the VM does not write to the overlay named after %s:\n%s", name, src)
		}
		extWrite(t, g, i+1)
	}
	if got, want := extRead(t, g, 4), "MARK-000,MARK-001,MARK-002,MARK-003"; got != want {
		t.Fatalf("markers before the merge: %q, want %q", got, want)
	}
	step("snapshots taken")
	snapTreeMatches(t, g)

	u := extUsage(t, g.UUID)
	if len(u.Disks) != 1 || len(u.Disks[0].Layers) != 4 || u.Disks[0].Layers[0].Role != "active" || u.Disks[0].Layers[0].Snapshot != "e3" ||
		u.Disks[0].Layers[3].File != base || u.Disks[0].Layers[3].Role != "base" {
		t.Fatalf("usage before the merge: %+v", u.Disks)
	}
	if !u.Merge.Possible || !slices.Equal(u.Merge.Forget, []string{"e3", "e2", "e1"}) || u.MergeFrees == nil || *u.MergeFrees == 0 {
		t.Fatalf("merge preview: %+v frees %v", u.Merge, u.MergeFrees)
	}
	for _, s := range u.Snapshots {
		if s.Location != "external" || s.Holds.Bytes == nil {
			t.Fatalf("snapshot usage: %+v", u.Snapshots)
		}
	}

	step("usage read")
	livePull := extLivePull(t)
	if !livePull {
		// This QEMU crashes in block pulls under block statistics: a
		// running VM's pull is refused, saying why, and changes nothing.
		if u.Merge.Pull.Possible || !strings.Contains(u.Merge.Pull.Reason, "QEMU") {
			t.Fatalf("pull preview of a running VM: %+v", u.Merge.Pull)
		}
		e := snapRefused(t, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/disk-usage/merge", map[string]any{"mode": "pull"}, 422, "merge_refused")
		if !strings.Contains(e.Error.Message, "QEMU") || e.Error.Hint == "" {
			t.Fatalf("live pull refusal: %+v", e.Error)
		}
	}
	before := extDir(t, dir)
	res := snapDo(t, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/disk-usage/merge", map[string]any{})
	var mr struct{ Forgotten, Removed []string }
	_ = json.Unmarshal(res, &mr)
	overlays := []string{filepath.Join(dir, "data.e3.qcow2"), filepath.Join(dir, "data.e2.qcow2"), filepath.Join(dir, "data.e1.qcow2")}
	if !slices.Equal(mr.Forgotten, []string{"e3", "e2", "e1"}) || !slices.Equal(mr.Removed, overlays) {
		t.Fatalf("merge result: %s", res)
	}
	step("merged")
	if src := virsh(t, "domblklist", g.Name); !strings.Contains(src, base) {
		t.Fatalf("after the merge the VM does not use its base:\n%s", src)
	}
	if inactive := virsh(t, "dumpxml", "--inactive", g.Name); !strings.Contains(inactive, "'"+base+"'") || strings.Contains(inactive, "data.e") {
		t.Fatalf("after the merge the definition does not name the base alone:\n%s", inactive)
	}
	if n := virshSnapshotNames(t, g.Name); len(n) != 0 {
		t.Fatalf("snapshots left after the merge: %v", n)
	}
	after := extDir(t, dir)
	for name, sum := range before {
		switch {
		case strings.HasPrefix(name, "data.e") && name != "data.e9.qcow2":
			if _, ok := after[name]; ok {
				t.Errorf("overlay %s is still there", name)
			}
		case name == "data.qcow2":
			if after[name] == "" {
				t.Errorf("the base image is gone")
			}
		case after[name] != sum:
			t.Errorf("%s was touched by the merge (%q → %q)", name, sum, after[name])
		}
	}
	if len(after) != len(before)-3 {
		t.Errorf("directory before %v, after %v", before, after)
	}
	if got, want := extRead(t, g, 4), "MARK-000,MARK-001,MARK-002,MARK-003"; got != want {
		t.Fatalf("markers after the merge: %q, want %q", got, want)
	}
	snapTreeMatches(t, g)

	step("merge checked")
	active := base
	if livePull {
		active = extPull(t, g, dir, base)
		step("pull checked")
	}
	// Compaction: an internal snapshot with memory, zeros written after
	// it (allocated clusters holding nothing), and marker 4.
	snapCreate(t, g.UUID, map[string]any{"name": "c1"})
	if got := snapAsk(t, g, `"$(dd if=/dev/zero of=/dev/vda bs=1048576 seek=8 count=24 2>/dev/null; sync; echo zeroed)"`); got != "zeroed" {
		t.Fatalf("writing zeros: %q", got)
	}
	extWrite(t, g, 4)
	if got := extRead(t, g, 5); got != "MARK-000,MARK-001,MARK-002,MARK-003,MARK-004" {
		t.Fatalf("markers before the compaction: %q", got)
	}
	step("c1 and zeros")
	snapRefused(t, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/disk-usage/compact", nil, 409, "compact_refused")
	virsh(t, "destroy", g.Name)
	waitFor(t, 20*time.Second, "shutoff in the API", func() bool { return getVM(t, g.UUID).State == "shutoff" })
	u = extUsage(t, g.UUID)
	if !u.Compact.Possible || !slices.Equal(u.Compact.Images, []string{active}) ||
		len(u.Disks[0].Layers[0].InternalSnapshots) != 1 || u.Disks[0].Layers[0].InternalSnapshots[0].VMStateBytes == 0 {
		t.Fatalf("compaction preview: %+v %+v", u.Compact, u.Disks)
	}
	step("shut off")
	res = snapDo(t, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/disk-usage/compact", nil)
	var cr struct {
		Before, After uint64
		Images        []struct{ Snapshots []string }
	}
	_ = json.Unmarshal(res, &cr)
	t.Logf("compaction: %d → %d bytes", cr.Before, cr.After)
	if cr.After+16<<20 > cr.Before || len(cr.Images) != 1 || len(cr.Images[0].Snapshots) != 1 {
		t.Fatalf("compaction reclaimed too little: %s", res)
	}
	step("compacted")
	if n := virshSnapshotNames(t, g.Name); !slices.Equal(n, []string{"c1"}) {
		t.Fatalf("snapshots after the compaction: %v", n)
	}
	// Reverting resumes the guest as it was at c1: markers 0-3, not 4.
	snapDo(t, "POST", snapPath(g.UUID, "c1", "revert"), map[string]any{})
	step("reverted")
	if got := extRead(t, g, 5); !strings.HasPrefix(got, "MARK-000,MARK-001,MARK-002,MARK-003,") || strings.HasSuffix(got, "MARK-004") {
		t.Fatalf("markers after reverting the compacted image: %q", got)
	}
}

// extPull runs on the guest after the merge (running on its base, markers
// 0-3, no snapshots): external snapshots p1 and p2 with markers 5 and 6
// written after each, then a merge by block pull. The disk stays on p2's
// overlay, which then stands alone and holds every marker (checked inside
// the guest); p1's overlay is deleted; the base is kept byte for byte;
// nothing else in the folder changes; the snapshots are forgotten. It
// returns the image the disk uses now.
func extPull(t *testing.T, g guest, dir, base string) string {
	t.Helper()
	top, mid := filepath.Join(dir, "data.p2.qcow2"), filepath.Join(dir, "data.p1.qcow2")
	snapCreate(t, g.UUID, map[string]any{"name": "p1", "memory": false})
	extWrite(t, g, 5)
	snapCreate(t, g.UUID, map[string]any{"name": "p2", "memory": false})
	extWrite(t, g, 6)
	read := func() string {
		got := extRead(t, g, 7)
		if !strings.HasPrefix(got, "MARK-000,MARK-001,MARK-002,MARK-003,") || !strings.HasSuffix(got, ",MARK-005,MARK-006") {
			t.Fatalf("markers: %q, want 0-3, 5 and 6", got)
		}
		return got
	}
	want := read()
	before := extDir(t, dir)
	snapRefused(t, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/disk-usage/merge", map[string]any{"mode": "sideways"}, 400, "invalid_merge_mode")
	res := snapDo(t, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/disk-usage/merge", map[string]any{"mode": "pull"})
	var mr struct {
		Mode                     string
		Forgotten, Removed, Kept []string
		Disks                    []struct{ Active string }
	}
	_ = json.Unmarshal(res, &mr)
	if mr.Mode != "pull" || !slices.Equal(mr.Forgotten, []string{"p2", "p1"}) || !slices.Equal(mr.Removed, []string{mid}) ||
		!slices.Equal(mr.Kept, []string{base}) || len(mr.Disks) != 1 || mr.Disks[0].Active != top {
		t.Fatalf("pull result: %s", res)
	}
	if live := virsh(t, "dumpxml", g.Name); !strings.Contains(live, "'"+top+"'") || strings.Contains(live, "'"+base+"'") || strings.Contains(live, "'"+mid+"'") {
		t.Fatalf("after the pull the VM does not use %s alone:\n%s", top, live)
	}
	if inactive := virsh(t, "dumpxml", "--inactive", g.Name); !strings.Contains(inactive, "'"+top+"'") {
		t.Fatalf("after the pull the definition does not name %s:\n%s", top, inactive)
	}
	if out, err := exec.Command("qemu-img", "info", "-U", "--output=json", top).Output(); err != nil || strings.Contains(string(out), "backing-filename") {
		t.Fatalf("after the pull %s still has a backing file: %v %s", top, err, out)
	}
	if n := virshSnapshotNames(t, g.Name); len(n) != 0 {
		t.Fatalf("snapshots left after the pull: %v", n)
	}
	after := extDir(t, dir)
	for name, sum := range before {
		switch name {
		case filepath.Base(mid):
			if _, ok := after[name]; ok {
				t.Errorf("overlay %s is still there", name)
			}
		case filepath.Base(top): // the active image: written to
		default:
			if after[name] != sum {
				t.Errorf("%s was touched by the pull (%q → %q)", name, sum, after[name])
			}
		}
	}
	if len(after) != len(before)-1 {
		t.Errorf("directory before %v, after %v", before, after)
	}
	if got := read(); got != want {
		t.Fatalf("markers after the pull %q, before %q", got, want)
	}
	snapTreeMatches(t, g)
	return top
}

// extLivePull reports whether the host's QEMU is one on which KVM
// Manager pulls a running VM's chain (9.0 or newer).
func extLivePull(t *testing.T) bool {
	t.Helper()
	out := virsh(t, "version")
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Running hypervisor: QEMU "); ok {
			var major int
			if _, err := fmt.Sscanf(v, "%d.", &major); err != nil {
				t.Fatalf("QEMU version %q: %v", v, err)
			}
			return major >= 9
		}
	}
	t.Fatalf("no QEMU version in virsh version:\n%s", out)
	return false
}

// extDiskMarker writes marker i (as extWrite does inside the guest) at
// MiB i of a shut-off VM's image.
func extDiskMarker(t *testing.T, image string, i int) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "marker")
	if err := os.WriteFile(f, []byte(extMarker(i)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("qemu-io", "-f", "qcow2", "-c", fmt.Sprintf("write -s %s %d 8", f, i<<20), image).CombinedOutput(); err != nil {
		t.Fatalf("qemu-io write marker %d into %s: %v: %s", i, image, err, out)
	}
}

// TestSnapshotMergePullOffline: a shut-off guest with external disk-only
// snapshots p1 and p2 (marker 0 in the base, 1 in p1's overlay, 2 in p2's)
// is merged by pull (qemu-img rebase onto no backing file). The disk stays
// on p2's overlay, which stands alone; p1's overlay is deleted; the base
// and a decoy overlay beside it keep their bytes; the snapshots are
// forgotten; and the disk, read as the guest sees it, holds all three
// markers (booting the guest to read them would cost 25 s of TCG here).
func TestSnapshotMergePullOffline(t *testing.T) {
	t.Parallel()
	g := newGuest(t, lv(t), "") // never booted
	base := testguest.DataDiskPath(guestDir, g.Name)
	dir := filepath.Dir(base)
	mid, top := filepath.Join(dir, "data.p1.qcow2"), filepath.Join(dir, "data.p2.qcow2")
	decoy := filepath.Join(dir, "data.e9.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", decoy).CombinedOutput(); err != nil {
		t.Fatalf("decoy: %v %s", err, out)
	}
	extDiskMarker(t, base, 0)
	virsh(t, "snapshot-create-as", g.Name, "p1", "--disk-only", "--diskspec", "vdb,snapshot=external,file="+mid)
	extDiskMarker(t, mid, 1)
	virsh(t, "snapshot-create-as", g.Name, "p2", "--disk-only", "--diskspec", "vdb,snapshot=external,file="+top)
	extDiskMarker(t, top, 2)

	u := extUsage(t, g.UUID)
	if !u.Merge.Possible || !u.Merge.Pull.Possible || !slices.Equal(u.Merge.Forget, []string{"p2", "p1"}) {
		t.Fatalf("merge preview of the shut-off guest: %+v", u.Merge)
	}
	before := extDir(t, dir)
	res := snapDo(t, "POST", "/api/v1/hosts/local/vms/"+g.UUID+"/disk-usage/merge", map[string]any{"mode": "pull"})
	var mr struct {
		Mode                     string
		Offline                  bool
		Forgotten, Removed, Kept []string
		Disks                    []struct{ Active string }
	}
	_ = json.Unmarshal(res, &mr)
	if mr.Mode != "pull" || !mr.Offline || !slices.Equal(mr.Forgotten, []string{"p2", "p1"}) || !slices.Equal(mr.Removed, []string{mid}) ||
		!slices.Equal(mr.Kept, []string{base}) || len(mr.Disks) != 1 || mr.Disks[0].Active != top {
		t.Fatalf("pull result: %s", res)
	}
	if inactive := virsh(t, "dumpxml", "--inactive", g.Name); !strings.Contains(inactive, "'"+top+"'") || strings.Contains(inactive, "'"+base+"'") {
		t.Fatalf("after the pull the definition does not name %s alone:\n%s", top, inactive)
	}
	if out, err := exec.Command("qemu-img", "info", "-U", "--output=json", top).Output(); err != nil || strings.Contains(string(out), "backing-filename") {
		t.Fatalf("after the pull %s still has a backing file: %v %s", top, err, out)
	}
	if n := virshSnapshotNames(t, g.Name); len(n) != 0 {
		t.Fatalf("snapshots left after the pull: %v", n)
	}
	after := extDir(t, dir)
	for name, sum := range before {
		switch name {
		case filepath.Base(mid):
			if _, ok := after[name]; ok {
				t.Errorf("overlay %s is still there", name)
			}
		case filepath.Base(top): // the image the data was pulled into
		default:
			if after[name] != sum {
				t.Errorf("%s was touched by the pull (%q → %q)", name, sum, after[name])
			}
		}
	}
	if len(after) != len(before)-1 {
		t.Errorf("directory before %v, after %v", before, after)
	}
	if got, want := extDiskRead(t, top, 3), "MARK-000,MARK-001,MARK-002"; got != want {
		t.Fatalf("markers in %s after the pull: %q, want %q", top, got, want)
	}
	if got, want := extDiskRead(t, base, 3), "MARK-000,........,........"; got != want {
		t.Fatalf("markers in the base after the pull: %q, want %q", got, want)
	}
}

// extDiskRead reads markers 0..n-1 from a shut-off VM's image as the
// guest sees its disk (qemu-img's raw view, backing chain included), in
// extRead's form.
func extDiskRead(t *testing.T, image string, n int) string {
	t.Helper()
	raw := filepath.Join(t.TempDir(), "disk.raw")
	if out, err := exec.Command("qemu-img", "convert", "-U", "-O", "raw", image, raw).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert %s: %v: %s", image, err, out)
	}
	f, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var parts []string
	for i := range n {
		b := make([]byte, 8)
		if _, err := f.ReadAt(b, int64(i)<<20); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, strings.Map(func(r rune) rune {
			if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' {
				return r
			}
			return '.'
		}, string(b)))
	}
	return strings.Join(parts, ",")
}
