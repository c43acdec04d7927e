package storage

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

const noCDROMXML = `<domain type='kvm'><name>web-1</name><uuid>5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11</uuid>
<memory unit='KiB'>1024</memory><os><type arch='x86_64' machine='%s'>hvm</type></os><devices>
<disk type='file' device='disk'><source file='/var/lib/images/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>
%s</devices></domain>`

// A CD-ROM drive is added on the machine's bus with the first free target;
// a running VM is told it gets it at its next start; media can then be
// inserted into the stored definition's drive.
func TestAddCDROM(t *testing.T) {
	s, c, _ := rig(t)
	c.AddPool(virtfake.Pool{Name: "isos", Type: "dir", Path: "/srv/isos", Active: true, Capacity: 10 << 30, Available: 4 << 30},
		virtfake.Volume{Name: "debian.iso", Format: "iso", Capacity: 600 << 20, Allocation: 600 << 20})
	u, _ := host.ParseUUID(user.UUID)
	for _, tc := range []struct {
		machine, extra string
		state          virt.DomainState
		target, bus    string
		nextStart      bool
	}{
		{"pc-q35-7.2", "", virt.StateShutoff, "sda", "sata", false},
		{"pc-q35-7.2", `<disk type='file' device='disk'><source file='/x.img'/><target dev='sda' bus='sata'/></disk>`, virt.StateRunning, "sdb", "sata", true},
		{"pc-i440fx-7.2", `<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>`, virt.StateShutoff, "hda", "ide", false},
	} {
		c.Add(virtfake.Domain{Name: "web-1", UUID: u, State: tc.state, Persistent: true, XML: strings.Replace(strings.Replace(noCDROMXML, "%s", tc.machine, 1), "%s", tc.extra, 1)})
		res, err := s.AddCDROM("h", user.UUID)
		if err != nil {
			t.Fatalf("%s: %v", tc.machine, err)
		}
		if res.Target != tc.target || res.Bus != tc.bus || res.EffectiveAtNextStart != tc.nextStart ||
			(tc.nextStart && !strings.Contains(res.Message, "next time the VM starts")) {
			t.Errorf("%s %v: %+v, want %s on %s, next start %v", tc.machine, tc.state, res, tc.target, tc.bus, tc.nextStart)
		}
		d, _ := c.Get(u)
		if !strings.Contains(d.XML, `dev="`+tc.target+`" bus="`+tc.bus+`"`) {
			t.Errorf("stored definition:\n%s", d.XML)
		}
	}
	// The new drive takes media (the VM above is shut off: its definition).
	c.Add(virtfake.Domain{Name: "web-1", UUID: u, State: virt.StateShutoff, Persistent: true, XML: strings.Replace(strings.Replace(noCDROMXML, "%s", "q35", 1), "%s", "", 1)})
	res, err := s.AddCDROM("h", user.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.ChangeMedia("h", user.UUID, res.Target, &MediaRequest{Pool: "isos", Volume: "debian.iso"}); err != nil || !m.Config {
		t.Errorf("insert into the new drive: %+v %v", m, err)
	}
	// Full IDE bus.
	full := ""
	for _, t := range []string{"hda", "hdb", "hdc", "hdd"} {
		full += `<disk type='file' device='cdrom'><target dev='` + t + `' bus='ide'/><readonly/></disk>`
	}
	c.Add(virtfake.Domain{Name: "web-1", UUID: u, State: virt.StateShutoff, Persistent: true, XML: strings.Replace(strings.Replace(noCDROMXML, "%s", "pc", 1), "%s", full, 1)})
	_, err = s.AddCDROM("h", user.UUID)
	wantProblem(t, err, "no_free_drive_slot", "IDE")
	// Transient.
	c.Add(virtfake.Domain{Name: "web-1", UUID: u, State: virt.StateRunning, Persistent: false, XML: strings.Replace(strings.Replace(noCDROMXML, "%s", "q35", 1), "%s", "", 1)})
	_, err = s.AddCDROM("h", user.UUID)
	wantProblem(t, err, "vm_transient")
}
