package hardware

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// bootDevices are the devices a boot order may name.
var bootDevices = []string{"hd", "cdrom", "network", "fd"}

// BootRequest is the boot order: devices tried first to last.
type BootRequest struct {
	Order []string `json:"order"`
}

// SetBoot sets the boot order (the next start).
func (s *Service) SetBoot(hostName, uuid string, req BootRequest) (Result, error) {
	if len(req.Order) == 0 || len(req.Order) > len(bootDevices) {
		return Result{}, invalid("the boot order needs 1 to 4 devices", "give e.g. [\"cdrom\", \"hd\"]")
	}
	seen := map[string]bool{}
	for _, d := range req.Order {
		if !slices.Contains(bootDevices, d) {
			return Result{}, invalid(fmt.Sprintf("%q is not a boot device", problem.Clip(d)), "use hd, cdrom, network or fd")
		}
		if seen[d] {
			return Result{}, invalid(fmt.Sprintf("%s is twice in the boot order", d), "name each device once")
		}
		seen[d] = true
	}
	e, err := s.beginEdit(hostName, uuid, "boot")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	if e.def.OS == nil {
		e.def.OS = &libvirtxml.DomainOS{}
	}
	e.def.OS.BootDevices = nil
	for _, d := range req.Order {
		e.def.OS.BootDevices = append(e.def.OS.BootDevices, libvirtxml.DomainBootDevice{Dev: d})
	}
	// libvirt takes either the OS's boot order or per-device ones: the
	// per-device ones go.
	for i := range e.def.Devices.Disks {
		e.def.Devices.Disks[i].Boot = nil
	}
	for i := range e.def.Devices.Interfaces {
		e.def.Devices.Interfaces[i].Boot = nil
	}
	if err := e.define("set the boot order"); err != nil {
		return Result{}, err
	}
	msg := "boot order " + strings.Join(req.Order, ", ")
	if e.def.OS.Kernel != "" {
		msg += " (the VM boots a kernel directly, which comes before any boot device)"
	}
	e.say(msg)
	return s.finish(e, "boot")
}

// FirmwareRequest chooses the firmware: bios or efi, with Secure Boot
// (efi only).
type FirmwareRequest struct {
	Firmware   string `json:"firmware"`
	SecureBoot bool   `json:"secureBoot,omitempty"`
}

// SetFirmware changes a shut-off VM's firmware. UEFI comes from the host's
// OVMF, chosen by libvirt (firmware auto-selection); Secure Boot needs the
// q35 machine and turns on SMM.
func (s *Service) SetFirmware(hostName, uuid string, req FirmwareRequest) (Result, error) {
	if req.Firmware != "bios" && req.Firmware != "efi" {
		return Result{}, invalid(fmt.Sprintf("firmware %q is not supported", problem.Clip(req.Firmware)), "use bios or efi")
	}
	if req.SecureBoot && req.Firmware != "efi" {
		return Result{}, invalid("Secure Boot needs UEFI firmware", "choose efi, or turn Secure Boot off")
	}
	e, err := s.beginEdit(hostName, uuid, "firmware")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	if e.running {
		return Result{}, problem.New(problem.Conflict, problem.CodeFirmwareWhileOn, "the firmware can only be changed while the VM is shut off",
			"shut the VM down first")
	}
	if e.def.OS == nil {
		e.def.OS = &libvirtxml.DomainOS{}
	}
	if req.Firmware == "efi" {
		dc, err := domCaps(e.c, e.def.Type)
		if err != nil {
			return Result{}, err
		}
		if !dc.hasEFI() {
			return Result{}, problem.New(problem.Unsupported, problem.CodeFirmwareMissing, fmt.Sprintf("host %q has no UEFI firmware for its VMs", hostName),
				"install OVMF on the host (Debian: apt install ovmf), or choose BIOS")
		}
		if req.SecureBoot && !dc.hasSecureBoot() {
			return Result{}, problem.New(problem.Unsupported, problem.CodeFirmwareMissing, fmt.Sprintf("host %q has no Secure Boot firmware", hostName),
				"install OVMF with Secure Boot on the host (Debian's ovmf package has it), or turn Secure Boot off")
		}
		if req.SecureBoot && (e.def.OS.Type == nil || !strings.Contains(e.def.OS.Type.Machine, "q35")) {
			return Result{}, invalid("Secure Boot needs the q35 machine type; this VM has "+machineOf(e.def),
				"choose UEFI without Secure Boot, or make a new VM with the q35 machine")
		}
	}
	applyFirmware(e.def, req.Firmware, req.SecureBoot)
	if err := e.define("change the firmware"); err != nil {
		return Result{}, err
	}
	what := "BIOS firmware"
	if req.Firmware == "efi" {
		what = "UEFI firmware"
		if req.SecureBoot {
			what += " with Secure Boot"
		}
	}
	e.say(what)
	return s.finish(e, "firmware")
}

