package snapshot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// qemuImgInfo is real `qemu-img info -U --output=json` output (QEMU 7.2).
const qemuImgInfo = `{
    "snapshots": [
        {"vm-clock-nsec": 252442307, "name": "s1", "date-sec": 1795695107, "date-nsec": 24018000, "vm-clock-sec": 5, "id": "1", "vm-state-size": 87276151},
        {"vm-clock-nsec": 0, "name": "disk-only", "date-sec": 1795695200, "date-nsec": 0, "vm-clock-sec": 0, "id": "2", "vm-state-size": 0}
    ],
    "virtual-size": 67108864,
    "filename": "/images/vda.qcow2",
    "cluster-size": 65536,
    "format": "qcow2",
    "actual-size": 87642112,
    "dirty-flag": false
}`

func TestImageInfo(t *testing.T) {
	info, err := parseImageInfo([]byte(qemuImgInfo))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := info.vmStateSize("s1"); !ok || v != 87276151 {
		t.Errorf("s1: %d %v", v, ok)
	}
	if v, ok := info.vmStateSize("disk-only"); !ok || v != 0 {
		t.Errorf("disk-only: %d %v", v, ok)
	}
	if _, ok := info.vmStateSize("nope"); ok {
		t.Error("found a snapshot that is not there")
	}
	if _, err := parseImageInfo([]byte("qemu-img: Could not open")); err == nil {
		t.Error("garbage accepted")
	}
}

func TestInspector(t *testing.T) {
	calls := 0
	fake := func(ctx context.Context, args ...string) ([]byte, error) {
		calls++
		if strings.Join(args[:3], " ") != "info -U --output=json" {
			t.Errorf("args = %v", args)
		}
		if args[3] == "/images/broken.qcow2" {
			return nil, errors.New("qemu-img: Permission denied")
		}
		return []byte(qemuImgInfo), nil
	}
	in := newInspector(fake, true, "local")
	ctx := context.Background()
	if sz := in.allocation(ctx, "/images/vda.qcow2"); sz.Bytes == nil || *sz.Bytes != 87642112 || !strings.Contains(sz.Source, "qemu-img") {
		t.Errorf("allocation = %+v", sz)
	}
	in.allocation(ctx, "/images/vda.qcow2")
	if calls != 1 {
		t.Errorf("qemu-img ran %d times for one image", calls)
	}
	if sz := in.allocation(ctx, "/images/broken.qcow2"); sz.Bytes != nil || !strings.Contains(sz.Unknown, "Permission denied") {
		t.Errorf("broken image = %+v", sz)
	}
	remote := newInspector(fake, false, "far")
	if sz := remote.allocation(ctx, "/images/vda.qcow2"); sz.Bytes != nil || !strings.Contains(sz.Unknown, `host "far"`) {
		t.Errorf("remote = %+v", sz)
	}
	if sz := remote.fileSize("/x"); sz.Bytes != nil || sz.Unknown == "" {
		t.Errorf("remote file = %+v", sz)
	}
	f := filepath.Join(t.TempDir(), "mem")
	if err := os.WriteFile(f, make([]byte, 1234), 0o600); err != nil {
		t.Fatal(err)
	}
	if sz := in.fileSize(f); sz.Bytes == nil || *sz.Bytes != 1234 {
		t.Errorf("file size = %+v", sz)
	}
	if sz := in.fileSize(f + ".gone"); sz.Bytes != nil || sz.Unknown == "" {
		t.Errorf("missing file = %+v", sz)
	}
}
