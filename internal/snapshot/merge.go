package snapshot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	hostmachine "github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Merge modes.
const (
	// MergeCommit copies the overlays down into the base image (block
	// commit, with a pivot for the active layer), so the disk ends where
	// it began: in its base image.
	MergeCommit = "commit"
	// MergePull copies the base's and the lower overlays' data up into
	// the active (newest) overlay (block pull), which then stands alone:
	// the disk stays on it, the lower overlays are deleted and the base
	// image is kept as it was (the VM no longer uses it). For a base that
	// must not change.
	MergePull = "pull"
)

// MergeRequest is the body of a merge request.
type MergeRequest struct {
	// Mode is "commit" (the default) or "pull".
	Mode string `json:"mode,omitempty"`
}

// MergedDisk is what a merge did to one disk.
type MergedDisk struct {
	chainPlan
	// Active is the image the disk uses afterwards.
	Active string `json:"active"`
}

// MergeResult is the outcome of a finished merge.
type MergeResult struct {
	// Mode is how the chains were merged: commit or pull.
	Mode  string       `json:"mode"`
	Disks []MergedDisk `json:"disks"`
	// Forgotten are the snapshots whose metadata was removed: their data
	// now lives in the base images.
	Forgotten []string `json:"forgotten"`
	// Removed are the overlay files deleted; every one was a layer of the
	// merged chain, and none is used any more.
	Removed []string `json:"removed"`
	// Kept are the base images a pull left as they were: no longer used
	// by the VM, and not deleted (other VMs or copies may need them).
	Kept []string `json:"kept"`
	// Offline reports a merge of a shut-off VM (qemu-img commit).
	Offline bool `json:"offline"`
}

// MergePreview says whether a merge is possible now and what it would do.
type MergePreview struct {
	Capability
	Disks     []chainPlan `json:"disks"`
	Forget    []string    `json:"forget"`
	Offline   bool        `json:"offline"`
	MayCancel bool        `json:"mayCancel"`
	// Pull says whether mode "pull" is possible now (beyond the checks
	// both modes share), and why not.
	Pull PullCapability `json:"pull"`
}

// PullCapability says whether a merge by block pull is offered.
type PullCapability struct {
	Possible bool   `json:"possible"`
	Reason   string `json:"reason,omitempty"`
}

// minLivePullQEMU is the first QEMU whose block pull is offered on a
// running VM. Measured here on QEMU 7.2: a block pull (block-stream) while
// block statistics are read (libvirt's query-named-block-nodes, which the
// inventory's sampling asks for every few seconds, as does any `virsh
// domstats`) crashed QEMU with a segfault in the second of two pulls; an
// active block commit under the same load survived eight in a row. The
// upstream fixes of block-stream's graph changes against concurrent
// queries are in QEMU 9.0.
const minLivePullQEMU = 9

// livePullRefusal says why a running VM is not merged by block pull on a
// host with this QEMU version ("" when it is).
func livePullRefusal(qemu string) string {
	major, _, _ := strings.Cut(qemu, ".")
	if n, err := strconv.Atoi(major); err == nil && n >= minLivePullQEMU {
		return ""
	}
	if qemu == "" {
		qemu = "of unknown version"
	}
	return fmt.Sprintf("a block pull of a running VM is not offered on QEMU %s: QEMU 7.2 crashed during block pulls while disk statistics were read (as KVM Manager reads them every few seconds); it is offered from QEMU %d.0. Shut the VM off to pull offline (qemu-img rebase), or merge with commit",
		qemu, minLivePullQEMU)
}

// pullRefusal is livePullRefusal for VM t, "" for a shut-off VM.
func (s *Service) pullRefusal(t target, offline bool) string {
	if offline {
		return ""
	}
	h, err := s.opts.Hosts.Get(t.vm.Host)
	if err != nil {
		return livePullRefusal("")
	}
	if n := h.Status().Node; n != nil {
		return livePullRefusal(n.QEMUVersion)
	}
	return livePullRefusal("")
}

