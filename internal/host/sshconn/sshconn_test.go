package sshconn

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// testServer is an in-process SSH server on loopback (x/crypto/ssh's own
// server side) that counts authentication attempts, so that a test can tell
// whether anything was sent after the key exchange.
type testServer struct {
	addr     string
	silent   atomic.Bool // stop answering requests (a hung host)
	hostKey  ssh.Signer
	authSeen atomic.Int32
}

func newKey(t *testing.T) (ssh.Signer, []byte) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, pem.EncodeToMemory(block)
}

func startServer(t *testing.T, hostKey ssh.Signer, client ssh.PublicKey) *testServer {
	t.Helper()
	ts := &testServer{hostKey: hostKey}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			ts.authSeen.Add(1)
			if string(k.Marshal()) == string(client.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	cfg.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	ts.addr = ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_, chans, reqs, err := ssh.NewServerConn(c, cfg)
				if err != nil {
					_ = c.Close()
					return
				}
				go func() {
					for r := range reqs {
						for ts.silent.Load() {
							time.Sleep(10 * time.Millisecond)
						}
						if r.WantReply {
							_ = r.Reply(r.Type == "keepalive@openssh.com", nil)
						}
					}
				}()
				for ch := range chans {
					_ = ch.Reject(ssh.Prohibited, "no channels in this test")
				}
			}()
		}
	}()
	return ts
}

func writeKey(t *testing.T, pemBytes []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "id")
	if err := os.WriteFile(p, pemBytes, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHostKeys(t *testing.T) {
	hostKey, _ := newKey(t)
	clientKey, clientPEM := newKey(t)
	ts := startServer(t, hostKey, clientKey.PublicKey())
	keyFile := writeKey(t, clientPEM, 0o600)
	known := filepath.Join(t.TempDir(), "known_hosts")
	opts := Options{Addr: ts.addr, User: "u", KeyFile: keyFile, KnownHosts: known, Timeout: 5 * time.Second}
	ctx := context.Background()
	want := ssh.FingerprintSHA256(hostKey.PublicKey())

	// Unknown (no file at all): untrusted, with type and fingerprint, and
	// no authentication attempted; the file is not created.
	_, err := Dial(ctx, opts)
	var ue *UntrustedError
	if !errors.As(err, &ue) || ue.Fingerprint != want || ue.KeyType != ssh.KeyAlgoED25519 {
		t.Fatalf("Dial with no known_hosts = %v, want untrusted %s", err, want)
	}
	if n := ts.authSeen.Load(); n != 0 {
		t.Errorf("%d authentication attempts to an untrusted host, want 0", n)
	}
	if _, err := os.Stat(known); err == nil {
		t.Error("known_hosts file created without approval")
	}

	// Approved: connects.
	if err := Trust(known, ts.addr, ue.Key); err != nil {
		t.Fatal(err)
	}
	c, err := Dial(ctx, opts)
	if err != nil {
		t.Fatalf("Dial after Trust: %v", err)
	}
	if ssh.FingerprintSHA256(c.HostKey()) != want {
		t.Errorf("HostKey = %s", ssh.FingerprintSHA256(c.HostKey()))
	}
	_ = c.Close()
	<-c.Done()
	if c.Err() == nil {
		t.Error("Err after Close is nil")
	}

	// Another key on file for the host: changed, both fingerprints, no auth.
	before := ts.authSeen.Load()
	other, _ := newKey(t)
	if err := Forget(known, ts.addr); err != nil {
		t.Fatal(err)
	}
	if err := Trust(known, ts.addr, other.PublicKey()); err != nil {
		t.Fatal(err)
	}
	_, err = Dial(ctx, opts)
	var ke *KeyChangedError
	if !errors.As(err, &ke) || ke.Fingerprint != want || len(ke.Known) != 1 || !strings.Contains(ke.Known[0], ssh.FingerprintSHA256(other.PublicKey())) {
		t.Fatalf("Dial with another key on file = %v, want key changed from %s to %s", err, ssh.FingerprintSHA256(other.PublicKey()), want)
	}
	if n := ts.authSeen.Load(); n != before {
		t.Errorf("%d authentication attempts to a host whose key changed, want 0", n-before)
	}

	// A key on file for another port of the same address does not count.
	other2 := filepath.Join(t.TempDir(), "known_hosts")
	host, _, _ := net.SplitHostPort(ts.addr)
	if err := Trust(other2, net.JoinHostPort(host, "1"), hostKey.PublicKey()); err != nil {
		t.Fatal(err)
	}
	opts.KnownHosts = other2
	if _, err := Dial(ctx, opts); !errors.As(err, &ue) {
		t.Errorf("key on file for another port: %v, want untrusted", err)
	}
}

func TestNoKnownHostsRefused(t *testing.T) {
	_, pemBytes := newKey(t)
	_, err := Dial(context.Background(), Options{Addr: "127.0.0.1:1", User: "u", KeyFile: writeKey(t, pemBytes, 0o600)})
	if err == nil || !strings.Contains(err.Error(), "known_hosts") {
		t.Fatalf("Dial without known_hosts = %v", err)
	}
}

func TestLoadKey(t *testing.T) {
	_, pemBytes := newKey(t)
	if _, err := LoadKey(writeKey(t, pemBytes, 0o644)); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("world-readable key: %v", err)
	}
	if _, err := LoadKey(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("missing key file accepted")
	}
	if _, err := LoadKey(writeKey(t, pemBytes, 0o600)); err != nil {
		t.Errorf("good key: %v", err)
	}
	if _, err := LoadKey(writeKey(t, []byte("not a key"), 0o600)); err == nil {
		t.Error("garbage accepted as a key")
	}
}

func TestNoAgent(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	_, err := Dial(context.Background(), Options{Addr: "127.0.0.1:1", User: "u", KnownHosts: "/dev/null"})
	if err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") {
		t.Fatalf("Dial without key or agent = %v", err)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"virsh":           "virsh",
		"/var/lib/a.img":  "/var/lib/a.img",
		"":                "''",
		"a b":             "'a b'",
		"it's":            `'it'\''s'`,
		"$(rm -rf /)":     "'$(rm -rf /)'",
		"qemu:///session": "qemu:///session",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// A host that stops answering is closed by the keepalives.
func TestKeepaliveClosesHungConnection(t *testing.T) {
	hostKey, _ := newKey(t)
	clientKey, clientPEM := newKey(t)
	ts := startServer(t, hostKey, clientKey.PublicKey())
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := Trust(known, ts.addr, hostKey.PublicKey()); err != nil {
		t.Fatal(err)
	}
	c, err := Dial(context.Background(), Options{Addr: ts.addr, User: "u", KeyFile: writeKey(t, clientPEM, 0o600), KnownHosts: known,
		KeepaliveInterval: 20 * time.Millisecond, KeepaliveTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts.silent.Store(true)
	t.Cleanup(func() { ts.silent.Store(false) })
	<-c.Done() // the test's own timeout bounds this
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "keepalive") {
		t.Errorf("Err = %v, want a keepalive failure", err)
	}
}
