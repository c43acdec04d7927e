package hardware

import (
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"libvirt.org/go/libvirtxml"
)

// Hardware is a VM's hardware as one definition (stored or running) has it.
type Hardware struct {
	// VCPUs is the vCPU count now; MaxVCPUs the most it may have
	// (vCPUs up to it can be added to a running VM).
	VCPUs    uint `json:"vcpus"`
	MaxVCPUs uint `json:"maxVcpus"`
	// MemoryMiB is the memory the guest has (the balloon's target);
	// MaxMemoryMiB the most it may have.
	MemoryMiB    uint64     `json:"memoryMiB"`
	MaxMemoryMiB uint64     `json:"maxMemoryMiB"`
	Disks        []Disk     `json:"disks"`
	NICs         []NIC      `json:"nics"`
	Boot         []string   `json:"boot"`
	Firmware     string     `json:"firmware"`
	SecureBoot   bool       `json:"secureBoot"`
	Machine      string     `json:"machine"`
	DirectKernel bool       `json:"directKernel"`
	Graphics     []Graphics `json:"graphics"`
	TPM          *TPM       `json:"tpm,omitempty"`
	Title        string     `json:"title"`
	Description  string     `json:"description"`
}

// Disk is a disk or CD-ROM drive.
type Disk struct {
	Target string `json:"target"`
	Bus    string `json:"bus"`
	// Device is disk or cdrom.
	Device string `json:"device"`
	// Source is the file (or pool/volume) in it; empty for an empty drive.
	Source   string `json:"source"`
	Format   string `json:"format,omitempty"`
	ReadOnly bool   `json:"readOnly"`
}

// NIC is a network interface.
type NIC struct {
	MAC     string `json:"mac"`
	Network string `json:"network,omitempty"`
	Bridge  string `json:"bridge,omitempty"`
	// Type is libvirt's interface type (network, bridge, user, ...).
	Type   string `json:"type"`
	Model  string `json:"model"`
	LinkUp bool   `json:"linkUp"`
}

// Graphics is a graphical console.
type Graphics struct {
	Type   string `json:"type"`
	Listen string `json:"listen,omitempty"`
	// Password says a password is set (it is never shown).
	Password bool `json:"password"`
}

// TPM is a TPM device.
type TPM struct {
	Model   string `json:"model"`
	Backend string `json:"backend"`
	Version string `json:"version,omitempty"`
}

// View is GET .../hardware: the stored definition and, while the VM runs,
// the running one.
type View struct {
	Running bool      `json:"running"`
	Stored  Hardware  `json:"stored"`
	Live    *Hardware `json:"live,omitempty"`
	// Autostart says the VM starts with its host.
	Autostart bool `json:"autostart"`
}

// Get returns a VM's hardware.
func (s *Service) Get(hostName, uuid string) (View, error) {
	e, err := s.begin(hostName, uuid)
	if err != nil {
		return View{}, err
	}
	v := View{Running: e.running, Stored: describe(e.def)}
	if e.live != nil {
		l := describe(e.live)
		v.Live = &l
	}
	v.Autostart, _ = e.c.Autostart(e.dom)
	return v, nil
}