// mergeTarget checks the VM's state for a merge and reads what planMerge
// needs: a running or paused VM merges with libvirt's block jobs, a
// shut-off one with qemu-img on the host.
func (s *Service) mergeFacts(ctx context.Context, t target) (mergePlan, *libvirtxml.Domain, hostmachine.Machine, bool, error) {
	f, err := s.facts(t)
	if err != nil {
		return mergePlan{}, nil, nil, false, err
	}
	offline := false
	switch {
	case f.State == inventory.StateRunning || f.State == inventory.StatePaused:
	case f.State == inventory.StateShutoff:
		offline = true
	default:
		return mergePlan{}, nil, nil, false, problem.New(problem.Conflict, problem.CodeMergeRefused,
			fmt.Sprintf("cannot merge the snapshots of VM %q while it is %s", t.vm.Name, f.State), "wait until it runs or is shut off")
	}
	h, err := s.opts.Hosts.Get(t.vm.Host)
	if err != nil {
		return mergePlan{}, nil, nil, false, err
	}
	m := h.Machine()
	if err := m.Check(hostmachine.Commands); err != nil {
		return mergePlan{}, nil, nil, false, problem.Wrap(err, problem.Unsupported, problem.CodeMergeRefused,
			fmt.Sprintf("cannot merge the snapshots of VM %q: its chain must be checked with qemu-img on the host, and %v", t.vm.Name, err), "")
	}
	snaps, err := readSnapshots(t)
	if err != nil {
		return mergePlan{}, nil, nil, false, err
	}
	dom := f.Domain
	if offline {
		// A shut-off VM's XML names only the top image; QEMU's reading of
		// the chain stands for libvirt's, checked layer by layer against
		// the snapshots' metadata all the same.
		dom, err = s.offlineChains(ctx, m, f.Domain)
		if err != nil {
			return mergePlan{}, nil, nil, false, err
		}
	}
	p, err := planMerge(ctx, m, dom, snaps, t.vm.Name)
	return p, f.Domain, m, offline, err
}

// offlineChains fills a shut-off domain's disks' backing chains from
// qemu-img, so that planMerge sees the same shape as for a running VM.
func (s *Service) offlineChains(ctx context.Context, m hostmachine.Machine, d *libvirtxml.Domain) (*libvirtxml.Domain, error) {
	var c libvirtxml.Domain
	doc, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal domain XML: %w", err)
	}
	if err := c.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse domain XML: %w", err)
	}
	for i, disk := range domainDisks(&c) {
		if !classifyDisk(disk).included || disk.Source == nil || disk.Source.File == nil {
			continue
		}
		chain, err := backingChain(ctx, m, disk.Source.File.File)
		if err != nil {
			return nil, problem.New(problem.Conflict, problem.CodeMergeRefused,
				fmt.Sprintf("QEMU's view of disk %s's chain could not be read: %v", diskTarget(disk), err), "check that qemu-img is installed on the host")
		}
		var bs *libvirtxml.DomainDiskBackingStore
		for j := len(chain) - 1; j >= 1; j-- {
			bs = &libvirtxml.DomainDiskBackingStore{Format: &libvirtxml.DomainDiskFormat{Type: chain[j].Format},
				Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: chain[j].Filename}}, BackingStore: bs}
		}
		c.Devices.Disks[i].BackingStore = bs
	}
	return &c, nil
}

// PreviewMerge says whether the VM's external snapshots can be merged now,
// and which files and snapshots the merge would consolidate.
func (s *Service) PreviewMerge(ctx context.Context, hostName, uuid string) (MergePreview, error) {
	t, err := s.target(hostName, uuid)
	if err != nil {
		return MergePreview{}, err
	}
	pv := MergePreview{Capability: newCap(""), Disks: []chainPlan{}, Forget: []string{}}
	p, _, _, offline, err := s.mergeFacts(ctx, t)
	pv.Offline, pv.MayCancel = offline, !offline
	if err != nil {
		pr, ok := problem.As(err)
		if !ok {
			return pv, err
		}
		pv.refuse(pr.Message, pr.Hint)
		return pv, nil
	}
	pv.Disks, pv.Forget = p.disks, p.forget
	pv.Pull.Reason = s.pullRefusal(t, offline)
	pv.Pull.Possible = pv.Pull.Reason == ""
	return pv, nil
}