// applyFirmware sets a definition's firmware: libvirt's auto-selection of
// OVMF (the loader and variable store are chosen when it is defined) for
// efi, none of it for bios.
func applyFirmware(d *libvirtxml.Domain, firmware string, secure bool) {
	if d.OS == nil {
		d.OS = &libvirtxml.DomainOS{}
	}
	d.OS.Loader, d.OS.NVRam, d.OS.FirmwareInfo, d.OS.Firmware = nil, nil, nil, ""
	if d.Features != nil {
		d.Features.SMM = nil
	}
	if firmware != "efi" {
		return
	}
	d.OS.Firmware = "efi"
	if secure {
		d.OS.FirmwareInfo = &libvirtxml.DomainOSFirmwareInfo{Features: []libvirtxml.DomainOSFirmwareFeature{
			{Enabled: "yes", Name: "secure-boot"}, {Enabled: "yes", Name: "enrolled-keys"},
		}}
		if d.Features == nil {
			d.Features = &libvirtxml.DomainFeatureList{}
		}
		d.Features.SMM = &libvirtxml.DomainFeatureSMM{State: "on"}
	} else {
		d.OS.FirmwareInfo = &libvirtxml.DomainOSFirmwareInfo{Features: []libvirtxml.DomainOSFirmwareFeature{
			{Enabled: "no", Name: "secure-boot"},
		}}
	}
}

func machineOf(d *libvirtxml.Domain) string {
	if d.OS == nil || d.OS.Type == nil || d.OS.Type.Machine == "" {
		return "the default (pc) machine"
	}
	return d.OS.Type.Machine
}

// GraphicsRequest adds or removes VNC graphics and sets or clears their
// password. VNC nil leaves the graphics as they are; Password nil leaves
// the password, "" clears it.
type GraphicsRequest struct {
	VNC      *bool   `json:"vnc,omitempty"`
	Password *string `json:"password,omitempty"`
}

// SetGraphics changes the VM's VNC graphics: added or removed for the next
// start (a running QEMU cannot change its displays), the password at once.
func (s *Service) SetGraphics(hostName, uuid string, req GraphicsRequest) (Result, error) {
	if req.VNC == nil && req.Password == nil {
		return Result{}, invalid("the request changes nothing", `give "vnc" (true or false) and/or "password"`)
	}
	if req.Password != nil && len(*req.Password) > 8 {
		return Result{}, invalid("a VNC password has at most 8 characters (VNC uses only the first 8)", "give a shorter password")
	}
	if req.Password != nil && strings.ContainsAny(*req.Password, "\x00\r\n") {
		return Result{}, invalid("the VNC password has a control character", "use printable characters")
	}
	if req.VNC != nil && !*req.VNC && req.Password != nil && *req.Password != "" {
		return Result{}, invalid("a password for graphics that are being removed", "leave out the password, or keep VNC")
	}
	e, err := s.beginEdit(hostName, uuid, "graphics")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	vnc := -1
	for i, g := range e.def.Devices.Graphics {
		if g.VNC != nil {
			vnc = i
			break
		}
	}
	var what []string
	if req.VNC != nil {
		switch {
		case *req.VNC && vnc < 0:
			e.def.Devices.Graphics = append(e.def.Devices.Graphics, libvirtxml.DomainGraphic{VNC: &libvirtxml.DomainGraphicVNC{
				Port: -1, AutoPort: "yes",
				Listeners: []libvirtxml.DomainGraphicListener{{Address: &libvirtxml.DomainGraphicListenerAddress{Address: "127.0.0.1"}}},
			}})
			vnc = len(e.def.Devices.Graphics) - 1
			what = append(what, "VNC graphics added (on 127.0.0.1)")
		case !*req.VNC && vnc >= 0:
			e.def.Devices.Graphics = slices.Delete(e.def.Devices.Graphics, vnc, vnc+1)
			vnc = -1
			what = append(what, "VNC graphics removed")
		}
		if len(what) > 0 && e.running {
			e.res.EffectiveAtNextStart = true
		}
	}
	if req.Password != nil {
		if vnc < 0 {
			return Result{}, problem.New(problem.NotFound, "graphics_not_found", "the VM has no VNC graphics to set a password on", `add them first ("vnc": true)`)
		}
		e.def.Devices.Graphics[vnc].VNC.Passwd = *req.Password
		if *req.Password == "" {
			what = append(what, "VNC password cleared")
		} else {
			what = append(what, "VNC password set")
		}
		if e.running {
			note, err := e.livePassword(*req.Password)
			if err != nil {
				return Result{}, err
			}
			if note != "" {
				what[len(what)-1] += " (" + note + ")"
			}
		}
	}
	if len(what) == 0 {
		what = append(what, "graphics unchanged")
	}
	if err := e.define("change the graphics"); err != nil {
		return Result{}, err
	}
	e.say(strings.Join(what, ", "))
	return s.finish(e, "graphics")
}

