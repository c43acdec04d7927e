// Package hardware edits the hardware of existing VMs: vCPUs and memory,
// disks, NICs, boot order, firmware, graphics, TPM, title and description,
// and the raw domain XML. Each change is made live where libvirt can
// (the running guest sees it at once) and in the stored definition, and
// otherwise in the stored definition only, for the VM's next start; every
// answer says which, and carries the change to the stored definition as a
// line diff. It builds on the same read-edit-define of the stored
// definition as package domainedit.
package hardware

import (
	"errors"
	"fmt"
	"log/slog"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Hosts gives the live libvirt link of a host.
type Hosts interface {
	Client(host string) (virt.Conn, error)
}

// VMs is the part of the inventory the edits need: a refresh after a
// change (libvirt sends no event for most device changes), and the list
// of VMs to tell whether a volume is in use.
type VMs interface {
	Refresh(c virt.Conn, host, uuid string) (inventory.VM, error)
	List() []inventory.VM
}

// Holds holds VMs for exclusive work (operation.Manager): an edit holds
// its VM from reading the definition to writing it back, as long work
// (snapshots, clone, export, delete) holds it for its whole operation.
type Holds interface {
	Claim(t operation.Target, kind, subject string) (*operation.Claim, error)
}

// Options configures a Service.
type Options struct {
	Hosts     Hosts
	Inventory VMs
	// Operations holds the VM during each edit, so that an edit is
	// refused (409 vm_busy or snapshot_busy, naming the work) while a
	// snapshot, clone, export or delete runs on the same VM, and the
	// reverse. Nil only in tests that do not exercise the hold.
	Operations Holds
	Logger     *slog.Logger
}

// Service edits VMs' hardware: one per server.
type Service struct {
	opts Options
	log  *slog.Logger
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{opts: opts, log: opts.Logger}
}

// Result is the answer to every change.
type Result struct {
	// Message says what was done and when it takes effect.
	Message string `json:"message"`
	// Live says the running VM changed now (the guest sees it);
	// Config that the stored definition did.
	Live   bool `json:"live"`
	Config bool `json:"config"`
	// EffectiveAtNextStart says that (part of) the change waits for the
	// VM's next start: shut it down and start it (a reboot inside the
	// guest keeps the old devices).
	EffectiveAtNextStart bool `json:"effectiveAtNextStart"`
	// Changes is the change to the stored definition as a line diff
	// ("-" removed, "+" added, " " context); empty when it did not change.
	Changes string       `json:"changes"`
	VM      inventory.VM `json:"vm"`
}

// vmEdit is one change under way: the VM's link, its domain and state, and
// its stored definition as it was before.
type vmEdit struct {
	c          virt.Conn
	dom        virt.Domain
	host, uuid string
	running    bool
	persistent bool
	// def is the stored definition (with secrets), parsed; live the
	// running domain's, when it runs.
	def  *libvirtxml.Domain
	live *libvirtxml.Domain
	// before is the stored definition without secrets, for the diff.
	before string
	res    Result
	// claim holds the VM for an edit (nil for a read).
	claim *operation.Claim
}

// release gives the VM free after an edit; safe on reads and more than once.
func (e *vmEdit) release() {
	if e != nil && e.claim != nil {
		e.claim.Release()
	}
}

// beginEdit is begin for a change of kind (e.g. "nic-update"): the VM is
// held (operation.Claim, kind "hardware-edit") before its definition is
// read, so that no snapshot, clone, export or delete starts between the
// read and the define, and none is running while the edit is made. The
// caller releases it (defer e.release()).
func (s *Service) beginEdit(hostName, uuid, kind string) (*vmEdit, error) {
	return s.open(hostName, uuid, kind)
}

// begin reads what a change needs, without holding the VM (for reads).
func (s *Service) begin(hostName, uuid string) (*vmEdit, error) {
	return s.open(hostName, uuid, "")
}

// open reads what a change needs; with a kind it holds the VM first.
func (s *Service) open(hostName, uuid, kind string) (_ *vmEdit, err error) {
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return nil, err
	}
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return nil, err
	}
	dom, err := c.LookupDomain(u)
	if err != nil {
		if host.IsCode(err, virt.ErrNoDomain) {
			return nil, problem.New(problem.NotFound, problem.CodeVMNotFound,
				fmt.Sprintf("host %q has no VM with UUID %s", hostName, uuid), "reload the VM list")
		}
		return nil, host.Problem(err, "find the VM")
	}
	e := &vmEdit{c: c, dom: dom, host: hostName, uuid: host.FormatUUID(u)}
	if kind != "" && s.opts.Operations != nil {
		if e.claim, err = s.opts.Operations.Claim(operation.Target{Host: hostName, UUID: e.uuid, Name: dom.Name}, "hardware-edit", kind); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				e.release()
			}
		}()
	}
	state, _, err := c.State(dom)
	if err != nil {
		return nil, host.Problem(err, "read the VM's state")
	}
	st := virt.DomainState(state)
	e.running = st == virt.StateRunning || st == virt.StatePaused || st == virt.StateBlocked || st == virt.StateShutdown || st == virt.StatePMSuspended
	if e.persistent, err = c.Persistent(dom); err != nil {
		return nil, host.Problem(err, "read whether the VM has a definition")
	}
	if !e.persistent {
		return nil, problem.New(problem.Unsupported, problem.CodeVMTransient,
			fmt.Sprintf("VM %q is transient: it has no stored definition to change", problem.Clip(dom.Name)),
			"define the VM persistently first (virsh dumpxml, then virsh define)")
	}
	doc, err := c.XML(dom, virt.XMLInactive|virt.XMLSecure)
	if err != nil {
		return nil, host.Problem(err, "read the VM's definition")
	}
	e.def = &libvirtxml.Domain{}
	if err := e.def.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse the VM's definition: %w", err)
	}
	if e.def.Devices == nil {
		e.def.Devices = &libvirtxml.DomainDeviceList{}
	}
	if e.before, err = c.XML(dom, virt.XMLInactive); err != nil {
		return nil, host.Problem(err, "read the VM's definition")
	}
	if e.running {
		ldoc, err := c.XML(dom, 0)
		if err != nil {
			return nil, host.Problem(err, "read the running VM's definition")
		}
		e.live = &libvirtxml.Domain{}
		if err := e.live.Unmarshal(ldoc); err != nil {
			return nil, fmt.Errorf("parse the running VM's definition: %w", err)
		}
	}
	return e, nil
}

