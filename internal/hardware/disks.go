package hardware

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/storage"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// DiskRequest adds a disk: an existing volume (Volume), or a new qcow2
// volume of Size (named Name, default "<vm>-<target>.qcow2") in Pool.
type DiskRequest struct {
	Pool   string       `json:"pool"`
	Volume string       `json:"volume,omitempty"`
	Size   storage.Size `json:"size,omitempty"`
	Name   string       `json:"name,omitempty"`
	// Bus is virtio (default; can be plugged into a running VM), scsi or
	// sata (next start only).
	Bus string `json:"bus,omitempty"`
}

// DiskAdded is the answer to AddDisk.
type DiskAdded struct {
	Result
	Target string `json:"target"`
	// Volume is the disk's volume (pool/name); Created says it was made
	// for it.
	Volume  string `json:"volume"`
	Created bool   `json:"created"`
}

// AddDisk adds a disk to a VM: plugged into the running VM and stored in
// its definition where the bus can hot-plug (virtio, scsi), else stored
// for the next start. A volume made for it is deleted again when the disk
// cannot be added.
func (s *Service) AddDisk(hostName, uuid string, req DiskRequest) (DiskAdded, error) {
	bus := req.Bus
	if bus == "" {
		bus = "virtio"
	}
	if !slices.Contains([]string{"virtio", "scsi", "sata"}, bus) {
		return DiskAdded{}, invalid(fmt.Sprintf("disk bus %q is not supported", problem.Clip(bus)), "use virtio, scsi or sata")
	}
	if req.Pool == "" {
		return DiskAdded{}, invalid("the disk needs a pool", `give "pool" and either "volume" (an existing one) or "size" (a new one)`)
	}
	if (req.Volume == "") == (req.Size == "") {
		return DiskAdded{}, invalid("give either an existing volume or the size of a new one", `give "volume", or "size" such as "10GiB"`)
	}
	var size uint64
	if req.Size != "" {
		var err error
		if size, err = req.Size.Bytes(); err != nil {
			return DiskAdded{}, err
		}
		if size < 1<<20 {
			return DiskAdded{}, invalid("the disk is smaller than 1 MiB", "give a larger size")
		}
	}
	e, err := s.beginEdit(hostName, uuid, "disk-add")
	if err != nil {
		return DiskAdded{}, err
	}
	defer e.release()
	target, err := freeTarget(e.def, e.live, bus)
	if err != nil {
		return DiskAdded{}, err
	}
	pl, err := e.c.LookupPool(req.Pool)
	if err != nil {
		if host.IsCode(err, virt.ErrNoStoragePool) {
			return DiskAdded{}, problem.New(problem.NotFound, "pool_not_found", fmt.Sprintf("there is no storage pool %q on host %q", problem.Clip(req.Pool), hostName), "choose another pool")
		}
		return DiskAdded{}, host.Problem(err, "find the pool")
	}
	out := DiskAdded{Target: target}
	volName, format := req.Volume, ""
	var made *virt.StorageVol
	if req.Volume != "" {
		v, err := e.c.LookupVolume(pl, req.Volume)
		if err != nil {
			if host.IsCode(err, virt.ErrNoStorageVol) {
				return DiskAdded{}, problem.New(problem.NotFound, "volume_not_found", fmt.Sprintf("there is no volume %q in pool %q", problem.Clip(req.Volume), req.Pool), "reload the volume list")
			}
			return DiskAdded{}, host.Problem(err, "find the volume")
		}
		path, f, err := volumeFormat(e.c, v)
		if err != nil {
			return DiskAdded{}, err
		}
		if f == "iso" {
			return DiskAdded{}, invalid(fmt.Sprintf("volume %q is an ISO image", problem.Clip(req.Volume)), "put it into a CD-ROM drive instead")
		}
		format = f
		if users := s.usersOf(hostName, req.Pool+"/"+req.Volume, path); len(users) > 0 {
			return DiskAdded{}, problem.New(problem.Conflict, "volume_in_use",
				fmt.Sprintf("volume %q is already a disk of VM %s", problem.Clip(req.Volume), strings.Join(users, ", ")),
				"remove it from that VM first, or copy it")
		}
	} else {
		volName = req.Name
		if volName == "" {
			volName = e.dom.Name + "-" + target + ".qcow2"
		}
		if err := storage.ValidVolumeName(volName); err != nil {
			return DiskAdded{}, err
		}
		if _, err := e.c.LookupVolume(pl, volName); err == nil {
			return DiskAdded{}, problem.New(problem.Conflict, "volume_exists", fmt.Sprintf("a volume %q already exists in pool %q", volName, req.Pool),
				`give another "name", or add that volume as it is`)
		}
		_ = e.c.RefreshPool(pl) // files change behind libvirt's back
		info, err := e.c.PoolInfo(pl)
		if err != nil {
			return DiskAdded{}, host.Problem(err, "read the pool's free space")
		}
		if info.State != virt.PoolRunning {
			return DiskAdded{}, problem.New(problem.Conflict, "pool_not_running", fmt.Sprintf("pool %q is not running", req.Pool), "start the pool first")
		}
		// A qcow2 volume grows as the guest writes; its full size must fit.
		if size > info.Available {
			return DiskAdded{}, problem.New(problem.NoSpace, problem.CodePoolFull,
				fmt.Sprintf("the new disk needs %s; pool %q has %s free", storage.FormatSize(size), req.Pool, storage.FormatSize(info.Available)),
				"choose a smaller disk or another pool, or free space in the pool")
		}
		doc := fmt.Sprintf("<volume><name>%s</name><capacity unit='bytes'>%d</capacity><allocation>0</allocation><target><format type='qcow2'/></target></volume>",
			xmlText(volName), size)
		v, err := e.c.CreateVolume(pl, doc)
		if err != nil {
			return DiskAdded{}, libvirtProblem(err, "create the disk's volume")
		}
		made, format, out.Created = &v, "qcow2", true
	}
	out.Volume = req.Pool + "/" + volName
	disk := libvirtxml.DomainDisk{
		Device: "disk",
		Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: diskFormat(format)},
		Source: &libvirtxml.DomainDiskSource{Volume: &libvirtxml.DomainDiskSourceVolume{Pool: req.Pool, Volume: volName}},
		Target: &libvirtxml.DomainDiskTarget{Dev: target, Bus: bus},
	}
	if bus == "scsi" {
		ensureSCSI(e.def)
	}
	fail := func(err error) (DiskAdded, error) {
		if made != nil {
			if derr := e.c.DeleteVolume(*made); derr != nil {
				s.log.Warn("could not delete the volume made for a disk that was not added", "volume", out.Volume, "err", derr)
			}
		}
		return DiskAdded{}, err
	}
	if e.running && bus != "sata" && (bus != "scsi" || hasSCSI(e.live)) {
		doc, err := disk.Marshal()
		if err != nil {
			return fail(err)
		}
		if err := e.c.AttachDevice(e.dom, doc, virt.AffectLive); err != nil {
			if !unsupportedLive(err) {
				return fail(libvirtProblem(err, "plug the disk into the running VM"))
			}
		} else {
			e.res.Live = true
		}
	}
	e.def.Devices.Disks = append(e.def.Devices.Disks, disk)
	if err := e.define("add the disk"); err != nil {
		if e.res.Live {
			// Leave the running VM as the definition has it.
			if doc, merr := disk.Marshal(); merr == nil {
				_ = e.c.DetachDevice(e.dom, doc, virt.AffectLive)
			}
		}
		return fail(err)
	}
	e.say(fmt.Sprintf("disk %s (%s) added", target, out.Volume))
	res, err := s.finish(e, "disk-add")
	out.Result = res
	return out, err
}

