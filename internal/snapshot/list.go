package snapshot

import (
	"context"
	"hash/maphash"
	"sync"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// fetchWorkers is how many snapshot XML documents are requested at once.
// go-libvirt pipelines calls on one link and libvirtd serves them from its
// worker pool, so a few in flight hide most of the round-trip latency.
const fetchWorkers = 8

// load reads every snapshot of a VM and links them into a tree. It makes
// one call to list, one per snapshot for its XML (several in flight) and
// one for the current snapshot; XML that did not change since the last
// load is not parsed again. It also returns a fingerprint of the tree.
func (s *Service) load(ctx context.Context, t target) (*forest, uint64, error) {
	snaps, err := t.c.ListSnapshots(t.dom)
	if err != nil {
		return nil, 0, host.Problem(err, "list the VM's snapshots")
	}
	type result struct {
		snap Snapshot
		hash uint64
		err  error
		gone bool
	}
	results := make([]result, len(snaps))
	var cur string
	var curErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); cur, curErr = currentName(t) }()
	next := make(chan int)
	for w := 0; w < min(fetchWorkers, len(snaps)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				doc, err := t.c.SnapshotXML(snaps[i], 0)
				if err != nil {
					// Deleted between the listing and now: not an error.
					results[i] = result{gone: host.IsCode(err, virt.ErrNoDomainSnapshot), err: err}
					continue
				}
				sn, h, err := s.cache.parse(t.key, snaps[i].Name, doc)
				results[i] = result{snap: sn, hash: h, err: err}
			}
		}()
	}
feed:
	for i := range snaps {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if curErr != nil {
		return nil, 0, curErr
	}
	list := make([]Snapshot, 0, len(snaps))
	entries := make(map[string]cached, len(snaps))
	var fp uint64
	for _, r := range results {
		switch {
		case r.gone:
			continue
		case r.err != nil:
			return nil, 0, host.Problem(r.err, "read the VM's snapshots")
		}
		list = append(list, r.snap)
		entries[r.snap.Name] = cached{hash: r.hash, snap: r.snap}
		fp += r.hash // order-independent
	}
	s.cache.store(t.key, entries)
	fp ^= maphash.String(s.cache.seed, "current:"+cur)
	return buildForest(list, cur), fp, nil
}

// ListOptions tunes a list request.
type ListOptions struct {
	// Sizes adds each snapshot's memory state size, read with qemu-img
	// (one call per disk image).
	Sizes bool
}

// List returns every snapshot of a VM, flat and as a tree, with the
// pre-flight for a new one. A tree that differs from the one last seen,
// without a change of ours, was changed outside KVM Manager: that is
// published as a "snapshot" event, so that other clients refetch too.
func (s *Service) List(ctx context.Context, hostName, uuid string, o ListOptions) (List, error) {
	t, err := s.target(hostName, uuid)
	if err != nil {
		return List{}, err
	}
	var (
		f     *forest
		fp    uint64
		lerr  error
		facts vmFacts
		ferr  error
		wg    sync.WaitGroup
	)
	gen := s.generation(t.key)
	wg.Add(1)
	go func() { defer wg.Done(); facts, ferr = s.facts(t) }()
	f, fp, lerr = s.load(ctx, t)
	wg.Wait()
	if lerr != nil {
		return List{}, lerr
	}
	if ferr != nil {
		return List{}, ferr
	}
	busy := busyOf(s.opts.Operations.Holding(t.opTarget()))
	s.noticeOutside(t, fp, len(f.order), gen, busy != nil)

	out := List{
		Host: t.vm.Host, UUID: t.vm.UUID, VM: t.vm.Name, VMState: facts.State,
		Count: len(f.order), Current: currentOf(f), Snapshots: f.flat(), Tree: f.roots,
		Capabilities: capabilities(facts), Busy: busy, Screenshots: s.shots.dir != "",
	}
	s.markScreenshots(t, out.Snapshots, busy == nil)
	if o.Sizes {
		out.SizesError = s.addSizes(ctx, t, facts, out.Snapshots)
	}
	return out, nil
}

// noticeOutside publishes an "external" snapshot event when the tree
// differs from the one last seen and no change of ours explains it: none
// is running (busy) and none finished while the tree was read (gen is the
// VM's change generation from before the read).
func (s *Service) noticeOutside(t target, fp uint64, count int, gen uint64, busy bool) {
	s.mu.Lock()
	old, known := s.prints[t.key]
	ours := busy || s.gens[t.key] != gen
	if !ours {
		s.prints[t.key] = fp
		s.counts[t.key] = count
	}
	s.mu.Unlock()
	if known && old != fp && !ours {
		s.log.Info("snapshots changed outside KVM Manager", "vm", t.vm.Name, "count", count)
		s.publish(Event{Host: t.vm.Host, UUID: t.vm.UUID, VM: t.vm.Name, Change: "external", Count: count})
		if c, err := s.opts.Hosts.Client(t.vm.Host); err == nil {
			_, _ = s.opts.Inventory.Refresh(c, t.vm.Host, t.vm.UUID)
		}
	}
}

// markScreenshots sets Screenshot on the snapshots that have one, and
// removes screenshots whose snapshot is gone (not while an operation of
// ours is between taking a screenshot and naming it).
func (s *Service) markScreenshots(t target, snaps []Snapshot, prune bool) {
	if s.shots.dir == "" {
		return
	}
	have := s.shots.index(t.vm.Host, t.vm.UUID)
	if len(have) == 0 {
		return
	}
	keep := make(map[string]bool, len(snaps))
	for i := range snaps {
		f := shotFile(snaps[i].Name, snaps[i].CreationTime)
		keep[f] = true
		snaps[i].Screenshot = have[f]
	}
	if prune {
		s.shots.prune(t.vm.Host, t.vm.UUID, have, keep)
	}
}

// addSizes fills MemoryStateBytes from qemu-img's snapshot tables of the
// VM's current qcow2 images. It returns why sizes are missing, if they are.
func (s *Service) addSizes(ctx context.Context, t target, facts vmFacts, snaps []Snapshot) string {
	h, err := s.opts.Hosts.Get(t.vm.Host)
	if err != nil {
		return err.Error()
	}
	in := newInspector(h.Machine(), t.vm.Host)
	sums := map[string]uint64{}
	found := map[string]bool{}
	var why string
	for _, d := range domainDisks(facts.Domain) {
		r := classifyDisk(d)
		if !r.included || d.Source == nil || d.Source.File == nil || d.Driver == nil || d.Driver.Type != "qcow2" {
			continue
		}
		info, err := in.info(ctx, d.Source.File.File)
		if err != nil {
			why = err.Error()
			continue
		}
		for _, sn := range info.Snapshots {
			sums[sn.Name] += uint64(max(sn.VMStateSize, 0))
			found[sn.Name] = true
		}
	}
	for i := range snaps {
		if snaps[i].Memory && snaps[i].Location == "internal" && found[snaps[i].Name] {
			v := sums[snaps[i].Name]
			snaps[i].MemoryStateBytes = &v
		}
	}
	return why
}
