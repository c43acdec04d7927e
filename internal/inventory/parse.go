package inventory

import (
	"fmt"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/vmmeta"
)

// applyXML fills a VM's configuration from its domain XML.
func applyXML(vm *VM, doc string) error {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return fmt.Errorf("parse domain XML: %w", err)
	}
	vm.Name = d.Name
	vm.Title = d.Title
	vm.Description = d.Description
	vm.DomainType = d.Type
	m := vmmeta.Read(&d)
	vm.Template, vm.ClonedFrom, vm.LinkedClone = m.Template, m.ClonedFrom, m.Linked
	if d.VCPU != nil {
		vm.VCPUs = int(d.VCPU.Value)
		if d.VCPU.Current != 0 {
			vm.VCPUs = int(d.VCPU.Current)
		}
	}
	if d.Memory != nil {
		vm.MemoryMaxKiB = MemoryKiB(d.Memory.Value, d.Memory.Unit)
	}
	vm.MemoryKiB = vm.MemoryMaxKiB
	if d.CurrentMemory != nil {
		vm.MemoryKiB = MemoryKiB(d.CurrentMemory.Value, d.CurrentMemory.Unit)
	}
	vm.Firmware = "bios"
	if d.OS != nil {
		if d.OS.Type != nil {
			vm.Arch = d.OS.Type.Arch
			vm.Machine = d.OS.Type.Machine
		}
		switch {
		case d.OS.Firmware == "efi" || (d.OS.Loader != nil && d.OS.Loader.Type == "pflash"):
			vm.Firmware = "efi"
		case d.OS.Kernel != "":
			vm.Firmware = "direct-kernel"
		}
	}
	vm.Disks, vm.NICs, vm.Graphics = nil, nil, nil
	vm.SerialConsole = false
	if d.Devices == nil {
		return nil
	}
	for _, x := range d.Devices.Disks {
		vm.Disks = append(vm.Disks, parseDisk(x))
	}
	for _, x := range d.Devices.Interfaces {
		vm.NICs = append(vm.NICs, parseNIC(x))
	}
	for _, x := range d.Devices.Graphics {
		vm.Graphics = append(vm.Graphics, parseGraphics(x))
	}
	for _, c := range d.Devices.Consoles {
		if c.Source == nil || c.Source.Pty != nil {
			vm.SerialConsole = true
		}
	}
	if len(d.Devices.Serials) > 0 {
		vm.SerialConsole = vm.SerialConsole || d.Devices.Serials[0].Source == nil || d.Devices.Serials[0].Source.Pty != nil
	}
	return nil
}

func parseDisk(x libvirtxml.DomainDisk) Disk {
	disk := Disk{Device: x.Device, ReadOnly: x.ReadOnly != nil, Shareable: x.Shareable != nil}
	if disk.Device == "" {
		disk.Device = "disk"
	}
	if x.Target != nil {
		disk.Target = x.Target.Dev
		disk.Bus = x.Target.Bus
	}
	if x.Driver != nil {
		disk.Format = x.Driver.Type
	}
	disk.Type = "file"
	if s := x.Source; s != nil {
		switch {
		case s.File != nil:
			disk.Source = s.File.File
		case s.Block != nil:
			disk.Type, disk.Source = "block", s.Block.Dev
		case s.Network != nil:
			disk.Type = "network"
			disk.Source = s.Network.Protocol + ":" + s.Network.Name
		case s.Volume != nil:
			disk.Type, disk.Source = "volume", s.Volume.Pool+"/"+s.Volume.Volume
		case s.Dir != nil:
			disk.Type, disk.Source = "dir", s.Dir.Dir
		case s.NVME != nil:
			disk.Type = "nvme"
		}
	}
	return disk
}

func parseNIC(x libvirtxml.DomainInterface) NIC {
	n := NIC{}
	if x.MAC != nil {
		n.MAC = x.MAC.Address
	}
	if x.Model != nil {
		n.Model = x.Model.Type
	}
	if x.Target != nil {
		n.Target = x.Target.Dev
	}
	if s := x.Source; s != nil {
		switch {
		case s.Network != nil:
			n.Type, n.Source = "network", s.Network.Network
		case s.Bridge != nil:
			n.Type, n.Source = "bridge", s.Bridge.Bridge
		case s.User != nil:
			n.Type = "user"
		case s.Direct != nil:
			n.Type, n.Source = "direct", s.Direct.Dev
		case s.Ethernet != nil:
			n.Type = "ethernet"
		case s.VHostUser != nil:
			n.Type = "vhostuser"
		default:
			n.Type = "other"
		}
	}
	return n
}

func parseGraphics(x libvirtxml.DomainGraphic) Graphics {
	switch {
	case x.VNC != nil:
		g := Graphics{Type: "vnc", Port: x.VNC.Port, AutoPort: x.VNC.AutoPort == "yes", Listen: x.VNC.Listen, Socket: x.VNC.Socket, Password: x.VNC.Passwd != ""}
		for _, l := range x.VNC.Listeners {
			switch {
			case l.Address != nil && g.Listen == "":
				g.Listen = l.Address.Address
			case l.Socket != nil && g.Socket == "":
				g.Socket = l.Socket.Socket
			}
		}
		return g
	case x.Spice != nil:
		g := Graphics{Type: "spice", Port: x.Spice.Port, AutoPort: x.Spice.AutoPort == "yes", Listen: x.Spice.Listen, Password: x.Spice.Passwd != ""}
		for _, l := range x.Spice.Listeners {
			if l.Address != nil && g.Listen == "" {
				g.Listen = l.Address.Address
			}
		}
		return g
	case x.RDP != nil:
		return Graphics{Type: "rdp", Port: x.RDP.Port}
	case x.SDL != nil:
		return Graphics{Type: "sdl"}
	case x.EGLHeadless != nil:
		return Graphics{Type: "egl-headless"}
	case x.DBus != nil:
		return Graphics{Type: "dbus"}
	}
	return Graphics{Type: "other"}
}

// MemoryKiB converts a libvirt memory value with its unit (b, KiB, kB,
// MiB, MB, … as the domain XML allows) to KiB.
func MemoryKiB(v uint, unit string) uint64 {
	n := uint64(v)
	switch strings.ToLower(unit) {
	case "b", "bytes":
		return n / 1024
	case "", "k", "kib":
		return n
	case "kb":
		return n * 1000 / 1024
	case "m", "mib":
		return n * 1024
	case "mb":
		return n * 1000 * 1000 / 1024
	case "g", "gib":
		return n * 1024 * 1024
	case "gb":
		return n * 1000 * 1000 * 1000 / 1024
	case "t", "tib":
		return n * 1024 * 1024 * 1024
	}
	return n
}
