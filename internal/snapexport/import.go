package snapexport

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/vmcreate"
)

// ImportRequest asks to import an archive read from Body into a host.
type ImportRequest struct {
	Host string
	// Pool is the directory pool that receives the disks.
	Pool string
	// Name is the imported VM's name; empty keeps the archive's. A new
	// name also gives the VM a new UUID and new MAC addresses, so that it
	// can live beside the original.
	Name string
	// Length is the archive's exact size (the request's Content-Length).
	Length uint64
	// Body is the archive. Its reads must end (with an error) when Abort
	// is called.
	Body io.Reader
	// Abort makes a blocked Body.Read return; called when the operation
	// is canceled.
	Abort func()
	// Started is told the operation once the import runs.
	Started func(op operation.Op)
}

// ImportedDisk is one disk an import made.
type ImportedDisk struct {
	Target string `json:"target"`
	Volume string `json:"volume"`
	Path   string `json:"path"`
}

// ImportResult is what an import made.
type ImportResult struct {
	Name      string         `json:"name"`
	UUID      string         `json:"uuid"`
	Host      string         `json:"host"`
	Renamed   bool           `json:"renamed"`
	Snapshots int            `json:"snapshots"`
	Current   string         `json:"current,omitempty"`
	Disks     []ImportedDisk `json:"disks"`
	Bytes     uint64         `json:"bytes"`
	Seconds   float64        `json:"seconds"`
	// From names the VM the archive was exported from.
	From struct {
		Name string `json:"name"`
		UUID string `json:"uuid"`
	} `json:"from"`
}

// importer is the Sink of one import: it checks the archive's content as
// it arrives and writes the disks into new volumes, which it removes if
// anything fails.
type importer struct {
	s        *Service
	ctx      context.Context
	c        virt.Conn
	link     virt.Link
	hostName string
	pool     virt.StoragePool
	req      ImportRequest
	prog     *progress

	name, uuid string
	renamed    bool
	dom        *libvirtxml.Domain
	snaps      []*libvirtxml.DomainSnapshot
	disks      map[string]ImportedDisk // by target
	created    []virt.StorageVol
	targets    map[string]bool
}

func (im *importer) volName(target string, format string) string {
	ext := ".qcow2"
	if format == "raw" {
		ext = ".img"
	}
	return im.name + "-" + target + ext
}

// Index checks names, conflicts and room before any byte is written.
func (im *importer) Index(idx Manifest) error {
	// The index tells the file's exact length: a truncated or extended
	// file is refused before its first disk byte.
	if want, err := ArchiveSize(idx); err != nil || uint64(want) != im.req.Length {
		return bad("it is %d bytes long, but its index makes %d (truncated or extended)", im.req.Length, want)
	}
	im.name = idx.Name
	if im.req.Name != "" {
		im.name, im.renamed = im.req.Name, im.req.Name != idx.Name
	}
	if err := vmcreate.ValidName(im.name); err != nil {
		return err
	}
	doms, err := im.c.ListDomains()
	if err != nil {
		return host.Problem(err, "list the VMs")
	}
	for _, d := range doms {
		if d.Name == im.name {
			return problem.New(problem.Conflict, problem.CodeVMExists,
				fmt.Sprintf("a VM named %q already exists on host %q", im.name, im.hostName), "choose a new name for the imported VM (it then gets a new UUID and new MAC addresses)")
		}
	}
	var disks uint64
	for _, p := range idx.Parts {
		if p.Kind == KindDisk {
			disks += uint64(p.Size)
			if _, err := im.c.LookupVolume(im.pool, im.volName(p.Target, p.Format)); err == nil {
				return problem.New(problem.Conflict, "volume_exists",
					fmt.Sprintf("a volume %q already exists in pool %q", im.volName(p.Target, p.Format), im.pool.Name), "choose another name for the imported VM, or delete that volume")
			}
		}
	}
	if _, err := poolRoom(im.c, im.pool.Name, disks); err != nil {
		return err
	}
	return nil
}

