package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	hostmachine "github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// UsageLayer is one image of a disk's chain, top (active) first.
type UsageLayer struct {
	File   string `json:"file"`
	Format string `json:"format"`
	// Role is "active" (the image the VM writes to), "overlay" (an
	// external snapshot's overlay below the active one) or "base".
	Role string `json:"role"`
	// Snapshot is the external snapshot that started this overlay.
	Snapshot    string  `json:"snapshot,omitempty"`
	VirtualSize *uint64 `json:"virtualSize,omitempty"`
	// Allocation is what the file occupies on the host: libvirt's volume
	// allocation when a storage pool holds it, else qemu-img's
	// actual-size.
	Allocation Size `json:"allocation"`
	// Required is what the image's current data needs (qemu-img
	// measure): a rewritten image without snapshots would be about this
	// size.
	Required *uint64 `json:"required,omitempty"`
	// SnapshotsHold is, for an image with internal snapshots, its
	// allocation beyond Required: the clusters only snapshots still use,
	// their saved memory, and free clusters.
	SnapshotsHold *uint64 `json:"snapshotsHold,omitempty"`
	// InternalSnapshots are the snapshots inside this image.
	InternalSnapshots []InternalSnapshotUsage `json:"internalSnapshots"`
}

// InternalSnapshotUsage is one internal snapshot inside an image.
type InternalSnapshotUsage struct {
	Name string `json:"name"`
	// VMStateBytes is its saved memory (0 for a disk-only snapshot).
	VMStateBytes uint64 `json:"vmStateBytes"`
}

// DiskUsageDisk is one disk's chain.
type DiskUsageDisk struct {
	Target string       `json:"target"`
	Layers []UsageLayer `json:"layers"`
	// Allocation is the sum of its layers' allocations.
	Allocation uint64 `json:"allocation"`
}

// SnapshotUsage says what one snapshot holds and what deleting or merging
// it would free.
type SnapshotUsage struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	// Holds is the data that is the snapshot's own: the saved memory of an
	// internal snapshot (exact), or the overlay an external snapshot
	// started (its allocation).
	Holds Size `json:"holds"`
	// Frees is what removing it frees: deleting an internal snapshot frees
	// at least its memory state, plus disk clusters no one else uses (QEMU
	// does not report those per snapshot); an external one is freed by a
	// merge (see Merge).
	Frees Size   `json:"frees"`
	Note  string `json:"note,omitempty"`
}

// DiskUsage is a VM's disk usage by image and by snapshot, and what a
// merge or a compaction would do.
type DiskUsage struct {
	Host      string          `json:"host"`
	UUID      string          `json:"uuid"`
	VM        string          `json:"vm"`
	VMState   inventory.State `json:"vmState"`
	Disks     []DiskUsageDisk `json:"disks"`
	Snapshots []SnapshotUsage `json:"snapshots"`
	// Total is the allocation of every image of every disk.
	Total uint64 `json:"total"`
	// Merge is whether the external chains can be merged now, and
	// MergeFrees at most how much that frees (the overlays' allocation;
	// the base grows by the data it takes in).
	Merge      MergePreview `json:"merge"`
	MergeFrees *uint64      `json:"mergeFrees,omitempty"`
	// Compact is whether the images can be compacted now.
	Compact CompactPreview `json:"compact"`
	// Unknown says why figures are missing, when they are.
	Unknown string `json:"unknown,omitempty"`
}

// measured is qemu-img measure's answer.
type measured struct {
	Required uint64 `json:"required"`
}

// measure runs qemu-img measure for the image's current data.
func measure(ctx context.Context, m hostmachine.Machine, path, format string) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	args := []string{"measure", "-U", "--output=json", "-O", "qcow2", path}
	if format != "" {
		args = append(args[:3], append([]string{"-f", format}, args[3:]...)...)
	}
	out, err := m.Run(ctx, hostmachine.Command{Program: "qemu-img", Args: args})
	if err != nil {
		return 0, err
	}
	var v measured
	if err := json.Unmarshal(out, &v); err != nil {
		return 0, fmt.Errorf("qemu-img measure printed no JSON: %w", err)
	}
	return v.Required, nil
}