// RemoveDisk takes a disk or CD-ROM drive out of a VM: unplugged from the
// running VM where its bus allows, and from the definition. Its volume or
// file stays (nothing deletes disk images unless asked for exactly that).
func (s *Service) RemoveDisk(hostName, uuid, target string) (Result, error) {
	e, err := s.beginEdit(hostName, uuid, "disk-remove")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	i := findDisk(e.def, target)
	if i < 0 {
		return Result{}, diskNotFound(e.def, target)
	}
	disk := e.def.Devices.Disks[i]
	bus := ""
	if disk.Target != nil {
		bus = disk.Target.Bus
	}
	if e.running && disk.Device != "cdrom" && (bus == "virtio" || bus == "scsi" || bus == "usb") {
		if j := findDisk(e.live, target); j >= 0 {
			doc, err := e.live.Devices.Disks[j].Marshal()
			if err != nil {
				return Result{}, err
			}
			if err := e.c.DetachDevice(e.dom, doc, virt.AffectLive); err != nil {
				if !unsupportedLive(err) {
					return Result{}, libvirtProblem(err, "unplug the disk from the running VM")
				}
			} else {
				e.res.Live = true
			}
		}
	}
	e.def.Devices.Disks = slices.Delete(e.def.Devices.Disks, i, i+1)
	// A per-device boot order on the removed disk goes with it.
	if err := e.define("remove the disk"); err != nil {
		return Result{}, err
	}
	what := fmt.Sprintf("disk %s removed (its volume or file stays)", target)
	if e.res.Live {
		what = fmt.Sprintf("disk %s removed (its volume or file stays; the guest lets go of it once it has answered the unplug request)", target)
	}
	e.say(what)
	return s.finish(e, "disk-remove")
}

