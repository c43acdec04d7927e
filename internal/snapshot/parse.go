package snapshot

import (
	"encoding/xml"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// summaryXML is the part of a snapshot's XML that lists need. Decoding
// into it skips the (large) domain definitions without building them.
type summaryXML struct {
	XMLName      xml.Name                         `xml:"domainsnapshot"`
	Name         string                           `xml:"name"`
	Description  string                           `xml:"description"`
	State        string                           `xml:"state"`
	CreationTime string                           `xml:"creationTime"`
	Parent       *libvirtxml.DomainSnapshotParent `xml:"parent"`
	Memory       *libvirtxml.DomainSnapshotMemory `xml:"memory"`
	Disks        []summaryDiskXML                 `xml:"disks>disk"`
}

type summaryDiskXML struct {
	Name     string `xml:"name,attr"`
	Snapshot string `xml:"snapshot,attr"`
}

// parseSummary reads the list fields of one snapshot XML document.
func parseSummary(doc string) (Snapshot, error) {
	var x summaryXML
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		return Snapshot{}, fmt.Errorf("parse snapshot XML: %w", err)
	}
	if x.Name == "" {
		return Snapshot{}, fmt.Errorf("parse snapshot XML: no name")
	}
	s := Snapshot{Name: x.Name, Description: x.Description, State: x.State, Children: []string{}}
	if x.CreationTime != "" {
		sec, err := strconv.ParseInt(strings.TrimSpace(x.CreationTime), 10, 64)
		if err != nil {
			return Snapshot{}, fmt.Errorf("parse snapshot XML: creation time %q: %w", x.CreationTime, err)
		}
		s.CreationTime = time.Unix(sec, 0).UTC()
	}
	if x.Parent != nil {
		s.Parent = x.Parent.Name
	}
	memory := ""
	if x.Memory != nil {
		memory = x.Memory.Snapshot
	}
	disks := make([]string, 0, len(x.Disks))
	for _, d := range x.Disks {
		disks = append(disks, d.Snapshot)
	}
	s.Location, s.Memory = location(memory, disks, s.State)
	return s, nil
}

// location classifies a snapshot from its memory and disk snapshot modes.
// Snapshots from old libvirt versions name no memory mode; their state
// tells: a running or paused snapshot held memory.
func location(memory string, disks []string, state string) (string, bool) {
	hasMemory := memory == "internal" || memory == "external" ||
		(memory == "" && (inventory.State(state) == inventory.StateRunning || inventory.State(state) == inventory.StatePaused))
	loc := "internal"
	if memory == "external" {
		loc = "external"
	}
	for _, d := range disks {
		if d == "external" {
			loc = "external"
		}
	}
	return loc, hasMemory
}

// summaryCache remembers parsed summaries by a hash of their XML, so that
// listing hundreds of snapshots parses only those that changed. XML that
// changed behind our back (virsh snapshot-edit) hashes differently and is
// parsed again.
type summaryCache struct {
	seed maphash.Seed
	mu   sync.Mutex
	vms  map[string]map[string]cached // vm key → snapshot name → entry
}

type cached struct {
	hash uint64
	snap Snapshot
}

func newSummaryCache() *summaryCache {
	return &summaryCache{seed: maphash.MakeSeed(), vms: make(map[string]map[string]cached)}
}

// parse returns the summary of snapshot name's XML doc, from the cache
// when doc is unchanged. The caller owns the returned value (its Children
// slice is fresh).
func (c *summaryCache) parse(vmKey, name, doc string) (Snapshot, uint64, error) {
	h := maphash.String(c.seed, doc)
	c.mu.Lock()
	e, ok := c.vms[vmKey]
	var hit cached
	if ok {
		hit, ok = e[name]
	}
	c.mu.Unlock()
	if ok && hit.hash == h {
		s := hit.snap
		s.Children = []string{}
		return s, h, nil
	}
	s, err := parseSummary(doc)
	return s, h, err
}

// store replaces the VM's cache with the given entries.
func (c *summaryCache) store(vmKey string, entries map[string]cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vms[vmKey] = entries
}

// forget drops a VM's cache.
func (c *summaryCache) forget(vmKey string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.vms, vmKey)
}

// parseFull reads a snapshot's whole XML with libvirtxml.
func parseFull(doc string) (*libvirtxml.DomainSnapshot, error) {
	var s libvirtxml.DomainSnapshot
	if err := s.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse snapshot XML: %w", err)
	}
	return &s, nil
}
