package sshconn

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/kvm-manager/kvm-manager/internal/host/machine"
)

// ClientFunc returns the host's live SSH connection, dialling it when there
// is none; every caller gets the same one while it is up.
type ClientFunc func(ctx context.Context) (*Client, error)

// Machine is the computer of a host reached over SSH: package machine's
// seam, done through the host's one SSH connection (session channels for
// commands, direct-tcpip and direct-streamlocal channels for Dial).
type Machine struct {
	client ClientFunc
	uri    string // the libvirt URI on the remote side, for virsh
	// MaxScreenshot caps a screenshot's size (default 256 MiB).
	maxScreenshot int
}

var _ machine.Machine = (*Machine)(nil)

// NewMachine returns the machine reached through client; uri is the libvirt
// URI that virsh uses there (qemu:///system or qemu:///session).
func NewMachine(client ClientFunc, uri string) *Machine {
	return &Machine{client: client, uri: uri, maxScreenshot: 256 << 20}
}

// Check implements machine.Machine: a shell can do everything.
func (*Machine) Check(machine.Capability) error { return nil }

// quote quotes s for a POSIX shell.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellLine is a Command as one line for the remote shell.
func shellLine(c machine.Command) string {
	var b strings.Builder
	b.WriteString("LC_ALL=C exec ")
	b.WriteString(quote(c.Program))
	for _, a := range c.Args {
		b.WriteByte(' ')
		b.WriteString(quote(a))
	}
	return b.String()
}

// Run implements machine.Machine on a session channel.
func (m *Machine) Run(ctx context.Context, c machine.Command) ([]byte, error) {
	limit := c.MaxOutput
	if limit <= 0 {
		limit = machine.DefaultMaxOutput
	}
	return m.run(ctx, c.Program, shellLine(c), limit)
}

func (m *Machine) run(ctx context.Context, program, line string, limit int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s did not start: %w", program, err)
	}
	cl, err := m.client(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", program, err)
	}
	s, err := cl.Session()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", program, err)
	}
	defer s.Close()
	stdout := &machine.CappedBuffer{Limit: limit}
	stderr := &machine.CappedBuffer{Limit: machine.MaxStderr, Drop: true}
	s.Stdout, s.Stderr = stdout, stderr
	stop := context.AfterFunc(ctx, func() { _ = s.Signal(ssh.SIGKILL); _ = s.Close() })
	err = s.Run(line)
	stop()
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), nil
	case stdout.Over():
		return nil, fmt.Errorf("%s printed more than %d bytes: %w", program, limit, machine.ErrOutputLimit)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s did not finish: %w", program, ctx.Err())
	case errors.As(err, &ee) && ee.ExitStatus() == 127:
		return nil, fmt.Errorf("%s: %w", program, machine.ErrNotInstalled)
	case errors.As(err, &ee):
		code := ee.ExitStatus()
		if ee.Signal() != "" {
			code = -1
		}
		return nil, &machine.ExitError{Program: program, Code: code, Stderr: strings.TrimSpace(string(stderr.Bytes()))}
	}
	return nil, fmt.Errorf("%s: %w", program, err)
}

// RemoveFile implements machine.Machine with rm -f (which refuses a
// directory and is content with a missing file).
func (m *Machine) RemoveFile(ctx context.Context, path string) error {
	_, err := m.Run(ctx, machine.Command{Program: "rm", Args: []string{"-f", "--", path}})
	return err
}

// Stat implements machine.Machine with stat(1).
func (m *Machine) Stat(ctx context.Context, path string) (fs.FileInfo, error) {
	out, err := m.Run(ctx, machine.Command{Program: "stat", Args: []string{"-L", "-c", "%s %f %Y", "--", path}, MaxOutput: 256})
	var ee *machine.ExitError
	if errors.As(err, &ee) && strings.Contains(ee.Stderr, "No such file") {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, err
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		return nil, fmt.Errorf("stat %s: unexpected output %q", path, machine.Clip(string(out), 100))
	}
	size, err1 := strconv.ParseInt(f[0], 10, 64)
	raw, err2 := strconv.ParseUint(f[1], 16, 32)
	mtime, err3 := strconv.ParseInt(f[2], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	return fileInfo{name: path[strings.LastIndexByte(path, '/')+1:], size: size, mode: unixMode(uint32(raw)), mtime: time.Unix(mtime, 0)}, nil
}

// unixMode turns st_mode into an fs.FileMode.
func unixMode(raw uint32) fs.FileMode {
	m := fs.FileMode(raw & 0o777)
	switch raw & 0o170000 {
	case 0o040000:
		m |= fs.ModeDir
	case 0o120000:
		m |= fs.ModeSymlink
	case 0o060000:
		m |= fs.ModeDevice
	case 0o020000:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case 0o010000:
		m |= fs.ModeNamedPipe
	case 0o140000:
		m |= fs.ModeSocket
	}
	return m
}

type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return f.mtime }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

// Dial implements machine.Machine with a channel on the host's SSH
// connection: the connection is to the address as the remote host sees it.
// timeout bounds getting the SSH connection; opening the channel is one
// round trip on it.
func (m *Machine) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cl, err := m.client(ctx)
	if err != nil {
		return nil, err
	}
	return cl.Dial(network, address)
}

// Screenshot implements machine.Machine: virsh screenshot on the remote
// host into a fresh temporary directory there, printed and removed.
func (m *Machine) Screenshot(ctx context.Context, domain string) ([]byte, error) {
	line := "d=$(mktemp -d) || exit 1; trap 'rm -rf \"$d\"' EXIT; " +
		"LC_ALL=C virsh --quiet --connect " + quote(m.uri) + " screenshot --domain " + quote(domain) +
		" --file \"$d/screen\" --screen 0 >/dev/null || exit $?; cat \"$d/screen\""
	return m.run(ctx, "virsh", line, m.maxScreenshot)
}