// ResizeRequest is a disk's new size.
type ResizeRequest struct {
	Size storage.Size `json:"size"`
}

// ResizeDisk grows a disk: through QEMU while the VM runs (the guest sees
// the new size at once), else its volume. It never shrinks.
func (s *Service) ResizeDisk(hostName, uuid, target string, req ResizeRequest) (Result, error) {
	if req.Size == "" {
		return Result{}, invalid("the resize needs the new size", `give "size", e.g. "20GiB"`)
	}
	size, err := req.Size.Bytes()
	if err != nil {
		return Result{}, err
	}
	e, err := s.beginEdit(hostName, uuid, "disk-resize")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	i := findDisk(e.def, target)
	if i < 0 {
		return Result{}, diskNotFound(e.def, target)
	}
	disk := e.def.Devices.Disks[i]
	if disk.Device == "cdrom" || disk.ReadOnly != nil {
		return Result{}, problem.New(problem.Unsupported, problem.CodeDiskNotResizable, fmt.Sprintf("%s is read-only (a CD-ROM drive or a read-only disk)", target), "resize writable disks only")
	}
	vol, err := diskVolume(e.c, disk)
	if err != nil {
		return Result{}, err
	}
	capacity, _, err := e.c.VolumeInfo(vol)
	if err != nil {
		return Result{}, host.Problem(err, "read the disk's size")
	}
	if size <= capacity {
		return Result{}, problem.New(problem.Invalid, problem.CodeDiskShrinkRefused,
			fmt.Sprintf("disk %s is %s; %s would not grow it, and KVM Manager only grows disks", target, storage.FormatSize(capacity), storage.FormatSize(size)),
			"give a larger size (shrink the guest's file system and the image yourself if you must)")
	}
	if e.running {
		if err := e.c.BlockResize(e.dom, target, size); err != nil {
			return Result{}, libvirtProblem(err, "grow the running VM's disk")
		}
		e.res.Live = true
	} else if err := e.c.ResizeVolume(vol, size); err != nil {
		return Result{}, libvirtProblem(err, "grow the disk's volume")
	}
	e.res.Config = true
	what := fmt.Sprintf("disk %s grown from %s to %s", target, storage.FormatSize(capacity), storage.FormatSize(size))
	if e.res.Live {
		e.res.Message = what + ": the running guest sees the new size now (grow its partition and file system inside)"
	} else {
		e.res.Message = what
	}
	return s.finish(e, "disk-resize")
}

// diskVolume finds the storage volume of a disk.
func diskVolume(c virt.Conn, disk libvirtxml.DomainDisk) (virt.StorageVol, error) {
	src := disk.Source
	switch {
	case src != nil && src.Volume != nil:
		pl, err := c.LookupPool(src.Volume.Pool)
		if err != nil {
			return virt.StorageVol{}, host.Problem(err, "find the disk's pool")
		}
		v, err := c.LookupVolume(pl, src.Volume.Volume)
		if err != nil {
			return virt.StorageVol{}, host.Problem(err, "find the disk's volume")
		}
		return v, nil
	case src != nil && src.File != nil:
		v, err := c.LookupVolumeByPath(src.File.File)
		if err != nil {
			if host.IsCode(err, virt.ErrNoStorageVol) {
				return v, problem.New(problem.Unsupported, problem.CodeDiskNotResizable,
					fmt.Sprintf("the disk's file %s is in no storage pool", problem.Clip(src.File.File)),
					"define a storage pool for its directory, or resize it with qemu-img while the VM is shut off")
			}
			return v, host.Problem(err, "find the disk's volume")
		}
		return v, nil
	}
	return virt.StorageVol{}, problem.New(problem.Unsupported, problem.CodeDiskNotResizable, "the disk is not a file or volume", "resize it outside KVM Manager")
}

