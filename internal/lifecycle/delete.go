package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/snapshot"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// DeleteRequest says exactly what deleting a VM may remove. Nothing that is
// not named here is touched.
type DeleteRequest struct {
	// Snapshots must be "delete" when the VM has snapshots: they are deleted
	// (with the data they hold inside the disks) before the VM is undefined.
	// Empty means "the VM has none"; anything else is refused.
	Snapshots string `json:"snapshots,omitempty"`
	// Disks lists the targets (e.g. "vda") whose image files are removed
	// after the VM is undefined. Disks not listed are kept.
	Disks []string `json:"disks,omitempty"`
	// Force stops a running VM first; without it a running VM is refused.
	Force bool `json:"force,omitempty"`
	// RemoveNVRAM also removes a UEFI VM's variable store; it is kept otherwise.
	RemoveNVRAM bool `json:"removeNvram,omitempty"`
}

// DeleteResult is what a finished delete removed and kept.
type DeleteResult struct {
	Name             string   `json:"name"`
	SnapshotsDeleted int      `json:"snapshotsDeleted"`
	RemovedDisks     []string `json:"removedDisks"`
	KeptDisks        []string `json:"keptDisks"`
}

// Delete validates the request and starts an operation that undefines the VM
// and removes what the request names. Validation failures change nothing.
// The VM is held from the checks to the end (operation.Claim): a delete is
// refused while a snapshot operation runs on the VM, and the reverse.
func (s *Service) Delete(hostName, uuid string, req DeleteRequest) (operation.Op, error) {
	vm, err := s.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return operation.Op{}, err
	}
	target := operation.Target{Host: vm.Host, UUID: vm.UUID, Name: vm.Name}
	claim, err := s.opts.Operations.Claim(target, "vm-delete", "")
	if err != nil {
		return operation.Op{}, err
	}
	op, err := s.startDelete(vm, req, claim)
	if err != nil {
		claim.Release()
	}
	return op, err
}

func (s *Service) startDelete(vm inventory.VM, req DeleteRequest, claim *operation.Claim) (operation.Op, error) {
	hostName := vm.Host
	if req.Snapshots != "" && req.Snapshots != "delete" {
		return operation.Op{}, problem.New(problem.Invalid, problem.CodeInvalidSnapshotsChoice,
			fmt.Sprintf("snapshots: %q is not a choice", problem.Clip(req.Snapshots)), `use "delete" to delete the VM's snapshots with it`)
	}
	// libvirt raises no event when snapshots change, so the count is read
	// live: a snapshot taken a moment ago with virsh must still protect the VM.
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return operation.Op{}, err
	}
	dom := virt.Domain{Name: vm.Name}
	dom.UUID, _ = host.ParseUUID(vm.UUID)
	nsnap, err := c.SnapshotCount(dom)
	if err != nil {
		return operation.Op{}, host.Problem(err, "count the VM's snapshots")
	}
	if nsnap > 0 && req.Snapshots != "delete" {
		return operation.Op{}, problem.New(problem.Conflict, problem.CodeVMHasSnapshots,
			fmt.Sprintf("VM %q has %d snapshot(s); deleting it would orphan them", vm.Name, nsnap),
			`send "snapshots": "delete" to delete them with the VM, or delete them first`)
	}
	if inventory.Active(vm.State) && !req.Force {
		return operation.Op{}, problem.New(problem.Conflict, problem.CodeVMRunning,
			fmt.Sprintf("VM %q is %s", vm.Name, vm.State), `shut it down first, or send "force": true to power it off and delete it`)
	}
	h, err := s.opts.Hosts.Get(hostName)
	if err != nil {
		return operation.Op{}, err
	}
	m := h.Machine()
	var remove, keep []inventory.Disk
	seen := map[string]bool{}
	for _, t := range req.Disks {
		if seen[t] {
			return operation.Op{}, problem.New(problem.Invalid, problem.CodeDuplicateDisk, fmt.Sprintf("disk %q is listed twice", problem.Clip(t)), "list each disk once")
		}
		seen[t] = true
		i := slices.IndexFunc(vm.Disks, func(d inventory.Disk) bool { return d.Target == t })
		if i < 0 {
			return operation.Op{}, problem.New(problem.Invalid, problem.CodeUnknownDisk,
				fmt.Sprintf("VM %q has no disk %q", vm.Name, problem.Clip(t)), "name disks by their target, as the VM's details list them")
		}
		d := vm.Disks[i]
		if d.Type != "file" || d.Source == "" {
			return operation.Op{}, problem.New(problem.Unsupported, problem.CodeDiskNotRemovable,
				fmt.Sprintf("disk %s is a %s disk; only file-backed disk images can be removed here", t, d.Type), "remove it with the tools of its storage")
		}
		if other := s.otherUser(vm, d.Source); other != "" {
			return operation.Op{}, problem.New(problem.Conflict, problem.CodeDiskInUse,
				fmt.Sprintf("disk image %s is also used by VM %q", d.Source, other), "keep this disk, or detach it from the other VM first")
		}
		if err := m.Check(machine.Files); err != nil {
			// The host's files are out of reach (a host reached over
			// TLS): refuse now, rather than undefine the VM and then
			// fail to remove its disks.
			return operation.Op{}, problem.Wrap(err, problem.Unsupported, problem.CodeRemoteDiskRemoval,
				"removing disk images of remote hosts is not supported yet", "keep the disks and remove them on the host")
		}
		remove = append(remove, d)
	}
	for _, d := range vm.Disks {
		if !seen[d.Target] && d.Source != "" {
			keep = append(keep, d)
		}
	}
	if len(remove) > 0 {
		// Other VMs' disks may be overlays on these images (linked
		// clones): deleting the images would break those VMs.
		paths := make([]string, len(remove))
		for i, d := range remove {
			paths[i] = d.Source
		}
		deps := s.dependents(c, vm, paths)
		for _, d := range remove {
			if names := deps[filepath.Clean(d.Source)]; len(names) > 0 {
				quoted := make([]string, len(names))
				for i, n := range names {
					quoted[i] = fmt.Sprintf("%q", problem.Clip(n))
				}
				return operation.Op{}, problem.New(problem.Conflict, problem.CodeDiskHasDependents,
					fmt.Sprintf("disk image %s of %s is the base of the disks of VM %s (linked clones: their disks are overlays on it); deleting it would break them",
						d.Source, d.Target, strings.Join(quoted, ", ")),
					"keep this disk image (untick it: the VM can be deleted without it), or delete those VMs first")
			}
		}
	}
	return claim.Start("delete", false, func(ctx context.Context, r operation.Reporter) error {
		res, err := s.runDelete(ctx, m, vm, req, remove, keep, r)
		r.SetResult(res)
		return err
	})
}

