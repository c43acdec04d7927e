// Package testguest defines, starts and removes the tiny test guest that KVM
// Manager's tests run against real libvirtd.
//
// The guest itself (a Debian cloud kernel and a busybox initramfs) is built by
// scripts/build-test-guest.sh into a guest directory (DefaultDir unless told
// otherwise). Every VM made from it is direct-kernel-booted and gets its own
// directory, <Dir>/vms/<name>/, holding:
//
//   - data.qcow2: an empty qcow2 data disk, libvirt target "vdb" on the virtio
//     bus (the guest kernel names it /dev/vda); the guest never touches it.
//   - ttyS1.log: the guest's second serial port, logged by QEMU (append mode,
//     so it survives restarts). The guest prints "KVMTEST-READY boot=<id>"
//     there once its shells run, and tests redirect command output there
//     (echo ... >/dev/ttyS1) after typing the commands on the ttyS0 console.
//
// The guest runs a root shell ("kvmtest# ") on ttyS0, which is the libvirt
// <console>, and on tty1, which is shown on the VGA display over VNC. An ACPI
// shutdown request (virsh shutdown, DomainShutdown) powers it off at once.
package testguest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// DefaultDir is where scripts/build-test-guest.sh puts the guest by default.
const DefaultDir = "/var/lib/libvirt/images/kvm-manager-test"

// ReadyMarker starts the line the guest prints on ttyS0 and ttyS1 when its
// shells are up: "KVMTEST-READY boot=<random boot id>".
const ReadyMarker = "KVMTEST-READY"

// Defaults used when the corresponding Options field is zero.
const (
	DefaultMemoryMiB   = 192
	DefaultDataDiskMiB = 64
	DefaultDomainType  = "qemu"
)

// Kernel command line of the guest. console=ttyS0 comes last so that
// /dev/console (and so early kernel messages) is the serial console.
const baseCmdline = "console=tty1 console=ttyS0 quiet"

// Options describes one test VM.
type Options struct {
	// Name is the libvirt domain name and the name of the per-VM directory
	// <Dir>/vms/<Name>. Required; letters, digits, '.', '_' and '-'.
	Name string
	// Dir is the guest build directory holding vmlinuz and initramfs.gz.
	// Default: DefaultDir.
	Dir string
	// DomainType is the libvirt domain type: "kvm" or "qemu" (TCG).
	// Default: "qemu". DetectDomainType says which one works on this host.
	DomainType string
	// MemoryMiB is the guest memory. Default: 192.
	MemoryMiB int
	// DataDiskMiB is the virtual size of the qcow2 data disk. Default: 64.
	DataDiskMiB int
	// NoVNC leaves out the VNC display (by default there is one, listening
	// on 127.0.0.1 with an automatically chosen port).
	NoVNC bool
	// ExtraCmdline is appended to the kernel command line.
	ExtraCmdline string
	// NoSerial leaves out both serial ports and the console: a VM without a
	// serial console, as some real VMs are (the guest still boots; with no
	// ttyS1 there is no log to wait on). Tests of adding a console use it.
	NoSerial bool
	// Network, when set, gives the VM a virtio NIC on that libvirt network
	// (the guest asks for a DHCP lease on it at boot, in the background).
	Network string
	// MAC is the NIC's MAC address (with Network; libvirt picks one when
	// empty).
	MAC string
	// Agent adds the guest agent's virtio-serial channel
	// (org.qemu.guest_agent.0); the guest then starts qemu-ga at boot.
	Agent bool
	// Spice adds SPICE graphics listening on 127.0.0.1 (port chosen
	// automatically); with NoVNC, the VM has SPICE only.
	Spice bool
	// SpicePassword, with Spice, is the SPICE password (libvirt's passwd).
	SpicePassword string
	// Videos is the number of video devices (default 1, at most 4): the
	// first is the VGA, the others secondary virtio GPUs, each one more
	// display head for QEMU.
	Videos int
	// HeadVNC gives each video device after the first a QEMU VNC server
	// of its own (<qemu:commandline> -vnc 127.0.0.1:N,display=videoK) on a
	// free loopback port: the multiple displays the browser can show.
	HeadVNC bool
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// IsName reports whether name is one a test guest may have (letters,
// digits, '.', '_', '-', at most 63). Code that removes its leftover guests
// by prefix checks this too: other VMs on the host may have any legal name,
// spaces and markup included, also one that starts with the same prefix,
// and those are not its to remove.
func IsName(name string) bool { return nameRE.MatchString(name) }

func validName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("testguest: invalid VM name %q (want letters, digits, '.', '_', '-', at most 63)", name)
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if err := validName(o.Name); err != nil {
		return o, err
	}
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("testguest: guest dir: %w", err)
	}
	o.Dir = abs
	if o.DomainType == "" {
		o.DomainType = DefaultDomainType
	}
	if o.DomainType != "kvm" && o.DomainType != "qemu" {
		return o, fmt.Errorf("testguest: domain type %q: want \"kvm\" or \"qemu\"", o.DomainType)
	}
	if o.MemoryMiB == 0 {
		o.MemoryMiB = DefaultMemoryMiB
	}
	if o.MemoryMiB < 64 {
		return o, fmt.Errorf("testguest: memory %d MiB is too small (at least 64)", o.MemoryMiB)
	}
	if o.DataDiskMiB == 0 {
		o.DataDiskMiB = DefaultDataDiskMiB
	}
	if o.DataDiskMiB < 1 {
		return o, fmt.Errorf("testguest: data disk size %d MiB must be positive", o.DataDiskMiB)
	}
	return o, nil
}

