// Package vmmeta reads and writes KVM Manager's own element in a domain's
// <metadata>: whether the VM is a template, and what a clone came from.
// It is a leaf: VM creation writes the element, the inventory reads it.
package vmmeta

import (
	"encoding/xml"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// NS is the XML namespace of the element.
const NS = "https://kvm-manager.dev/xmlns/vm/1"

// Meta is that element.
type Meta struct {
	XMLName xml.Name `xml:"https://kvm-manager.dev/xmlns/vm/1 vm"`
	// Template marks a VM that is only cloned, never run.
	Template bool `xml:"template,attr,omitempty"`
	// ClonedFrom is the UUID of the VM it was cloned from; Linked says its
	// disks are qcow2 overlays on that VM's disks (which must then stay).
	ClonedFrom string `xml:"cloned-from,attr,omitempty"`
	Linked     bool   `xml:"linked,attr,omitempty"`
}

// Read finds KVM Manager's element in a domain's metadata (the zero Meta
// when there is none).
func Read(d *libvirtxml.Domain) Meta {
	var m Meta
	if d.Metadata == nil {
		return m
	}
	// The metadata holds foreign elements side by side; decode each.
	dec := xml.NewDecoder(strings.NewReader(d.Metadata.XML))
	for {
		tok, err := dec.Token()
		if err != nil {
			return m
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Space == NS && se.Name.Local == "vm" {
			_ = dec.DecodeElement(&m, &se)
			return m
		}
	}
}

// Write replaces KVM Manager's element in the metadata, keeping the others.
func Write(d *libvirtxml.Domain, m Meta) error {
	b, err := xml.Marshal(m)
	if err != nil {
		return err
	}
	var keep strings.Builder
	if d.Metadata != nil {
		dec := xml.NewDecoder(strings.NewReader(d.Metadata.XML))
		depth, skip := 0, false
		enc := xml.NewEncoder(&keep)
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch t := tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					skip = t.Name.Space == NS
				}
				depth++
			case xml.EndElement:
				depth--
				if depth == 0 && skip {
					skip = false
					continue
				}
			}
			if !skip {
				_ = enc.EncodeToken(xml.CopyToken(tok))
			}
		}
		_ = enc.Flush()
	}
	d.Metadata = &libvirtxml.DomainMetadata{XML: keep.String() + string(b)}
	return nil
}
