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

// timeFormat is how times appear in messages.
const timeFormat = "2006-01-02 15:04:05 UTC"

// revertImpact describes what reverting a VM throws away: everything since
// the state of its current snapshot (or everything, without one).
func revertImpact(vmName string, active bool, cur *Snapshot) Impact {
	what := "its disks"
	if active {
		what = "its memory and disks"
	}
	if cur == nil {
		return Impact{Message: fmt.Sprintf("the current state of VM %q (%s) will be lost; it has no current snapshot, so none of it is kept in a snapshot", vmName, what)}
	}
	since := cur.CreationTime
	return Impact{Since: &since, Message: fmt.Sprintf("the current state of VM %q (%s) since %s will be lost: every change made after the state of snapshot %q, unless another snapshot holds it",
		vmName, what, since.Format(timeFormat), cur.Name)}
}

// revertCheck says whether a revert to snap is possible at all.
func revertCheck(snap *Snapshot, v Version) Capability {
	c := newCap("")
	if snap.Location == "external" && v < minExternalRevert {
		c.refuse(fmt.Sprintf("snapshot %q is external, and libvirt %s cannot revert to external snapshots (%s or newer can)", snap.Name, v, minExternalRevert),
			fmt.Sprintf("upgrade libvirt on the host to %s or newer", minExternalRevert))
	}
	if snap.State == "disk-snapshot" {
		c.note("a disk-only snapshot of a running VM holds no memory: the VM starts from its disks as after a power cut, unless you choose paused")
	}
	return c
}

func revertFlags(after string, force bool) (virt.SnapshotRevertFlags, error) {
	var flags virt.SnapshotRevertFlags
	switch after {
	case "", AfterSnapshot:
	case AfterRunning:
		flags |= virt.SnapshotRevertRunning
	case AfterPaused:
		flags |= virt.SnapshotRevertPaused
	default:
		return 0, problem.New(problem.Invalid, problem.CodeInvalidAfter,
			fmt.Sprintf("after: %q is not a choice", problem.Clip(after)),
			`use "snapshot" (the state the snapshot recorded), "running" or "paused"`)
	}
	if force {
		flags |= virt.SnapshotRevertForce
	}
	return flags, nil
}

// Revert checks a revert request and starts an operation that carries it
// out. An active VM loses its current state, so the request must confirm
// it; the refusal says what would be lost.
func (s *Service) Revert(hostName, uuid, name string, req RevertRequest) (operation.Op, error) {
	flags, err := revertFlags(req.After, req.Force)
	if err != nil {
		return operation.Op{}, err
	}
	if err := checkRef(name); err != nil {
		return operation.Op{}, err
	}
	t, err := s.target(hostName, uuid)
	if err != nil {
		return operation.Op{}, err
	}
	claim, err := s.opts.Operations.Claim(t.opTarget(), "snapshot-revert", name)
	if err != nil {
		return operation.Op{}, err
	}
	op, err := s.startRevert(t, name, req, flags, claim)
	if err != nil {
		claim.Release()
	}
	return op, err
}

func (s *Service) startRevert(t target, name string, req RevertRequest, flags virt.SnapshotRevertFlags, claim *operation.Claim) (operation.Op, error) {
	snap, err := s.lookup(t, name)
	if err != nil {
		return operation.Op{}, err
	}
	sum, err := s.summary(t, snap)
	if err != nil {
		return operation.Op{}, err
	}
	v, err := t.c.LibVersion()
	if err != nil {
		return operation.Op{}, host.Problem(err, "read the libvirt version")
	}
	if c := revertCheck(&sum, Version(v)); !c.Possible {
		msg, hint := refusal(c)
		return operation.Op{}, problem.New(problem.Unsupported, problem.CodeRevertUnsupported, "cannot revert: "+msg, hint)
	}
	state, _, err := t.c.State(t.dom)
	if err != nil {
		return operation.Op{}, host.Problem(err, "read the VM's state")
	}
	active := inventory.Active(inventory.StateName(state))
	var cur *Snapshot
	if cname, err := currentName(t); err != nil {
		return operation.Op{}, err
	} else if cname != "" {
		c, err := s.summary(t, virt.DomainSnapshot{Name: cname, Dom: t.dom})
		if err != nil && problem.KindOf(err) != problem.NotFound {
			return operation.Op{}, err
		}
		if err == nil {
			cur = &c
		}
	}
	impact := revertImpact(t.vm.Name, active, cur)
	if active && !req.Confirm {
		return operation.Op{}, problem.New(problem.Conflict, problem.CodeConfirmRequired,
			fmt.Sprintf("reverting running VM %q to %q needs confirmation: %s", t.vm.Name, name, impact.Message),
			`send "confirm": true to revert anyway`)
	}
	return claim.Start("snapshot-revert", false, func(ctx context.Context, r operation.Reporter) error {
		res, err := s.runRevert(t, snap, flags, impact, req.Force, active, r)
		if err == nil {
			r.SetResult(res)
		}
		return err
	})
}

func (s *Service) runRevert(t target, snap virt.DomainSnapshot, flags virt.SnapshotRevertFlags, impact Impact, forced, active bool, r operation.Reporter) (RevertResult, error) {
	if err := s.relink(&t); err != nil {
		return RevertResult{}, err
	}
	snap.Dom = t.dom
	s.waitScreenshot(t.key)
	stop := s.watchJob(t, r, "reverting to "+snap.Name)
	err := t.c.RevertSnapshot(snap, flags)
	stop()
	if err != nil {
		if host.IsCode(err, virt.ErrSnapshotRevertRisky) {
			// libvirt's own warning says what the risk is; only the user
			// can accept it.
			return RevertResult{}, problem.Wrap(err, problem.Conflict, problem.CodeRevertRisky,
				"libvirt refuses this revert without force: "+libvirtMessage(err),
				`if you accept that risk, repeat the revert with "force": true`)
		}
		s.changed(t, "reverted", []string{snap.Name}) // a failed revert may still have changed the VM
		if active && !host.IsLinkLost(err) {
			// libvirt reverts a running VM by starting a new QEMU that loads
			// the snapshot; if that or the old one dies, the VM is off.
			if s.stoppedBy(context.Background(), &t, err) {
				return RevertResult{}, stoppedDuring(t.vm.Name, fmt.Sprintf("during the revert to %q and is shut off now", snap.Name), err)
			}
		}
		return RevertResult{}, libvirtProblem(err, t.vm.Name, snap.Name, "revert to the snapshot")
	}
	r.Progress("reading the VM's state", 95)
	s.changed(t, "reverted", []string{snap.Name})
	res := RevertResult{Snapshot: snap.Name, Lost: impact, Forced: forced}
	if state, _, err := t.c.State(t.dom); err == nil {
		res.VMState = inventory.StateName(state)
	}
	return res, nil
}

// libvirtMessage is libvirt's own message in err, or err's text.
func libvirtMessage(err error) string {
	var le virt.Error
	if ok := asLibvirt(err, &le); ok {
		return le.Message
	}
	return err.Error()
}
