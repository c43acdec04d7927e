package domainedit

import (
	"fmt"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// SerialConsoleAdded is the outcome of AddConsole.
type SerialConsoleAdded struct {
	// Message says what was done and when it takes effect.
	Message string
	// NextStart is true when the VM runs: a running VM keeps the devices it
	// started with, so the console appears when it is next started (a full
	// shut down and start; a reboot from inside the guest is not enough).
	NextStart bool
	// VM is the VM as the inventory now has it.
	VM inventory.VM
}

// The problems of adding a serial console.
var (
	errConsoleExists = problem.New(problem.Conflict, problem.CodeSerialConsoleExists,
		"the VM already has a serial console", "open it from the Serial tab")
	errConsolePending = problem.New(problem.Conflict, problem.CodeSerialConsoleExists,
		"a serial console was already added to the VM's configuration; it takes effect when the VM next starts",
		"shut the VM down and start it again (a reboot from inside the guest is not enough)")
	errSerialTransient = problem.New(problem.Conflict, problem.CodeVMTransient,
		"the VM is transient: it has no stored configuration to add a device to",
		"define it persistently first (virsh dumpxml, then virsh define)")
)

// AddConsole adds a serial port and a console on it (both pty) to the VM's
// persistent configuration. It refuses if the VM has a console already. A
// running VM gets it at its next start.
func (e *Editor) AddConsole(hostName, uuid string) (SerialConsoleAdded, error) {
	vm, err := e.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return SerialConsoleAdded{}, err
	}
	if !vm.Persistent {
		return SerialConsoleAdded{}, errSerialTransient
	}
	c, err := e.opts.Hosts.Client(hostName)
	if err != nil {
		return SerialConsoleAdded{}, err
	}
	dom, def, err := ReadInactive(c, uuid)
	if err != nil {
		return SerialConsoleAdded{}, err
	}
	if err := addSerialConsole(def); err != nil {
		if err == errConsoleExists && inventory.Active(vm.State) && !vm.SerialConsole {
			return SerialConsoleAdded{}, errConsolePending
		}
		return SerialConsoleAdded{}, err
	}
	doc, err := def.Marshal()
	if err != nil {
		return SerialConsoleAdded{}, fmt.Errorf("encode the VM's configuration: %w", err)
	}
	if _, err := c.Define(doc); err != nil {
		return SerialConsoleAdded{}, host.Problem(err, "add a serial console to the VM's configuration")
	}
	e.log.Info("serial console added to VM configuration", "host", hostName, "uuid", uuid, "vm", dom.Name)
	out := SerialConsoleAdded{Message: "A serial console was added. The VM gets it when it starts.", VM: vm}
	if inventory.Active(vm.State) {
		out.NextStart = true
		out.Message = "A serial console was added to the VM's configuration. It takes effect when the VM next starts: shut it down and start it again (a reboot from inside the guest is not enough)."
	}
	if fresh, err := e.opts.Inventory.Refresh(c, hostName, uuid); err == nil {
		out.VM = fresh
	}
	return out, nil
}

// HasSerialConsole reports whether a definition has a console libvirt can
// open as a terminal, by the inventory's rule: a pty console, or a first serial port
// that is a pty (libvirt makes it the console).
func HasSerialConsole(d *libvirtxml.Domain) bool {
	if d.Devices == nil {
		return false
	}
	for _, c := range d.Devices.Consoles {
		if c.Source == nil || c.Source.Pty != nil {
			return true
		}
	}
	s := d.Devices.Serials
	return len(s) > 0 && (s[0].Source == nil || s[0].Source.Pty != nil)
}

// addSerialConsole adds serial port 0 and a console on it, both pty, to d.
// Target types are left to libvirt, which picks the machine's own (an ISA
// UART on a PC, a PL011 on ARM). A definition that has a console, or whose
// first serial port is already something else (a log file, say), is
// refused: the console must be that port, and repurposing it is the user's
// call.
func addSerialConsole(d *libvirtxml.Domain) error {
	if HasSerialConsole(d) {
		return errConsoleExists
	}
	if d.Devices == nil {
		d.Devices = &libvirtxml.DomainDeviceList{}
	}
	if len(d.Devices.Consoles) > 0 || len(d.Devices.Serials) > 0 {
		kind := "non-terminal"
		if len(d.Devices.Serials) > 0 {
			kind = chardevKind(d.Devices.Serials[0].Source)
		} else {
			kind = chardevKind(d.Devices.Consoles[0].Source)
		}
		return problem.New(problem.Unsupported, problem.CodeSerialPortInUse,
			fmt.Sprintf("the VM's first serial port is a %s device, so it cannot also be an interactive console", kind),
			"change that port to type 'pty' in the VM's configuration (virsh edit), or remove it, then try again")
	}
	port := uint(0)
	d.Devices.Serials = append(d.Devices.Serials, libvirtxml.DomainSerial{
		Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
		Target: &libvirtxml.DomainSerialTarget{Port: &port},
	})
	cport := uint(0)
	d.Devices.Consoles = append(d.Devices.Consoles, libvirtxml.DomainConsole{
		Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
		Target: &libvirtxml.DomainConsoleTarget{Type: "serial", Port: &cport},
	})
	return nil
}

// chardevKind names the type of a character device's source.
func chardevKind(src *libvirtxml.DomainChardevSource) string {
	switch {
	case src == nil:
		return "unknown"
	case src.File != nil:
		return "file"
	case src.TCP != nil:
		return "tcp"
	case src.UNIX != nil:
		return "unix socket"
	case src.UDP != nil:
		return "udp"
	case src.Null != nil:
		return "null"
	case src.Dev != nil:
		return "host device"
	case src.Pipe != nil:
		return "pipe"
	case src.StdIO != nil:
		return "stdio"
	case src.SpicePort != nil, src.SpiceVMC != nil:
		return "spice"
	}
	return "non-terminal"
}

// ReadInactive reads and parses the persistent definition of the VM with
// the given UUID over the link c.
func ReadInactive(c virt.Conn, uuid string) (virt.Domain, *libvirtxml.Domain, error) {
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return virt.Domain{}, nil, err
	}
	dom, err := c.LookupDomain(u)
	if err != nil {
		return virt.Domain{}, nil, host.Problem(err, "find the VM")
	}
	doc, err := c.XML(dom, virt.XMLInactive)
	if err != nil {
		return virt.Domain{}, nil, host.Problem(err, "read the VM's configuration")
	}
	var def libvirtxml.Domain
	if err := def.Unmarshal(doc); err != nil {
		return virt.Domain{}, nil, fmt.Errorf("parse the VM's configuration: %w", err)
	}
	return dom, &def, nil
}
