// Package vmcreate makes new VMs: from an installer ISO, an existing disk
// (in place or copied), a cloud image with a cloud-init NoCloud seed, or
// network boot (PXE). Everything is checked before anything is made; the
// work then runs as an operation, and a failure midway removes what it
// made (volumes and the definition), so nothing half made stays.
package vmcreate

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/osinfo"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/storage"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Hosts gives a host's shared link and dials links of its own (the seed's
// upload stream); storage.HostSet implements it.
type Hosts interface {
	Client(host string) (virt.Conn, error)
	Dial(host string) (virt.Link, error)
}

// VMs re-reads a VM before a refusal depends on its disks
// (inventory.Inventory).
type VMs interface {
	Refresh(c virt.Conn, host, uuid string) (inventory.VM, error)
}

// Operations runs the creation as an operation holding the new VM
// (operation.Manager).
type Operations interface {
	Claim(t operation.Target, kind, subject string) (*operation.Claim, error)
}

// Options configures a Service.
type Options struct {
	Hosts      Hosts
	Inventory  VMs
	Operations Operations
	// OSInfoDir is osinfo-db's directory (default osinfo.DefaultDir),
	// read once, on first use.
	OSInfoDir string
	// Now dates the seed image (default time.Now).
	Now func() time.Time
	// Logger gets one line per VM made with the time of each phase, the
	// server's own and libvirt's apart (default: slog.Default()).
	Logger *slog.Logger
}

