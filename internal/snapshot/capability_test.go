package snapshot

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

func qcow2Disk(target string) libvirtxml.DomainDisk {
	return libvirtxml.DomainDisk{
		Device: "disk",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: "/images/" + target + ".qcow2"}},
		Target: &libvirtxml.DomainDiskTarget{Dev: target, Bus: "virtio"},
	}
}

func testDomain(mod ...func(*libvirtxml.Domain)) *libvirtxml.Domain {
	d := &libvirtxml.Domain{
		Name:    "vm1",
		OS:      &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Type: "hvm"}},
		Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{qcow2Disk("vda")}},
	}
	for _, m := range mod {
		m(d)
	}
	return d
}

func withDisk(x libvirtxml.DomainDisk, mod func(*libvirtxml.DomainDisk)) func(*libvirtxml.Domain) {
	return func(d *libvirtxml.Domain) {
		mod(&x)
		d.Devices.Disks = append(d.Devices.Disks, x)
	}
}

func withAgent(state string) func(*libvirtxml.Domain) {
	return func(d *libvirtxml.Domain) {
		d.Devices.Channels = append(d.Devices.Channels, libvirtxml.DomainChannel{
			Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: guestAgentChannel, State: state}},
		})
	}
}

var pflashLoader = func(d *libvirtxml.Domain) {
	d.OS.Loader = &libvirtxml.DomainLoader{Path: "/usr/share/OVMF/OVMF_CODE.fd", Type: "pflash", Readonly: "yes"}
}

// joined puts a capability's reasons, fixes and notes into one string for
// matching.
func joined(c Capability) string {
	return strings.Join(c.Reasons, "|") + "#" + strings.Join(c.Fixes, "|") + "#" + strings.Join(c.Notes, "|")
}

