// Command testguest manages KVM Manager's tiny test guest VMs for shell
// scripts, over the local libvirt socket (see internal/testguest; build the
// guest first with scripts/build-test-guest.sh).
//
//	testguest create --name N [--start] [--wait] [--timeout 2m]
//	testguest remove --name N
//	testguest detect [--force]
//	testguest xml --name N
//
// Common flags: --dir (guest build dir, default
// /var/lib/libvirt/images/kvm-manager-test), --type (kvm or qemu; default:
// detected, see `testguest detect`), --socket (libvirt socket), and for create
// and xml --memory, --disk, --no-vnc, --no-serial.
//
// create prints the ttyS1 log path on stdout, and with --wait the boot id the
// guest reported. detect prints "kvm" or "qemu" on stdout and the reason on
// stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

const usage = `usage:
  testguest create --name N [--start] [--wait] [--timeout D] [common flags]
  testguest remove --name N [--dir D] [--socket S]
  testguest detect [--force] [--dir D] [--socket S]
  testguest xml --name N [common flags]
common flags: --dir D --type kvm|qemu --memory MiB --disk MiB --no-vnc --no-serial --socket S
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "create":
		err = runCreate(args)
	case "remove":
		err = runRemove(args)
	case "detect":
		err = runDetect(args)
	case "xml":
		err = runXML(args)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "testguest: unknown command %q\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "testguest: ") {
			msg = "testguest: " + msg
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(1)
	}
}

type common struct {
	fs      *flag.FlagSet
	dir     string
	socket  string
	name    string
	typ     string
	memory  int
	disk    int
	noVNC   bool
	noSer   bool
	net     string
	agent   bool
	spice   bool
	spicePw string
	videos  int
	headVNC bool
}

func newFlags(cmd string, withName, withVM bool) *common {
	c := &common{fs: flag.NewFlagSet("testguest "+cmd, flag.ContinueOnError)}
	c.fs.StringVar(&c.dir, "dir", testguest.DefaultDir, "guest build `dir`")
	c.fs.StringVar(&c.socket, "socket", "/var/run/libvirt/libvirt-sock", "libvirt unix `socket`")
	if withName {
		c.fs.StringVar(&c.name, "name", "", "VM `name` (required)")
	}
	if withVM {
		c.fs.StringVar(&c.typ, "type", "", "domain `type`: kvm or qemu (default: detected)")
		c.fs.IntVar(&c.memory, "memory", testguest.DefaultMemoryMiB, "guest memory in `MiB`")
		c.fs.IntVar(&c.disk, "disk", testguest.DefaultDataDiskMiB, "data disk size in `MiB`")
		c.fs.BoolVar(&c.noVNC, "no-vnc", false, "no VNC display")
		c.fs.BoolVar(&c.noSer, "no-serial", false, "no serial ports and no console (so no ttyS1 log to --wait on)")
		c.fs.StringVar(&c.net, "network", "", "a virtio NIC on libvirt `network` (the guest asks for a DHCP lease)")
		c.fs.BoolVar(&c.agent, "agent", false, "add the guest agent's channel (the guest runs qemu-ga)")
		c.fs.BoolVar(&c.spice, "spice", false, "add SPICE graphics on 127.0.0.1 (with --no-vnc: SPICE only)")
		c.fs.StringVar(&c.spicePw, "spice-password", "", "with --spice: the SPICE `password`")
		c.fs.IntVar(&c.videos, "videos", 1, "video devices (1 to 4): one display head each")
		c.fs.BoolVar(&c.headVNC, "head-vnc", false, "with --videos: a QEMU VNC server of its own for each video device after the first")
	}
	return c
}

func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", c.fs.Args())
	}
	if c.fs.Lookup("name") != nil && c.name == "" {
		return errors.New("--name is required")
	}
	return nil
}

func (c *common) connect() (*libvirt.Libvirt, error) {
	l := libvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(c.socket)))
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		return nil, fmt.Errorf("connecting to libvirt at %s: %w", c.socket, err)
	}
	return l, nil
}

// options fills in the domain type, detecting it when --type is not given.
func (c *common) options(l *libvirt.Libvirt) (testguest.Options, error) {
	typ := c.typ
	if typ == "" {
		t, _, err := testguest.DetectDomainType(l, c.dir)
		if err != nil {
			return testguest.Options{}, err
		}
		typ = t
	}
	return testguest.Options{
		Name:          c.name,
		Dir:           c.dir,
		DomainType:    typ,
		MemoryMiB:     c.memory,
		DataDiskMiB:   c.disk,
		NoVNC:         c.noVNC,
		NoSerial:      c.noSer,
		Network:       c.net,
		Agent:         c.agent,
		Spice:         c.spice,
		SpicePassword: c.spicePw,
		Videos:        c.videos,
		HeadVNC:       c.headVNC,
	}, nil
}

func runCreate(args []string) error {
	c := newFlags("create", true, true)
	start := c.fs.Bool("start", false, "start the VM")
	wait := c.fs.Bool("wait", false, "with --start: wait until the guest is ready")
	timeout := c.fs.Duration("timeout", 2*time.Minute, "how long --wait waits")
	if err := c.parse(args); err != nil {
		return err
	}
	if *wait && !*start {
		return errors.New("--wait needs --start")
	}
	if *wait && c.noSer {
		return errors.New("--wait needs the ttyS1 log, which --no-serial leaves out")
	}
	l, err := c.connect()
	if err != nil {
		return err
	}
	defer l.Disconnect()
	opts, err := c.options(l)
	if err != nil {
		return err
	}
	dom, err := testguest.Create(l, opts)
	if err != nil {
		return err
	}
	logPath := testguest.SerialLogPath(c.dir, c.name)
	fmt.Println(logPath)
	if !*start {
		return nil
	}
	since := testguest.LogSize(logPath)
	if err := l.DomainCreate(dom); err != nil {
		return fmt.Errorf("starting %s: %w", c.name, err)
	}
	if !*wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	id, err := testguest.WaitReady(ctx, logPath, since)
	if err != nil {
		return err
	}
	fmt.Println(testguest.ReadyMarker + " boot=" + id)
	return nil
}

func runRemove(args []string) error {
	c := newFlags("remove", true, false)
	if err := c.parse(args); err != nil {
		return err
	}
	l, err := c.connect()
	if err != nil {
		return err
	}
	defer l.Disconnect()
	return testguest.Remove(l, c.name, c.dir)
}

func runDetect(args []string) error {
	c := newFlags("detect", false, false)
	force := c.fs.Bool("force", false, "ignore the cached answer and check again")
	if err := c.parse(args); err != nil {
		return err
	}
	l, err := c.connect()
	if err != nil {
		return err
	}
	defer l.Disconnect()
	detect := testguest.DetectDomainType
	if *force {
		detect = testguest.RedetectDomainType
	}
	typ, reason, err := detect(l, c.dir)
	if err != nil {
		return err
	}
	fmt.Println(typ)
	fmt.Fprintln(os.Stderr, reason)
	return nil
}

func runXML(args []string) error {
	c := newFlags("xml", true, true)
	if err := c.parse(args); err != nil {
		return err
	}
	var l *libvirt.Libvirt
	if c.typ == "" {
		var err error
		if l, err = c.connect(); err != nil {
			return err
		}
		defer l.Disconnect()
	}
	opts, err := c.options(l)
	if err != nil {
		return err
	}
	xml, err := testguest.DomainXML(opts)
	if err != nil {
		return err
	}
	fmt.Println(xml)
	return nil
}
