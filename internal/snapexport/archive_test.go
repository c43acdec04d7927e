package snapexport

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// sample builds a small archive: a domain, two snapshots (one the
// other's parent) and a disk of n bytes.
func sample(t testing.TB, n int) ([]byte, Manifest) {
	t.Helper()
	disk := bytes.Repeat([]byte("disk-data-"), n/10+1)[:n]
	parts := []struct {
		p    Part
		data []byte
	}{
		{Part{Path: "domain.xml", Kind: KindDomain}, []byte("<domain/>")},
		{Part{Path: "snapshots/000.xml", Kind: KindSnapshot, Snapshot: "a"}, []byte("<domainsnapshot><name>a</name></domainsnapshot>")},
		{Part{Path: "snapshots/001.xml", Kind: KindSnapshot, Snapshot: "b", Parent: "a"}, []byte("<domainsnapshot><name>b</name></domainsnapshot>")},
		{Part{Path: "disks/00-vda", Kind: KindDisk, Target: "vda", Format: "qcow2"}, disk},
	}
	idx := Manifest{Name: "vm1", UUID: "6f1c3a36-8d2e-4e55-9b1f-1a2b3c4d5e6f", Created: time.Unix(1700000000, 0).UTC(), State: "shutoff", Current: "b"}
	for _, p := range parts {
		p.p.Size = int64(len(p.data))
		idx.Parts = append(idx.Parts, p.p)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, idx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		pw, _, err := w.Next()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(p.data); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	size, err := ArchiveSize(idx)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(buf.Len()) {
		t.Fatalf("ArchiveSize = %d, the archive is %d bytes", size, buf.Len())
	}
	return buf.Bytes(), m
}

// collect is a Sink that keeps what it is given.
type collect struct {
	idx   *Manifest
	parts map[string][]byte
}

func (c *collect) Index(idx Manifest) error { c.idx = &idx; return nil }
func (c *collect) Part(p Part, r io.Reader) error {
	b, err := io.ReadAll(r)
	if c.parts == nil {
		c.parts = map[string][]byte{}
	}
	c.parts[p.Path] = b
	return err
}

func TestRoundTrip(t *testing.T) {
	data, m := sample(t, 5000)
	var c collect
	got, err := Read(bytes.NewReader(data), Limits{}, &c)
	if err != nil {
		t.Fatal(err)
	}
	if got.Current != "b" || len(got.Parts) != 4 || got.Parts[3].SHA256 != m.Parts[3].SHA256 || got.Parts[3].SHA256 == "" {
		t.Fatalf("manifest %+v", got)
	}
	if len(c.parts["disks/00-vda"]) != 5000 || string(c.parts["domain.xml"]) != "<domain/>" {
		t.Fatalf("parts %v", c.parts)
	}
}

func refused(t *testing.T, what string, data []byte, says string) {
	t.Helper()
	_, err := Read(bytes.NewReader(data), Limits{}, &collect{})
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != "archive_invalid" || !strings.Contains(pe.Message, says) {
		t.Fatalf("%s: %v, want archive_invalid saying %q", what, err, says)
	}
}

// TestDamageRefused: every truncation and every changed byte of a
// part's content or of the manifest is refused.
func TestDamageRefused(t *testing.T) {
	data, _ := sample(t, 3000)
	for _, cut := range []int{0, 100, 512, len(data) - 1, len(data) - 512, 1500, len(data) / 2, len(data) - 1100, len(data) - 1024 - 1} {
		refused(t, "truncated", data[:cut], "")
	}
	// One byte of the disk's content (the disk is the fourth entry after
	// the index: find its bytes).
	i := bytes.Index(data, []byte("disk-data-"))
	bad := bytes.Clone(data)
	bad[i+1000] ^= 1
	refused(t, "disk byte", bad, "damaged")
	// One byte of the manifest.
	j := bytes.LastIndex(data, []byte(`"created"`))
	bad = bytes.Clone(data)
	bad[j+12] ^= 1
	refused(t, "manifest byte", bad, "checksum")
}

func TestIndexChecks(t *testing.T) {
	lim := Limits{}.withDefaults()
	ok := Manifest{Format: Format, Name: "x", Parts: []Part{{Path: "domain.xml", Kind: KindDomain, Size: 1}}}
	if err := checkIndex(ok, lim); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(m *Manifest){
		"format": func(m *Manifest) { m.Format = "tar" },
		"escape": func(m *Manifest) {
			m.Parts = append(m.Parts, Part{Path: "disks/../../etc", Kind: KindDisk, Target: "vda", Format: "raw"})
		},
		"orphan": func(m *Manifest) {
			m.Parts = append(m.Parts, Part{Path: "snapshots/1", Kind: KindSnapshot, Snapshot: "b", Parent: "a"})
		},
		"disk format": func(m *Manifest) {
			m.Parts = append(m.Parts, Part{Path: "disks/a", Kind: KindDisk, Target: "vda", Format: "vmdk"})
		},
		"current":       func(m *Manifest) { m.Current = "nope" },
		"hash in index": func(m *Manifest) { m.Parts[0].SHA256 = "00" },
		"negative":      func(m *Manifest) { m.Parts[0].Size = -1 },
	} {
		m := ok
		m.Parts = append([]Part(nil), ok.Parts...)
		mod(&m)
		if err := checkIndex(m, lim); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzRead: the reader never panics, and what it accepts has hashes that
// match what the sink received.
func FuzzRead(f *testing.F) {
	data, _ := sample(f, 700)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		var c collect
		m, err := Read(bytes.NewReader(b), Limits{MaxXML: 1 << 16, MaxParts: 16}, &c)
		if err != nil {
			return
		}
		for _, p := range m.Parts {
			if int64(len(c.parts[p.Path])) != p.Size {
				t.Fatalf("accepted part %s of %d bytes, sink got %d", p.Path, p.Size, len(c.parts[p.Path]))
			}
		}
	})
}