// define writes the edited stored definition back.
func (e *vmEdit) define(what string) error {
	doc, err := e.def.Marshal()
	if err != nil {
		return fmt.Errorf("write the VM's definition: %w", err)
	}
	if _, err := e.c.Define(doc); err != nil {
		return libvirtProblem(err, what+" in the VM's definition")
	}
	e.res.Config = true
	return nil
}

// finish fills the answer: the diff of the stored definition and the VM
// as the inventory now has it.
func (s *Service) finish(e *vmEdit, what string) (Result, error) {
	after, err := e.c.XML(e.dom, virt.XMLInactive)
	if err != nil {
		return Result{}, host.Problem(err, "read the VM's definition")
	}
	e.res.Changes = Diff(e.before, after)
	if e.res.Changes != "" {
		e.res.Config = true
	}
	if s.opts.Inventory != nil {
		if vm, err := s.opts.Inventory.Refresh(e.c, e.host, e.uuid); err == nil {
			e.res.VM = vm
		}
	}
	s.log.Info("VM hardware changed", "change", what, "host", e.host, "vm", e.dom.Name,
		"live", e.res.Live, "nextStart", e.res.EffectiveAtNextStart)
	return e.res, nil
}

// say sets the answer's message from what was done and where.
func (e *vmEdit) say(what string) {
	switch {
	case e.res.Live && !e.res.EffectiveAtNextStart:
		e.res.Message = what + ": applied to the running VM and its definition"
	case e.res.Live:
		e.res.Message = what + ": partly applied to the running VM; the rest takes effect the next time the VM starts (shut it down and start it: a reboot inside the guest is not enough)"
	case e.running:
		e.res.EffectiveAtNextStart = true
		e.res.Message = what + ": saved in the VM's definition; it takes effect the next time the VM starts (shut it down and start it: a reboot inside the guest is not enough)"
	default:
		e.res.Message = what + ": saved in the VM's definition"
	}
}

// libvirtProblem maps libvirt's refusal of a change: its own words, which
// are often the only precise account (a bus that cannot hot-plug, a slot
// that is missing), as an invalid request rather than a server failure.
func libvirtProblem(err error, what string) error {
	var le virt.Error
	if errors.As(err, &le) {
		switch virt.ErrorNumber(le.Code) {
		case virt.ErrOperationInvalid, virt.ErrXMLError, virt.ErrInvalidArg, virt.ErrOperationUnsupported,
			virt.ErrArgumentUnsupported, virt.ErrOperationFailed, virt.ErrInternalError, virt.ErrConfigUnsupported,
			virt.ErrXMLInvalidSchema, virt.ErrXMLDetail:
			return problem.Wrap(err, problem.Invalid, problem.CodeDomainXMLRejected,
				fmt.Sprintf("libvirt refused to %s: %s", what, problem.Clip(le.Message)),
				"change the request as libvirt's message says; nothing was changed by this step")
		}
	}
	return host.Problem(err, what)
}

// unsupportedLive reports libvirt's refusal of a live change that it
// cannot make to a running guest (then the stored definition is changed
// for the next start).
func unsupportedLive(err error) bool {
	var le virt.Error
	if !errors.As(err, &le) {
		return false
	}
	switch virt.ErrorNumber(le.Code) {
	case virt.ErrOperationUnsupported, virt.ErrArgumentUnsupported, virt.ErrConfigUnsupported:
		return true
	}
	return false
}

func invalid(msg, hint string) error {
	return problem.New(problem.Invalid, problem.CodeInvalidHardware, msg, hint)
}

func asLibvirt(err error, le *virt.Error) bool { return errors.As(err, le) }
