package snapshot

import (
	"strings"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/virt"
	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func boolp(b bool) *bool { return &b }

func TestPlanCreate(t *testing.T) {
	running := vmFacts{State: "running", Version: V(9, 0, 0), Domain: testDomain(), Persistent: true}
	stopped := vmFacts{State: "shutoff", Version: V(9, 0, 0), Domain: testDomain(), Persistent: true}
	agent := vmFacts{State: "running", Version: V(9, 0, 0), Domain: testDomain(withAgent("connected")), Persistent: true}
	raw := vmFacts{State: "running", Version: V(9, 0, 0), Persistent: true,
		Domain: testDomain(withDisk(qcow2Disk("vdb"), func(x *libvirtxml.DomainDisk) { x.Driver.Type = "raw" }))}
	const (
		atomic   = virt.SnapshotCreateAtomic
		diskOnly = virt.SnapshotCreateDiskOnly
		quiesce  = virt.SnapshotCreateQuiesce
	)
	tests := []struct {
		name     string
		req      CreateRequest
		facts    vmFacts
		code     string // expected problem code; "" = accepted
		memory   string // memory snapshot mode in the XML
		flags    virt.SnapshotCreateFlags
		quiesced bool
	}{
		{"running defaults to memory", CreateRequest{Name: "s1", Description: "d"}, running, "", "internal", atomic, false},
		{"running disk-only is external", CreateRequest{Name: "s1", Memory: boolp(false)}, running, "", "no", atomic | diskOnly, false},
		{"stopped defaults to disk-only", CreateRequest{Name: "s1"}, stopped, "", "no", atomic, false},
		{"memory of a stopped VM", CreateRequest{Name: "s1", Memory: boolp(true)}, stopped, "vm_not_running", "", 0, false},
		{"bad name", CreateRequest{Name: "../x"}, running, "invalid_snapshot_name", "", 0, false},
		{"bad description", CreateRequest{Name: "s1", Description: "\x00"}, running, "invalid_description", "", 0, false},
		{"quiesce with memory", CreateRequest{Name: "s1", Quiesce: boolp(true)}, agent, "quiesce_not_applicable", "", 0, false},
		{"quiesce without agent", CreateRequest{Name: "s1", Memory: boolp(false), Quiesce: boolp(true)}, running, "quiesce_unavailable", "", 0, false},
		{"quiesce with agent", CreateRequest{Name: "s1", Memory: boolp(false), Quiesce: boolp(true)}, agent, "", "no", atomic | diskOnly | quiesce, true},
		{"quiesce by default with agent", CreateRequest{Name: "s1", Memory: boolp(false)}, agent, "", "no", atomic | diskOnly | quiesce, true},
		{"no quiesce when declined", CreateRequest{Name: "s1", Memory: boolp(false), Quiesce: boolp(false)}, agent, "", "no", atomic | diskOnly, false},
		{"no quiesce for memory by default", CreateRequest{Name: "s1"}, agent, "", "internal", atomic, false},
		{"memory with a raw disk", CreateRequest{Name: "s1"}, raw, "snapshot_not_possible", "", 0, false},
		{"disk-only with a raw disk", CreateRequest{Name: "s1", Memory: boolp(false)}, raw, "", "no", atomic | diskOnly, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planCreate(tt.req, tt.facts, "vm1")
			if tt.code != "" {
				pr, ok := problem.As(err)
				if !ok || pr.Code != tt.code || pr.Message == "" {
					t.Fatalf("err = %v, want problem %q", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var x libvirtxml.DomainSnapshot
			if err := x.Unmarshal(p.xml); err != nil {
				t.Fatalf("XML %q: %v", p.xml, err)
			}
			if x.Name != tt.req.Name || x.Description != tt.req.Description || x.Memory == nil || x.Memory.Snapshot != tt.memory {
				t.Errorf("XML = %s", p.xml)
			}
			if p.flags != tt.flags || p.quiesce != tt.quiesced {
				t.Errorf("flags = %b quiesce %v, want %b %v", p.flags, p.quiesce, tt.flags, tt.quiesced)
			}
		})
	}
}

// TestCreateXMLEscapes checks that XML is built, not concatenated: markup in
// a description stays text.
func TestCreateXMLEscapes(t *testing.T) {
	doc, _ := createXML(createPlan{name: "s", description: `</description><memory snapshot="external"/>&`})
	if strings.Contains(doc, `<memory snapshot="external"/>`) {
		t.Fatalf("description leaked into the XML: %s", doc)
	}
	s, err := parseSummary(doc)
	if err != nil || s.Description != `</description><memory snapshot="external"/>&` {
		t.Fatalf("round trip: %+v %v", s, err)
	}
}