// Merge checks a VM's external snapshot chains (planMerge) and starts an
// operation that consolidates them into the base images, forgets the
// merged snapshots (metadata only: their data is in the base now) and
// deletes the overlay files, which were layers of that chain and nothing
// else. A running merge can be canceled until the pivot; the disks then
// stay on their overlays.
func (s *Service) Merge(hostName, uuid string, req MergeRequest) (operation.Op, error) {
	if req.Mode == "" {
		req.Mode = MergeCommit
	}
	if req.Mode != MergeCommit && req.Mode != MergePull {
		return operation.Op{}, problem.New(problem.Invalid, problem.CodeInvalidMergeMode,
			fmt.Sprintf("merge mode %q is not a choice", problem.Clip(req.Mode)),
			`use "commit" (copy the overlays into the base image) or "pull" (copy everything up into the newest overlay)`)
	}
	t, err := s.target(hostName, uuid)
	if err != nil {
		return operation.Op{}, err
	}
	claim, err := s.opts.Operations.Claim(t.opTarget(), "snapshot-merge", "")
	if err != nil {
		return operation.Op{}, err
	}
	p, _, m, offline, err := s.mergeFacts(context.Background(), t)
	if err != nil {
		claim.Release()
		return operation.Op{}, err
	}
	if why := s.pullRefusal(t, offline); req.Mode == MergePull && why != "" {
		claim.Release()
		return operation.Op{}, problem.New(problem.Unsupported, problem.CodeMergeRefused,
			fmt.Sprintf("cannot pull the snapshots of VM %q: %s", t.vm.Name, why), `shut the VM off and merge again, or merge with "commit"`)
	}
	op, err := claim.Start("snapshot-merge", !offline, func(ctx context.Context, r operation.Reporter) error {
		res, err := s.runMerge(ctx, t, p, m, offline, req.Mode, r)
		r.SetResult(res)
		return err
	})
	if err != nil {
		claim.Release()
	}
	return op, err
}

func (s *Service) runMerge(ctx context.Context, t target, p mergePlan, m hostmachine.Machine, offline bool, mode string, r operation.Reporter) (MergeResult, error) {
	res := MergeResult{Mode: mode, Disks: []MergedDisk{}, Forgotten: []string{}, Removed: []string{}, Kept: []string{}, Offline: offline}
	pull := mode == MergePull
	if err := s.relink(&t); err != nil {
		return res, err
	}
	s.waitScreenshot(t.key)
	for i, d := range p.disks {
		stage := fmt.Sprintf("disk %s (%d of %d): committing %d overlay(s) into %s", d.Target, i+1, len(p.disks), len(d.Overlays), filepath.Base(d.Base))
		if pull {
			stage = fmt.Sprintf("disk %s (%d of %d): pulling %d lower layer(s) up into %s", d.Target, i+1, len(p.disks), len(d.Overlays), filepath.Base(d.Overlays[0]))
		}
		progress := func(pc int) { r.Progress(stage, (i*100+pc)*90/(100*len(p.disks))) }
		var err error
		switch {
		case pull && offline:
			err = s.pullOffline(ctx, m, d, r, stage)
		case pull:
			err = s.pullLive(ctx, t, d, progress)
		case offline:
			err = s.commitOffline(ctx, t, m, d, r, stage)
		default:
			err = s.commitLive(ctx, t, d, progress)
		}
		if err != nil {
			if len(res.Disks) > 0 {
				s.changed(t, "merged", nil)
			}
			return res, err
		}
		active := d.Base
		if pull {
			active = d.Overlays[0]
		}
		res.Disks = append(res.Disks, MergedDisk{chainPlan: d, Active: active})
	}
	// The disks use their bases now: check that before anything is
	// forgotten or deleted, from the XML libvirt has now.
	r.Progress("checking the disks", 92)
	inUse, err := s.filesInUse(t)
	if err != nil {
		return res, err
	}
	for _, d := range p.disks {
		for _, o := range mergedAway(d, pull) {
			if inUse[o] {
				return res, problem.New(problem.Internal, problem.CodeMergeFailed,
					fmt.Sprintf("after the merge VM %q still uses %s; nothing was forgotten or deleted", t.vm.Name, o), "reload the VM and check its disks")
			}
		}
		if pull {
			// QEMU's own reading: the active overlay stands alone now.
			if chain, err := backingChain(ctx, m, d.Overlays[0]); err != nil || len(chain) != 1 {
				return res, problem.New(problem.Internal, problem.CodeMergeFailed,
					fmt.Sprintf("after the pull %s still has a backing file (or qemu-img could not read it: %v); nothing was forgotten or deleted", d.Overlays[0], err), "reload the VM and check its disks")
			}
		}
	}
	// Metadata first, newest first (leaves before parents): libvirt 9.0
	// would try to merge an external snapshot again on a plain delete.
	r.Progress("forgetting the merged snapshots", 95)
	for _, name := range p.forget {
		if err := t.c.DeleteSnapshotMetadata(virt.DomainSnapshot{Name: name, Dom: t.dom}); err != nil && !host.IsCode(err, virt.ErrNoDomainSnapshot) {
			s.changed(t, "merged", res.Forgotten)
			return res, libvirtProblem(err, t.vm.Name, name, "forget the merged snapshot")
		}
		res.Forgotten = append(res.Forgotten, name)
	}
	s.shots.removeNames(t.vm.Host, t.vm.UUID, res.Forgotten)
	r.Progress("deleting the merged overlays", 97)
	var errs []error
	for _, d := range p.disks {
		if pull {
			res.Kept = append(res.Kept, d.Base)
		}
		for _, o := range mergedAway(d, pull) {
			if o == d.Base {
				continue // a pull never deletes the base
			}
			if err := s.removeOverlay(ctx, t, m, o); err != nil {
				errs = append(errs, err)
				continue
			}
			res.Removed = append(res.Removed, o)
		}
	}
	s.changed(t, "merged", res.Forgotten)
	if len(errs) > 0 {
		return res, problem.Wrap(errors.Join(errs...), problem.Internal, problem.CodeMergeFailed,
			fmt.Sprintf("the merge is done, but %d overlay file(s) could not be deleted", len(errs)), "they are no longer used; delete them by hand (the result lists what was deleted)")
	}
	return res, nil
}

