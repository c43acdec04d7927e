package snapshot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host/hosttest"
	hostmachine "github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/host/machine/machinefake"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
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

// installQemuImg makes m answer qemu-img info with out (or fail with
// stderr for the image broken) and counts the runs.
func installQemuImg(t *testing.T, m *machinefake.Machine, out string, runs *int) {
	t.Helper()
	m.Install("qemu-img", func(_ context.Context, args []string) ([]byte, error) {
		*runs++
		if len(args) != 4 || strings.Join(args[:3], " ") != "info -U --output=json" {
			t.Errorf("args = %v", args)
		}
		if strings.HasSuffix(args[3], "broken.qcow2") {
			return nil, &hostmachine.ExitError{Program: "qemu-img", Code: 1, Stderr: "qemu-img: Could not open '" + args[3] + "': Permission denied"}
		}
		return []byte(out), nil
	})
}

func TestInspector(t *testing.T) {
	m := machinefake.New()
	runs := 0
	installQemuImg(t, m, qemuImgInfo, &runs)
	m.AddFile("/images/mem", 1234)
	in := newInspector(m, "local")
	ctx := context.Background()
	// Each figure as text ("87642112 from qemu-img ..." or "unknown: why"),
	// so that a mismatch shows the number rather than a pointer.
	text := func(sz Size) string {
		if sz.Bytes == nil {
			return "unknown: " + sz.Unknown
		}
		return fmt.Sprintf("%d from %s", *sz.Bytes, sz.Source)
	}
	check := func(what string, sz Size, want string) {
		t.Helper()
		if got := text(sz); !strings.HasPrefix(got, want) {
			t.Errorf("%s:\n got  %q\n want %q...", what, got, want)
		}
	}
	check("allocation", in.allocation(ctx, "/images/vda.qcow2"), "87642112 from qemu-img")
	in.allocation(ctx, "/images/vda.qcow2")
	if runs != 1 {
		t.Errorf("qemu-img ran %d times for one image", runs)
	}
	if got := text(in.allocation(ctx, "/images/broken.qcow2")); !strings.HasPrefix(got, "unknown: ") || !strings.Contains(got, "Permission denied") {
		t.Errorf("broken image: got %q, want unknown, saying Permission denied", got)
	}
	check("file size", in.fileSize(ctx, "/images/mem"), "1234 from size of /images/mem")
	if got := text(in.fileSize(ctx, "/images/gone")); !strings.HasPrefix(got, "unknown: ") || !strings.Contains(got, "/images/gone") {
		t.Errorf("missing file: got %q, want unknown, naming the file", got)
	}
}

// The figures are unknown, with a reason that says why, when the host's
// computer has no qemu-img, gives no access (a host reached over TLS), or
// qemu-img prints something else than JSON.
func TestInspectorUnknown(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		m    *machinefake.Machine
		want string
	}{
		{"qemu-img not installed", machinefake.New(), `qemu-img is not installed on the computer of host "far"`},
		{"computer out of reach", machinefake.NewUnsupported("the host is reached over TLS"), `QEMU's figures of files on host "far" are not known: running programs is not possible: the host is reached over TLS`},
		{"no JSON", func() *machinefake.Machine {
			m := machinefake.New()
			n := 0
			installQemuImg(t, m, "qemu-img: warning", &n)
			return m
		}(), "qemu-img info printed no JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := newInspector(tc.m, "far")
			if sz := in.allocation(ctx, "/images/vda.qcow2"); sz.Bytes != nil || !strings.Contains(sz.Unknown, tc.want) {
				t.Errorf("allocation = %+v, want unknown: %s", sz, tc.want)
			}
		})
	}
	in := newInspector(machinefake.NewUnsupported("the host is reached over TLS"), "far")
	if sz := in.fileSize(ctx, "/x"); sz.Bytes != nil || !strings.Contains(sz.Unknown, `host "far"`) || !strings.Contains(sz.Unknown, "reaching files is not possible") {
		t.Errorf("file on an unreachable computer = %+v", sz)
	}
}

// The list's memory state sizes add up QEMU's figures over the VM's qcow2
// disks, read on the VM's host's computer; without qemu-img there they are
// absent, and the list says why.
func TestAddSizes(t *testing.T) {
	dom := &libvirtxml.Domain{Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{
		qcow2Disk("vda"), qcow2Disk("vdb"),
	}}}
	snaps := func() []Snapshot {
		return []Snapshot{
			{Name: "s1", Location: "internal", Memory: true},
			{Name: "disk-only", Location: "internal"},
		}
	}
	m := machinefake.New()
	runs := 0
	installQemuImg(t, m, qemuImgInfo, &runs)
	s := New(Options{Hosts: hosttest.Local(t, m), Logger: slog.New(slog.DiscardHandler)})
	got := snaps()
	if why := s.addSizes(context.Background(), target{vm: inventory.VM{Host: "local"}}, vmFacts{Domain: dom}, got); why != "" {
		t.Fatalf("sizes missing: %s", why)
	}
	if got[0].MemoryStateBytes == nil || *got[0].MemoryStateBytes != 2*87276151 || got[1].MemoryStateBytes != nil {
		t.Errorf("sizes = %v, %v; want s1 = 2 × 87276151 and none for the disk-only one", got[0].MemoryStateBytes, got[1].MemoryStateBytes)
	}
	if !m.Called("Run qemu-img info -U --output=json /images/vdb.qcow2") || runs != 2 {
		t.Errorf("qemu-img ran %d times: %v", runs, m.Calls())
	}

	bare := machinefake.New()
	s = New(Options{Hosts: hosttest.Local(t, bare), Logger: slog.New(slog.DiscardHandler)})
	got = snaps()
	why := s.addSizes(context.Background(), target{vm: inventory.VM{Host: "local"}}, vmFacts{Domain: dom}, got)
	if !strings.Contains(why, "qemu-img is not installed") || got[0].MemoryStateBytes != nil {
		t.Errorf("without qemu-img: why %q, size %v", why, got[0].MemoryStateBytes)
	}
}
