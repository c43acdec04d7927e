package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	hostmachine "github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// overlay is the file an external snapshot starts for one disk.
type overlay struct {
	target, file string
}

// overlayPaths names the qcow2 overlays an external snapshot creates:
// beside each included disk's image, "<image stem>.<snapshot>.qcow2",
// where the stem is the image's file name up to its first dot, so that a
// chain reads data.qcow2 ← data.s1.qcow2 ← data.s2.qcow2 instead of
// libvirt's default (the image's name with its suffix replaced by the
// snapshot's name, which drops ".qcow2"). Two disks whose stems collide
// get their target added.
func overlayPaths(d *libvirtxml.Domain, snapName string) []overlay {
	var out []overlay
	seen := map[string]int{}
	for _, disk := range domainDisks(d) {
		r := classifyDisk(disk)
		if !r.included || disk.Source == nil || disk.Source.File == nil || disk.Source.File.File == "" {
			continue
		}
		src := disk.Source.File.File
		stem, _, _ := strings.Cut(filepath.Base(src), ".")
		if stem == "" {
			stem = r.target
		}
		p := filepath.Join(filepath.Dir(src), stem+"."+snapName+".qcow2")
		seen[p]++
		out = append(out, overlay{target: r.target, file: p})
	}
	for i, o := range out {
		if seen[o.file] > 1 {
			dir, base := filepath.Split(o.file)
			stem, rest, _ := strings.Cut(base, ".")
			out[i].file = filepath.Join(dir, stem+"-"+o.target+"."+rest)
		}
	}
	return out
}

// layer is one image of a disk's backing chain, top (the active image)
// first.
type layer struct {
	File   string `json:"file"`
	Format string `json:"format,omitempty"`
}

// diskChain is one disk's chain as the live XML states it.
type diskChain struct {
	target string
	layers []layer
}

// liveChains reads every file-backed disk's backing chain from a domain's
// live XML (libvirt lists <backingStore> there for running VMs, and for
// shut-off ones when it has probed them).
func liveChains(d *libvirtxml.Domain) []diskChain {
	var out []diskChain
	for _, disk := range domainDisks(d) {
		if !classifyDisk(disk).included || disk.Source == nil || disk.Source.File == nil {
			continue
		}
		c := diskChain{target: diskTarget(disk)}
		format := ""
		if disk.Driver != nil {
			format = disk.Driver.Type
		}
		c.layers = append(c.layers, layer{File: disk.Source.File.File, Format: format})
		for b, n := disk.BackingStore, 0; b != nil && b.Source != nil && b.Source.File != nil && n < 1000; b, n = b.BackingStore, n+1 {
			l := layer{File: b.Source.File.File}
			if b.Format != nil {
				l.Format = b.Format.Type
			}
			c.layers = append(c.layers, l)
		}
		out = append(out, c)
	}
	return out
}

// chainInfo is one image of `qemu-img info --backing-chain`.
type chainInfo struct {
	imageInfo
	VirtualSize         *int64 `json:"virtual-size"`
	BackingFilename     string `json:"backing-filename"`
	FullBackingFilename string `json:"full-backing-filename"`
}

// backingChain runs `qemu-img info -U --backing-chain` on the host's
// computer: QEMU's own reading of the chain, to compare with libvirt's.
func backingChain(ctx context.Context, m hostmachine.Machine, path string) ([]chainInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := m.Run(ctx, hostmachine.Command{Program: "qemu-img", Args: []string{"info", "-U", "--backing-chain", "--output=json", path}})
	if err != nil {
		return nil, err
	}
	var chain []chainInfo
	if err := json.Unmarshal(out, &chain); err != nil {
		return nil, fmt.Errorf("qemu-img info --backing-chain printed no JSON list: %w", err)
	}
	return chain, nil
}

// extSnap is one external snapshot's overlays, by disk target.
type extSnap struct {
	name     string
	created  time.Time
	parent   string
	external bool
	overlays map[string]string // target → overlay file it started
	sources  map[string]string // target → image the disk used before it
}

