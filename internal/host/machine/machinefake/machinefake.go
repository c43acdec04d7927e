// Package machinefake is an in-memory machine.Machine for unit tests: files
// with their sizes, programs answered by functions, screenshots from a
// queue, and a call log, so that a test can assert what a service did on a
// host's computer (and what it did not do). It fails the way the real
// machines do, with errors wrapping machine.ErrNotInstalled,
// machine.ErrUnsupported or fs.ErrNotExist, so the services' error mapping
// runs unchanged.
package machinefake

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	pathpkg "path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host/machine"
)

// Program answers one run of a program: its standard output, or an error
// (a *machine.ExitError for a failed run).
type Program func(ctx context.Context, args []string) ([]byte, error)

// Machine is an in-memory machine. The zero value is not ready: use New.
type Machine struct {
	mu       sync.Mutex
	files    map[string]int64
	failing  map[string]error // path → error of RemoveFile
	programs map[string]Program
	screens  [][]byte
	screenE  error
	dial     func(network, address string) (net.Conn, error)
	why      string // not "" when nothing is possible
	calls    []string
}

var _ machine.Machine = (*Machine)(nil)

// New returns a machine that can do everything, with no files, no programs
// installed and no screen.
func New() *Machine {
	return &Machine{files: map[string]int64{}, failing: map[string]error{}, programs: map[string]Program{}}
}

// NewUnsupported returns a machine that can do nothing, as a host reached
// over TLS: every call fails with machine.ErrUnsupported saying why. Calls
// are logged all the same.
func NewUnsupported(why string) *Machine {
	m := New()
	m.why = why
	return m
}

// AddFile puts a file of size bytes at path.
func (m *Machine) AddFile(path string, size int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[path] = size
}

// HasFile reports whether path is there.
func (m *Machine) HasFile(path string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.files[path]
	return ok
}

// FailRemove makes RemoveFile of path fail with err.
func (m *Machine) FailRemove(path string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failing[path] = err
}

// Install makes a program runnable; run answers it.
func (m *Machine) Install(name string, run Program) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.programs[name] = run
}

// Screens queues the images that the next screenshots return, one each;
// once the queue is empty, screenshots fail with err, or return no bytes
// when err is nil.
func (m *Machine) Screens(err error, images ...[]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.screens = append(m.screens, images...)
	m.screenE = err
}

// OnDial makes Dial call fn.
func (m *Machine) OnDial(fn func(network, address string) (net.Conn, error)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dial = fn
}

// Calls returns the calls made, in order, as "RemoveFile /path",
// "Run qemu-img info ...", "Stat /path", "Dial tcp 127.0.0.1:5900",
// "Screenshot uuid" and "Check reaching files".
func (m *Machine) Calls() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// Called reports whether a call with exactly this text was made.
func (m *Machine) Called(call string) bool { return slices.Contains(m.Calls(), call) }

// begin logs a call and returns the error of an unsupported machine.
func (m *Machine) begin(c machine.Capability, call string) error {
	m.calls = append(m.calls, call)
	if m.why != "" {
		return &machine.UnsupportedError{Capability: c, Why: m.why}
	}
	return nil
}

// Check implements machine.Machine.
func (m *Machine) Check(c machine.Capability) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.begin(c, "Check "+c.String())
}

// Run implements machine.Machine: the installed program's function answers.
// Its output is held to the command's MaxOutput as the real machines do.
func (m *Machine) Run(ctx context.Context, c machine.Command) ([]byte, error) {
	m.mu.Lock()
	err := m.begin(machine.Commands, strings.Join(append([]string{"Run", c.Program}, c.Args...), " "))
	run := m.programs[c.Program]
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if run == nil {
		return nil, fmt.Errorf("%s: %w", c.Program, machine.ErrNotInstalled)
	}
	out, err := run(ctx, slices.Clone(c.Args))
	limit := c.MaxOutput
	if limit <= 0 {
		limit = machine.DefaultMaxOutput
	}
	if err == nil && len(out) > limit {
		return nil, fmt.Errorf("%s printed more than %d bytes: %w", c.Program, limit, machine.ErrOutputLimit)
	}
	return out, err
}

// RemoveFile implements machine.Machine.
func (m *Machine) RemoveFile(_ context.Context, path string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(machine.Files, "RemoveFile "+path); err != nil {
		return err
	}
	if err := m.failing[path]; err != nil {
		return err
	}
	delete(m.files, path)
	return nil
}

// Stat implements machine.Machine; only Name, Size and Mode (regular file)
// mean anything.
func (m *Machine) Stat(_ context.Context, path string) (fs.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(machine.Files, "Stat "+path); err != nil {
		return nil, err
	}
	size, ok := m.files[path]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: fs.ErrNotExist}
	}
	return fileInfo{name: pathpkg.Base(path), size: size}, nil
}

// Dial implements machine.Machine through the function given to OnDial.
func (m *Machine) Dial(network, address string, _ time.Duration) (net.Conn, error) {
	m.mu.Lock()
	err := m.begin(machine.Streams, "Dial "+network+" "+address)
	dial := m.dial
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if dial == nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	return dial(network, address)
}

// Screenshot implements machine.Machine from the queue given to Screens.
func (m *Machine) Screenshot(ctx context.Context, domain string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.begin(machine.Screenshots, "Screenshot "+domain); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("virsh did not finish: %w", err)
	}
	if len(m.screens) > 0 {
		img := m.screens[0]
		m.screens = m.screens[1:]
		return img, nil
	}
	return nil, m.screenE
}

// fileInfo is a fake regular file.
type fileInfo struct {
	name string
	size int64
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return 0o600 }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return false }
func (f fileInfo) Sys() any           { return nil }
