package snapshot

import (
	"os"
	"strings"
	"testing"
	"time"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The testdata files are real libvirt 9.0 snapshot XML (paths renamed).
func TestParseSummary(t *testing.T) {
	tests := []struct {
		file                   string
		name, desc, state, loc string
		parent                 string
		memory                 bool
		created                int64
	}{
		{"running-internal.xml", "s1", "first", "running", "internal", "", true, 1795695107},
		{"shutoff-internal.xml", "b1", "", "shutoff", "internal", "", false, 0},
		{"running-external.xml", "ext1", "external <one>", "disk-snapshot", "external", "s1", false, 1795695652},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := parseSummary(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			type fields struct {
				Name, Description, State, Location, Parent string
				Memory                                     bool
			}
			got := fields{s.Name, s.Description, s.State, s.Location, s.Parent, s.Memory}
			if want := (fields{tt.name, tt.desc, tt.state, tt.loc, tt.parent, tt.memory}); got != want {
				t.Errorf("summary:\n got  %+v\n want %+v", got, want)
			}
			if tt.created != 0 && !s.CreationTime.Equal(time.Unix(tt.created, 0)) {
				t.Errorf("creation time = %v", s.CreationTime)
			}
			if s.CreationTime.Location() != time.UTC {
				t.Errorf("creation time is not UTC: %v", s.CreationTime)
			}
		})
	}
}

func TestParseSummaryRejectsGarbage(t *testing.T) {
	for _, doc := range []string{"", "<domainsnapshot>", "<domain><name>x</name></domain>", "<domainsnapshot></domainsnapshot>",
		"<domainsnapshot><name>x</name><creationTime>soon</creationTime></domainsnapshot>"} {
		if _, err := parseSummary(doc); err == nil {
			t.Errorf("parseSummary(%q) accepted", doc)
		}
	}
}

func TestLocation(t *testing.T) {
	tests := []struct {
		memory string
		disks  []string
		state  string
		loc    string
		mem    bool
	}{
		{"internal", []string{"internal"}, "running", "internal", true},
		{"no", []string{"internal"}, "shutoff", "internal", false},
		{"no", []string{"external", "no"}, "disk-snapshot", "external", false},
		{"external", []string{"external"}, "running", "external", true},
		{"", nil, "running", "internal", true}, // libvirt before 1.0 named no memory mode
		{"", nil, "shutoff", "internal", false},
	}
	for _, tt := range tests {
		loc, mem := location(tt.memory, tt.disks, tt.state)
		if loc != tt.loc || mem != tt.mem {
			t.Errorf("location(%q, %v, %q) = %q, %v; want %q, %v", tt.memory, tt.disks, tt.state, loc, mem, tt.loc, tt.mem)
		}
	}
}

func TestSummaryCache(t *testing.T) {
	c := newSummaryCache()
	doc := readTestdata(t, "running-internal.xml")
	s1, h1, err := c.parse("vm", "s1", doc)
	if err != nil {
		t.Fatal(err)
	}
	c.store("vm", map[string]cached{"s1": {hash: h1, snap: s1}})
	// A cached entry comes back with fresh Children, so that building the
	// tree cannot corrupt the cache.
	s1.Children = append(s1.Children, "junk")
	again, h2, _ := c.parse("vm", "s1", doc)
	if h2 != h1 || len(again.Children) != 0 || again.Description != "first" {
		t.Fatalf("cached parse = %+v (hash %d vs %d)", again, h2, h1)
	}
	// Edited behind our back: parsed again.
	edited := strings.Replace(doc, "<description>first</description>", "<description>changed</description>", 1)
	s3, h3, _ := c.parse("vm", "s1", edited)
	if h3 == h1 || s3.Description != "changed" {
		t.Fatalf("edited XML served from the cache: %+v", s3)
	}
	c.forget("vm")
	if _, ok := c.vms["vm"]; ok {
		t.Fatal("forget kept the VM")
	}
}

func BenchmarkParseSummary(b *testing.B) {
	doc, _ := os.ReadFile("testdata/running-internal.xml")
	for b.Loop() {
		if _, err := parseSummary(string(doc)); err != nil {
			b.Fatal(err)
		}
	}
}
