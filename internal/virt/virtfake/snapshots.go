package virtfake

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// DefaultVersion is the libvirt version a new fake reports (9.0.0, the
// version on which the integration tests run).
const DefaultVersion = 9_000_000

// firstSnapshotTime is the creation time of a new fake's first snapshot;
// each later one is a second younger, so that siblings have an order.
const firstSnapshotTime = 1_800_000_000

// Snapshot is one fake snapshot. Tests add them with AddSnapshot; the
// service's own CreateSnapshot calls make them too.
type Snapshot struct {
	Name string
	// Parent is the parent's name; "" for a root.
	Parent      string
	Description string
	// State is the domain's state when it was taken: "running", "paused",
	// "shutoff", or "disk-snapshot" (disk-only, of a running domain).
	// AddSnapshot fills in the domain's state when it is empty.
	State string
	// Memory is the memory snapshot mode: "internal", "external" or "no".
	// AddSnapshot fills in "internal" for a running or paused State, "no"
	// otherwise.
	Memory string
	// External makes the disks' snapshots external (overlay files).
	External bool
	// Created is the creation time in Unix seconds; AddSnapshot fills in
	// the fake's clock (a second later for each snapshot).
	Created int64
	// Domain is the domain XML captured with the snapshot; AddSnapshot
	// fills in the domain's XML.
	Domain string
}

// tree is one domain's snapshots, in creation order, and its current one.
type tree struct {
	snaps   []*Snapshot
	current string
}

// list returns the snapshots (none for a nil tree).
func (t *tree) list() []*Snapshot {
	if t == nil {
		return nil
	}
	return t.snaps
}

func (t *tree) get(name string) *Snapshot {
	for _, s := range t.list() {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (t *tree) children(name string) []*Snapshot {
	var out []*Snapshot
	for _, s := range t.list() {
		if s.Parent == name {
			out = append(out, s)
		}
	}
	return out
}

// descendants lists name's descendants, parents before children.
func (t *tree) descendants(name string) []*Snapshot {
	var out []*Snapshot
	for _, k := range t.children(name) {
		out = append(out, k)
		out = append(out, t.descendants(k.Name)...)
	}
	return out
}

func (s *Snapshot) external() bool { return s.External || s.Memory == "external" }

// AddSnapshot adds a snapshot to a domain, fills in what s leaves empty
// (see Snapshot) and makes it the current one, as taking it would. It
// panics when the domain, or the parent, is unknown or the name taken: a
// test that does so is wrong.
func (c *Conn) AddSnapshot(uuid virt.UUID, s Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.doms[uuid]
	if !ok {
		panic(fmt.Sprintf("virtfake: AddSnapshot %q to an unknown domain", s.Name))
	}
	c.addSnapshotLocked(d, s)
}

func (c *Conn) addSnapshotLocked(d *Domain, s Snapshot) {
	t := c.trees[d.UUID]
	if t == nil {
		t = &tree{}
		c.trees[d.UUID] = t
	}
	if t.get(s.Name) != nil || (s.Parent != "" && t.get(s.Parent) == nil) {
		panic(fmt.Sprintf("virtfake: snapshot %q exists, or its parent %q does not", s.Name, s.Parent))
	}
	if s.State == "" {
		s.State = stateName(d.State)
	}
	if s.Memory == "" {
		s.Memory = "no"
		if s.State == "running" || s.State == "paused" {
			s.Memory = "internal"
		}
	}
	if s.Created == 0 {
		s.Created = c.clock
		c.clock++
	}
	if s.Domain == "" {
		s.Domain = domainXML(d)
	}
	t.snaps = append(t.snaps, &s)
	t.current = s.Name
}

// SetCurrent makes name the domain's current snapshot ("" for none).
func (c *Conn) SetCurrent(uuid virt.UUID, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.trees[uuid]; t != nil {
		t.current = name
	}
}

// Current returns the name of the domain's current snapshot, or "".
func (c *Conn) Current(uuid virt.UUID) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.trees[uuid]; t != nil {
		return t.current
	}
	return ""
}

// Snapshots returns copies of the domain's snapshots in creation order.
func (c *Conn) Snapshots(uuid virt.UUID) []Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Snapshot
	for _, s := range c.trees[uuid].list() {
		out = append(out, *s)
	}
	return out
}

