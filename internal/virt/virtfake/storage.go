package virtfake

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/virt"
	"libvirt.org/go/libvirtxml"
)

// Pool is one fake storage pool. Tests add it with AddPool; pools defined
// through DefinePool are directory pools of 100 GiB with 60 GiB free.
type Pool struct {
	Name string
	UUID virt.UUID
	// Type is the pool's type ("dir", "logical", ...).
	Type      string
	Path      string
	Active    bool
	Autostart bool
	// Capacity and Available are the pool's sizes; allocation is their
	// difference.
	Capacity, Available uint64
	vols                map[string]*Volume
}

// Volume is one fake volume; Data holds an uploaded content.
type Volume struct {
	Name       string
	Format     string
	Capacity   uint64
	Allocation uint64
	Data       []byte
	// Backing is the path of the image this (qcow2) volume is an overlay
	// on, or empty; VolumeXML answers it as libvirt does (<backingStore>).
	Backing string
}

func noPool(name string) error {
	return virt.Error{Code: uint32(virt.ErrNoStoragePool), Message: "Storage pool not found: no storage pool with matching name '" + name + "'"}
}

func noVol(name string) error {
	return virt.Error{Code: uint32(virt.ErrNoStorageVol), Message: "Storage volume not found: no storage vol with matching name '" + name + "'"}
}

// AddPool stores a pool (a copy), with the given volumes.
func (c *Conn) AddPool(p Pool, vols ...Volume) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pools == nil {
		c.pools = map[string]*Pool{}
	}
	p.vols = map[string]*Volume{}
	c.pools[p.Name] = &p
	for _, v := range vols {
		v := v
		p.vols[v.Name] = &v
		c.vols[path.Join(p.Path, v.Name)] = true
	}
}

// PoolState returns a copy of the named pool and the names of its
// volumes, and whether it exists.
func (c *Conn) PoolState(name string) (Pool, []string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pools[name]
	if !ok {
		return Pool{}, nil, false
	}
	var names []string
	for n := range p.vols {
		names = append(names, n)
	}
	sort.Strings(names)
	out := *p
	out.vols = nil
	return out, names, true
}

// VolumeData returns the content uploaded into a volume.
func (c *Conn) VolumeData(pool, name string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.pools[pool]; ok {
		if v, ok := p.vols[name]; ok {
			return slices.Clone(v.Data), true
		}
	}
	return nil, false
}

func (c *Conn) poolLocked(method string, ref virt.StoragePool) (*Pool, error) {
	if _, err := c.call(method, nil); err != nil {
		return nil, err
	}
	p, ok := c.pools[ref.Name]
	if !ok {
		return nil, noPool(ref.Name)
	}
	return p, nil
}

func (c *Conn) volLocked(method string, ref virt.StorageVol) (*Pool, *Volume, error) {
	p, err := c.poolLocked(method, virt.StoragePool{Name: ref.Pool})
	if err != nil {
		return nil, nil, err
	}
	v, ok := p.vols[ref.Name]
	if !ok {
		return nil, nil, noVol(ref.Name)
	}
	return p, v, nil
}

func poolRef(p *Pool) virt.StoragePool { return virt.StoragePool{Name: p.Name, UUID: p.UUID} }

func volRef(p *Pool, v *Volume) virt.StorageVol {
	k := path.Join(p.Path, v.Name)
	return virt.StorageVol{Pool: p.Name, Name: v.Name, Key: k}
}

// dropPoolVolumeLocked forgets a deleted volume in its pool.
func (c *Conn) dropPoolVolumeLocked(vol virt.StorageVol) {
	if p, ok := c.pools[vol.Pool]; ok {
		if v, ok := p.vols[vol.Name]; ok {
			p.Available += v.Allocation
			delete(p.vols, vol.Name)
		}
	}
}