// Usage reads a VM's disk usage: every image of every disk's chain with
// its allocation (libvirt's volume info, or qemu-img), the internal
// snapshots inside each image with their memory state, what each snapshot
// holds and frees, and whether a merge or a compaction is possible.
func (s *Service) Usage(ctx context.Context, hostName, uuid string) (DiskUsage, error) {
	t, err := s.target(hostName, uuid)
	if err != nil {
		return DiskUsage{}, err
	}
	f, err := s.facts(t)
	if err != nil {
		return DiskUsage{}, err
	}
	u := DiskUsage{Host: t.vm.Host, UUID: t.vm.UUID, VM: t.vm.Name, VMState: f.State, Disks: []DiskUsageDisk{}, Snapshots: []SnapshotUsage{}}
	h, err := s.opts.Hosts.Get(t.vm.Host)
	if err != nil {
		return DiskUsage{}, err
	}
	m := h.Machine()
	snaps, err := readSnapshots(t)
	if err != nil {
		return DiskUsage{}, err
	}
	started := map[string]string{} // overlay → snapshot
	for _, sn := range snaps {
		for _, o := range sn.overlays {
			started[filepath.Clean(o)] = sn.name
		}
	}
	memory := map[string]uint64{} // internal snapshot → memory state over all images
	allocOf := map[string]*uint64{}
	for _, disk := range domainDisks(f.Domain) {
		if !classifyDisk(disk).included || disk.Source == nil || disk.Source.File == nil {
			continue
		}
		dd := DiskUsageDisk{Target: diskTarget(disk), Layers: []UsageLayer{}}
		chain, err := backingChain(ctx, m, disk.Source.File.File)
		if err != nil {
			u.Unknown = (&inspector{m: m, host: t.vm.Host}).why(err)
			continue
		}
		for i, ci := range chain {
			l := UsageLayer{File: ci.Filename, Format: ci.Format, Role: "overlay", Snapshot: started[filepath.Clean(ci.Filename)], InternalSnapshots: []InternalSnapshotUsage{}}
			switch {
			case i == 0 && len(chain) > 1:
				l.Role = "active"
			case i == len(chain)-1:
				l.Role = "base"
			}
			if ci.VirtualSize != nil {
				v := uint64(max(*ci.VirtualSize, 0))
				l.VirtualSize = &v
			}
			l.Allocation = s.allocation(t, ci)
			for _, is := range ci.Snapshots {
				v := uint64(max(is.VMStateSize, 0))
				l.InternalSnapshots = append(l.InternalSnapshots, InternalSnapshotUsage{Name: is.Name, VMStateBytes: v})
				memory[is.Name] += v
			}
			if req, err := measure(ctx, m, ci.Filename, ci.Format); err == nil {
				l.Required = &req
				if len(ci.Snapshots) > 0 && l.Allocation.Bytes != nil && *l.Allocation.Bytes > req {
					v := *l.Allocation.Bytes - req
					l.SnapshotsHold = &v
				}
			}
			if l.Allocation.Bytes != nil {
				dd.Allocation += *l.Allocation.Bytes
				allocOf[filepath.Clean(ci.Filename)] = l.Allocation.Bytes
			}
			dd.Layers = append(dd.Layers, l)
		}
		u.Total += dd.Allocation
		u.Disks = append(u.Disks, dd)
	}
	for _, sn := range snaps {
		su := SnapshotUsage{Name: sn.name, Location: "internal"}
		if sn.external {
			su.Location = "external"
			var held uint64
			known := len(sn.overlays) > 0
			for _, o := range sn.overlays {
				if a := allocOf[filepath.Clean(o)]; a != nil {
					held += *a
				} else {
					known = false
				}
			}
			if known {
				su.Holds = Size{Bytes: &held, Source: "allocation of the overlay(s) it started"}
			} else {
				su.Holds = Size{Unknown: "its overlay is not in the disks' current chains"}
			}
			su.Frees = Size{Unknown: "an external snapshot is freed by merging the chain (merge frees)"}
		} else {
			mem := memory[sn.name]
			su.Holds = Size{Bytes: &mem, Source: "qemu-img info (vm-state-size): its saved memory; the disk clusters it shares with the live disk are not its own"}
			su.Frees = Size{Bytes: &mem, Source: "at least its saved memory; QEMU does not report which disk clusters only this snapshot uses"}
		}
		u.Snapshots = append(u.Snapshots, su)
	}
	if pv, err := s.PreviewMerge(ctx, hostName, uuid); err == nil {
		u.Merge = pv
		if pv.Possible {
			var frees uint64
			for _, d := range pv.Disks {
				for _, o := range d.Overlays {
					if a := allocOf[filepath.Clean(o)]; a != nil {
						frees += *a
					}
				}
			}
			u.MergeFrees = &frees
		}
	} else {
		return u, err
	}
	u.Compact = compactPreview(f, u.Disks, m)
	return u, nil
}

// allocation is an image's allocation: libvirt's volume info when a pool
// holds the file, else qemu-img's actual-size.
func (s *Service) allocation(t target, ci chainInfo) Size {
	if vol, err := t.c.LookupVolumeByPath(ci.Filename); err == nil {
		if _, alloc, err := t.c.VolumeInfo(vol); err == nil {
			return Size{Bytes: &alloc, Source: "libvirt volume allocation"}
		}
	}
	if ci.ActualSize == nil {
		return Size{Unknown: "qemu-img did not report the allocation of " + ci.Filename}
	}
	v := uint64(max(*ci.ActualSize, 0))
	return Size{Bytes: &v, Source: "qemu-img info (actual-size)"}
}
