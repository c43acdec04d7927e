package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"libvirt.org/go/libvirtxml"

	"github.com/kvm-manager/kvm-manager/internal/certs"
	"github.com/kvm-manager/kvm-manager/internal/config"
	"github.com/kvm-manager/kvm-manager/internal/console/vnc"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// checkTimeout bounds the whole check of one host.
const checkTimeout = 20 * time.Second

// Check is `kvm-manager check`: it tells, as the user it runs as, whether
// the data dir, the screenshots dir, the TLS files and the metrics token
// are usable, and for each configured host whether it is reachable, its
// libvirt version, whether KVM is usable (else QEMU emulates: TCG), and
// which running VMs' VNC servers the console proxy cannot reach. It writes
// one line per finding to w and reports whether everything is fine.
func Check(ctx context.Context, cfg config.Config, w io.Writer) bool {
	ok := true
	say := func(good bool, what, detail string) {
		mark := "ok  "
		if !good {
			mark, ok = "FAIL", false
		}
		fmt.Fprintf(w, "%s %s: %s\n", mark, what, detail)
	}
	fmt.Fprintf(w, "checking as user %s (uid %d)\n", userName(), os.Getuid())

	detail, good := checkDir(cfg.DataDir, true)
	say(good, "data dir "+cfg.DataDir, detail)
	detail, good = checkDir(cfg.ScreenshotsDir, false)
	say(good, "screenshots dir "+cfg.ScreenshotsDir, detail)
	if kh := filepath.Join(cfg.DataDir, "known_hosts"); fileExists(kh) {
		detail, good = checkReadWrite(kh)
		say(good, "known_hosts "+kh, detail)
	}
	switch {
	case cfg.TLSCert != "":
		if c, err := certs.Load(cfg.TLSCert, cfg.TLSKey, time.Now()); err != nil {
			say(false, "TLS files", err.Error())
		} else {
			say(true, "TLS files", fmt.Sprintf("readable, valid until %s", c.Leaf.NotAfter.Format(time.DateOnly)))
		}
	case cfg.TLSSelfSigned:
		dir := filepath.Join(cfg.DataDir, "tls")
		if fileExists(dir) {
			detail, good = checkDir(dir, true)
			say(good, "self-signed TLS dir "+dir, detail)
		} else {
			say(true, "self-signed TLS dir "+dir, "made in the data dir at the first start")
		}
	}
	if cfg.MetricsTokenFile != "" {
		if tok, err := readMetricsToken(cfg.MetricsTokenFile); err != nil {
			say(false, "metrics token", err.Error())
		} else if len(tok) < 16 {
			say(false, "metrics token", cfg.MetricsTokenFile+" holds fewer than 16 characters: put a longer random token in it")
		} else {
			say(true, "metrics token", "readable")
		}
	}
	for _, hc := range cfg.Hosts {
		hctx, cancel := context.WithTimeout(ctx, checkTimeout)
		for _, f := range checkHost(hctx, cfg, hc) {
			say(f.ok, "host "+hc.Name, f.detail)
		}
		cancel()
	}
	if ok {
		fmt.Fprintln(w, "everything checked is fine")
	} else {
		fmt.Fprintln(w, "some checks failed: see FAIL above")
	}
	return ok
}

type finding struct {
	ok     bool
	detail string
}

