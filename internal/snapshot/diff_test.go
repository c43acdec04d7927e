package snapshot

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestConfigSummary(t *testing.T) {
	then := testDomain(func(d *libvirtxml.Domain) {
		d.Memory = &libvirtxml.DomainMemory{Value: 192, Unit: "MiB"}
		d.VCPU = &libvirtxml.DomainVCPU{Value: 1}
		d.Devices.Interfaces = []libvirtxml.DomainInterface{{MAC: &libvirtxml.DomainInterfaceMAC{Address: "52:54:00:00:00:01"},
			Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: "default"}}}}
	})
	now := testDomain(func(d *libvirtxml.Domain) {
		d.Memory = &libvirtxml.DomainMemory{Value: 262144, Unit: "KiB"}
		d.VCPU = &libvirtxml.DomainVCPU{Value: 2}
		d.Devices.Disks = append(d.Devices.Disks, qcow2Disk("vdb"))
		d.OS.Firmware = "efi"
	})
	got := strings.Join(configSummary(then, now), "\n")
	for _, want := range []string{"memory: 192 MiB → 256 MiB", "vCPUs: 1 → 2", "disk vdb added (disk qcow2 /images/vdb.qcow2)",
		"network interface 52:54:00:00:00:01 removed (was network default)", "firmware: bios → efi"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if s := configSummary(then, then); len(s) != 0 {
		t.Errorf("same config: %v", s)
	}
}
