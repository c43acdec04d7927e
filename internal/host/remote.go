package host

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/kvm-manager/kvm-manager/internal/host/sshconn"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// Remote host states, besides the connection states.
const (
	// Untrusted: the host's SSH key is not in the known_hosts file; nothing
	// was sent beyond the key exchange. An admin approves the key.
	Untrusted State = "untrusted"
	// HostKeyChanged: the host presented a key other than the approved one;
	// it is blocked until an admin approves the new key.
	HostKeyChanged State = "host_key_changed"
)

// HostKey is the SSH host key a remote host presented, as shown to users.
type HostKey struct {
	Type        string `json:"type"`
	Fingerprint string `json:"fingerprint"`
	// Known are the fingerprints on file when the key changed.
	Known []string `json:"known,omitempty"`
}

// Default paths of libvirt's TLS client files (libvirt's own defaults).
const (
	DefaultCACert     = "/etc/pki/CA/cacert.pem"
	DefaultClientCert = "/etc/pki/libvirt/clientcert.pem"
	DefaultClientKey  = "/etc/pki/libvirt/private/clientkey.pem"
)

// sshOptions derives the SSH connection's options from a qemu+ssh URI and
// the data dir: libvirt's own URI parameters keyfile and known_hosts, the
// data dir's known_hosts file otherwise.
func sshOptions(u URI, dataDir string) (sshconn.Options, error) {
	port := u.Port
	if port == "" {
		port = "22"
	}
	login := u.User
	if login == "" {
		// libvirt's client logs in as the local user when the URI names none.
		cur, err := user.Current()
		if err != nil {
			return sshconn.Options{}, fmt.Errorf("the URI names no user and the local one is unknown: %w", err)
		}
		login = cur.Username
	}
	known := u.Query.Get("known_hosts")
	if known == "" {
		if dataDir == "" {
			return sshconn.Options{}, problem.New(problem.Invalid, "invalid_uri",
				"no known_hosts file for SSH host keys", "add ?known_hosts=PATH to the URI or give KVM Manager a data dir")
		}
		known = filepath.Join(dataDir, "known_hosts")
	}
	return sshconn.Options{
		Addr:              net.JoinHostPort(u.Host, port),
		User:              login,
		KeyFile:           u.Query.Get("keyfile"),
		KnownHosts:        known,
		KeepaliveInterval: 5 * time.Second,
		KeepaliveTimeout:  5 * time.Second,
	}, nil
}

// sshLink is a host's one SSH connection, dialled on first use and again
// after it dies; the libvirt links, extra stream links and the machine all
// share it.
type sshLink struct {
	opts    sshconn.Options
	timeout time.Duration

	mu  sync.Mutex
	cur *sshconn.Client
}

// get returns the live connection or dials a new one. Dials are serialized,
// so that concurrent callers never open a second connection.
func (s *sshLink) get(ctx context.Context) (*sshconn.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && s.cur.Err() == nil {
		return s.cur, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	c, err := sshconn.Dial(ctx, s.opts)
	if err != nil {
		return nil, err
	}
	s.cur = c
	return c, nil
}

// close closes the current connection, if any.
func (s *sshLink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		_ = s.cur.Close()
		s.cur = nil
	}
}

// sshDialer opens one libvirt link as a channel on the host's SSH
// connection: for /system a direct-streamlocal channel to the remote
// libvirt socket (no remote process at all), falling back to virt-ssh-helper
// when the sshd forbids stream forwarding; for /session virt-ssh-helper,
// because only it starts the user's session daemon when it is not running.
type sshDialer struct {
	link *sshLink
	uri  URI
}

func (d *sshDialer) Dial() (net.Conn, error) {
	c, err := d.link.get(context.Background())
	if err != nil {
		return nil, err
	}
	var conn net.Conn
	if d.uri.Path == "/system" {
		sock := d.uri.Query.Get("socket")
		if sock == "" {
			sock = DefaultSocket
		}
		conn, err = c.Dial("unix", sock)
		if err != nil && d.uri.Query.Get("socket") == "" {
			conn, err = d.helper(c)
		}
	} else {
		conn, err = d.helper(c)
	}
	if err != nil {
		return nil, err
	}
	return conn, nil
}

func (d *sshDialer) helper(c *sshconn.Client) (net.Conn, error) {
	e, err := c.Exec("virt-ssh-helper " + d.uri.Remote())
	if err != nil {
		return nil, err
	}
	return e, nil
}

// tlsFiles are the client certificate, key and CA of a qemu+tls URI:
// libvirt's pkipath parameter (a directory with cacert.pem, clientcert.pem
// and clientkey.pem) or libvirt's default paths.
func tlsFiles(u URI) (ca, cert, key string) {
	if dir := u.Query.Get("pkipath"); dir != "" {
		return filepath.Join(dir, "cacert.pem"), filepath.Join(dir, "clientcert.pem"), filepath.Join(dir, "clientkey.pem")
	}
	return DefaultCACert, DefaultClientCert, DefaultClientKey
}

