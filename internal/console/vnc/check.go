package vnc

import (
	"errors"
	"fmt"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// CheckReach tells where a running domain's VNC server listens and whether
// the proxy can connect to it from m (the host's computer) as it would for
// a console: the listen address of its live XML, dialled there. It returns
// the target ("" when the domain has no VNC graphics, which is not a
// problem of reach) and the dial's error. For kvm-manager check.
func CheckReach(c virt.Conn, m machine.Machine, dom virt.Domain, timeout time.Duration) (string, error) {
	doc, err := c.XML(dom, 0)
	if err != nil {
		return "", fmt.Errorf("read the live XML: %w", err)
	}
	ld, err := parseVNCLiveDomain(doc)
	if err != nil {
		return "", err
	}
	t, err := ld.vncTarget()
	if err != nil {
		if p, ok := problem.As(err); ok {
			switch p.Code {
			case problem.CodeNoVNCGraphics, problem.CodeSpiceOnly, problem.CodeVMNotRunning:
				return "", nil
			}
		}
		return "listen type none", err
	}
	conn, err := m.Dial(t.Network, t.Address, timeout)
	if err != nil {
		if errors.Is(err, machine.ErrUnsupported) {
			return t.String(), fmt.Errorf("this host's consoles cannot be reached from KVM Manager: %w", err)
		}
		return t.String(), err
	}
	_ = conn.Close()
	return t.String(), nil
}