// SetJob sets whether a job runs on the domain and the statistics JobStats
// answers for it.
func (c *Conn) SetJob(uuid virt.UUID, running bool, stats ...virt.TypedParam) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !running {
		delete(c.jobs, uuid)
		return
	}
	c.jobs[uuid] = append([]virt.TypedParam{}, stats...)
}

// SetVersion sets the libvirt version LibVersion answers.
func (c *Conn) SetVersion(v uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = v
}

// NoSnapshot is the error libvirt answers for an unknown snapshot.
func NoSnapshot(name string) error {
	return virt.Error{Code: uint32(virt.ErrNoDomainSnapshot), Message: "Domain snapshot not found: no domain snapshot with matching name '" + name + "'"}
}

func stateName(s virt.DomainState) string {
	switch s {
	case virt.StateRunning, virt.StateBlocked:
		return "running"
	case virt.StatePaused, virt.StatePMSuspended:
		return "paused"
	case virt.StateShutdown:
		return "shutdown"
	case virt.StateCrashed:
		return "crashed"
	}
	return "shutoff"
}

// snapshotCall records a call on a snapshot and returns its domain's tree
// and the snapshot (libvirt's errors when either is unknown).
func (c *Conn) snapshotCall(method string, snap virt.DomainSnapshot) (*Domain, *tree, *Snapshot, error) {
	d, err := c.call(method, &snap.Dom)
	if err != nil {
		return nil, nil, nil, err
	}
	t := c.trees[d.UUID]
	s := t.get(snap.Name)
	if s == nil {
		return d, t, nil, NoSnapshot(snap.Name)
	}
	return d, t, s, nil
}

func (c *Conn) refs(d *Domain, snaps []*Snapshot) []virt.DomainSnapshot {
	out := make([]virt.DomainSnapshot, 0, len(snaps))
	for _, s := range snaps {
		out = append(out, virt.DomainSnapshot{Name: s.Name, Dom: c.ref(d)})
	}
	return out
}

// SnapshotCount implements virt.Conn.
func (c *Conn) SnapshotCount(dom virt.Domain) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("SnapshotCount", &dom)
	if err != nil {
		return 0, err
	}
	return len(c.trees[d.UUID].list()), nil
}

// LeafSnapshots implements virt.Conn.
func (c *Conn) LeafSnapshots(dom virt.Domain) ([]virt.DomainSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("LeafSnapshots", &dom)
	if err != nil {
		return nil, err
	}
	t := c.trees[d.UUID]
	var leaves []*Snapshot
	for _, s := range t.list() {
		if len(t.children(s.Name)) == 0 {
			leaves = append(leaves, s)
		}
	}
	return c.refs(d, leaves), nil
}

// DeleteSnapshot implements virt.Conn: the snapshot's children move to its
// parent and, when it was current, its parent becomes current, as in
// libvirt.
func (c *Conn) DeleteSnapshot(snap virt.DomainSnapshot) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, t, s, err := c.snapshotCall("DeleteSnapshot", snap)
	if err != nil {
		return err
	}
	for _, k := range t.children(s.Name) {
		k.Parent = s.Parent
	}
	if t.current == s.Name {
		t.current = s.Parent
	}
	t.snaps = slices.DeleteFunc(t.snaps, func(x *Snapshot) bool { return x == s })
	return nil
}

// ListSnapshots implements virt.Conn.
func (c *Conn) ListSnapshots(dom virt.Domain) ([]virt.DomainSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("ListSnapshots", &dom)
	if err != nil {
		return nil, err
	}
	return c.refs(d, c.trees[d.UUID].list()), nil
}

// LookupSnapshot implements virt.Conn.
func (c *Conn) LookupSnapshot(dom virt.Domain, name string) (virt.DomainSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, _, _, err := c.snapshotCall("LookupSnapshot", virt.DomainSnapshot{Name: name, Dom: dom})
	if err != nil {
		return virt.DomainSnapshot{}, err
	}
	return virt.DomainSnapshot{Name: name, Dom: c.ref(d)}, nil
}

