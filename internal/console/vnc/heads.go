package vnc

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/problem"
	"github.com/kvm-manager/kvm-manager/internal/virt"
	"github.com/kvm-manager/kvm-manager/internal/wsframe"
)

// A VM's displays. QEMU 7.2 makes one display ("console") per head of each
// video device. libvirt 9.0 allows one <graphics type='vnc'> per VM, and
// its VNC server shows the first head of the primary video device only.
// QEMU itself may run more VNC servers, one per head, with
// "-vnc HOST:N,id=ID,display=videoK[,head=H]" (libvirt's <qemu:commandline>);
// libvirt names its video devices video0, video1, ... The console reads
// those from the live XML: a head with such a VNC server on a fixed TCP
// address can be shown in the browser; any other head cannot, and the
// answer says so (remote-viewer shows every head of a SPICE VM).

// Display is one display head of a VM.
type Display struct {
	// Index numbers the VM's heads in order (video devices, then heads).
	Index int `json:"index"`
	// Device is the video device's libvirt alias ("video0").
	Device string `json:"device"`
	Model  string `json:"model"`
	Head   int    `json:"head"`
	// Primary is the head libvirt's own VNC or SPICE graphics show.
	Primary bool `json:"primary"`
	// Browser reports whether the browser console can show this head.
	Browser bool `json:"browser"`
	// Reason says why not, when Browser is false.
	Reason string `json:"reason,omitempty"`
	addr   string
}

// headVNC is one extra QEMU VNC server from <qemu:commandline>.
type headVNC struct {
	device string
	head   int
	addr   string // host:port, "" when not a fixed TCP address
}

// parseHeadVNC reads the value of a -vnc argument: "HOST:N,opt=v,...".
// A port chosen at start (to=), a password the proxy does not know, TLS,
// SASL, a reverse connection or a socket leave addr empty: not a target
// the proxy can dial.
func parseHeadVNC(v string) (headVNC, bool) {
	parts := strings.Split(v, ",")
	h := headVNC{}
	dialable := true
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(p, "=")
		switch k {
		case "display":
			h.device = val
		case "head":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return headVNC{}, false
			}
			h.head = n
		case "to", "password", "password-secret", "tls-creds", "sasl", "reverse":
			dialable = false
		}
	}
	if h.device == "" {
		return headVNC{}, false
	}
	host, disp, ok := strings.Cut(parts[0], ":")
	n, err := strconv.Atoi(disp)
	if dialable && ok && err == nil && n >= 0 && n < 60000 && host != "unix" {
		h.addr = net.JoinHostPort(vncDialHost(strings.Trim(host, "[]")), strconv.Itoa(5900+n))
	}
	return h, true
}

// displaysFromXML lists the heads of a domain's live XML.
func displaysFromXML(d *libvirtxml.Domain) []Display {
	var extra []headVNC
	if d.QEMUCommandline != nil {
		args := d.QEMUCommandline.Args
		for i := 0; i+1 < len(args); i++ {
			if args[i].Value == "-vnc" {
				if h, ok := parseHeadVNC(args[i+1].Value); ok {
					extra = append(extra, h)
				}
			}
		}
	}
	hasVNC := false
	if d.Devices != nil {
		for _, g := range d.Devices.Graphics {
			hasVNC = hasVNC || g.VNC != nil
		}
	}
	var out []Display
	if d.Devices == nil {
		return out
	}
	for i, v := range d.Devices.Videos {
		dev := fmt.Sprintf("video%d", i)
		if v.Alias != nil && v.Alias.Name != "" {
			dev = v.Alias.Name
		}
		heads := max(int(v.Model.Heads), 1)
		for h := range heads {
			ds := Display{Index: len(out), Device: dev, Model: v.Model.Type, Head: h, Primary: i == 0 && h == 0}
			switch {
			case ds.Primary:
				ds.Browser = true // the VM's own graphics: the console's usual checks apply
			default:
				for _, e := range extra {
					if e.device == dev && e.head == h {
						ds.addr = e.addr
					}
				}
				ds.Browser = ds.addr != ""
				if !ds.Browser {
					ds.Reason = "QEMU serves no VNC display for this head"
					if !hasVNC {
						ds.Reason = "only SPICE shows this head: open the VM in remote-viewer with the .vv file"
					}
				}
			}
			out = append(out, ds)
		}
	}
	return out
}