// Part checks and keeps the XML parts and writes disks into volumes.
func (im *importer) Part(p Part, r io.Reader) error {
	switch p.Kind {
	case KindDomain:
		b, _ := io.ReadAll(r)
		var d libvirtxml.Domain
		if err := d.Unmarshal(string(b)); err != nil {
			return bad("its domain definition cannot be read: %v", err)
		}
		im.uuid = d.UUID
		if im.renamed {
			u, err := newUUID()
			if err != nil {
				return err
			}
			im.uuid = u
		} else {
			u, err := host.ParseUUID(d.UUID)
			if err != nil {
				return bad("its domain has no valid UUID")
			}
			if dom, err := im.c.LookupDomain(u); err == nil {
				return problem.New(problem.Conflict, "vm_uuid_exists",
					fmt.Sprintf("VM %q on host %q has the UUID of the exported VM (%s)", dom.Name, im.hostName, d.UUID),
					"choose a new name for the imported VM: it then gets a new UUID and new MAC addresses")
			}
		}
		im.targets = map[string]bool{}
		if d.Devices != nil {
			for _, dk := range d.Devices.Disks {
				if dk.Target != nil {
					im.targets[dk.Target.Dev] = true
				}
			}
		}
		im.dom = &d
	case KindSnapshot:
		b, _ := io.ReadAll(r)
		var x libvirtxml.DomainSnapshot
		if err := x.Unmarshal(string(b)); err != nil {
			return bad("snapshot %q cannot be read: %v", clip(p.Snapshot), err)
		}
		parent := ""
		if x.Parent != nil {
			parent = x.Parent.Name
		}
		if x.Name != p.Snapshot || parent != p.Parent {
			return bad("snapshot %q does not match the index", clip(p.Snapshot))
		}
		im.snaps = append(im.snaps, &x)
	case KindDisk:
		if !im.targets[p.Target] {
			return bad("disk %q is not a disk of its domain", clip(p.Target))
		}
		name := im.volName(p.Target, p.Format)
		vol, err := createVolume(im.c, im.pool, name, uint64(p.Size))
		if err != nil {
			return err
		}
		im.created = append(im.created, vol)
		w := &readProgress{r: r, ctx: im.ctx, prog: im.prog}
		if err := im.link.UploadVolume(vol, w, uint64(p.Size)); err != nil {
			if w.err != nil {
				return w.err
			}
			if im.ctx.Err() != nil {
				return im.ctx.Err()
			}
			return host.Problem(err, "write disk "+p.Target)
		}
		im.disks[p.Target] = ImportedDisk{Target: p.Target, Volume: name}
	}
	return nil
}

// readProgress is a disk's bytes on their way to libvirt.
type readProgress struct {
	r    io.Reader
	ctx  context.Context
	prog *progress
	err  error
}

func (rp *readProgress) Read(b []byte) (int, error) {
	if err := rp.ctx.Err(); err != nil {
		return 0, err
	}
	// 256 KiB packets, as storage uploads send (see storage.fillTo).
	if len(b) > 256<<10 {
		b = b[:256<<10]
	}
	n, err := io.ReadFull(rp.r, b)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	rp.prog.add(n)
	if err != nil && err != io.EOF {
		rp.err = err
	}
	return n, err
}

// Import reads an archive, checks every part's hash, and only then
// defines the VM and redefines its snapshots, in the chosen pool. It runs
// as an operation (kind vm-import) and returns when it has ended. Whatever
// fails leaves nothing behind: the volumes it made are removed, and a VM
// it defined is undefined.
func (s *Service) Import(ctx context.Context, req ImportRequest) (ImportResult, error) {
	if req.Length == 0 {
		return ImportResult{}, problem.New(problem.Invalid, "invalid_size", "the import file is empty", "send the export file as the request body, with its Content-Length")
	}
	if req.Length > s.opts.MaxImport {
		return ImportResult{}, problem.New(problem.TooLarge, "upload_too_large",
			fmt.Sprintf("the import file (%s) is larger than the %s this server accepts", size(req.Length), size(s.opts.MaxImport)),
			"ask the administrator to raise the import limit")
	}
	if req.Name != "" {
		if err := vmcreate.ValidName(req.Name); err != nil {
			return ImportResult{}, err
		}
	}
	if req.Pool == "" {
		return ImportResult{}, problem.New(problem.Invalid, "pool_required", "an import needs the pool that receives its disks", "add ?pool=NAME")
	}
	c, err := s.opts.Hosts.Client(req.Host)
	if err != nil {
		return ImportResult{}, err
	}
	// The file's size bounds its disks': a pool without that much room is
	// refused before the first byte is read.
	pool, err := poolRoom(c, req.Pool, req.Length)
	if err != nil {
		return ImportResult{}, err
	}
	id, err := newUUID()
	if err != nil {
		return ImportResult{}, err
	}
	subject := req.Name
	if subject == "" {
		subject = "import"
	}
	claim, err := s.opts.Operations.Claim(operation.Target{Host: req.Host, Resource: "import", UUID: id, Name: subject}, "vm-import", subject)
	if err != nil {
		return ImportResult{}, err
	}
	defer claim.Release()
	link, err := s.opts.Hosts.Dial(req.Host)
	if err != nil {
		return ImportResult{}, host.Problem(err, "open a connection for the import")
	}
	defer closeLink(link)
	type outcome struct {
		res ImportResult
		err error
	}
	done := make(chan outcome, 1)
	op, err := claim.Start("vm-import", true, func(opCtx context.Context, rep operation.Reporter) error {
		res, err := s.runImport(ctx, opCtx, c, link, pool, req, rep)
		if err == nil {
			rep.SetResult(res)
		}
		done <- outcome{res, err}
		return err
	})
	if err != nil {
		return ImportResult{}, err
	}
	if req.Started != nil {
		req.Started(op)
	}
	o := <-done
	return o.res, o.err
}