func checkHost(ctx context.Context, cfg config.Config, hc config.Host) []finding {
	h, err := host.New(host.Options{Name: hc.Name, URI: hc.URI, DataDir: cfg.DataDir,
		Logger: slog.New(slog.DiscardHandler), CallTimeout: 10 * time.Second})
	if err != nil {
		return []finding{{false, err.Error()}}
	}
	r := h.Probe(ctx)
	if !r.OK {
		return []finding{{false, fmt.Sprintf("%s is not reachable (%s): %s", hc.URI, r.State, r.Error)}}
	}
	out := []finding{{true, fmt.Sprintf("%s reachable, libvirt %s on %s", hc.URI, r.LibvirtVersion, r.Hostname)}}
	link, err := h.Dial()
	if err != nil {
		return append(out, finding{false, "a second link failed: " + err.Error()})
	}
	defer link.Close()
	if caps, ok := link.(interface{ Capabilities() (string, error) }); ok {
		doc, err := caps.Capabilities()
		if err != nil {
			out = append(out, finding{false, "capabilities: " + err.Error()})
		} else if kvm, err := kvmUsable(doc); err != nil {
			out = append(out, finding{false, "capabilities: " + err.Error()})
		} else if kvm {
			out = append(out, finding{true, "KVM is usable"})
		} else {
			// Not a failure: VMs run, only slower (emulated).
			out = append(out, finding{true, "KVM is not usable: VMs run emulated (TCG), much slower; check /dev/kvm and the CPU's virtualisation setting"})
		}
	}
	doms, err := link.ListDomains()
	if err != nil {
		return append(out, finding{false, "list VMs: " + err.Error()})
	}
	var unreachable []string
	running := 0
	for _, d := range doms {
		if ctx.Err() != nil {
			return append(out, finding{false, "the check ran out of time while reading VMs"})
		}
		st, _, err := link.State(d)
		if err != nil || st != int32(virt.StateRunning) && st != int32(virt.StatePaused) {
			continue
		}
		running++
		target, err := vnc.CheckReach(link, h.Machine(), d, 3*time.Second)
		if err != nil {
			unreachable = append(unreachable, fmt.Sprintf("%s (VNC at %s: %v)", d.Name, target, err))
		}
	}
	if len(unreachable) > 0 {
		out = append(out, finding{false, fmt.Sprintf("the console proxy cannot reach the VNC server of %d of %d running VMs: %s; "+
			"let them listen on 127.0.0.1 or a socket that this user can open", len(unreachable), running, strings.Join(unreachable, "; "))})
	} else {
		out = append(out, finding{true, fmt.Sprintf("%d VMs, %d running; every running VM's VNC server (where it has one) is reachable", len(doms), running)})
	}
	return out
}

// kvmUsable reads the capabilities XML: a guest type with domain type kvm
// means libvirt can run KVM guests here.
func kvmUsable(doc string) (bool, error) {
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(doc); err != nil {
		return false, fmt.Errorf("parse capabilities: %w", err)
	}
	for _, g := range caps.Guests {
		for _, d := range g.Arch.Domains {
			if d.Type == "kvm" {
				return true, nil
			}
		}
	}
	return false, nil
}

// checkDir says whether dir is a usable directory for this user: it
// exists and a file can be written in it, or it can be made. private
// notes a directory open to other users.
func checkDir(dir string, private bool) (string, bool) {
	st, err := os.Stat(dir)
	if os.IsNotExist(err) {
		parent := filepath.Dir(dir)
		for !fileExists(parent) && parent != filepath.Dir(parent) {
			parent = filepath.Dir(parent)
		}
		if detail, ok := canWrite(parent); !ok {
			return "missing, and it cannot be made: " + detail, false
		}
		return "missing; it is made at the first start", true
	}
	if err != nil {
		return err.Error() + hintFor(err, dir), false
	}
	if !st.IsDir() {
		return "not a directory", false
	}
	if detail, ok := canWrite(dir); !ok {
		return detail, false
	}
	if private && st.Mode().Perm()&0o077 != 0 {
		return fmt.Sprintf("writable, but open to other users (mode %04o): the server makes it 0700 at start", st.Mode().Perm()), true
	}
	return "writable", true
}

func canWrite(dir string) (string, bool) {
	f, err := os.CreateTemp(dir, ".kvm-manager-check-*")
	if err != nil {
		return "cannot write in " + dir + ": " + err.Error() + hintFor(err, dir), false
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	return "writable", true
}

func checkReadWrite(path string) (string, bool) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err.Error() + hintFor(err, path), false
	}
	_ = f.Close()
	return "readable and writable", true
}

// hintFor adds what to do about a permission error: the usual cause is a
// file made by root for a server that now runs as its own user.
func hintFor(err error, path string) string {
	if os.IsPermission(err) {
		return fmt.Sprintf(" (give it to the user KVM Manager runs as: chown -R %s %s)", userName(), path)
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func userName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return fmt.Sprint(os.Getuid())
}
