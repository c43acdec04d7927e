package host

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/ssh"

	"github.com/kvm-manager/kvm-manager/internal/host/sshconn"
)

// ProbeResult is what one connection attempt to a host found.
type ProbeResult struct {
	// OK reports whether libvirt answered.
	OK bool `json:"ok"`
	// State is connected, untrusted, host_key_changed or failed.
	State State  `json:"state"`
	Error string `json:"error,omitempty"`
	// HostKey is the SSH key presented by an untrusted host or one whose
	// key changed, or the approved key of a host reached over SSH.
	HostKey        *HostKey `json:"hostKey,omitempty"`
	Hostname       string   `json:"hostname,omitempty"`
	LibvirtVersion string   `json:"libvirtVersion,omitempty"`
}

// Probe connects once, asks libvirt for its version and host name, and
// closes everything it opened. It is the "test connection" of a host that
// is not running (Run must not run at the same time). An unknown or changed
// SSH host key ends it after the key exchange, as in Run, with the key in
// the result. Each step is bounded by the host's CallTimeout; ctx ends it
// sooner.
func (h *Host) Probe(ctx context.Context) ProbeResult {
	done := make(chan ProbeResult, 1)
	go func() { done <- h.probe() }()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
		// The attempt is bounded by CallTimeout; close what it opens
		// once it returns.
		go func() {
			<-done
			if h.ssh != nil {
				h.ssh.close()
			}
		}()
		return ProbeResult{State: Failed, Error: fmt.Sprintf("the test was stopped: %v", ctx.Err())}
	}
}

func (h *Host) probe() ProbeResult {
	if h.ssh != nil {
		defer h.ssh.close()
	}
	l, conn, err := h.dial()
	if err != nil {
		var ue *sshconn.UntrustedError
		var ke *sshconn.KeyChangedError
		switch {
		case errors.As(err, &ue):
			return ProbeResult{State: Untrusted, Error: ue.Error() + "; an admin must approve this fingerprint",
				HostKey: &HostKey{Type: ue.KeyType, Fingerprint: ue.Fingerprint}}
		case errors.As(err, &ke):
			return ProbeResult{State: HostKeyChanged, Error: ke.Error(),
				HostKey: &HostKey{Type: ke.KeyType, Fingerprint: ke.Fingerprint, Known: ke.Known}}
		}
		return ProbeResult{State: Failed, Error: describeDialError(h.uri, err)}
	}
	defer conn.Close()
	r := ProbeResult{OK: true, State: Connected}
	r.Hostname, _ = l.ConnectGetHostname()
	if v, err := l.ConnectGetLibVersion(); err == nil {
		r.LibvirtVersion = fmt.Sprintf("%d.%d.%d", v/1000000, (v/1000)%1000, v%1000)
	}
	r.HostKey = h.sshKey()
	return r
}

// sshKey returns the key of the live SSH connection, or nil.
func (h *Host) sshKey() *HostKey {
	if h.ssh == nil {
		return nil
	}
	h.ssh.mu.Lock()
	c := h.ssh.cur
	h.ssh.mu.Unlock()
	if c == nil || c.HostKey() == nil {
		return nil
	}
	k := c.HostKey()
	return &HostKey{Type: k.Type(), Fingerprint: ssh.FingerprintSHA256(k)}
}
