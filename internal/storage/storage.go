// Package storage manages a host's storage pools and volumes through
// libvirt's API only (no shell on the host, so that it works the same on
// remote hosts): listing, directory pools' creation, start, stop, refresh
// and deletion, volumes' creation and deletion, and streamed upload and
// download of a volume's content on a libvirt link of their own.
package storage

import (
	"encoding/xml"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Hosts gives a host's shared link and dials links of its own (streams).
type Hosts interface {
	Client(host string) (virt.Conn, error)
	Dial(host string) (virt.Link, error)
}

// VMs lists the inventory's VMs, for "which VMs use this volume", and
// re-reads them before a refusal depends on them (inventory.Inventory).
type VMs interface {
	List() []inventory.VM
	Refresh(c virt.Conn, host, uuid string) (inventory.VM, error)
}

// Operations starts uploads as cancelable operations and holds a volume
// for one upload at a time (operation.Manager).
type Operations interface {
	Claim(t operation.Target, kind, subject string) (*operation.Claim, error)
}

// Options configures a Service.
type Options struct {
	Hosts      Hosts
	Inventory  VMs
	Operations Operations
	// MaxUpload caps one upload's size (default 64 GiB).
	MaxUpload uint64
	// UploadTime caps one upload's or download's duration (default 6 h);
	// IdleTime how long it may stall (default 60 s).
	UploadTime, IdleTime time.Duration
	// TrayWait is the first pause before a live CD-ROM change is tried
	// again while the drive's tray has not opened yet (default 250 ms,
	// doubled for each of the few retries). Tests shorten it.
	TrayWait time.Duration
}

// Service is the storage manager.
type Service struct {
	opts Options
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.MaxUpload == 0 {
		opts.MaxUpload = 64 << 30
	}
	if opts.UploadTime == 0 {
		opts.UploadTime = 6 * time.Hour
	}
	if opts.IdleTime == 0 {
		opts.IdleTime = 60 * time.Second
	}
	return &Service{opts: opts}
}

// MaxUpload is the largest upload accepted.
func (s *Service) MaxUpload() uint64 { return s.opts.MaxUpload }

// Limits returns the upload's time caps: total and idle.
func (s *Service) Limits() (total, idle time.Duration) { return s.opts.UploadTime, s.opts.IdleTime }

// Pool is one storage pool as the API shows it.
type Pool struct {
	Host string `json:"host"`
	Name string `json:"name"`
	UUID string `json:"uuid"`
	// Type is libvirt's pool type: dir, fs, logical, netfs, iscsi, ...
	Type string `json:"type"`
	Path string `json:"path,omitempty"`
	// State: running, inactive, building, degraded or inaccessible.
	State      string `json:"state"`
	Capacity   uint64 `json:"capacityBytes"`
	Allocation uint64 `json:"allocationBytes"`
	Available  uint64 `json:"availableBytes"`
	Autostart  bool   `json:"autostart"`
	// Managed: KVM Manager creates and changes volumes only in directory
	// pools; others are listed read-only.
	Managed bool `json:"managed"`
}

// User is a VM that uses a volume.
type User struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
	// Disk is the VM's disk target, e.g. vda or sdb.
	Disk string `json:"disk"`
}

// Volume is one volume as the API shows it.
type Volume struct {
	Host string `json:"host"`
	Pool string `json:"pool"`
	Name string `json:"name"`
	Path string `json:"path"`
	// Format: qcow2, raw, iso, ... as libvirt probed it.
	Format     string `json:"format"`
	Capacity   uint64 `json:"capacityBytes"`
	Allocation uint64 `json:"allocationBytes"`
	// Physical is the size of the volume's file (what a download sends:
	// a qcow2 image's file, not its virtual size); 0 when libvirt does not
	// say.
	Physical uint64 `json:"physicalBytes"`
	UsedBy   []User `json:"usedBy"`
}

var poolStates = map[int]string{
	virt.PoolInactive: "inactive", virt.PoolBuilding: "building", virt.PoolRunning: "running",
	virt.PoolDegraded: "degraded", virt.PoolInaccessible: "inaccessible",
}

