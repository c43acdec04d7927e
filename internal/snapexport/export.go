package snapexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// ExportRequest asks for one VM's export, streamed to W or written as a
// new volume Volume of pool Pool on the VM's host.
type ExportRequest struct {
	Host, UUID string
	// Pause lets the export pause a running VM for its duration (it runs
	// again afterwards, also after a failure). A running VM is refused
	// without it.
	Pause bool
	// Pool and Volume: write the archive there (both or neither).
	Pool, Volume string
	// W receives the archive when no pool is given.
	W io.Writer
	// Started is told, once the checks passed and before the first byte,
	// the operation and the archive's file name and exact length.
	Started func(op operation.Op, fileName string, length int64)
}

// ExportResult is what an export made.
type ExportResult struct {
	Name      string `json:"name"`
	UUID      string `json:"uuid"`
	Snapshots int    `json:"snapshots"`
	Current   string `json:"current,omitempty"`
	Disks     int    `json:"disks"`
	Bytes     int64  `json:"bytes"`
	// Paused says the export paused the running VM (and resumed it).
	Paused  bool    `json:"paused"`
	Seconds float64 `json:"seconds"`
	// Pool and Volume name the archive's volume when written to a pool.
	Pool   string `json:"pool,omitempty"`
	Volume string `json:"volume,omitempty"`
}

