//go:build integration

package integration

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// freezer forwards loopback TCP connections to a target and can freeze
// them: while frozen, no byte moves either way and no connection is
// closed, so the far end looks alive at the TCP level and silent above it,
// as a hung host or a black-holing network does. No firewall needed.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	thaw   chan struct{}
	conns  []net.Conn
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target, thaw: make(chan struct{})}
	close(f.thaw)
	go f.accept()
	t.Cleanup(f.close)
	return f
}

func (f *freezer) port() string { return strconv.Itoa(f.ln.Addr().(*net.TCPAddr).Port) }

func (f *freezer) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, u)
		f.mu.Unlock()
		go f.pipe(c, u)
		go f.pipe(u, c)
	}
}

// pipe copies src to dst, holding each piece while frozen.
func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			thaw := f.thaw
			f.mu.Unlock()
			<-thaw
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.frozen {
		f.frozen, f.thaw = true, make(chan struct{})
	}
}

func (f *freezer) unfreeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		f.frozen = false
		close(f.thaw)
	}
}

func (f *freezer) close() {
	f.unfreeze()
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

// listTimes lists the VMs of every host and of host "local" n times and
// returns the slowest answer; it fails the test on an error.
func listTimes(t *testing.T, s *testrig.Server, n int) time.Duration {
	t.Helper()
	var worst time.Duration
	for i := 0; i < n; i++ {
		for _, p := range []string{"/api/v1/vms", "/api/v1/vms?host=local", "/api/v1/hosts"} {
			t0 := time.Now()
			st, b, err := s.Do(context.Background(), "GET", p, nil)
			d := time.Since(t0)
			if err != nil || st != 200 {
				t.Fatalf("GET %s while a host is silent: %d %v %s", p, st, err, b)
			}
			worst = max(worst, d)
		}
	}
	return worst
}

// TestRemoteSilentHost: a host whose connection goes silent (bytes stop,
// nothing closes) is marked down within the keepalive time, and one that
// accepts TCP and never says anything never connects; meanwhile the VM list
// and the host list answer at once, and the local host stays connected.
// When the path thaws, the host comes back by itself.
func TestRemoteSilentHost(t *testing.T) {
	env := setupRemote(t)
	fz := newFreezer(t, "127.0.0.1:"+env.SSHPort)
	known := filepath.Join(t.TempDir(), "known_hosts")
	q := "?keyfile=" + env.Key + "&known_hosts=" + known
	viaFreezer := "qemu+ssh://kvmtest@127.0.0.1:" + fz.port() + "/session" + q

	// A host that accepts TCP and then says nothing at all.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var muteConns []net.Conn
	var muteMu sync.Mutex
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			muteMu.Lock()
			muteConns = append(muteConns, c)
			muteMu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		mute.Close()
		muteMu.Lock()
		for _, c := range muteConns {
			c.Close()
		}
		muteMu.Unlock()
	})
	mutePort := strconv.Itoa(mute.Addr().(*net.TCPAddr).Port)

	s := startWithHosts(t, "local=qemu:///system", "frozen="+viaFreezer,
		"mute=qemu+ssh://kvmtest@127.0.0.1:"+mutePort+"/session"+q)
	h := waitHost(t, s, "frozen", "untrusted", 20*time.Second)
	if st, b, _ := s.Do(context.Background(), "POST", "/api/v1/hosts/frozen/trust", map[string]string{"fingerprint": h.HostKey.Fingerprint}); st != 200 {
		t.Fatalf("trust: %d %s", st, b)
	}
	waitHost(t, s, "frozen", "connected", 20*time.Second)
	waitHost(t, s, "local", "connected", 20*time.Second)

	// The mute host never gets past the SSH version exchange.
	waitFor(t, 20*time.Second, "the mute host to report an error", func() bool {
		m := hostStatus(t, s, "mute")
		return m.State != "connected" && m.Error != ""
	})
	t.Logf("mute host: %+v", hostStatus(t, s, "mute"))
	worst := listTimes(t, s, 5)
	t.Logf("slowest list answer with a mute host: %s", worst)

	fz.freeze()
	frozeAt := time.Now()
	// Keepalives every 5 s with 5 s to answer: down within 10 s; 25 s is
	// the bound this test allows a loaded machine.
	var down hostJSON
	deadline := time.Now().Add(25 * time.Second)
	for {
		down = hostStatus(t, s, "frozen")
		if down.State != "connected" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the frozen host still shows connected %s after its connection went silent", time.Since(frozeAt))
		}
		if d := listTimes(t, s, 1); d > worst {
			worst = d
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("frozen host marked %s after %s: %s", down.State, time.Since(frozeAt).Round(time.Millisecond), down.Error)
	if d := listTimes(t, s, 3); d > worst {
		worst = d
	}
	t.Logf("slowest list answer while hosts were silent: %s", worst)
	// Generous on purpose (a shared 2-core machine): what it catches is a
	// list that waits for a silent host's call timeout (5 s and more).
	if worst > 3*time.Second {
		t.Errorf("a list took %s while a host was silent", worst)
	}
	if lh := hostStatus(t, s, "local"); lh.State != "connected" {
		t.Errorf("the local host is %s while another host is silent", lh.State)
	}

	fz.unfreeze()
	back := time.Now()
	waitHost(t, s, "frozen", "connected", 30*time.Second)
	t.Logf("connected again %s after the path thawed", time.Since(back).Round(time.Millisecond))
}

// TestRemoteSessionDaemonKilled: kill -9 of kvmtest's session libvirtd
// makes the host reconnect; virt-ssh-helper starts the daemon again on
// the next dial, and the host lists its VM again. The local host is not
// disturbed.
func TestRemoteSessionDaemonKilled(t *testing.T) {
	env := setupRemote(t)
	_, uuid := sessionGuest(t)
	s := startWithHosts(t, "local=qemu:///system", "remote="+env.sshURI(env.User, "/session", env.KnownHosts))
	waitHost(t, s, "remote", "connected", 20*time.Second)
	waitFor(t, 15*time.Second, "the remote host to list the session VM", func() bool { return hasVM(listVMs(t, s, "remote"), uuid) })
	events := fltEvents(t, s)

	out, err := exec.Command("pgrep", "-u", "kvmtest", "-x", "libvirtd").Output()
	pids := strings.Fields(string(out))
	if err != nil || len(pids) == 0 {
		t.Fatalf("kvmtest's session libvirtd is not running: %v %q", err, out)
	}
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !os.IsNotExist(err) {
			t.Fatalf("kill -9 %d: %v", pid, err)
		}
	}
	killed := time.Now()
	waitEvent(t, events.C, 15*time.Second, "the remote host to leave connected", func(ev sseEvent) bool {
		return ev.Type == "host" && strings.Contains(string(ev.Data), `"name":"remote"`) && !strings.Contains(string(ev.Data), `"state":"connected"`)
	})
	t.Logf("remote host down %s after kill -9 of its session daemon", time.Since(killed).Round(time.Millisecond))
	waitHost(t, s, "remote", "connected", 15*time.Second)
	t.Logf("remote host connected again %s after the kill", time.Since(killed).Round(time.Millisecond))
	waitFor(t, 15*time.Second, "the remote host to list the session VM again", func() bool { return hasVM(listVMs(t, s, "remote"), uuid) })
	if lh := hostStatus(t, s, "local"); lh.State != "connected" {
		t.Errorf("the local host is %s", lh.State)
	}
	if n := sshdConns(t, s.PID(), env.SSHPort); n != 1 {
		t.Errorf("%d TCP connections to sshd after the reconnect, want 1", n)
	}
}