// CurrentSnapshot implements virt.Conn.
func (c *Conn) CurrentSnapshot(dom virt.Domain) (virt.DomainSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("CurrentSnapshot", &dom)
	if err != nil {
		return virt.DomainSnapshot{}, err
	}
	t := c.trees[d.UUID]
	if t == nil || t.current == "" {
		return virt.DomainSnapshot{}, virt.Error{Code: uint32(virt.ErrNoDomainSnapshot), Message: "Domain snapshot not found: the domain does not have a current snapshot"}
	}
	return virt.DomainSnapshot{Name: t.current, Dom: c.ref(d)}, nil
}

// SnapshotIsCurrent implements virt.Conn.
func (c *Conn) SnapshotIsCurrent(snap virt.DomainSnapshot) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, t, s, err := c.snapshotCall("SnapshotIsCurrent", snap)
	if err != nil {
		return false, err
	}
	return t.current == s.Name, nil
}

// SnapshotXML implements virt.Conn: the document has the fields libvirt
// writes (name, description, state, parent, creation time, memory, disks
// from the captured domain's disk targets, the domain itself).
func (c *Conn) SnapshotXML(snap virt.DomainSnapshot, _ virt.SnapshotXMLFlags) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _, s, err := c.snapshotCall("SnapshotXML", snap)
	if err != nil {
		return "", err
	}
	return snapshotXML(s), nil
}

func snapshotXML(s *Snapshot) string {
	var b strings.Builder
	text := func(tag, v string) {
		b.WriteString("<" + tag + ">")
		_ = xml.EscapeText(&b, []byte(v))
		b.WriteString("</" + tag + ">")
	}
	b.WriteString("<domainsnapshot>")
	text("name", s.Name)
	if s.Description != "" {
		text("description", s.Description)
	}
	text("state", s.State)
	if s.Parent != "" {
		b.WriteString("<parent>")
		text("name", s.Parent)
		b.WriteString("</parent>")
	}
	text("creationTime", fmt.Sprint(s.Created))
	fmt.Fprintf(&b, "<memory snapshot='%s'/>", s.Memory)
	if disks := diskTargets(s.Domain); len(disks) > 0 {
		mode := "internal"
		if s.External {
			mode = "external"
		}
		b.WriteString("<disks>")
		for _, t := range disks {
			fmt.Fprintf(&b, "<disk name='%s' snapshot='%s'/>", t, mode)
		}
		b.WriteString("</disks>")
	}
	b.WriteString(s.Domain)
	b.WriteString("</domainsnapshot>")
	return b.String()
}

// diskTargets returns the target names of a domain's disks (not CD-ROMs).
func diskTargets(domain string) []string {
	var d struct {
		Disks []struct {
			Device string `xml:"device,attr"`
			Target struct {
				Dev string `xml:"dev,attr"`
			} `xml:"target"`
		} `xml:"devices>disk"`
	}
	if xml.Unmarshal([]byte(domain), &d) != nil {
		return nil
	}
	var out []string
	for _, x := range d.Disks {
		if (x.Device == "" || x.Device == "disk") && x.Target.Dev != "" {
			out = append(out, x.Target.Dev)
		}
	}
	return out
}

// SnapshotChildren implements virt.Conn.
func (c *Conn) SnapshotChildren(snap virt.DomainSnapshot, flags virt.SnapshotListFlags) ([]virt.DomainSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, t, s, err := c.snapshotCall("SnapshotChildren", snap)
	if err != nil {
		return nil, err
	}
	list := t.children(s.Name)
	if flags&virt.SnapshotListDescendants != 0 {
		list = t.descendants(s.Name)
	}
	var out []*Snapshot
	for _, x := range list {
		if flags&virt.SnapshotListLeaves != 0 && len(t.children(x.Name)) > 0 {
			continue
		}
		if flags&virt.SnapshotListExternal != 0 && !x.external() {
			continue
		}
		out = append(out, x)
	}
	return c.refs(d, out), nil
}

// snapshotDoc is what the fake reads of a snapshot definition.
type snapshotDoc struct {
	Name        string `xml:"name"`
	Description string `xml:"description"`
	Memory      struct {
		Snapshot string `xml:"snapshot,attr"`
	} `xml:"memory"`
}

