// Package virtfake is an in-memory virt.Conn (and virt.Link) for unit
// tests: it holds domains with their state, XML, autostart and persistence
// flags, snapshot trees (parent, current, XML), job statistics and storage
// volumes, applies power actions, snapshot changes and console streams as
// libvirt would, and records every call so that a test can assert what a
// service did (and, as important, what it did not do). It answers like
// libvirt does, with virt.Error values, so the services' error handling
// runs unchanged. Fail and Before inject failures, or changes made while a
// call runs.
package virtfake

import (
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Domain is one fake domain. Tests fill it and add it with Conn.Add.
type Domain struct {
	Name string
	UUID virt.UUID
	// ID is the running domain's ID (Add gives running domains one).
	ID         int32
	State      virt.DomainState
	Reason     int32
	Persistent bool
	Autostart  bool
	// XML is the domain's XML, answered for live and inactive reads alike;
	// when empty a minimal one is made from Name and UUID.
	XML string
	// Snapshots is how many snapshots the domain has. Given to Add, it
	// makes a chain s1..sN (sN current); Get reports the count. AddSnapshot
	// builds other trees.
	Snapshots int
	// StatsPeriod is the memory stats period set on the running domain
	// (SetMemoryStatsPeriod); it resets when the domain stops.
	StatsPeriod int
	// Balloon, when set, is added to the domain's stats records while it
	// runs: fields such as "balloon.rss" with their values in KiB.
	Balloon map[string]uint64
}

// Conn is an in-memory virt.Conn. The zero value is not ready: use New.
type Conn struct {
	mu      sync.Mutex
	doms    map[virt.UUID]*Domain
	vols    map[string]bool // paths of files a pool holds
	nextID  int32
	calls   []string
	failing map[string]error
	hooks   map[string]func() error
	trees   map[virt.UUID]*tree // snapshots per domain
	jobs    map[virt.UUID][]virt.TypedParam
	clock   int64  // the next snapshot's creation time (Unix seconds)
	version uint64 // what LibVersion answers
	// consoles are the open consoles by domain; links the links they
	// are open on.
	consoles map[virt.UUID]*console
	links    []*link
	// pools are the storage pools by name (storage.go).
	pools map[string]*Pool
	// nets are the virtual networks by name, guests what running
	// domains' guests answer (network.go).
	nets   map[string]*Network
	guests map[virt.UUID]*Guest
	// blocks are the disks' block jobs (block.go).
	blocks map[blockKey]virt.BlockJob
}

var _ virt.Conn = (*Conn)(nil)

// New returns an empty fake.
func New() *Conn {
	return &Conn{doms: map[virt.UUID]*Domain{}, vols: map[string]bool{}, nextID: 1, failing: map[string]error{},
		hooks: map[string]func() error{}, trees: map[virt.UUID]*tree{}, jobs: map[virt.UUID][]virt.TypedParam{},
		clock: firstSnapshotTime, version: DefaultVersion, consoles: map[virt.UUID]*console{}}
}

// Add stores a domain (a copy; later changes go through Conn's methods).
func (c *Conn) Add(d Domain) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if active(d.State) && d.ID == 0 {
		d.ID = c.nextID
		c.nextID++
	}
	n := d.Snapshots
	d.Snapshots = 0 // the tree holds them; Get counts it
	c.doms[d.UUID] = &d
	delete(c.trees, d.UUID)
	for i := 1; i <= n; i++ {
		parent := ""
		if i > 1 {
			parent = fmt.Sprintf("s%d", i-1)
		}
		c.addSnapshotLocked(&d, Snapshot{Name: fmt.Sprintf("s%d", i), Parent: parent})
	}
}

// Remove drops a domain, as if it were undefined behind the service's back.
func (c *Conn) Remove(uuid virt.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.doms, uuid)
	delete(c.trees, uuid)
	c.endConsoleLocked(uuid, nil)
}

// Get returns a copy of a domain and whether it exists.
func (c *Conn) Get(uuid virt.UUID) (Domain, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.doms[uuid]
	if !ok {
		return Domain{}, false
	}
	out := *d
	out.Snapshots = len(c.trees[uuid].list())
	return out, true
}

// SetState changes a domain's state, as the guest or another tool would.
func (c *Conn) SetState(uuid virt.UUID, s virt.DomainState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.doms[uuid]; ok {
		c.setStateLocked(d, s)
	}
}