// libvirtProblem turns a libvirt error into a problem naming pools and
// volumes rather than VMs.
func libvirtProblem(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case host.IsCode(err, virt.ErrNoStoragePool):
		return problem.Wrap(err, problem.NotFound, "pool_not_found", "the storage pool does not exist", "reload the pool list")
	case host.IsCode(err, virt.ErrNoStorageVol):
		return problem.Wrap(err, problem.NotFound, "volume_not_found", "the volume does not exist", "reload the volume list")
	case host.IsCode(err, virt.ErrStorageVolExist):
		return problem.Wrap(err, problem.Conflict, "volume_exists", "a volume of that name already exists in the pool", "choose another name")
	case host.IsCode(err, virt.ErrOperationInvalid):
		le, _ := err.(virt.Error)
		return problem.Wrap(err, problem.Conflict, "pool_state_conflict", fmt.Sprintf("could not %s: %s", what, le.Message),
			"the pool's state does not allow this now (start it first, or stop it); reload and check its state")
	}
	return host.Problem(err, what)
}

func (s *Service) client(hostName string) (virt.Conn, error) {
	return s.opts.Hosts.Client(hostName)
}

// poolXML is the part of a pool's definition read here.
type poolXML struct {
	XMLName xml.Name `xml:"pool"`
	Type    string   `xml:"type,attr"`
	Name    string   `xml:"name"`
	Path    string   `xml:"target>path"`
}

func (s *Service) describePool(c virt.Conn, hostName string, p virt.StoragePool) (Pool, error) {
	out := Pool{Host: hostName, Name: p.Name, UUID: host.FormatUUID(p.UUID)}
	doc, err := c.PoolXML(p)
	if err != nil {
		return out, libvirtProblem(err, "read the pool's definition")
	}
	var x poolXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return out, fmt.Errorf("parse pool %q XML: %w", p.Name, err)
	}
	out.Type, out.Path, out.Managed = x.Type, x.Path, x.Type == "dir"
	info, err := c.PoolInfo(p)
	if err != nil {
		return out, libvirtProblem(err, "read the pool's state")
	}
	out.State = poolStates[info.State]
	if out.State == "" {
		out.State = "unknown"
	}
	out.Capacity, out.Allocation, out.Available = info.Capacity, info.Allocation, info.Available
	if out.Autostart, err = c.PoolAutostart(p); err != nil {
		return out, libvirtProblem(err, "read the pool's autostart flag")
	}
	return out, nil
}

