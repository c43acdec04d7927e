package virt

import "io"

// CreateConn is what creating VMs asks of libvirt beyond the rest of Conn
// (in its own file so that it merges beside the other capabilities).
type CreateConn interface {
	// DomainCapabilities returns libvirt's domain capabilities XML for
	// x86_64 q35 guests of virtType ("kvm" or "qemu"): the firmware it can
	// use (OVMF), CPU modes and models, device buses. It fails when the
	// host cannot run that type of guest at all.
	DomainCapabilities(virtType string) (string, error)
}

// DomainCapabilities implements CreateConn.
func (c *Libvirt) DomainCapabilities(virtType string) (string, error) {
	return c.l.ConnectGetDomainCapabilities(nil, []string{"x86_64"}, []string{"q35"}, []string{virtType}, 0)
}

// DownloadVolumeRange writes length bytes of the volume from offset to w,
// as one stream (reading an installer ISO's volume descriptor without
// fetching the whole image). Links implement it; callers assert.
func (c *Libvirt) DownloadVolumeRange(vol StorageVol, offset, length uint64, w io.Writer) error {
	return c.l.StorageVolDownload(vol, w, offset, length, 0)
}
