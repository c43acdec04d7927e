package host

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// LibvirtCode returns libvirt's error number when err came from libvirtd.
func LibvirtCode(err error) (libvirt.ErrorNumber, bool) {
	var le libvirt.Error
	if errors.As(err, &le) {
		return libvirt.ErrorNumber(le.Code), true
	}
	return 0, false
}

// IsCode reports whether err is a libvirt error with one of the given codes.
func IsCode(err error, codes ...libvirt.ErrorNumber) bool {
	c, ok := LibvirtCode(err)
	if !ok {
		return false
	}
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}

// Problem turns an error from a libvirt call into a user-facing problem.
// what says what was being done ("start the VM"). Problems pass through.
// libvirt's own message is shown, with our words around it, because it is
// often the only precise account of what went wrong.
func Problem(err error, what string) error {
	if err == nil {
		return nil
	}
	if _, ok := problem.As(err); ok {
		return err
	}
	var le libvirt.Error
	if !errors.As(err, &le) {
		if isLinkError(err) {
			return problem.Wrap(err, problem.Unavailable, problem.CodeHostUnavailable,
				fmt.Sprintf("could not %s: the connection to libvirtd was lost", what),
				"KVM Manager reconnects by itself; try again in a few seconds")
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := fmt.Sprintf("could not %s: %s", what, le.Message)
	switch libvirt.ErrorNumber(le.Code) {
	case libvirt.ErrNoDomain:
		return problem.Wrap(err, problem.NotFound, problem.CodeVMNotFound, "the VM no longer exists", "reload the VM list")
	case libvirt.ErrOperationInvalid:
		return problem.Wrap(err, problem.Conflict, problem.CodeVMStateConflict, msg,
			"the VM's state does not allow this right now; reload and check its state")
	case libvirt.ErrOperationTimeout, libvirt.ErrAgentUnresponsive:
		return problem.Wrap(err, problem.Timeout, problem.CodeLibvirtTimeout, msg, "the VM or host is busy; try again")
	case libvirt.ErrNoSupport, libvirt.ErrOperationUnsupported, libvirt.ErrConfigUnsupported, libvirt.ErrArgumentUnsupported:
		return problem.Wrap(err, problem.Unsupported, problem.CodeUnsupported, msg, "this host or VM configuration cannot do this")
	case libvirt.ErrInvalidArg, libvirt.ErrXMLError:
		return problem.Wrap(err, problem.Invalid, problem.CodeInvalidRequest, msg, "check the values you sent")
	}
	return problem.Wrap(err, problem.Upstream, problem.CodeLibvirtError, msg,
		"libvirt refused; the message above is libvirt's own, and the host's libvirtd log has details")
}

// IsLinkLost reports whether err from a libvirt call means that the link
// to libvirtd broke (the daemon died or the socket closed) rather than that
// libvirtd answered with an error: what the call did is then unknown.
func IsLinkLost(err error) bool {
	var le libvirt.Error
	return err != nil && !errors.As(err, &le) && isLinkError(err)
}

func isLinkError(err error) bool {
	var ne net.Error
	return errors.Is(err, libvirt.ErrInterrupted) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EINVAL) ||
		errors.As(err, &ne)
}