// SetStateReason changes a domain's state and gives the reason State
// answers with it (a virt.PausedReason or virt.ShutoffReason).
func (c *Conn) SetStateReason(uuid virt.UUID, s virt.DomainState, reason int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.doms[uuid]; ok {
		c.setStateLocked(d, s)
		d.Reason = reason
	}
}

// AddVolume makes path a file that a storage pool holds, so that removing
// it goes through DeleteVolume.
func (c *Conn) AddVolume(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vols[path] = true
}

// HasVolume reports whether a pool still holds path.
func (c *Conn) HasVolume(path string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vols[path]
}

// Fail makes every later call of the named method (e.g. "Start") return err;
// a nil err heals it.
func (c *Conn) Fail(method string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		delete(c.failing, method)
		return
	}
	c.failing[method] = err
}

// Before makes every later call of the named method run fn first, outside
// the fake's lock (so fn may block, or change the fake through its
// methods); when fn returns an error, the call returns it and does
// nothing else. A nil fn removes the hook.
func (c *Conn) Before(method string, fn func() error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fn == nil {
		delete(c.hooks, method)
		return
	}
	c.hooks[method] = fn
}

// Calls returns the methods called so far, in order, each as "Method" or
// "Method name" when it acts on one domain.
func (c *Conn) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// Called reports whether call (as Calls spells it) was made.
func (c *Conn) Called(call string) bool { return slices.Contains(c.Calls(), call) }

// NoDomain is the error libvirt answers for an unknown domain.
func NoDomain(what string) error {
	return virt.Error{Code: uint32(virt.ErrNoDomain), Message: "Domain not found: " + what}
}

func active(s virt.DomainState) bool {
	return s != virt.StateShutoff && s != virt.StateNoState && s != virt.StateCrashed
}

func (c *Conn) setStateLocked(d *Domain, s virt.DomainState) {
	d.State, d.Reason = s, 1
	switch {
	case active(s) && d.ID == 0:
		d.ID = c.nextID
		c.nextID++
	case !active(s):
		d.ID = 0
		c.endConsoleLocked(d.UUID, nil) // the stream ends cleanly, as libvirt's does
		d.StatsPeriod = 0
	}
}

// call records a call, runs its Before hook (releasing the lock, which the
// caller holds, while the hook runs) and returns the hook's error or the
// injected failure, or else the domain it acts on (when dom is given;
// libvirt's "no domain" error when it is unknown).
func (c *Conn) call(method string, dom *virt.Domain) (*Domain, error) {
	rec := method
	if dom != nil {
		rec += " " + dom.Name
	}
	c.calls = append(c.calls, rec)
	if fn := c.hooks[method]; fn != nil {
		c.mu.Unlock()
		err := fn()
		c.mu.Lock()
		if err != nil {
			return nil, err
		}
	}
	if err := c.failing[method]; err != nil {
		return nil, err
	}
	if dom == nil {
		return nil, nil
	}
	d, ok := c.doms[dom.UUID]
	if !ok {
		return nil, NoDomain(fmt.Sprintf("no domain with matching uuid '%x'", dom.UUID[:]))
	}
	return d, nil
}

func (c *Conn) ref(d *Domain) virt.Domain { return virt.Domain{Name: d.Name, UUID: d.UUID, ID: d.ID} }

func invalid(msg string) error {
	return virt.Error{Code: uint32(virt.ErrOperationInvalid), Message: "Requested operation is not valid: " + msg}
}

// ListDomains implements virt.Conn.
func (c *Conn) ListDomains() ([]virt.Domain, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("ListDomains", nil); err != nil {
		return nil, err
	}
	out := make([]virt.Domain, 0, len(c.doms))
	for _, d := range c.doms {
		out = append(out, c.ref(d))
	}
	return out, nil
}

// LookupDomain implements virt.Conn.
func (c *Conn) LookupDomain(uuid virt.UUID) (virt.Domain, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("LookupDomain", &virt.Domain{UUID: uuid})
	if err != nil {
		return virt.Domain{}, err
	}
	return c.ref(d), nil
}

// State implements virt.Conn.
func (c *Conn) State(dom virt.Domain) (int32, int32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("State", &dom)
	if err != nil {
		return 0, 0, err
	}
	return int32(d.State), d.Reason, nil
}

// XML implements virt.Conn.
func (c *Conn) XML(dom virt.Domain, _ virt.DomainXMLFlags) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("XML", &dom)
	if err != nil {
		return "", err
	}
	return domainXML(d), nil
}

