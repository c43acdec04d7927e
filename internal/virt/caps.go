package virt

// Capabilities returns the host's capabilities XML (virsh capabilities):
// which guest types it can run, among them whether KVM is usable.
func (c *Libvirt) Capabilities() (string, error) { return c.l.ConnectGetCapabilities() }
