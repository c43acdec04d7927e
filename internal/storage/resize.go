package storage

import (
	"context"
	"encoding/xml"
	"fmt"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// ResizeRequest is a volume's new virtual size.
type ResizeRequest struct {
	// Size is the new capacity: "40GiB", "512MiB" or bytes. It must be
	// larger than the current one: volumes only grow (shrinking a disk
	// cuts off whatever the guest keeps at its end).
	Size Size `json:"size"`
}

// ResizeResult is the grown volume and how it was grown.
type ResizeResult struct {
	Volume Volume `json:"volume"`
	// Online names the running VM whose disk was grown through QEMU
	// (blockresize), so that its guest sees the new size at once; empty
	// when the volume was resized on its own.
	Online *User `json:"online,omitempty"`
}

// Resize grows a volume in a running directory pool. A volume attached to
// a running VM is grown through that VM (QEMU's block_resize, which libvirt
// calls blockresize): resizing the file under a running QEMU would leave
// the guest with the old size, and a qcow2 image's header under QEMU's
// feet. A volume used by two running VMs is refused: the second would not
// learn the new size.
func (s *Service) Resize(hostName, pool, name string, req ResizeRequest) (ResizeResult, error) {
	if req.Size == "" {
		return ResizeResult{}, problem.New(problem.Invalid, "invalid_size", "the resize needs the new size", `give "size", e.g. "40GiB"`)
	}
	size, err := req.Size.Bytes()
	if err != nil {
		return ResizeResult{}, err
	}
	c, p, v, err := s.volume(hostName, pool, name)
	if err != nil {
		return ResizeResult{}, err
	}
	vms, err := s.fresh(c, hostName)
	if err != nil {
		return ResizeResult{}, err
	}
	d, err := describeVolume(c, vms, hostName, pool, v)
	if err != nil {
		return ResizeResult{}, err
	}
	if size < d.Capacity {
		return ResizeResult{}, problem.New(problem.Invalid, "volume_shrink_refused",
			fmt.Sprintf("volume %q is %s; %s would shrink it, and KVM Manager only grows volumes", problem.Clip(name), FormatSize(d.Capacity), FormatSize(size)),
			"shrink the file system inside the guest and the image with qemu-img yourself, or give a larger size")
	}
	if size == d.Capacity {
		return ResizeResult{}, problem.New(problem.Invalid, "volume_same_size",
			fmt.Sprintf("volume %q is already %s", problem.Clip(name), FormatSize(d.Capacity)), "give a larger size")
	}
	if d.Format == "iso" {
		return ResizeResult{}, problem.New(problem.Unsupported, "volume_not_resizable", fmt.Sprintf("volume %q is an ISO image; it cannot grow", problem.Clip(name)), "resize disk images only")
	}
	running := runningUsers(vms, hostName, pool, name, d.Path)
	if len(running) > 1 {
		return ResizeResult{}, inUse("volume", name, "resize", running)
	}
	// The pool must hold the growth (a raw volume may be sparse, but the
	// guest will write it, as for a new volume).
	if _, _, err := s.writablePool(hostName, pool, size-d.Capacity); err != nil {
		return ResizeResult{}, err
	}
	claim, err := s.opts.Operations.Claim(volTarget(hostName, p, name), "volume-resize", name)
	if err != nil {
		return ResizeResult{}, err
	}
	defer claim.Release()
	var online *User
	if len(running) == 1 {
		u := running[0]
		online = &u
		dom, err := lookupVM(c, u.UUID)
		if err != nil {
			return ResizeResult{}, err
		}
		if err := c.BlockResize(dom, u.Disk, size); err != nil {
			return ResizeResult{}, host.Problem(err, fmt.Sprintf("grow disk %s of VM %q", u.Disk, u.Name))
		}
		_ = c.RefreshPool(p)
	} else if err := c.ResizeVolume(v, size); err != nil {
		return ResizeResult{}, libvirtProblem(err, "resize the volume")
	}
	out, err := describeVolume(c, vms, hostName, pool, v)
	if err != nil {
		return ResizeResult{}, err
	}
	return ResizeResult{Volume: out, Online: online}, nil
}

// runningUsers are the running (or paused) VMs with the volume as a disk.
func runningUsers(vms []inventory.VM, hostName, pool, name, path string) []User {
	var run []inventory.VM
	for _, vm := range vms {
		if vm.State == "running" || vm.State == "paused" {
			run = append(run, vm)
		}
	}
	return volUsers(run, hostName, pool, name, path)
}

// lookupVM finds a domain by its UUID's text.
func lookupVM(c virt.Conn, uuid string) (virt.Domain, error) {
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return virt.Domain{}, err
	}
	dom, err := c.LookupDomain(u)
	if err != nil {
		return virt.Domain{}, host.Problem(err, "find the VM")
	}
	return dom, nil
}

