package snapexport

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"path"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// SnapshotDiskRequest asks for one disk as it was at a snapshot, as a new
// standalone image (no snapshots, no backing file) in a pool of the same
// host.
type SnapshotDiskRequest struct {
	Host, UUID, Snapshot string
	// Disk is the disk's target (vda); empty: the VM's first disk.
	Disk string
	// Pool and Volume name the new image.
	Pool, Volume string
	// Format is qcow2 (default) or raw.
	Format string
}

// SnapshotDiskResult is the image made.
type SnapshotDiskResult struct {
	Pool    string  `json:"pool"`
	Volume  string  `json:"volume"`
	Path    string  `json:"path"`
	Format  string  `json:"format"`
	Bytes   uint64  `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

// ExportSnapshotDisk starts writing a shut-off VM's disk as it was at an
// internal snapshot into a new volume, as an operation (kind
// snapshot-export-disk). libvirt has no call that reads a disk at an
// internal snapshot, so this runs qemu-img convert -l snapshot.name=… on
// the host's own computer: the local one, or over SSH; a host reached over
// TLS cannot do it (the refusal says so).
func (s *Service) ExportSnapshotDisk(req SnapshotDiskRequest) (operation.Op, error) {
	if req.Format == "" {
		req.Format = "qcow2"
	}
	if req.Format != "qcow2" && req.Format != "raw" {
		return operation.Op{}, problem.New(problem.Invalid, "invalid_format", "the image format must be qcow2 or raw", "")
	}
	if req.Pool == "" {
		return operation.Op{}, problem.New(problem.Invalid, "pool_required", "say which pool receives the image (\"pool\")", "")
	}
	if err := validVolumeName(req.Volume); err != nil {
		return operation.Op{}, err
	}
	m, err := s.opts.Hosts.Machine(req.Host)
	if err != nil {
		return operation.Op{}, err
	}
	if err := m.Check(machine.Commands); err != nil {
		return operation.Op{}, problem.Wrap(err, problem.Unsupported, "host_no_commands",
			"a snapshot's disk is read with qemu-img on the host, and this host cannot run programs: "+err.Error(),
			"export the whole VM instead (it works on every host), or reach the host over SSH")
	}
	c, err := s.opts.Hosts.Client(req.Host)
	if err != nil {
		return operation.Op{}, err
	}
	u, err := host.ParseUUID(req.UUID)
	if err != nil {
		return operation.Op{}, err
	}
	dom, err := c.LookupDomain(u)
	if err != nil {
		return operation.Op{}, host.Problem(err, "find the VM")
	}
	if st, _, err := c.State(dom); err != nil {
		return operation.Op{}, host.Problem(err, "read the VM's state")
	} else if virt.DomainState(st) != virt.StateShutoff {
		return operation.Op{}, problem.New(problem.Conflict, "vm_running",
			fmt.Sprintf("VM %q is not shut off: its image is in use", dom.Name), "shut the VM off first, or export the whole VM (which can pause it)")
	}
	if _, err := c.LookupSnapshot(dom, req.Snapshot); err != nil {
		if host.IsCode(err, virt.ErrNoDomainSnapshot) {
			return operation.Op{}, problem.New(problem.NotFound, "snapshot_not_found", fmt.Sprintf("VM %q has no snapshot %q", dom.Name, problem.Clip(req.Snapshot)), "reload the snapshot list")
		}
		return operation.Op{}, host.Problem(err, "find the snapshot")
	}
	doc, err := c.XML(dom, virt.XMLInactive)
	if err != nil {
		return operation.Op{}, host.Problem(err, "read the VM's definition")
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return operation.Op{}, err
	}
	p := &exportPlan{dom: dom, vols: map[string]virt.StorageVol{}, xml: map[string][]byte{}}
	var part *Part
	if d.Devices != nil {
		for i := range d.Devices.Disks {
			dk := &d.Devices.Disks[i]
			if (dk.Device != "" && dk.Device != "disk") || (req.Disk != "" && (dk.Target == nil || dk.Target.Dev != req.Disk)) {
				continue
			}
			if err := planDisk(c, p, dk, i); err != nil {
				return operation.Op{}, err
			}
			part = &p.idx.Parts[len(p.idx.Parts)-1]
			break
		}
	}
	if part == nil {
		return operation.Op{}, problem.New(problem.NotFound, "disk_not_found", fmt.Sprintf("VM %q has no disk %q", dom.Name, problem.Clip(req.Disk)), "name a disk target such as vda")
	}
	if part.Format != "qcow2" {
		return operation.Op{}, problem.New(problem.Unsupported, "disk_unsupported", fmt.Sprintf("disk %s is %s: only qcow2 images hold internal snapshots", part.Target, part.Format), "")
	}
	src, err := readVol(c, p.vols[part.Path])
	if err != nil {
		return operation.Op{}, err
	}
	// The snapshot's data is at most the image file's size.
	pool, err := poolRoom(c, req.Pool, uint64(part.Size))
	if err != nil {
		return operation.Op{}, err
	}
	if _, err := c.LookupVolume(pool, req.Volume); err == nil {
		return operation.Op{}, problem.New(problem.Conflict, "volume_exists", fmt.Sprintf("a volume %q already exists in pool %q", req.Volume, req.Pool), "choose another name")
	}
	pdoc, err := c.PoolXML(pool)
	if err != nil {
		return operation.Op{}, host.Problem(err, "read the pool")
	}
	var px struct {
		Path string `xml:"target>path"`
	}
	if err := xml.Unmarshal([]byte(pdoc), &px); err != nil || px.Path == "" {
		return operation.Op{}, fmt.Errorf("pool %q has no target path", req.Pool)
	}
	dst := path.Join(px.Path, req.Volume)
	claim, err := s.opts.Operations.Claim(operation.Target{Host: req.Host, UUID: host.FormatUUID(dom.UUID), Name: dom.Name}, "snapshot-export-disk", req.Snapshot)
	if err != nil {
		return operation.Op{}, err
	}
	op, err := claim.Start("snapshot-export-disk", true, func(ctx context.Context, rep operation.Reporter) error {
		start := time.Now()
		ctx, cancel := context.WithTimeout(ctx, s.opts.TransferTime)
		defer cancel()
		rep.Progress(fmt.Sprintf("copying disk %s at snapshot %q", part.Target, req.Snapshot), 0)
		_, err := m.Run(ctx, machine.Command{Program: "qemu-img", Args: []string{
			"convert", "-f", "qcow2", "-O", req.Format, "-l", "snapshot.name=" + req.Snapshot, src.Path, dst}})
		if err != nil {
			rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = m.RemoveFile(rctx, dst)
			rcancel()
			_ = c.RefreshPool(pool)
			if ctx.Err() != nil {
				return problem.Wrap(ctx.Err(), problem.Canceled, "export_canceled", "the copy was canceled; its file was removed", "")
			}
			var ee *machine.ExitError
			if errors.As(err, &ee) {
				return problem.Wrap(err, problem.Unavailable, "qemu_img_failed", "qemu-img could not copy the disk: "+ee.Error(), "")
			}
			return host.Problem(err, "run qemu-img on the host")
		}
		_ = c.RefreshPool(pool)
		res := SnapshotDiskResult{Pool: req.Pool, Volume: req.Volume, Path: dst, Format: req.Format, Seconds: time.Since(start).Seconds()}
		if v, err := c.LookupVolume(pool, req.Volume); err == nil {
			if x, err := readVol(c, v); err == nil && x.Physical != nil {
				res.Bytes = x.Physical.Value
			}
		}
		rep.SetResult(res)
		return nil
	})
	if err != nil {
		claim.Release()
		return operation.Op{}, err
	}
	return op, nil
}
