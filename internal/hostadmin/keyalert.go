package hostadmin

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/audit"
	"github.com/kvm-manager/kvm-manager/internal/event"
	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// Audit actions of the key alerts.
const (
	ActionUntrusted  = "host.untrusted"
	ActionKeyChanged = "host.key_changed"
)

// AuditWriter records an entry (audit.Log).
type AuditWriter interface {
	Write(e audit.Entry) error
}

// KeyAlert is the payload of a host-key event: a host presented an SSH key
// that is not approved.
type KeyAlert struct {
	Host  string       `json:"host"`
	State host.State   `json:"state"` // untrusted or host_key_changed
	Key   host.HostKey `json:"hostKey"`
	Time  time.Time    `json:"time"`
}

// KeyAlerts is a host.Observer that records an audit entry and publishes a
// host-key event when a host's SSH key becomes untrusted or changes: once
// per key presented, not on every retry, and again after the host was
// connected in between.
type KeyAlerts struct {
	Audit     AuditWriter
	Publisher Publisher

	mu sync.Mutex
	// last is the fingerprint alerted per host since it was last
	// connected.
	last map[string]string
}

// Connected implements host.Observer.
func (*KeyAlerts) Connected(context.Context, *host.Host, virt.Conn) {}

// Lifecycle implements host.Observer.
func (*KeyAlerts) Lifecycle(*host.Host, host.LifecycleEvent) {}

// StateChanged implements host.Observer.
func (k *KeyAlerts) StateChanged(h *host.Host, s host.Status) {
	name := h.Name()
	if s.State == host.Connected {
		k.mu.Lock()
		delete(k.last, name)
		k.mu.Unlock()
		return
	}
	if (s.State != host.Untrusted && s.State != host.HostKeyChanged) || s.HostKey == nil {
		return
	}
	key := string(s.State) + " " + s.HostKey.Fingerprint
	k.mu.Lock()
	if k.last == nil {
		k.last = map[string]string{}
	}
	seen := k.last[name] == key
	k.last[name] = key
	k.mu.Unlock()
	if seen {
		return
	}
	now := time.Now()
	action, detail := ActionUntrusted, s.HostKey.Type+" "+s.HostKey.Fingerprint+" (not approved yet)"
	if s.State == host.HostKeyChanged {
		action = ActionKeyChanged
		detail = "new " + s.HostKey.Type + " " + s.HostKey.Fingerprint + ", approved before: " + strings.Join(s.HostKey.Known, ", ")
	}
	if k.Audit != nil {
		// The server itself saw it: no user, no client.
		_ = k.Audit.Write(audit.Entry{
			Time: now, User: "server", Client: "-", Action: action, Host: name,
			Result: audit.ResultDenied, Detail: detail,
		})
	}
	if k.Publisher != nil {
		k.Publisher.Publish(event.TypeHostKey, KeyAlert{Host: name, State: s.State, Key: *s.HostKey, Time: now})
	}
}