// CloneRequest names the copy of a volume.
type CloneRequest struct {
	// Name is the new volume's name, in the same pool.
	Name string `json:"name"`
}

// Clone starts copying a volume into a new one of the same pool, format
// and size, as an operation (kind volume-clone; libvirt copies the
// content, which takes as long as the data is large). It checks first
// (name free, room in the pool, source not written by a running VM), then
// runs. A copy that fails is deleted: no half volume stays.
func (s *Service) Clone(hostName, pool, name string, req CloneRequest, started func(operation.Op)) (operation.Op, error) {
	if err := ValidVolumeName(req.Name); err != nil {
		return operation.Op{}, err
	}
	c, p, src, err := s.volume(hostName, pool, name)
	if err != nil {
		return operation.Op{}, err
	}
	if _, err := c.LookupVolume(p, req.Name); err == nil {
		return operation.Op{}, problem.New(problem.Conflict, "volume_exists",
			fmt.Sprintf("a volume %q already exists in pool %q", problem.Clip(req.Name), pool), "choose another name")
	}
	vms, err := s.fresh(c, hostName)
	if err != nil {
		return operation.Op{}, err
	}
	d, err := describeVolume(c, vms, hostName, pool, src)
	if err != nil {
		return operation.Op{}, err
	}
	// A running guest writing the source would make the copy
	// inconsistent; a read-only disk (a CD-ROM's ISO) is safe to copy.
	var writers []User
	for _, u := range runningUsers(vms, hostName, pool, name, d.Path) {
		if !readOnlyDisk(vms, u) {
			writers = append(writers, u)
		}
	}
	if len(writers) > 0 {
		return operation.Op{}, inUse("volume", name, "clone", writers)
	}
	// The copy takes what the source takes on the host (a sparse or qcow2
	// source stays so).
	if _, _, err := s.writablePool(hostName, pool, d.Allocation); err != nil {
		return operation.Op{}, err
	}
	srcClaim, err := s.opts.Operations.Claim(volTarget(hostName, p, name), "volume-clone", name)
	if err != nil {
		return operation.Op{}, err
	}
	claim, err := s.opts.Operations.Claim(volTarget(hostName, p, req.Name), "volume-clone", req.Name)
	if err != nil {
		srcClaim.Release()
		return operation.Op{}, err
	}
	x := volXML{Name: req.Name, Capacity: &volSize{Unit: "bytes", Value: d.Capacity}}
	x.Format.Type = d.Format
	if x.Format.Type == "" || x.Format.Type == "iso" {
		x.Format.Type = "raw"
	}
	doc, err := xml.Marshal(x)
	if err != nil {
		srcClaim.Release()
		claim.Release()
		return operation.Op{}, err
	}
	op, err := claim.Start("volume-clone", false, func(ctx context.Context, rep operation.Reporter) error {
		defer srcClaim.Release()
		rep.Progress(fmt.Sprintf("copying %s", FormatSize(d.Allocation)), 0)
		c, err := s.client(hostName)
		if err != nil {
			return err
		}
		nv, err := c.CloneVolume(p, string(doc), src)
		if err != nil {
			// libvirt removes a copy it could not finish; make sure.
			if left, lerr := c.LookupVolume(p, req.Name); lerr == nil {
				_ = c.DeleteVolume(left)
			}
			return libvirtProblem(err, "copy the volume")
		}
		_ = c.RefreshPool(p)
		out, err := s.describeVolume(c, hostName, pool, nv)
		if err != nil {
			return err
		}
		rep.Progress("copied", 100)
		rep.SetResult(out)
		return nil
	})
	if err != nil {
		srcClaim.Release()
		claim.Release()
		return operation.Op{}, err
	}
	if started != nil {
		started(op)
	}
	return op, nil
}

// readOnlyDisk reports whether u's disk is read-only in its VM.
func readOnlyDisk(vms []inventory.VM, u User) bool {
	for _, vm := range vms {
		if vm.UUID != u.UUID {
			continue
		}
		for _, d := range vm.Disks {
			if d.Target == u.Disk {
				return d.ReadOnly || d.Device == "cdrom"
			}
		}
	}
	return false
}
