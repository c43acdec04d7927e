package vmcreate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/iso9660"
	"github.com/kvm-manager/kvm-manager/internal/nocloud"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

type fakeHosts struct{ c *virtfake.Conn }

func (h fakeHosts) Client(string) (virt.Conn, error) { return h.c, nil }
func (h fakeHosts) Dial(string) (virt.Link, error)   { return h.c.Link(), nil }

type fakeVMs []inventory.VM

func (v fakeVMs) Refresh(_ virt.Conn, _, uuid string) (inventory.VM, error) {
	for _, vm := range v {
		if vm.UUID == uuid {
			return vm, nil
		}
	}
	return inventory.VM{}, problem.New(problem.NotFound, "vm_not_found", "no VM", "")
}

var user = inventory.VM{Host: "h", UUID: "5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11", Name: "web-1", State: "running",
	Disks: []inventory.Disk{{Target: "vda", Type: "volume", Source: "images/used.qcow2"}}}

func rig(t *testing.T) (*Service, *virtfake.Conn, *operation.Manager) {
	t.Helper()
	c := virtfake.New()
	c.AddPool(virtfake.Pool{Name: "images", Type: "dir", Path: "/var/lib/images", Active: true, Capacity: 100 << 30, Available: 40 << 30},
		virtfake.Volume{Name: "installer.iso", Format: "iso", Capacity: 300 << 20, Allocation: 300 << 20},
		virtfake.Volume{Name: "cloud.qcow2", Format: "qcow2", Capacity: 2 << 30, Allocation: 300 << 20},
		virtfake.Volume{Name: "used.qcow2", Format: "qcow2", Capacity: 8 << 30, Allocation: 1 << 30})
	c.AddNetwork(virtfake.Network{Name: "default", Active: true})
	u, _ := host.ParseUUID(user.UUID)
	c.Add(virtfake.Domain{Name: user.Name, UUID: u, State: virt.StateRunning, Persistent: true})
	ops := operation.New(operation.Options{})
	t.Cleanup(func() { _ = ops.Shutdown(context.Background()) })
	return New(Options{Hosts: fakeHosts{c}, Inventory: fakeVMs{user}, Operations: ops, OSInfoDir: "../osinfo/testdata"}), c, ops
}

func wantProblem(t *testing.T, err error, code string, says ...string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != code {
		t.Fatalf("error %v; want problem %s", err, code)
	}
	for _, s := range says {
		if !strings.Contains(p.Message, s) {
			t.Errorf("message %q does not say %q", p.Message, s)
		}
	}
}

func isoReq(name string) Request {
	return Request{Name: name, OS: "exos2", Source: Source{Kind: SourceISO, Pool: "images", Volume: "installer.iso"}}
}

