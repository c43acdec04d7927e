package snapshot

import (
	"context"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// vmEvent is the part of a "vm" or "vm-removed" event the watcher reads.
type vmEvent struct {
	Host, UUID, Name string
}

// Run watches the event bus until ctx ends, to notice snapshot changes made
// outside KVM Manager. libvirt raises no snapshot events, but the inventory
// re-reads a VM (and its snapshot count) on every lifecycle event, and a
// snapshot of a running VM pauses and resumes it: a "vm" event whose count
// differs from the last one seen, while no operation of ours runs on the
// VM, is published as a "snapshot" event with change "external". Changes to
// stopped VMs raise no event; the next list notices them (see List).
//
// It also removes the stored screenshots of VMs that are gone. When ctx
// ends, it waits for the service's work that outlives requests (re-reading
// a VM after a change, storing a new snapshot's screenshot): both are
// bounded by libvirt calls and the screenshot timeout.
func (s *Service) Run(ctx context.Context) error {
	defer s.bg.Close()
	if s.opts.Bus == nil {
		<-ctx.Done()
		return nil
	}
	for ctx.Err() == nil {
		sub := s.opts.Bus.Subscribe(256, event.TypeVM, event.TypeVMRemoved)
		s.watch(ctx, sub)
		sub.Close()
		if ctx.Err() == nil {
			// Dropped for falling behind: counts may have been missed, so
			// forget them rather than report stale differences.
			s.mu.Lock()
			clear(s.counts)
			s.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

func (s *Service) watch(ctx context.Context, sub *event.Subscription) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			switch d := ev.Data.(type) {
			case inventory.VM:
				s.noticeCount(vmEvent{Host: d.Host, UUID: d.UUID, Name: d.Name}, d.SnapshotCount)
			case inventory.Removed:
				s.vmRemoved(vmEvent{Host: d.Host, UUID: d.UUID, Name: d.Name})
			}
		}
	}
}

// noticeCount compares a VM's snapshot count with the last one seen.
func (s *Service) noticeCount(v vmEvent, n int) {
	key := vmKey(v.Host, v.UUID)
	// Work of ours on the VM (a snapshot operation, the VM being deleted)
	// changes the count; only changes while it is free came from outside.
	busy := s.opts.Operations.Holding(operation.Target{Host: v.Host, UUID: v.UUID}) != nil
	s.mu.Lock()
	old, known := s.counts[key]
	if !busy {
		s.counts[key] = n
		if known && old != n {
			// The tree changed; the next list must not report it again.
			delete(s.prints, key)
		}
	}
	s.mu.Unlock()
	if known && old != n && !busy {
		s.log.Info("snapshot count changed outside KVM Manager", "vm", v.Name, "from", old, "to", n)
		s.publish(Event{Host: v.Host, UUID: v.UUID, VM: v.Name, Change: "external", Count: n})
	}
}

// vmRemoved forgets a VM that is gone and removes its screenshots, after
// checking with libvirt that it is really gone (libvirt forgets a VM's
// snapshots with the VM).
func (s *Service) vmRemoved(v vmEvent) {
	key := vmKey(v.Host, v.UUID)
	s.forget(key)
	s.cache.forget(key)
	if s.shots.dir == "" {
		return
	}
	c, err := s.opts.Hosts.Client(v.Host)
	if err != nil {
		return
	}
	u, err := host.ParseUUID(v.UUID)
	if err != nil {
		return
	}
	if _, err := c.LookupDomain(u); !host.IsCode(err, virt.ErrNoDomain) {
		return
	}
	if err := s.shots.removeVM(v.Host, v.UUID); err != nil {
		s.log.Warn("removing the screenshots of a deleted VM failed", "vm", v.Name, "err", err)
	}
}
