package testguest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"libvirt.org/go/libvirtxml"
)

func parseXML(t *testing.T, opts Options) *libvirtxml.Domain {
	t.Helper()
	doc, err := DomainXML(opts)
	if err != nil {
		t.Fatalf("DomainXML: %v", err)
	}
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(doc); err != nil {
		t.Fatalf("parsing DomainXML output: %v\n%s", err, doc)
	}
	return &dom
}

func TestDomainXML(t *testing.T) {
	dir := "/srv/guest"
	dom := parseXML(t, Options{Name: "kmtest-unit", Dir: dir, DomainType: "kvm", MemoryMiB: 256})

	if dom.Type != "kvm" || dom.Name != "kmtest-unit" {
		t.Errorf("type/name = %q/%q", dom.Type, dom.Name)
	}
	if dom.Memory == nil || dom.Memory.Value != 256 || dom.Memory.Unit != "MiB" {
		t.Errorf("memory = %+v, want 256 MiB", dom.Memory)
	}
	if dom.VCPU == nil || dom.VCPU.Value != 1 {
		t.Errorf("vcpu = %+v, want 1", dom.VCPU)
	}
	if dom.OS == nil || dom.OS.Type == nil || dom.OS.Type.Type != "hvm" {
		t.Fatalf("os = %+v, want hvm", dom.OS)
	}
	if dom.OS.Kernel != "/srv/guest/vmlinuz" || dom.OS.Initrd != "/srv/guest/initramfs.gz" {
		t.Errorf("kernel/initrd = %q/%q", dom.OS.Kernel, dom.OS.Initrd)
	}
	if !strings.HasPrefix(dom.OS.Cmdline, "console=tty1 console=ttyS0") {
		t.Errorf("cmdline = %q, want console=tty1 console=ttyS0 first", dom.OS.Cmdline)
	}
	if dom.Features == nil || dom.Features.ACPI == nil {
		t.Errorf("features = %+v, want <acpi/>", dom.Features)
	}
	if dom.OnPoweroff != "destroy" || dom.OnReboot != "restart" {
		t.Errorf("on_poweroff/on_reboot = %q/%q", dom.OnPoweroff, dom.OnReboot)
	}
	dev := dom.Devices
	if dev == nil {
		t.Fatal("no devices")
	}
	if len(dev.Interfaces) != 0 {
		t.Errorf("interfaces = %d, want none", len(dev.Interfaces))
	}

	if len(dev.Disks) != 1 {
		t.Fatalf("disks = %d, want 1", len(dev.Disks))
	}
	d := dev.Disks[0]
	if d.Driver == nil || d.Driver.Type != "qcow2" {
		t.Errorf("disk driver = %+v, want qcow2", d.Driver)
	}
	if d.Source == nil || d.Source.File == nil || d.Source.File.File != "/srv/guest/vms/kmtest-unit/data.qcow2" {
		t.Errorf("disk source = %+v", d.Source)
	}
	if d.Target == nil || d.Target.Dev != "vdb" || d.Target.Bus != "virtio" {
		t.Errorf("disk target = %+v, want vdb on virtio", d.Target)
	}

	if len(dev.Serials) != 2 {
		t.Fatalf("serials = %d, want 2", len(dev.Serials))
	}
	s0, s1 := dev.Serials[0], dev.Serials[1]
	if s0.Source == nil || s0.Source.Pty == nil || s0.Target == nil || s0.Target.Port == nil || *s0.Target.Port != 0 {
		t.Errorf("serial 0 = %+v, want pty on port 0", s0)
	}
	if s1.Source == nil || s1.Source.File == nil || s1.Target == nil || s1.Target.Port == nil || *s1.Target.Port != 1 {
		t.Fatalf("serial 1 = %+v, want file on port 1", s1)
	}
	if s1.Source.File.Path != "/srv/guest/vms/kmtest-unit/ttyS1.log" || s1.Source.File.Append != "on" {
		t.Errorf("serial 1 file = %+v", s1.Source.File)
	}
	if len(dev.Consoles) != 1 {
		t.Fatalf("consoles = %d, want 1", len(dev.Consoles))
	}
	c := dev.Consoles[0]
	if c.Source == nil || c.Source.Pty == nil || c.Target == nil || c.Target.Type != "serial" ||
		c.Target.Port == nil || *c.Target.Port != 0 {
		t.Errorf("console = %+v, want pty serial port 0", c)
	}

	if len(dev.Graphics) != 1 || dev.Graphics[0].VNC == nil {
		t.Fatalf("graphics = %+v, want one VNC", dev.Graphics)
	}
	vnc := dev.Graphics[0].VNC
	if vnc.AutoPort != "yes" {
		t.Errorf("vnc autoport = %q", vnc.AutoPort)
	}
	if len(vnc.Listeners) != 1 || vnc.Listeners[0].Address == nil || vnc.Listeners[0].Address.Address != "127.0.0.1" {
		t.Errorf("vnc listeners = %+v, want 127.0.0.1", vnc.Listeners)
	}
	if len(dev.Videos) != 1 || dev.Videos[0].Model.Type != "vga" {
		t.Errorf("videos = %+v, want one vga", dev.Videos)
	}
}