func (s *Service) runImport(reqCtx, opCtx context.Context, c virt.Conn, link virt.Link, pool virt.StoragePool, req ImportRequest, rep operation.Reporter) (ImportResult, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(opCtx, s.opts.TransferTime)
	defer cancel()
	stopReq := context.AfterFunc(reqCtx, cancel)
	defer stopReq()
	stop := context.AfterFunc(ctx, func() {
		if req.Abort != nil {
			req.Abort()
		}
		closeLink(link)
	})
	defer stop()
	im := &importer{s: s, ctx: ctx, c: c, link: link, hostName: req.Host, pool: pool, req: req,
		prog: &progress{rep: rep, verb: "importing", total: req.Length}, disks: map[string]ImportedDisk{}}
	rep.Progress("reading the export file", 0)
	m, err := Read(io.LimitReader(req.Body, int64(req.Length)), Limits{}, im)
	if err == nil {
		var res ImportResult
		res, err = im.define(m)
		if err == nil {
			res.Bytes, res.Seconds = req.Length, time.Since(start).Seconds()
			return res, nil
		}
	}
	im.removeVolumes()
	switch {
	case opCtx.Err() != nil:
		return ImportResult{}, problem.Wrap(opCtx.Err(), problem.Canceled, "import_canceled", "the import was canceled; nothing was kept", "")
	case reqCtx.Err() != nil:
		return ImportResult{}, problem.Wrap(reqCtx.Err(), problem.Canceled, "import_interrupted", "the client stopped sending; nothing was kept", "upload the file again")
	case ctx.Err() != nil:
		return ImportResult{}, problem.New(problem.Timeout, "import_timeout", fmt.Sprintf("the import took longer than %s and was stopped; nothing was kept", s.opts.TransferTime), "")
	}
	var pe *problem.Error
	if errors.As(err, &pe) {
		if pe.Code == "archive_invalid" {
			return ImportResult{}, problem.New(pe.Kind, pe.Code, pe.Message+"; nothing was imported", pe.Hint)
		}
		return ImportResult{}, pe
	}
	return ImportResult{}, problem.Wrap(err, problem.Unavailable, "import_failed", "the import failed: "+err.Error()+"; nothing was kept", "try again")
}

func (im *importer) removeVolumes() {
	for _, v := range im.created {
		if err := im.c.DeleteVolume(v); err != nil {
			im.s.opts.Logger.Warn("import: removing a volume of a failed import", "volume", v.Name, "err", err)
		}
	}
	im.created = nil
}

