package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

type fakeHosts struct{ c *virtfake.Conn }

func (h fakeHosts) Client(string) (virt.Conn, error) { return h.c, nil }
func (h fakeHosts) Dial(string) (virt.Link, error)   { return h.c.Link(), nil }

type fakeVMs []inventory.VM

func (v fakeVMs) List() []inventory.VM { return v }

func (v fakeVMs) Refresh(_ virt.Conn, _, uuid string) (inventory.VM, error) {
	for _, vm := range v {
		if vm.UUID == uuid {
			return vm, nil
		}
	}
	return inventory.VM{}, problem.New(problem.NotFound, "vm_not_found", "no VM", "")
}

func rig(t *testing.T, vms ...inventory.VM) (*Service, *virtfake.Conn, *operation.Manager) {
	t.Helper()
	c := virtfake.New()
	c.AddPool(virtfake.Pool{Name: "images", Type: "dir", Path: "/var/lib/images", Active: true, Capacity: 10 << 30, Available: 4 << 30},
		virtfake.Volume{Name: "disk.qcow2", Format: "qcow2", Capacity: 8 << 30, Allocation: 1 << 30})
	c.AddPool(virtfake.Pool{Name: "lvm", Type: "logical", Path: "/dev/vg", Active: true, Capacity: 10 << 30, Available: 4 << 30})
	for _, vm := range vms {
		u, _ := host.ParseUUID(vm.UUID)
		c.Add(virtfake.Domain{Name: vm.Name, UUID: u, State: virt.StateRunning, Persistent: true})
	}
	ops := operation.New(operation.Options{})
	t.Cleanup(func() { _ = ops.Shutdown(context.Background()) })
	return New(Options{Hosts: fakeHosts{c}, Inventory: fakeVMs(vms), Operations: ops, IdleTime: time.Second}), c, ops
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

var user = inventory.VM{Host: "h", UUID: "5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11", Name: "web-1", State: "running",
	Disks: []inventory.Disk{{Target: "vda", Type: "file", Source: "/var/lib/images/disk.qcow2"}}}

func TestCreatePoolValidates(t *testing.T) {
	s, c, _ := rig(t)
	for _, req := range []CreatePoolRequest{
		{Name: "a/b", Path: "/srv/a"}, {Name: "..x", Path: "/srv/a"}, {Name: "", Path: "/srv/a"},
		{Name: strings.Repeat("a", 65), Path: "/srv/a"}, {Name: "ok", Path: "srv/a"}, {Name: "ok", Path: "/srv/../etc"},
		{Name: "ok", Path: "/srv/a/"}, {Name: "ok", Path: "/"}, {Name: "bad name", Path: "/srv/a"}, {Name: "ok", Path: "/srv/a'b"},
	} {
		if _, err := s.CreatePool("h", req); err == nil {
			t.Errorf("%+v accepted", req)
		} else if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid {
			t.Errorf("%+v: %v, want an Invalid problem", req, err)
		}
	}
	if c.Called("DefinePool") {
		t.Error("an invalid pool reached libvirt")
	}
	p, err := s.CreatePool("h", CreatePoolRequest{Name: "isos", Path: "/srv/isos"})
	if err != nil || p.State != "running" || p.Type != "dir" || p.Path != "/srv/isos" || !p.Managed {
		t.Fatalf("create: %+v, %v", p, err)
	}
	_, err = s.CreatePool("h", CreatePoolRequest{Name: "isos", Path: "/srv/isos2"})
	wantProblem(t, err, "pool_exists")
}

func TestCreatePoolUndefinesWhenStartFails(t *testing.T) {
	s, c, _ := rig(t)
	c.Fail("StartPool", virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "cannot open directory"})
	if _, err := s.CreatePool("h", CreatePoolRequest{Name: "x", Path: "/srv/x"}); err == nil {
		t.Fatal("accepted")
	}
	if _, _, ok := c.PoolState("x"); ok {
		t.Error("a pool that could not start stays defined")
	}
}

func TestPoolInUseRefusedNamingVMs(t *testing.T) {
	s, c, _ := rig(t, user)
	wantProblem(t, s.DeletePool("h", "images"), "pool_in_use", `"web-1"`)
	_, err := s.PoolAction("h", "images", "stop")
	wantProblem(t, err, "pool_in_use", `"web-1"`)
	if p, _, _ := c.PoolState("images"); !p.Active {
		t.Error("pool stopped")
	}
	c.Fail("StopPool", virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "device busy"})
	if _, err := s.PoolAction("h", "lvm", "stop"); err == nil || !strings.Contains(err.Error(), "device busy") {
		t.Errorf("a failed stop answered %v", err)
	}
	c.Fail("StopPool", nil)
	if err := s.DeletePool("h", "lvm"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.PoolState("lvm"); ok {
		t.Error("pool still defined")
	}
}

