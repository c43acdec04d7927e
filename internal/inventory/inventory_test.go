package inventory

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

func TestApplyXML(t *testing.T) {
	doc, err := os.ReadFile("testdata/full.xml")
	if err != nil {
		t.Fatal(err)
	}
	var vm VM
	if err := applyXML(&vm, string(doc)); err != nil {
		t.Fatal(err)
	}
	if vm.Name != "web-1" || vm.Title != "Web server" || vm.DomainType != "kvm" || vm.VCPUs != 2 ||
		vm.MemoryMaxKiB != 2097152 || vm.MemoryKiB != 1048576 || vm.Firmware != "efi" || vm.Arch != "x86_64" || !vm.SerialConsole {
		t.Errorf("config = %+v", vm)
	}
	if len(vm.Disks) != 3 {
		t.Fatalf("disks = %+v", vm.Disks)
	}
	if d := vm.Disks[0]; d.Target != "vda" || d.Source != "/var/lib/libvirt/images/web-1.qcow2" || d.Format != "qcow2" || d.Type != "file" || d.Device != "disk" {
		t.Errorf("disk 0 = %+v", d)
	}
	if d := vm.Disks[1]; d.Type != "block" || d.Source != "/dev/vg/data" || !d.Shareable {
		t.Errorf("disk 1 = %+v", d)
	}
	if d := vm.Disks[2]; d.Device != "cdrom" || !d.ReadOnly || d.Source != "" {
		t.Errorf("disk 2 = %+v", d)
	}
	if len(vm.NICs) != 2 || vm.NICs[0].Type != "network" || vm.NICs[0].Source != "default" || vm.NICs[0].Target != "vnet3" ||
		vm.NICs[1].Type != "bridge" || vm.NICs[1].Source != "br0" || vm.NICs[1].Model != "e1000" {
		t.Errorf("nics = %+v", vm.NICs)
	}
	if len(vm.Graphics) != 2 || vm.Graphics[0].Type != "vnc" || vm.Graphics[0].Port != 5901 || vm.Graphics[0].Listen != "127.0.0.1" ||
		!vm.Graphics[0].Password || vm.Graphics[1].Type != "spice" || vm.Graphics[1].Listen != "0.0.0.0" {
		t.Errorf("graphics = %+v", vm.Graphics)
	}
	b, _ := json.Marshal(vm)
	if strings.Contains(string(b), "s3cret") {
		t.Error("the VNC password leaked into the VM's JSON")
	}
}

func TestApplyXMLRejectsGarbage(t *testing.T) {
	var vm VM
	if err := applyXML(&vm, "<domain><name>x</name"); err == nil {
		t.Fatal("broken XML accepted")
	}
}

func param(field string, v any) virt.TypedParam {
	return virt.TypedParam{Field: field, Value: virt.TypedParamValue{I: v}}
}

func TestSampleRates(t *testing.T) {
	t0 := time.Unix(1000, 0)
	prev := parseRecord([]virt.TypedParam{
		param("state.state", int32(1)), param("cpu.time", uint64(1e9)), param("vcpu.current", uint32(2)),
		param("block.0.rd.bytes", uint64(1000)), param("block.0.wr.bytes", uint64(0)), param("block.1.rd.bytes", uint64(0)),
		param("net.0.rx.bytes", uint64(0)), param("net.0.tx.bytes", uint64(0)), param("balloon.rss", uint64(50000)),
	}, t0)
	cur := parseRecord([]virt.TypedParam{
		param("state.state", int32(1)), param("cpu.time", uint64(3e9)), param("vcpu.current", uint32(2)),
		param("block.0.rd.bytes", uint64(3000)), param("block.0.wr.bytes", uint64(4096)), param("block.1.rd.bytes", uint64(1000)),
		param("net.0.rx.bytes", uint64(2048)), param("net.0.tx.bytes", uint64(1024)),
		param("balloon.available", uint64(200000)), param("balloon.unused", uint64(150000)), param("balloon.rss", uint64(60000)),
	}, t0.Add(2*time.Second))
	// Without guest figures only the host's view is known.
	if first := sample(nil, prev); first.CPUPercent != nil || first.MemoryUsedKiB != 0 || first.MemoryTotalKiB != 0 || first.MemoryRSSKiB != 50000 {
		t.Errorf("first sample = %+v", first)
	}
	s := sample(&prev, cur)
	// 2 s of CPU time over 2 s wall on 2 vCPUs = 50 %.
	if s.CPUPercent == nil || *s.CPUPercent != 50 {
		t.Errorf("cpu = %v", s.CPUPercent)
	}
	if *s.DiskReadBps != 1500 || *s.DiskWriteBps != 2048 || *s.NetRxBps != 1024 || *s.NetTxBps != 512 {
		t.Errorf("rates = rd %v wr %v rx %v tx %v", *s.DiskReadBps, *s.DiskWriteBps, *s.NetRxBps, *s.NetTxBps)
	}
	if s.MemoryUsedKiB != 50000 || s.MemoryTotalKiB != 200000 || s.MemoryRSSKiB != 60000 {
		t.Errorf("memory = %d of %d, rss %d", s.MemoryUsedKiB, s.MemoryTotalKiB, s.MemoryRSSKiB)
	}
	// A restarted VM's counters go back to zero: no negative rates.
	restarted := parseRecord([]virt.TypedParam{param("cpu.time", uint64(1)), param("block.0.rd.bytes", uint64(1)), param("block.0.wr.bytes", uint64(1))}, t0.Add(4*time.Second))
	if r := sample(&cur, restarted); r.CPUPercent != nil || r.DiskReadBps != nil {
		t.Errorf("rates across a restart = %+v", r)
	}
}