func parseSnapshotDoc(doc string) (snapshotDoc, error) {
	var x snapshotDoc
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return x, virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: " + err.Error()}
	}
	if x.Name == "" {
		return x, virt.Error{Code: uint32(virt.ErrXMLError), Message: "XML error: the fake needs a snapshot name"}
	}
	return x, nil
}

// CreateSnapshot implements virt.Conn: the new snapshot records the
// domain's state (disk-snapshot with SnapshotCreateDiskOnly, whose disks
// are external) and XML, and becomes current, a child of the one current
// before. It checks only what the fake can know: the name is free, memory
// needs a running domain.
func (c *Conn) CreateSnapshot(dom virt.Domain, doc string, flags virt.SnapshotCreateFlags) (virt.DomainSnapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("CreateSnapshot", &dom)
	if err != nil {
		return virt.DomainSnapshot{}, err
	}
	x, err := parseSnapshotDoc(doc)
	if err != nil {
		return virt.DomainSnapshot{}, err
	}
	t := c.trees[d.UUID]
	if t.get(x.Name) != nil {
		return virt.DomainSnapshot{}, invalid(fmt.Sprintf("domain snapshot '%s' already exists", x.Name))
	}
	s := Snapshot{Name: x.Name, Description: x.Description, Memory: x.Memory.Snapshot, State: stateName(d.State)}
	if t != nil {
		s.Parent = t.current
	}
	if s.Memory == "" {
		s.Memory = "no"
	}
	if s.Memory != "no" && !active(d.State) {
		return virt.DomainSnapshot{}, invalid("cannot save memory of an inactive domain")
	}
	if flags&virt.SnapshotCreateDiskOnly != 0 {
		s.External = true
		if active(d.State) {
			s.State = "disk-snapshot"
		}
	}
	c.addSnapshotLocked(d, s)
	return virt.DomainSnapshot{Name: s.Name, Dom: c.ref(d)}, nil
}

// RedefineSnapshot implements virt.Conn: the fake takes the description
// from doc. Without current, a snapshot that was current is no longer
// (libvirt's REDEFINE without CURRENT).
func (c *Conn) RedefineSnapshot(dom virt.Domain, doc string, current bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("RedefineSnapshot", &dom)
	if err != nil {
		return err
	}
	x, err := parseSnapshotDoc(doc)
	if err != nil {
		return err
	}
	t := c.trees[d.UUID]
	s := t.get(x.Name)
	if s == nil {
		return NoSnapshot(x.Name)
	}
	s.Description = x.Description
	switch {
	case current:
		t.current = s.Name
	case t.current == s.Name:
		t.current = ""
	}
	return nil
}

// RevertSnapshot implements virt.Conn: the snapshot becomes current and
// the domain takes the state it records (running or paused ones keep their
// ID rules; a disk-only one of a running domain leaves it off), unless the
// flags ask for running or paused.
func (c *Conn) RevertSnapshot(snap virt.DomainSnapshot, flags virt.SnapshotRevertFlags) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, t, s, err := c.snapshotCall("RevertSnapshot", snap)
	if err != nil {
		return err
	}
	to := virt.StateShutoff
	switch {
	case flags&virt.SnapshotRevertRunning != 0:
		to = virt.StateRunning
	case flags&virt.SnapshotRevertPaused != 0:
		to = virt.StatePaused
	case s.State == "running":
		to = virt.StateRunning
	case s.State == "paused":
		to = virt.StatePaused
	}
	if s.Domain != "" {
		d.XML = s.Domain
	}
	c.setStateLocked(d, to)
	t.current = s.Name
	return nil
}

// JobRunning implements virt.Conn (see SetJob).
func (c *Conn) JobRunning(dom virt.Domain) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("JobRunning", &dom)
	if err != nil {
		return false, err
	}
	_, ok := c.jobs[d.UUID]
	return ok, nil
}

// JobStats implements virt.Conn (see SetJob).
func (c *Conn) JobStats(dom virt.Domain) ([]virt.TypedParam, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call("JobStats", &dom)
	if err != nil {
		return nil, err
	}
	return slices.Clone(c.jobs[d.UUID]), nil
}

// LibVersion implements virt.Conn (see SetVersion).
func (c *Conn) LibVersion() (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.call("LibVersion", nil); err != nil {
		return 0, err
	}
	return c.version, nil
}
