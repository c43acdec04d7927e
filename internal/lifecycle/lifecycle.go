// Package lifecycle changes VMs' power state (start, shutdown, reboot, force
// off, reset, pause, resume), their autostart flag, and deletes them. Every
// request is checked against the VM's state first, so that an action that
// cannot apply is refused with a hint and changes nothing.
package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/operation"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Clients gives the live libvirt link of a host (host.Set).
type Clients interface {
	Client(host string) (virt.Conn, error)
	Get(name string) (*host.Host, error)
}

// VMs is the part of the inventory this service needs.
type VMs interface {
	Get(host, uuid string) (inventory.VM, error)
	List() []inventory.VM
	Refresh(c virt.Conn, host, uuid string) (inventory.VM, error)
}

// Operations starts background work, and holds VMs for exclusive work
// (operation.Manager).
type Operations interface {
	Start(kind string, target operation.Target, mayCancel bool, fn operation.Func) (operation.Op, error)
	Claim(t operation.Target, kind, subject string) (*operation.Claim, error)
}

// Options configures a Service.
type Options struct {
	Hosts      Clients
	Inventory  VMs
	Operations Operations
	// ShutdownTimeout is how long an ACPI shutdown may take before the
	// operation fails (default 90 s); a request may ask for another.
	ShutdownTimeout time.Duration
	// PollInterval is how often a shutdown checks the VM's state (default 250 ms).
	PollInterval time.Duration
}

// Service performs power actions.
type Service struct {
	opts Options
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 90 * time.Second
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	return &Service{opts: opts}
}

// Action names accepted by Do (see inventory.Actions).
const (
	Start    = inventory.ActionStart
	Shutdown = inventory.ActionShutdown
	Reboot   = inventory.ActionReboot
	ForceOff = inventory.ActionForceOff
	Reset    = inventory.ActionReset
	Pause    = inventory.ActionPause
	Resume   = inventory.ActionResume
)

// Request carries an action's options. Only shutdown takes any.
type Request struct {
	// TimeoutSeconds bounds an ACPI shutdown (1 to 3600; 0 means the default).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// Result is either the VM after a quick action, or the operation that is
// carrying out a long one.
type Result struct {
	VM        *inventory.VM
	Operation *operation.Op
}

// Do performs a power action on a VM.
func (s *Service) Do(ctx context.Context, hostName, uuid, action string, req Request) (Result, error) {
	if !inventory.IsAction(action) {
		return Result{}, problem.New(problem.NotFound, problem.CodeUnknownAction,
			fmt.Sprintf("%q is not a VM action", problem.Clip(action)),
			"use one of: start, shutdown, reboot, force-off, reset, pause, resume")
	}
	if action != Shutdown && req.TimeoutSeconds != 0 {
		return Result{}, problem.New(problem.Invalid, problem.CodeInvalidField, "timeoutSeconds applies only to shutdown", "leave it out")
	}
	if req.TimeoutSeconds < 0 || req.TimeoutSeconds > 3600 {
		return Result{}, problem.New(problem.Invalid, problem.CodeInvalidTimeout,
			fmt.Sprintf("timeoutSeconds %d is out of range", req.TimeoutSeconds), "use 1 to 3600 seconds, or leave it out for the default")
	}
	// A request already gone (the client left, the server is stopping)
	// must not go on to change the VM.
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	vm, err := s.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return Result{}, err
	}
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		if serr := checkState(action, vm); serr != nil {
			return Result{}, serr
		}
		return Result{}, err
	}
	if err := checkState(action, vm); err != nil {
		// The inventory may lag an event on its way: a snapshot pauses
		// and resumes a running VM, and a pause asked for just after the
		// snapshot ended was refused as "paused" (TestRemoteSessionGuest
		// in CI). Ask libvirt before refusing.
		fresh, ferr := s.opts.Inventory.Refresh(c, hostName, vm.UUID)
		if ferr != nil {
			return Result{}, err
		}
		if err := checkState(action, fresh); err != nil {
			return Result{}, err
		}
		vm = fresh
	}
	dom := virt.Domain{Name: vm.Name, ID: vm.ID}
	if dom.UUID, err = host.ParseUUID(vm.UUID); err != nil {
		return Result{}, err
	}
	// libvirt's calls (virt.Conn) take no context: the last chance to stop is here.
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if action == Shutdown {
		op, err := s.shutdown(c, vm, dom, req)
		return Result{Operation: &op}, err
	}
	switch action {
	case Start:
		err = c.Start(dom)
	case Reboot:
		err = c.Reboot(dom)
	case ForceOff:
		err = c.Destroy(dom)
	case Reset:
		err = c.Reset(dom)
	case Pause:
		err = c.Suspend(dom)
	case Resume:
		err = c.Resume(dom)
	}
	if err != nil {
		return Result{}, host.Problem(err, verb(action)+" the VM")
	}
	fresh, err := s.opts.Inventory.Refresh(c, hostName, vm.UUID)
	if err != nil {
		return Result{}, host.Problem(err, "read the VM after the change")
	}
	return Result{VM: &fresh}, nil
}

func verb(action string) string {
	switch action {
	case ForceOff:
		return "force off"
	case Shutdown:
		return "shut down"
	}
	return action
}