// Service creates VMs.
type Service struct {
	opts   Options
	osOnce sync.Once
	osDB   *osinfo.DB
	osErr  error
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.OSInfoDir == "" {
		opts.OSInfoDir = osinfo.DefaultDir
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{opts: opts}
}

// OSDB returns the loaded osinfo-db (read on first use; about 2 s).
func (s *Service) OSDB() (*osinfo.DB, error) {
	s.osOnce.Do(func() {
		s.osDB, s.osErr = osinfo.Load(s.opts.OSInfoDir)
		if s.osErr != nil {
			s.osErr = problem.Wrap(s.osErr, problem.Unavailable, problem.CodeOSInfoUnavailable,
				"the operating system list (osinfo-db) could not be read", "install Debian's osinfo-db package on the server")
		}
	})
	return s.osDB, s.osErr
}

// Result is what a creation made.
type Result struct {
	Host string `json:"host"`
	UUID string `json:"uuid"`
	Name string `json:"name"`
	// Started says the VM was started.
	Started bool `json:"started"`
	// Volumes are the volumes made for it (pool/name).
	Volumes []string `json:"volumes"`
}

// Preview is a dry run's answer: the domain XML that would be defined and
// the volumes that would be made.
type Preview struct {
	XML     string   `json:"xml"`
	Volumes []string `json:"volumes"`
	// OS is the OS whose defaults were used (empty: generic).
	OS string `json:"os,omitempty"`
}

// newVol is a volume the creation makes.
type newVol struct {
	pool   virt.StoragePool
	name   string
	format string
	size   uint64
	// from is the volume copied into it (nil: empty, or the seed).
	from *virt.StorageVol
	// content is uploaded into it (the seed).
	content []byte
	// backing makes it a qcow2 overlay on that file (a linked clone).
	backing, backingFormat string
}

// plan is a checked request: everything the run needs, nothing made yet.
type plan struct {
	host, uuid, name string
	osName           string
	xml              string
	vols             []newVol
	start            bool
	// planned is how long checking the request took (the server's work:
	// parsing, osinfo-db, the seed image; and a few quick libvirt lookups).
	planned time.Duration
}

var (
	macRE    = regexp.MustCompile(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$`)
	bridgeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$`)
	modelRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

const (
	maxCPUs      = 255
	minMemoryMiB = 64
	maxMemoryMiB = 4 << 20 // 4 TiB
)

// Create checks req and, unless it is a dry run, creates the VM as an
// operation (kind vm-create). started is told the operation once it runs.
// A dry run returns a Preview and no operation.
func (s *Service) Create(hostName string, req Request, started func(operation.Op)) (operation.Op, *Preview, error) {
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return operation.Op{}, nil, err
	}
	t0 := time.Now()
	p, err := s.plan(c, hostName, req)
	if err != nil {
		return operation.Op{}, nil, err
	}
	p.planned = time.Since(t0)
	if req.DryRun {
		pv := &Preview{XML: p.xml, OS: p.osName, Volumes: []string{}}
		for _, v := range p.vols {
			pv.Volumes = append(pv.Volumes, v.pool.Name+"/"+v.name)
		}
		return operation.Op{}, pv, nil
	}
	claim, err := s.opts.Operations.Claim(operation.Target{Host: hostName, UUID: p.uuid, Name: p.name}, "vm-create", p.name)
	if err != nil {
		return operation.Op{}, nil, err
	}
	op, err := claim.Start("vm-create", false, func(ctx context.Context, rep operation.Reporter) error {
		res, err := s.run(ctx, p, rep)
		if err != nil {
			return err
		}
		rep.SetResult(res)
		return nil
	})
	if err != nil {
		claim.Release()
		return operation.Op{}, nil, err
	}
	if started != nil {
		started(op)
	}
	return op, nil, nil
}

// run makes the volumes, defines the VM and starts it; on any failure it
// removes what it made, newest first.
func (s *Service) run(ctx context.Context, p *plan, rep operation.Reporter) (res Result, err error) {
	res = Result{Host: p.host, UUID: p.uuid, Name: p.name, Volumes: []string{}}
	var made []virt.StorageVol
	var defined *virt.Domain
	// The time in libvirt's calls that do the work, per phase, so that the
	// log line tells the server's own share (the rest) apart.
	var tm timings
	began := time.Now()
	defer func() {
		if err == nil {
			s.logTimings(p, tm, time.Since(began))
			return
		}
		rep.Progress("removing what was made", 100)
		c, cerr := s.opts.Hosts.Client(p.host)
		if cerr != nil {
			return
		}
		if defined != nil {
			_ = c.Destroy(*defined)
			_ = c.Undefine(*defined, virt.UndefineNvram|virt.UndefineManagedSave)
		}
		for i := len(made) - 1; i >= 0; i-- {
			_ = c.DeleteVolume(made[i])
		}
	}()
	total := len(p.vols) + 1
	if p.start {
		total++
	}
	step := 0
	progress := func(stage string) {
		rep.Progress(stage, 100*step/total)
		step++
	}
	for _, v := range p.vols {
		c, err := s.opts.Hosts.Client(p.host)
		if err != nil {
			return res, err
		}
		doc, err := volumeXML(v)
		if err != nil {
			return res, err
		}
		var vol virt.StorageVol
		switch {
		case v.from != nil:
			progress(fmt.Sprintf("copying %s into %s", v.from.Name, v.name))
			t := time.Now()
			vol, err = c.CloneVolume(v.pool, doc, *v.from)
			tm.volumes += time.Since(t)
		default:
			progress(fmt.Sprintf("creating volume %s (%s)", v.name, storage.FormatSize(v.size)))
			t := time.Now()
			vol, err = c.CreateVolume(v.pool, doc)
			tm.volumes += time.Since(t)
		}
		if err != nil {
			if v.from != nil { // libvirt removes a copy it could not finish; make sure
				if left, lerr := c.LookupVolume(v.pool, v.name); lerr == nil {
					_ = c.DeleteVolume(left)
				}
			}
			return res, host.Problem(err, "create volume "+v.name)
		}
		made = append(made, vol)
		res.Volumes = append(res.Volumes, v.pool.Name+"/"+v.name)
		if v.content != nil {
			t := time.Now()
			if err := s.upload(p.host, vol, v.content); err != nil {
				return res, err
			}
			_ = c.RefreshPool(v.pool)
			tm.seed += time.Since(t)
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	c, err := s.opts.Hosts.Client(p.host)
	if err != nil {
		return res, err
	}
	progress("defining the VM")
	t := time.Now()
	dom, err := c.Define(p.xml)
	tm.define = time.Since(t)
	if err != nil {
		return res, host.Problem(err, "define the VM")
	}
	defined = &dom
	if p.start {
		progress("starting the VM")
		t := time.Now()
		err := c.Start(dom)
		tm.start = time.Since(t)
		if err != nil {
			return res, host.Problem(err, "start the new VM")
		}
		res.Started = true
	}
	rep.Progress("created", 100)
	return res, nil
}

// timings are the libvirt calls' share of one run, by phase.
type timings struct {
	volumes, seed, define, start time.Duration
}

// logTimings writes the one line the creation benchmark reads: the time
// of each phase, in milliseconds; "server" is everything outside the
// libvirt calls that do the work (checking the request, building the seed,
// the operation's bookkeeping).
func (s *Service) logTimings(p *plan, tm timings, run time.Duration) {
	lib := tm.volumes + tm.seed + tm.define + tm.start
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	log := s.opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log.Info("vm created", "vm", p.name, "uuid", p.uuid,
		"plan_ms", ms(p.planned), "run_ms", ms(run), "libvirt_ms", ms(lib), "server_ms", ms(p.planned+run-lib),
		"volumes_ms", ms(tm.volumes), "seed_upload_ms", ms(tm.seed), "define_ms", ms(tm.define), "start_ms", ms(tm.start))
}

// upload writes content into vol on a link of its own (a stream holds its
// link's reader).
func (s *Service) upload(hostName string, vol virt.StorageVol, content []byte) error {
	link, err := s.opts.Hosts.Dial(hostName)
	if err != nil {
		return host.Problem(err, "open a connection for the cloud-init seed")
	}
	defer func() {
		done := make(chan struct{})
		go func() { _ = link.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}()
	if err := link.UploadVolume(vol, bytes.NewReader(content), uint64(len(content))); err != nil {
		return host.Problem(err, "write the cloud-init seed")
	}
	return nil
}

type volDoc struct {
	XMLName    xml.Name `xml:"volume"`
	Name       string   `xml:"name"`
	Capacity   sizeDoc  `xml:"capacity"`
	Allocation *sizeDoc `xml:"allocation,omitempty"`
	Format     struct {
		Type string `xml:"type,attr"`
	} `xml:"target>format"`
	Backing *backingDoc `xml:"backingStore,omitempty"`
}

type backingDoc struct {
	Path   string `xml:"path"`
	Format struct {
		Type string `xml:"type,attr"`
	} `xml:"format"`
}

type sizeDoc struct {
	Unit  string `xml:"unit,attr"`
	Value uint64 `xml:",chardata"`
}

func volumeXML(v newVol) (string, error) {
	d := volDoc{Name: v.name, Capacity: sizeDoc{"bytes", v.size}}
	if v.from == nil {
		d.Allocation = &sizeDoc{"bytes", 0}
	}
	d.Format.Type = v.format
	if v.backing != "" {
		d.Backing = &backingDoc{Path: v.backing}
		d.Backing.Format.Type = v.backingFormat
	}
	b, err := xml.Marshal(d)
	return string(b), err
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

// domCaps is the part of libvirt's domain capabilities read here.
type domCaps struct {
	VCPU struct {
		Max int `xml:"max,attr"`
	} `xml:"vcpu"`
	OS struct {
		Enums  []capEnum `xml:"enum"`
		Loader struct {
			Values []string  `xml:"value"`
			Enums  []capEnum `xml:"enum"`
		} `xml:"loader"`
	} `xml:"os"`
	Devices struct {
		TPM struct {
			Supported string    `xml:"supported,attr"`
			Enums     []capEnum `xml:"enum"`
		} `xml:"tpm"`
	} `xml:"devices"`
	CPU struct {
		Modes []struct {
			Name      string   `xml:"name,attr"`
			Supported string   `xml:"supported,attr"`
			Models    []string `xml:"model"`
		} `xml:"mode"`
	} `xml:"cpu"`
}

type capEnum struct {
	Name   string   `xml:"name,attr"`
	Values []string `xml:"value"`
}

func enumHas(es []capEnum, name, v string) bool {
	for _, e := range es {
		if e.Name == name && slices.Contains(e.Values, v) {
			return true
		}
	}
	return false
}

// caps returns the host's domain type (kvm when it can, else qemu) and
// its capabilities for it.
func caps(c virt.Conn) (string, domCaps, error) {
	var dc domCaps
	typ := "kvm"
	doc, err := c.DomainCapabilities(typ)
	if err != nil {
		typ = "qemu"
		if doc, err = c.DomainCapabilities(typ); err != nil {
			return "", dc, host.Problem(err, "read the host's capabilities")
		}
	}
	if err := xml.Unmarshal([]byte(doc), &dc); err != nil {
		return "", dc, fmt.Errorf("parse domain capabilities: %w", err)
	}
	return typ, dc, nil
}

func (dc domCaps) cpuMode(name string) (ok bool, models []string) {
	for _, m := range dc.CPU.Modes {
		if m.Name == name {
			return m.Supported == "yes", m.Models
		}
	}
	return false, nil
}

// hasName reports whether a domain of that name exists on the host.
func hasName(c virt.Conn, name string) (bool, error) {
	doms, err := c.ListDomains()
	if err != nil {
		return false, host.Problem(err, "list the VMs")
	}
	for _, d := range doms {
		if d.Name == name {
			return true, nil
		}
	}
	return false, nil
}
