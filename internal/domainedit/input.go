package domainedit

import (
	"fmt"
	"slices"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// VNCKeymaps are the keymaps QEMU 7.2's VNC server knows (its pc-bios/keymaps):
// the VNC `keymap` attribute it uses to turn keysyms into scancodes for
// clients that send no scancodes (no QEMU extended key events).
var VNCKeymaps = []string{
	"ar", "bepo", "cz", "da", "de", "de-ch", "en-gb", "en-us", "es", "et", "fi", "fo", "fr", "fr-be", "fr-ca", "fr-ch",
	"hr", "hu", "is", "it", "ja", "lt", "lv", "mk", "nl", "no", "pl", "pt", "pt-br", "ru", "sl", "sv", "th", "tr",
}

// ConsoleInput is what a VM's definition says about console input: the VNC
// keymap and whether the guest has an absolute pointer (a tablet), in the
// stored definition and, for a running VM, in the one it runs with.
type ConsoleInput struct {
	// Keymap is the stored VNC keymap ("" for none: QEMU's default, en-us).
	Keymap string `json:"keymap"`
	// LiveKeymap is the keymap the running VM's VNC server uses.
	LiveKeymap string `json:"liveKeymap"`
	// Tablet says the stored definition has an absolute pointer (an
	// input of type tablet); LiveTablet, the running VM.
	Tablet     bool `json:"tablet"`
	LiveTablet bool `json:"liveTablet"`
	// Running says the VM runs: the live fields are its.
	Running bool     `json:"running"`
	Keymaps []string `json:"keymaps"`
	// HasVNC says the stored definition has VNC graphics (a keymap needs them).
	HasVNC bool `json:"hasVNC"`
}

// Input reads a VM's console input settings from its definitions.
func (e *Editor) Input(hostName, uuid string) (ConsoleInput, error) {
	vm, err := e.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return ConsoleInput{}, err
	}
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return ConsoleInput{}, err
	}
	c, err := e.opts.Hosts.Client(hostName)
	if err != nil {
		return ConsoleInput{}, err
	}
	dom := virt.Domain{Name: vm.Name, UUID: u}
	res := ConsoleInput{Running: inventory.Active(vm.State), Keymaps: VNCKeymaps}
	stored, err := c.XML(dom, virt.XMLInactive)
	if err != nil {
		return ConsoleInput{}, host.Problem(err, "read the VM's definition")
	}
	if res.Keymap, res.Tablet, res.HasVNC, err = inputOf(stored); err != nil {
		return ConsoleInput{}, err
	}
	res.LiveKeymap, res.LiveTablet = res.Keymap, res.Tablet
	if res.Running {
		live, err := c.XML(dom, 0)
		if err != nil {
			return ConsoleInput{}, host.Problem(err, "read the VM's definition")
		}
		if res.LiveKeymap, res.LiveTablet, _, err = inputOf(live); err != nil {
			return ConsoleInput{}, err
		}
	}
	return res, nil
}

// inputOf reads the VNC keymap, whether there is a tablet, and whether
// there are VNC graphics, from a domain XML.
func inputOf(doc string) (keymap string, tablet, vnc bool, err error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return "", false, false, fmt.Errorf("parse domain XML: %w", err)
	}
	if d.Devices == nil {
		return "", false, false, nil
	}
	for _, g := range d.Devices.Graphics {
		if g.VNC != nil {
			vnc = true
			if keymap == "" {
				keymap = g.VNC.Keymap
			}
		}
	}
	for _, in := range d.Devices.Inputs {
		if in.Type == "tablet" {
			tablet = true
		}
	}
	return keymap, tablet, vnc, nil
}

// InputChanged is the answer to SetVNCKeymap and AddTablet.
type InputChanged struct {
	// Changed is false when the definition already was so.
	Changed bool `json:"changed"`
	// EffectiveAtNextStart says that a running VM keeps what it started
	// with until it is shut down and started again.
	EffectiveAtNextStart bool         `json:"effectiveAtNextStart"`
	Message              string       `json:"message"`
	VM                   inventory.VM `json:"-"`
}