// describe reads the hardware of a definition.
func describe(d *libvirtxml.Domain) Hardware {
	h := Hardware{Title: d.Title, Description: d.Description, Disks: []Disk{}, NICs: []NIC{}, Boot: []string{}, Graphics: []Graphics{}}
	if d.VCPU != nil {
		h.MaxVCPUs = d.VCPU.Value
		h.VCPUs = d.VCPU.Value
		if d.VCPU.Current != 0 {
			h.VCPUs = d.VCPU.Current
		}
	}
	if d.Memory != nil {
		h.MaxMemoryMiB = inventory.MemoryKiB(d.Memory.Value, d.Memory.Unit) >> 10
		h.MemoryMiB = h.MaxMemoryMiB
	}
	if d.CurrentMemory != nil {
		h.MemoryMiB = inventory.MemoryKiB(d.CurrentMemory.Value, d.CurrentMemory.Unit) >> 10
	}
	h.Firmware, h.SecureBoot = firmwareOf(d)
	if d.OS != nil {
		if d.OS.Type != nil {
			h.Machine = d.OS.Type.Machine
		}
		h.DirectKernel = d.OS.Kernel != ""
		for _, b := range d.OS.BootDevices {
			h.Boot = append(h.Boot, b.Dev)
		}
	}
	if d.Devices == nil {
		return h
	}
	for _, disk := range d.Devices.Disks {
		x := Disk{Device: disk.Device, ReadOnly: disk.ReadOnly != nil}
		if x.Device == "" {
			x.Device = "disk"
		}
		if disk.Target != nil {
			x.Target, x.Bus = disk.Target.Dev, disk.Target.Bus
		}
		if disk.Driver != nil {
			x.Format = disk.Driver.Type
		}
		x.Source = diskSource(disk)
		h.Disks = append(h.Disks, x)
	}
	for _, n := range d.Devices.Interfaces {
		x := NIC{LinkUp: n.Link == nil || n.Link.State != "down"}
		if n.MAC != nil {
			x.MAC = n.MAC.Address
		}
		if n.Model != nil {
			x.Model = n.Model.Type
		}
		x.Type = nicType(n.Source)
		if n.Source != nil {
			if n.Source.Network != nil {
				x.Network = n.Source.Network.Network
			}
			if n.Source.Bridge != nil {
				x.Bridge = n.Source.Bridge.Bridge
			}
		}
		h.NICs = append(h.NICs, x)
	}
	for _, g := range d.Devices.Graphics {
		switch {
		case g.VNC != nil:
			x := Graphics{Type: "vnc", Password: g.VNC.Passwd != ""}
			if len(g.VNC.Listeners) > 0 && g.VNC.Listeners[0].Address != nil {
				x.Listen = g.VNC.Listeners[0].Address.Address
			} else {
				x.Listen = g.VNC.Listen
			}
			h.Graphics = append(h.Graphics, x)
		case g.Spice != nil:
			h.Graphics = append(h.Graphics, Graphics{Type: "spice", Password: g.Spice.Passwd != ""})
		default:
			h.Graphics = append(h.Graphics, Graphics{Type: "other"})
		}
	}
	if len(d.Devices.TPMs) > 0 {
		t := d.Devices.TPMs[0]
		x := TPM{Model: t.Model, Backend: "other"}
		if t.Backend != nil {
			switch {
			case t.Backend.Emulator != nil:
				x.Backend, x.Version = "emulator", t.Backend.Emulator.Version
			case t.Backend.Passthrough != nil:
				x.Backend = "passthrough"
			}
		}
		h.TPM = &x
	}
	return h
}

// diskSource names what is in a disk: its file, device, or pool/volume.
func diskSource(disk libvirtxml.DomainDisk) string {
	src := disk.Source
	switch {
	case src == nil:
		return ""
	case src.File != nil:
		return src.File.File
	case src.Block != nil:
		return src.Block.Dev
	case src.Volume != nil:
		return src.Volume.Pool + "/" + src.Volume.Volume
	}
	return ""
}

func nicType(src *libvirtxml.DomainInterfaceSource) string {
	switch {
	case src == nil:
		return "user"
	case src.Network != nil:
		return "network"
	case src.Bridge != nil:
		return "bridge"
	case src.User != nil:
		return "user"
	case src.Direct != nil:
		return "direct"
	}
	return "other"
}

// firmwareOf says whether a definition boots with UEFI and Secure Boot.
func firmwareOf(d *libvirtxml.Domain) (string, bool) {
	if d.OS == nil {
		return "bios", false
	}
	efi := d.OS.Firmware == "efi" || d.OS.Loader != nil && d.OS.Loader.Type == "pflash"
	secure := d.OS.Loader != nil && d.OS.Loader.Secure == "yes"
	if d.OS.FirmwareInfo != nil {
		for _, f := range d.OS.FirmwareInfo.Features {
			if f.Name == "secure-boot" {
				secure = f.Enabled == "yes"
			}
		}
	}
	if !efi {
		return "bios", false
	}
	return "efi", secure
}