// livePassword gives the running VM's VNC server a new password where
// QEMU can take one: only a server started with a password (QEMU's
// password auth) can change it; one started without cannot start asking
// for one (QEMU: "Could not set password"), and one started with a
// password keeps asking for one when it is "cleared" (libvirt hands QEMU
// an empty password, and the console would then fail). Those two wait
// for the next start: the running server keeps what it has. The note
// says why, when it waits.
func (e *vmEdit) livePassword(password string) (note string, err error) {
	ldoc, err := e.c.XML(e.dom, virt.XMLSecure)
	if err != nil {
		return "", host.Problem(err, "read the running VM's definition")
	}
	var live libvirtxml.Domain
	if err := live.Unmarshal(ldoc); err != nil {
		return "", fmt.Errorf("parse the running VM's definition: %w", err)
	}
	var devs []libvirtxml.DomainGraphic
	if live.Devices != nil {
		devs = live.Devices.Graphics
	}
	for _, g := range devs {
		if g.VNC == nil {
			continue
		}
		switch {
		case g.VNC.Passwd == "" && password == "":
			return "", nil // neither had one
		case g.VNC.Passwd == "":
			e.res.EffectiveAtNextStart = true
			return "the running VNC server was started without a password and cannot start asking for one", nil
		case password == "":
			e.res.EffectiveAtNextStart = true
			return "the running VNC server keeps asking for its password until the VM is shut down and started again", nil
		}
		g.VNC.Passwd = password
		doc, err := g.Marshal()
		if err != nil {
			return "", err
		}
		if err := e.c.UpdateDevice(e.dom, doc, virt.DeviceModifyLive); err != nil {
			if !unsupportedLive(err) {
				return "", libvirtProblem(err, "change the running VM's VNC password")
			}
			e.res.EffectiveAtNextStart = true
			return "", nil
		}
		e.res.Live = true
		return "", nil
	}
	// The running VM has no VNC server (it was added for the next start).
	e.res.EffectiveAtNextStart = true
	return "", nil
}

// TPMRequest adds (a TPM 2.0 emulated by swtpm) or removes a TPM.
type TPMRequest struct {
	Enabled bool `json:"enabled"`
}

// SetTPM adds or removes the VM's TPM (the next start: a running QEMU
// cannot take one). The emulated TPM is libvirt's: swtpm, its state kept
// by libvirt per VM.
func (s *Service) SetTPM(hostName, uuid string, req TPMRequest) (Result, error) {
	e, err := s.beginEdit(hostName, uuid, "tpm")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	had := len(e.def.Devices.TPMs) > 0
	switch {
	case req.Enabled && !had:
		dc, err := domCaps(e.c, e.def.Type)
		if err != nil {
			return Result{}, err
		}
		if !dc.hasTPMEmulator() {
			return Result{}, problem.New(problem.Unsupported, problem.CodeTPMUnavailable, fmt.Sprintf("host %q cannot emulate a TPM for its VMs", hostName),
				"install swtpm and swtpm-tools on the host (Debian: apt install swtpm swtpm-tools)")
		}
		e.def.Devices.TPMs = []libvirtxml.DomainTPM{TPMDevice(machineOf(e.def))}
	case !req.Enabled && had:
		e.def.Devices.TPMs = nil
	}
	if err := e.define("change the TPM"); err != nil {
		return Result{}, err
	}
	switch {
	case req.Enabled && had, !req.Enabled && !had:
		e.res.Message = "the TPM was already as asked; nothing changed"
	case req.Enabled:
		e.say("TPM 2.0 added (emulated by swtpm)")
	default:
		e.say("TPM removed")
	}
	return s.finish(e, "tpm")
}

