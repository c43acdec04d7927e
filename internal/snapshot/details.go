package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/linediff"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Get returns everything about one snapshot: its place in the tree, its
// disks with the figures QEMU reports, its memory state size, the domain
// configuration captured with it, and what a revert or delete would need.
func (s *Service) Get(ctx context.Context, hostName, uuid, name string) (Details, error) {
	if err := checkRef(name); err != nil {
		return Details{}, err
	}
	t, err := s.target(hostName, uuid)
	if err != nil {
		return Details{}, err
	}
	snap, err := s.lookup(t, name)
	if err != nil {
		return Details{}, err
	}
	doc, err := t.c.SnapshotXML(snap, 0)
	if err != nil {
		return Details{}, libvirtProblem(err, t.vm.Name, name, "read the snapshot")
	}
	full, err := parseFull(doc)
	if err != nil {
		return Details{}, err
	}
	f, _, err := s.load(ctx, t)
	if err != nil {
		return Details{}, err
	}
	sn := f.byName[name]
	if sn == nil {
		return Details{}, notFound(t.vm.Name, name)
	}
	facts, err := s.facts(t)
	if err != nil {
		return Details{}, err
	}
	d := Details{Snapshot: *sn, VMState: facts.State, Disks: []DiskDetail{}}
	if have := s.shots.index(t.vm.Host, t.vm.UUID); have[shotFile(sn.Name, sn.CreationTime)] {
		d.Screenshot = true
	}
	if full.Domain != nil {
		if x, err := full.Domain.Marshal(); err == nil {
			d.DomainXML = x
		}
	}
	h, err := s.opts.Hosts.Get(t.vm.Host)
	if err != nil {
		return Details{}, err
	}
	in := newInspector(h.Machine(), t.vm.Host)
	d.Disks, d.MemoryState = s.sizes(ctx, in, full, sn)

	active := inventory.Active(facts.State)
	var cur *Snapshot
	if c := currentOf(f); c != "" {
		cur = f.byName[c]
	}
	d.Revert = RevertInfo{Capability: revertCheck(sn, facts.Version), NeedsConfirm: active, Impact: revertImpact(t.vm.Name, active, cur)}
	df, _ := factsFromForest(f, name)
	d.Delete = deleteChecks(df, facts.Version)
	return d, nil
}

// sizes reads a snapshot's disk and memory figures.
func (s *Service) sizes(ctx context.Context, in *inspector, full *libvirtxml.DomainSnapshot, sn *Snapshot) ([]DiskDetail, *Size) {
	disks := []DiskDetail{}
	sources := map[string]string{} // target → image file at snapshot time
	if full.Domain != nil {
		for _, d := range domainDisks(full.Domain) {
			if d.Source != nil && d.Source.File != nil {
				sources[diskTarget(d)] = d.Source.File.File
			} else if d.Source != nil && d.Source.Block != nil {
				sources[diskTarget(d)] = d.Source.Block.Dev
			}
		}
	}
	var memTotal uint64
	memFound := false
	var memWhy string
	listed := map[string]bool{}
	if full.Disks != nil {
		for _, x := range full.Disks.Disks {
			listed[x.Name] = true
			dd := DiskDetail{Name: x.Name, Location: x.Snapshot}
			if dd.Location == "" {
				dd.Location = "internal"
			}
			switch dd.Location {
			case "internal":
				dd.Image = sources[x.Name]
				dd.Usage = Size{Unknown: sharedWhy}
				if dd.Image == "" {
					dd.ImageAllocation = Size{Unknown: "the snapshot does not name the disk's image"}
					break
				}
				dd.ImageAllocation = in.allocation(ctx, dd.Image)
				if sn.Memory && sn.Location == "internal" {
					if info, err := in.info(ctx, dd.Image); err == nil {
						if v, ok := info.vmStateSize(sn.Name); ok {
							memTotal += v
							memFound = true
						}
					} else {
						memWhy = err.Error()
					}
				}
			case "external":
				// The image the snapshot froze is the one the disk used when
				// it was taken; the overlay it started is in the snapshot's
				// disk source.
				dd.Image = sources[x.Name]
				if x.Source != nil && x.Source.File != nil {
					dd.Overlay = x.Source.File.File
				}
				if dd.Image == "" {
					dd.Usage = Size{Unknown: "the snapshot does not name the disk's image"}
				} else {
					dd.Usage = in.allocation(ctx, dd.Image)
				}
				dd.ImageAllocation = dd.Usage
			default:
				dd.Usage = Size{Unknown: "the disk is not part of the snapshot"}
				dd.ImageAllocation = Size{Unknown: "the disk is not part of the snapshot"}
			}
			disks = append(disks, dd)
		}
	}
	if !sn.Memory {
		return disks, nil
	}
	if full.Memory != nil && full.Memory.Snapshot == "external" {
		if full.Memory.File == "" {
			return disks, &Size{Unknown: "the snapshot does not name its memory file"}
		}
		sz := in.fileSize(ctx, full.Memory.File)
		return disks, &sz
	}
	switch {
	case memFound:
		return disks, &Size{Bytes: &memTotal, Source: "qemu-img info (vm-state-size)"}
	case memWhy != "":
		return disks, &Size{Unknown: memWhy}
	}
	return disks, &Size{Unknown: "qemu-img lists no saved memory state for this snapshot in the VM's images"}
}