func TestStateNames(t *testing.T) {
	if StateName(1) != "running" || StateName(5) != "shutoff" || StateName(99) != "unknown" || StateName(-1) != "unknown" {
		t.Error("state names")
	}
	if ReasonName(5, 2) != "destroyed" || ReasonName(1, 1) != "booted" || ReasonName(5, 99) != "" || ReasonName(5, 0) != "" {
		t.Error("reason names")
	}
	if !Active("paused") || Active("shutoff") || Active("crashed") {
		t.Error("Active")
	}
}

func TestApplyBlockSizes(t *testing.T) {
	disks := []Disk{{Target: "vda"}, {Target: "vdb"}, {Target: "sda"}}
	applyBlockSizes(disks, []virt.TypedParam{
		param("block.count", uint32(2)),
		param("block.0.name", "vdb"), param("block.0.capacity", uint64(64<<20)), param("block.0.physical", uint64(196608)),
		param("block.0.allocation", uint64(1<<20)),
		param("block.1.name", "vda"), param("block.1.capacity", uint64(10<<30)),
	})
	if disks[1].Capacity == nil || *disks[1].Capacity != 64<<20 || disks[1].Allocation == nil || *disks[1].Allocation != 196608 {
		t.Errorf("vdb = %+v", disks[1])
	}
	if disks[0].Capacity == nil || *disks[0].Capacity != 10<<30 || disks[0].Allocation != nil {
		t.Errorf("vda = %+v", disks[0])
	}
	if disks[2].Capacity != nil {
		t.Errorf("sda got sizes: %+v", disks[2])
	}
}

// The guest's memory figures come from its balloon driver: used is its
// memory less what it could use ("usable", MemAvailable) when it reports
// that, else less what is unused (MemFree); the host's resident size is
// kept apart and never stands in for the guest's figures.
func TestBalloonMemory(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name                string
		params              []virt.TypedParam
		used, total, rssKiB uint64
	}{
		{"usable preferred", []virt.TypedParam{param("balloon.current", uint64(196608)), param("balloon.available", uint64(180000)),
			param("balloon.unused", uint64(100000)), param("balloon.usable", uint64(150000)), param("balloon.rss", uint64(321536))}, 30000, 180000, 321536},
		{"unused when usable is missing", []virt.TypedParam{param("balloon.available", uint64(180000)), param("balloon.unused", uint64(100000))}, 80000, 180000, 0},
		{"no guest figures: host only", []virt.TypedParam{param("balloon.current", uint64(196608)), param("balloon.maximum", uint64(196608)), param("balloon.rss", uint64(321536))}, 0, 0, 321536},
		{"usable above available is nonsense", []virt.TypedParam{param("balloon.available", uint64(1000)), param("balloon.usable", uint64(2000))}, 0, 0, 0},
		{"values as other integer types", []virt.TypedParam{param("balloon.available", int64(4096)), param("balloon.usable", uint32(1024)), param("balloon.rss", int32(77))}, 3072, 4096, 77},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sample(nil, parseRecord(tc.params, t0))
			if s.MemoryUsedKiB != tc.used || s.MemoryTotalKiB != tc.total || s.MemoryRSSKiB != tc.rssKiB {
				t.Errorf("used %d of %d, rss %d; want %d of %d, rss %d", s.MemoryUsedKiB, s.MemoryTotalKiB, s.MemoryRSSKiB, tc.used, tc.total, tc.rssKiB)
			}
		})
	}
}

func TestApplyXMLTemplateAndClone(t *testing.T) {
	var vm VM
	doc := `<domain type="kvm"><name>t</name><metadata><other xmlns="urn:x"/>` +
		`<km:vm xmlns:km="https://kvm-manager.dev/xmlns/vm/1" template="true" cloned-from="0b2a6f63-2b35-4bb2-9f34-2b0d5c0e4f1a" linked="true"/></metadata></domain>`
	if err := applyXML(&vm, doc); err != nil {
		t.Fatal(err)
	}
	if !vm.Template || vm.ClonedFrom != "0b2a6f63-2b35-4bb2-9f34-2b0d5c0e4f1a" || !vm.LinkedClone {
		t.Errorf("vm = %+v", vm)
	}
	vm = VM{}
	if err := applyXML(&vm, `<domain><name>p</name><metadata><other xmlns="urn:x" template="true"/></metadata></domain>`); err != nil || vm.Template {
		t.Errorf("a foreign element's attribute read as ours: %+v %v", vm, err)
	}
}
