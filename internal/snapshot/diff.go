package snapshot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"libvirt.org/go/libvirtxml"
)

// configSummary lists the notable differences between a snapshot's domain
// configuration (then) and today's (now), in words.
func configSummary(then, now *libvirtxml.Domain) []string {
	out := []string{}
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if then.Name != now.Name {
		add("name: %s → %s", then.Name, now.Name)
	}
	if a, b := memKiB(then), memKiB(now); a != b {
		add("memory: %s → %s", fmtKiB(a), fmtKiB(b))
	}
	if a, b := vcpus(then), vcpus(now); a != b {
		add("vCPUs: %d → %d", a, b)
	}
	if a, b := machine(then), machine(now); a != b {
		add("machine type: %s → %s", orNone(a), orNone(b))
	}
	if a, b := firmware(then), firmware(now); a != b {
		add("firmware: %s → %s", a, b)
	}
	thenDisks, nowDisks := diskMap(then), diskMap(now)
	for _, t := range sortedKeys(thenDisks) {
		d, ok := nowDisks[t]
		switch {
		case !ok:
			add("disk %s removed (was %s)", t, thenDisks[t])
		case d != thenDisks[t]:
			add("disk %s: %s → %s", t, thenDisks[t], d)
		}
	}
	for _, t := range sortedKeys(nowDisks) {
		if _, ok := thenDisks[t]; !ok {
			add("disk %s added (%s)", t, nowDisks[t])
		}
	}
	thenNICs, nowNICs := nicMap(then), nicMap(now)
	for _, mac := range sortedKeys(thenNICs) {
		n, ok := nowNICs[mac]
		switch {
		case !ok:
			add("network interface %s removed (was %s)", mac, thenNICs[mac])
		case n != thenNICs[mac]:
			add("network interface %s: %s → %s", mac, thenNICs[mac], n)
		}
	}
	for _, mac := range sortedKeys(nowNICs) {
		if _, ok := thenNICs[mac]; !ok {
			add("network interface %s added (%s)", mac, nowNICs[mac])
		}
	}
	if a, b := graphics(then), graphics(now); a != b {
		add("graphics: %s → %s", orNone(a), orNone(b))
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func memKiB(d *libvirtxml.Domain) uint64 {
	if d.Memory == nil {
		return 0
	}
	return inventory.MemoryKiB(d.Memory.Value, d.Memory.Unit)
}

func fmtKiB(k uint64) string {
	switch {
	case k >= 1<<20 && k%(1<<20) == 0:
		return fmt.Sprintf("%d GiB", k>>20)
	case k >= 1<<10 && k%(1<<10) == 0:
		return fmt.Sprintf("%d MiB", k>>10)
	}
	return fmt.Sprintf("%d KiB", k)
}

func vcpus(d *libvirtxml.Domain) uint {
	if d.VCPU == nil {
		return 0
	}
	if d.VCPU.Current != 0 {
		return d.VCPU.Current
	}
	return d.VCPU.Value
}

func machine(d *libvirtxml.Domain) string {
	if d.OS == nil || d.OS.Type == nil {
		return ""
	}
	return d.OS.Type.Machine
}

func firmware(d *libvirtxml.Domain) string {
	switch {
	case d.OS == nil:
		return "bios"
	case d.OS.Firmware == "efi" || (d.OS.Loader != nil && d.OS.Loader.Type == "pflash"):
		return "efi"
	case d.OS.Kernel != "":
		return "direct kernel " + d.OS.Kernel
	}
	return "bios"
}

func diskMap(d *libvirtxml.Domain) map[string]string {
	out := map[string]string{}
	for _, x := range domainDisks(d) {
		desc := x.Device
		if desc == "" {
			desc = "disk"
		}
		if x.Driver != nil && x.Driver.Type != "" {
			desc += " " + x.Driver.Type
		}
		if x.Source != nil {
			switch {
			case x.Source.File != nil:
				desc += " " + x.Source.File.File
			case x.Source.Block != nil:
				desc += " " + x.Source.Block.Dev
			case x.Source.Network != nil:
				desc += " " + x.Source.Network.Protocol + ":" + x.Source.Network.Name
			case x.Source.Volume != nil:
				desc += " " + x.Source.Volume.Pool + "/" + x.Source.Volume.Volume
			}
		}
		out[diskTarget(x)] = desc
	}
	return out
}

func nicMap(d *libvirtxml.Domain) map[string]string {
	out := map[string]string{}
	if d.Devices == nil {
		return out
	}
	for i, x := range d.Devices.Interfaces {
		key := fmt.Sprintf("#%d", i+1)
		if x.MAC != nil && x.MAC.Address != "" {
			key = x.MAC.Address
		}
		desc := "interface"
		if x.Source != nil {
			switch {
			case x.Source.Network != nil:
				desc = "network " + x.Source.Network.Network
			case x.Source.Bridge != nil:
				desc = "bridge " + x.Source.Bridge.Bridge
			case x.Source.User != nil:
				desc = "user networking"
			case x.Source.Direct != nil:
				desc = "direct " + x.Source.Direct.Dev
			}
		}
		if x.Model != nil && x.Model.Type != "" {
			desc += ", model " + x.Model.Type
		}
		out[key] = desc
	}
	return out
}

func graphics(d *libvirtxml.Domain) string {
	if d.Devices == nil {
		return ""
	}
	var types []string
	for _, g := range d.Devices.Graphics {
		switch {
		case g.VNC != nil:
			types = append(types, "vnc")
		case g.Spice != nil:
			types = append(types, "spice")
		case g.SDL != nil:
			types = append(types, "sdl")
		default:
			types = append(types, "other")
		}
	}
	return strings.Join(types, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