func TestDomainXMLDefaults(t *testing.T) {
	dom := parseXML(t, Options{Name: "kmtest-defaults"})
	if dom.Type != DefaultDomainType {
		t.Errorf("type = %q, want %q", dom.Type, DefaultDomainType)
	}
	if dom.Memory.Value != DefaultMemoryMiB || dom.Memory.Unit != "MiB" {
		t.Errorf("memory = %+v, want %d MiB", dom.Memory, DefaultMemoryMiB)
	}
	if dom.OS.Kernel != filepath.Join(DefaultDir, "vmlinuz") {
		t.Errorf("kernel = %q", dom.OS.Kernel)
	}
	if got := dom.Devices.Disks[0].Source.File.File; got != filepath.Join(DefaultDir, "vms", "kmtest-defaults", "data.qcow2") {
		t.Errorf("disk = %q", got)
	}
	if len(dom.Devices.Graphics) != 1 {
		t.Errorf("graphics = %d, want VNC by default", len(dom.Devices.Graphics))
	}
}

func TestDomainXMLOptions(t *testing.T) {
	dom := parseXML(t, Options{Name: "kmtest-novnc", Dir: "/g", NoVNC: true, ExtraCmdline: " foo=bar "})
	if len(dom.Devices.Graphics) != 0 {
		t.Errorf("graphics = %+v, want none with NoVNC", dom.Devices.Graphics)
	}
	if !strings.HasSuffix(dom.OS.Cmdline, " foo=bar") {
		t.Errorf("cmdline = %q, want foo=bar appended", dom.OS.Cmdline)
	}
}

func TestDomainXMLNoSerial(t *testing.T) {
	for _, tc := range []struct {
		noSerial          bool
		serials, consoles int
	}{
		{noSerial: false, serials: 2, consoles: 1},
		{noSerial: true, serials: 0, consoles: 0},
	} {
		dom := parseXML(t, Options{Name: "kmtest-serial", Dir: "/g", NoSerial: tc.noSerial})
		if got := len(dom.Devices.Serials); got != tc.serials {
			t.Errorf("NoSerial=%v: %d serial ports, want %d", tc.noSerial, got, tc.serials)
		}
		if got := len(dom.Devices.Consoles); got != tc.consoles {
			t.Errorf("NoSerial=%v: %d consoles, want %d", tc.noSerial, got, tc.consoles)
		}
		if len(dom.Devices.Disks) != 1 || len(dom.Devices.Graphics) != 1 {
			t.Errorf("NoSerial=%v changed other devices: %+v", tc.noSerial, dom.Devices)
		}
	}
}

func TestDomainXMLRelativeDir(t *testing.T) {
	dom := parseXML(t, Options{Name: "kmtest-rel", Dir: "guest"})
	if !filepath.IsAbs(dom.OS.Kernel) || !filepath.IsAbs(dom.Devices.Disks[0].Source.File.File) {
		t.Errorf("paths not absolute: %q, %q", dom.OS.Kernel, dom.Devices.Disks[0].Source.File.File)
	}
}

func TestDomainXMLInvalid(t *testing.T) {
	for _, o := range []Options{
		{},
		{Name: "../etc"},
		{Name: "a/b"},
		{Name: "-x"},
		{Name: "ok", DomainType: "xen"},
		{Name: "ok", MemoryMiB: 16},
		{Name: "ok", DataDiskMiB: -1},
	} {
		if _, err := DomainXML(o); err == nil {
			t.Errorf("DomainXML(%+v) succeeded, want an error", o)
		}
	}
}

func TestParseReady(t *testing.T) {
	for _, tc := range []struct {
		in   string
		id   string
		want bool
	}{
		{"", "", false},
		{"junk\r\nKVMTEST-READY boot=abc-123\r\n", "abc-123", true},
		{"KVMTEST-READY boot=abc", "", false}, // not finished yet
		{"KVMTEST-READY boot=abc\n", "abc", true},
		{"KVMTEST-READY\n", "", true},
		{"KVMTEST-READYX\nKVMTEST-READY boot=b\n", "b", true},
	} {
		id, ok := parseReady([]byte(tc.in))
		if id != tc.id || ok != tc.want {
			t.Errorf("parseReady(%q) = %q, %v; want %q, %v", tc.in, id, ok, tc.id, tc.want)
		}
	}
}

func TestWaitReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttyS1.log")
	first := "KVMTEST-READY boot=first\r\n"
	if err := os.WriteFile(path, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	id, err := WaitReady(ctx, path, 0)
	if err != nil || id != "first" {
		t.Fatalf("WaitReady from 0 = %q, %v; want first", id, err)
	}

	since := LogSize(path)
	go func() {
		time.Sleep(150 * time.Millisecond)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("KVMTEST-POWEROFF acpi\r\nKVMTEST-READY boot=")
		f.Sync()
		time.Sleep(100 * time.Millisecond)
		f.WriteString("second\r\n")
		f.Close()
	}()
	id, err = WaitReady(ctx, path, since)
	if err != nil || id != "second" {
		t.Fatalf("WaitReady after restart = %q, %v; want second", id, err)
	}

	// A file truncated below the offset is read from the start.
	if err := os.WriteFile(path, []byte("KVMTEST-READY boot=third\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if id, err := WaitReady(ctx, path, 1000); err != nil || id != "third" {
		t.Fatalf("WaitReady after truncation = %q, %v; want third", id, err)
	}

	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if _, err := WaitReady(short, path, LogSize(path)); err == nil {
		t.Fatal("WaitReady with nothing new succeeded")
	}
	if _, err := WaitReady(short, filepath.Join(t.TempDir(), "missing"), 0); err == nil {
		t.Fatal("WaitReady on a missing file succeeded")
	}
}

func TestDomainTypeCache(t *testing.T) {
	dir := t.TempDir()
	key := cacheKey(dir)
	if _, _, ok := readDomainTypeCache(dir, key); ok {
		t.Fatal("cache hit in an empty dir")
	}
	if err := writeDomainTypeCache(dir, key, "qemu", "no /dev/kvm\nreally"); err != nil {
		t.Fatal(err)
	}
	typ, reason, ok := readDomainTypeCache(dir, key)
	if !ok || typ != "qemu" || reason != "no /dev/kvm really" {
		t.Fatalf("cache = %q, %q, %v", typ, reason, ok)
	}
	if _, _, ok := readDomainTypeCache(dir, "other"); ok {
		t.Fatal("cache hit with another key")
	}
	// A rebuilt guest invalidates the answer.
	if err := os.WriteFile(filepath.Join(dir, "build.stamp"), []byte("kernel=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cacheKey(dir) == key {
		t.Fatal("cache key unchanged after the build stamp changed")
	}
}

func TestCheckBuilt(t *testing.T) {
	dir := t.TempDir()
	err := CheckBuilt(dir)
	if err == nil || !strings.Contains(err.Error(), "build-test-guest.sh") {
		t.Fatalf("CheckBuilt(empty) = %v, want a hint to build-test-guest.sh", err)
	}
	for _, f := range []string{"vmlinuz", "initramfs.gz"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckBuilt(dir); err != nil {
		t.Fatalf("CheckBuilt = %v", err)
	}
}

func TestUniqueName(t *testing.T) {
	a, b := UniqueName("kmtest-"), UniqueName("kmtest-")
	if a == b || !strings.HasPrefix(a, "kmtest-") || len(a) != len("kmtest-")+8 {
		t.Fatalf("UniqueName = %q, %q", a, b)
	}
	if err := validName(a); err != nil {
		t.Fatal(err)
	}
}

// TestIsName: cleanup code removes leftover guests by prefix only when the
// whole name is one a test guest may have; other VMs' names (spaces, markup,
// the same prefix) are not.
func TestIsName(t *testing.T) {
	for name, want := range map[string]bool{
		UniqueName("kmbench-guest-"):           true,
		"e2e-0a1b2c-alpha":                     true,
		"kmbench-0001":                         true,
		"kmbench-<img src=x onerror=alert(1)>": false,
		"sec-<img src=x onerror=alert(1)>":     false,
		"e2e-x shut off":                       false,
		" e2e-x":                               false,
		"e2e-x\n":                              false,
		"":                                     false,
		"-leading-dash":                        false,
		strings.Repeat("a", 64):                false,
		"kmtest-" + strings.Repeat("0", 56):    true,
		"../escape":                            false,
	} {
		if got := IsName(name); got != want {
			t.Errorf("IsName(%q) = %v, want %v", name, got, want)
		}
	}
}
