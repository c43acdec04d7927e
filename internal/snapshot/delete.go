package snapshot

import (
	"context"
	"fmt"
	"slices"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// deleteFacts is what the delete rules need to know about one snapshot.
type deleteFacts struct {
	target      Snapshot
	parent      *Snapshot // nil for a root
	children    []string
	descendants []string
	// externalDescendants are the descendants that are external.
	externalDescendants []string
	current             string
	// currentIsAncestor reports whether the current snapshot is an
	// ancestor of the target (only read when a rule needs it).
	currentIsAncestor bool
}

// factsFromForest reads deleteFacts from a loaded tree.
func factsFromForest(f *forest, name string) (deleteFacts, bool) {
	sn := f.byName[name]
	if sn == nil {
		return deleteFacts{}, false
	}
	d := deleteFacts{target: *sn, parent: f.byName[sn.Parent], children: sn.Children, descendants: f.descendants(name), current: currentOf(f)}
	d.currentIsAncestor = f.isAncestor(d.current, name)
	for _, n := range d.descendants {
		if f.byName[n].Location == "external" {
			d.externalDescendants = append(d.externalDescendants, n)
		}
	}
	return d, true
}

// deleteChecks says per scope whether libvirt can delete a snapshot. The
// rules for external snapshots are those of libvirt's QEMU driver
// (qemuSnapshotDeleteValidate); checking them first turns libvirt's terse
// refusal into one that says what to do. Internal snapshots have no such
// limits.
func deleteChecks(d deleteFacts, v Version) DeleteInfo {
	info := DeleteInfo{One: newCap(""), Subtree: newCap(""), Children: newCap("")}
	sn, name := d.target, d.target.Name
	if len(d.descendants) == 0 {
		info.Children.refuse(fmt.Sprintf("snapshot %q has no children", name), "")
	}
	if len(d.externalDescendants) > 0 {
		why := fmt.Sprintf("snapshot %q has external descendants (%q), which libvirt cannot delete together with their parent", name, d.externalDescendants[0])
		fix := "delete the external descendants one at a time, leaves first"
		info.Subtree.refuse(why, fix)
		info.Children.refuse(why, fix)
	}
	if sn.Location == "external" {
		if v < minExternalDelete {
			why := fmt.Sprintf("libvirt %s cannot delete external snapshots (%s or newer can)", v, minExternalDelete)
			fix := fmt.Sprintf("upgrade libvirt on the host to %s or newer", minExternalDelete)
			info.One.refuse(why, fix)
			info.Subtree.refuse(why, fix)
		}
		info.Subtree.refuse(fmt.Sprintf("snapshot %q is external, and libvirt cannot delete an external snapshot together with its children", name),
			"delete its children first, then the snapshot")
		if p := d.parent; p != nil && p.Location != "external" {
			info.One.refuse(fmt.Sprintf("external snapshot %q has an internal parent (%q), and libvirt cannot merge an external snapshot into an internal one", name, p.Name), "")
		}
		switch {
		case len(d.children) > 1:
			info.One.refuse(fmt.Sprintf("external snapshot %q has %d children; libvirt deletes an external snapshot only when it has at most one", name, len(d.children)),
				"delete all but one of its children first")
		case d.current == name && len(d.children) > 0:
			info.One.refuse(fmt.Sprintf("external snapshot %q is the current snapshot and has children; libvirt deletes a current external snapshot only when it is a leaf", name),
				"revert to another snapshot first, or delete its children")
		case len(d.children) > 0 && d.currentIsAncestor:
			// libvirt: "deletion of non-leaf external snapshot that is not
			// in active chain".
			info.One.refuse(fmt.Sprintf("external snapshot %q has children and is not on the path to the current snapshot; libvirt cannot delete it", name),
				"delete its children first")
		}
	}
	return info
}

// checkScope checks a delete scope.
func checkScope(scope string) error {
	switch scope {
	case "", ScopeOne, ScopeSubtree, ScopeChildren:
		return nil
	}
	return problem.New(problem.Invalid, problem.CodeInvalidScope,
		fmt.Sprintf("scope %q is not a choice", problem.Clip(scope)),
		`use scope=one (the snapshot; its children move to its parent), scope=subtree (with all its descendants) or scope=children (only its descendants)`)
}

// Delete checks a delete request and starts an operation that carries it
// out. What libvirt cannot delete is refused first, with the reason.
func (s *Service) Delete(hostName, uuid, name, scope string) (operation.Op, error) {
	if err := checkScope(scope); err != nil {
		return operation.Op{}, err
	}
	if scope == "" {
		scope = ScopeOne
	}
	if err := checkRef(name); err != nil {
		return operation.Op{}, err
	}
	t, err := s.target(hostName, uuid)
	if err != nil {
		return operation.Op{}, err
	}
	claim, err := s.opts.Operations.Claim(t.opTarget(), "snapshot-delete", name)
	if err != nil {
		return operation.Op{}, err
	}
	op, err := s.startDelete(t, name, scope, claim)
	if err != nil {
		claim.Release()
	}
	return op, err
}

// readDeleteFacts reads what the delete rules need with a few calls, not
// the whole tree: deleting from a VM with hundreds of snapshots stays quick.
func (s *Service) readDeleteFacts(t target, name string) (deleteFacts, virt.DomainSnapshot, error) {
	var d deleteFacts
	snap, err := s.lookup(t, name)
	if err != nil {
		return d, snap, err
	}
	if d.target, err = s.summary(t, snap); err != nil {
		return d, snap, err
	}
	if d.target.Parent != "" {
		if p, err := s.summary(t, virt.DomainSnapshot{Name: d.target.Parent, Dom: t.dom}); err == nil {
			d.parent = &p
		} else if problem.KindOf(err) != problem.NotFound {
			return d, snap, err
		}
	}
	list := func(flags virt.SnapshotListFlags) ([]string, error) {
		kids, err := t.c.SnapshotChildren(snap, flags)
		if err != nil {
			return nil, libvirtProblem(err, t.vm.Name, name, "list the snapshot's children")
		}
		names := make([]string, len(kids))
		for i, k := range kids {
			names[i] = k.Name
		}
		return names, nil
	}
	if d.children, err = list(0); err != nil {
		return d, snap, err
	}
	if d.descendants, err = list(virt.SnapshotListDescendants); err != nil {
		return d, snap, err
	}
	if len(d.descendants) > 0 {
		if d.externalDescendants, err = list(virt.SnapshotListDescendants | virt.SnapshotListExternal); err != nil {
			return d, snap, err
		}
	}
	if d.current, err = currentName(t); err != nil {
		return d, snap, err
	}
	if d.target.Location == "external" && len(d.children) > 0 && d.current != "" && d.current != name {
		below, err := t.c.SnapshotChildren(virt.DomainSnapshot{Name: d.current, Dom: t.dom}, virt.SnapshotListDescendants)
		if err != nil {
			return d, snap, libvirtProblem(err, t.vm.Name, d.current, "list the current snapshot's descendants")
		}
		d.currentIsAncestor = slices.ContainsFunc(below, func(x virt.DomainSnapshot) bool { return x.Name == name })
	}
	return d, snap, nil
}

func (s *Service) startDelete(t target, name, scope string, claim *operation.Claim) (operation.Op, error) {
	d, snap, err := s.readDeleteFacts(t, name)
	if err != nil {
		return operation.Op{}, err
	}
	v, err := t.c.LibVersion()
	if err != nil {
		return operation.Op{}, host.Problem(err, "read the libvirt version")
	}
	checks := deleteChecks(d, Version(v))
	c := map[string]Capability{ScopeOne: checks.One, ScopeSubtree: checks.Subtree, ScopeChildren: checks.Children}[scope]
	if !c.Possible {
		msg, hint := refusal(c)
		if len(d.descendants) == 0 && scope == ScopeChildren {
			return operation.Op{}, problem.New(problem.Conflict, problem.CodeNoChildren, msg, "use scope=one to delete the snapshot itself")
		}
		return operation.Op{}, problem.New(problem.Unsupported, problem.CodeDeleteUnsupported, "cannot delete: "+msg, hint)
	}
	total := 1
	switch scope {
	case ScopeSubtree:
		total = 1 + len(d.descendants)
	case ScopeChildren:
		total = len(d.descendants)
	}
	return claim.Start("snapshot-delete", false, func(ctx context.Context, r operation.Reporter) error {
		res, err := s.runDelete(t, snap, scope, total, r)
		r.SetResult(res)
		return err
	})
}

// runDelete deletes what the scope names. Descendants are deleted leaves
// first, round by round (each round lists the leaves among the remaining
// descendants), so that each one is a leaf when its turn comes.
//
// libvirt's own DELETE_CHILDREN and DELETE_CHILDREN_ONLY flags are not
// used: libvirt 9.0 crashes (libvirtd segfaults) deleting a subtree in which
// a snapshot with children has an older sibling, because it re-parents the
// children of each deleted snapshot while it walks the very lists it
// changes. Deleting leaves one at a time never re-parents anything; scope
// "one" re-parents the snapshot's children once, which is safe.
func (s *Service) runDelete(t target, snap virt.DomainSnapshot, scope string, total int, r operation.Reporter) (DeleteResult, error) {
	res := DeleteResult{Deleted: []string{}}
	if err := s.relink(&t); err != nil {
		return res, err
	}
	snap.Dom = t.dom
	s.waitScreenshot(t.key)
	del := func(x virt.DomainSnapshot) error {
		stop := s.watchJob(t, r, fmt.Sprintf("deleting snapshot %d of %d (%s)", len(res.Deleted)+1, total, x.Name))
		err := t.c.DeleteSnapshot(x)
		stop()
		if err != nil {
			return libvirtProblem(err, t.vm.Name, x.Name, fmt.Sprintf("delete snapshot %q", x.Name))
		}
		res.Deleted = append(res.Deleted, x.Name)
		return nil
	}
	var err error
	if scope != ScopeOne && scope != "" {
		for round := 0; round <= total && err == nil; round++ {
			var leaves []virt.DomainSnapshot
			leaves, err = t.c.SnapshotChildren(snap, virt.SnapshotListDescendants|virt.SnapshotListLeaves)
			if err != nil {
				err = libvirtProblem(err, t.vm.Name, snap.Name, "list the snapshot's descendants")
				break
			}
			if len(leaves) == 0 {
				break
			}
			for _, leaf := range leaves {
				if err = del(leaf); err != nil {
					break
				}
			}
		}
	}
	if err == nil && scope != ScopeChildren {
		err = del(snap)
	}
	res.Current, _ = s.changed(t, "deleted", res.Deleted)
	s.shots.removeNames(t.vm.Host, t.vm.UUID, res.Deleted)
	if err != nil && len(res.Deleted) > 0 {
		if p, ok := problem.As(err); ok {
			p.Message += fmt.Sprintf(" (%d of %d were deleted before: the result lists them)", len(res.Deleted), total)
		}
	}
	return res, err
}

// DeleteAll deletes every snapshot of a domain, leaves first, and returns
// how many it deleted. It is what deleting a VM "with its snapshots" needs:
// unlike libvirt's DELETE_CHILDREN flag on the roots, it does not crash
// libvirt 9.0 on branched trees (see deletionOrder).
func DeleteAll(c virt.Conn, dom virt.Domain) (int, error) {
	total, err := c.SnapshotCount(dom)
	if err != nil {
		return 0, err
	}
	deleted := 0
	// Each round deletes the current leaves; a tree of depth d takes d
	// rounds, so total+1 rounds are always enough.
	for round := 0; round <= total; round++ {
		leaves, err := c.LeafSnapshots(dom)
		if err != nil {
			return deleted, err
		}
		if len(leaves) == 0 {
			return deleted, nil
		}
		for _, s := range leaves {
			if err := c.DeleteSnapshot(s); err != nil && !host.IsCode(err, virt.ErrNoDomainSnapshot) {
				return deleted, err
			}
			deleted++
		}
	}
	return deleted, fmt.Errorf("snapshots of %s remain after deleting %d", dom.Name, deleted)
}
