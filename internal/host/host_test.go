package host

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

// stateRecorder is an Observer that keeps every state it is told.
type stateRecorder struct {
	mu     sync.Mutex
	states []Status
}

func (r *stateRecorder) Connected(context.Context, *Host, virt.Conn) {}
func (r *stateRecorder) Lifecycle(*Host, LifecycleEvent)             {}
func (r *stateRecorder) StateChanged(_ *Host, s Status) {
	r.mu.Lock()
	r.states = append(r.states, s)
	r.mu.Unlock()
}

func (r *stateRecorder) wait(t *testing.T, state State) Status {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, s := range r.states {
			if s.State == state {
				r.mu.Unlock()
				return s
			}
		}
		r.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("state %s never reported; got %+v", state, r.states)
	return Status{}
}

func run(t *testing.T, opts Options) *stateRecorder {
	t.Helper()
	rec := &stateRecorder{}
	opts.Observers = []Observer{rec}
	opts.Name = "t"
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return rec
}

// A socket nobody listens on: the state goes to failed after FailAfter
// attempts, with a reason naming the socket.
func TestNoDaemonFails(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	rec := run(t, Options{URI: "qemu:///system?socket=" + sock, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, FailAfter: 3})
	s := rec.wait(t, Failed)
	if !strings.Contains(s.Error, sock) || s.NextRetry == nil {
		t.Fatalf("failed status = %+v", s)
	}
}

// A daemon that accepts but never answers must not hang the host: the dial
// times out and is retried.
func TestSilentDaemonTimesOut(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "silent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	rec := run(t, Options{URI: "qemu:///system?socket=" + sock, CallTimeout: 100 * time.Millisecond, MinBackoff: time.Millisecond, FailAfter: 2})
	s := rec.wait(t, Failed)
	if !strings.Contains(s.Error, "did not answer") {
		t.Fatalf("status = %+v", s)
	}
}

// A qemu+ssh host needs a known_hosts file: without a data dir and without
// the URI's known_hosts parameter it is refused at once, and no_verify is
// refused always.
func TestSSHHostNeedsKnownHosts(t *testing.T) {
	for _, tc := range []struct{ uri, dataDir, want string }{
		{"qemu+ssh://root@example.invalid/system", "", "no known_hosts file"},
		{"qemu+ssh://root@example.invalid/system?no_verify=1", t.TempDir(), "no_verify is not accepted"},
		{"qemu+tls://example.invalid/system?no_verify=1", "", "no_verify is not accepted"},
	} {
		_, err := New(Options{Name: "h", URI: tc.uri, DataDir: tc.dataDir})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%s) = %v, want an error saying %q", tc.uri, err, tc.want)
		}
	}
	if _, err := New(Options{Name: "h", URI: "qemu+ssh://root@example.invalid/system?known_hosts=/etc/ssh/ssh_known_hosts"}); err != nil {
		t.Errorf("known_hosts in the URI: %v", err)
	}
}