// mergedAway lists the images of a chain the disk no longer uses after a
// merge: every overlay after a commit; after a pull the lower overlays and
// the base (which is kept).
func mergedAway(d chainPlan, pull bool) []string {
	if !pull {
		return d.Overlays
	}
	return append(slices.Clone(d.Overlays[1:]), d.Base)
}

// pullLive runs a block pull of one disk: every backing layer's data is
// copied into the active overlay, and libvirt drops the backing chain
// when the job ends by itself. ctx ending aborts the job: the disk stays
// on its overlay with its chain (what was copied up is the same data the
// chain holds).
func (s *Service) pullLive(ctx context.Context, t target, d chainPlan, progress func(int)) error {
	if err := t.c.BlockPull(t.dom, d.Target); err != nil {
		return host.Problem(err, "start the block pull of disk "+d.Target)
	}
	tick := time.NewTicker(min(s.opts.ProgressInterval, 500*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := t.c.BlockJobAbort(t.dom, d.Target, false); err != nil && !host.IsCode(err, virt.ErrOperationInvalid) {
				s.log.Warn("aborting the block pull failed", "vm", t.vm.Name, "disk", d.Target, "err", err)
			}
			return problem.New(problem.Canceled, problem.CodeCanceled,
				fmt.Sprintf("the pull of disk %s was canceled; the disk still uses its chain and the snapshots are kept", d.Target),
				"merge again to consolidate the chain")
		case <-tick.C:
		}
		j, err := t.c.BlockJobInfo(t.dom, d.Target)
		if err != nil {
			return host.Problem(err, "read the block pull's progress")
		}
		if !j.Found {
			// A pull ends by itself; whether it ended well is checked
			// from the disk's chain afterwards.
			progress(100)
			return nil
		}
		if j.End > 0 {
			progress(int(j.Cur * 100 / j.End))
		}
	}
}

// pullOffline makes a shut-off VM's active overlay stand alone with
// qemu-img rebase onto no backing file (which copies the chain's data into
// it first); the definition already names that overlay.
func (s *Service) pullOffline(ctx context.Context, m hostmachine.Machine, d chainPlan, r operation.Reporter, stage string) error {
	stop := operation.ReportElapsed(r, stage, s.opts.ProgressInterval)
	rctx, cancel := context.WithTimeout(ctx, 6*time.Hour)
	_, err := m.Run(rctx, hostmachine.Command{Program: "qemu-img", Args: []string{"rebase", "-q", "-f", "qcow2", "-b", "", d.Overlays[0]}})
	cancel()
	stop()
	if err != nil {
		return problem.Wrap(err, problem.Internal, problem.CodeMergeFailed,
			fmt.Sprintf("qemu-img rebase of disk %s's overlay %s failed: %v", d.Target, d.Overlays[0], err), "the disk still uses its chain; check the images with qemu-img check")
	}
	return nil
}

