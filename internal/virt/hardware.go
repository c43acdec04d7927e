package virt

import "github.com/digitalocean/go-libvirt"

// HardwareConn is what editing an existing VM's hardware asks of libvirt
// beyond the rest of Conn (in its own file so that it merges beside the
// other capabilities). Where says which of the running domain and its
// stored definition a call changes.
type HardwareConn interface {
	// SetVCPUs sets the domain's vCPU count (with Maximum: the most it may
	// have) where says.
	SetVCPUs(dom Domain, n uint32, where Affect, maximum bool) error
	// SetMemory sets the domain's current memory (the balloon's target),
	// in KiB, where says.
	SetMemory(dom Domain, kib uint64, where Affect) error
	// AttachDevice plugs the device doc describes in, where says.
	AttachDevice(dom Domain, doc string, where Affect) error
	// DetachDevice unplugs the device doc describes, where says (a live
	// unplug asks the guest, which may take a moment to let go).
	DetachDevice(dom Domain, doc string, where Affect) error
	// SetMetadata sets the domain's title or description where says (an
	// empty value removes it).
	SetMetadata(dom Domain, kind Metadata, value string, where Affect) error
}

// Affect says where a change applies: the running domain, its stored
// definition, or both.
type Affect = libvirt.DomainModificationImpact

// Where changes apply.
const (
	AffectLive   = libvirt.DomainAffectLive
	AffectConfig = libvirt.DomainAffectConfig
)

// Metadata names a piece of a domain's metadata.
type Metadata int32

// The metadata SetMetadata changes.
const (
	MetadataDescription = Metadata(libvirt.DomainMetadataDescription)
	MetadataTitle       = Metadata(libvirt.DomainMetadataTitle)
)

// SetVCPUs implements HardwareConn.
func (c *Libvirt) SetVCPUs(dom Domain, n uint32, where Affect, maximum bool) error {
	flags := uint32(where)
	if maximum {
		flags |= uint32(libvirt.DomainVCPUMaximum)
	}
	return c.l.DomainSetVcpusFlags(dom, n, flags)
}

// SetMemory implements HardwareConn.
func (c *Libvirt) SetMemory(dom Domain, kib uint64, where Affect) error {
	return c.l.DomainSetMemoryFlags(dom, kib, uint32(where))
}

// AttachDevice implements HardwareConn.
func (c *Libvirt) AttachDevice(dom Domain, doc string, where Affect) error {
	return c.l.DomainAttachDeviceFlags(dom, doc, uint32(where))
}

// DetachDevice implements HardwareConn.
func (c *Libvirt) DetachDevice(dom Domain, doc string, where Affect) error {
	return c.l.DomainDetachDeviceFlags(dom, doc, uint32(where))
}

// SetMetadata implements HardwareConn.
func (c *Libvirt) SetMetadata(dom Domain, kind Metadata, value string, where Affect) error {
	v := libvirt.OptString{}
	if value != "" {
		v = libvirt.OptString{value}
	}
	return c.l.DomainSetMetadata(dom, int32(kind), v, nil, nil, where)
}

// ErrConfigUnsupported is libvirt's "unsupported configuration" (a device
// the running guest cannot take, a bus without hot-plug).
const ErrConfigUnsupported = libvirt.ErrConfigUnsupported

// ErrXMLInvalidSchema is libvirt's refusal of a definition that does not
// validate against its schema; ErrXMLDetail its finding in a document.
const (
	ErrXMLInvalidSchema = libvirt.ErrXMLInvalidSchema
	ErrXMLDetail        = libvirt.ErrXMLDetail
)