// domainXML is the domain's XML, or a minimal one made from its name and
// UUID.
func domainXML(d *Domain) string {
	if d.XML != "" {
		return d.XML
	}
	u := d.UUID
	return fmt.Sprintf("<domain type='kvm'><name>%s</name><uuid>%x-%x-%x-%x-%x</uuid><memory unit='KiB'>1024</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>",
		d.Name, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Autostart implements virt.Conn.
func (c *Conn) Autostart(dom virt.Domain) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("Autostart", &dom)
	if err != nil {
		return false, err
	}
	return d.Autostart, nil
}

// SetAutostart implements virt.Conn.
func (c *Conn) SetAutostart(dom virt.Domain, on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("SetAutostart", &dom)
	if err != nil {
		return err
	}
	if !d.Persistent {
		return invalid("cannot set autostart for transient domain")
	}
	d.Autostart = on
	return nil
}

// Persistent implements virt.Conn.
func (c *Conn) Persistent(dom virt.Domain) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("Persistent", &dom)
	if err != nil {
		return false, err
	}
	return d.Persistent, nil
}

// power applies an action whose precondition is a state check.
func (c *Conn) power(method string, dom virt.Domain, ok func(virt.DomainState) bool, to virt.DomainState) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call(method, &dom)
	if err != nil {
		return err
	}
	if !ok(d.State) {
		return invalid(fmt.Sprintf("%s: domain is in state %d", method, d.State))
	}
	c.setStateLocked(d, to)
	return nil
}

func isState(states ...virt.DomainState) func(virt.DomainState) bool {
	return func(s virt.DomainState) bool { return slices.Contains(states, s) }
}

// Start implements virt.Conn.
func (c *Conn) Start(dom virt.Domain) error {
	return c.power("Start", dom, isState(virt.StateShutoff, virt.StateCrashed, virt.StateNoState), virt.StateRunning)
}

// Shutdown implements virt.Conn. The fake guest does not power off by
// itself: the test decides when (SetState), as a real guest would.
func (c *Conn) Shutdown(dom virt.Domain) error {
	return c.power("Shutdown", dom, isState(virt.StateRunning), virt.StateRunning)
}

// Reboot implements virt.Conn.
func (c *Conn) Reboot(dom virt.Domain) error {
	return c.power("Reboot", dom, isState(virt.StateRunning), virt.StateRunning)
}

// Destroy implements virt.Conn. A transient domain disappears, as in libvirt.
func (c *Conn) Destroy(dom virt.Domain) error {
	err := c.power("Destroy", dom, active, virt.StateShutoff)
	if err == nil {
		c.mu.Lock()
		if d := c.doms[dom.UUID]; d != nil && !d.Persistent {
			delete(c.doms, dom.UUID)
		}
		c.mu.Unlock()
	}
	return err
}

// Reset implements virt.Conn.
func (c *Conn) Reset(dom virt.Domain) error {
	return c.power("Reset", dom, isState(virt.StateRunning, virt.StatePaused), virt.StateRunning)
}

// Suspend implements virt.Conn.
func (c *Conn) Suspend(dom virt.Domain) error {
	return c.power("Suspend", dom, isState(virt.StateRunning), virt.StatePaused)
}

// Resume implements virt.Conn.
func (c *Conn) Resume(dom virt.Domain) error {
	return c.power("Resume", dom, isState(virt.StatePaused), virt.StateRunning)
}

// Undefine implements virt.Conn: a stopped domain goes away, a running one
// becomes transient (as in libvirt).
func (c *Conn) Undefine(dom virt.Domain, _ virt.UndefineFlags) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("Undefine", &dom)
	if err != nil {
		return err
	}
	if !d.Persistent {
		return invalid("cannot undefine transient domain")
	}
	if len(c.trees[d.UUID].list()) > 0 {
		return invalid("cannot delete inactive domain with snapshots")
	}
	if active(d.State) {
		d.Persistent = false
		return nil
	}
	delete(c.doms, dom.UUID)
	return nil
}

