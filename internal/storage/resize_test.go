package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/virt/virtfake"
)

func TestResizeGrowsOnly(t *testing.T) {
	s, c, _ := rig(t)
	for _, tc := range []struct {
		size Size
		code string
	}{
		{"4GiB", "volume_shrink_refused"}, {"8GiB", "volume_same_size"}, {"", "invalid_size"}, {"9 GB", "invalid_size"},
		{"100GiB", "pool_full"},
	} {
		_, err := s.Resize("h", "images", "disk.qcow2", ResizeRequest{Size: tc.size})
		wantProblem(t, err, tc.code)
	}
	res, err := s.Resize("h", "images", "disk.qcow2", ResizeRequest{Size: "10GiB"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Volume.Capacity != 10<<30 || res.Online != nil {
		t.Errorf("resized: %+v", res)
	}
	if slices.ContainsFunc(c.Calls(), func(s string) bool { return strings.HasPrefix(s, "BlockResize") }) {
		t.Errorf("an unused volume was resized through a VM: %v", c.Calls())
	}
}

func TestResizeOnlineThroughTheRunningVM(t *testing.T) {
	s, c, _ := rig(t, user)
	res, err := s.Resize("h", "images", "disk.qcow2", ResizeRequest{Size: "9GiB"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Online == nil || res.Online.Name != "web-1" || res.Online.Disk != "vda" {
		t.Errorf("online: %+v", res.Online)
	}
	if !slices.Contains(c.Calls(), "BlockResize web-1 vda 9663676416") {
		t.Errorf("no blockresize of vda: %v", c.Calls())
	}
	// Two running users: refused, naming both.
	other := user
	other.UUID, other.Name = "6b4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e12", "web-2"
	s2, _, _ := rig(t, user, other)
	_, err = s2.Resize("h", "images", "disk.qcow2", ResizeRequest{Size: "9GiB"})
	wantProblem(t, err, "volume_in_use", "web-1", "web-2")
}

func TestClone(t *testing.T) {
	s, c, ops := rig(t)
	op, err := s.Clone("h", "images", "disk.qcow2", CloneRequest{Name: "copy.qcow2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done, err := ops.Wait(context.Background(), op.ID)
	if err != nil || done.State != "succeeded" {
		t.Fatalf("clone: %+v %v", done, err)
	}
	v, ok := done.Result.(Volume)
	if !ok || v.Name != "copy.qcow2" || v.Format != "qcow2" || v.Capacity != 8<<30 {
		t.Errorf("clone result: %#v", done.Result)
	}
	if _, vols, _ := c.PoolState("images"); strings.Join(vols, " ") != "copy.qcow2 disk.qcow2" {
		t.Errorf("volumes: %v", vols)
	}
	_, err = s.Clone("h", "images", "disk.qcow2", CloneRequest{Name: "copy.qcow2"}, nil)
	wantProblem(t, err, "volume_exists")
	_, err = s.Clone("h", "images", "disk.qcow2", CloneRequest{Name: "../x"}, nil)
	wantProblem(t, err, "invalid_volume_name")

	// A failing copy leaves nothing.
	c.Fail("CloneVolume", virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: disk full"})
	op, err = s.Clone("h", "images", "disk.qcow2", CloneRequest{Name: "broken.qcow2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done, _ = ops.Wait(context.Background(), op.ID)
	if done.State != "failed" || done.Error == nil || !strings.Contains(done.Error.Message, "disk full") {
		t.Errorf("failed clone: %+v", done)
	}
	if _, vols, _ := c.PoolState("images"); len(vols) != 2 {
		t.Errorf("volumes after a failed clone: %v", vols)
	}
}

func TestCloneRefusedWhileARunningVMWritesIt(t *testing.T) {
	s, _, _ := rig(t, user)
	_, err := s.Clone("h", "images", "disk.qcow2", CloneRequest{Name: "copy.qcow2"}, nil)
	wantProblem(t, err, "volume_in_use", "web-1")
}

const cdromXML = `<domain type='kvm'><name>web-1</name><uuid>5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11</uuid>
<memory unit='KiB'>1024</memory><os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><source file='/var/lib/images/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>
</devices></domain>`

func TestChangeMedia(t *testing.T) {
	s, c, _ := rig(t)
	c.AddPool(virtfake.Pool{Name: "isos", Type: "dir", Path: "/srv/isos", Active: true, Capacity: 10 << 30, Available: 4 << 30},
		virtfake.Volume{Name: "debian.iso", Format: "iso", Capacity: 600 << 20, Allocation: 600 << 20})
	u, _ := host.ParseUUID(user.UUID)
	c.Add(virtfake.Domain{Name: "web-1", UUID: u, State: virt.StateRunning, Persistent: true, XML: cdromXML})

	m, err := s.ChangeMedia("h", user.UUID, "hdc", &MediaRequest{Pool: "isos", Volume: "debian.iso"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != "/srv/isos/debian.iso" || !m.Live || !m.Config {
		t.Errorf("insert: %+v", m)
	}
	d, _ := c.Get(u)
	if !strings.Contains(d.XML, "/srv/isos/debian.iso") {
		t.Errorf("the drive does not hold the ISO: %s", d.XML)
	}
	if got := strings.Count(strings.Join(c.Calls(), "\n"), "UpdateDevice"); got != 2 {
		t.Errorf("%d updates, want live and config: %v", got, c.Calls())
	}
	m, err = s.ChangeMedia("h", user.UUID, "hdc", nil)
	if err != nil || m.Source != "" {
		t.Fatalf("eject: %+v %v", m, err)
	}
	if d, _ = c.Get(u); strings.Contains(d.XML, "debian.iso") {
		t.Errorf("ejected, but the drive holds: %s", d.XML)
	}

	_, err = s.ChangeMedia("h", user.UUID, "hdd", &MediaRequest{Pool: "isos", Volume: "debian.iso"})
	wantProblem(t, err, "cdrom_not_found", "hdd")
	_, err = s.ChangeMedia("h", user.UUID, "vda", nil)
	wantProblem(t, err, "cdrom_not_found")
	_, err = s.ChangeMedia("h", user.UUID, "hdc", &MediaRequest{Pool: "images", Volume: "disk.qcow2"})
	wantProblem(t, err, "not_cdrom_media")
	_, err = s.ChangeMedia("h", user.UUID, "hdc", &MediaRequest{Pool: "isos", Volume: "nope.iso"})
	wantProblem(t, err, "volume_not_found")

	// A shut-off VM: only its definition changes.
	c.Add(virtfake.Domain{Name: "web-1", UUID: u, State: virt.StateShutoff, Persistent: true, XML: cdromXML})
	m, err = s.ChangeMedia("h", user.UUID, "hdc", &MediaRequest{Pool: "isos", Volume: "debian.iso"})
	if err != nil || m.Live || !m.Config {
		t.Errorf("insert into a shut-off VM: %+v %v", m, err)
	}
	// A libvirt refusal is the user's problem, not a 500.
	c.Fail("UpdateDevice", virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: tray locked"})
	_, err = s.ChangeMedia("h", user.UUID, "hdc", nil)
	var pe interface{ Error() string }
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "tray locked") {
		t.Errorf("failed update: %v", err)
	}
}

// TestChangeMediaWaitsForTheTray: QEMU refuses to remove a medium while the
// drive's tray is still closed (a guest busy booting opens it late); the
// live change is tried again a few times, and a tray that stays closed is
// the user's problem with libvirt's words.
func TestChangeMediaWaitsForTheTray(t *testing.T) {
	s, c, _ := rig(t)
	s.opts.TrayWait = time.Millisecond
	c.AddPool(virtfake.Pool{Name: "isos", Type: "dir", Path: "/srv/isos", Active: true, Capacity: 10 << 30, Available: 4 << 30},
		virtfake.Volume{Name: "debian.iso", Format: "iso", Capacity: 600 << 20, Allocation: 600 << 20})
	u, _ := host.ParseUUID(user.UUID)
	c.Add(virtfake.Domain{Name: "web-1", UUID: u, State: virt.StateRunning, Persistent: true, XML: cdromXML})
	closed := virt.Error{Code: uint32(virt.ErrInternalError), Message: "internal error: unable to execute QEMU command 'blockdev-remove-medium': Tray of device 'ide0-1-0' is not open"}

	var calls atomic.Int32
	c.Before("UpdateDevice", func() error {
		if calls.Add(1) <= 2 {
			return closed
		}
		return nil
	})
	m, err := s.ChangeMedia("h", user.UUID, "hdc", &MediaRequest{Pool: "isos", Volume: "debian.iso"})
	if err != nil || !m.Live || !m.Config {
		t.Fatalf("insert while the tray opens late: %+v %v", m, err)
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("%d updates, want 2 refused, 1 live and 1 in the definition", n)
	}

	calls.Store(0)
	c.Before("UpdateDevice", func() error { calls.Add(1); return closed })
	_, err = s.ChangeMedia("h", user.UUID, "hdc", nil)
	if err == nil || !strings.Contains(err.Error(), "is not open") {
		t.Errorf("a tray that stays closed: %v", err)
	}
	if n := calls.Load(); n != 1+trayRetries {
		t.Errorf("%d tries, want %d", n, 1+trayRetries)
	}
}