// checkState refuses an action that does not apply, with a hint that says
// what would.
func checkState(action string, vm inventory.VM) error {
	if inventory.Allowed(action, vm.State) {
		return nil
	}
	var code, msg, hint string
	switch {
	case action == Start && inventory.Active(vm.State):
		code, msg, hint = problem.CodeVMAlreadyRunning, fmt.Sprintf("VM %q is already running", vm.Name), "open its console, or shut it down first"
		if vm.State == inventory.StatePaused {
			code, msg, hint = problem.CodeVMPaused, fmt.Sprintf("VM %q is paused, not stopped", vm.Name), "resume it instead"
		}
	case action == Resume:
		code, msg, hint = problem.CodeVMNotPaused, fmt.Sprintf("VM %q is not paused (it is %s)", vm.Name, vm.State), "only a paused VM can be resumed"
	case vm.State == inventory.StatePaused && (action == Shutdown || action == Reboot || action == Pause):
		code, msg, hint = problem.CodeVMPaused, fmt.Sprintf("VM %q is paused", vm.Name), "resume it first, or force it off"
	case !inventory.Active(vm.State):
		code, msg, hint = problem.CodeVMNotRunning, fmt.Sprintf("VM %q is not running (it is %s)", vm.Name, vm.State), "start it first"
	default:
		code, msg, hint = problem.CodeVMStateConflict, fmt.Sprintf("cannot %s VM %q while it is %s", verb(action), vm.Name, vm.State), "wait until the current change finishes"
	}
	return problem.New(problem.Conflict, code, msg, hint)
}

// shutdown asks the guest to power off and returns an operation that ends
// when the VM is really off, or fails when the guest ignores the request.
// libvirt's plain shutdown goes through the QEMU guest agent when one is
// connected (which powers off a guest that ignores ACPI) and else, or when
// the agent fails, presses the ACPI power button.
func (s *Service) shutdown(c virt.Conn, vm inventory.VM, dom virt.Domain, req Request) (operation.Op, error) {
	timeout := s.opts.ShutdownTimeout
	if req.TimeoutSeconds > 0 {
		timeout = time.Duration(req.TimeoutSeconds) * time.Second
	}
	how, hint := "the ACPI shutdown request",
		"the guest may ignore ACPI power button events (no acpid, or it is still booting); use Force off, or retry once it has booted; "+
			"with qemu-guest-agent running in the guest (and its channel in the VM), shutdown goes through the agent"
	if vm.Guest != nil && vm.Guest.Agent == "connected" {
		how, hint = "the shutdown request through the guest agent", "the guest may be busy or hung; use Force off, or retry"
	}
	if err := c.Shutdown(dom); err != nil {
		return operation.Op{}, host.Problem(err, "shut down the VM")
	}
	target := operation.Target{Host: vm.Host, UUID: vm.UUID, Name: vm.Name}
	return s.opts.Operations.Start("shutdown", target, true, func(ctx context.Context, r operation.Reporter) error {
		start := time.Now()
		deadline := start.Add(timeout)
		tick := time.NewTicker(s.opts.PollInterval)
		defer tick.Stop()
		lastReport := -1
		for {
			// A fresh link each round: the one we started with may have been
			// replaced by a reconnect.
			cur, err := s.opts.Hosts.Client(vm.Host)
			if err == nil {
				state, _, err := cur.State(dom)
				if err != nil && host.IsCode(err, virt.ErrNoDomain) {
					return nil // a transient VM disappears when it powers off
				}
				if err == nil && inventory.StateName(state) == inventory.StateShutoff {
					_, _ = s.opts.Inventory.Refresh(cur, vm.Host, vm.UUID)
					return nil
				}
			}
			elapsed := int(time.Since(start).Seconds())
			if elapsed != lastReport {
				lastReport = elapsed
				r.Progress(fmt.Sprintf("waiting for the guest to power off (%d s of %d s)", elapsed, int(timeout.Seconds())),
					min(99, int(100*time.Since(start)/timeout)))
			}
			if time.Now().After(deadline) {
				return problem.New(problem.Timeout, problem.CodeShutdownTimeout,
					fmt.Sprintf("VM %q did not power off within %d s after %s", vm.Name, int(timeout.Seconds()), how), hint)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
		}
	})
}

// SetAutostart turns starting the VM with the host on or off.
func (s *Service) SetAutostart(hostName, uuid string, enabled bool) (inventory.VM, error) {
	vm, err := s.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return vm, err
	}
	if !vm.Persistent {
		return vm, problem.New(problem.Conflict, problem.CodeVMTransient,
			fmt.Sprintf("VM %q is transient: it has no definition to start at boot", vm.Name), "define it persistently first")
	}
	c, err := s.opts.Hosts.Client(hostName)
	if err != nil {
		return vm, err
	}
	dom := virt.Domain{Name: vm.Name, ID: vm.ID}
	dom.UUID, _ = host.ParseUUID(vm.UUID)
	if err := c.SetAutostart(dom, enabled); err != nil {
		return vm, host.Problem(err, "change autostart")
	}
	return s.opts.Inventory.Refresh(c, hostName, vm.UUID)
}
