package snapshot

import (
	"context"
	"fmt"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// This file is what scheduled snapshots (internal/snapschedule) need: the
// same create and delete as the API's, run inside an operation the
// scheduler started on a VM it already holds (operation.Claim), so that
// a run is one operation that both takes and prunes.

// TakeRequest is a snapshot taken by a schedule.
type TakeRequest struct {
	Name        string
	Description string
	// Memory takes the VM's memory too when it runs; otherwise (and for a
	// shut-off VM) the snapshot is disk-only, quiesced through the guest
	// agent when it is connected.
	Memory bool
	// WhileOff takes a (disk-only) snapshot of a shut-off VM; without it
	// such a run is refused with code vm_not_running.
	WhileOff bool
}

// Consistency values of a TakeResult.
const (
	ConsistencyMemory   = "memory"           // memory and disks saved together
	ConsistencyQuiesced = "quiesced"         // file systems frozen by the guest agent
	ConsistencyCrash    = "crash-consistent" // running VM, no agent: as after a power cut
	ConsistencyShutOff  = "shut-off"         // the VM was not running
)

// TakeResult is the snapshot a schedule took.
type TakeResult struct {
	Snapshot    Snapshot `json:"snapshot"`
	Consistency string   `json:"consistency"`
}

// Take creates a snapshot for a schedule. The caller holds the VM
// (operation.Claim) and runs Take inside that claim's operation.
func (s *Service) Take(ctx context.Context, hostName, uuid string, req TakeRequest, r operation.Reporter) (TakeResult, error) {
	var res TakeResult
	t, err := s.target(hostName, uuid)
	if err != nil {
		return res, err
	}
	f, err := s.facts(t)
	if err != nil {
		return res, err
	}
	active := inventory.Active(f.State)
	if !active && !req.WhileOff {
		return res, problem.New(problem.Conflict, problem.CodeVMNotRunning,
			fmt.Sprintf("VM %q is %s and the policy does not run while it is off", t.vm.Name, f.State), "turn on \"run while off\" in the policy to snapshot it anyway")
	}
	memory := req.Memory && active
	p, err := planCreate(CreateRequest{Name: req.Name, Description: req.Description, Memory: &memory}, f, t.vm.Name)
	if err != nil {
		return res, err
	}
	if p.external && !active {
		// A user may take an external snapshot of a shut-off VM whose disks
		// cannot hold internal ones, but a policy would pile up overlays
		// it can never prune (libvirt 9.0 cannot delete external
		// snapshots): the run fails, as it did before external snapshots
		// were offered, and three such failures raise the policy's alert.
		why := "its disks cannot hold internal snapshots"
		if notes := capabilities(f).DiskOnly.Notes; len(notes) > 0 {
			why = notes[0]
		}
		return res, problem.New(problem.Unsupported, problem.CodeSnapshotNotPossible,
			fmt.Sprintf("VM %q is shut off and a policy takes no external snapshots (it could not prune them): %s", t.vm.Name, why),
			"convert the disks to qcow2 for scheduled snapshots, or take external snapshots by hand (Snapshots tab)")
	}
	if _, err := t.c.LookupSnapshot(t.dom, p.name); err == nil {
		return res, problem.New(problem.Conflict, problem.CodeSnapshotExists,
			fmt.Sprintf("VM %q already has a snapshot named %q", t.vm.Name, p.name), "make the policy's name pattern name the time to the minute or finer")
	} else if !host.IsCode(err, virt.ErrNoDomainSnapshot) {
		return res, host.Problem(err, "check the snapshot name")
	}
	cr, err := s.runCreate(ctx, t, p, r)
	if err != nil {
		return res, err
	}
	res.Snapshot = cr.Snapshot
	switch {
	case p.memory:
		res.Consistency = ConsistencyMemory
	case p.quiesce:
		res.Consistency = ConsistencyQuiesced
	case p.active:
		res.Consistency = ConsistencyCrash
	default:
		res.Consistency = ConsistencyShutOff
	}
	return res, nil
}

// Remove deletes one snapshot (its children move to its parent) for a
// schedule's pruning, with the same checks as Delete. The caller holds
// the VM.
func (s *Service) Remove(hostName, uuid, name string, r operation.Reporter) error {
	t, err := s.target(hostName, uuid)
	if err != nil {
		return err
	}
	d, snap, err := s.readDeleteFacts(t, name)
	if err != nil {
		return err
	}
	v, err := t.c.LibVersion()
	if err != nil {
		return host.Problem(err, "read the libvirt version")
	}
	if c := deleteChecks(d, Version(v)).One; !c.Possible {
		msg, hint := refusal(c)
		return problem.New(problem.Unsupported, problem.CodeDeleteUnsupported, "cannot delete: "+msg, hint)
	}
	_, err = s.runDelete(t, snap, ScopeOne, 1, r)
	return err
}

// Snapshots returns every snapshot of a VM (names, creation times), parents
// before children.
func (s *Service) Snapshots(ctx context.Context, hostName, uuid string) ([]Snapshot, error) {
	t, err := s.target(hostName, uuid)
	if err != nil {
		return nil, err
	}
	f, _, err := s.load(ctx, t)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, len(f.order))
	for i, sn := range f.order {
		out[i] = *sn
	}
	return out, nil
}

// PoolUse is how full one storage pool holding a VM's disk is.
type PoolUse struct {
	Pool       string
	Capacity   uint64
	Allocation uint64
	Available  uint64
}

// Percent is the pool's allocation in percent of its capacity.
func (p PoolUse) Percent() float64 {
	if p.Capacity == 0 {
		return 0
	}
	return float64(p.Allocation) * 100 / float64(p.Capacity)
}

// Pools returns the pools that hold the files of a VM's snapshotted disks.
// A disk that no pool holds is left out: nothing tells how full its file
// system is through libvirt.
func (s *Service) Pools(hostName, uuid string) ([]PoolUse, error) {
	t, err := s.target(hostName, uuid)
	if err != nil {
		return nil, err
	}
	f, err := s.facts(t)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []PoolUse
	for _, d := range domainDisks(f.Domain) {
		role := classifyDisk(d)
		if !role.included || d.Source == nil || d.Source.File == nil || d.Source.File.File == "" {
			continue
		}
		vol, err := t.c.LookupVolumeByPath(d.Source.File.File)
		if err != nil || seen[vol.Pool] {
			continue
		}
		seen[vol.Pool] = true
		pool, err := t.c.LookupPool(vol.Pool)
		if err != nil {
			return nil, host.Problem(err, "find the storage pool "+vol.Pool)
		}
		// A pool's figures are those of its last refresh: refresh it, or
		// a pool filled since would pass. A refresh that fails (the pool
		// is busy) leaves the last figures, which is the best there is.
		if err := t.c.RefreshPool(pool); err != nil {
			s.log.Debug("refreshing the pool before a scheduled snapshot failed", "pool", vol.Pool, "err", err)
		}
		info, err := t.c.PoolInfo(pool)
		if err != nil {
			return nil, host.Problem(err, "read the storage pool "+vol.Pool)
		}
		out = append(out, PoolUse{Pool: vol.Pool, Capacity: info.Capacity, Allocation: info.Allocation, Available: info.Available})
	}
	return out, nil
}
