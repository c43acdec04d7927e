// Package sshconn is KVM Manager's SSH transport to a remote host (issue
// 14): one SSH connection per host (golang.org/x/crypto/ssh, no ssh
// binary), multiplexed. The libvirt RPC, extra libvirt links for streams,
// consoles (direct-tcpip and direct-streamlocal channels) and the commands
// of the host's machine (session channels) all share it.
//
// Host keys are checked against a known_hosts file before anything else is
// sent: an unknown key fails the dial with an *UntrustedError, a key other
// than the one on file with a *KeyChangedError. Nothing is ever accepted
// silently; trusting a key means writing it to the known_hosts file
// (Trust), which an admin does.
//
// Keepalives (keepalive@openssh.com requests) find a dead peer: a request
// unanswered for KeepaliveTimeout closes the connection, so a host that
// vanishes is noticed within KeepaliveInterval+KeepaliveTimeout (10 s by
// default).
package sshconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Options configures one SSH connection.
type Options struct {
	// Addr is host:port of the sshd.
	Addr string
	// User is the login name.
	User string
	// KeyFile is a private key file (unencrypted). Empty: use the SSH agent
	// at SSH_AUTH_SOCK.
	KeyFile string
	// KnownHosts is the known_hosts file that host keys are checked
	// against. It need not exist yet (then every key is unknown).
	KnownHosts string
	// Timeout bounds the TCP connect and the SSH handshake (default 10 s).
	Timeout time.Duration
	// KeepaliveInterval is the time between keepalives (default 5 s) and
	// KeepaliveTimeout how long one may go unanswered (default 5 s).
	KeepaliveInterval, KeepaliveTimeout time.Duration
	// AgentSocket overrides SSH_AUTH_SOCK (for tests).
	AgentSocket string
}

// Client is one live SSH connection. Its methods may be called
// concurrently.
type Client struct {
	ssh  *ssh.Client
	conn net.Conn
	key  ssh.PublicKey

	done      chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	err       error
}

// Dial connects, checks the host key and authenticates.
func Dial(ctx context.Context, opts Options) (*Client, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.KeepaliveInterval == 0 {
		opts.KeepaliveInterval = 5 * time.Second
	}
	if opts.KeepaliveTimeout == 0 {
		opts.KeepaliveTimeout = 5 * time.Second
	}
	auth, closeAuth, err := authMethods(opts)
	if err != nil {
		return nil, err
	}
	defer closeAuth()
	check, err := newChecker(opts.KnownHosts)
	if err != nil {
		return nil, err
	}
	var seen ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: opts.User,
		Auth: auth,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			seen = key
			return check.verify(opts.Addr, remote, key)
		},
		// Prefer the key types already on file for this host, so that a
		// host with an approved ed25519 key is not reported "changed"
		// because it offered RSA first.
		HostKeyAlgorithms: check.algorithms(opts.Addr),
		Timeout:           opts.Timeout,
	}
	d := net.Dialer{Timeout: opts.Timeout}
	conn, err := d.DialContext(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot reach sshd at %s: %w", opts.Addr, err)
	}
	conn = quickAck(conn)
	deadline := time.Now().Add(opts.Timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	cc, chans, reqs, err := ssh.NewClientConn(conn, opts.Addr, cfg)
	stop()
	if err != nil {
		_ = conn.Close()
		var ue *UntrustedError
		var ke *KeyChangedError
		if errors.As(err, &ue) || errors.As(err, &ke) {
			return nil, errors.Unwrap(err) // x/crypto wraps it as "ssh: handshake failed: …"
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ssh to %s: %w", opts.Addr, ctx.Err())
		}
		return nil, fmt.Errorf("ssh to %s@%s: %w", opts.User, opts.Addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	c := &Client{ssh: ssh.NewClient(cc, chans, reqs), conn: conn, key: seen, done: make(chan struct{})}
	go func() {
		err := c.ssh.Wait()
		c.fail(fmt.Errorf("ssh connection to %s closed: %w", opts.Addr, errOrEOF(err)))
	}()
	go c.keepalive(opts.KeepaliveInterval, opts.KeepaliveTimeout)
	return c, nil
}

func errOrEOF(err error) error {
	if err == nil {
		return io.EOF
	}
	return err
}

// authMethods returns the key file's signer or the agent's keys.
func authMethods(opts Options) ([]ssh.AuthMethod, func(), error) {
	if opts.KeyFile != "" {
		s, err := LoadKey(opts.KeyFile)
		if err != nil {
			return nil, nil, err
		}
		return []ssh.AuthMethod{ssh.PublicKeys(s)}, func() {}, nil
	}
	sock := opts.AgentSocket
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock == "" {
		return nil, nil, errors.New("no key file given (URI parameter keyfile) and no SSH agent (SSH_AUTH_SOCK is not set)")
	}
	ac, err := net.Dial("unix", sock)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach the SSH agent at %s: %w", sock, err)
	}
	return []ssh.AuthMethod{ssh.PublicKeysCallback(agent.NewClient(ac).Signers)}, func() { _ = ac.Close() }, nil
}

// LoadKey reads an unencrypted private key file. A key file that others
// may read is refused, as ssh itself refuses it.
func LoadKey(path string) (ssh.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("SSH key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("SSH key file %s is readable by others (mode %04o); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("SSH key file: %w", err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		var pp *ssh.PassphraseMissingError
		if errors.As(err, &pp) {
			return nil, fmt.Errorf("SSH key file %s is protected by a passphrase; load it into an SSH agent instead", path)
		}
		return nil, fmt.Errorf("SSH key file %s: %w", path, err)
	}
	return s, nil
}

// keepalive sends keepalive@openssh.com requests and closes the connection
// when one goes unanswered for timeout.
func (c *Client) keepalive(every, timeout time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		answered := make(chan error, 1)
		go func() {
			_, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil)
			answered <- err
		}()
		timer := time.NewTimer(timeout)
		select {
		case <-c.done:
			timer.Stop()
			return
		case err := <-answered:
			timer.Stop()
			if err != nil {
				c.fail(fmt.Errorf("ssh keepalive failed: %w", err))
				return
			}
		case <-timer.C:
			c.fail(fmt.Errorf("the host did not answer an ssh keepalive within %s", timeout))
			return
		}
	}
}

