//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// sdPattern writes byte pattern b over the first 64 KiB of an image.
func sdPattern(t *testing.T, path, format string, b byte) {
	t.Helper()
	if out, err := exec.Command("qemu-io", "-f", format, "-c", fmt.Sprintf("write -P 0x%02x 0 64k", b), path).CombinedOutput(); err != nil {
		t.Fatalf("qemu-io write %s: %v: %s", path, err, out)
	}
}

// sdHolds reports whether an image (read through its backing chain)
// starts with 64 KiB of pattern b.
func sdHolds(t *testing.T, path, format string, b byte) bool {
	t.Helper()
	out, err := exec.Command("qemu-io", "-r", "-U", "-f", format, "-c", fmt.Sprintf("read -P 0x%02x 0 64k", b), path).CombinedOutput()
	if strings.Contains(string(out), "Pattern verification failed") {
		return false
	}
	if err != nil {
		t.Fatalf("qemu-io read %s: %v: %s", path, err, out)
	}
	return strings.Contains(string(out), "read 65536/65536 bytes")
}

// sdStandalone checks that an image has no backing file and no internal
// snapshots.
func sdStandalone(t *testing.T, path, format string) {
	t.Helper()
	out, err := exec.Command("qemu-img", "info", "-U", "--output=json", path).Output()
	if err != nil {
		t.Fatalf("qemu-img info %s: %v", path, err)
	}
	var info struct {
		Format          string
		BackingFilename string `json:"backing-filename"`
		Snapshots       []any
	}
	_ = json.Unmarshal(out, &info)
	if info.Format != format || info.BackingFilename != "" || len(info.Snapshots) != 0 {
		t.Fatalf("%s is not a standalone %s image: %s", path, format, out)
	}
}

// sdDownload fetches a snapshot's disk through the API into a file; the
// answer must be 200 with an exact length and a succeeded operation.
func sdDownload(t *testing.T, uuid, snap, query string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", baseURL+"/api/v1/hosts/local/vms/"+uuid+"/snapshots/"+snap+"/export-disk"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("download of %s's disk: %d %s", snap, res.StatusCode, b)
	}
	path := filepath.Join(t.TempDir(), "disk")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, res.Body)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err != nil || n != res.ContentLength || n == 0 {
		t.Fatalf("download: %d bytes of %d: %v", n, res.ContentLength, err)
	}
	if !strings.Contains(res.Header.Get("Content-Disposition"), snap) {
		t.Fatalf("download named %q", res.Header.Get("Content-Disposition"))
	}
	if op := res.Header.Get("X-Operation"); op == "" || waitOp(t, op, 30*time.Second).State != "succeeded" {
		t.Fatalf("download operation %q did not succeed", op)
	}
	return path
}

// sdSmallPool makes a directory pool on a 16 MiB tmpfs.
func sdSmallPool(t *testing.T) (name, dir string) {
	t.Helper()
	dir = t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	name = testguest.UniqueName("kmtest-small-")
	virsh(t, "pool-create-as", name, "dir", "--target", dir)
	t.Cleanup(func() { _, _ = execVirsh("pool-destroy", name) })
	return name, dir
}

