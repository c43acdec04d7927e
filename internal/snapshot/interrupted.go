package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// An operation whose libvirt call fails because the link to libvirtd broke
// or the VM's QEMU died does not know from the error what really happened
// (measured with test/integration/faults_*_test.go, libvirt 9.0):
//   - libvirtd killed during a snapshot with memory: libvirt keeps no
//     metadata, but leaves the VM paused (reason "save") after its restart,
//     and QEMU may still finish writing the snapshot into the image;
//   - QEMU killed: libvirt keeps no metadata and the VM is shut off.
// So the service looks again once it can, and says what it found.

// linkWait bounds how long an interrupted operation waits for libvirtd to
// answer again before it gives up looking.
const linkWait = 60 * time.Second

// recoverCreate is called when DomainSnapshotCreateXML failed with callErr.
// It returns the snapshot when libvirt has it after all (only the answer
// was lost), or the error to report: what happened, and what was put right.
func (s *Service) recoverCreate(ctx context.Context, t *target, p createPlan, r operation.Reporter, callErr error) (virt.DomainSnapshot, error) {
	var none virt.DomainSnapshot
	lost := host.IsLinkLost(callErr)
	if lost {
		r.Progress("the connection to libvirtd was lost; waiting for it to answer again", -1)
		if err := s.waitLink(ctx, t, t.c); err != nil {
			if ctx.Err() != nil {
				return none, ctx.Err() // the server is shutting down
			}
			return none, problem.Wrap(callErr, problem.Unavailable, problem.CodeSnapshotInterrupted,
				fmt.Sprintf("the snapshot %q of VM %q was interrupted: the connection to libvirtd was lost, and libvirtd did not answer again within %s",
					p.name, t.vm.Name, linkWait),
				"once libvirtd runs again, reload the snapshot list (libvirt lists a snapshot only once it is complete); if the VM is still paused, resume it")
		}
	}
	if snap, err := t.c.LookupSnapshot(t.dom, p.name); err == nil {
		s.log.Info("the snapshot call failed, but libvirt holds the snapshot", "vm", t.vm.Name, "snapshot", p.name, "err", callErr)
		return snap, nil
	}
	if lost {
		after := vmUntouched
		if p.active {
			after = s.settleAfterInterruption(ctx, t, p.memory)
		}
		return none, interruptedCreate(t.vm.Name, p.name, after, callErr)
	}
	if p.active && s.stoppedBy(ctx, t, callErr) {
		return none, stoppedDuring(t.vm.Name, fmt.Sprintf("while the snapshot %q was being taken; the snapshot was not taken", p.name), callErr)
	}
	return none, host.Problem(callErr, "create the snapshot")
}

// waitLink waits until the host has a link other than old that answers,
// and puts it into t.
func (s *Service) waitLink(ctx context.Context, t *target, old virt.Conn) error {
	deadline := time.NewTimer(linkWait)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := s.opts.Hosts.Client(t.vm.Host); err == nil && c != old {
			if _, err := c.LibVersion(); err == nil {
				t.c = c
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("libvirtd did not answer within %s", linkWait)
		case <-tick.C:
		}
	}
}

// resumePausedBySnapshot resumes the VM if libvirt left it paused for a
// snapshot (reason "save" or "snapshot") and no job of anyone else keeps
// it so. It reports whether it resumed it.
func (s *Service) resumePausedBySnapshot(t *target) (bool, error) {
	state, reason, err := t.c.State(t.dom)
	if err != nil {
		return false, err
	}
	why := virt.PausedReason(reason)
	if virt.DomainState(state) != virt.StatePaused || (why != virt.PausedSave && why != virt.PausedSnapshot) {
		return false, nil
	}
	if busy, err := t.c.JobRunning(t.dom); err != nil {
		return false, fmt.Errorf("read the VM's job: %w", err)
	} else if busy {
		return false, errors.New("a job is running on the VM")
	}
	if err := t.c.Resume(t.dom); err != nil {
		return false, err
	}
	s.log.Info("resumed the VM that an interrupted snapshot left paused", "vm", t.vm.Name)
	if _, err := s.opts.Inventory.Refresh(t.c, t.vm.Host, t.vm.UUID); err != nil {
		s.log.Warn("refreshing the VM after resuming it failed", "vm", t.vm.Name, "err", err)
	}
	return true, nil
}

// vmAfter is what became of a running VM whose snapshot was interrupted.
type vmAfter int

const (
	vmUntouched       vmAfter = iota // still as it was: nothing to say
	vmResumed                        // left paused by the snapshot, resumed by us
	vmMaybePaused                    // may be left paused: resuming was not possible
	vmStopped                        // shut off (libvirtd may kill a VM it cannot reconnect to)
	vmStoppedByDaemon                // shut off by libvirtd when it restarted
)

