package snapshot

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
)

// Version is a libvirt version as ConnectGetLibVersion returns it:
// major*1,000,000 + minor*1,000 + release.
type Version uint64

// V builds a Version.
func V(major, minor, release uint64) Version {
	return Version(major*1_000_000 + minor*1_000 + release)
}

// String formats the version as "9.0.0".
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d", v/1_000_000, (v/1_000)%1_000, v%1_000)
}

// Versions that change what libvirt's QEMU driver can do with snapshots.
var (
	// minPflashInternal is the first libvirt that takes internal snapshots
	// of VMs whose UEFI firmware variables live in pflash.
	minPflashInternal = V(10, 9, 0)
	// minExternalRevert is the first libvirt that KVM Manager lets revert
	// to external snapshots: 9.9.0 is the first to announce it (the
	// capabilities' <externalSnapshot/> feature, "deleting and reverting
	// external snapshots including memory state"); the revert code itself
	// came in shortly before, in the 9.7 cycle, without that promise.
	minExternalRevert = V(9, 9, 0)
	// minExternalDelete is the first libvirt that deletes external
	// snapshots (with the data, not only the metadata).
	minExternalDelete = V(9, 0, 0)
)

// guestAgentChannel is the virtio-serial channel name of the QEMU guest agent.
const guestAgentChannel = "org.qemu.guest_agent.0"

// vmFacts is what the pre-flight needs to know about a VM.
type vmFacts struct {
	State      inventory.State
	Persistent bool
	Version    Version
	Domain     *libvirtxml.Domain // the live definition
}

// diskRole is how snapshots treat one disk.
type diskRole struct {
	target   string
	included bool
	// internalWhy/externalWhy say why the disk prevents an internal or an
	// external snapshot; empty when it does not.
	internalWhy, externalWhy string
	fix                      string
	note                     string
}

func diskTarget(d libvirtxml.DomainDisk) string {
	if d.Target != nil && d.Target.Dev != "" {
		return d.Target.Dev
	}
	return "(unnamed)"
}

// classifyDisk decides how a snapshot treats one disk, following libvirt's
// defaults: CD-ROMs, floppies, read-only disks and disks marked
// snapshot='no' are left out.
func classifyDisk(d libvirtxml.DomainDisk) diskRole {
	r := diskRole{target: diskTarget(d)}
	leaveOut := fmt.Sprintf(`set snapshot='no' on disk %s (virsh edit) so that snapshots leave it out, or detach it`, r.target)
	switch {
	case d.Device == "cdrom" || d.Device == "floppy":
		r.note = fmt.Sprintf("%s %s is not part of snapshots", d.Device, r.target)
		return r
	case d.Snapshot == "no":
		r.note = fmt.Sprintf("disk %s is marked snapshot='no' and is left out", r.target)
		return r
	case d.ReadOnly != nil:
		r.note = fmt.Sprintf("read-only disk %s is left out", r.target)
		return r
	case d.Source == nil || (d.Source.File == nil && d.Source.Block == nil && d.Source.Network == nil &&
		d.Source.Volume == nil && d.Source.NVME == nil && d.Source.VHostUser == nil && d.Source.VHostVDPA == nil && d.Source.Dir == nil):
		r.note = fmt.Sprintf("disk %s has no medium and is left out", r.target)
		return r
	}
	r.included = true
	switch {
	case d.Device == "lun":
		r.internalWhy = fmt.Sprintf("disk %s is a passed-through SCSI LUN, which libvirt cannot snapshot", r.target)
		r.externalWhy = r.internalWhy
		r.fix = leaveOut
		return r
	case d.Shareable != nil:
		r.internalWhy = fmt.Sprintf("disk %s is shareable (several VMs may write to it), so it cannot be snapshotted", r.target)
		r.externalWhy = r.internalWhy
		r.fix = leaveOut
		return r
	case d.Transient != nil:
		r.internalWhy = fmt.Sprintf("disk %s is transient (its changes are discarded at shutdown), which libvirt cannot snapshot", r.target)
		r.externalWhy = r.internalWhy
		r.fix = leaveOut
		return r
	case d.Source.Network != nil, d.Source.NVME != nil, d.Source.VHostUser != nil, d.Source.VHostVDPA != nil, d.Source.Dir != nil:
		kind := "network"
		switch {
		case d.Source.NVME != nil:
			kind = "NVMe passthrough"
		case d.Source.VHostUser != nil, d.Source.VHostVDPA != nil:
			kind = "vhost"
		case d.Source.Dir != nil:
			kind = "directory"
		}
		r.internalWhy = fmt.Sprintf("disk %s is a %s disk; KVM Manager snapshots only local image files and block devices", r.target, kind)
		r.externalWhy = r.internalWhy
		r.fix = leaveOut
		return r
	}
	format := ""
	if d.Driver != nil {
		format = d.Driver.Type
	}
	if format != "qcow2" {
		shown := format
		if shown == "" {
			shown = "of unknown format"
		}
		r.internalWhy = fmt.Sprintf("disk %s is %s; internal snapshots need qcow2 images", r.target, shown)
		r.fix = fmt.Sprintf("convert disk %s to qcow2 while the VM is off (qemu-img convert -O qcow2, then point the disk at the new file), or %s", r.target, leaveOut)
	}
	return r
}

