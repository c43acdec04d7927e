package snapshot

import (
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/operation"
)

// busyOf shows a VM's hold as the snapshot list's busy mark: snapshot work
// by its verb and snapshot ("create" of "s1"), other work (the VM being
// deleted) by its kind. Nil when the VM is free.
func busyOf(h *operation.Hold) *Busy {
	if h == nil {
		return nil
	}
	return &Busy{Operation: h.Operation, Kind: strings.TrimPrefix(h.Kind, "snapshot-"), Snapshot: h.Subject, Since: h.Since}
}
