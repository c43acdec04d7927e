package host

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/digitalocean/go-libvirt"
)

// nodeEvery is how often a connected host's free memory is read again.
// The other details change only with a new link.
const nodeEvery = 30 * time.Second

// Node is what a host's libvirt says about the computer it runs on, read
// when a link comes up and (free memory) every 30 s while it lasts. It
// stays in the status after the link is lost, with the time it was read.
type Node struct {
	// QEMUVersion is the hypervisor's version (virConnectGetVersion).
	QEMUVersion string `json:"qemuVersion,omitempty"`
	// CPUModel is the host CPU's vendor and model as libvirt names them
	// in its capabilities ("Intel Skylake-Client-IBRS"), else the
	// architecture.
	CPUModel string `json:"cpuModel,omitempty"`
	// CPUs is the number of active logical CPUs.
	CPUs        int    `json:"cpus"`
	MemoryBytes uint64 `json:"memoryBytes"`
	// MemoryFreeBytes is the memory the host's kernel reports free (not
	// counting its caches).
	MemoryFreeBytes uint64    `json:"memoryFreeBytes"`
	ReadAt          time.Time `json:"readAt"`
}

// nodeCaps is the part of libvirt's capabilities XML that names the CPU.
type nodeCaps struct {
	Host struct {
		CPU struct {
			Arch   string `xml:"arch"`
			Model  string `xml:"model"`
			Vendor string `xml:"vendor"`
		} `xml:"cpu"`
	} `xml:"host"`
}

// formatVersion turns libvirt's packed version number into "major.minor.micro".
func formatVersion(v uint64) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, (v/1000)%1000, v%1000)
}

// withTimeout runs f in its own goroutine and gives up waiting after d:
// a call on a link that stopped answering returns only when the heartbeat
// closes that link, and no reader of the status may wait that long.
func withTimeout[T any](ctx context.Context, d time.Duration, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() { v, err := f(); done <- result{v, err} }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, fmt.Errorf("libvirt gave no answer within %s", d)
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// readNode reads the node details of a new link, within timeout overall.
// Missing parts stay empty: a detail is never worth failing a link for.
func readNode(ctx context.Context, l *libvirt.Libvirt, timeout time.Duration) (*Node, error) {
	return withTimeout(ctx, timeout, func() (*Node, error) {
		n := &Node{ReadAt: time.Now().UTC()}
		if v, err := l.ConnectGetVersion(); err == nil && v > 0 {
			n.QEMUVersion = formatVersion(v)
		}
		model, mem, cpus, _, _, _, _, _, err := l.NodeGetInfo()
		if err != nil {
			return nil, fmt.Errorf("node info: %w", err)
		}
		n.CPUs, n.MemoryBytes = int(cpus), mem*1024 // libvirt says KiB
		arch := int8String(model[:])
		n.CPUModel = arch
		if capsXML, err := l.ConnectGetCapabilities(); err == nil {
			var c nodeCaps
			if xml.Unmarshal([]byte(capsXML), &c) == nil && c.Host.CPU.Model != "" {
				n.CPUModel = strings.TrimSpace(c.Host.CPU.Vendor + " " + c.Host.CPU.Model)
			}
		}
		if free, err := l.NodeGetFreeMemory(); err == nil {
			n.MemoryFreeBytes = free // bytes
		}
		return n, nil
	})
}

// readFreeMemory reads the host's free memory in bytes, within timeout.
func readFreeMemory(ctx context.Context, l *libvirt.Libvirt, timeout time.Duration) (uint64, error) {
	return withTimeout(ctx, timeout, func() (uint64, error) { return l.NodeGetFreeMemory() })
}

// int8String turns libvirt's NUL-terminated fixed char array into a string.
func int8String(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

// watchNode refreshes the free memory of a live link every nodeEvery
// until ctx ends.
func (h *Host) watchNode(ctx context.Context, l *libvirt.Libvirt) {
	t := time.NewTicker(nodeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		free, err := readFreeMemory(ctx, l, h.opts.CallTimeout)
		if err != nil {
			continue // the heartbeat decides whether the link is dead
		}
		h.mu.Lock()
		if h.status.Node != nil {
			n := *h.status.Node
			n.MemoryFreeBytes, n.ReadAt = free, time.Now().UTC()
			h.status.Node = &n
		}
		h.mu.Unlock()
	}
}
