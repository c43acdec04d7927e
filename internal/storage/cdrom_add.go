package storage

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// DriveAdded is the answer to AddCDROM.
type DriveAdded struct {
	// Target is the new drive's target (sda, hdc, ...): the name the
	// media calls (PUT/DELETE .../cdrom/{target}) use.
	Target string `json:"target"`
	Bus    string `json:"bus"`
	// EffectiveAtNextStart says that a running VM gets the drive only after
	// it was shut down and started again: a PC's CD-ROM drives (IDE, SATA)
	// cannot be plugged into a running machine.
	EffectiveAtNextStart bool   `json:"effectiveAtNextStart"`
	Message              string `json:"message"`
}

// AddCDROM adds an empty CD-ROM drive to the VM's stored definition, on the
// bus its machine type has for one (SATA on q35, IDE on the older PC
// machine), with the first free target of that bus. The media calls then
// insert an ISO into it (for a running VM, once it was restarted).
func (s *Service) AddCDROM(hostName, uuid string) (DriveAdded, error) {
	c, err := s.client(hostName)
	if err != nil {
		return DriveAdded{}, err
	}
	dom, err := lookupVM(c, uuid)
	if err != nil {
		return DriveAdded{}, err
	}
	release, err := s.holdVM(hostName, dom)
	if err != nil {
		return DriveAdded{}, err
	}
	defer release()
	persistent, err := c.Persistent(dom)
	if err != nil {
		return DriveAdded{}, host.Problem(err, "read whether the VM has a definition")
	}
	if !persistent {
		return DriveAdded{}, problem.New(problem.Unsupported, problem.CodeVMTransient,
			fmt.Sprintf("VM %q is transient: it has no stored definition to add a CD-ROM drive to", problem.Clip(dom.Name)),
			"define the VM persistently first (virsh define)")
	}
	doc, err := c.XML(dom, virt.XMLInactive|virt.XMLSecure)
	if err != nil {
		return DriveAdded{}, host.Problem(err, "read the VM's definition")
	}
	out, added, err := addCDROM(doc)
	if err != nil {
		return DriveAdded{}, err
	}
	state, _, err := c.State(dom)
	if err != nil {
		return DriveAdded{}, host.Problem(err, "read the VM's state")
	}
	if _, err := c.Define(out); err != nil {
		return DriveAdded{}, host.Problem(err, "add a CD-ROM drive to the VM's definition")
	}
	if st := virt.DomainState(state); st == virt.StateRunning || st == virt.StatePaused || st == virt.StateShutdown {
		added.EffectiveAtNextStart = true
		added.Message = fmt.Sprintf("a CD-ROM drive (%s) was added to the VM's definition; it takes effect the next time the VM starts (shut it down and start it: a reboot inside the guest is not enough)", added.Target)
	} else {
		added.Message = fmt.Sprintf("a CD-ROM drive (%s) was added to the VM's definition", added.Target)
	}
	if s.opts.Inventory != nil {
		_, _ = s.opts.Inventory.Refresh(c, hostName, uuid)
	}
	return added, nil
}

// addCDROM adds an empty, read-only CD-ROM drive to the domain XML doc.
func addCDROM(doc string) (string, DriveAdded, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return "", DriveAdded{}, fmt.Errorf("parse the VM's definition: %w", err)
	}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{}
	}
	bus, prefix := "ide", "hd"
	if d.OS != nil && d.OS.Type != nil && strings.Contains(d.OS.Type.Machine, "q35") {
		bus, prefix = "sata", "sd"
	}
	used := map[string]bool{}
	for _, disk := range d.Devices.Disks {
		if disk.Target != nil {
			used[disk.Target.Dev] = true
		}
	}
	limit := 26
	if bus == "ide" {
		limit = 4 // two IDE channels, two devices each: hda to hdd
	}
	target := ""
	for i := range limit {
		if t := prefix + string(rune('a'+i)); !used[t] {
			target = t
			break
		}
	}
	if target == "" {
		return "", DriveAdded{}, problem.New(problem.Conflict, "no_free_drive_slot",
			fmt.Sprintf("the VM's %s bus has no free place for another drive", strings.ToUpper(bus)),
			"remove a drive, or use one of the VM's CD-ROM drives")
	}
	d.Devices.Disks = append(d.Devices.Disks, libvirtxml.DomainDisk{
		Device:   "cdrom",
		Driver:   &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "raw"},
		Target:   &libvirtxml.DomainDiskTarget{Dev: target, Bus: bus},
		ReadOnly: &libvirtxml.DomainDiskReadOnly{},
	})
	out, err := d.Marshal()
	if err != nil {
		return "", DriveAdded{}, fmt.Errorf("write the VM's definition: %w", err)
	}
	return out, DriveAdded{Target: target, Bus: bus}, nil
}