// KernelPath is the guest kernel in the guest build dir.
func KernelPath(dir string) string { return filepath.Join(dirOrDefault(dir), "vmlinuz") }

// InitrdPath is the guest initramfs in the guest build dir.
func InitrdPath(dir string) string { return filepath.Join(dirOrDefault(dir), "initramfs.gz") }

// VMDir is the per-VM directory of VM name.
func VMDir(dir, name string) string { return filepath.Join(dirOrDefault(dir), "vms", name) }

// DataDiskPath is the qcow2 data disk of VM name.
func DataDiskPath(dir, name string) string { return filepath.Join(VMDir(dir, name), "data.qcow2") }

// SerialLogPath is the file that ttyS1 of VM name is logged to.
func SerialLogPath(dir, name string) string { return filepath.Join(VMDir(dir, name), "ttyS1.log") }

func dirOrDefault(dir string) string {
	if dir == "" {
		dir = DefaultDir
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// CheckBuilt reports, with a message that says how to fix it, whether the
// guest has been built into dir.
func CheckBuilt(dir string) error {
	for _, p := range []string{KernelPath(dir), InitrdPath(dir)} {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() == 0 {
			return fmt.Errorf("testguest: the test guest is not built in %s (%s missing); run scripts/build-test-guest.sh %s",
				dirOrDefault(dir), filepath.Base(p), dirOrDefault(dir))
		}
	}
	return nil
}

func uintp(v uint) *uint { return &v }

// DomainXML returns the libvirt domain XML of the VM that opts describe.
func DomainXML(opts Options) (string, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	cmdline := baseCmdline
	if s := strings.TrimSpace(o.ExtraCmdline); s != "" {
		cmdline += " " + s
	}
	dom := &libvirtxml.Domain{
		Type:        o.DomainType,
		Name:        o.Name,
		Description: "KVM Manager test guest (internal/testguest)",
		Memory:      &libvirtxml.DomainMemory{Value: uint(o.MemoryMiB), Unit: "MiB"},
		VCPU:        &libvirtxml.DomainVCPU{Value: 1},
		OS: &libvirtxml.DomainOS{
			Type:    &libvirtxml.DomainOSType{Arch: "x86_64", Type: "hvm"},
			Kernel:  KernelPath(o.Dir),
			Initrd:  InitrdPath(o.Dir),
			Cmdline: cmdline,
		},
		// ACPI is what makes DomainShutdown (ACPI power button) work.
		Features:   &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}},
		OnPoweroff: "destroy",
		OnReboot:   "restart",
		OnCrash:    "destroy",
		Devices: &libvirtxml.DomainDeviceList{
			Disks: []libvirtxml.DomainDisk{{
				Device: "disk",
				Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"},
				Source: &libvirtxml.DomainDiskSource{
					File: &libvirtxml.DomainDiskSourceFile{File: DataDiskPath(o.Dir, o.Name)},
				},
				Target: &libvirtxml.DomainDiskTarget{Dev: "vdb", Bus: "virtio"},
			}},
			Serials: []libvirtxml.DomainSerial{
				{
					// ttyS0: the interactive console.
					Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
					Target: &libvirtxml.DomainSerialTarget{
						Type:  "isa-serial",
						Port:  uintp(0),
						Model: &libvirtxml.DomainSerialTargetModel{Name: "isa-serial"},
					},
				},
				{
					// ttyS1: output only, logged to a file.
					Source: &libvirtxml.DomainChardevSource{File: &libvirtxml.DomainChardevSourceFile{
						Path:   SerialLogPath(o.Dir, o.Name),
						Append: "on",
					}},
					Target: &libvirtxml.DomainSerialTarget{
						Type:  "isa-serial",
						Port:  uintp(1),
						Model: &libvirtxml.DomainSerialTargetModel{Name: "isa-serial"},
					},
				},
			},
			Consoles: []libvirtxml.DomainConsole{{
				Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
				Target: &libvirtxml.DomainConsoleTarget{Type: "serial", Port: uintp(0)},
			}},
			Videos: []libvirtxml.DomainVideo{{
				Model: libvirtxml.DomainVideoModel{Type: "vga", Heads: 1, Primary: "yes"},
			}},
		},
	}
	if o.NoSerial {
		dom.Devices.Serials, dom.Devices.Consoles = nil, nil
	}
	if o.Network != "" {
		nic := libvirtxml.DomainInterface{
			Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: o.Network}},
			Model:  &libvirtxml.DomainInterfaceModel{Type: "virtio"},
		}
		if o.MAC != "" {
			nic.MAC = &libvirtxml.DomainInterfaceMAC{Address: o.MAC}
		}
		dom.Devices.Interfaces = []libvirtxml.DomainInterface{nic}
	}
	if o.Agent {
		dom.Devices.Channels = []libvirtxml.DomainChannel{{
			Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{}},
			Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "org.qemu.guest_agent.0"}},
		}}
	}
	if !o.NoVNC {
		dom.Devices.Graphics = []libvirtxml.DomainGraphic{{
			VNC: &libvirtxml.DomainGraphicVNC{
				Port:     -1,
				AutoPort: "yes",
				Listeners: []libvirtxml.DomainGraphicListener{{
					Address: &libvirtxml.DomainGraphicListenerAddress{Address: "127.0.0.1"},
				}},
			},
		}}
	}
	if o.Spice {
		dom.Devices.Graphics = append(dom.Devices.Graphics, libvirtxml.DomainGraphic{
			Spice: &libvirtxml.DomainGraphicSpice{
				Port:     -1,
				AutoPort: "yes",
				Passwd:   o.SpicePassword,
				Listeners: []libvirtxml.DomainGraphicListener{{
					Address: &libvirtxml.DomainGraphicListenerAddress{Address: "127.0.0.1"},
				}},
			},
		})
	}
	for i := 1; i < min(o.Videos, 4); i++ {
		dom.Devices.Videos = append(dom.Devices.Videos, libvirtxml.DomainVideo{
			Model: libvirtxml.DomainVideoModel{Type: "virtio", Heads: 1},
		})
		if o.HeadVNC {
			port, err := freeLoopbackPort()
			if err != nil {
				return "", err
			}
			if dom.QEMUCommandline == nil {
				dom.QEMUCommandline = &libvirtxml.DomainQEMUCommandline{}
			}
			dom.QEMUCommandline.Args = append(dom.QEMUCommandline.Args,
				libvirtxml.DomainQEMUCommandlineArg{Value: "-vnc"},
				libvirtxml.DomainQEMUCommandlineArg{Value: fmt.Sprintf("127.0.0.1:%d,id=head%d,display=video%d", port-5900, i, i)})
		}
	}
	return dom.Marshal()
}

