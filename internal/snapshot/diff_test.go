package snapshot

import (
	"slices"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestUnifiedDiff(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
	b := "1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\n13\n"
	want := `--- then
+++ now
@@ -1,7 +1,7 @@
 1
 2
 3
-4
+four
 5
 6
 7
@@ -10,3 +10,4 @@
 10
 11
 12
+13
`
	if got := unifiedDiff("then", "now", a, b); got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if got := unifiedDiff("a", "b", a, a); got != "" {
		t.Errorf("equal texts: %q", got)
	}
	if got := unifiedDiff("a", "b", "", "x\n"); got != "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n" {
		t.Errorf("from empty: %q", got)
	}
}

// TestDiffLinesIsAnEditScript checks the defining property on many pairs:
// applying the script to a gives b, and kept lines are never more than
// the longest common subsequence allows.
func TestDiffLinesIsAnEditScript(t *testing.T) {
	texts := [][]string{nil, {"a"}, {"a", "b", "c"}, {"c", "b", "a"}, {"a", "x", "c", "y"}, {"a", "a", "a"}, {"b"}}
	for _, a := range texts {
		for _, b := range texts {
			var gotA, gotB []string
			for _, op := range diffLines(a, b) {
				if op.kind != '+' {
					gotA = append(gotA, op.text)
				}
				if op.kind != '-' {
					gotB = append(gotB, op.text)
				}
			}
			if !slices.Equal(gotA, a) || !slices.Equal(gotB, b) {
				t.Errorf("diff(%v, %v) rebuilds %v, %v", a, b, gotA, gotB)
			}
		}
	}
}

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