// exportPlan is everything an export reads before its first byte.
type exportPlan struct {
	dom     virt.Domain
	running bool
	idx     Manifest
	xml     map[string][]byte // part path → content, for XML parts
	vols    map[string]virt.StorageVol
	length  int64
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// FileName is the archive's suggested file name for a VM.
func FileName(vmName string, at time.Time) string {
	n := strings.Trim(unsafeChars.ReplaceAllString(vmName, "_"), "._")
	if n == "" {
		n = "vm"
	}
	return n + "-" + at.UTC().Format("20060102-150405") + ".kvmexport.tar"
}

func (s *Service) planExport(c virt.Conn, req ExportRequest) (*exportPlan, error) {
	u, err := host.ParseUUID(req.UUID)
	if err != nil {
		return nil, err
	}
	dom, err := c.LookupDomain(u)
	if err != nil {
		return nil, host.Problem(err, "find the VM")
	}
	st, _, err := c.State(dom)
	if err != nil {
		return nil, host.Problem(err, "read the VM's state")
	}
	p := &exportPlan{dom: dom, xml: map[string][]byte{}, vols: map[string]virt.StorageVol{}}
	state := "shutoff"
	switch virt.DomainState(st) {
	case virt.StateShutoff:
	case virt.StatePaused:
		state = "paused"
	case virt.StateRunning, virt.StateBlocked:
		if !req.Pause {
			return nil, problem.New(problem.Conflict, "vm_running",
				fmt.Sprintf("VM %q is running: its disks change while they are read", dom.Name),
				`shut it off first, or let the export pause it for its duration ("pause": true; it runs again afterwards)`)
		}
		p.running, state = true, "paused"
	default:
		return nil, problem.New(problem.Conflict, "vm_state", fmt.Sprintf("VM %q is neither shut off nor running", dom.Name), "shut it off first")
	}
	doc, err := c.XML(dom, virt.XMLInactive)
	if err != nil {
		return nil, host.Problem(err, "read the VM's definition")
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse the definition of %q: %w", dom.Name, err)
	}
	p.idx = Manifest{Format: Format, Name: dom.Name, UUID: host.FormatUUID(dom.UUID), Created: time.Now().UTC().Truncate(time.Second), State: state}
	p.idx.Parts = append(p.idx.Parts, Part{Path: "domain.xml", Kind: KindDomain, Size: int64(len(doc))})
	p.xml["domain.xml"] = []byte(doc)

	if err := s.planSnapshots(c, p); err != nil {
		return nil, err
	}
	if d.Devices != nil {
		for i := range d.Devices.Disks {
			if err := planDisk(c, p, &d.Devices.Disks[i], i); err != nil {
				return nil, err
			}
		}
	}
	if p.length, err = ArchiveSize(p.idx); err != nil {
		return nil, err
	}
	return p, nil
}

// planDisk adds a disk (not a CD-ROM or floppy, whose media the definition
// keeps naming) to the plan: it must be a whole qcow2 or raw image of a
// pool, with no backing file.
func planDisk(c virt.Conn, p *exportPlan, disk *libvirtxml.DomainDisk, i int) error {
	if disk.Device != "" && disk.Device != "disk" {
		return nil
	}
	target := fmt.Sprint(i)
	if disk.Target != nil && disk.Target.Dev != "" {
		target = disk.Target.Dev
	}
	var vol virt.StorageVol
	var err error
	switch {
	case disk.Source != nil && disk.Source.File != nil && disk.Source.File.File != "":
		vol, err = c.LookupVolumeByPath(disk.Source.File.File)
		if err != nil {
			return problem.Wrap(err, problem.Unsupported, "disk_not_in_pool",
				fmt.Sprintf("disk %s (%s) is not in a storage pool, so it cannot be read through libvirt", target, disk.Source.File.File),
				"define a directory storage pool for its folder (Storage page), then export again")
		}
	case disk.Source != nil && disk.Source.Volume != nil:
		pool, err := c.LookupPool(disk.Source.Volume.Pool)
		if err == nil {
			vol, err = c.LookupVolume(pool, disk.Source.Volume.Volume)
		}
		if err != nil {
			return host.Problem(err, "find disk "+target+"'s volume")
		}
	default:
		return problem.New(problem.Unsupported, "disk_unsupported",
			fmt.Sprintf("disk %s is not an image file or pool volume (block device or network disk)", target),
			"only VMs whose disks are image files can be exported")
	}
	x, err := readVol(c, vol)
	if err != nil {
		return err
	}
	if x.Backing != nil && x.Backing.Path != "" {
		return problem.New(problem.Unsupported, "disk_has_backing",
			fmt.Sprintf("disk %s has a backing file (%s): an external snapshot or a linked clone", target, x.Backing.Path),
			"merge the chain first (external snapshots) or export the VM it was cloned from; only whole images are exported")
	}
	format := x.Format.Type
	if disk.Driver != nil && disk.Driver.Type != "" {
		format = disk.Driver.Type
	}
	if format != "qcow2" && format != "raw" {
		return problem.New(problem.Unsupported, "disk_unsupported", fmt.Sprintf("disk %s is in %q format", target, format), "only qcow2 and raw disks are exported")
	}
	if x.Physical == nil || (x.Physical.Unit != "" && x.Physical.Unit != "bytes") {
		return problem.New(problem.Unsupported, "disk_unsupported", fmt.Sprintf("libvirt does not tell the file size of disk %s", target), "update libvirt")
	}
	path := fmt.Sprintf("disks/%02d-%s", len(p.vols), unsafeChars.ReplaceAllString(target, "_"))
	p.idx.Parts = append(p.idx.Parts, Part{Path: path, Kind: KindDisk, Size: int64(x.Physical.Value), Target: target, Format: format})
	p.vols[path] = vol
	return nil
}

// planSnapshots adds every snapshot's XML, parents before children (and
// siblings by creation time), refusing external snapshots.
func (s *Service) planSnapshots(c virt.Conn, p *exportPlan) error {
	snaps, err := c.ListSnapshots(p.dom)
	if err != nil {
		return host.Problem(err, "list the VM's snapshots")
	}
	type node struct {
		name, parent, created string
		doc                   string
	}
	nodes := map[string]*node{}
	for _, sn := range snaps {
		doc, err := c.SnapshotXML(sn, 0)
		if err != nil {
			return host.Problem(err, "read snapshot "+sn.Name)
		}
		var x libvirtxml.DomainSnapshot
		if err := x.Unmarshal(doc); err != nil {
			return fmt.Errorf("parse snapshot %q: %w", sn.Name, err)
		}
		external := x.Memory != nil && x.Memory.Snapshot == "external"
		if x.Disks != nil {
			for _, dk := range x.Disks.Disks {
				external = external || dk.Snapshot == "external"
			}
		}
		if external {
			return problem.New(problem.Unsupported, "snapshot_external",
				fmt.Sprintf("snapshot %q is external; only internal snapshots are exported", sn.Name),
				"merge or delete the external snapshots first")
		}
		n := &node{name: sn.Name, created: x.CreationTime, doc: doc}
		if x.Parent != nil {
			n.parent = x.Parent.Name
		}
		nodes[sn.Name] = n
	}
	var order []*node
	var visit func(parent string)
	visit = func(parent string) {
		var kids []*node
		for _, n := range nodes {
			if n.parent == parent {
				kids = append(kids, n)
			}
		}
		slices.SortFunc(kids, func(a, b *node) int {
			if len(a.created) != len(b.created) {
				return len(a.created) - len(b.created)
			}
			return strings.Compare(a.created+a.name, b.created+b.name)
		})
		for _, k := range kids {
			order = append(order, k)
			visit(k.name)
		}
	}
	visit("")
	if len(order) != len(nodes) {
		return problem.New(problem.Unsupported, "snapshot_tree", "the VM's snapshot tree has snapshots whose parent is missing", "")
	}
	for i, n := range order {
		path := fmt.Sprintf("snapshots/%03d.xml", i)
		p.idx.Parts = append(p.idx.Parts, Part{Path: path, Kind: KindSnapshot, Size: int64(len(n.doc)), Snapshot: n.name, Parent: n.parent})
		p.xml[path] = []byte(n.doc)
	}
	if len(order) > 0 {
		if cur, err := c.CurrentSnapshot(p.dom); err == nil {
			p.idx.Current = cur.Name
		} else if !host.IsCode(err, virt.ErrNoDomainSnapshot) {
			return host.Problem(err, "read the current snapshot")
		}
	}
	return nil
}

// Export writes the VM's archive to req.W or to a new volume, as an
// operation (kind vm-export) that may be canceled; it returns when the
// export has ended. A failed export to a pool removes its volume.
func (s *Service) Export(ctx context.Context, req ExportRequest) (ExportResult, error) {
	toPool := req.Pool != "" || req.Volume != ""
	if toPool && (req.Pool == "" || req.Volume == "") {
		return ExportResult{}, problem.New(problem.Invalid, "invalid_target", "an export to a pool needs both the pool and the volume name", "")
	}
	if toPool {
		if err := validVolumeName(req.Volume); err != nil {
			return ExportResult{}, err
		}
	}
	c, err := s.opts.Hosts.Client(req.Host)
	if err != nil {
		return ExportResult{}, err
	}
	p, err := s.planExport(c, req)
	if err != nil {
		return ExportResult{}, err
	}
	var pool virt.StoragePool
	if toPool {
		if pool, err = poolRoom(c, req.Pool, uint64(p.length)); err != nil {
			return ExportResult{}, err
		}
		if _, err := c.LookupVolume(pool, req.Volume); err == nil {
			return ExportResult{}, problem.New(problem.Conflict, "volume_exists",
				fmt.Sprintf("a volume %q already exists in pool %q", req.Volume, req.Pool), "choose another name, or delete that volume first")
		}
	}
	claim, err := s.opts.Operations.Claim(operation.Target{Host: req.Host, UUID: p.idx.UUID, Name: p.idx.Name}, "vm-export", p.idx.Name)
	if err != nil {
		return ExportResult{}, err
	}
	defer claim.Release()
	dlink, err := s.opts.Hosts.Dial(req.Host)
	if err != nil {
		return ExportResult{}, host.Problem(err, "open a connection for the export")
	}
	defer closeLink(dlink)
	type outcome struct {
		res ExportResult
		err error
	}
	done := make(chan outcome, 1)
	// The work waits until Started has run: the caller sets the answer's
	// headers there, before the first byte is written.
	ready := make(chan struct{})
	op, err := claim.Start("vm-export", true, func(opCtx context.Context, rep operation.Reporter) error {
		<-ready
		res, err := s.runExport(ctx, opCtx, c, dlink, p, req, pool, rep)
		if err == nil {
			rep.SetResult(res)
		}
		done <- outcome{res, err}
		return err
	})
	if err != nil {
		return ExportResult{}, err
	}
	if req.Started != nil {
		req.Started(op, FileName(p.idx.Name, p.idx.Created), p.length)
	}
	close(ready)
	o := <-done
	return o.res, o.err
}

func (s *Service) runExport(reqCtx, opCtx context.Context, c virt.Conn, dlink virt.Link, p *exportPlan, req ExportRequest, pool virt.StoragePool, rep operation.Reporter) (res ExportResult, err error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(opCtx, s.opts.TransferTime)
	defer cancel()
	// The client going away ends the export too.
	stopReq := context.AfterFunc(reqCtx, cancel)
	defer stopReq()
	// Closing its link is the only way to stop go-libvirt's stream.
	stopLink := context.AfterFunc(ctx, func() { closeLink(dlink) })
	defer stopLink()
	if p.running {
		rep.Progress("pausing the VM", 0)
		if err := c.Suspend(p.dom); err != nil {
			return res, host.Problem(err, "pause the VM for the export")
		}
		res.Paused = true
		defer func() {
			if rerr := c.Resume(p.dom); rerr != nil {
				s.opts.Logger.Warn("export: resume after the export failed", "vm", p.idx.Name, "err", rerr)
				if err == nil {
					err = host.Problem(rerr, "resume the VM after the export")
				}
			}
		}()
	}
	prog := &progress{rep: rep, verb: "exporting", total: uint64(p.length)}
	var out io.Writer = req.W
	var uploadDone chan error
	var pw *io.PipeWriter
	var vol virt.StorageVol
	if req.Pool != "" {
		if vol, err = createVolume(c, pool, req.Volume, uint64(p.length)); err != nil {
			return res, err
		}
		ulink, err := s.opts.Hosts.Dial(req.Host)
		if err != nil {
			_ = c.DeleteVolume(vol)
			return res, host.Problem(err, "open a connection for the export's volume")
		}
		defer closeLink(ulink)
		stopU := context.AfterFunc(ctx, func() { closeLink(ulink) })
		defer stopU()
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		uploadDone = make(chan error, 1)
		go func() {
			err := ulink.UploadVolume(vol, pr, uint64(p.length))
			pr.CloseWithError(errors.Join(err, errors.New("the volume upload ended")))
			uploadDone <- err
		}()
		out = pw
		defer func() {
			if err != nil {
				_ = c.DeleteVolume(vol)
			}
		}()
	}
	err = s.writeArchive(ctx, dlink, p, &ctxWriter{ctx: ctx, w: out, prog: prog})
	if pw != nil {
		if err != nil {
			pw.CloseWithError(err)
		} else {
			_ = pw.Close()
		}
		uerr := <-uploadDone
		if err == nil && uerr != nil {
			err = host.Problem(uerr, "write the export's volume")
		}
		if err == nil {
			_ = c.RefreshPool(pool)
		}
	}
	switch {
	case opCtx.Err() != nil:
		return res, problem.Wrap(opCtx.Err(), problem.Canceled, "export_canceled", "the export was canceled", "")
	case reqCtx.Err() != nil:
		return res, problem.Wrap(reqCtx.Err(), problem.Canceled, "export_canceled", "the download was stopped by the client", "")
	case ctx.Err() != nil:
		return res, problem.New(problem.Timeout, "export_timeout", fmt.Sprintf("the export took longer than %s and was stopped", s.opts.TransferTime), "")
	case err != nil:
		var pe *problem.Error
		if errors.As(err, &pe) {
			return res, pe
		}
		return res, problem.Wrap(err, problem.Unavailable, "export_failed", "the export failed: "+err.Error(), "try again; if the VM's disks changed meanwhile, shut it off first")
	}
	res.Name, res.UUID, res.Current, res.Bytes = p.idx.Name, p.idx.UUID, p.idx.Current, p.length
	for _, pt := range p.idx.Parts {
		switch pt.Kind {
		case KindSnapshot:
			res.Snapshots++
		case KindDisk:
			res.Disks++
		}
	}
	res.Seconds = time.Since(start).Seconds()
	if req.Pool != "" {
		res.Pool, res.Volume = req.Pool, req.Volume
	}
	return res, nil
}

func (s *Service) writeArchive(ctx context.Context, dlink virt.Link, p *exportPlan, w io.Writer) error {
	aw, err := NewWriter(w, p.idx)
	if err != nil {
		return err
	}
	for range p.idx.Parts {
		pw, part, err := aw.Next()
		if err != nil {
			return err
		}
		if part.Kind == KindDisk {
			if err := dlink.DownloadVolume(p.vols[part.Path], pw); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return host.Problem(err, "read disk "+part.Target)
			}
		} else if _, err := pw.Write(p.xml[part.Path]); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	_, err = aw.Close()
	return err
}

// validVolumeName checks a volume name: one path component, no oddities.
func validVolumeName(n string) error {
	if n == "" || len(n) > 200 || strings.ContainsAny(n, "/\\\x00") || n == "." || n == ".." || strings.HasPrefix(n, ".") {
		return problem.New(problem.Invalid, "invalid_volume_name", fmt.Sprintf("%q is not a usable volume name", problem.Clip(n)),
			"use letters, digits, dots, dashes and underscores, not starting with a dot")
	}
	return nil
}