// commitLive runs an active block commit of one disk and pivots to the
// base. ctx ending aborts the job without a pivot: the disk stays on its
// overlay (the base has taken in some of the overlays' data, which the
// chain above it still covers).
func (s *Service) commitLive(ctx context.Context, t target, d chainPlan, progress func(int)) error {
	if err := t.c.BlockCommit(t.dom, d.Target, d.Base, "", true); err != nil {
		return host.Problem(err, "start the block commit of disk "+d.Target)
	}
	tick := time.NewTicker(min(s.opts.ProgressInterval, 500*time.Millisecond))
	defer tick.Stop()
	pivoted := false
	canceled := ctx.Done()
	for {
		select {
		case <-canceled:
			{
				if err := t.c.BlockJobAbort(t.dom, d.Target, false); err != nil {
					s.log.Warn("aborting the block commit failed", "vm", t.vm.Name, "disk", d.Target, "err", err)
				}
				return problem.New(problem.Canceled, problem.CodeCanceled,
					fmt.Sprintf("the merge of disk %s was canceled; the disk still uses its overlay %s and the snapshots are kept", d.Target, d.Overlays[0]),
					"merge again to consolidate the chain")
			}
		case <-tick.C:
		}
		j, err := t.c.BlockJobInfo(t.dom, d.Target)
		if err != nil {
			return host.Problem(err, "read the block commit's progress")
		}
		switch {
		case !j.Found && pivoted:
			progress(100)
			return nil
		case !j.Found:
			// The job ended without our pivot: someone aborted it.
			return problem.New(problem.Internal, problem.CodeMergeFailed,
				fmt.Sprintf("the block commit of disk %s ended before it could switch to the base image", d.Target), "check the VM's disks, then merge again")
		case j.End > 0:
			progress(int(j.Cur * 100 / j.End))
		}
		if blockJobDone(j) && !pivoted {
			// Ready: switch the disk to the base. libvirt refuses while
			// QEMU has not yet announced readiness; the next tick retries.
			if err := t.c.BlockJobAbort(t.dom, d.Target, true); err == nil {
				// Past the pivot there is nothing left to cancel.
				pivoted, canceled = true, nil
			} else if !host.IsCode(err, virt.ErrOperationInvalid, virt.ErrBlockCopyActive) {
				return host.Problem(err, "switch disk "+d.Target+" to its base image")
			}
		}
	}
}

// commitOffline merges a shut-off VM's chain with qemu-img commit, then
// points the definition's disk at the base image.
func (s *Service) commitOffline(ctx context.Context, t target, m hostmachine.Machine, d chainPlan, r operation.Reporter, stage string) error {
	stop := operation.ReportElapsed(r, stage, s.opts.ProgressInterval)
	rctx, cancel := context.WithTimeout(ctx, 6*time.Hour)
	_, err := m.Run(rctx, hostmachine.Command{Program: "qemu-img", Args: []string{"commit", "-q", "-b", d.Base, d.Overlays[0]}})
	cancel()
	stop()
	if err != nil {
		return problem.Wrap(err, problem.Internal, problem.CodeMergeFailed,
			fmt.Sprintf("qemu-img commit of disk %s failed: %v", d.Target, err), "the disk still uses its overlay; check the images with qemu-img check")
	}
	doc, err := t.c.XML(t.dom, virt.XMLInactive|virt.XMLSecure)
	if err != nil {
		return host.Problem(err, "read the VM's definition")
	}
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(doc); err != nil {
		return fmt.Errorf("parse domain XML: %w", err)
	}
	format := "qcow2"
	if info, err := backingChain(ctx, m, d.Base); err == nil && len(info) > 0 && info[0].Format != "" {
		format = info[0].Format
	}
	for i, disk := range domainDisks(&dom) {
		if diskTarget(disk) != d.Target || disk.Source == nil || disk.Source.File == nil {
			continue
		}
		dom.Devices.Disks[i].Source.File.File = d.Base
		dom.Devices.Disks[i].BackingStore = nil
		if dom.Devices.Disks[i].Driver != nil {
			dom.Devices.Disks[i].Driver.Type = format
		}
	}
	out, err := dom.Marshal()
	if err != nil {
		return fmt.Errorf("marshal domain XML: %w", err)
	}
	if _, err := t.c.Define(out); err != nil {
		return host.Problem(err, "point disk "+d.Target+" at its base image")
	}
	return nil
}

// filesInUse lists every image the VM's disks use now, live and in its
// definition.
func (s *Service) filesInUse(t target) (map[string]bool, error) {
	used := map[string]bool{}
	for _, flags := range []virt.DomainXMLFlags{0, virt.XMLInactive} {
		doc, err := t.c.XML(t.dom, flags)
		if err != nil {
			return nil, host.Problem(err, "read the VM's configuration")
		}
		var d libvirtxml.Domain
		if err := d.Unmarshal(doc); err != nil {
			return nil, fmt.Errorf("parse domain XML of %s: %w", t.vm.Name, err)
		}
		for _, c := range liveChains(&d) {
			for _, l := range c.layers {
				used[filepath.Clean(l.File)] = true
			}
		}
	}
	return used, nil
}

// removeOverlay deletes one merged overlay: through its storage pool when
// one holds it (so the pool's list stays true), else on the host.
func (s *Service) removeOverlay(ctx context.Context, t target, m hostmachine.Machine, path string) error {
	if vol, err := t.c.LookupVolumeByPath(path); err == nil {
		if err := t.c.DeleteVolume(vol); err != nil {
			return fmt.Errorf("delete %s: %w", path, err)
		}
		return nil
	}
	if err := m.RemoveFile(ctx, path); err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	return nil
}
