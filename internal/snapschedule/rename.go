package snapschedule

import (
	"slices"
)

// RenameHost moves everything the scheduler keeps under a host's name to
// the host's new name: policy targets (one VM, or all VMs of the host), the
// ownership of the snapshots its policies took, and pins. Without it a
// renamed host's VMs would fall out of their policies ("all VMs of a host"
// would look for VMs of a host that no longer exists), and retention would
// no longer recognise the snapshots it took. Past run results keep the
// name the host had then, as the audit log does. It is a
// hostadmin.Options.Renamed hook: the host is stopped while it runs.
func (s *Scheduler) RenameHost(oldName, newName string) error {
	if oldName == newName {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st
	st := s.st
	st.Policies = slices.Clone(old.Policies)
	var touched []string
	for i, p := range st.Policies {
		if !slices.ContainsFunc(p.Targets, func(t Target) bool { return t.Host == oldName }) {
			continue
		}
		targets := make([]Target, 0, len(p.Targets))
		for _, t := range p.Targets {
			if t.Host == oldName {
				t.Host = newName
			}
			if !slices.Contains(targets, t) {
				targets = append(targets, t)
			}
		}
		p.Targets = targets
		st.Policies[i] = p
		touched = append(touched, p.ID)
	}
	st.Owned = slices.Clone(old.Owned)
	for i := range st.Owned {
		if st.Owned[i].Host == oldName {
			st.Owned[i].Host = newName
		}
	}
	st.Pins = slices.Clone(old.Pins)
	for i := range st.Pins {
		if st.Pins[i].Host == oldName {
			st.Pins[i].Host = newName
		}
	}
	s.st = st
	if err := s.saveLocked(); err != nil {
		s.st = old
		return err
	}
	// The parsed copies carry the targets too.
	for _, p := range st.Policies {
		if c, ok := s.parsed[p.ID]; ok {
			c.spec.Targets = p.Targets
			s.parsed[p.ID] = c
		}
	}
	for _, id := range touched {
		s.publishLocked(id)
	}
	return nil
}
