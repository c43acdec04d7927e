// Package machine is the computer a libvirt host runs on, as the services
// need it beyond libvirt's own API: remove a file, read a file's size, run a
// program (qemu-img), open a stream to an address or a unix socket there (a
// VM's VNC server), and take a screenshot of a domain (virsh screenshot).
//
// Each host (package host) owns one Machine, chosen from its URI: a host
// reached over libvirt's local socket runs on this computer ([Local]); a
// host reached over TLS gives KVM Manager no shell on its computer, so its
// machine can do none of this ([Unsupported]), and says so with an error
// that wraps [ErrUnsupported], which the services turn into the same
// user-facing problems whatever the transport. A host reached over SSH
// (issue 14) gets a machine that does it all through its SSH client:
// sessions for Run, RemoveFile, Stat and Screenshot (with the programs run
// under LC_ALL=C and a shell's exit status 127 reported as
// [ErrNotInstalled]), direct-tcpip and direct-streamlocal channels for Dial.
// The interface is shaped so that the services need no change for it.
package machine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"time"
)

// Machine is the computer one libvirt host runs on. Its methods may be
// called concurrently. Paths and addresses are the machine's own: a path
// names a file on that computer, and "127.0.0.1:5900" its loopback.
type Machine interface {
	// Check reports whether the machine can do the work of capability c at
	// all: nil, or an error wrapping ErrUnsupported that says why not. It
	// does no work on the machine, so that a service can refuse a request
	// before it changes anything (check first, then run).
	Check(c Capability) error

	// Run runs a program and returns its standard output. The program
	// runs with LC_ALL=C, so that the messages callers match are in
	// English. ctx bounds its run time: when ctx ends the program is killed
	// and the error wraps ctx's error. A program that is not installed
	// fails with an error wrapping ErrNotInstalled; one that ran and failed
	// with an *ExitError carrying the start of its standard error; one that
	// prints more than the command's MaxOutput with an error wrapping
	// ErrOutputLimit.
	Run(ctx context.Context, cmd Command) ([]byte, error)

	// RemoveFile removes one file (not a directory tree). A file that does
	// not exist is not an error: the caller wanted it gone, and it is.
	RemoveFile(ctx context.Context, path string) error

	// Stat describes a file; a missing file's error wraps fs.ErrNotExist.
	Stat(ctx context.Context, path string) (fs.FileInfo, error)

	// Dial opens a stream to address on the machine's network: network is
	// "tcp" (address host:port, as the machine itself resolves it) or
	// "unix" (address a socket path on the machine). timeout bounds the
	// connect. There is no context on purpose: watching a cancellable
	// context costs every dial a goroutine handoff (tens of microseconds
	// on the console's setup path); callers check their context once Dial
	// returns, and the connection's deadlines bound what follows.
	Dial(network, address string, timeout time.Duration) (net.Conn, error)

	// Screenshot captures the first screen of a running domain (its name
	// or UUID) the way virsh screenshot does, on the machine, and returns
	// the image as libvirt wrote it (PPM or PNG, as QEMU chose). The bytes
	// may be empty: libvirt now and then hands out an empty image, and the
	// caller decides whether to try again. Errors are those of Run, for
	// the virsh program.
	Screenshot(ctx context.Context, domain string) ([]byte, error)
}

// Capability is a kind of work a machine may or may not be able to do.
type Capability int

// The capabilities, one per group of Machine methods.
const (
	Files       Capability = iota + 1 // RemoveFile, Stat
	Commands                          // Run
	Streams                           // Dial
	Screenshots                       // Screenshot
)

// String names the capability as messages use it.
func (c Capability) String() string {
	switch c {
	case Files:
		return "reaching files"
	case Commands:
		return "running programs"
	case Streams:
		return "opening connections"
	case Screenshots:
		return "taking screenshots"
	}
	return fmt.Sprintf("capability %d", int(c))
}

// Command is a program to run on a machine.
type Command struct {
	// Program is the program's name, looked up in the machine's PATH, or
	// its absolute path there.
	Program string
	// Args are its arguments, passed as they are (no shell).
	Args []string
	// MaxOutput caps the standard output kept, in bytes; a program that
	// prints more fails with ErrOutputLimit. 0 means DefaultMaxOutput.
	MaxOutput int
}

// DefaultMaxOutput is the output cap of a Command that sets none.
const DefaultMaxOutput = 1 << 20

// MaxStderr is how much of a failed program's standard error an ExitError
// keeps; the rest is dropped.
const MaxStderr = 4 << 10

// ErrUnsupported is wrapped by the errors of a machine that cannot do the
// work asked of it at all, such as running programs on a host reached over
// TLS. It is not errors.ErrUnsupported: the system's ENOTSUP and ENOSYS
// match that, and a file system that refuses one call is not a host
// without a shell.
var ErrUnsupported = errors.New("not possible on this host")

// ErrNotInstalled is wrapped by the error of Run (and Screenshot) when the
// program is not installed on the machine.
var ErrNotInstalled = errors.New("program not installed")

// ErrOutputLimit is wrapped by the error of Run when the program printed
// more than its command's MaxOutput.
var ErrOutputLimit = errors.New("program printed too much")

// UnsupportedError says why a machine cannot do some work. It matches
// ErrUnsupported with errors.Is.
type UnsupportedError struct {
	Capability Capability
	// Why says why not, as a clause that fits after "because".
	Why string
}

func (e *UnsupportedError) Error() string {
	return e.Capability.String() + " is not possible: " + e.Why
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// ExitError is a program that ran and failed: it exited with a status other
// than 0, or a signal ended it.
type ExitError struct {
	Program string
	// Code is the exit status, or -1 when a signal ended the program.
	Code int
	// Stderr is the start of its standard error (at most MaxStderr bytes),
	// with surrounding white space trimmed.
	Stderr string
}

// Error says which program failed, with the first 300 characters of what it
// said on one line, or its exit status when it said nothing.
func (e *ExitError) Error() string {
	if msg := Clip(e.Stderr, 300); msg != "" {
		return e.Program + ": " + msg
	}
	if e.Code < 0 {
		return e.Program + ": ended by a signal"
	}
	return fmt.Sprintf("%s: exit status %d", e.Program, e.Code)
}

// Clip returns s on one line (runs of white space made one space), cut to
// at most n bytes with "…" when longer, for messages shown to users.
func Clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// utf8Start reports whether b begins a UTF-8 sequence (is not a
// continuation byte), so that clipping never splits a character.
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// CappedBuffer is the output cap every Machine applies to a program's
// output: it keeps at most Limit bytes; past it a write fails (the program
// then dies of a broken pipe when it writes again), or, with Drop, the rest
// is silently discarded.
type CappedBuffer struct {
	Limit int
	Drop  bool
	buf   []byte
	over  bool
}

var errCapped = errors.New("output limit reached")

// Write implements io.Writer.
func (w *CappedBuffer) Write(p []byte) (int, error) {
	room := w.Limit - len(w.buf)
	if len(p) <= room {
		w.buf = append(w.buf, p...)
		return len(p), nil
	}
	w.buf = append(w.buf, p[:max(room, 0)]...)
	if w.Drop {
		return len(p), nil
	}
	w.over = true
	return 0, errCapped
}

// Bytes returns what was kept.
func (w *CappedBuffer) Bytes() []byte { return w.buf }

// Over reports whether a write failed for want of room (never with Drop).
func (w *CappedBuffer) Over() bool { return w.over }