// define writes the verified VM: its definition, then its snapshots in
// parent order, the current one marked so. A failure undefines it.
func (im *importer) define(m Manifest) (ImportResult, error) {
	res := ImportResult{Name: im.name, UUID: im.uuid, Host: im.hostName, Renamed: im.renamed, Current: m.Current}
	res.From.Name, res.From.UUID = m.Name, m.UUID
	_ = im.c.RefreshPool(im.pool)
	paths := map[string]string{}
	formats := map[string]string{}
	for _, p := range m.Parts {
		if p.Kind != KindDisk {
			continue
		}
		d := im.disks[p.Target]
		v, err := im.c.LookupVolume(im.pool, d.Volume)
		if err != nil {
			return res, host.Problem(err, "find the imported volume "+d.Volume)
		}
		x, err := readVol(im.c, v)
		if err != nil {
			return res, err
		}
		d.Path = x.Path
		if d.Path == "" {
			d.Path = v.Key
		}
		paths[p.Target], formats[p.Target] = d.Path, p.Format
		res.Disks = append(res.Disks, d)
	}
	macs := map[string]string{}
	rw := func(d *libvirtxml.Domain) error {
		if d == nil {
			return nil
		}
		return im.rewrite(d, paths, formats, macs)
	}
	if err := rw(im.dom); err != nil {
		return res, err
	}
	doc, err := im.dom.Marshal()
	if err != nil {
		return res, err
	}
	dom, err := im.c.Define(doc)
	if err != nil {
		return res, problem.Wrap(err, problem.Invalid, "import_define_failed", "libvirt refused the exported VM's definition on this host: "+libvirtMessage(err)+"; nothing was kept",
			"the host may lack what the VM needs (an emulator, a network, a firmware); check the message")
	}
	undo := func() {
		if err := im.c.Undefine(dom, virt.UndefineSnapshotsMetadata|virt.UndefineKeepNvram); err != nil {
			im.s.opts.Logger.Warn("import: undefining a failed import", "vm", im.name, "err", err)
		}
	}
	for _, x := range im.snaps {
		if err := rw(x.Domain); err != nil {
			undo()
			return res, err
		}
		if x.InactiveDomain != nil {
			if err := rw(&x.InactiveDomain.Domain); err != nil {
				undo()
				return res, err
			}
		}
		sdoc, err := x.Marshal()
		if err != nil {
			undo()
			return res, err
		}
		if err := im.c.RedefineSnapshot(dom, sdoc, x.Name == m.Current); err != nil {
			undo()
			return res, problem.Wrap(err, problem.Invalid, "import_snapshot_failed",
				fmt.Sprintf("libvirt refused snapshot %q: %s; nothing was kept", x.Name, libvirtMessage(err)), "")
		}
		res.Snapshots++
	}
	im.created = nil // kept: they belong to the VM now
	return res, nil
}

func libvirtMessage(err error) string {
	var le virt.Error
	if errors.As(err, &le) {
		return le.Message
	}
	return err.Error()
}

// rewrite makes a definition (the VM's or one a snapshot keeps) the
// imported VM's: its name and UUID, its disks in their new volumes, and,
// for a renamed copy, new MAC addresses (the same new one for an old one
// everywhere), automatic console ports and no shared NVRAM file.
func (im *importer) rewrite(d *libvirtxml.Domain, paths, formats, macs map[string]string) error {
	d.Name, d.UUID, d.ID = im.name, im.uuid, nil
	if d.Devices == nil {
		return nil
	}
	for i := range d.Devices.Disks {
		dk := &d.Devices.Disks[i]
		if dk.Target == nil {
			continue
		}
		p, ok := paths[dk.Target.Dev]
		if !ok {
			continue
		}
		dk.Source = &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: p}}
		if dk.Driver == nil {
			dk.Driver = &libvirtxml.DomainDiskDriver{Name: "qemu"}
		}
		dk.Driver.Type = formats[dk.Target.Dev]
		dk.BackingStore = nil
	}
	if !im.renamed {
		return nil
	}
	for i := range d.Devices.Interfaces {
		ifc := &d.Devices.Interfaces[i]
		ifc.Target = nil
		if ifc.MAC == nil {
			continue
		}
		old := strings.ToLower(ifc.MAC.Address)
		if macs[old] == "" {
			mac, err := newMAC()
			if err != nil {
				return err
			}
			macs[old] = mac
		}
		ifc.MAC.Address = macs[old]
	}
	for i := range d.Devices.Graphics {
		if g := d.Devices.Graphics[i].VNC; g != nil && g.AutoPort != "yes" {
			g.Port, g.AutoPort = -1, "yes"
		}
	}
	if d.OS != nil && d.OS.NVRam != nil {
		d.OS.NVRam.NVRam = "" // libvirt makes the copy's own from the template
	}
	return nil
}

func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// newMAC returns a random address in QEMU's 52:54:00 range.
func newMAC() (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]), nil
}