// Define implements virt.Conn: it replaces the XML (and name) of the domain
// with the document's UUID, or adds a stopped persistent domain. It checks
// only that the document parses and names a UUID, not libvirt's schema.
func (c *Conn) Define(doc string) (virt.Domain, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("Define", nil); err != nil {
		return virt.Domain{}, err
	}
	var head struct {
		Name string `xml:"name"`
		UUID string `xml:"uuid"`
	}
	if err := xml.Unmarshal([]byte(doc), &head); err != nil {
		return virt.Domain{}, virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: " + err.Error()}
	}
	u, ok := parseUUID(head.UUID)
	if !ok || head.Name == "" {
		return virt.Domain{}, virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: a domain needs a name and a UUID"}
	}
	d, ok := c.doms[u]
	if !ok {
		d = &Domain{UUID: u, State: virt.StateShutoff}
		c.doms[u] = d
	}
	d.Name, d.XML, d.Persistent = head.Name, doc, true
	return c.ref(d), nil
}

// parseUUID reads a UUID in its canonical text form.
func parseUUID(s string) (virt.UUID, bool) {
	var u virt.UUID
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != len(u) {
		return u, false
	}
	copy(u[:], b)
	return u, true
}

// AllDomainStats implements virt.Conn: each record carries the domain's
// state ("state.state"), which is what the inventory compares, and the
// domain's Balloon fields.
func (c *Conn) AllDomainStats(doms []virt.Domain, _ virt.StatsTypes, flags virt.StatsFlags) ([]virt.DomainStatsRecord, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("AllDomainStats", nil); err != nil {
		return nil, err
	}
	var out []virt.DomainStatsRecord
	add := func(d *Domain) {
		if flags&virt.StatsActive != 0 && !active(d.State) {
			return
		}
		params := []virt.TypedParam{{Field: "state.state", Value: virt.TypedParamValue{D: 1, I: int32(d.State)}}}
		for _, f := range slices.Sorted(maps.Keys(d.Balloon)) {
			params = append(params, virt.TypedParam{Field: f, Value: virt.TypedParamValue{D: 4, I: d.Balloon[f]}})
		}
		out = append(out, virt.DomainStatsRecord{Dom: c.ref(d), Params: params})
	}
	if doms == nil {
		for _, d := range c.doms {
			add(d)
		}
		return out, nil
	}
	for _, r := range doms {
		if d, ok := c.doms[r.UUID]; ok {
			add(d)
		}
	}
	return out, nil
}

// LookupVolumeByPath implements virt.Conn.
func (c *Conn) LookupVolumeByPath(path string) (virt.StorageVol, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("LookupVolumeByPath", nil); err != nil {
		return virt.StorageVol{}, err
	}
	if !c.vols[path] {
		return virt.StorageVol{}, virt.Error{Code: uint32(virt.ErrNoStorageVol), Message: "Storage volume not found: " + path}
	}
	// A volume of a pool (AddPool) is that volume; a path made a volume
	// with AddVolume alone belongs to no pool the fake knows.
	for _, p := range c.pools {
		for _, v := range p.vols {
			if volRef(p, v).Key == path {
				return volRef(p, v), nil
			}
		}
	}
	return virt.StorageVol{Pool: "default", Name: path, Key: path}, nil
}

// DeleteVolume implements virt.Conn.
func (c *Conn) DeleteVolume(vol virt.StorageVol) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("DeleteVolume", nil); err != nil {
		return err
	}
	if !c.vols[vol.Key] {
		return virt.Error{Code: uint32(virt.ErrNoStorageVol), Message: "Storage volume not found: " + vol.Key}
	}
	delete(c.vols, vol.Key)
	c.dropPoolVolumeLocked(vol)
	return nil
}

// DomainXML is a minimal domain definition around devices, for tests of
// code that reads or edits domain XML; running adds the id attribute
// libvirt gives running domains.
func DomainXML(running bool, devices string) string {
	id := ""
	if running {
		id = ` id="7"`
	}
	return `<domain type="qemu"` + id + `><name>web-1</name><uuid>3ebff392-0803-4fe8-8612-5bed46ecf81f</uuid><memory>65536</memory>` +
		`<os><type arch="x86_64">hvm</type></os><devices>` + devices + `</devices></domain>`
}

// SetMemoryStatsPeriod implements virt.Conn: like libvirt, it needs a
// running domain.
func (c *Conn) SetMemoryStatsPeriod(dom virt.Domain, seconds int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("SetMemoryStatsPeriod", &dom)
	if err != nil {
		return err
	}
	if !active(d.State) {
		return invalid("domain is not running")
	}
	d.StatsPeriod = seconds
	return nil
}

// SetBalloon sets the balloon fields a running domain's stats records carry
// (see Domain.Balloon).
func (c *Conn) SetBalloon(uuid virt.UUID, fields map[string]uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.doms[uuid]; ok {
		d.Balloon = maps.Clone(fields)
	}
}