// ListPools returns the host's pools, by name.
func (s *Service) ListPools(hostName string) ([]Pool, error) {
	c, err := s.client(hostName)
	if err != nil {
		return nil, err
	}
	refs, err := c.ListPools()
	if err != nil {
		return nil, libvirtProblem(err, "list the storage pools")
	}
	out := make([]Pool, 0, len(refs))
	for _, p := range refs {
		d, err := s.describePool(c, hostName, p)
		if host.IsCode(err, virt.ErrNoStoragePool) {
			continue // undefined meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GetPool returns one pool.
func (s *Service) GetPool(hostName, name string) (Pool, error) {
	c, p, err := s.pool(hostName, name)
	if err != nil {
		return Pool{}, err
	}
	return s.describePool(c, hostName, p)
}

func (s *Service) pool(hostName, name string) (virt.Conn, virt.StoragePool, error) {
	c, err := s.client(hostName)
	if err != nil {
		return nil, virt.StoragePool{}, err
	}
	p, err := c.LookupPool(name)
	if err != nil {
		if host.IsCode(err, virt.ErrNoStoragePool) {
			return nil, p, problem.Wrap(err, problem.NotFound, "pool_not_found",
				fmt.Sprintf("there is no storage pool %q on host %q", problem.Clip(name), hostName), "reload the pool list")
		}
		return nil, p, libvirtProblem(err, "find the pool")
	}
	return c, p, nil
}

// CreatePoolRequest is a new directory pool.
type CreatePoolRequest struct {
	Name string `json:"name"`
	// Path is the directory; libvirt creates it when missing.
	Path string `json:"path"`
	// Autostart starts the pool with libvirtd.
	Autostart bool `json:"autostart"`
}

// CreatePool defines, builds and starts a directory pool. A pool that
// cannot be built or started is undefined again: nothing half made stays.
func (s *Service) CreatePool(hostName string, req CreatePoolRequest) (Pool, error) {
	if err := ValidPoolName(req.Name); err != nil {
		return Pool{}, err
	}
	if err := ValidPoolPath(req.Path); err != nil {
		return Pool{}, err
	}
	if req.Autostart {
		return Pool{}, problem.New(problem.Unsupported, "unsupported", "autostart of new pools is not supported yet", "create it without autostart")
	}
	c, err := s.client(hostName)
	if err != nil {
		return Pool{}, err
	}
	if _, err := c.LookupPool(req.Name); err == nil {
		return Pool{}, problem.New(problem.Conflict, "pool_exists", fmt.Sprintf("a storage pool %q already exists on host %q", req.Name, hostName), "choose another name")
	}
	doc, err := xml.Marshal(poolXML{Type: "dir", Name: req.Name, Path: req.Path})
	if err != nil {
		return Pool{}, err
	}
	p, err := c.DefinePool(string(doc))
	if err != nil {
		return Pool{}, libvirtProblem(err, "define the pool")
	}
	if err := c.BuildPool(p); err != nil {
		_ = c.UndefinePool(p)
		return Pool{}, libvirtProblem(err, "make the pool's directory")
	}
	if err := c.StartPool(p); err != nil {
		_ = c.UndefinePool(p)
		return Pool{}, libvirtProblem(err, "start the pool")
	}
	return s.describePool(c, hostName, p)
}

// PoolAction is start, stop or refresh.
func (s *Service) PoolAction(hostName, name, action string) (Pool, error) {
	c, p, err := s.pool(hostName, name)
	if err != nil {
		return Pool{}, err
	}
	switch action {
	case "start":
		err = libvirtProblem(c.StartPool(p), "start the pool")
	case "stop":
		users, uerr := s.poolUsers(c, hostName, p, true)
		if uerr != nil {
			return Pool{}, uerr
		}
		if len(users) > 0 {
			return Pool{}, inUse("pool", name, "stop", users)
		}
		err = libvirtProblem(c.StopPool(p), "stop the pool")
	case "refresh":
		err = libvirtProblem(c.RefreshPool(p), "refresh the pool")
	default:
		return Pool{}, problem.New(problem.NotFound, "no_such_action", fmt.Sprintf("there is no pool action %q", problem.Clip(action)), "use start, stop or refresh")
	}
	if err != nil {
		return Pool{}, err
	}
	return s.describePool(c, hostName, p)
}

// DeletePool stops (when running) and undefines a pool. Its directory and
// the files in it stay on the host: deleting disk images is never a side
// effect. It is refused while a VM uses a volume of the pool.
func (s *Service) DeletePool(hostName, name string) error {
	c, p, err := s.pool(hostName, name)
	if err != nil {
		return err
	}
	users, err := s.poolUsers(c, hostName, p, false)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return inUse("pool", name, "delete", users)
	}
	info, err := c.PoolInfo(p)
	if err != nil {
		return libvirtProblem(err, "read the pool's state")
	}
	if info.State != virt.PoolInactive {
		if err := c.StopPool(p); err != nil {
			return libvirtProblem(err, "stop the pool")
		}
	}
	return libvirtProblem(c.UndefinePool(p), "delete the pool")
}

// inUse is the refusal naming the VMs that use a pool or volume.
func inUse(kind, name, what string, users []User) error {
	var names []string
	for _, u := range users {
		if !slices.Contains(names, u.Name) {
			names = append(names, fmt.Sprintf("%q", u.Name))
		}
	}
	return problem.New(problem.Conflict, kind+"_in_use",
		fmt.Sprintf("cannot %s %s %q: it is used by VM %s", what, kind, problem.Clip(name), strings.Join(names, ", ")),
		"remove the disk from these VMs (or delete the VMs) first")
}

// poolUsers returns the VMs with a disk in the pool (by its directory,
// or as a volume disk naming it). runningOnly counts only running VMs.
func (s *Service) poolUsers(c virt.Conn, hostName string, p virt.StoragePool, runningOnly bool) ([]User, error) {
	vms, err := s.fresh(c, hostName)
	if err != nil {
		return nil, err
	}
	dir := ""
	if doc, err := c.PoolXML(p); err == nil {
		var x poolXML
		if xml.Unmarshal([]byte(doc), &x) == nil && x.Path != "" {
			dir = strings.TrimSuffix(x.Path, "/") + "/"
		}
	}
	return users(vms, hostName, runningOnly, func(d inventory.Disk) bool {
		if d.Type == "volume" {
			return strings.HasPrefix(d.Source, p.Name+"/")
		}
		return dir != "" && strings.HasPrefix(d.Source, dir)
	}), nil
}

func users(vms []inventory.VM, hostName string, runningOnly bool, match func(inventory.Disk) bool) []User {
	var out []User
	for _, vm := range vms {
		if vm.Host != hostName || (runningOnly && vm.State == "shutoff") {
			continue
		}
		for _, d := range vm.Disks {
			if d.Source != "" && match(d) {
				out = append(out, User{UUID: vm.UUID, Name: vm.Name, Disk: d.Target})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// cached returns the inventory's VMs as they are (for listings).
func (s *Service) cached() []inventory.VM {
	if s.opts.Inventory == nil {
		return nil
	}
	return s.opts.Inventory.List()
}

// fresh re-reads every VM of the host before a refusal depends on their
// disks: the inventory follows libvirt's events, and a disk added to a
// definition (virsh attach-disk --config) may not have reached it yet.
func (s *Service) fresh(c virt.Conn, hostName string) ([]inventory.VM, error) {
	doms, err := c.ListDomains()
	if err != nil {
		return nil, libvirtProblem(err, "list the VMs (to see which use the storage)")
	}
	out := make([]inventory.VM, 0, len(doms))
	for _, d := range doms {
		vm, err := s.opts.Inventory.Refresh(c, hostName, host.FormatUUID(d.UUID))
		if p, ok := problem.As(err); ok && p.Kind == problem.NotFound {
			continue // undefined meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read VM %s to see which volumes it uses: %w", d.Name, err)
		}
		out = append(out, vm)
	}
	return out, nil
}

// volUsers returns the VMs using the volume at path (or pool/name).
func volUsers(vms []inventory.VM, hostName, pool, name, path string) []User {
	return users(vms, hostName, false, func(d inventory.Disk) bool {
		if d.Type == "volume" {
			return d.Source == pool+"/"+name
		}
		return d.Source == path
	})
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
}

type volSize struct {
	Unit  string `xml:"unit,attr"`
	Value uint64 `xml:",chardata"`
}

func (s *Service) describeVolume(c virt.Conn, hostName, pool string, v virt.StorageVol) (Volume, error) {
	return describeVolume(c, s.cached(), hostName, pool, v)
}

func describeVolume(c virt.Conn, vms []inventory.VM, hostName, pool string, v virt.StorageVol) (Volume, error) {
	out := Volume{Host: hostName, Pool: pool, Name: v.Name, Path: v.Key}
	doc, err := c.VolumeXML(v)
	if err != nil {
		return out, libvirtProblem(err, "read the volume's description")
	}
	var x volXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return out, fmt.Errorf("parse volume %q XML: %w", v.Name, err)
	}
	if x.Path != "" {
		out.Path = x.Path
	}
	out.Format = x.Format.Type
	if x.Physical != nil && (x.Physical.Unit == "" || x.Physical.Unit == "bytes") {
		out.Physical = x.Physical.Value
	}
	if out.Capacity, out.Allocation, err = c.VolumeInfo(v); err != nil {
		return out, libvirtProblem(err, "read the volume's size")
	}
	out.UsedBy = volUsers(vms, hostName, pool, v.Name, out.Path)
	if out.UsedBy == nil {
		out.UsedBy = []User{}
	}
	return out, nil
}

// ListVolumes returns an active pool's volumes, by name.
func (s *Service) ListVolumes(hostName, pool string) ([]Volume, error) {
	c, p, err := s.pool(hostName, pool)
	if err != nil {
		return nil, err
	}
	refs, err := c.ListVolumes(p)
	if err != nil {
		return nil, libvirtProblem(err, "list the pool's volumes")
	}
	out := make([]Volume, 0, len(refs))
	for _, v := range refs {
		d, err := s.describeVolume(c, hostName, pool, v)
		if host.IsCode(err, virt.ErrNoStorageVol) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (s *Service) volume(hostName, pool, name string) (virt.Conn, virt.StoragePool, virt.StorageVol, error) {
	c, p, err := s.pool(hostName, pool)
	if err != nil {
		return nil, p, virt.StorageVol{}, err
	}
	v, err := c.LookupVolume(p, name)
	if err != nil {
		if host.IsCode(err, virt.ErrNoStorageVol) {
			return nil, p, v, problem.Wrap(err, problem.NotFound, "volume_not_found",
				fmt.Sprintf("there is no volume %q in pool %q", problem.Clip(name), pool), "reload the volume list")
		}
		return nil, p, v, libvirtProblem(err, "find the volume")
	}
	return c, p, v, nil
}

// GetVolume returns one volume.
func (s *Service) GetVolume(hostName, pool, name string) (Volume, error) {
	c, _, v, err := s.volume(hostName, pool, name)
	if err != nil {
		return Volume{}, err
	}
	return s.describeVolume(c, hostName, pool, v)
}

// CreateVolumeRequest is a new empty volume.
type CreateVolumeRequest struct {
	Name string `json:"name"`
	// Format is qcow2 (default) or raw.
	Format string `json:"format"`
	// Size is the virtual size: "12GiB", "512MiB" or bytes.
	Size Size `json:"size"`
}

// CreateVolume creates an empty volume in a running directory pool. A raw
// volume is allocated in full, so it must fit the pool's free space; a
// qcow2 volume grows as the guest writes, and is refused too when its
// virtual size exceeds the free space (an overcommitted disk fails inside
// the guest later, far from this decision).
func (s *Service) CreateVolume(hostName, pool string, req CreateVolumeRequest) (Volume, error) {
	if err := ValidVolumeName(req.Name); err != nil {
		return Volume{}, err
	}
	switch req.Format {
	case "":
		req.Format = "qcow2"
	case "qcow2", "raw":
	default:
		return Volume{}, problem.New(problem.Invalid, "invalid_format", fmt.Sprintf("the format %q is not one KVM Manager creates", problem.Clip(req.Format)), "use qcow2 or raw")
	}
	if req.Size == "" {
		return Volume{}, problem.New(problem.Invalid, "invalid_size", "the volume needs a size", `give "size", e.g. "20GiB"`)
	}
	size, err := req.Size.Bytes()
	if err != nil {
		return Volume{}, err
	}
	c, p, err := s.writablePool(hostName, pool, size)
	if err != nil {
		return Volume{}, err
	}
	v, err := s.createVolume(c, p, req.Name, req.Format, size)
	if err != nil {
		return Volume{}, err
	}
	return s.describeVolume(c, hostName, pool, v)
}

// writablePool checks that pool is a running directory pool with need
// bytes free.
func (s *Service) writablePool(hostName, pool string, need uint64) (virt.Conn, virt.StoragePool, error) {
	c, p, err := s.pool(hostName, pool)
	if err != nil {
		return nil, p, err
	}
	d, err := s.describePool(c, hostName, p)
	if err != nil {
		return nil, p, err
	}
	if !d.Managed {
		return nil, p, problem.New(problem.Unsupported, "pool_read_only",
			fmt.Sprintf("pool %q is a %s pool; KVM Manager creates volumes only in directory pools", pool, d.Type), "use a directory pool")
	}
	if d.State != "running" {
		return nil, p, problem.New(problem.Conflict, "pool_not_running", fmt.Sprintf("pool %q is %s", pool, d.State), "start the pool first")
	}
	// A refresh makes the free space current (files change behind
	// libvirt's back); a pool that cannot refresh still answers.
	if c.RefreshPool(p) == nil {
		if info, err := c.PoolInfo(p); err == nil {
			d.Available = info.Available
		}
	}
	if need > d.Available {
		return nil, p, problem.New(problem.NoSpace, "pool_full",
			fmt.Sprintf("%s do not fit in pool %q: it has %s free", FormatSize(need), pool, FormatSize(d.Available)),
			"free space in the pool, or use another pool")
	}
	return c, p, nil
}

func (s *Service) createVolume(c virt.Conn, p virt.StoragePool, name, format string, size uint64) (virt.StorageVol, error) {
	x := volXML{Name: name, Capacity: &volSize{Unit: "bytes", Value: size}, Allocation: &volSize{Unit: "bytes", Value: 0}}
	x.Format.Type = format
	doc, err := xml.Marshal(x)
	if err != nil {
		return virt.StorageVol{}, err
	}
	v, err := c.CreateVolume(p, string(doc))
	if err != nil {
		return v, libvirtProblem(err, "create the volume")
	}
	return v, nil
}

// DeleteVolume deletes a volume and its file; refused while a VM uses it
// or an upload writes it.
func (s *Service) DeleteVolume(hostName, pool, name string) error {
	c, p, v, err := s.volume(hostName, pool, name)
	if err != nil {
		return err
	}
	vms, err := s.fresh(c, hostName)
	if err != nil {
		return err
	}
	d, err := describeVolume(c, vms, hostName, pool, v)
	if err != nil {
		return err
	}
	if len(d.UsedBy) > 0 {
		return inUse("volume", name, "delete", d.UsedBy)
	}
	claim, err := s.opts.Operations.Claim(volTarget(hostName, p, name), "volume-delete", name)
	if err != nil {
		return err
	}
	defer claim.Release()
	return libvirtProblem(c.DeleteVolume(v), "delete the volume")
}

// volTarget names a volume for operations and their exclusivity.
func volTarget(hostName string, p virt.StoragePool, name string) operation.Target {
	return operation.Target{Host: hostName, Resource: "volume", UUID: host.FormatUUID(p.UUID), Name: path.Join(p.Name, name)}
}

// HostSet adapts host.Set to Hosts.
type HostSet struct{ Set *host.Set }

// Client implements Hosts.
func (h HostSet) Client(name string) (virt.Conn, error) { return h.Set.Client(name) }

// Dial implements Hosts.
func (h HostSet) Dial(name string) (virt.Link, error) {
	hh, err := h.Set.Get(name)
	if err != nil {
		return nil, err
	}
	return hh.Dial()
}