// TPMDevice is an emulated TPM 2.0 for a VM of the machine type: CRB on
// q35 (what Windows 11 expects), TIS on the older PC machine.
func TPMDevice(machine string) libvirtxml.DomainTPM {
	model := "tpm-tis"
	if strings.Contains(machine, "q35") {
		model = "tpm-crb"
	}
	return libvirtxml.DomainTPM{Model: model, Backend: &libvirtxml.DomainTPMBackend{
		Emulator: &libvirtxml.DomainTPMBackendEmulator{Version: "2.0"},
	}}
}

// InfoRequest sets the VM's title and/or description (nil: unchanged; ""
// removes it).
type InfoRequest struct {
	Title       *string `json:"title,omitempty"`
	Description *string `json:"description,omitempty"`
}

// SetInfo changes the VM's title and description, on the running VM and in
// its definition.
func (s *Service) SetInfo(hostName, uuid string, req InfoRequest) (Result, error) {
	if req.Title == nil && req.Description == nil {
		return Result{}, invalid("the request changes nothing", `give "title" and/or "description"`)
	}
	if req.Title != nil && (len(*req.Title) > 256 || strings.ContainsAny(*req.Title, "\r\n")) {
		return Result{}, invalid("the title is longer than 256 characters or has a line break", "use one short line")
	}
	if req.Description != nil && len(*req.Description) > 4096 {
		return Result{}, invalid("the description is longer than 4096 characters", "shorten it")
	}
	e, err := s.beginEdit(hostName, uuid, "info")
	if err != nil {
		return Result{}, err
	}
	defer e.release()
	where := virt.AffectConfig
	if e.running {
		where |= virt.AffectLive
	}
	set := func(kind virt.Metadata, v *string, what string) error {
		if v == nil {
			return nil
		}
		if err := e.c.SetMetadata(e.dom, kind, *v, where); err != nil {
			return libvirtProblem(err, "set the VM's "+what)
		}
		return nil
	}
	if err := set(virt.MetadataTitle, req.Title, "title"); err != nil {
		return Result{}, err
	}
	if err := set(virt.MetadataDescription, req.Description, "description"); err != nil {
		return Result{}, err
	}
	e.res.Live, e.res.Config = e.running, true
	e.say("title and description")
	return s.finish(e, "info")
}

// caps is what the edits read of libvirt's domain capabilities.
type caps struct {
	OS struct {
		Enums  []capsEnum `xml:"enum"`
		Loader struct {
			Values []string   `xml:"value"`
			Enums  []capsEnum `xml:"enum"`
		} `xml:"loader"`
	} `xml:"os"`
	Devices struct {
		TPM struct {
			Supported string     `xml:"supported,attr"`
			Enums     []capsEnum `xml:"enum"`
		} `xml:"tpm"`
	} `xml:"devices"`
}

type capsEnum struct {
	Name   string   `xml:"name,attr"`
	Values []string `xml:"value"`
}

func enumHas(enums []capsEnum, name, value string) bool {
	for _, e := range enums {
		if e.Name == name && slices.Contains(e.Values, value) {
			return true
		}
	}
	return false
}

func (c *caps) hasEFI() bool {
	return enumHas(c.OS.Enums, "firmware", "efi") || len(c.OS.Loader.Values) > 0
}

func (c *caps) hasSecureBoot() bool { return enumHas(c.OS.Loader.Enums, "secure", "yes") }

func (c *caps) hasTPMEmulator() bool {
	return c.Devices.TPM.Supported == "yes" && enumHas(c.Devices.TPM.Enums, "backendModel", "emulator")
}

// domCaps reads the host's domain capabilities for VMs of the type (kvm
// or qemu).
func domCaps(c virt.Conn, domType string) (*caps, error) {
	if domType == "" {
		domType = "kvm"
	}
	doc, err := c.DomainCapabilities(domType)
	if err != nil {
		return nil, host.Problem(err, "read what the host offers its VMs")
	}
	var dc caps
	if err := xml.Unmarshal([]byte(doc), &dc); err != nil {
		return nil, fmt.Errorf("parse the domain capabilities: %w", err)
	}
	return &dc, nil
}
