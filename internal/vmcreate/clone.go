package vmcreate

import (
	"context"
	"fmt"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/vmmeta"
)

// vmMeta is KVM Manager's element in a domain's metadata (package vmmeta).
type vmMeta = vmmeta.Meta

func readMeta(d *libvirtxml.Domain) vmMeta           { return vmmeta.Read(d) }
func writeMeta(d *libvirtxml.Domain, m vmMeta) error { return vmmeta.Write(d, m) }

// CloneRequest is a copy of a shut-off VM.
type CloneRequest struct {
	// Name is the clone's name.
	Name string `json:"name"`
	// Linked makes each disk a qcow2 overlay on the original's disk
	// (quick and small; the original's disks must then stay unchanged)
	// instead of a full copy.
	Linked bool `json:"linked,omitempty"`
	// Start boots the clone once it is defined.
	Start bool `json:"start,omitempty"`
}

// vmDomain finds a VM and its inactive definition.
func vmDomain(c virt.Conn, uuid string) (virt.Domain, *libvirtxml.Domain, error) {
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return virt.Domain{}, nil, problem.New(problem.NotFound, problem.CodeVMNotFound, "there is no such VM", "reload the VM list")
	}
	dom, err := c.LookupDomain(u)
	if err != nil {
		return dom, nil, host.Problem(err, "find the VM")
	}
	doc, err := c.XML(dom, virt.XMLInactive|virt.XMLSecure)
	if err != nil {
		return dom, nil, host.Problem(err, "read the VM's definition")
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return dom, nil, fmt.Errorf("parse the VM's definition: %w", err)
	}
	return dom, &d, nil
}

func shutOff(c virt.Conn, dom virt.Domain, what string) error {
	st, _, err := c.State(dom)
	if err != nil {
		return host.Problem(err, "read the VM's state")
	}
	if virt.DomainState(st) != virt.StateShutoff {
		return problem.New(problem.Conflict, problem.CodeVMNotShutOff, fmt.Sprintf("%s needs the VM shut off", what), "shut the VM down first")
	}
	return nil
}

// IsTemplate reports whether the VM is marked as a template (its power
// actions are refused).
func (s *Service) IsTemplate(hostName, uuid string) (bool, error) {
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return false, err
	}
	_, d, err := vmDomain(c, uuid)
	if err != nil {
		return false, err
	}
	return readMeta(d).Template, nil
}

// SetTemplate marks a shut-off VM as a template, or not.
func (s *Service) SetTemplate(hostName, uuid string, on bool) error {
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return err
	}
	dom, d, err := vmDomain(c, uuid)
	if err != nil {
		return err
	}
	if on {
		if err := shutOff(c, dom, "making a template"); err != nil {
			return err
		}
	}
	m := readMeta(d)
	m.Template = on
	if err := writeMeta(d, m); err != nil {
		return err
	}
	doc, err := d.Marshal()
	if err != nil {
		return err
	}
	if _, err := c.Define(doc); err != nil {
		return host.Problem(err, "change the VM's definition")
	}
	return nil
}

