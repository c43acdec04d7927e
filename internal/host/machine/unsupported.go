package machine

import (
	"context"
	"io/fs"
	"net"
	"time"
)

// Unsupported is the machine of a host whose computer KVM Manager cannot
// reach beyond libvirt (a host reached over TLS has no shell for us): every
// method fails with an *UnsupportedError, which wraps ErrUnsupported.
type Unsupported struct {
	// Why says why, as a clause that fits after "because" (for example
	// `host "far" is reached over TLS, which gives KVM Manager no shell there`).
	Why string
}

var _ Machine = Unsupported{}

func (u Unsupported) err(c Capability) error { return &UnsupportedError{Capability: c, Why: u.Why} }

// Check implements Machine: nothing is possible.
func (u Unsupported) Check(c Capability) error { return u.err(c) }

// Run implements Machine.
func (u Unsupported) Run(context.Context, Command) ([]byte, error) { return nil, u.err(Commands) }

// RemoveFile implements Machine.
func (u Unsupported) RemoveFile(context.Context, string) error { return u.err(Files) }

// Stat implements Machine.
func (u Unsupported) Stat(context.Context, string) (fs.FileInfo, error) { return nil, u.err(Files) }

// Dial implements Machine.
func (u Unsupported) Dial(string, string, time.Duration) (net.Conn, error) {
	return nil, u.err(Streams)
}

// Screenshot implements Machine.
func (u Unsupported) Screenshot(context.Context, string) ([]byte, error) {
	return nil, u.err(Screenshots)
}
