// Package snapexport exports a VM with its snapshot tree as one file (a
// tar archive: see archive.go) and imports such a file on any host. It
// reads and writes disks only through libvirt's volume streams, so that a
// remote host (qemu+ssh, qemu+tls) works as the local one does; the one
// exception, a single snapshot's disk as a standalone image, runs
// qemu-img on the host's machine (disk.go).
package snapexport

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Hosts gives a host's shared link, dials links of its own (streams) and
// names the computer it runs on (qemu-img for a snapshot's disk).
type Hosts interface {
	Client(host string) (virt.Conn, error)
	Dial(host string) (virt.Link, error)
	Machine(host string) (machine.Machine, error)
}

// HostSet adapts host.Set to Hosts.
type HostSet struct{ Set *host.Set }

// Client implements Hosts.
func (h HostSet) Client(name string) (virt.Conn, error) { return h.Set.Client(name) }

// Machine implements Hosts.
func (h HostSet) Machine(name string) (machine.Machine, error) { return h.Set.Machine(name) }

// Dial implements Hosts.
func (h HostSet) Dial(name string) (virt.Link, error) {
	hh, err := h.Set.Get(name)
	if err != nil {
		return nil, err
	}
	return hh.Dial()
}

// Operations holds a VM for one export or import at a time and runs the
// work as a cancelable operation (operation.Manager).
type Operations interface {
	Claim(t operation.Target, kind, subject string) (*operation.Claim, error)
}

// Options configures a Service.
type Options struct {
	Hosts      Hosts
	Operations Operations
	Logger     *slog.Logger
	// MaxImport caps an import file's size (default 64 GiB).
	MaxImport uint64
	// TransferTime caps one export's or import's duration (default 6 h).
	TransferTime time.Duration
}

// Service exports and imports VMs with their snapshots.
type Service struct {
	opts Options
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.MaxImport == 0 {
		opts.MaxImport = 64 << 30
	}
	if opts.TransferTime == 0 {
		opts.TransferTime = 6 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{opts: opts}
}

// MaxImport is the largest import file accepted.
func (s *Service) MaxImport() uint64 { return s.opts.MaxImport }

// closeLink closes a link without waiting for a daemon that no longer
// answers.
func closeLink(l virt.Link) {
	done := make(chan struct{})
	go func() { _ = l.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// volXML is the part of a volume's description read and written here.
type volXML struct {
	XMLName    xml.Name `xml:"volume"`
	Name       string   `xml:"name"`
	Capacity   *volSize `xml:"capacity,omitempty"`
	Allocation *volSize `xml:"allocation,omitempty"`
	Physical   *volSize `xml:"physical,omitempty"`
	Path       string   `xml:"target>path,omitempty"`
	Format     struct {
		Type string `xml:"type,attr"`
	} `xml:"target>format"`
	Backing *struct {
		Path string `xml:"path"`
	} `xml:"backingStore,omitempty"`
}

type volSize struct {
	Unit  string `xml:"unit,attr"`
	Value uint64 `xml:",chardata"`
}

func readVol(c virt.Conn, v virt.StorageVol) (volXML, error) {
	var x volXML
	doc, err := c.VolumeXML(v)
	if err != nil {
		return x, host.Problem(err, "read a disk's volume")
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return x, fmt.Errorf("parse volume %q: %w", v.Name, err)
	}
	return x, nil
}

// poolRoom checks that pool is a running directory pool with need bytes
// free, and returns it.
func poolRoom(c virt.Conn, name string, need uint64) (virt.StoragePool, error) {
	p, err := c.LookupPool(name)
	if err != nil {
		if host.IsCode(err, virt.ErrNoStoragePool) {
			return p, problem.New(problem.NotFound, "pool_not_found", fmt.Sprintf("there is no storage pool %q", problem.Clip(name)), "choose a pool from the host's pool list")
		}
		return p, host.Problem(err, "find the pool")
	}
	doc, err := c.PoolXML(p)
	if err != nil {
		return p, host.Problem(err, "read the pool")
	}
	var x struct {
		Type string `xml:"type,attr"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return p, fmt.Errorf("parse pool %q: %w", name, err)
	}
	if x.Type != "dir" {
		return p, problem.New(problem.Unsupported, "pool_read_only",
			fmt.Sprintf("pool %q is a %s pool; KVM Manager creates volumes only in directory pools", name, x.Type), "use a directory pool")
	}
	_ = c.RefreshPool(p) // makes the free space current; a pool that cannot refresh still answers
	info, err := c.PoolInfo(p)
	if err != nil {
		return p, host.Problem(err, "read the pool's state")
	}
	if info.State != virt.PoolRunning {
		return p, problem.New(problem.Conflict, "pool_not_running", fmt.Sprintf("pool %q is not running", name), "start the pool first")
	}
	if need > info.Available {
		return p, problem.New(problem.NoSpace, "pool_full",
			fmt.Sprintf("%s do not fit in pool %q: it has %s free", size(need), name, size(info.Available)),
			"free space in the pool, or choose another pool")
	}
	return p, nil
}

func createVolume(c virt.Conn, p virt.StoragePool, name string, n uint64) (virt.StorageVol, error) {
	x := volXML{Name: name, Capacity: &volSize{Unit: "bytes", Value: n}, Allocation: &volSize{Unit: "bytes", Value: 0}}
	x.Format.Type = "raw"
	doc, err := xml.Marshal(x)
	if err != nil {
		return virt.StorageVol{}, err
	}
	v, err := c.CreateVolume(p, string(doc))
	if err != nil {
		if host.IsCode(err, virt.ErrStorageVolExist) {
			return v, problem.Wrap(err, problem.Conflict, "volume_exists", fmt.Sprintf("a volume %q already exists in pool %q", name, p.Name), "choose another name")
		}
		return v, host.Problem(err, "create the volume")
	}
	return v, nil
}

// size formats a byte count for messages.
func size(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// progress reports a transfer's progress at most every 250 ms.
type progress struct {
	rep    operation.Reporter
	verb   string
	total  uint64
	n      uint64
	lastAt time.Time
}

func (p *progress) add(n int) {
	p.n += uint64(n)
	if time.Since(p.lastAt) < 250*time.Millisecond && p.n != p.total {
		return
	}
	p.lastAt = time.Now()
	pct := 0
	if p.total > 0 {
		pct = int(p.n * 100 / p.total)
	}
	p.rep.Progress(fmt.Sprintf("%s: %s of %s", p.verb, size(p.n), size(p.total)), min(pct, 100))
}

// ctxWriter fails writes once ctx ends and counts progress.
type ctxWriter struct {
	ctx  context.Context
	w    interface{ Write([]byte) (int, error) }
	prog *progress
}

func (c *ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(b)
	c.prog.add(n)
	return n, err
}
