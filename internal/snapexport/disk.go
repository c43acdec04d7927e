package snapexport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// SnapshotDiskRequest asks for one disk as it was at a snapshot, as a new
// standalone image (no snapshots, no backing file): written as a new
// volume of a pool on the VM's host, or streamed (DownloadSnapshotDisk).
type SnapshotDiskRequest struct {
	Host, UUID, Snapshot string
	// Disk is the disk's target (vda); empty: the VM's first disk.
	Disk string
	// Pool and Volume name the new image. For a download, Pool (optional)
	// holds the temporary image; default: the pool of the disk's image.
	Pool, Volume string
	// Format is qcow2 (default) or raw.
	Format string
}

// SnapshotDiskResult is the image made.
type SnapshotDiskResult struct {
	Snapshot string `json:"snapshot"`
	Disk     string `json:"disk"`
	// Location says how the snapshot kept the disk: internal (inside the
	// qcow2 image) or external (the image it froze, with its backing
	// chain).
	Location string `json:"location"`
	// Source is the image read.
	Source  string  `json:"source"`
	Pool    string  `json:"pool,omitempty"`
	Volume  string  `json:"volume,omitempty"`
	Path    string  `json:"path,omitempty"`
	Format  string  `json:"format"`
	Bytes   uint64  `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

// diskPlan is everything an export of a snapshot's disk checked before it
// starts: what qemu-img reads and how much room the copy needs.
type diskPlan struct {
	c        virt.Conn
	m        machine.Machine
	dom      virt.Domain
	target   string
	location string // internal or external
	src      string
	srcVol   *virt.StorageVol // the source image's volume, when a pool holds it
	format   string           // the copy's
	need     uint64           // qemu-img measure's "required"
	read     []string         // qemu-img arguments that select the data: -U -f F [-l snapshot.name=N] SRC
}

// snapshotParam is QEMU's snapshot.name option for a snapshot name: a
// comma inside an option value is doubled.
func snapshotParam(name string) string {
	return "snapshot.name=" + strings.ReplaceAll(name, ",", ",,")
}

// imageChain is the part of `qemu-img info --backing-chain` read here.
type imageChain []struct {
	Filename  string `json:"filename"`
	Format    string `json:"format"`
	Snapshots []struct {
		Name string `json:"name"`
	} `json:"snapshots"`
}

// planSnapshotDisk checks a request and reads what the copy needs, with
// no side effects. The disk as it was at an internal snapshot is the
// snapshot inside the image that was active then (qemu-img's -l); at an
// external snapshot it is the image the snapshot froze, read through its
// backing chain. Neither may be an image a running QEMU writes to.
func (s *Service) planSnapshotDisk(req *SnapshotDiskRequest) (*diskPlan, error) {
	if req.Format == "" {
		req.Format = "qcow2"
	}
	if req.Format != "qcow2" && req.Format != "raw" {
		return nil, problem.New(problem.Invalid, "invalid_format", "the image format must be qcow2 or raw", "")
	}
	m, err := s.opts.Hosts.Machine(req.Host)
	if err != nil {
		return nil, err
	}
	if err := m.Check(machine.Commands); err != nil {
		return nil, problem.Wrap(err, problem.Unsupported, "host_no_commands",
			"a snapshot's disk is read with qemu-img on the host, and this host cannot run programs: "+err.Error(),
			"export the whole VM instead (it works on every host), or reach the host over SSH")
	}
	c, err := s.opts.Hosts.Client(req.Host)
	if err != nil {
		return nil, err
	}
	u, err := host.ParseUUID(req.UUID)
	if err != nil {
		return nil, err
	}
	dom, err := c.LookupDomain(u)
	if err != nil {
		return nil, host.Problem(err, "find the VM")
	}
	sn, err := c.LookupSnapshot(dom, req.Snapshot)
	if err != nil {
		if host.IsCode(err, virt.ErrNoDomainSnapshot) {
			return nil, problem.New(problem.NotFound, "snapshot_not_found", fmt.Sprintf("VM %q has no snapshot %q", dom.Name, problem.Clip(req.Snapshot)), "reload the snapshot list")
		}
		return nil, host.Problem(err, "find the snapshot")
	}
	doc, err := c.SnapshotXML(sn, 0)
	if err != nil {
		return nil, host.Problem(err, "read the snapshot")
	}
	var x libvirtxml.DomainSnapshot
	if err := x.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse snapshot %q: %w", req.Snapshot, err)
	}
	if x.Domain == nil || x.Domain.Devices == nil {
		return nil, problem.New(problem.Unsupported, "snapshot_no_definition", fmt.Sprintf("snapshot %q keeps no VM definition, so its disks are unknown", req.Snapshot), "")
	}
	var disk *libvirtxml.DomainDisk
	for i := range x.Domain.Devices.Disks {
		d := &x.Domain.Devices.Disks[i]
		if (d.Device != "" && d.Device != "disk") || d.Target == nil || (req.Disk != "" && d.Target.Dev != req.Disk) {
			continue
		}
		disk = d
		break
	}
	if disk == nil {
		return nil, problem.New(problem.NotFound, "disk_not_found", fmt.Sprintf("snapshot %q of VM %q has no disk %q", req.Snapshot, dom.Name, problem.Clip(req.Disk)), "name a disk target such as vda")
	}
	p := &diskPlan{c: c, m: m, dom: dom, target: disk.Target.Dev, format: req.Format}
	p.location = "internal"
	if x.Memory != nil && x.Memory.Snapshot == "external" {
		p.location = "external"
	}
	if x.Disks != nil {
		for _, d := range x.Disks.Disks {
			if d.Name == p.target || (disk.Source != nil && disk.Source.File != nil && d.Name == disk.Source.File.File) {
				p.location = d.Snapshot
			}
		}
	}
	if p.location != "internal" && p.location != "external" {
		return nil, problem.New(problem.Unsupported, "disk_not_in_snapshot",
			fmt.Sprintf("snapshot %q did not keep disk %s (its disk mode is %q)", req.Snapshot, p.target, p.location), "choose another disk or snapshot")
	}
	switch {
	case disk.Source != nil && disk.Source.File != nil && disk.Source.File.File != "":
		p.src = disk.Source.File.File
	case disk.Source != nil && disk.Source.Volume != nil:
		pool, err := c.LookupPool(disk.Source.Volume.Pool)
		var vol virt.StorageVol
		if err == nil {
			vol, err = c.LookupVolume(pool, disk.Source.Volume.Volume)
		}
		if err != nil {
			return nil, host.Problem(err, "find disk "+p.target+"'s volume")
		}
		vx, err := readVol(c, vol)
		if err != nil {
			return nil, err
		}
		p.src = vx.Path
	}
	if p.src == "" {
		return nil, problem.New(problem.Unsupported, "disk_unsupported",
			fmt.Sprintf("disk %s is not an image file or pool volume (block device or network disk)", p.target), "")
	}
	if v, err := c.LookupVolumeByPath(p.src); err == nil {
		p.srcVol = &v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := m.Run(ctx, machine.Command{Program: "qemu-img", Args: []string{"info", "-U", "--backing-chain", "--output=json", p.src}})
	var chain imageChain
	if err == nil {
		err = json.Unmarshal(out, &chain)
	}
	if err != nil || len(chain) == 0 {
		return nil, problem.Wrap(err, problem.Conflict, "snapshot_disk_missing",
			fmt.Sprintf("the image %s that snapshot %q kept disk %s in cannot be read: %v", p.src, req.Snapshot, p.target, err),
			"the image was moved or deleted outside KVM Manager")
	}
	srcFormat := chain[0].Format
	p.read = []string{"-U", "-f", srcFormat}
	if p.location == "internal" {
		if srcFormat != "qcow2" {
			return nil, problem.New(problem.Unsupported, "disk_unsupported", fmt.Sprintf("disk %s is %s: only qcow2 images hold internal snapshots", p.target, srcFormat), "")
		}
		if !slices.ContainsFunc(chain[0].Snapshots, func(s struct {
			Name string `json:"name"`
		}) bool {
			return s.Name == req.Snapshot
		}) {
			return nil, problem.New(problem.Conflict, "snapshot_disk_missing",
				fmt.Sprintf("image %s no longer holds internal snapshot %q", p.src, req.Snapshot), "the image was changed outside KVM Manager")
		}
		p.read = append(p.read, "-l", snapshotParam(req.Snapshot))
	}
	p.read = append(p.read, p.src)
	// Which image does the disk write to now? Reading that one would copy
	// data that is changing (internal), or no longer the snapshot's
	// (external: the frozen image became active again).
	st, _, err := c.State(dom)
	if err != nil {
		return nil, host.Problem(err, "read the VM's state")
	}
	running := virt.DomainState(st) != virt.StateShutoff
	flags := virt.XMLInactive
	if running {
		flags = 0
	}
	cur, err := c.XML(dom, flags)
	if err != nil {
		return nil, host.Problem(err, "read the VM's definition")
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(cur); err != nil {
		return nil, fmt.Errorf("parse the definition of %q: %w", dom.Name, err)
	}
	active := ""
	if d.Devices != nil {
		for _, dk := range d.Devices.Disks {
			if dk.Target != nil && dk.Target.Dev == p.target && dk.Source != nil && dk.Source.File != nil {
				active = dk.Source.File.File
			}
		}
	}
	if active != "" && filepath.Clean(active) == filepath.Clean(p.src) {
		if p.location == "external" {
			return nil, problem.New(problem.Conflict, "snapshot_disk_changed",
				fmt.Sprintf("disk %s writes to %s again, the image snapshot %q froze: it no longer holds the disk as it was then", p.target, p.src, req.Snapshot), "")
		}
		if running {
			return nil, problem.New(problem.Conflict, "vm_running",
				fmt.Sprintf("VM %q is running and writes to %s, the image that holds snapshot %q", dom.Name, p.src, req.Snapshot),
				"shut the VM off first, or export the whole VM (which can pause it)")
		}
	}
	out, err = m.Run(ctx, machine.Command{Program: "qemu-img", Args: append([]string{"measure", "--output=json", "-O", p.format}, p.read...)})
	var ms struct {
		Required uint64 `json:"required"`
	}
	if err == nil {
		err = json.Unmarshal(out, &ms)
	}
	if err != nil {
		return nil, qemuImgProblem(err, "measure the snapshot's disk")
	}
	p.need = ms.Required
	return p, nil
}

func qemuImgProblem(err error, what string) error {
	var ee *machine.ExitError
	if errors.As(err, &ee) {
		return problem.Wrap(err, problem.Unavailable, "qemu_img_failed", "qemu-img could not "+what+": "+ee.Error(), "")
	}
	return host.Problem(err, "run qemu-img on the host to "+what)
}

// poolPath is a directory pool's folder.
func poolPath(c virt.Conn, pool virt.StoragePool) (string, error) {
	pdoc, err := c.PoolXML(pool)
	if err != nil {
		return "", host.Problem(err, "read the pool")
	}
	var px struct {
		Path string `xml:"target>path"`
	}
	if err := xml.Unmarshal([]byte(pdoc), &px); err != nil || px.Path == "" {
		return "", fmt.Errorf("pool %q has no target path", pool.Name)
	}
	return px.Path, nil
}

// newImage checks that a pool can take a new image of need bytes named
// name (no volume and no file of that name) and returns the pool and the
// image's path.
func newImage(ctx context.Context, c virt.Conn, m machine.Machine, poolName, name string, need uint64) (virt.StoragePool, string, error) {
	pool, err := poolRoom(c, poolName, need)
	if err != nil {
		return pool, "", err
	}
	taken := problem.New(problem.Conflict, "volume_exists", fmt.Sprintf("a volume %q already exists in pool %q", name, poolName), "choose another name")
	if _, err := c.LookupVolume(pool, name); err == nil {
		return pool, "", taken
	}
	dir, err := poolPath(c, pool)
	if err != nil {
		return pool, "", err
	}
	dst := path.Join(dir, name)
	if _, err := m.Stat(ctx, dst); err == nil {
		return pool, "", taken
	}
	return pool, dst, nil
}

// convert runs qemu-img convert into dst, removing dst when it fails or
// is canceled.
func (s *Service) convert(ctx context.Context, p *diskPlan, pool virt.StoragePool, dst string) error {
	_, err := p.m.Run(ctx, machine.Command{Program: "qemu-img", Args: append(append([]string{"convert", "-O", p.format}, p.read...), dst)})
	if err == nil {
		return nil
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	if rerr := p.m.RemoveFile(rctx, dst); rerr != nil {
		s.opts.Logger.Warn("export-disk: removing the partial image failed", "path", dst, "err", rerr)
	}
	rcancel()
	_ = p.c.RefreshPool(pool)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return qemuImgProblem(err, "copy the disk")
}

func (s *Service) claimDisk(req SnapshotDiskRequest, p *diskPlan) (*operation.Claim, error) {
	return s.opts.Operations.Claim(operation.Target{Host: req.Host, UUID: host.FormatUUID(p.dom.UUID), Name: p.dom.Name}, "snapshot-export-disk", req.Snapshot)
}

func (p *diskPlan) result(req SnapshotDiskRequest) SnapshotDiskResult {
	return SnapshotDiskResult{Snapshot: req.Snapshot, Disk: p.target, Location: p.location, Source: p.src, Format: p.format}
}

func diskCanceled(ctx, opCtx context.Context, timeout time.Duration, err error) error {
	switch {
	case opCtx.Err() != nil:
		return problem.Wrap(opCtx.Err(), problem.Canceled, "export_canceled", "the export of the snapshot's disk was canceled; its partial image was removed", "")
	case ctx.Err() != nil:
		return problem.New(problem.Timeout, "export_timeout", fmt.Sprintf("the export took longer than %s and was stopped", timeout), "")
	}
	return err
}

// ExportSnapshotDisk starts writing a disk as it was at a snapshot into a
// new volume of a directory pool on the VM's host, as an operation (kind
// snapshot-export-disk) that may be canceled. libvirt has no call that
// reads a disk at a snapshot, so this runs qemu-img convert on the host's
// own computer: the local one, or over SSH; a host reached over TLS cannot
// do it (the refusal says so). The pool's room is checked first with
// qemu-img measure; a failed or canceled copy leaves no file behind.
func (s *Service) ExportSnapshotDisk(req SnapshotDiskRequest) (operation.Op, error) {
	if req.Pool == "" {
		return operation.Op{}, problem.New(problem.Invalid, "pool_required", "say which pool receives the image (\"pool\")", "")
	}
	if err := validVolumeName(req.Volume); err != nil {
		return operation.Op{}, err
	}
	p, err := s.planSnapshotDisk(&req)
	if err != nil {
		return operation.Op{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	pool, dst, err := newImage(ctx, p.c, p.m, req.Pool, req.Volume, p.need)
	cancel()
	if err != nil {
		return operation.Op{}, err
	}
	claim, err := s.claimDisk(req, p)
	if err != nil {
		return operation.Op{}, err
	}
	op, err := claim.Start("snapshot-export-disk", true, func(opCtx context.Context, rep operation.Reporter) error {
		start := time.Now()
		ctx, cancel := context.WithTimeout(opCtx, s.opts.TransferTime)
		defer cancel()
		stop := operation.ReportElapsed(rep, fmt.Sprintf("copying disk %s as it was at snapshot %q into %s/%s", p.target, req.Snapshot, req.Pool, req.Volume), time.Second)
		err := s.convert(ctx, p, pool, dst)
		stop()
		if err != nil {
			return diskCanceled(ctx, opCtx, s.opts.TransferTime, err)
		}
		_ = p.c.RefreshPool(pool)
		res := p.result(req)
		res.Pool, res.Volume, res.Path, res.Seconds = req.Pool, req.Volume, dst, time.Since(start).Seconds()
		if v, err := p.c.LookupVolume(pool, req.Volume); err == nil {
			if x, err := readVol(p.c, v); err == nil && x.Physical != nil {
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

// SnapshotDiskDownload asks for a snapshot's disk streamed to W.
type SnapshotDiskDownload struct {
	SnapshotDiskRequest
	// W receives the image.
	W io.Writer
	// Operation is told the operation as soon as it starts.
	Operation func(op operation.Op)
	// Started is told, once the image is made and before its first byte,
	// a file name and the image's exact length.
	Started func(fileName string, length int64)
}

// DiskFileName is the suggested file name of a snapshot's disk image.
func DiskFileName(vmName, snapshot, disk, format string) string {
	n := strings.Trim(unsafeChars.ReplaceAllString(vmName+"-"+snapshot+"-"+disk, "_"), "._")
	if n == "" {
		n = "disk"
	}
	return n + "." + format
}

// DownloadSnapshotDisk makes the disk as it was at a snapshot as a
// temporary volume (in req.Pool, else in the pool of the disk's image),
// streams it to req.W through a libvirt volume stream and removes it, as
// one operation (kind snapshot-export-disk) that may be canceled; the
// request's context ending stops it too. It returns when the download
// has ended; the temporary image is gone then, whatever happened.
func (s *Service) DownloadSnapshotDisk(ctx context.Context, req SnapshotDiskDownload) (SnapshotDiskResult, error) {
	p, err := s.planSnapshotDisk(&req.SnapshotDiskRequest)
	if err != nil {
		return SnapshotDiskResult{}, err
	}
	poolName := req.Pool
	if poolName == "" {
		if p.srcVol == nil {
			return SnapshotDiskResult{}, problem.New(problem.Unsupported, "disk_not_in_pool",
				fmt.Sprintf("disk %s (%s) is not in a storage pool, so there is no pool for the temporary image", p.target, p.src),
				`name a pool for it ("pool"), or define a directory storage pool for the image's folder`)
		}
		poolName = p.srcVol.Pool
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmpName := "kvm-manager-export-" + hex.EncodeToString(rnd[:]) + "." + p.format
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	pool, dst, err := newImage(cctx, p.c, p.m, poolName, tmpName, p.need)
	cancel()
	if err != nil {
		return SnapshotDiskResult{}, err
	}
	claim, err := s.claimDisk(req.SnapshotDiskRequest, p)
	if err != nil {
		return SnapshotDiskResult{}, err
	}
	defer claim.Release()
	dlink, err := s.opts.Hosts.Dial(req.Host)
	if err != nil {
		return SnapshotDiskResult{}, host.Problem(err, "open a connection for the download")
	}
	defer closeLink(dlink)
	type outcome struct {
		res SnapshotDiskResult
		err error
	}
	done := make(chan outcome, 1)
	// The work waits until Operation has run: the caller names the
	// operation in the answer's headers.
	ready := make(chan struct{})
	op, err := claim.Start("snapshot-export-disk", true, func(opCtx context.Context, rep operation.Reporter) error {
		<-ready
		res, err := s.runDiskDownload(ctx, opCtx, p, req, dlink, pool, dst, tmpName, rep)
		if err == nil {
			rep.SetResult(res)
		}
		done <- outcome{res, err}
		return err
	})
	if err != nil {
		return SnapshotDiskResult{}, err
	}
	if req.Operation != nil {
		req.Operation(op)
	}
	close(ready)
	o := <-done
	return o.res, o.err
}