func preview(t *testing.T, s *Service, req Request) (*Preview, *libvirtxml.Domain) {
	t.Helper()
	req.DryRun = true
	_, pv, err := s.Create("h", req, nil)
	if err != nil {
		t.Fatal(err)
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(pv.XML); err != nil {
		t.Fatal(err)
	}
	return pv, &d
}

func TestPreviewFromISO(t *testing.T) {
	s, c, _ := rig(t)
	pv, d := preview(t, s, isoReq("new-1"))
	// exos2 inherits 2 CPUs, 1 GiB and 10 GiB and virtio from exos1.
	if d.VCPU.Value != 2 || d.Memory.Value != 1024 || d.Memory.Unit != "MiB" || d.Type != "kvm" {
		t.Errorf("resources: vcpu %d, memory %d %s, type %s", d.VCPU.Value, d.Memory.Value, d.Memory.Unit, d.Type)
	}
	if len(pv.Volumes) != 1 || pv.Volumes[0] != "images/new-1.qcow2" || pv.OS != "ExOS 2" {
		t.Errorf("preview: %+v", pv)
	}
	disks := d.Devices.Disks
	if len(disks) != 2 || disks[0].Target.Dev != "vda" || disks[0].Source.Volume.Volume != "new-1.qcow2" ||
		disks[1].Device != "cdrom" || disks[1].Target.Dev != "sda" || disks[1].Source.Volume.Volume != "installer.iso" || disks[1].ReadOnly == nil {
		t.Errorf("disks: %+v", disks)
	}
	if d.OS.BootDevices[0].Dev != "cdrom" || d.CPU == nil || d.CPU.Mode != "host-model" {
		t.Errorf("boot %+v cpu %+v", d.OS.BootDevices, d.CPU)
	}
	g := d.Devices.Graphics[0].VNC
	if g == nil || g.Listeners[0].Address.Address != "127.0.0.1" {
		t.Errorf("graphics: %+v", d.Devices.Graphics)
	}
	if d.Devices.Channels[0].Target.VirtIO.Name != "org.qemu.guest_agent.0" || d.Devices.Inputs[0].Type != "tablet" {
		t.Errorf("agent channel or tablet missing")
	}
	if d.Devices.Interfaces[0].Source.Network.Network != "default" || d.Devices.Interfaces[0].Model.Type != "virtio" {
		t.Errorf("nic: %+v", d.Devices.Interfaces)
	}
	if c.Called("Define") || c.Called("CreateVolume") {
		t.Error("a dry run made something")
	}
}

func TestPreviewChoices(t *testing.T) {
	s, _, _ := rig(t)
	req := isoReq("new-2")
	req.OS = ""
	req.Firmware, req.SecureBoot = "efi", &[]bool{true}[0]
	req.CPU = CPU{Count: 3, Mode: "custom", Model: "Skylake-Client"}
	req.MemoryMiB = 2048
	req.Disk = Disk{Size: "5GiB", Bus: "sata"}
	req.Network = NIC{Bridge: "br0", Model: "e1000e", MAC: "52:54:00:aa:bb:cc"}
	req.NoVNC = true
	_, d := preview(t, s, req)
	if d.OS.Firmware != "efi" || d.Features.SMM == nil || len(d.OS.FirmwareInfo.Features) != 2 {
		t.Errorf("efi/secure boot: %+v", d.OS)
	}
	if d.VCPU.Value != 3 || d.CPU.Model.Value != "Skylake-Client" || d.Memory.Value != 2048 {
		t.Errorf("cpu/memory: %+v %+v", d.VCPU, d.CPU)
	}
	if d.Devices.Disks[0].Target.Dev != "sda" || d.Devices.Disks[1].Target.Dev != "sdb" {
		t.Errorf("sata targets: %s %s", d.Devices.Disks[0].Target.Dev, d.Devices.Disks[1].Target.Dev)
	}
	nic := d.Devices.Interfaces[0]
	if nic.Source.Bridge.Bridge != "br0" || nic.MAC.Address != "52:54:00:aa:bb:cc" || len(d.Devices.Graphics) != 0 {
		t.Errorf("nic %+v graphics %+v", nic, d.Devices.Graphics)
	}
}

func TestRefusals(t *testing.T) {
	s, c, _ := rig(t)
	big := isoReq("big")
	big.Disk.Size = "50GiB"
	inUse := Request{Name: "x", Source: Source{Kind: SourceDisk, Pool: "images", Volume: "used.qcow2"}}
	for name, tc := range map[string]struct {
		req  Request
		code string
	}{
		"empty name":     {Request{Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, problem.CodeInvalidVMName},
		"long name":      {Request{Name: strings.Repeat("a", 65), Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, problem.CodeInvalidVMName},
		"slash":          {Request{Name: "a/b", Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, problem.CodeInvalidVMName},
		"existing":       {Request{Name: "web-1", Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, problem.CodeVMExists},
		"unknown os":     {Request{Name: "x", OS: "nope", Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, problem.CodeUnknownOS},
		"bad kind":       {Request{Name: "x", Source: Source{Kind: "floppy"}}, problem.CodeInvalidVMSpec},
		"beyond pool":    {big, "pool_full"},
		"no volume":      {Request{Name: "x", Source: Source{Kind: SourceISO, Pool: "images", Volume: "nope.iso"}}, "volume_not_found"},
		"in use":         {inUse, "volume_in_use"},
		"no network":     {Request{Name: "x", Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}, Network: NIC{Network: "nope"}}, "network_not_found"},
		"pxe without":    {Request{Name: "x", Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}, Network: NIC{None: true}}, problem.CodeInvalidVMSpec},
		"bios for efi":   {Request{Name: "x", OS: "win11", Firmware: "bios", Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, problem.CodeInvalidVMSpec},
		"memory":         {Request{Name: "x", MemoryMiB: 10, Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, problem.CodeInvalidVMSpec},
		"cpus":           {Request{Name: "x", CPU: CPU{Count: 1000}, Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, problem.CodeInvalidVMSpec},
		"multicast mac":  {Request{Name: "x", Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}, Network: NIC{MAC: "01:00:00:00:00:01"}}, problem.CodeInvalidVMSpec},
		"cloud-init iso": {Request{Name: "x", Source: Source{Kind: SourceISO, Pool: "images", Volume: "installer.iso"}, CloudInit: &nocloud.Config{}}, problem.CodeInvalidVMSpec},
		"bad user-data": {Request{Name: "x", Source: Source{Kind: SourceCloudImage, Pool: "images", Volume: "cloud.qcow2"},
			CloudInit: &nocloud.Config{UserData: "#cloud-config\nruncmd: ls\n"}}, problem.CodeInvalidUserData},
		"iso as disk": {Request{Name: "x", Source: Source{Kind: SourceDisk, Pool: "images", Volume: "installer.iso"}}, problem.CodeInvalidVMSpec},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := s.Create("h", tc.req, nil)
			wantProblem(t, err, tc.code)
		})
	}
	if c.Called("Define") || c.Called("CreateVolume") || c.Called("CloneVolume") {
		t.Error("a refused request made something")
	}
}

func TestFirmwareMissing(t *testing.T) {
	s, c, _ := rig(t)
	c.Fail("DomainCapabilities", virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "no emulator"})
	_, _, err := s.Create("h", Request{Name: "x", Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}}, nil)
	if err == nil {
		t.Fatal("created without capabilities")
	}
}

func run(t *testing.T, s *Service, ops *operation.Manager, req Request) operation.Op {
	t.Helper()
	op, _, err := s.Create("h", req, nil)
	if err != nil {
		t.Fatal(err)
	}
	done, err := ops.Wait(context.Background(), op.ID)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func TestCreateCloudImage(t *testing.T) {
	s, c, ops := rig(t)
	req := Request{Name: "cloud-1", Start: true, Source: Source{Kind: SourceCloudImage, Pool: "images", Volume: "cloud.qcow2"},
		CloudInit: &nocloud.Config{User: "alice", Password: "pw"}}
	op := run(t, s, ops, req)
	if op.State != operation.Succeeded {
		t.Fatalf("op: %+v %+v", op.State, op.Error)
	}
	res := op.Result.(Result)
	if !res.Started || len(res.Volumes) != 2 {
		t.Fatalf("result %+v", res)
	}
	u, _ := host.ParseUUID(res.UUID)
	d, ok := c.Get(u)
	if !ok || d.Name != "cloud-1" {
		t.Fatal("the VM is not defined")
	}
	// The seed volume holds a cidata image whose instance id is the VM's UUID.
	var seed strings.Builder
	pl, _ := c.LookupPool("images")
	v, err := c.LookupVolume(pl, "cloud-1-cidata.iso")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Link().DownloadVolume(v, &seed); err != nil {
		t.Fatal(err)
	}
	img := []byte(seed.String())
	if id, ok := iso9660.VolumeID(img); !ok || id != "cidata" || !strings.Contains(seed.String(), "instance-id: "+res.UUID) || strings.Contains(seed.String(), "pw\n") {
		t.Fatalf("seed volume: id %q", id)
	}
}

func TestFailureLeavesNothing(t *testing.T) {
	s, c, ops := rig(t)
	c.Fail("Define", virt.Error{Code: uint32(virt.ErrXMLError), Message: "boom"})
	op := run(t, s, ops, Request{Name: "half", Source: Source{Kind: SourceCloudImage, Pool: "images", Volume: "cloud.qcow2"}})
	if op.State != operation.Failed || op.Error == nil || !strings.Contains(op.Error.Message, "boom") {
		t.Fatalf("op %+v", op)
	}
	pl, _ := c.LookupPool("images")
	for _, n := range []string{"half.qcow2", "half-cidata.iso"} {
		if _, err := c.LookupVolume(pl, n); err == nil {
			t.Errorf("volume %s left behind", n)
		}
	}
	// A start that fails undefines the VM too.
	c.Fail("Define", nil)
	c.Fail("Start", errors.New("no start"))
	op = run(t, s, ops, Request{Name: "half2", Start: true, Source: Source{Kind: SourcePXE}, Disk: Disk{Pool: "images"}})
	if op.State != operation.Failed {
		t.Fatalf("op %+v", op)
	}
	doms, _ := c.ListDomains()
	for _, d := range doms {
		if d.Name == "half2" {
			t.Error("half2 still defined")
		}
	}
	if _, err := c.LookupVolume(pl, "half2.qcow2"); err == nil {
		t.Error("half2's disk left behind")
	}
}

const srcXML = `<domain type='kvm'><name>src</name><uuid>11111111-2222-4333-8444-555555555555</uuid>
<memory unit='KiB'>262144</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type><nvram>/var/lib/libvirt/qemu/nvram/src_VARS.fd</nvram></os>
<metadata><other:x xmlns:other="https://example.org/x">keep</other:x></metadata>
<devices>
<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='images' volume='cloud.qcow2'/><target dev='vda' bus='virtio'/></disk>
<disk type='volume' device='cdrom'><source pool='images' volume='installer.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
<interface type='network'><mac address='52:54:00:11:22:33'/><source network='default'/><model type='virtio'/></interface>
</devices></domain>`

func addSource(t *testing.T, c *virtfake.Conn, state virt.DomainState) string {
	t.Helper()
	u, _ := host.ParseUUID("11111111-2222-4333-8444-555555555555")
	c.Add(virtfake.Domain{Name: "src", UUID: u, State: state, Persistent: true, XML: srcXML})
	return "11111111-2222-4333-8444-555555555555"
}

func TestClone(t *testing.T) {
	for _, linked := range []bool{false, true} {
		s, c, ops := rig(t)
		id := addSource(t, c, virt.StateShutoff)
		op, err := s.Clone("h", id, CloneRequest{Name: "copy", Linked: linked}, nil)
		if err != nil {
			t.Fatal(err)
		}
		done, _ := ops.Wait(context.Background(), op.ID)
		if done.State != operation.Succeeded {
			t.Fatalf("linked=%v: %+v", linked, done.Error)
		}
		res := done.Result.(Result)
		u, _ := host.ParseUUID(res.UUID)
		dom, _ := c.LookupDomain(u)
		doc, _ := c.XML(dom, virt.XMLInactive)
		var d libvirtxml.Domain
		if err := d.Unmarshal(doc); err != nil {
			t.Fatal(err)
		}
		if d.Name != "copy" || d.UUID == id || d.Devices.Interfaces[0].MAC != nil || d.OS.NVRam != nil {
			t.Errorf("clone: name %s uuid %s mac %+v nvram %+v", d.Name, d.UUID, d.Devices.Interfaces[0].MAC, d.OS.NVRam)
		}
		if v := d.Devices.Disks[0].Source.Volume; v.Volume != "copy.qcow2" || d.Devices.Disks[1].Source.Volume.Volume != "installer.iso" {
			t.Errorf("disks: %+v %+v", v, d.Devices.Disks[1].Source.Volume)
		}
		m := readMeta(&d)
		if m.ClonedFrom != id || m.Linked != linked || !strings.Contains(d.Metadata.XML, "keep") {
			t.Errorf("metadata %+v: %s", m, d.Metadata.XML)
		}
		if called := c.Called("CloneVolume"); called == linked {
			t.Errorf("linked=%v but CloneVolume called=%v", linked, called)
		}
	}
}

func TestCloneRefusesRunningAndTemplates(t *testing.T) {
	s, c, _ := rig(t)
	id := addSource(t, c, virt.StateRunning)
	_, err := s.Clone("h", id, CloneRequest{Name: "copy"}, nil)
	wantProblem(t, err, problem.CodeVMNotShutOff)
	wantProblem(t, s.SetTemplate("h", id, true), problem.CodeVMNotShutOff)
	_, err = s.Clone("h", id, CloneRequest{Name: "web-1"}, nil)
	wantProblem(t, err, problem.CodeVMNotShutOff)

	u, _ := host.ParseUUID(id)
	c.SetState(u, virt.StateShutoff)
	if tmpl, _ := s.IsTemplate("h", id); tmpl {
		t.Fatal("a template before marking")
	}
	if err := s.SetTemplate("h", id, true); err != nil {
		t.Fatal(err)
	}
	if tmpl, err := s.IsTemplate("h", id); !tmpl || err != nil {
		t.Fatalf("IsTemplate after marking: %v %v", tmpl, err)
	}
	_, err = s.Clone("h", id, CloneRequest{Name: "web-1"}, nil)
	wantProblem(t, err, problem.CodeVMExists)
	if err := s.SetTemplate("h", id, false); err != nil {
		t.Fatal(err)
	}
	if tmpl, _ := s.IsTemplate("h", id); tmpl {
		t.Fatal("still a template")
	}
}