// Diff compares the configuration captured with a snapshot with the VM's
// configuration today (both as libvirt holds them persistently, so that
// runtime details such as port numbers do not show as changes).
func (s *Service) Diff(hostName, uuid, name string) (Diff, error) {
	if err := checkRef(name); err != nil {
		return Diff{}, err
	}
	t, err := s.target(hostName, uuid)
	if err != nil {
		return Diff{}, err
	}
	snap, err := s.lookup(t, name)
	if err != nil {
		return Diff{}, err
	}
	doc, err := t.c.SnapshotXML(snap, 0)
	if err != nil {
		return Diff{}, libvirtProblem(err, t.vm.Name, name, "read the snapshot")
	}
	full, err := parseFull(doc)
	if err != nil {
		return Diff{}, err
	}
	then := full.Domain
	if full.InactiveDomain != nil {
		then = &full.InactiveDomain.Domain
	}
	if then == nil {
		return Diff{}, problem.New(problem.Unsupported, problem.CodeNoConfiguration,
			fmt.Sprintf("snapshot %q holds no domain configuration to compare", name), "it was made by a very old libvirt")
	}
	todayDoc, err := t.c.XML(t.dom, virt.XMLInactive)
	if err != nil {
		return Diff{}, host.Problem(err, "read the VM's configuration")
	}
	var now libvirtxml.Domain
	if err := now.Unmarshal(todayDoc); err != nil {
		return Diff{}, fmt.Errorf("parse domain XML: %w", err)
	}
	a, err := then.Marshal()
	if err != nil {
		return Diff{}, fmt.Errorf("marshal domain XML: %w", err)
	}
	b, err := now.Marshal()
	if err != nil {
		return Diff{}, fmt.Errorf("marshal domain XML: %w", err)
	}
	sum, _ := parseSummary(doc)
	label := fmt.Sprintf("snapshot %s (%s)", name, sum.CreationTime.Format(timeFormat))
	out := Diff{Snapshot: name, Identical: a == b, Summary: configSummary(then, &now),
		Unified: linediff.Unified(label, "current configuration", a, b)}
	return out, nil
}

// Screenshot returns the PNG stored with a snapshot.
func (s *Service) Screenshot(hostName, uuid, name string) ([]byte, error) {
	if err := checkRef(name); err != nil {
		return nil, err
	}
	t, err := s.target(hostName, uuid)
	if err != nil {
		return nil, err
	}
	snap, err := s.lookup(t, name)
	if err != nil {
		return nil, err
	}
	sum, err := s.summary(t, snap)
	if err != nil {
		return nil, err
	}
	png, err := s.shots.read(t.vm.Host, t.vm.UUID, name, sum.CreationTime)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, problem.New(problem.NotFound, problem.CodeNoScreenshot,
			fmt.Sprintf("snapshot %q has no stored screenshot", problem.Clip(name)),
			"screenshots are stored only with snapshots that KVM Manager took of a running VM")
	}
	if err != nil {
		return nil, fmt.Errorf("read screenshot: %w", err)
	}
	return png, nil
}

// Edit changes a snapshot's description. libvirt has no call for that: the
// snapshot is redefined with its own XML and the new description, and
// marked current again only if it was current, so that the current
// snapshot does not change.
func (s *Service) Edit(hostName, uuid, name string, req EditRequest) (Snapshot, error) {
	if req.Description == nil {
		return Snapshot{}, problem.New(problem.Invalid, problem.CodeMissingField, `the body needs "description"`, `send {"description": "..."}; an empty string clears it`)
	}
	desc := NormalizeDescription(*req.Description)
	if err := ValidateDescription(desc); err != nil {
		return Snapshot{}, err
	}
	if err := checkRef(name); err != nil {
		return Snapshot{}, err
	}
	t, err := s.target(hostName, uuid)
	if err != nil {
		return Snapshot{}, err
	}
	claim, err := s.opts.Operations.Claim(t.opTarget(), "snapshot-edit", name)
	if err != nil {
		return Snapshot{}, err
	}
	defer claim.Release()
	snap, err := s.lookup(t, name)
	if err != nil {
		return Snapshot{}, err
	}
	// The secure XML keeps secrets (VNC passwords) that the redefinition
	// must not drop from the stored configuration.
	doc, err := t.c.SnapshotXML(snap, virt.SnapshotXMLSecure)
	if err != nil {
		return Snapshot{}, libvirtProblem(err, t.vm.Name, name, "read the snapshot")
	}
	full, err := parseFull(doc)
	if err != nil {
		return Snapshot{}, err
	}
	isCur, err := t.c.SnapshotIsCurrent(snap)
	if err != nil {
		return Snapshot{}, libvirtProblem(err, t.vm.Name, name, "read the snapshot")
	}
	if full.Description == desc {
		sum, err := parseSummary(doc)
		sum.Current = isCur
		return sum, err
	}
	full.Description = desc
	out, err := full.Marshal()
	if err != nil {
		return Snapshot{}, fmt.Errorf("marshal snapshot XML: %w", err)
	}
	if err := t.c.RedefineSnapshot(t.dom, out, isCur); err != nil {
		return Snapshot{}, libvirtProblem(err, t.vm.Name, name, "change the description")
	}
	s.changed(t, "edited", []string{name})
	f, _, err := s.load(context.Background(), t)
	if err != nil {
		return Snapshot{}, err
	}
	if sn := f.byName[name]; sn != nil {
		return *sn, nil
	}
	return Snapshot{}, notFound(t.vm.Name, name)
}