// Clone copies a shut-off VM (or a template) as an operation (kind
// vm-clone): each disk in a storage pool is copied in full, or made a
// linked qcow2 overlay on it, in the same pool; CD-ROMs keep their media;
// the clone gets a new name, UUID and MAC addresses (libvirt picks them)
// and a fresh UEFI variable store. A failure removes what it made.
func (s *Service) Clone(hostName, uuid string, req CloneRequest, started func(operation.Op)) (operation.Op, error) {
	if err := ValidName(req.Name); err != nil {
		return operation.Op{}, err
	}
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return operation.Op{}, err
	}
	dom, d, err := vmDomain(c, uuid)
	if err != nil {
		return operation.Op{}, err
	}
	if err := shutOff(c, dom, "cloning"); err != nil {
		return operation.Op{}, err
	}
	exists, err := hasName(c, req.Name)
	if err != nil {
		return operation.Op{}, err
	}
	if exists {
		return operation.Op{}, problem.New(problem.Conflict, problem.CodeVMExists, fmt.Sprintf("a VM named %q already exists on host %q", req.Name, hostName), "choose another name")
	}
	newID, err := newUUID()
	if err != nil {
		return operation.Op{}, err
	}
	p := &plan{host: hostName, uuid: newID, name: req.Name, start: req.Start}
	need := map[string]uint64{}
	pools := map[string]virt.StoragePool{}
	n := 0
	for i := range d.Devices.Disks {
		disk := &d.Devices.Disks[i]
		if disk.Device != "disk" && disk.Device != "" || disk.Source == nil {
			continue // CD-ROMs and floppies keep their (read-only) media
		}
		if disk.ReadOnly != nil || disk.Shareable != nil {
			continue
		}
		src, err := diskVolume(c, disk)
		if err != nil {
			return operation.Op{}, err
		}
		name := req.Name + ".qcow2"
		if n > 0 {
			name = fmt.Sprintf("%s-%d.qcow2", req.Name, n)
		}
		n++
		if _, err := c.LookupVolume(src.pool, name); err == nil {
			return operation.Op{}, problem.New(problem.Conflict, "volume_exists", fmt.Sprintf("a volume %q already exists in pool %q", name, src.pool.Name),
				"choose another name, or delete that volume")
		}
		v := newVol{pool: src.pool, name: name, format: "qcow2", size: src.capacity}
		format := "qcow2"
		if req.Linked {
			v.backing, v.backingFormat = src.path, diskFormat(src.format)
			need[src.pool.Name] += 1 << 20
		} else {
			from := src.vol
			v.from = &from
			v.format = diskFormat(src.format)
			format = v.format
			need[src.pool.Name] += src.alloc
		}
		pools[src.pool.Name] = src.pool
		p.vols = append(p.vols, v)
		disk.Source = &libvirtxml.DomainDiskSource{Volume: &libvirtxml.DomainDiskSourceVolume{Pool: src.pool.Name, Volume: name}}
		disk.Driver = &libvirtxml.DomainDiskDriver{Name: "qemu", Type: format}
		disk.BackingStore = nil
	}
	for name, b := range need {
		if err := checkRoom(c, pools[name], b); err != nil {
			return operation.Op{}, err
		}
	}
	d.Name, d.UUID, d.ID = req.Name, newID, nil
	for i := range d.Devices.Interfaces {
		d.Devices.Interfaces[i].MAC = nil
		d.Devices.Interfaces[i].Target = nil
	}
	if d.OS != nil && d.OS.NVRam != nil {
		d.OS.NVRam = nil // libvirt makes a fresh one from the firmware's template
	}
	for i := range d.Devices.Graphics {
		if g := d.Devices.Graphics[i].VNC; g != nil && g.AutoPort != "yes" {
			g.Port, g.AutoPort = -1, "yes"
		}
	}
	m := readMeta(d)
	m.Template, m.ClonedFrom, m.Linked = false, uuid, req.Linked
	if err := writeMeta(d, m); err != nil {
		return operation.Op{}, err
	}
	if p.xml, err = d.Marshal(); err != nil {
		return operation.Op{}, err
	}
	srcClaim, err := s.opts.Operations.Claim(operation.Target{Host: hostName, UUID: uuid, Name: d.Name}, "vm-clone", req.Name)
	if err != nil {
		return operation.Op{}, err
	}
	claim, err := s.opts.Operations.Claim(operation.Target{Host: hostName, UUID: newID, Name: req.Name}, "vm-clone", req.Name)
	if err != nil {
		srcClaim.Release()
		return operation.Op{}, err
	}
	op, err := claim.Start("vm-clone", false, func(ctx context.Context, rep operation.Reporter) error {
		defer srcClaim.Release()
		res, err := s.run(ctx, p, rep)
		if err != nil {
			return err
		}
		rep.SetResult(res)
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

// diskVolume finds the pool volume behind a disk (volume or file type).
func diskVolume(c virt.Conn, disk *libvirtxml.DomainDisk) (*srcVol, error) {
	switch {
	case disk.Source.Volume != nil:
		return readVolume(c, disk.Source.Volume.Pool, disk.Source.Volume.Volume)
	case disk.Source.File != nil && disk.Source.File.File != "":
		v, err := c.LookupVolumeByPath(disk.Source.File.File)
		if err != nil {
			return nil, problem.Wrap(err, problem.Unsupported, "disk_not_in_pool",
				fmt.Sprintf("the disk %s is not in a storage pool, so it cannot be copied", disk.Source.File.File),
				"define a storage pool for its directory first")
		}
		return readVolume(c, v.Pool, v.Name)
	}
	return nil, problem.New(problem.Unsupported, "disk_not_in_pool", "a disk is neither a file nor a pool volume, so it cannot be copied", "clone this VM another way")
}