// ListPools implements virt.Conn.
func (c *Conn) ListPools() ([]virt.StoragePool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("ListPools", nil); err != nil {
		return nil, err
	}
	var out []virt.StoragePool
	for _, p := range c.pools {
		out = append(out, poolRef(p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LookupPool implements virt.Conn.
func (c *Conn) LookupPool(name string) (virt.StoragePool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("LookupPool", virt.StoragePool{Name: name})
	if err != nil {
		return virt.StoragePool{}, err
	}
	return poolRef(p), nil
}

// PoolInfo implements virt.Conn.
func (c *Conn) PoolInfo(ref virt.StoragePool) (virt.PoolInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("PoolInfo", ref)
	if err != nil {
		return virt.PoolInfo{}, err
	}
	if !p.Active {
		return virt.PoolInfo{State: virt.PoolInactive}, nil
	}
	return virt.PoolInfo{State: virt.PoolRunning, Capacity: p.Capacity, Allocation: p.Capacity - p.Available, Available: p.Available}, nil
}

// PoolXML implements virt.Conn.
func (c *Conn) PoolXML(ref virt.StoragePool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("PoolXML", ref)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("<pool type='%s'><name>%s</name><target><path>%s</path></target></pool>", p.Type, p.Name, p.Path), nil
}

// PoolAutostart implements virt.Conn.
func (c *Conn) PoolAutostart(ref virt.StoragePool) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("PoolAutostart", ref)
	if err != nil {
		return false, err
	}
	return p.Autostart, nil
}

// DefinePool implements virt.Conn: it understands directory pools.
func (c *Conn) DefinePool(doc string) (virt.StoragePool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("DefinePool", nil); err != nil {
		return virt.StoragePool{}, err
	}
	var x struct {
		Type string `xml:"type,attr"`
		Name string `xml:"name"`
		Path string `xml:"target>path"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil || x.Name == "" {
		return virt.StoragePool{}, virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: bad pool definition"}
	}
	if c.pools == nil {
		c.pools = map[string]*Pool{}
	}
	if _, ok := c.pools[x.Name]; ok {
		return virt.StoragePool{}, virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: pool '" + x.Name + "' already exists"}
	}
	var u virt.UUID
	copy(u[:], fmt.Sprintf("pool-%-11s", x.Name))
	p := &Pool{Name: x.Name, UUID: u, Type: x.Type, Path: x.Path, Capacity: 100 << 30, Available: 60 << 30, vols: map[string]*Volume{}}
	c.pools[x.Name] = p
	return poolRef(p), nil
}

// BuildPool implements virt.Conn.
func (c *Conn) BuildPool(ref virt.StoragePool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.poolLocked("BuildPool", ref)
	return err
}

// StartPool implements virt.Conn.
func (c *Conn) StartPool(ref virt.StoragePool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("StartPool", ref)
	if err != nil {
		return err
	}
	if p.Active {
		return invalid("storage pool '" + p.Name + "' is already active")
	}
	p.Active = true
	return nil
}

// StopPool implements virt.Conn.
func (c *Conn) StopPool(ref virt.StoragePool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("StopPool", ref)
	if err != nil {
		return err
	}
	if !p.Active {
		return invalid("storage pool '" + p.Name + "' is not active")
	}
	p.Active = false
	return nil
}

// RefreshPool implements virt.Conn.
func (c *Conn) RefreshPool(ref virt.StoragePool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("RefreshPool", ref)
	if err == nil && !p.Active {
		err = invalid("storage pool '" + p.Name + "' is not active")
	}
	return err
}

// UndefinePool implements virt.Conn.
func (c *Conn) UndefinePool(ref virt.StoragePool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("UndefinePool", ref)
	if err != nil {
		return err
	}
	if p.Active {
		return invalid("storage pool '" + p.Name + "' is still active")
	}
	delete(c.pools, p.Name)
	return nil
}

// ListVolumes implements virt.Conn.
func (c *Conn) ListVolumes(ref virt.StoragePool) ([]virt.StorageVol, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("ListVolumes", ref)
	if err != nil {
		return nil, err
	}
	if !p.Active {
		return nil, invalid("storage pool '" + p.Name + "' is not active")
	}
	var out []virt.StorageVol
	for _, v := range p.vols {
		out = append(out, volRef(p, v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LookupVolume implements virt.Conn.
func (c *Conn) LookupVolume(ref virt.StoragePool, name string) (virt.StorageVol, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, v, err := c.volLocked("LookupVolume", virt.StorageVol{Pool: ref.Name, Name: name})
	if err != nil {
		return virt.StorageVol{}, err
	}
	return volRef(p, v), nil
}

// VolumeInfo implements virt.Conn.
func (c *Conn) VolumeInfo(ref virt.StorageVol) (uint64, uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, v, err := c.volLocked("VolumeInfo", ref)
	if err != nil {
		return 0, 0, err
	}
	return v.Capacity, v.Allocation, nil
}

// VolumeXML implements virt.Conn.
func (c *Conn) VolumeXML(ref virt.StorageVol) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, v, err := c.volLocked("VolumeXML", ref)
	if err != nil {
		return "", err
	}
	backing := ""
	if v.Backing != "" {
		backing = fmt.Sprintf("<backingStore><path>%s</path><format type='raw'/></backingStore>", v.Backing)
	}
	return fmt.Sprintf("<volume type='file'><name>%s</name><key>%[2]s</key><physical unit='bytes'>%d</physical><target><path>%[2]s</path><format type='%[4]s'/></target>%[5]s</volume>",
		v.Name, path.Join(p.Path, v.Name), len(v.Data), v.Format, backing), nil
}

// CreateVolume implements virt.Conn: it understands name, capacity (in
// bytes) and format.
func (c *Conn) CreateVolume(ref virt.StoragePool, doc string) (virt.StorageVol, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolLocked("CreateVolume", ref)
	if err != nil {
		return virt.StorageVol{}, err
	}
	var x struct {
		Name     string `xml:"name"`
		Capacity uint64 `xml:"capacity"`
		Format   struct {
			Type string `xml:"type,attr"`
		} `xml:"target>format"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil || x.Name == "" {
		return virt.StorageVol{}, virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: bad volume definition"}
	}
	if _, ok := p.vols[x.Name]; ok {
		return virt.StorageVol{}, virt.Error{Code: uint32(virt.ErrStorageVolExist), Message: "storage volume '" + x.Name + "' exists already"}
	}
	alloc := uint64(0)
	if x.Format.Type == "qcow2" {
		alloc = 196 << 10
	}
	if alloc > p.Available {
		return virt.StorageVol{}, virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: no space"}
	}
	p.Available -= alloc
	v := &Volume{Name: x.Name, Format: x.Format.Type, Capacity: x.Capacity, Allocation: alloc}
	p.vols[x.Name] = v
	r := volRef(p, v)
	c.vols[r.Key] = true
	return r, nil
}

// UploadVolume implements virt.Link: the volume holds what r gives, up
// to length bytes.
func (l *link) UploadVolume(ref virt.StorageVol, r io.Reader, length uint64) error {
	c := l.Conn
	c.mu.Lock()
	_, _, err := c.volLocked("UploadVolume", ref)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	var b strings.Builder
	if _, err := io.Copy(&b, io.LimitReader(r, int64(length))); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, v, err := c.volLocked("UploadVolume.end", ref)
	if err != nil {
		return err
	}
	grow := uint64(b.Len()) - min(uint64(b.Len()), v.Allocation)
	p.Available -= min(grow, p.Available)
	v.Data = []byte(b.String())
	v.Allocation = max(v.Allocation, uint64(b.Len()))
	return nil
}

// DownloadVolume implements virt.Link.
func (l *link) DownloadVolume(ref virt.StorageVol, w io.Writer) error {
	c := l.Conn
	c.mu.Lock()
	_, v, err := c.volLocked("DownloadVolume", ref)
	var data []byte
	if err == nil {
		data = slices.Clone(v.Data)
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// ResizeVolume implements virt.Conn: it grows the volume's capacity and
// refuses a shrink as libvirt does.
func (c *Conn) ResizeVolume(ref virt.StorageVol, capacity uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, v, err := c.volLocked("ResizeVolume", ref)
	if err != nil {
		return err
	}
	if capacity < v.Capacity {
		return virt.Error{Code: uint32(virt.ErrInvalidArg), Message: "invalid argument: Can't shrink capacity below current capacity unless shrink flag explicitly specified"}
	}
	v.Capacity = capacity
	return nil
}

// CloneVolume implements virt.Conn: the new volume (name and format from
// doc) gets src's capacity, allocation and content.
func (c *Conn) CloneVolume(ref virt.StoragePool, doc string, src virt.StorageVol) (virt.StorageVol, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, sv, err := c.volLocked("CloneVolume", src)
	if err != nil {
		return virt.StorageVol{}, err
	}
	p, err := c.poolLocked("CloneVolume.pool", ref)
	if err != nil {
		return virt.StorageVol{}, err
	}
	var x struct {
		Name   string `xml:"name"`
		Format struct {
			Type string `xml:"type,attr"`
		} `xml:"target>format"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil || x.Name == "" {
		return virt.StorageVol{}, virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: bad volume definition"}
	}
	if _, ok := p.vols[x.Name]; ok {
		return virt.StorageVol{}, virt.Error{Code: uint32(virt.ErrStorageVolExist), Message: "storage volume '" + x.Name + "' exists already"}
	}
	if sv.Allocation > p.Available {
		return virt.StorageVol{}, virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: no space"}
	}
	p.Available -= sv.Allocation
	v := &Volume{Name: x.Name, Format: cmp.Or(x.Format.Type, sv.Format), Capacity: sv.Capacity, Allocation: sv.Allocation, Data: slices.Clone(sv.Data)}
	p.vols[x.Name] = v
	r := volRef(p, v)
	c.vols[r.Key] = true
	return r, nil
}

// BlockResize implements virt.Conn: it records the call ("BlockResize
// <vm> <disk> <size>") for tests to check.
func (c *Conn) BlockResize(dom virt.Domain, disk string, size uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("BlockResize", &dom)
	if err != nil {
		return err
	}
	if d.State != virt.StateRunning && d.State != virt.StatePaused {
		return virt.Error{Code: uint32(virt.ErrOperationInvalid), Message: "Requested operation is not valid: domain is not running"}
	}
	c.calls = append(c.calls, fmt.Sprintf("BlockResize %s %s %d", d.Name, disk, size))
	return nil
}

// UpdateDevice implements virt.Conn for disks: the disk of the domain's
// XML with doc's target is replaced by doc (live and config alike, as
// the fake keeps one XML).
func (c *Conn) UpdateDevice(dom virt.Domain, doc string, flags virt.DeviceModifyFlags) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("UpdateDevice", &dom)
	if err != nil {
		return err
	}
	if flags&virt.DeviceModifyLive != 0 && d.State != virt.StateRunning && d.State != virt.StatePaused {
		return virt.Error{Code: uint32(virt.ErrOperationInvalid), Message: "Requested operation is not valid: domain is not running"}
	}
	var disk libvirtxml.DomainDisk
	if err := disk.Unmarshal(doc); err != nil || disk.Target == nil {
		return virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: bad disk"}
	}
	var x libvirtxml.Domain
	if err := x.Unmarshal(domainXML(d)); err != nil {
		return err
	}
	if x.Devices != nil {
		for i, old := range x.Devices.Disks {
			if old.Target != nil && old.Target.Dev == disk.Target.Dev {
				x.Devices.Disks[i] = disk
				out, err := x.Marshal()
				if err != nil {
					return err
				}
				d.XML = out
				return nil
			}
		}
	}
	return virt.Error{Code: uint32(virt.ErrOperationFailed), Message: "operation failed: target " + disk.Target.Dev + " doesn't exist"}
}
