package testguest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
)

// DetectTimeout is how long DetectDomainType waits for a KVM guest to boot.
const DetectTimeout = 20 * time.Second

// qemuLogDir is where libvirtd (qemu:///system) keeps each domain's QEMU log.
const qemuLogDir = "/var/log/libvirt/qemu"

// domainTypeFile caches DetectDomainType's answer inside the guest dir.
const domainTypeFile = "domain-type"

// UniqueName returns prefix followed by 8 random hex digits, e.g.
// UniqueName("kmtest-") = "kmtest-3f9a01c2".
func UniqueName(prefix string) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// DomainTypeCachePath is the file where DetectDomainType keeps its answer.
func DomainTypeCachePath(dir string) string {
	return filepath.Join(dirOrDefault(dir), domainTypeFile)
}

// DetectDomainType says which domain type the test guest boots with on this
// host: "kvm" if /dev/kvm exists and a throwaway guest of type kvm reaches
// KVMTEST-READY within DetectTimeout, else "qemu" (TCG). reason says why in a
// few words. The answer is cached in <dir>/domain-type and reused as long as
// the guest build and the presence of /dev/kvm are unchanged, so repeated
// calls are instant; RedetectDomainType ignores the cache. err is set only
// when the check itself could not be made (guest not built, libvirt failing);
// then nothing is cached.
func DetectDomainType(l *libvirt.Libvirt, dir string) (domainType, reason string, err error) {
	return detectDomainType(l, dir, false)
}

// RedetectDomainType is DetectDomainType without the cache: it always boots
// the throwaway guest (when /dev/kvm exists) and rewrites the cache.
func RedetectDomainType(l *libvirt.Libvirt, dir string) (domainType, reason string, err error) {
	return detectDomainType(l, dir, true)
}

func detectDomainType(l *libvirt.Libvirt, dir string, force bool) (string, string, error) {
	dir = dirOrDefault(dir)
	if err := CheckBuilt(dir); err != nil {
		return "", "", err
	}
	key := cacheKey(dir)
	if !force {
		if t, r, ok := readDomainTypeCache(dir, key); ok {
			return t, r, nil
		}
	}
	t, r, err := probeDomainType(l, dir)
	if err != nil {
		return "", "", err
	}
	if err := writeDomainTypeCache(dir, key, t, r); err != nil {
		return t, r, err
	}
	return t, r, nil
}

// cacheKey identifies the circumstances a cached answer is valid for.
func cacheKey(dir string) string {
	h := sha256.New()
	stamp, err := os.ReadFile(filepath.Join(dir, "build.stamp"))
	if err != nil {
		// No stamp: fall back to the kernel's size and time.
		if fi, err := os.Stat(KernelPath(dir)); err == nil {
			fmt.Fprintf(h, "%d %d", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	h.Write(stamp)
	if _, err := os.Stat("/dev/kvm"); err == nil {
		h.Write([]byte("\x00kvm"))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func readDomainTypeCache(dir, key string) (string, string, bool) {
	data, err := os.ReadFile(DomainTypeCachePath(dir))
	if err != nil {
		return "", "", false
	}
	var t, r, k string
	for _, line := range strings.Split(string(data), "\n") {
		name, value, _ := strings.Cut(line, "=")
		switch name {
		case "type":
			t = value
		case "reason":
			r = value
		case "key":
			k = value
		}
	}
	if (t != "kvm" && t != "qemu") || k != key {
		return "", "", false
	}
	return t, r, true
}

func writeDomainTypeCache(dir, key, t, r string) error {
	path := DomainTypeCachePath(dir)
	tmp := path + ".tmp"
	content := fmt.Sprintf("type=%s\nreason=%s\nkey=%s\n", t, strings.ReplaceAll(r, "\n", " "), key)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("testguest: caching domain type: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("testguest: caching domain type: %w", err)
	}
	return nil
}

// probeDomainType does the real check.
func probeDomainType(l *libvirt.Libvirt, dir string) (string, string, error) {
	if _, err := os.Stat("/dev/kvm"); err != nil {
		return "qemu", "no /dev/kvm", nil
	}
	if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err != nil {
		return "qemu", fmt.Sprintf("/dev/kvm not usable: %v", err), nil
	} else {
		f.Close()
	}

	name := UniqueName("kmdetect-")
	dom, err := Create(l, Options{Name: name, Dir: dir, DomainType: "kvm", NoVNC: true, DataDiskMiB: 1})
	if err != nil {
		return "", "", err
	}
	defer func() {
		Remove(l, name, dir)
		// Nobody reads the throwaway guest's QEMU log after this.
		os.Remove(filepath.Join(qemuLogDir, name+".log"))
	}()

	logPath := SerialLogPath(dir, name)
	start := time.Now()
	if err := l.DomainCreate(dom); err != nil {
		var le libvirt.Error
		if errors.As(err, &le) {
			// libvirt refused or QEMU failed to start with KVM.
			return "qemu", "starting a KVM guest failed: " + oneLine(le.Message), nil
		}
		return "", "", fmt.Errorf("testguest: starting %s: %w", name, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), DetectTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		_, found, err := findReady(logPath, 0)
		if err != nil {
			return "", "", err
		}
		if found {
			return "kvm", fmt.Sprintf("guest booted under KVM in %.1fs", time.Since(start).Seconds()), nil
		}
		state, _, err := l.DomainGetState(dom, 0)
		if err != nil && !libvirt.IsNotFound(err) {
			return "", "", fmt.Errorf("testguest: state of %s: %w", name, err)
		}
		switch {
		case err != nil || libvirt.DomainState(state) == libvirt.DomainShutoff ||
			libvirt.DomainState(state) == libvirt.DomainCrashed:
			return "qemu", "guest crashed under KVM (domain stopped before it was ready)" + qemuLogHint(name), nil
		case libvirt.DomainState(state) == libvirt.DomainPaused:
			// Nobody paused it: QEMU stops a guest on a KVM internal error.
			return "qemu", "guest crashed under KVM (QEMU paused it before it was ready)" + qemuLogHint(name), nil
		}
		select {
		case <-ctx.Done():
			return "qemu", fmt.Sprintf("guest crashed or hung under KVM (not ready within %s)", DetectTimeout) + qemuLogHint(name), nil
		case <-tick.C:
		}
	}
}

// qemuLogHint returns ": <lines>" with the (at most two) lines of libvirt's
// QEMU log of the throwaway guest that tell why KVM failed, if there are any.
func qemuLogHint(name string) string {
	data, err := os.ReadFile(filepath.Join(qemuLogDir, name+".log"))
	if err != nil {
		return ""
	}
	var hints []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "KVM internal error") || strings.Contains(line, "emulation failure") ||
			strings.Contains(line, "qemu-system") && strings.Contains(line, "error") {
			hints = append(hints, oneLine(line))
			if len(hints) == 2 {
				break
			}
		}
	}
	if len(hints) == 0 {
		return ""
	}
	return ": " + strings.Join(hints, "; ")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