// Create makes the per-VM directory, its qcow2 data disk and an empty ttyS1
// log, and defines the domain (persistently). It does not start it. A domain
// of the same name must not exist yet. On failure it removes what it made.
func Create(l *libvirt.Libvirt, opts Options) (libvirt.Domain, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return libvirt.Domain{}, err
	}
	if err := CheckBuilt(o.Dir); err != nil {
		return libvirt.Domain{}, err
	}
	xml, err := DomainXML(o)
	if err != nil {
		return libvirt.Domain{}, err
	}
	if _, err := l.DomainLookupByName(o.Name); err == nil {
		return libvirt.Domain{}, fmt.Errorf("testguest: domain %q is already defined", o.Name)
	} else if !libvirt.IsNotFound(err) {
		return libvirt.Domain{}, fmt.Errorf("testguest: looking up domain %q: %w", o.Name, err)
	}

	vmDir := VMDir(o.Dir, o.Name)
	if err := os.MkdirAll(vmDir, 0o755); err != nil {
		return libvirt.Domain{}, fmt.Errorf("testguest: %w", err)
	}
	// MkdirAll leaves existing dirs alone, and the umask may be strict: the
	// libvirt-qemu user must be able to reach the files.
	for _, d := range []string{filepath.Dir(vmDir), vmDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			return libvirt.Domain{}, fmt.Errorf("testguest: %w", err)
		}
	}
	fail := func(err error) (libvirt.Domain, error) {
		os.RemoveAll(vmDir)
		return libvirt.Domain{}, err
	}

	disk := DataDiskPath(o.Dir, o.Name)
	os.Remove(disk)
	cmd := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk, fmt.Sprintf("%dM", o.DataDiskMiB))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("testguest: qemu-img create %s: %v: %s", disk, err, bytes.TrimSpace(out)))
	}
	if err := os.Chmod(disk, 0o644); err != nil {
		return fail(fmt.Errorf("testguest: %w", err))
	}
	logPath := SerialLogPath(o.Dir, o.Name)
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		return fail(fmt.Errorf("testguest: %w", err))
	}
	if err := os.Chmod(logPath, 0o644); err != nil {
		return fail(fmt.Errorf("testguest: %w", err))
	}

	dom, err := l.DomainDefineXML(xml)
	if err != nil {
		return fail(fmt.Errorf("testguest: defining domain %q: %w", o.Name, err))
	}
	return dom, nil
}

