package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKVMUsable(t *testing.T) {
	caps := func(domains string) string {
		return `<capabilities><host><cpu><arch>x86_64</arch></cpu></host><guest><os_type>hvm</os_type>
<arch name="x86_64"><wordsize>64</wordsize><emulator>/usr/bin/qemu-system-x86_64</emulator>` + domains + `</arch></guest></capabilities>`
	}
	for _, c := range []struct {
		doc  string
		want bool
	}{
		{caps(`<domain type="qemu"/><domain type="kvm"/>`), true},
		{caps(`<domain type="qemu"/>`), false},
	} {
		got, err := kvmUsable(c.doc)
		if err != nil || got != c.want {
			t.Errorf("kvmUsable = %v, %v; want %v", got, err, c.want)
		}
	}
	if _, err := kvmUsable("<capabilities"); err == nil {
		t.Error("broken XML accepted")
	}
}

// checkDir: a missing dir under a writable parent is fine (made at the
// first start), a file is not a directory, a writable dir open to others
// is noted.
func TestCheckDir(t *testing.T) {
	base := t.TempDir()
	if d, ok := checkDir(filepath.Join(base, "a", "b"), true); !ok || !strings.Contains(d, "made at the first start") {
		t.Errorf("missing dir: %q %v", d, ok)
	}
	file := filepath.Join(base, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if d, ok := checkDir(file, true); ok || d != "not a directory" {
		t.Errorf("file: %q %v", d, ok)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if d, ok := checkDir(open, true); !ok || !strings.Contains(d, "open to other users") {
		t.Errorf("open dir: %q %v", d, ok)
	}
	if entries, _ := os.ReadDir(open); len(entries) != 0 {
		t.Errorf("the check left files behind: %v", entries)
	}
}