// otherUser returns the name of another VM that uses the same image.
func (s *Service) otherUser(vm inventory.VM, source string) string {
	for _, o := range s.opts.Inventory.List() {
		if o.Host != vm.Host || o.UUID == vm.UUID {
			continue
		}
		for _, d := range o.Disks {
			if d.Source == source {
				return o.Name
			}
		}
	}
	return ""
}

func (s *Service) runDelete(ctx context.Context, m machine.Machine, vm inventory.VM, req DeleteRequest, remove, keep []inventory.Disk, r operation.Reporter) (DeleteResult, error) {
	res := DeleteResult{Name: vm.Name, RemovedDisks: []string{}, KeptDisks: []string{}}
	for _, d := range keep {
		res.KeptDisks = append(res.KeptDisks, d.Source)
	}
	c, err := s.opts.Hosts.Client(vm.Host)
	if err != nil {
		return res, err
	}
	dom := virt.Domain{Name: vm.Name}
	dom.UUID, _ = host.ParseUUID(vm.UUID)
	if dom, err = c.LookupDomain(dom.UUID); err != nil {
		return res, host.Problem(err, "find the VM")
	}
	if state, _, err := c.State(dom); err == nil && inventory.Active(inventory.StateName(state)) {
		r.Progress("powering off", 5)
		if err := c.Destroy(dom); err != nil {
			return res, host.Problem(err, "power off the VM before deleting it")
		}
	}
	if req.Snapshots == "delete" {
		r.Progress("deleting snapshots", 20)
		n, err := snapshot.DeleteAll(c, dom)
		res.SnapshotsDeleted = n
		if err != nil {
			return res, host.Problem(err, "delete the VM's snapshots")
		}
	}
	r.Progress("removing the VM definition", 60)
	flags := virt.UndefineManagedSave | virt.UndefineKeepNvram
	if req.RemoveNVRAM {
		flags = virt.UndefineManagedSave | virt.UndefineNvram
	}
	if persistent, err := c.Persistent(dom); err == nil && persistent {
		if err := c.Undefine(dom, flags); err != nil {
			return res, host.Problem(err, "undefine the VM")
		}
	}
	_, _ = s.opts.Inventory.Refresh(c, vm.Host, vm.UUID)
	var errs []error
	for i, d := range remove {
		r.Progress("removing disk image "+d.Source, 70+25*i/max(1, len(remove)))
		if err := removeImage(ctx, c, m, d.Source); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Source, err))
			res.KeptDisks = append(res.KeptDisks, d.Source)
			continue
		}
		res.RemovedDisks = append(res.RemovedDisks, d.Source)
	}
	if len(errs) > 0 {
		return res, problem.Wrap(errors.Join(errs...), problem.Upstream, problem.CodeDiskRemovalFailed,
			fmt.Sprintf("VM %q was deleted, but %d disk image(s) could not be removed", vm.Name, len(errs)),
			"the operation result lists what was kept; remove those files by hand")
	}
	return res, nil
}

// removeImage deletes a disk image: through libvirt's storage pool when the
// file belongs to one (so the pool stays consistent), else from the host's
// file system. An image that is already gone counts as removed.
func removeImage(ctx context.Context, c virt.Conn, m machine.Machine, path string) error {
	if vol, err := c.LookupVolumeByPath(path); err == nil {
		return c.DeleteVolume(vol)
	}
	return m.RemoveFile(ctx, path)
}