func TestCapabilities(t *testing.T) {
	v9, v11 := V(9, 0, 0), V(11, 0, 0)
	type want struct {
		memory, diskOnly, quiesce bool
		diskOnlyLoc, deflt, agent string
		// substrings expected in memory / disk-only / quiesce (reasons#fixes#notes)
		memSays, diskSays, quiesceSays string
	}
	tests := []struct {
		name  string
		state inventory.State
		ver   Version
		dom   *libvirtxml.Domain
		trans bool
		want  want
	}{
		{"running qcow2", "running", v9, testDomain(), false,
			want{true, true, false, "external", "memory", "none", "paused while its memory is saved", "cannot revert to external", "no QEMU guest agent channel"}},
		{"stopped qcow2", "shutoff", v9, testDomain(), false,
			want{false, true, false, "internal", "disk-only", "none", "not running#start the VM", "", "not running"}},
		{"paused", "paused", v11, testDomain(), false,
			want{true, true, false, "external", "memory", "none", "", "", ""}},
		{"raw disk running", "running", v9, testDomain(withDisk(qcow2Disk("vdb"), func(x *libvirtxml.DomainDisk) { x.Driver.Type = "raw" })), false,
			want{false, true, false, "external", "memory", "none", "disk vdb is raw; internal snapshots need qcow2#convert disk vdb to qcow2", "", ""}},
		{"raw disk stopped", "shutoff", v9, testDomain(withDisk(qcow2Disk("vdb"), func(x *libvirtxml.DomainDisk) { x.Driver.Type = "raw" })), false,
			want{false, true, false, "external", "disk-only", "none", "", "##internal snapshots are not possible (disk vdb is raw; internal snapshots need qcow2 images), so a disk-only snapshot of this shut-off VM is external", ""}},
		{"raw disk paused is not shut off", "paused", v9, testDomain(withDisk(qcow2Disk("vdb"), func(x *libvirtxml.DomainDisk) { x.Driver.Type = "raw" })), false,
			want{false, true, false, "external", "memory", "none", "disk vdb is raw", "", ""}},
		{"raw and shareable stopped", "shutoff", v9, testDomain(withDisk(qcow2Disk("vdb"), func(x *libvirtxml.DomainDisk) { x.Driver.Type = "raw"; x.Shareable = &libvirtxml.DomainDiskShareable{} })), false,
			want{false, false, false, "internal", "disk-only", "none", "", "vdb is shareable", ""}},
		{"raw disk left out", "running", v9, testDomain(withDisk(qcow2Disk("vdb"), func(x *libvirtxml.DomainDisk) { x.Driver.Type = "raw"; x.Snapshot = "no" })), false,
			want{true, true, false, "external", "memory", "none", "vdb is marked snapshot='no'", "", ""}},
		{"shareable", "running", v9, testDomain(withDisk(qcow2Disk("vdb"), func(x *libvirtxml.DomainDisk) { x.Shareable = &libvirtxml.DomainDiskShareable{} })), false,
			want{false, false, false, "external", "memory", "none", "vdb is shareable#set snapshot='no' on disk vdb", "vdb is shareable", "not possible"}},
		{"passthrough lun", "shutoff", v9, testDomain(withDisk(qcow2Disk("sda"), func(x *libvirtxml.DomainDisk) {
			x.Device = "lun"
			x.Source = &libvirtxml.DomainDiskSource{Block: &libvirtxml.DomainDiskSourceBlock{Dev: "/dev/sdb"}}
		})), false,
			want{false, false, false, "internal", "disk-only", "none", "passed-through SCSI LUN", "passed-through SCSI LUN", ""}},
		{"network disk", "running", v9, testDomain(withDisk(qcow2Disk("vdb"), func(x *libvirtxml.DomainDisk) {
			x.Source = &libvirtxml.DomainDiskSource{Network: &libvirtxml.DomainDiskSourceNetwork{Protocol: "rbd", Name: "pool/img"}}
		})), false,
			want{false, false, false, "external", "memory", "none", "vdb is a network disk", "vdb is a network disk", ""}},
		{"cdrom and read-only left out", "running", v9, testDomain(
			withDisk(qcow2Disk("sdc"), func(x *libvirtxml.DomainDisk) { x.Device = "cdrom"; x.Driver.Type = "raw" }),
			withDisk(qcow2Disk("vdc"), func(x *libvirtxml.DomainDisk) { x.Driver.Type = "raw"; x.ReadOnly = &libvirtxml.DomainDiskReadOnly{} })), false,
			want{true, true, false, "external", "memory", "none", "cdrom sdc is not part of snapshots|read-only disk vdc is left out", "", ""}},
		{"no disks", "running", v9, testDomain(func(d *libvirtxml.Domain) { d.Devices.Disks = nil }), false,
			want{false, false, false, "external", "memory", "none", "no disk that a snapshot could include", "no disk", ""}},
		{"uefi on old libvirt, running", "running", v9, testDomain(pflashLoader), false,
			want{false, true, false, "external", "memory", "none", "libvirt 9.0.0 cannot take internal snapshots of such VMs (10.9.0 or newer can)#upgrade libvirt", "", ""}},
		{"uefi on old libvirt, stopped", "shutoff", v9, testDomain(func(d *libvirtxml.Domain) { d.OS.Firmware = "efi" }), false,
			want{false, true, false, "external", "disk-only", "none", "", "##UEFI firmware", ""}},
		{"uefi on new libvirt", "running", v11, testDomain(pflashLoader), false,
			want{true, true, false, "external", "memory", "none", "", "", ""}},
		{"host devices", "running", v11, testDomain(func(d *libvirtxml.Domain) {
			d.Devices.Hostdevs = []libvirtxml.DomainHostdev{{SubsysPCI: &libvirtxml.DomainHostdevSubsysPCI{}}}
		}), false,
			want{false, true, false, "external", "memory", "none", "1 host device(s) passed through", "", ""}},
		{"agent connected", "running", v11, testDomain(withAgent("connected")), false,
			want{true, true, true, "external", "memory", "connected", "", "", "need no quiescing"}},
		{"agent disconnected", "running", v11, testDomain(withAgent("disconnected")), false,
			want{true, true, false, "external", "memory", "disconnected", "", "", "not connected#start qemu-guest-agent"}},
		{"agent of a stopped VM", "shutoff", v11, testDomain(withAgent("")), false,
			want{false, true, false, "internal", "disk-only", "unknown", "", "", "not running"}},
		{"pmsuspended", "pmsuspended", v11, testDomain(), false,
			want{false, false, false, "external", "memory", "none", "suspended to RAM#wake the guest", "suspended to RAM", ""}},
		{"transient", "running", v11, testDomain(), true,
			want{true, true, false, "external", "memory", "none", "transient", "transient", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := capabilities(vmFacts{State: tt.state, Version: tt.ver, Domain: tt.dom, Persistent: !tt.trans})
			w := tt.want
			if c.Memory.Possible != w.memory || c.DiskOnly.Possible != w.diskOnly || c.Quiesce.Possible != w.quiesce {
				t.Errorf("possible: memory %v disk-only %v quiesce %v; want %v %v %v\nmemory: %s\ndisk-only: %s\nquiesce: %s",
					c.Memory.Possible, c.DiskOnly.Possible, c.Quiesce.Possible, w.memory, w.diskOnly, w.quiesce,
					joined(c.Memory), joined(c.DiskOnly), joined(c.Quiesce))
			}
			if c.DiskOnly.Location != w.diskOnlyLoc || c.Default != w.deflt || c.GuestAgent != w.agent {
				t.Errorf("disk-only location %q, default %q, agent %q; want %q %q %q", c.DiskOnly.Location, c.Default, c.GuestAgent, w.diskOnlyLoc, w.deflt, w.agent)
			}
			for _, m := range []struct {
				c    Capability
				says string
			}{{c.Memory, w.memSays}, {c.DiskOnly, w.diskSays}, {c.Quiesce, w.quiesceSays}} {
				for _, part := range strings.Split(m.says, "|") {
					for _, sub := range strings.Split(part, "#") {
						if sub != "" && !strings.Contains(joined(m.c), sub) {
							t.Errorf("%q missing from %q", sub, joined(m.c))
						}
					}
				}
			}
			for _, k := range []Capability{c.Memory, c.DiskOnly, c.Quiesce, c.RevertExternal} {
				if !k.Possible && len(k.Reasons) == 0 {
					t.Errorf("impossible without a reason: %+v", k)
				}
				if k.Possible && len(k.Reasons) != 0 {
					t.Errorf("possible with reasons: %+v", k)
				}
				if k.Reasons == nil || k.Fixes == nil || k.Notes == nil {
					t.Errorf("nil list (encodes as null): %+v", k)
				}
			}
		})
	}
}

func TestRevertExternalByVersion(t *testing.T) {
	for v, want := range map[Version]bool{V(9, 0, 0): false, V(9, 8, 9): false, V(9, 9, 0): true, V(10, 0, 0): true} {
		c := capabilities(vmFacts{State: "shutoff", Version: v, Domain: testDomain(), Persistent: true})
		if c.RevertExternal.Possible != want {
			t.Errorf("libvirt %s: revert external possible = %v", v, c.RevertExternal.Possible)
		}
	}
	if got := V(10, 9, 1).String(); got != "10.9.1" {
		t.Errorf("version string %q", got)
	}
}
