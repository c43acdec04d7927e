package storage

import (
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// holdVM holds a VM for a change of its CD-ROM drives, as the Hardware
// tab's edits hold it (kind "hardware-edit"): refused with 409 while a
// snapshot, clone, export or delete runs on the VM, and the reverse. The
// returned func releases it.
func (s *Service) holdVM(hostName string, dom virt.Domain) (func(), error) {
	if s.opts.Operations == nil {
		return func() {}, nil
	}
	claim, err := s.opts.Operations.Claim(operation.Target{Host: hostName, UUID: host.FormatUUID(dom.UUID), Name: dom.Name}, "hardware-edit", "cdrom")
	if err != nil {
		return nil, err
	}
	return claim.Release, nil
}
