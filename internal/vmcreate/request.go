package vmcreate

import (
	"fmt"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/nocloud"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/storage"
)

// Source kinds.
const (
	SourceISO        = "iso"
	SourceDisk       = "disk"
	SourceCloudImage = "cloud-image"
	SourcePXE        = "pxe"
)

// Request is a new VM.
type Request struct {
	// Name is the VM's name: 1 to 64 letters, digits, '.', '_', '-'.
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// OS is an osinfo-db id or short id (e.g. debian12); it fills what
	// is not given (CPUs, memory, disk size, buses, firmware). Empty:
	// generic defaults.
	OS     string `json:"os,omitempty"`
	Source Source `json:"source"`
	// Firmware is bios or efi (default: what the OS needs, else bios).
	Firmware string `json:"firmware,omitempty"`
	// SecureBoot enables UEFI Secure Boot (efi only). Default: on for an
	// OS that needs a TPM (Windows 11), which needs Secure Boot too.
	SecureBoot *bool `json:"secureBoot,omitempty"`
	// TPM adds a TPM 2.0 emulated by swtpm. Default: what the OS needs
	// (osinfo's TPM: Windows 11).
	TPM *bool `json:"tpm,omitempty"`
	CPU CPU   `json:"cpu"`
	// MemoryMiB is the memory (default: the OS's recommendation, else 1024).
	MemoryMiB int `json:"memoryMiB,omitempty"`
	// Disk is the VM's new disk (iso and pxe sources; for a cloud image,
	// its size grows the copy). Ignored for an existing disk.
	Disk Disk `json:"disk"`
	// Network is the VM's NIC; Network.None leaves it out.
	Network NIC `json:"network"`
	// NoVNC leaves out the graphical console (VNC on 127.0.0.1 by default).
	NoVNC bool `json:"noVnc,omitempty"`
	// CloudInit makes a NoCloud seed CD-ROM (cloud-image source only).
	CloudInit *nocloud.Config `json:"cloudInit,omitempty"`
	// Start boots the VM once it is defined.
	Start bool `json:"start,omitempty"`
	// DryRun checks everything and returns the domain XML that would be
	// defined, creating nothing.
	DryRun bool `json:"dryRun,omitempty"`
}

// Source is where the VM's system comes from.
type Source struct {
	// Kind is iso, disk, cloud-image or pxe.
	Kind string `json:"kind"`
	// Pool and Volume name the ISO, the existing disk or the cloud image.
	Pool   string `json:"pool,omitempty"`
	Volume string `json:"volume,omitempty"`
	// Copy copies an existing disk into a new volume instead of using it
	// in place.
	Copy bool `json:"copy,omitempty"`
}

// CPU is the virtual CPU.
type CPU struct {
	// Count is the number of vCPUs (default: the OS's recommendation, else 1).
	Count int `json:"count,omitempty"`
	// Mode is host-model (default on KVM), host-passthrough, custom (with
	// Model) or default (QEMU's own model; the default without KVM).
	Mode  string `json:"mode,omitempty"`
	Model string `json:"model,omitempty"`
}

// Disk is the new disk.
type Disk struct {
	// Pool is where new volumes go (default: the source's pool, else
	// "default").
	Pool string `json:"pool,omitempty"`
	// Size is the virtual size, e.g. "20GiB" (default: the OS's
	// recommendation, else 10 GiB).
	Size storage.Size `json:"size,omitempty"`
	// Bus is virtio, sata or scsi (default: virtio when the OS has the
	// drivers, else sata).
	Bus string `json:"bus,omitempty"`
}

// NIC is the network interface.
type NIC struct {
	// None: no network interface.
	None bool `json:"none,omitempty"`
	// Network is a libvirt network of the host (default: "default"
	// unless Bridge is given).
	Network string `json:"network,omitempty"`
	// Bridge is a host bridge to attach to instead.
	Bridge string `json:"bridge,omitempty"`
	// Model is virtio, e1000e or rtl8139 (default by the OS).
	Model string `json:"model,omitempty"`
	// MAC is the address (default: libvirt picks one).
	MAC string `json:"mac,omitempty"`
}

func invalid(msg, hint string) error {
	return problem.New(problem.Invalid, problem.CodeInvalidVMSpec, msg, hint)
}

// ValidName checks a new VM's name: it names files (disk volumes) and
// libvirt's config file, so it keeps to a safe set.
func ValidName(s string) error {
	hint := "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
	switch {
	case s == "":
		return problem.New(problem.Invalid, problem.CodeInvalidVMName, "the VM needs a name", hint)
	case len(s) > 64:
		return problem.New(problem.Invalid, problem.CodeInvalidVMName, fmt.Sprintf("the name is %d characters long, more than 64", len(s)), hint)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || i > 0 && strings.ContainsRune("._-", r)
		if !ok {
			return problem.New(problem.Invalid, problem.CodeInvalidVMName,
				fmt.Sprintf("the name %q has the character %q at position %d", problem.Clip(s), r, i+1), hint)
		}
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalid(fmt.Sprintf("%s %q is not supported", field, problem.Clip(v)), "use one of: "+strings.Join(allowed, ", "))
}
