package snapshot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host/machine/machinefake"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// chainDomain is a running domain whose disk vdb uses files[0], backed by
// files[1] and so on (the live XML's <backingStore> chain).
func chainDomain(files ...string) *libvirtxml.Domain {
	disk := libvirtxml.DomainDisk{Device: "disk", Driver: &libvirtxml.DomainDiskDriver{Type: "qcow2"},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: files[0]}},
		Target: &libvirtxml.DomainDiskTarget{Dev: "vdb"}}
	var bs *libvirtxml.DomainDiskBackingStore
	for i := len(files) - 1; i >= 1; i-- {
		bs = &libvirtxml.DomainDiskBackingStore{Format: &libvirtxml.DomainDiskFormat{Type: "qcow2"},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: files[i]}}, BackingStore: bs}
	}
	disk.BackingStore = bs
	return &libvirtxml.Domain{Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{disk}}}
}

// qemuImg answers `qemu-img info --backing-chain` with the given chain of
// files, each with internal snapshots as named in snaps.
func qemuImg(files []string, snaps map[string][]string) machinefake.Program {
	return func(_ context.Context, args []string) ([]byte, error) {
		var out []map[string]any
		for _, f := range files {
			e := map[string]any{"filename": f, "format": "qcow2", "actual-size": 1 << 20}
			var ss []map[string]any
			for _, n := range snaps[f] {
				ss = append(ss, map[string]any{"name": n, "id": "1", "vm-state-size": 0})
			}
			if ss != nil {
				e["snapshots"] = ss
			}
			out = append(out, e)
		}
		return json.Marshal(out)
	}
}

func extOf(name string, at int, overlay, froze string) extSnap {
	return extSnap{name: name, created: time.Unix(int64(at), 0), external: true,
		overlays: map[string]string{"vdb": overlay}, sources: map[string]string{"vdb": froze}}
}

func TestPlanMerge(t *testing.T) {
	const d = "/vms/a/"
	chain := []string{d + "data.e2.qcow2", d + "data.e1.qcow2", d + "data.qcow2"}
	good := []extSnap{extOf("e1", 1, d+"data.e1.qcow2", d+"data.qcow2"), extOf("e2", 2, d+"data.e2.qcow2", d+"data.e1.qcow2")}
	tests := []struct {
		name    string
		xml     []string // the live chain
		qemu    []string // qemu-img's chain
		inside  map[string][]string
		snaps   []extSnap
		code    string
		message string
	}{
		{name: "straight chain", xml: chain, qemu: chain, snaps: good},
		{name: "internal snapshot listed", xml: chain, qemu: chain, snaps: append([]extSnap{{name: "i0", created: time.Unix(0, 0)}}, good...),
			code: problem.CodeMergeRefused, message: "internal snapshots (i0)"},
		{name: "internal snapshot inside a layer", xml: chain, qemu: chain, snaps: good, inside: map[string][]string{d + "data.qcow2": {"old"}},
			code: problem.CodeMergeRefused, message: "holds 1 internal snapshot"},
		{name: "libvirt and qemu disagree", xml: chain, qemu: []string{chain[0], d + "other.qcow2", chain[2]}, snaps: good,
			code: problem.CodeMergeRefused, message: "qemu-img " + d + "other.qcow2"},
		{name: "base has a backing file", xml: append(chain[:3:3], "/templates/debian.qcow2"), qemu: append(chain[:3:3], "/templates/debian.qcow2"), snaps: good,
			code: problem.CodeMergeRefused, message: "has a backing file (/templates/debian.qcow2)"},
		{name: "overlay outside the base's directory", xml: []string{"/elsewhere/data.e2.qcow2", chain[1], chain[2]}, qemu: []string{"/elsewhere/data.e2.qcow2", chain[1], chain[2]},
			snaps: []extSnap{good[0], extOf("e2", 2, "/elsewhere/data.e2.qcow2", chain[1])}, code: problem.CodeMergeRefused, message: "not in the directory of its base"},
		{name: "oldest snapshot froze another base", xml: chain, qemu: chain, snaps: []extSnap{extOf("e1", 1, chain[1], d+"old.qcow2"), good[1]},
			code: problem.CodeMergeRefused, message: "froze " + d + "old.qcow2"},
		{name: "a snapshot's overlay off the chain", xml: chain, qemu: chain, snaps: append(good, extOf("e3", 3, d+"data.e3.qcow2", chain[0])),
			code: problem.CodeMergeRefused, message: `"e3"'s overlay`},
		{name: "no external snapshots", xml: chain[2:], qemu: chain[2:], code: problem.CodeNothingToMerge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := machinefake.New()
			m.Install("qemu-img", qemuImg(tt.qemu, tt.inside))
			p, err := planMerge(context.Background(), m, chainDomain(tt.xml...), tt.snaps, "vm1")
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(p.disks) != 1 || p.disks[0].Base != chain[2] || strings.Join(p.disks[0].Overlays, ",") != chain[0]+","+chain[1] ||
					strings.Join(p.forget, ",") != "e2,e1" {
					t.Fatalf("plan %+v", p)
				}
				return
			}
			pr, ok := problem.As(err)
			if !ok || pr.Code != tt.code || !strings.Contains(pr.Message, tt.message) {
				t.Fatalf("got %v, want %s containing %q", err, tt.code, tt.message)
			}
		})
	}
}

func TestOverlayPaths(t *testing.T) {
	d := chainDomain("/vms/a/data.e1.qcow2")
	d.Devices.Disks = append(d.Devices.Disks,
		libvirtxml.DomainDisk{Device: "disk", Driver: &libvirtxml.DomainDiskDriver{Type: "raw"},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: "/vms/a/data.img"}}, Target: &libvirtxml.DomainDiskTarget{Dev: "vdc"}},
		libvirtxml.DomainDisk{Device: "cdrom", Driver: &libvirtxml.DomainDiskDriver{Type: "raw"},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: "/iso/x.iso"}}, Target: &libvirtxml.DomainDiskTarget{Dev: "sda"}})
	got := overlayPaths(d, "e2")
	want := []overlay{{"vdb", "/vms/a/data-vdb.e2.qcow2"}, {"vdc", "/vms/a/data-vdc.e2.qcow2"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("overlays %+v, want %+v", got, want)
	}
	doc, flags := createXML(createPlan{name: "e2", external: true, overlays: got[:1]})
	if !strings.Contains(doc, `name="vdb" snapshot="external"`) || !strings.Contains(doc, `file="/vms/a/data-vdb.e2.qcow2"`) || flags&virt.SnapshotCreateDiskOnly == 0 {
		t.Fatalf("snapshot XML %s flags %d", doc, flags)
	}
}
