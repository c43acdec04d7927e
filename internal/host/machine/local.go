package machine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// LocalOptions configures the local machine.
type LocalOptions struct {
	// URI is the libvirt URI that virsh connects to for screenshots: the
	// host's own URI, as configured.
	URI string
	// Virsh is the virsh program (default "virsh").
	Virsh string
	// MaxScreenshot caps the size of a screenshot file (default 256 MiB:
	// an 8K screen as PPM is 100 MiB).
	MaxScreenshot int64
	// WaitDelay is how long Run waits, once the program was killed or has
	// exited, for children that still hold its output open (default 1 s).
	WaitDelay time.Duration
}

// Local is the computer KVM Manager runs on: the machine of a host reached
// over libvirt's local socket. It can do everything.
type Local struct {
	opts LocalOptions
}

var _ Machine = (*Local)(nil)

// NewLocal returns the local machine.
func NewLocal(opts LocalOptions) *Local {
	if opts.Virsh == "" {
		opts.Virsh = "virsh"
	}
	if opts.MaxScreenshot == 0 {
		opts.MaxScreenshot = 256 << 20
	}
	if opts.WaitDelay == 0 {
		opts.WaitDelay = time.Second
	}
	return &Local{opts: opts}
}

// Check implements Machine: this computer can do everything.
func (*Local) Check(Capability) error { return nil }

// Run implements Machine with os/exec.
func (l *Local) Run(ctx context.Context, c Command) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s did not start: %w", c.Program, err)
	}
	limit := c.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	cmd := exec.CommandContext(ctx, c.Program, c.Args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.WaitDelay = l.opts.WaitDelay
	stdout := &CappedBuffer{Limit: limit}
	stderr := &CappedBuffer{Limit: MaxStderr, Drop: true}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	switch {
	case err == nil:
		return stdout.Bytes(), nil
	case errors.Is(err, exec.ErrNotFound) || (cmd.Process == nil && errors.Is(err, fs.ErrNotExist)):
		// Not in PATH, or an absolute path that is not there.
		return nil, fmt.Errorf("%s: %w", c.Program, ErrNotInstalled)
	case stdout.Over():
		return nil, fmt.Errorf("%s printed more than %d bytes: %w", c.Program, limit, ErrOutputLimit)
	case ctx.Err() != nil:
		// Killed because ctx ended: Wait reports "signal: killed", which
		// says less than the context's own error.
		return nil, fmt.Errorf("%s did not finish: %w", c.Program, ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil, &ExitError{Program: c.Program, Code: ee.ExitCode(), Stderr: strings.TrimSpace(string(stderr.Bytes()))}
	}
	return nil, fmt.Errorf("%s: %w", c.Program, err)
}

// RemoveFile implements Machine with os.Remove.
func (*Local) RemoveFile(_ context.Context, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Stat implements Machine with os.Stat.
func (*Local) Stat(_ context.Context, path string) (fs.FileInfo, error) {
	return os.Stat(path)
}

// Dial implements Machine with a plain net.Dialer (see Machine.Dial for why
// not DialContext).
func (*Local) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.Dial(network, address)
}

// Screenshot implements Machine: virsh --connect URI screenshot writes the
// image to a file in a fresh temporary directory, which is read and
// removed.
func (l *Local) Screenshot(ctx context.Context, domain string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "kvm-manager-screenshot-")
	if err != nil {
		return nil, fmt.Errorf("screenshot temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "screen")
	_, err = l.Run(ctx, Command{Program: l.opts.Virsh, Args: []string{
		"--quiet", "--connect", l.opts.URI, "screenshot", "--domain", domain, "--file", file, "--screen", "0",
	}})
	if err != nil {
		return nil, err
	}
	return readFile(file, l.opts.MaxScreenshot)
}

// readFile reads a file of at most limit bytes.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read screenshot: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read screenshot: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the screenshot is larger than %d bytes: %w", limit, ErrOutputLimit)
	}
	return data, nil
}