// Remove destroys VM name if it runs, deletes its snapshots' metadata,
// undefines it and removes its per-VM directory under dir. A domain or
// directory that is already gone is not an error.
func Remove(l *libvirt.Libvirt, name string, dir string) error {
	if err := validName(name); err != nil {
		return err
	}
	var errs []error
	dom, err := l.DomainLookupByName(name)
	switch {
	case libvirt.IsNotFound(err):
	case err != nil:
		errs = append(errs, fmt.Errorf("testguest: looking up domain %q: %w", name, err))
	default:
		if err := removeDomain(l, dom); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(VMDir(dir, name)); err != nil {
		errs = append(errs, fmt.Errorf("testguest: %w", err))
	}
	return errors.Join(errs...)
}

func removeDomain(l *libvirt.Libvirt, dom libvirt.Domain) error {
	state, _, err := l.DomainGetState(dom, 0)
	if libvirt.IsNotFound(err) {
		return nil
	}
	if err == nil && libvirt.DomainState(state) != libvirt.DomainShutoff {
		if err := l.DomainDestroy(dom); err != nil && !libvirt.IsNotFound(err) && !isOperationInvalid(err) {
			return fmt.Errorf("testguest: destroying domain %q: %w", dom.Name, err)
		}
	}
	// Snapshot metadata first (children before parents are handled by
	// libvirt: deleting metadata only never touches disks). The undefine flag
	// below covers anything left.
	if snaps, _, err := l.DomainListAllSnapshots(dom, 1, 0); err == nil {
		for i := len(snaps) - 1; i >= 0; i-- {
			_ = l.DomainSnapshotDelete(snaps[i], libvirt.DomainSnapshotDeleteMetadataOnly)
		}
	}
	flags := libvirt.DomainUndefineManagedSave | libvirt.DomainUndefineSnapshotsMetadata |
		libvirt.DomainUndefineCheckpointsMetadata | libvirt.DomainUndefineNvram
	err = l.DomainUndefineFlags(dom, flags)
	if err != nil && !libvirt.IsNotFound(err) {
		// Older daemons may refuse a flag; try the plain undefine.
		if err2 := l.DomainUndefine(dom); err2 != nil && !libvirt.IsNotFound(err2) {
			return fmt.Errorf("testguest: undefining domain %q: %w", dom.Name, err)
		}
	}
	return nil
}

func isOperationInvalid(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) && le.Code == uint32(libvirt.ErrOperationInvalid)
}

