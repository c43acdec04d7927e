package virtfake

import "github.com/kvm-manager/kvm-manager/internal/virt"

// hardwareCall records a hardware change and checks it as libvirt would:
// the domain exists, and a live change needs it to run. The fake's XML is
// left as it is: tests of the edits check the calls, and what the edits
// define (Define).
func (c *Conn) hardwareCall(method string, dom virt.Domain, where virt.Affect) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, err := c.call(method, &dom)
	if err != nil {
		return err
	}
	if where&virt.AffectLive != 0 && !active(d.State) {
		return invalid("domain is not running")
	}
	if where&virt.AffectConfig != 0 && !d.Persistent {
		return invalid("transient domains do not have any persistent config")
	}
	return nil
}

// SetVCPUs implements virt.Conn.
func (c *Conn) SetVCPUs(dom virt.Domain, _ uint32, where virt.Affect, _ bool) error {
	return c.hardwareCall("SetVCPUs", dom, where)
}

// SetMemory implements virt.Conn.
func (c *Conn) SetMemory(dom virt.Domain, _ uint64, where virt.Affect) error {
	return c.hardwareCall("SetMemory", dom, where)
}

// AttachDevice implements virt.Conn.
func (c *Conn) AttachDevice(dom virt.Domain, _ string, where virt.Affect) error {
	return c.hardwareCall("AttachDevice", dom, where)
}

// DetachDevice implements virt.Conn.
func (c *Conn) DetachDevice(dom virt.Domain, _ string, where virt.Affect) error {
	return c.hardwareCall("DetachDevice", dom, where)
}

// SetMetadata implements virt.Conn.
func (c *Conn) SetMetadata(dom virt.Domain, _ virt.Metadata, _ string, where virt.Affect) error {
	return c.hardwareCall("SetMetadata", dom, where)
}