func TestVolumes(t *testing.T) {
	s, c, _ := rig(t, user)
	vols, err := s.ListVolumes("h", "images")
	if err != nil || len(vols) != 1 || len(vols[0].UsedBy) != 1 || vols[0].UsedBy[0].Name != "web-1" || vols[0].Format != "qcow2" {
		t.Fatalf("list: %+v, %v", vols, err)
	}
	wantProblem(t, s.DeleteVolume("h", "images", "disk.qcow2"), "volume_in_use", `"web-1"`)
	_, err = s.CreateVolume("h", "images", CreateVolumeRequest{Name: "big", Size: "5GiB"})
	wantProblem(t, err, "pool_full", "4.0 GiB free")
	_, err = s.CreateVolume("h", "images", CreateVolumeRequest{Name: "a/b", Size: "1GiB"})
	wantProblem(t, err, "invalid_volume_name")
	_, err = s.CreateVolume("h", "images", CreateVolumeRequest{Name: "x", Size: "1GiB", Format: "vmdk"})
	wantProblem(t, err, "invalid_format")
	_, err = s.CreateVolume("h", "images", CreateVolumeRequest{Name: "x"})
	wantProblem(t, err, "invalid_size")
	_, err = s.CreateVolume("h", "lvm", CreateVolumeRequest{Name: "x", Size: "1MiB"})
	wantProblem(t, err, "pool_read_only")
	if c.Called("CreateVolume") {
		t.Fatal("a refused volume reached libvirt")
	}
	v, err := s.CreateVolume("h", "images", CreateVolumeRequest{Name: "new.qcow2", Size: "2GiB"})
	if err != nil || v.Capacity != 2<<30 || v.Format != "qcow2" || len(v.UsedBy) != 0 {
		t.Fatalf("create: %+v, %v", v, err)
	}
	_, err = s.CreateVolume("h", "images", CreateVolumeRequest{Name: "new.qcow2", Size: "2GiB"})
	wantProblem(t, err, "volume_exists")
	if err := s.DeleteVolume("h", "images", "new.qcow2"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetVolume("h", "images", "new.qcow2")
	wantProblem(t, err, "volume_not_found")
}

func TestUploadHashesAndKeeps(t *testing.T) {
	s, c, _ := rig(t)
	data := []byte(strings.Repeat("kvm-manager ", 100000))
	var opID string
	res, err := s.Upload(context.Background(), UploadRequest{Host: "h", Pool: "images", Name: "up.iso",
		Length: uint64(len(data)), Body: strings.NewReader(string(data)), Started: func(op operation.Op) { opID = op.ID }})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if res.SHA256 != hex.EncodeToString(sum[:]) || res.Bytes != uint64(len(data)) || opID == "" {
		t.Errorf("result %+v, op %q", res, opID)
	}
	if got, ok := c.VolumeData("images", "up.iso"); !ok || string(got) != string(data) {
		t.Error("the volume does not hold the upload")
	}
}

func TestUploadRefusals(t *testing.T) {
	s, c, _ := rig(t)
	up := func(name string, n uint64) error {
		_, err := s.Upload(context.Background(), UploadRequest{Host: "h", Pool: "images", Name: name, Length: n, Body: strings.NewReader("x")})
		return err
	}
	wantProblem(t, up("big", 5<<30), "pool_full")
	wantProblem(t, up("disk.qcow2", 1), "volume_exists")
	wantProblem(t, up("../x", 1), "invalid_volume_name")
	wantProblem(t, up("empty", 0), "invalid_size")
	s.opts.MaxUpload = 10
	wantProblem(t, up("max", 11), "upload_too_large")
	if c.Called("CreateVolume") {
		t.Error("a refused upload created a volume")
	}
}

// A body that ends early, or a canceled upload, leaves no volume.
func TestUploadFailureLeavesNothing(t *testing.T) {
	s, c, ops := rig(t)
	_, err := s.Upload(context.Background(), UploadRequest{Host: "h", Pool: "images", Name: "short", Length: 100, Body: strings.NewReader("only 20 bytes here..")})
	wantProblem(t, err, "upload_interrupted", "20 of 100")
	if _, vols, _ := c.PoolState("images"); len(vols) != 1 {
		t.Errorf("volumes after a short upload: %v", vols)
	}

	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write(make([]byte, 1000)) }() // then stalls
	started := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		_, err := s.Upload(context.Background(), UploadRequest{Host: "h", Pool: "images", Name: "cancel-me", Length: 1 << 20, Body: pr,
			Abort:   func() { pw.CloseWithError(errors.New("read deadline")) },
			Started: func(op operation.Op) { started <- op.ID }})
		done <- err
	}()
	id := <-started
	if _, err := ops.Cancel(id); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, <-done, "upload_canceled")
	if _, vols, _ := c.PoolState("images"); len(vols) != 1 {
		t.Errorf("volumes after a canceled upload: %v", vols)
	}
}

func TestUploadHoldsTheVolume(t *testing.T) {
	s, _, ops := rig(t)
	p, _ := s.opts.Hosts.(fakeHosts).c.LookupPool("images")
	claim, err := ops.Claim(volTarget("h", p, "held"), "volume-upload", "held")
	if err != nil {
		t.Fatal(err)
	}
	defer claim.Release()
	_, err = s.Upload(context.Background(), UploadRequest{Host: "h", Pool: "images", Name: "held", Length: 1, Body: strings.NewReader("x")})
	wantProblem(t, err, "volume_busy", `volume "images/held"`)
}

func TestDownload(t *testing.T) {
	s, _, _ := rig(t)
	data := "hello volume"
	if _, err := s.Upload(context.Background(), UploadRequest{Host: "h", Pool: "images", Name: "d", Length: uint64(len(data)), Body: strings.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := s.Download(context.Background(), "h", "images", "d", nil, &b); err != nil || b.String() != data {
		t.Errorf("download %q, %v", b.String(), err)
	}
	wantProblem(t, s.Download(context.Background(), "h", "images", "nope", nil, &b), "volume_not_found")
}