// settleWait bounds how long an interrupted snapshot waits for the VM to
// settle. After its restart libvirtd reconnects to QEMU, which may still be
// writing the snapshot; when QEMU does not answer in time libvirtd stops it
// (measured on a loaded 2-core host: 2 s after the link came back, while the
// VM's job could not be read). Until then the VM is paused and busy, and
// reporting "maybe paused" would be wrong a moment later.
const settleWait = 20 * time.Second

// settleAfterInterruption asks afterInterruption until the VM is in a state
// that will last (running, resumed, shut off), or settleWait has passed.
func (s *Service) settleAfterInterruption(ctx context.Context, t *target, memory bool) vmAfter {
	deadline := time.Now().Add(settleWait)
	for {
		after := s.afterInterruption(t, memory)
		if after != vmMaybePaused || time.Now().After(deadline) {
			return after
		}
		select {
		case <-ctx.Done():
			return after
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// afterInterruption finds out what became of the VM, and resumes it if
// the interrupted snapshot (with memory) left it paused.
func (s *Service) afterInterruption(t *target, memory bool) vmAfter {
	state, reason, err := t.c.State(t.dom)
	switch {
	case err != nil:
		return vmMaybePaused
	case !inventory.Active(inventory.StateName(state)):
		if virt.ShutoffReason(reason) == virt.ShutoffDaemon {
			return vmStoppedByDaemon
		}
		return vmStopped
	case !memory:
		return vmUntouched
	}
	resumed, err := s.resumePausedBySnapshot(t)
	switch {
	case resumed:
		return vmResumed
	case err != nil:
		s.log.Warn("could not resume the VM an interrupted snapshot left paused", "vm", t.vm.Name, "err", err)
		return vmMaybePaused
	}
	return vmUntouched
}

// interruptedCreate is the error of a snapshot whose link to libvirtd broke
// and of which libvirt, once back, has no record. The same name is not
// offered again: QEMU may have written the snapshot into the disk image
// (measured: it did every time here), where libvirt does not list it, and
// a second snapshot of that name in the image would be ambiguous.
func interruptedCreate(vmName, name string, after vmAfter, callErr error) error {
	msg := fmt.Sprintf("the snapshot %q of VM %q was not taken: the connection to libvirtd was lost while it was being written, and libvirt has no record of it", name, vmName)
	retake := "take the snapshot again under a new name (QEMU may have written this one into the disk image, where libvirt does not list it)"
	hint := retake
	switch after {
	case vmResumed:
		msg += "; the VM, which the snapshot had paused, was resumed"
	case vmMaybePaused:
		hint = "resume the VM if it is still paused, then " + retake
	case vmStopped:
		msg += "; the VM is shut off now"
		hint = "start the VM, then " + retake
	case vmStoppedByDaemon:
		msg += "; the VM is shut off now: libvirtd stopped it when it restarted"
		hint = "start the VM, then " + retake
	}
	return problem.Wrap(callErr, problem.Unavailable, problem.CodeSnapshotInterrupted, msg, hint)
}

// monitorWait bounds how long a failed call that names QEMU's monitor waits
// for libvirt to report the VM stopped. QEMU killed during a snapshot fails
// the call at once ("Unable to read from monitor: Connection reset by
// peer") while libvirt, handling the process's end on another thread, may
// still report the VM running for a moment (seen on a loaded 2-core host).
const monitorWait = 5 * time.Second

// stoppedBy reports whether the VM is shut off after a call that failed
// with callErr. When the error says QEMU's monitor went away, it waits up to
// monitorWait for libvirt to notice; other errors are judged at once, so a
// plain refusal of a running VM is reported without delay.
func (s *Service) stoppedBy(ctx context.Context, t *target, callErr error) bool {
	deadline := time.Now().Add(monitorWait)
	wait := strings.Contains(strings.ToLower(libvirtMessage(callErr)), "monitor")
	for {
		state, _, err := t.c.State(t.dom)
		if err == nil && !inventory.Active(inventory.StateName(state)) {
			return true
		}
		if err != nil || !wait || time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stoppedDuring is the error of an operation during which the VM stopped
// (its QEMU process ended): what says during what, and what came of it.
func stoppedDuring(vmName, what string, callErr error) error {
	return problem.Wrap(callErr, problem.Conflict, problem.CodeVMStopped,
		fmt.Sprintf("VM %q stopped %s (libvirt: %s)", vmName, what, libvirtMessage(callErr)),
		"start the VM and try again; the VM's QEMU log on the host says why it stopped")
}