// TestSnapshotDiskExport: a shut-off guest's disk gets pattern 0x11, an
// internal snapshot i1, pattern 0x22, an external disk-only snapshot e1,
// pattern 0x33 (in e1's overlay). Exporting i1's disk into a pool and
// e1's disk into a pool (raw) and as a download gives standalone images
// holding 0x11 and 0x22; the VM's own files are unchanged (the same
// SHA-256 for every file of its folder, no file more or less) and its disk
// still reads 0x33. An unknown snapshot, a taken name and a pool too small
// are refused with their reasons and leave nothing behind.
func TestSnapshotDiskExport(t *testing.T) {
	t.Parallel()
	l := lv(t)
	g := defineGuest(t, l, "kmtest-", testguest.Options{})
	exGuestPool(t, g)
	target := exPool(t)
	small, smallDir := sdSmallPool(t)
	disk := testguest.DataDiskPath(guestDir, g.Name)
	dir := filepath.Dir(disk)
	overlay := filepath.Join(dir, "data.e1.qcow2")
	waitFor(t, 10*time.Second, "the API to list "+g.Name, func() bool {
		st, _ := apiJSON("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, nil)
		return st == 200
	})

	sdPattern(t, disk, "qcow2", 0x11)
	snapCreate(t, g.UUID, map[string]any{"name": "i1"})
	sdPattern(t, disk, "qcow2", 0x22)
	virsh(t, "snapshot-create-as", g.Name, "e1", "--disk-only", "--diskspec", "vdb,snapshot=external,file="+overlay)
	sdPattern(t, overlay, "qcow2", 0x33)
	before := extDir(t, dir)

	base := "/api/v1/hosts/local/vms/" + g.UUID + "/snapshots/"
	// Refusals first: nothing may be left of them.
	snapRefused(t, "POST", base+"nope/export-disk", map[string]any{"pool": target.Name, "volume": "x.qcow2"}, 404, "snapshot_not_found")
	snapRefused(t, "GET", base+"nope/export-disk", nil, 404, "snapshot_not_found")
	e := snapRefused(t, "POST", base+"e1/export-disk", map[string]any{"pool": small, "volume": "x.img", "format": "raw"}, 507, "pool_full")
	if !strings.Contains(e.Error.Message, small) {
		t.Fatalf("pool_full does not name the pool: %+v", e.Error)
	}
	snapRefused(t, "GET", base+"i1/export-disk?format=raw&pool="+small, nil, 507, "pool_full")
	snapRefused(t, "POST", base+"i1/export-disk", map[string]any{"pool": target.Name, "volume": "x", "disk": "vdz"}, 404, "disk_not_found")
	if ents, _ := os.ReadDir(smallDir); len(ents) != 0 {
		t.Fatalf("refused exports left files in the small pool: %v", ents)
	}

	// Internal snapshot → a qcow2 volume of another pool.
	var r struct {
		Location, Source, Path, Format string
		Bytes                          uint64
	}
	res := snapDo(t, "POST", base+"i1/export-disk", map[string]any{"pool": target.Name, "volume": "i1.qcow2"})
	if err := json.Unmarshal(res, &r); err != nil || r.Location != "internal" || r.Source != disk || r.Path != filepath.Join(target.Path, "i1.qcow2") || r.Bytes == 0 {
		t.Fatalf("export of i1: %s", res)
	}
	sdStandalone(t, r.Path, "qcow2")
	if !sdHolds(t, r.Path, "qcow2", 0x11) {
		t.Fatalf("the export of i1 does not hold the disk as it was at i1 (0x11)")
	}
	// The name is taken now.
	snapRefused(t, "POST", base+"e1/export-disk", map[string]any{"pool": target.Name, "volume": "i1.qcow2"}, 409, "volume_exists")
	if !sdHolds(t, r.Path, "qcow2", 0x11) {
		t.Fatalf("a refused export changed the volume it would have replaced")
	}

	// External snapshot → raw, the image e1 froze read whole.
	res = snapDo(t, "POST", base+"e1/export-disk", map[string]any{"pool": target.Name, "volume": "e1.img", "format": "raw"})
	if err := json.Unmarshal(res, &r); err != nil || r.Location != "external" || r.Source != disk || r.Format != "raw" {
		t.Fatalf("export of e1: %s", res)
	}
	if !sdHolds(t, r.Path, "raw", 0x22) {
		t.Fatalf("the export of e1 does not hold the disk as it was at e1 (0x22)")
	}
	if vols := stVolNames(t, target.Name); len(vols) != 2 {
		t.Fatalf("target pool volumes: %v", vols)
	}

	// Downloads: the temporary image lives in the disk's own pool and is
	// gone afterwards (checked with the folder below).
	if f := sdDownload(t, g.UUID, "e1", ""); !sdHolds(t, f, "qcow2", 0x22) {
		t.Fatalf("the download of e1 does not hold 0x22")
	} else {
		sdStandalone(t, f, "qcow2")
	}
	if f := sdDownload(t, g.UUID, "i1", "?format=raw&disk=vdb"); !sdHolds(t, f, "raw", 0x11) {
		t.Fatalf("the download of i1 does not hold 0x11")
	}

	// The VM's own files: untouched, nothing left over.
	if after := extDir(t, dir); !maps.Equal(before, after) {
		t.Fatalf("the VM's folder changed:\nbefore %v\nafter  %v", before, after)
	}
	if !sdHolds(t, overlay, "qcow2", 0x33) {
		t.Fatalf("the VM's disk no longer reads 0x33")
	}
}