func (s *Service) runDiskDownload(reqCtx, opCtx context.Context, p *diskPlan, req SnapshotDiskDownload, dlink virt.Link, pool virt.StoragePool, dst, tmpName string, rep operation.Reporter) (SnapshotDiskResult, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(opCtx, s.opts.TransferTime)
	defer cancel()
	stopReq := context.AfterFunc(reqCtx, cancel)
	defer stopReq()
	res := p.result(req.SnapshotDiskRequest)
	stop := operation.ReportElapsed(rep, fmt.Sprintf("copying disk %s as it was at snapshot %q", p.target, req.Snapshot), time.Second)
	err := s.convert(ctx, p, pool, dst)
	stop()
	if err != nil {
		return res, diskCanceled(ctx, opCtx, s.opts.TransferTime, err)
	}
	// The temporary image goes, whatever happens next.
	defer func() {
		rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer rcancel()
		_ = p.c.RefreshPool(pool)
		if v, err := p.c.LookupVolume(pool, tmpName); err == nil && p.c.DeleteVolume(v) == nil {
			return
		}
		if err := p.m.RemoveFile(rctx, dst); err != nil {
			s.opts.Logger.Warn("export-disk: removing the temporary image failed", "path", dst, "err", err)
		}
	}()
	_ = p.c.RefreshPool(pool)
	vol, err := p.c.LookupVolume(pool, tmpName)
	if err != nil {
		return res, host.Problem(err, "find the temporary image in its pool")
	}
	x, err := readVol(p.c, vol)
	if err != nil {
		return res, err
	}
	if x.Physical == nil {
		return res, problem.New(problem.Unsupported, "disk_unsupported", "libvirt does not tell the temporary image's file size", "update libvirt")
	}
	res.Bytes = x.Physical.Value
	if req.Started != nil {
		req.Started(DiskFileName(p.dom.Name, req.Snapshot, p.target, p.format), int64(res.Bytes))
	}
	stopLink := context.AfterFunc(ctx, func() { closeLink(dlink) })
	defer stopLink()
	prog := &progress{rep: rep, verb: "downloading", total: res.Bytes}
	if err := dlink.DownloadVolume(vol, &ctxWriter{ctx: ctx, w: req.W, prog: prog}); err != nil {
		if c := diskCanceled(ctx, opCtx, s.opts.TransferTime, nil); c != nil {
			return res, c
		}
		if reqCtx.Err() != nil {
			return res, problem.Wrap(reqCtx.Err(), problem.Canceled, "export_canceled", "the download was stopped by the client", "")
		}
		return res, host.Problem(err, "read the image")
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