// tlsConfig loads a qemu+tls URI's certificates.
func tlsConfig(u URI) (*tls.Config, error) {
	caFile, certFile, keyFile := tlsFiles(u)
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("TLS CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("TLS CA certificate %s holds no PEM certificate", caFile)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS client certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		RootCAs:      pool,
		Certificates: []tls.Certificate{pair},
		ServerName:   u.Host,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// tlsDialer opens one libvirt link over TLS.
type tlsDialer struct {
	uri     URI
	cfg     *tls.Config
	timeout time.Duration
}

func (d *tlsDialer) Dial() (net.Conn, error) {
	port := d.uri.Port
	if port == "" {
		port = "16514"
	}
	addr := net.JoinHostPort(d.uri.Host, port)
	td := tls.Dialer{NetDialer: &net.Dialer{Timeout: d.timeout}, Config: d.cfg}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	conn, err := td.DialContext(ctx, "tcp", addr)
	if err != nil {
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) {
			ca, _, _ := tlsFiles(d.uri)
			return nil, fmt.Errorf("the TLS certificate of %s is not signed by the CA in %s; give the host's CA with ?pkipath=DIR", addr, ca)
		}
		return nil, fmt.Errorf("TLS to %s: %w", addr, err)
	}
	// libvirtd checks the client's certificate after the handshake and
	// then sends one byte, 1 when it accepts it (libvirt's
	// virNetClientSetTLSSession reads the same byte).
	_ = conn.SetReadDeadline(time.Now().Add(d.timeout))
	var ok [1]byte
	if _, err := io.ReadFull(conn, ok[:]); err != nil || ok[0] != 1 {
		_ = conn.Close()
		if err == nil {
			err = fmt.Errorf("status byte %d", ok[0])
		}
		return nil, fmt.Errorf("libvirtd at %s did not accept our client certificate (check its tls_allowed_dn_list and CA): %w", addr, err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	return conn, nil
}

// checkRemoteParams refuses the URI parameters that would weaken trust.
func checkRemoteParams(u URI) error {
	if v := u.Query.Get("no_verify"); v != "" && v != "0" {
		return problem.New(problem.Invalid, "invalid_uri",
			fmt.Sprintf("libvirt URI %q: no_verify is not accepted", problem.Clip(u.Raw)),
			"remove no_verify: an admin approves a new host's key instead (it is shown as untrusted until then)")
	}
	if u.Transport == TransportSSH && strings.HasPrefix(u.Query.Get("keyfile"), "~") {
		return problem.New(problem.Invalid, "invalid_uri",
			fmt.Sprintf("libvirt URI %q: keyfile must be an absolute path", problem.Clip(u.Raw)), "write the key file's full path")
	}
	return nil
}

// pendingKey is the SSH host key a host presented and that is not approved
// yet, with whether it replaces a key on file.
type pendingKey struct {
	key     ssh.PublicKey
	changed bool
}

// Trust approves the SSH host key the host presented, which must have
// exactly the given fingerprint (SHA256:…, as Status shows it): the key is
// written to the host's known_hosts file (replacing the host's old lines
// when its key changed) and the host connects at once. It returns the
// approved key as shown to users.
func (h *Host) Trust(fingerprint string) (HostKey, error) {
	if h.ssh == nil {
		return HostKey{}, problem.New(problem.Invalid, "not_ssh_host",
			fmt.Sprintf("host %q is not reached over SSH, so it has no host key to approve", h.opts.Name), "")
	}
	h.trustMu.Lock()
	defer h.trustMu.Unlock()
	h.mu.Lock()
	p := h.pending
	h.mu.Unlock()
	if p == nil {
		return HostKey{}, problem.New(problem.Conflict, "no_pending_host_key",
			fmt.Sprintf("host %q has no SSH host key waiting for approval", h.opts.Name),
			"GET /api/v1/hosts shows a host's key when it is untrusted or its key changed")
	}
	got := ssh.FingerprintSHA256(p.key)
	if fingerprint != got {
		return HostKey{}, problem.New(problem.Conflict, "fingerprint_mismatch",
			fmt.Sprintf("host %q presents the SSH host key %s, not %s", h.opts.Name, got, problem.Clip(fingerprint)),
			"approve the fingerprint the host shows, after checking it on the host (ssh-keygen -lf)")
	}
	if p.changed {
		if err := sshconn.Forget(h.ssh.opts.KnownHosts, h.ssh.opts.Addr); err != nil {
			return HostKey{}, err
		}
	}
	if err := sshconn.Trust(h.ssh.opts.KnownHosts, h.ssh.opts.Addr, p.key); err != nil {
		return HostKey{}, err
	}
	h.mu.Lock()
	h.pending = nil
	h.mu.Unlock()
	h.log.Info("ssh host key approved", "key_type", p.key.Type(), "fingerprint", got, "replaced", p.changed)
	select {
	case h.wake <- struct{}{}:
	default:
	}
	return HostKey{Type: p.key.Type(), Fingerprint: got}, nil
}

// sleepOrWake waits d, or less when a host key was approved meanwhile.
func (h *Host) sleepOrWake(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-h.wake:
	}
	return true
}