// readSnapshots reads every snapshot's disk sources: which overlay each
// external snapshot started, and which image it froze.
func readSnapshots(t target) ([]extSnap, error) {
	snaps, err := t.c.ListSnapshots(t.dom)
	if err != nil {
		return nil, libvirtProblem(err, t.vm.Name, "", "list the snapshots")
	}
	out := make([]extSnap, 0, len(snaps))
	for _, sn := range snaps {
		doc, err := t.c.SnapshotXML(sn, 0)
		if err != nil {
			return nil, libvirtProblem(err, t.vm.Name, sn.Name, "read the snapshot")
		}
		full, err := parseFull(doc)
		if err != nil {
			return nil, err
		}
		sum, err := parseSummary(doc)
		if err != nil {
			return nil, err
		}
		e := extSnap{name: sn.Name, created: sum.CreationTime, parent: sum.Parent, external: sum.Location == "external",
			overlays: map[string]string{}, sources: map[string]string{}}
		if full.Disks != nil {
			for _, d := range full.Disks.Disks {
				if d.Snapshot == "external" && d.Source != nil && d.Source.File != nil {
					e.overlays[d.Name] = d.Source.File.File
				}
			}
		}
		if full.Domain != nil {
			for _, d := range domainDisks(full.Domain) {
				if d.Source != nil && d.Source.File != nil {
					e.sources[diskTarget(d)] = d.Source.File.File
				}
			}
		}
		out = append(out, e)
	}
	// Creation times have whole seconds: snapshots of one second are put
	// in tree order (a parent before its children), then by name.
	depth := make(map[string]int, len(out))
	parent := make(map[string]string, len(out))
	for _, e := range out {
		parent[e.name] = e.parent
	}
	for _, e := range out {
		n := 0
		for p := e.parent; p != "" && n <= len(out); p = parent[p] {
			n++
		}
		depth[e.name] = n
	}
	slices.SortFunc(out, func(a, b extSnap) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		if c := depth[a.name] - depth[b.name]; c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// chainPlan is one disk's checked chain: the overlays the VM's external
// snapshots made, above the base they will be merged into.
type chainPlan struct {
	Target string `json:"target"`
	// Base is the image the overlays are committed into.
	Base string `json:"base"`
	// Overlays are the chain's overlays, top (active) first; each is a
	// layer an external snapshot of this VM created.
	Overlays []string `json:"overlays"`
	// Snapshots are the external snapshots that started them.
	Snapshots []string `json:"snapshots"`
}

// mergePlan is every disk's chain and what a merge would forget.
type mergePlan struct {
	disks  []chainPlan
	forget []string // snapshot names, newest first
}

// planMerge checks a VM's external chains for a merge, from the live XML,
// QEMU's own reading of each chain (qemu-img info --backing-chain, through
// the host's machine) and the snapshots' metadata. It refuses, changing
// nothing: mixed internal and external snapshots (internal snapshots in a
// snapshot list or inside any layer), a layer that no external snapshot of
// this VM created, a base that itself has a backing file (a template of
// linked clones is not the VM's own disk), chains on which libvirt and
// QEMU disagree, and snapshots whose overlays are not in the current
// chains. The files it lists are the only ones a merge may delete.
func planMerge(ctx context.Context, m hostmachine.Machine, d *libvirtxml.Domain, snaps []extSnap, vmName string) (mergePlan, error) {
	refuse := func(msg, hint string) (mergePlan, error) {
		return mergePlan{}, problem.New(problem.Conflict, problem.CodeMergeRefused, fmt.Sprintf("cannot merge the snapshots of VM %q: %s", vmName, msg), hint)
	}
	var p mergePlan
	var internal []string
	created := map[string]string{} // overlay file → snapshot that started it
	for _, s := range snaps {
		if !s.external {
			internal = append(internal, s.name)
			continue
		}
		for _, f := range s.overlays {
			created[f] = s.name
		}
	}
	if len(internal) > 0 {
		return refuse(fmt.Sprintf("it has internal snapshots (%s) besides external ones; a merge changes the images they live in", strings.Join(internal, ", ")),
			"delete the internal snapshots first, or keep the chain as it is")
	}
	if len(created) == 0 {
		return mergePlan{}, problem.New(problem.Conflict, problem.CodeNothingToMerge, fmt.Sprintf("VM %q has no external snapshots to merge", vmName), "")
	}
	inChain := map[string]bool{}
	for _, c := range liveChains(d) {
		if m == nil {
			return refuse("the chain cannot be checked without the host's machine", "")
		}
		qchain, err := backingChain(ctx, m, c.layers[0].File)
		if err != nil {
			return refuse(fmt.Sprintf("QEMU's view of disk %s's chain could not be read: %v", c.target, err), "check that qemu-img is installed on the host")
		}
		if len(qchain) != len(c.layers) {
			return refuse(fmt.Sprintf("libvirt lists %d images in disk %s's chain and qemu-img %d", len(c.layers), c.target, len(qchain)),
				"reload the VM; if it persists, the chain was changed outside libvirt")
		}
		for i, q := range qchain {
			if filepath.Clean(q.Filename) != filepath.Clean(c.layers[i].File) {
				return refuse(fmt.Sprintf("disk %s: libvirt names %s as layer %d of the chain and qemu-img %s", c.target, c.layers[i].File, i, q.Filename), "")
			}
			if len(q.Snapshots) > 0 {
				return refuse(fmt.Sprintf("image %s of disk %s holds %d internal snapshot(s) inside it (a mixed internal/external chain)", q.Filename, c.target, len(q.Snapshots)),
					"delete the internal snapshots first (qemu-img snapshot -l lists them)")
			}
		}
		// Overlays from the top down, as long as an external snapshot of
		// this VM made them; the next layer is the base.
		k := 0
		for k < len(c.layers) && created[c.layers[k].File] != "" {
			k++
		}
		if k == 0 {
			continue // no snapshot overlay on this disk
		}
		if k == len(c.layers) {
			return refuse(fmt.Sprintf("every image of disk %s's chain is an overlay; its base is missing", c.target), "")
		}
		base := c.layers[k]
		if k != len(c.layers)-1 {
			return refuse(fmt.Sprintf("disk %s's base %s has a backing file (%s) that is not one of the VM's own snapshot layers (a linked clone's template?)", c.target, base.File, c.layers[k+1].File),
				"merging into a shared base would change every VM built on it; copy the disk to a standalone image first")
		}
		cp := chainPlan{Target: c.target, Base: base.File}
		for _, l := range c.layers[:k] {
			if filepath.Dir(l.File) != filepath.Dir(base.File) {
				return refuse(fmt.Sprintf("overlay %s of disk %s is not in the directory of its base %s", l.File, c.target, base.File), "")
			}
			cp.Overlays = append(cp.Overlays, l.File)
			cp.Snapshots = append(cp.Snapshots, created[l.File])
			inChain[l.File] = true
		}
		// The oldest overlay's snapshot froze the base itself.
		oldest := snapByName(snaps, created[c.layers[k-1].File])
		if src := oldest.sources[c.target]; src != "" && filepath.Clean(src) != filepath.Clean(base.File) {
			return refuse(fmt.Sprintf("snapshot %q froze %s for disk %s, but the chain's base is %s", oldest.name, src, c.target, base.File), "")
		}
		p.disks = append(p.disks, cp)
	}
	if len(p.disks) == 0 {
		return refuse("none of its disks writes to an overlay of its external snapshots", "the snapshots' overlays are not in use; nothing would be merged")
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		s := snaps[i]
		for target, f := range s.overlays {
			if !inChain[f] {
				return refuse(fmt.Sprintf("snapshot %q's overlay %s (disk %s) is not in the disk's current chain", s.name, f, target),
					"the snapshots branch; merge only works on one straight chain")
			}
		}
		p.forget = append(p.forget, s.name)
	}
	return p, nil
}

func snapByName(snaps []extSnap, name string) extSnap {
	for _, s := range snaps {
		if s.name == name {
			return s
		}
	}
	return extSnap{}
}

// blockJobDone reports whether a block job has copied everything.
func blockJobDone(j virt.BlockJob) bool { return j.Found && j.End > 0 && j.Cur == j.End }