// volumeFormat reads a volume's path and format.
func volumeFormat(c virt.Conn, v virt.StorageVol) (string, string, error) {
	doc, err := c.VolumeXML(v)
	if err != nil {
		return "", "", host.Problem(err, "read the volume")
	}
	var x struct {
		Path   string `xml:"target>path"`
		Format struct {
			Type string `xml:"type,attr"`
		} `xml:"target>format"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return "", "", fmt.Errorf("parse volume %q: %w", v.Name, err)
	}
	return x.Path, x.Format.Type, nil
}

// usersOf names the VMs of the host whose disks use the volume.
func (s *Service) usersOf(hostName, poolVol, path string) []string {
	if s.opts.Inventory == nil {
		return nil
	}
	var out []string
	for _, vm := range s.opts.Inventory.List() {
		if vm.Host != hostName {
			continue
		}
		for _, d := range vm.Disks {
			if d.Source == poolVol || path != "" && d.Source == path {
				out = append(out, fmt.Sprintf("%q", vm.Name))
				break
			}
		}
	}
	return out
}

func diskFormat(f string) string {
	if f == "qcow2" {
		return "qcow2"
	}
	return "raw"
}

// findDisk returns the index of the disk with the target in d, or -1.
func findDisk(d *libvirtxml.Domain, target string) int {
	if d == nil || d.Devices == nil {
		return -1
	}
	for i, disk := range d.Devices.Disks {
		if disk.Target != nil && disk.Target.Dev == target {
			return i
		}
	}
	return -1
}

func diskNotFound(d *libvirtxml.Domain, target string) error {
	var have []string
	if d.Devices != nil {
		for _, disk := range d.Devices.Disks {
			if disk.Target != nil {
				have = append(have, disk.Target.Dev)
			}
		}
	}
	hint := "the VM has no disks"
	if len(have) > 0 {
		hint = "its disks are " + strings.Join(have, ", ")
	}
	return problem.New(problem.NotFound, problem.CodeDiskNotFound, fmt.Sprintf("the VM has no disk %q", problem.Clip(target)), hint)
}

// freeTarget is the first target name of the bus that neither the stored
// nor the running definition uses: vda... on virtio, sda... on sata and
// scsi (which share the sd names).
func freeTarget(def, live *libvirtxml.Domain, bus string) (string, error) {
	used := map[string]bool{}
	for _, d := range []*libvirtxml.Domain{def, live} {
		if d == nil || d.Devices == nil {
			continue
		}
		for _, disk := range d.Devices.Disks {
			if disk.Target != nil {
				used[disk.Target.Dev] = true
			}
		}
	}
	prefix := "sd"
	if bus == "virtio" {
		prefix = "vd"
	}
	for i := range 26 {
		if t := prefix + string(rune('a'+i)); !used[t] {
			return t, nil
		}
	}
	return "", problem.New(problem.Conflict, "no_free_drive_slot", fmt.Sprintf("the VM has no free %s disk name left", bus), "remove a disk first")
}

func hasSCSI(d *libvirtxml.Domain) bool {
	if d == nil || d.Devices == nil {
		return false
	}
	for _, c := range d.Devices.Controllers {
		if c.Type == "scsi" {
			return true
		}
	}
	return false
}

// ensureSCSI adds a virtio-scsi controller to a definition that has none.
func ensureSCSI(d *libvirtxml.Domain) {
	if !hasSCSI(d) {
		d.Devices.Controllers = append(d.Devices.Controllers, libvirtxml.DomainController{Type: "scsi", Model: "virtio-scsi"})
	}
}

// xmlText escapes s for XML character data.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