// Displays lists the VM's display heads from its live XML (its stored
// definition when it does not run), saying which the browser can show.
func (v *Proxy) Displays(hostName, uuid string) ([]Display, error) {
	d, err := v.liveDomain(hostName, uuid)
	if err != nil {
		return nil, err
	}
	return displaysFromXML(d), nil
}

func (v *Proxy) liveDomain(hostName, uuid string) (*libvirtxml.Domain, error) {
	vm, err := v.opts.Inventory.Get(hostName, uuid)
	if err != nil {
		return nil, err
	}
	ld, err := readDomainDoc(v.opts.Hosts, hostName, uuid, vm.Name)
	if err != nil {
		return nil, err
	}
	return ld, nil
}

func readDomainDoc(links Hosts, hostName, uuid, name string) (*libvirtxml.Domain, error) {
	u, err := host.ParseUUID(uuid)
	if err != nil {
		return nil, err
	}
	c, err := links.Client(hostName)
	if err != nil {
		return nil, err
	}
	doc, err := c.XML(virt.Domain{Name: name, UUID: u}, 0)
	if err != nil {
		return nil, host.Problem(err, "read the VM's definition")
	}
	var d libvirtxml.Domain
	if err := d.Unmarshal(doc); err != nil {
		return nil, fmt.Errorf("parse domain XML: %w", err)
	}
	return &d, nil
}

func errNoSuchDisplay(name string, index int) error {
	return problem.New(problem.NotFound, problem.CodeNoSuchDisplay,
		fmt.Sprintf("VM %q has no display %d", problem.Clip(name), index),
		"list the VM's displays with GET .../displays")
}

func errHeadNotInBrowser(name string, ds Display) error {
	return problem.New(problem.Unsupported, problem.CodeDisplayNotInBrowser,
		fmt.Sprintf("display %d of VM %q (%s head %d) cannot be shown in the browser: %s", ds.Index, problem.Clip(name), ds.Device, ds.Head, ds.Reason),
		"open the VM in remote-viewer with the .vv file (SPICE), or give the head a VNC server (docs/user-guide.md, Multiple displays)")
}

// HeadTarget returns where the VNC server of the VM's display index
// listens, for a display other than the primary one (index 0 is the VM's
// own console, Target). It fails with a problem when the VM does not run,
// has no such display or the browser cannot show it.
func (v *Proxy) HeadTarget(hostName, uuid string, index int) (Target, error) {
	d, err := v.liveDomain(hostName, uuid)
	if err != nil {
		return Target{}, err
	}
	if d.ID == nil || *d.ID <= 0 {
		return Target{}, errGraphicsNotRunning(d.Name)
	}
	ds := displaysFromXML(d)
	if index < 0 || index >= len(ds) {
		return Target{}, errNoSuchDisplay(d.Name, index)
	}
	if ds[index].Primary {
		return v.Target(hostName, uuid)
	}
	if !ds[index].Browser {
		return Target{}, errHeadNotInBrowser(d.Name, ds[index])
	}
	return Target{VMName: d.Name, Network: "tcp", Address: ds[index].addr}, nil
}

// ServeHead runs a console of display index of the VM (see Serve): the
// head's own QEMU VNC server, read from the live XML again.
func (v *Proxy) ServeHead(ctx context.Context, hostName, uuid string, index int, accept func() (*wsframe.Conn, error)) error {
	if v.isClosed() {
		return errVNCShuttingDown
	}
	t, err := v.HeadTarget(hostName, uuid, index)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s/%s#%d", hostName, uuid, index)
	dialCtx, cancelDial := context.WithTimeout(ctx, v.opts.DialTimeout+v.opts.HandshakeTimeout)
	defer cancelDial()
	bc := make(chan vncBrowserSide, 1)
	go func() {
		b := v.browserSide(ctx, accept, hostName, uuid, t.VMName)
		if b.err != nil {
			cancelDial()
		}
		bc <- b
	}()
	up, si, uerr := v.connect(dialCtx, key, hostName, t, nil)
	b := <-bc
	if b.s == nil {
		if up != nil {
			_ = up.Close()
		}
		return nil
	}
	s := b.s
	defer v.remove(s)
	defer b.stop()
	if b.err != nil {
		if up != nil {
			_ = up.Close()
		}
		s.close(wsframe.StatusProtocolError, "RFB handshake failed", b.err)
		s.drain()
		s.logEnd(b.err)
		return nil
	}
	if err := s.start(up, si, uerr, b.minor); err != nil {
		s.drain()
		s.logEnd(err)
		return nil
	}
	s.relay(up)
	return nil
}