// fail closes the connection once, remembering why.
func (c *Client) fail(err error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
		_ = c.ssh.Close()
		_ = c.conn.Close()
	})
}

// Close closes the connection and every channel on it.
func (c *Client) Close() error {
	c.fail(errors.New("ssh connection closed"))
	return nil
}

// Done is closed when the connection is gone; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err says why the connection ended, or nil while it is up.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// HostKey is the key the host presented.
func (c *Client) HostKey() ssh.PublicKey { return c.key }

// LocalAddr is the local end of the TCP connection to sshd.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Dial opens a channel to address on the remote side: network "tcp"
// (direct-tcpip, address host:port) or "unix" (direct-streamlocal, address
// a socket path). Its deadlines close the channel when they pass (see
// deadlineConn); it is closed when the SSH connection closes.
func (c *Client) Dial(network, address string) (net.Conn, error) {
	if network != "tcp" && network != "unix" {
		return nil, fmt.Errorf("ssh: cannot dial network %q", network)
	}
	conn, err := c.ssh.Dial(network, address)
	if err != nil {
		return nil, fmt.Errorf("ssh channel to %s %s: %w", network, address, err)
	}
	return &deadlineConn{Conn: conn}, nil
}

// Exec runs command on the remote side (through its login shell, as ssh
// does) and returns a stream joined to its standard input and output; its
// standard error is kept (at most 4 KiB) for Stderr. Closing the stream
// ends the session. It is how virt-ssh-helper is run.
func (c *Client) Exec(command string) (*ExecConn, error) {
	s, err := c.ssh.NewSession()
	if err != nil {
		return nil, fmt.Errorf("ssh session: %w", err)
	}
	in, err := s.StdinPipe()
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	out, err := s.StdoutPipe()
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	e := &ExecConn{s: s, in: in, out: out, local: c.conn.LocalAddr(), remote: c.conn.RemoteAddr()}
	s.Stderr = &e.stderr
	if err := s.Start(command); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("ssh: starting %q: %w", command, err)
	}
	return e, nil
}

// Session opens a plain session channel, for callers that run one command
// and wait for it (package machine's SSH implementation).
func (c *Client) Session() (*ssh.Session, error) {
	s, err := c.ssh.NewSession()
	if err != nil {
		return nil, fmt.Errorf("ssh session: %w", err)
	}
	return s, nil
}

// ExecConn is a remote command's standard input and output as a net.Conn.
type ExecConn struct {
	s             *ssh.Session
	in            io.WriteCloser
	out           io.Reader
	stderr        capBuffer
	local, remote net.Addr
	once          sync.Once
}

var _ net.Conn = (*ExecConn)(nil)

func (e *ExecConn) Read(p []byte) (int, error)  { return e.out.Read(p) }
func (e *ExecConn) Write(p []byte) (int, error) { return e.in.Write(p) }

// Close ends the session.
func (e *ExecConn) Close() error {
	e.once.Do(func() { _ = e.in.Close(); _ = e.s.Close() })
	return nil
}

// Stderr is the start of what the command wrote to its standard error.
func (e *ExecConn) Stderr() string { return strings.TrimSpace(e.stderr.String()) }

// LocalAddr implements net.Conn.
func (e *ExecConn) LocalAddr() net.Addr { return e.local }

// RemoteAddr implements net.Conn.
func (e *ExecConn) RemoteAddr() net.Addr { return e.remote }

// SetDeadline implements net.Conn; deadlines are not supported on SSH
// channels and are ignored (the link's heartbeat bounds calls instead).
func (e *ExecConn) SetDeadline(time.Time) error { return nil }

// SetReadDeadline implements net.Conn (ignored, see SetDeadline).
func (e *ExecConn) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline implements net.Conn (ignored, see SetDeadline).
func (e *ExecConn) SetWriteDeadline(time.Time) error { return nil }

// capBuffer keeps the first 4 KiB written to it.
type capBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 4<<10 - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *capBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
