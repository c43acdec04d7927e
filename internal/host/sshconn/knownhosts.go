package sshconn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// UntrustedError is a host whose key is not in the known_hosts file. The
// dial stopped after the key exchange: nothing else was sent.
type UntrustedError struct {
	Addr        string
	KeyType     string
	Fingerprint string // SHA256:…
	Key         ssh.PublicKey
}

func (e *UntrustedError) Error() string {
	return fmt.Sprintf("the SSH host key of %s is not trusted yet (%s %s)", e.Addr, e.KeyType, e.Fingerprint)
}

// KeyChangedError is a host that presented a key other than the one on
// file: possibly an attack, possibly a reinstalled host. The dial stopped
// after the key exchange.
type KeyChangedError struct {
	Addr        string
	KeyType     string
	Fingerprint string   // the key presented now
	Known       []string // fingerprints on file for this host
	Key         ssh.PublicKey
}

func (e *KeyChangedError) Error() string {
	return fmt.Sprintf("the SSH host key of %s changed: it presented %s %s, the known_hosts file has %v",
		e.Addr, e.KeyType, e.Fingerprint, e.Known)
}

// checker checks host keys against one known_hosts file as it was when the
// dial began.
type checker struct {
	path string
	cb   ssh.HostKeyCallback // nil: the file does not exist or is empty
	keys map[string][]ssh.PublicKey
}

func newChecker(path string) (*checker, error) {
	if path == "" {
		return nil, errors.New("no known_hosts file given: host keys must be checked")
	}
	c := &checker{path: path, keys: map[string][]ssh.PublicKey{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("known_hosts file: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return c, nil
	}
	c.cb, err = knownhosts.New(path)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file %s: %w", path, err)
	}
	// Remember the plain (not hashed) entries' keys by host, for the
	// algorithm preference.
	rest := b
	for len(rest) > 0 {
		marker, hosts, key, _, r, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			break
		}
		rest = r
		if marker != "" {
			continue
		}
		for _, h := range hosts {
			c.keys[h] = append(c.keys[h], key)
		}
	}
	return c, nil
}

func (c *checker) verify(addr string, remote net.Addr, key ssh.PublicKey) error {
	if c.cb == nil {
		return &UntrustedError{Addr: addr, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Key: key}
	}
	err := c.cb(knownhosts.Normalize(addr), remote, key)
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return &UntrustedError{Addr: addr, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Key: key}
	case errors.As(err, &ke):
		known := make([]string, 0, len(ke.Want))
		for _, w := range ke.Want {
			known = append(known, w.Key.Type()+" "+ssh.FingerprintSHA256(w.Key))
		}
		return &KeyChangedError{Addr: addr, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Known: known, Key: key}
	default:
		var re *knownhosts.RevokedError
		if errors.As(err, &re) {
			return fmt.Errorf("the SSH host key of %s is marked @revoked in %s", addr, c.path)
		}
		return err
	}
}

// algorithms lists the host key algorithms of the keys on file for addr,
// or nil (the defaults) when there are none.
func (c *checker) algorithms(addr string) []string {
	var out []string
	for _, k := range c.keys[knownhosts.Normalize(addr)] {
		switch t := k.Type(); t {
		case ssh.KeyAlgoRSA:
			out = append(out, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Trust adds key for addr to the known_hosts file at path (created with
// mode 0600 when missing), replacing nothing: an admin approved this exact
// key. A changed key's old line must be removed first (Forget). Callers
// serialize writes to one file.
func Trust(path, addr string, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("known_hosts file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("known_hosts file: %w", err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key) + "\n"
	if _, err := f.WriteString(line); err != nil {
		_ = f.Close()
		return fmt.Errorf("known_hosts file: %w", err)
	}
	return f.Close()
}

// Forget removes every plain line for addr from the known_hosts file at
// path, so that a changed key can be approved.
func Forget(path, addr string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("known_hosts file: %w", err)
	}
	host := knownhosts.Normalize(addr)
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		_, hosts, _, _, _, err := ssh.ParseKnownHosts(line)
		if err == nil && slices.Contains(hosts, host) {
			continue
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out.Bytes(), 0o600); err != nil {
		return fmt.Errorf("known_hosts file: %w", err)
	}
	return os.Rename(tmp, path)
}
