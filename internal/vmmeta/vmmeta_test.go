package vmmeta

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func TestWriteKeepsOthersAndReplacesOurs(t *testing.T) {
	d := &libvirtxml.Domain{Metadata: &libvirtxml.DomainMetadata{XML: `<keep xmlns="urn:x"><inner/></keep><vm xmlns="` + NS + `" template="true"></vm>`}}
	if m := Read(d); !m.Template {
		t.Fatalf("read %+v", m)
	}
	if err := Write(d, Meta{ClonedFrom: "u1", Linked: true}); err != nil {
		t.Fatal(err)
	}
	m := Read(d)
	if m.Template || m.ClonedFrom != "u1" || !m.Linked {
		t.Errorf("after write: %+v", m)
	}
	if !strings.Contains(d.Metadata.XML, "keep") || strings.Count(d.Metadata.XML, NS) != 1 {
		t.Errorf("metadata: %s", d.Metadata.XML)
	}
	if m := Read(&libvirtxml.Domain{}); m != (Meta{}) {
		t.Errorf("no metadata: %+v", m)
	}
}
