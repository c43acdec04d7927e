package storage

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// MediaRequest names the volume to put into a VM's CD-ROM drive.
type MediaRequest struct {
	Pool   string `json:"pool"`
	Volume string `json:"volume"`
}

// Media is a CD-ROM drive after a change.
type Media struct {
	// Target is the drive's target (hdc, sda, ...).
	Target string `json:"target"`
	// Source is the file in the drive; empty when it is empty.
	Source string `json:"source"`
	// Live says the running VM's drive changed (the guest sees it now);
	// Config that the stored definition did (it stays after a restart).
	Live   bool `json:"live"`
	Config bool `json:"config"`
}

// ChangeMedia inserts the volume req names into the CD-ROM drive target of
// a VM, replacing what is in it, or ejects the drive's media when req is
// nil. It changes the running VM (forcing a locked tray open, as
// virsh change-media --force does) and the stored definition, whichever
// exist. The drive must exist: a CD-ROM drive cannot be plugged into a
// running PC, so the VM's definition must have one.
func (s *Service) ChangeMedia(hostName, uuid, target string, req *MediaRequest) (Media, error) {
	c, err := s.client(hostName)
	if err != nil {
		return Media{}, err
	}
	dom, err := lookupVM(c, uuid)
	if err != nil {
		return Media{}, err
	}
	release, err := s.holdVM(hostName, dom)
	if err != nil {
		return Media{}, err
	}
	defer release()
	out := Media{Target: target}
	if req != nil {
		if req.Pool == "" || req.Volume == "" {
			return Media{}, problem.New(problem.Invalid, "invalid_request", "the media needs a pool and a volume", `give {"pool": "...", "volume": "..."}`)
		}
		vc, _, v, err := s.volume(hostName, req.Pool, req.Volume)
		if err != nil {
			return Media{}, err
		}
		d, err := describeVolume(vc, nil, hostName, req.Pool, v)
		if err != nil {
			return Media{}, err
		}
		if d.Format == "qcow2" {
			return Media{}, problem.New(problem.Invalid, "not_cdrom_media",
				fmt.Sprintf("volume %q is a qcow2 disk image, not CD-ROM media", problem.Clip(req.Volume)), "choose an ISO image")
		}
		out.Source = d.Path
	}
	state, _, err := c.State(dom)
	if err != nil {
		return Media{}, host.Problem(err, "read the VM's state")
	}
	persistent, err := c.Persistent(dom)
	if err != nil {
		return Media{}, host.Problem(err, "read whether the VM has a definition")
	}
	type where struct {
		flags virt.DomainXMLFlags
		apply virt.DeviceModifyFlags
		done  *bool
	}
	var steps []where
	if s := virt.DomainState(state); s == virt.StateRunning || s == virt.StatePaused {
		steps = append(steps, where{0, virt.DeviceModifyLive | virt.DeviceModifyForce, &out.Live})
	}
	if persistent {
		steps = append(steps, where{virt.XMLInactive, virt.DeviceModifyConfig, &out.Config})
	}
	// Find the drive in every definition before changing any.
	docs := make([]string, len(steps))
	for i, st := range steps {
		doc, err := c.XML(dom, st.flags)
		if err != nil {
			return Media{}, host.Problem(err, "read the VM's definition")
		}
		disk, drives, err := findCDROM(doc, target)
		if err != nil {
			return Media{}, err
		}
		if disk == nil {
			hint := "add a CD-ROM drive to the VM while it is shut off"
			if len(drives) > 0 {
				hint = "use one of its CD-ROM drives: " + strings.Join(drives, ", ")
			}
			return Media{}, problem.New(problem.NotFound, "cdrom_not_found",
				fmt.Sprintf("the VM has no CD-ROM drive %q", problem.Clip(target)), hint)
		}
		if docs[i], err = mediaXML(*disk, out.Source); err != nil {
			return Media{}, err
		}
	}
	for i, st := range steps {
		if err := updateMedia(c, dom, docs[i], st.apply, s.trayWait()); err != nil {
			what := "change the CD-ROM's media in the running VM"
			if st.apply&virt.DeviceModifyConfig != 0 {
				what = "change the CD-ROM's media in the VM's definition"
			}
			return Media{}, host.Problem(err, what)
		}
		*st.done = true
	}
	// The event-fed inventory does not hear of media changes: re-read the
	// VM so that its disks (and "used by") show the change at once.
	if s.opts.Inventory != nil {
		_, _ = s.opts.Inventory.Refresh(c, hostName, uuid)
	}
	return out, nil
}

// findCDROM returns the CD-ROM drive target of the domain XML doc, and
// the targets of every CD-ROM drive it has.
func findCDROM(doc, target string) (*libvirtxml.DomainDisk, []string, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return nil, nil, fmt.Errorf("parse the VM's definition: %w", err)
	}
	if d.Devices == nil {
		return nil, nil, nil
	}
	var found *libvirtxml.DomainDisk
	var drives []string
	for i, disk := range d.Devices.Disks {
		if disk.Device != "cdrom" || disk.Target == nil {
			continue
		}
		drives = append(drives, disk.Target.Dev)
		if disk.Target.Dev == target {
			found = &d.Devices.Disks[i]
		}
	}
	return found, drives, nil
}

// mediaXML is the drive disk with source in it (none: empty), as
// UpdateDevice takes it. The drive keeps its target, bus, address and
// alias, by which libvirt matches it.
func mediaXML(disk libvirtxml.DomainDisk, source string) (string, error) {
	disk.Source = nil
	disk.BackingStore = nil
	if source != "" {
		disk.Source = &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: source}}
		if disk.Driver == nil {
			disk.Driver = &libvirtxml.DomainDiskDriver{Name: "qemu"}
		}
		disk.Driver.Type = "raw"
	}
	if disk.ReadOnly == nil {
		disk.ReadOnly = &libvirtxml.DomainDiskReadOnly{}
	}
	return disk.Marshal()
}

// trayRetries bounds how often a live media change is tried again while
// QEMU's tray has not opened yet.
const trayRetries = 4

// trayWait is the pause before the first retry (doubled for each next one:
// 0.25 + 0.5 + 1 + 2 s at most by default).
func (s *Service) trayWait() time.Duration {
	if s.opts.TrayWait > 0 {
		return s.opts.TrayWait
	}
	return 250 * time.Millisecond
}

// trayNotOpen reports QEMU's refusal to remove the medium of a drive whose
// tray has not opened yet. libvirt asks the guest to open it (forced for a
// tray the guest locked) and goes on without waiting long enough for a
// guest that is busy, such as one still booting: measured on the test
// guest right after boot. The same change a moment later succeeds.
func trayNotOpen(err error) bool {
	var le virt.Error
	return errors.As(err, &le) && strings.Contains(le.Message, "Tray of device") && strings.Contains(le.Message, "is not open")
}

// updateMedia applies one media change, trying a live change again (a few
// times, with growing pauses) while the drive's tray is still closed.
func updateMedia(c virt.Conn, dom virt.Domain, doc string, flags virt.DeviceModifyFlags, wait time.Duration) error {
	err := c.UpdateDevice(dom, doc, flags)
	for try := 0; try < trayRetries && err != nil && flags&virt.DeviceModifyLive != 0 && trayNotOpen(err); try++ {
		time.Sleep(wait << try)
		err = c.UpdateDevice(dom, doc, flags)
	}
	return err
}