// LogSize is the current size of the file at path, 0 if it does not exist.
// Pass it to WaitReady as since before (re)starting a guest.
func LogSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// WaitReady waits until a complete "KVMTEST-READY boot=<id>" line appears in
// the ttyS1 log at logPath after byte offset since, polling every 50 ms, and
// returns the boot id. Take since from LogSize before starting the guest so
// an earlier boot's line does not count. If the file has shrunk below since,
// it is read from the start.
func WaitReady(ctx context.Context, logPath string, since int64) (bootID string, err error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		id, found, err := findReady(logPath, since)
		if err != nil {
			return "", err
		}
		if found {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("testguest: %s not seen in %s: %w", ReadyMarker, logPath, ctx.Err())
		case <-tick.C:
		}
	}
}

func findReady(logPath string, since int64) (string, bool, error) {
	f, err := os.Open(logPath)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("testguest: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", false, fmt.Errorf("testguest: %w", err)
	}
	if fi.Size() < since {
		since = 0
	}
	data, err := io.ReadAll(io.NewSectionReader(f, since, fi.Size()-since))
	if err != nil {
		return "", false, fmt.Errorf("testguest: reading %s: %w", logPath, err)
	}
	id, ok := parseReady(data)
	return id, ok, nil
}

// parseReady finds the first complete ready line in data and returns its
// boot id.
func parseReady(data []byte) (string, bool) {
	marker := []byte(ReadyMarker)
	for {
		i := bytes.Index(data, marker)
		if i < 0 {
			return "", false
		}
		rest := data[i+len(marker):]
		end := bytes.IndexAny(rest, "\r\n")
		if end < 0 {
			return "", false // the line is still being written
		}
		line := string(rest[:end])
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "boot="); ok {
			return id, true
		}
		if strings.TrimSpace(line) == "" {
			return "", true
		}
		data = rest[end:]
	}
}

// WaitState polls the domain's state every 100 ms until it is want.
func WaitState(ctx context.Context, l *libvirt.Libvirt, dom libvirt.Domain, want libvirt.DomainState) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := int32(-1)
	for {
		state, _, err := l.DomainGetState(dom, 0)
		if err != nil {
			return fmt.Errorf("testguest: state of %q: %w", dom.Name, err)
		}
		if libvirt.DomainState(state) == want {
			return nil
		}
		last = state
		select {
		case <-ctx.Done():
			return fmt.Errorf("testguest: domain %q still in state %v, not %v: %w",
				dom.Name, libvirt.DomainState(last), want, ctx.Err())
		case <-tick.C:
		}
	}
}

// freeLoopbackPort returns a TCP port free on 127.0.0.1 now, above 5900
// (a QEMU VNC display number is the port less 5900).
func freeLoopbackPort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("testguest: find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if port > 5999 && port < 65536 {
			return port, nil
		}
	}
	return 0, errors.New("testguest: no free port above 5999")
}