// pflash reports whether the VM keeps UEFI variables in pflash.
func pflash(d *libvirtxml.Domain) bool {
	return d.OS != nil && (d.OS.Firmware == "efi" || (d.OS.Loader != nil && d.OS.Loader.Type == "pflash") || d.OS.NVRam != nil)
}

// agentState reads the guest agent channel's state from the live XML.
func agentState(d *libvirtxml.Domain, active bool) string {
	if d.Devices != nil {
		for _, c := range d.Devices.Channels {
			if c.Target != nil && c.Target.VirtIO != nil && c.Target.VirtIO.Name == guestAgentChannel {
				if !active {
					return "unknown"
				}
				if c.Target.VirtIO.State == "connected" {
					return "connected"
				}
				return "disconnected"
			}
		}
	}
	return "none"
}

// newCap returns a Capability with empty (not null) lists.
func newCap(location string) Capability {
	return Capability{Possible: true, Location: location, Reasons: []string{}, Fixes: []string{}, Notes: []string{}}
}

func (c *Capability) refuse(reason, fix string) {
	c.Possible = false
	c.Reasons = append(c.Reasons, reason)
	if fix != "" && !contains(c.Fixes, fix) {
		c.Fixes = append(c.Fixes, fix)
	}
}

func (c *Capability) note(n string) {
	if n != "" && !contains(c.Notes, n) {
		c.Notes = append(c.Notes, n)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// capabilities is the pre-flight: which kinds of snapshot are possible for
// the VM as it is now, and when one is not, why and what would fix it.
func capabilities(f vmFacts) Capabilities {
	active := inventory.Active(f.State)
	c := Capabilities{VMState: f.State, LibvirtVersion: f.Version.String(), Default: "disk-only"}
	c.Memory = newCap("internal")
	c.DiskOnly = newCap("internal")
	if active {
		c.Default = "memory"
		c.DiskOnly.Location = "external"
	}
	c.Quiesce = newCap("")
	c.RevertExternal = newCap("")
	c.GuestAgent = agentState(f.Domain, active)

	// The VM's state first: it decides which kinds apply at all.
	switch {
	case f.State == inventory.StatePMSuspended:
		c.Memory.refuse("the VM is suspended to RAM (pmsuspended)", "wake the guest up first")
		c.DiskOnly.refuse("the VM is suspended to RAM (pmsuspended)", "wake the guest up first")
	case f.State == inventory.StateShuttingDown:
		c.Memory.refuse("the VM is shutting down", "wait until it is off, or until it runs again")
		c.DiskOnly.refuse("the VM is shutting down", "wait until it is off, or until it runs again")
	case !active:
		c.Memory.refuse("the VM is not running, so it has no memory state to save", "start the VM to take a snapshot with memory")
	}

	included := 0
	// A shut-off VM whose disks cannot hold internal snapshots (raw
	// images, UEFI on an old libvirt) can still take an external disk-only
	// snapshot: libvirt creates qcow2 overlays with qemu-img. Only reasons
	// of that kind are collected here; any other refusal stands.
	var internalOnly []string
	externalOK := !active && f.State == inventory.StateShutoff
	for _, d := range domainDisks(f.Domain) {
		r := classifyDisk(d)
		if !r.included {
			c.Memory.note(r.note)
			c.DiskOnly.note(r.note)
			continue
		}
		included++
		if r.internalWhy != "" {
			c.Memory.refuse(r.internalWhy, r.fix)
			if !active {
				c.DiskOnly.refuse(r.internalWhy, r.fix)
				internalOnly = append(internalOnly, r.internalWhy)
			}
		}
		if r.externalWhy != "" {
			externalOK = false
		}
		if r.externalWhy != "" && active {
			c.DiskOnly.refuse(r.externalWhy, r.fix)
		}
	}
	if included == 0 {
		why := "the VM has no disk that a snapshot could include"
		c.Memory.refuse(why, "add a qcow2 disk: an internal snapshot keeps its memory state inside one")
		c.DiskOnly.refuse(why, "add a disk")
	}

	if pflash(f.Domain) && f.Version < minPflashInternal {
		why := fmt.Sprintf("the VM boots UEFI firmware with its variables in pflash, and libvirt %s cannot take internal snapshots of such VMs (%s or newer can)", f.Version, minPflashInternal)
		fix := fmt.Sprintf("upgrade libvirt on the host to %s or newer", minPflashInternal)
		c.Memory.refuse(why, fix)
		if !active {
			c.DiskOnly.refuse(why, fix+", or start the VM and take a disk-only (external) snapshot")
			internalOnly = append(internalOnly, why)
		}
	}
	if externalOK && included > 0 && !c.DiskOnly.Possible && len(internalOnly) == len(c.DiskOnly.Reasons) {
		// Every reason was about internal snapshots: offer external ones.
		ext := newCap("external")
		ext.Notes = append(ext.Notes, c.DiskOnly.Notes...)
		ext.note("internal snapshots are not possible (" + strings.Join(internalOnly, "; ") + "), so a disk-only snapshot of this shut-off VM is external: " +
			"libvirt creates a new qcow2 overlay beside each disk image, named after the snapshot, and the VM uses those from then on")
		ext.note("merge the external snapshots (Disk usage) to consolidate the overlays into the base images again")
		c.DiskOnly = ext
	}

	if hd := hostdevCount(f.Domain); hd > 0 {
		c.Memory.refuse(fmt.Sprintf("the VM has %d host device(s) passed through, whose state QEMU cannot save", hd),
			"detach the host devices for the snapshot, or take a disk-only snapshot")
	}

	if active {
		c.DiskOnly.note("a disk-only snapshot of a running VM is external: libvirt starts a new overlay file beside each disk image and the VM writes to those from then on")
		c.DiskOnly.note("mixing external and internal snapshots on one VM limits which of them libvirt can delete later")
	}
	if f.Version < minExternalRevert {
		c.RevertExternal.refuse(fmt.Sprintf("libvirt %s cannot revert to external snapshots (%s or newer can)", f.Version, minExternalRevert),
			fmt.Sprintf("upgrade libvirt on the host to %s or newer", minExternalRevert))
		if c.DiskOnly.Location == "external" {
			c.DiskOnly.note(fmt.Sprintf("libvirt %s on this host cannot revert to external snapshots", f.Version))
		}
	}
	if f.Version < minExternalDelete && active {
		c.DiskOnly.note(fmt.Sprintf("libvirt %s on this host cannot delete external snapshots' data, only forget them", f.Version))
	}
	if !f.Persistent {
		n := "the VM is transient: libvirt forgets its snapshots when it stops"
		c.Memory.note(n)
		c.DiskOnly.note(n)
	}
	c.Memory.note("the VM is paused while its memory is saved; the time grows with its memory size")

	// Quiescing: only disk-only snapshots of a running VM, with the agent.
	c.Quiesce.note("memory snapshots need no quiescing: the VM is paused while memory and disks are saved together")
	switch {
	case !active:
		c.Quiesce.refuse("quiescing freezes a running guest's file systems; the VM is not running", "")
	case c.GuestAgent == "none":
		c.Quiesce.refuse("the VM has no QEMU guest agent channel",
			"add a guest agent channel ("+guestAgentChannel+") to the VM and install and start qemu-guest-agent in the guest")
	case c.GuestAgent != "connected":
		c.Quiesce.refuse("the QEMU guest agent is configured but not connected", "start qemu-guest-agent in the guest (it may still be booting)")
	}
	if active && !c.DiskOnly.Possible {
		c.Quiesce.refuse("a disk-only snapshot is not possible for this VM", "")
	}
	return c
}

func domainDisks(d *libvirtxml.Domain) []libvirtxml.DomainDisk {
	if d == nil || d.Devices == nil {
		return nil
	}
	return d.Devices.Disks
}

func hostdevCount(d *libvirtxml.Domain) int {
	if d == nil || d.Devices == nil {
		return 0
	}
	return len(d.Devices.Hostdevs)
}

// kindName names a snapshot kind for messages.
func kindName(memory bool) string {
	if memory {
		return "a snapshot with memory"
	}
	return "a disk-only snapshot"
}

// refusal turns an impossible capability into one message and hint.
func refusal(c Capability) (string, string) {
	return strings.Join(c.Reasons, "; "), strings.Join(c.Fixes, "; ")
}