// SetVNCKeymap sets (or, with "", removes) the keymap of the VM's VNC
// graphics in its stored definition. QEMU reads it when the VM starts.
func (e *Editor) SetVNCKeymap(hostName, uuid, keymap string) (InputChanged, error) {
	if keymap != "" && !slices.Contains(VNCKeymaps, keymap) {
		return InputChanged{}, problem.New(problem.Invalid, "invalid_keymap",
			fmt.Sprintf("%q is not a keymap QEMU's VNC server knows", problem.Clip(keymap)),
			"choose one of the keymaps GET .../console/input lists, or none")
	}
	ch, err := e.changeStored(hostName, uuid, "set the VNC keymap of", func(doc string) (string, bool, error) {
		return setKeymap(doc, keymap)
	})
	if err != nil {
		return InputChanged{}, err
	}
	res := InputChanged{Changed: ch.Changed, EffectiveAtNextStart: ch.Changed && ch.Running, VM: ch.VM}
	what := "the VNC keymap was set to " + keymap
	if keymap == "" {
		what = "the VNC keymap was removed (QEMU's default, en-us)"
	}
	switch {
	case !ch.Changed:
		res.Message = "the VM's definition already had that keymap"
	case ch.Running:
		res.Message = what + "; it takes effect the next time the VM starts (shut it down and start it: a reboot inside the guest is not enough)"
	default:
		res.Message = what
	}
	return res, nil
}

// errNoVNC says a keymap needs VNC graphics.
var errNoVNC = problem.New(problem.Unsupported, problem.CodeNoVNCGraphics,
	"the VM's definition has no VNC graphics to set a keymap on", "add VNC graphics first (POST .../graphics/vnc)")

func setKeymap(doc, keymap string) (string, bool, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return "", false, fmt.Errorf("parse domain XML: %w", err)
	}
	changed, found := false, false
	if d.Devices != nil {
		for _, g := range d.Devices.Graphics {
			if g.VNC != nil {
				found = true
				if g.VNC.Keymap != keymap {
					g.VNC.Keymap, changed = keymap, true
				}
			}
		}
	}
	if !found {
		return "", false, errNoVNC
	}
	if !changed {
		return doc, false, nil
	}
	out, err := d.Marshal()
	if err != nil {
		return "", false, fmt.Errorf("write domain XML: %w", err)
	}
	return out, true, nil
}

// AddTablet adds a USB tablet (an absolute pointer, so that the guest's
// pointer follows the browser's exactly) to the VM's stored definition.
// Input devices cannot be added to a running QEMU here, so a running VM
// gets it at its next start.
func (e *Editor) AddTablet(hostName, uuid string) (InputChanged, error) {
	ch, err := e.changeStored(hostName, uuid, "add a USB tablet to", addTablet)
	if err != nil {
		return InputChanged{}, err
	}
	res := InputChanged{Changed: ch.Changed, EffectiveAtNextStart: ch.Changed && ch.Running, VM: ch.VM}
	switch {
	case !ch.Changed:
		res.Message = "the VM's definition already has a tablet; if the pointer still drifts, shut the VM down and start it again"
	case ch.Running:
		res.Message = "a USB tablet was added to the VM's definition; it takes effect the next time the VM starts (shut it down and start it: a reboot inside the guest is not enough)"
	default:
		res.Message = "a USB tablet was added to the VM's definition"
	}
	return res, nil
}

func addTablet(doc string) (string, bool, error) {
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return "", false, fmt.Errorf("parse domain XML: %w", err)
	}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{}
	}
	for _, in := range d.Devices.Inputs {
		if in.Type == "tablet" {
			return doc, false, nil
		}
	}
	d.Devices.Inputs = append(d.Devices.Inputs, libvirtxml.DomainInput{Type: "tablet", Bus: "usb"})
	out, err := d.Marshal()
	if err != nil {
		return "", false, fmt.Errorf("write domain XML: %w", err)
	}
	return out, true, nil
}
