//go:build integration

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/host"
	"github.com/kvm-manager/kvm-manager/internal/host/machine"
	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// remoteEnv is what scripts/setup-remote.sh set up: a loopback sshd with
// its own host key, a test key pair, user kvmtest with qemu:///session, and
// libvirtd listening for TLS on loopback.
type remoteEnv struct {
	Dir, SSHPort, TLSPort, Key, KnownHosts, User string
}

func setupRemote(t *testing.T) remoteEnv {
	t.Helper()
	out, err := exec.Command(filepath.Join(testrig.ModuleRoot(), "scripts/setup-remote.sh"), "--tls").Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("scripts/setup-remote.sh: %v: %s", err, stderr)
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	return remoteEnv{kv["KVM_TEST_REMOTE_DIR"], kv["KVM_TEST_SSH_PORT"], kv["KVM_TEST_TLS_PORT"],
		kv["KVM_TEST_SSH_KEY"], kv["KVM_TEST_SSH_KNOWN_HOSTS"], kv["KVM_TEST_SSH_USER"]}
}

// sshURI is a qemu+ssh URI to the test sshd.
func (e remoteEnv) sshURI(user, path, knownHosts string) string {
	q := url.Values{"keyfile": {e.Key}, "known_hosts": {knownHosts}}
	return fmt.Sprintf("qemu+ssh://%s@127.0.0.1:%s%s?%s", user, e.SSHPort, path, q.Encode())
}

// asKvmtest runs virsh against kvmtest's session daemon, as kvmtest.
func asKvmtest(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("runuser", append([]string{"-u", "kvmtest", "--", "virsh", "-q", "-c", "qemu:///session"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh (kvmtest) %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// sessionGuest defines a (not running) guest in kvmtest's session daemon
// and undefines it when the test ends.
func sessionGuest(t *testing.T) (name, uuid string) {
	t.Helper()
	name = testguest.UniqueName("kmremote-")
	xml := fmt.Sprintf(`<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os></domain>`, name)
	// A file kvmtest can read: the test's own temporary directory is not.
	f, err := os.CreateTemp("", "kmremote-*.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(xml)
	if err := errors.Join(err, f.Chmod(0o644), f.Close()); err != nil {
		t.Fatal(err)
	}
	asKvmtest(t, "define", f.Name())
	t.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "kvmtest", "--", "virsh", "-q", "-c", "qemu:///session", "undefine", name).Run()
	})
	return name, asKvmtest(t, "domuuid", name)
}

type hostJSON struct {
	Name, State, Error string
	HostKey            *struct {
		Type, Fingerprint string
		Known             []string
	} `json:"hostKey"`
}

func hostStatus(t *testing.T, s *testrig.Server, name string) hostJSON {
	t.Helper()
	st, b, err := s.Do(context.Background(), "GET", "/api/v1/hosts", nil)
	if err != nil || st != 200 {
		t.Fatalf("GET /api/v1/hosts: %d %v %s", st, err, b)
	}
	var out struct{ Hosts []hostJSON }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for _, h := range out.Hosts {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("host %q not listed: %s", name, b)
	return hostJSON{}
}

func waitHost(t *testing.T, s *testrig.Server, name, state string, within time.Duration) hostJSON {
	t.Helper()
	var h hostJSON
	deadline := time.Now().Add(within)
	for {
		h = hostStatus(t, s, name)
		if h.State == state {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("host %q is %q (%s), not %q after %s; log:\n%s", name, h.State, h.Error, state, within, s.LogTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func startWithHosts(t *testing.T, hosts ...string) *testrig.Server {
	t.Helper()
	args := []string{"--stats-interval", "1s"}
	for _, h := range hosts {
		args = append(args, "--host", h)
	}
	s, err := testrig.Start(serverBin, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = s.Stop()
		if t.Failed() {
			t.Log(s.LogTail(40))
		}
		s.Close()
	})
	return s
}

func listVMs(t *testing.T, s *testrig.Server, host string) []vmJSON {
	t.Helper()
	st, b, err := s.Do(context.Background(), "GET", "/api/v1/vms?host="+host, nil)
	if err != nil || st != 200 {
		t.Fatalf("GET /api/v1/vms: %d %v %s", st, err, b)
	}
	var out struct{ VMs []vmJSON }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out.VMs
}

func hasVM(vms []vmJSON, uuid string) bool {
	for _, v := range vms {
		if v.UUID == uuid {
			return true
		}
	}
	return false
}

// sshdConns counts the server's TCP connections to the test sshd, from
// /proc: the sockets among the process's file descriptors whose entry in
// /proc/net/tcp has the sshd's port as remote port.
func sshdConns(t *testing.T, pid int, port string) int {
	t.Helper()
	p, _ := strconv.Atoi(port)
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		_, rport, _ := strings.Cut(f[2], ":")
		if rp, err := strconv.ParseInt(rport, 16, 32); err == nil && int(rp) == p && f[3] == "01" && inodes[f[9]] {
			n++
		}
	}
	return n
}

// TestRemoteSSHSession: a second host, kvmtest's own qemu:///session reached
// over SSH, lists its own VMs next to the local host's; the server holds
// exactly one TCP connection to sshd for it, also after extra libvirt links
// and machine commands; kill -9 of sshd makes it reconnecting and it comes
// back once sshd is back.
func TestRemoteSSHSession(t *testing.T) {
	env := setupRemote(t)
	name, uuid := sessionGuest(t)
	s := startWithHosts(t, "local=qemu:///system", "remote="+env.sshURI(env.User, "/session", env.KnownHosts))
	waitHost(t, s, "remote", "connected", 20*time.Second)
	waitHost(t, s, "local", "connected", 20*time.Second)

	var remote []vmJSON
	waitFor(t, 10*time.Second, "the remote host to list "+name, func() bool {
		remote = listVMs(t, s, "remote")
		return hasVM(remote, uuid)
	})
	for _, v := range remote {
		if v.Host != "remote" {
			t.Errorf("VM %s listed under host %q, want remote", v.UUID, v.Host)
		}
	}
	if hasVM(listVMs(t, s, "local"), uuid) {
		t.Errorf("the session guest %s is listed on the local host too", uuid)
	}
	if n := sshdConns(t, s.PID(), env.SSHPort); n != 1 {
		t.Errorf("%d TCP connections to sshd, want exactly 1", n)
	}

	// kill -9 of sshd: the listener and the process serving our
	// connection (its child). The host must notice (keepalives or the
	// closed connection) and say reconnecting, then come back.
	pidFile := filepath.Join(env.Dir, "ssh", "sshd.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	master, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// Every process of this sshd: the listener, each connection's monitor
	// and its unprivileged child that holds the socket after login.
	tree := []int{master}
	for i := 0; i < len(tree) && i < 1000; i++ {
		tree = append(tree, childPIDs(tree[i])...)
	}
	for _, p := range tree {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	killed := time.Now()
	h := waitHost(t, s, "remote", "reconnecting", 15*time.Second)
	t.Logf("%s after kill -9 of sshd: %s (%s)", time.Since(killed).Round(time.Millisecond), h.State, h.Error)
	if lh := hostStatus(t, s, "local"); lh.State != "connected" {
		t.Errorf("local host is %s while the remote one is down", lh.State)
	}
	_ = os.Remove(pidFile)
	setupRemote(t) // starts sshd again
	back := time.Now()
	waitHost(t, s, "remote", "connected", 15*time.Second)
	t.Logf("connected %s after sshd was back", time.Since(back).Round(time.Millisecond))
	if !hasVM(listVMs(t, s, "remote"), uuid) {
		t.Errorf("after the reconnect the remote host does not list %s", uuid)
	}
	if n := sshdConns(t, s.PID(), env.SSHPort); n != 1 {
		t.Errorf("after the reconnect: %d TCP connections to sshd, want exactly 1", n)
	}
}

// childPIDs lists the processes whose parent is pid.
func childPIDs(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so cut after ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, c)
		}
	}
	return out
}

// TestRemoteSSHSystem: the system daemon reached as root over SSH (a
// direct-streamlocal channel to its socket) lists the same VMs as the
// local socket.
func TestRemoteSSHSystem(t *testing.T) {
	env := setupRemote(t)
	l := lv(t)
	g := defineGuest(t, l, "kmremote-", testguest.Options{})
	s := startWithHosts(t, "viassh="+env.sshURI("root", "/system", env.KnownHosts))
	waitHost(t, s, "viassh", "connected", 20*time.Second)
	waitFor(t, 10*time.Second, "the host over ssh to list "+g.Name, func() bool {
		return hasVM(listVMs(t, s, "viassh"), g.UUID)
	})
}

// TestRemoteSSHHostKeys: a key that is not in the known_hosts file makes the
// host untrusted, with the key's type and fingerprint, and a key other than
// the one on file blocks it with both fingerprints. Neither connects.
func TestRemoteSSHHostKeys(t *testing.T) {
	env := setupRemote(t)
	pub, err := os.ReadFile(filepath.Join(env.Dir, "ssh", "host_ed25519_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", filepath.Join(env.Dir, "ssh", "host_ed25519_key.pub")).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(out))[1] // "256 SHA256:… comment (ED25519)"

	dir := t.TempDir()
	empty := filepath.Join(dir, "empty_known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Another key for the same host and port: the test's client key.
	other, err := os.ReadFile(env.Key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(dir, "changed_known_hosts")
	f := strings.Fields(string(other))
	if err := os.WriteFile(changed, []byte(fmt.Sprintf("[127.0.0.1]:%s %s %s\n", env.SSHPort, f[0], f[1])), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = pub
	s := startWithHosts(t, "unknown="+env.sshURI(env.User, "/session", empty),
		"changed="+env.sshURI(env.User, "/session", changed),
		"missing="+env.sshURI(env.User, "/session", filepath.Join(dir, "none")))
	for _, name := range []string{"unknown", "missing"} {
		h := waitHost(t, s, name, "untrusted", 20*time.Second)
		if h.HostKey == nil || h.HostKey.Type != "ssh-ed25519" || h.HostKey.Fingerprint != want {
			t.Errorf("%s: host key %+v, want ssh-ed25519 %s", name, h.HostKey, want)
		}
	}
	h := waitHost(t, s, "changed", "host_key_changed", 20*time.Second)
	if h.HostKey == nil || h.HostKey.Fingerprint != want || len(h.HostKey.Known) != 1 || !strings.Contains(h.HostKey.Known[0], "SHA256:") {
		t.Errorf("changed: host key %+v, want the new fingerprint %s and the one on file", h.HostKey, want)
	}
	if b, _ := os.ReadFile(empty); len(b) != 0 {
		t.Errorf("the known_hosts file was written without approval: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "none")); err == nil {
		t.Error("a known_hosts file was created without approval")
	}
	_ = pub

	// Approval through the API: a fingerprint other than the one shown is
	// refused; the right one writes the key and the host connects.
	trust := func(name, fp string) (int, string) {
		st, b, err := s.Do(context.Background(), "POST", "/api/v1/hosts/"+name+"/trust", map[string]string{"fingerprint": fp})
		if err != nil {
			t.Fatal(err)
		}
		return st, string(b)
	}
	if st, b := trust("unknown", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); st != 409 || !strings.Contains(b, "fingerprint_mismatch") {
		t.Errorf("trust with a wrong fingerprint: %d %s, want 409 fingerprint_mismatch", st, b)
	}
	if b, _ := os.ReadFile(empty); len(b) != 0 {
		t.Errorf("a refused approval wrote the known_hosts file: %q", b)
	}
	if st, b := trust("unknown", want); st != 200 {
		t.Fatalf("trust: %d %s", st, b)
	}
	waitHost(t, s, "unknown", "connected", 20*time.Second)
	if b, _ := os.ReadFile(empty); !strings.Contains(string(b), "[127.0.0.1]:"+env.SSHPort+" ssh-ed25519 ") {
		t.Errorf("known_hosts after approval: %q", b)
	}
	if st, b := trust("unknown", want); st != 409 || !strings.Contains(b, "no_pending_host_key") {
		t.Errorf("trust of a connected host: %d %s, want 409 no_pending_host_key", st, b)
	}
	// A changed key: approving the new one replaces the old line.
	if st, b := trust("changed", want); st != 200 {
		t.Fatalf("trust of the changed key: %d %s", st, b)
	}
	waitHost(t, s, "changed", "connected", 20*time.Second)
	if b, _ := os.ReadFile(changed); strings.Contains(string(b), f[1]) || strings.Count(string(b), "\n") != 1 {
		t.Errorf("known_hosts after approving a changed key: %q, want only the new key", b)
	}
	st, b, err := s.Do(context.Background(), "GET", "/api/v1/audit", nil)
	if err != nil || st != 200 || strings.Count(string(b), `"host.trust"`) < 3 {
		t.Errorf("audit log: %d %v, want 3 host.trust entries: %.600s", st, err, b)
	}
}

// TestRemoteTLS: libvirtd's TLS listener with the test's client
// certificate lists the system daemon's VMs; a client whose CA is not the
// server's is refused with an error that names the CA file.
func TestRemoteTLS(t *testing.T) {
	env := setupRemote(t)
	l := lv(t)
	g := defineGuest(t, l, "kmremote-", testguest.Options{})
	good := fmt.Sprintf("qemu+tls://127.0.0.1:%s/system?pkipath=%s", env.TLSPort, url.QueryEscape(filepath.Join(env.Dir, "tls", "client")))
	bad := fmt.Sprintf("qemu+tls://127.0.0.1:%s/system?pkipath=%s", env.TLSPort, url.QueryEscape(filepath.Join(env.Dir, "tls", "wrongca")))
	s := startWithHosts(t, "tls="+good, "wrongca="+bad)
	waitHost(t, s, "tls", "connected", 20*time.Second)
	waitFor(t, 10*time.Second, "the TLS host to list "+g.Name, func() bool {
		return hasVM(listVMs(t, s, "tls"), g.UUID)
	})
	var h hostJSON
	waitFor(t, 20*time.Second, "the wrong-CA host to fail", func() bool {
		h = hostStatus(t, s, "wrongca")
		return h.Error != ""
	})
	if h.State == "connected" || !strings.Contains(h.Error, "not signed by the CA in "+filepath.Join(env.Dir, "tls", "wrongca", "cacert.pem")) {
		t.Errorf("wrong CA: %s, %q; want refused, naming the CA file", h.State, h.Error)
	}
}

// TestRemoteSSHMachine: the machine of a qemu+ssh host (package machine's
// seam over the host's SSH connection) runs programs, stats and removes
// files and dials unix sockets on the remote side, all over the one TCP
// connection that also carries the libvirt link.
func TestRemoteSSHMachine(t *testing.T) {
	env := setupRemote(t)
	h, err := host.New(host.Options{Name: "m", URI: env.sshURI(env.User, "/session", env.KnownHosts)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 20*time.Second, "the host to connect", func() bool { return h.Status().State == host.Connected })
	m := h.Machine()
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()

	out, err := m.Run(rctx, machine.Command{Program: "id", Args: []string{"-un"}})
	if err != nil || strings.TrimSpace(string(out)) != env.User {
		t.Errorf("Run id -un = %q, %v; want %s", out, err, env.User)
	}
	if _, err := m.Run(rctx, machine.Command{Program: "no-such-program-kvm"}); !errors.Is(err, machine.ErrNotInstalled) {
		t.Errorf("Run of a missing program: %v, want ErrNotInstalled", err)
	}
	var ee *machine.ExitError
	if _, err := m.Run(rctx, machine.Command{Program: "sh", Args: []string{"-c", "echo oops >&2; exit 3"}}); !errors.As(err, &ee) || ee.Code != 3 || ee.Stderr != "oops" {
		t.Errorf("Run of a failing program: %v, want exit 3 saying oops", err)
	}
	if _, err := m.Run(rctx, machine.Command{Program: "head", Args: []string{"-c", "5000", "/dev/zero"}, MaxOutput: 100}); !errors.Is(err, machine.ErrOutputLimit) {
		t.Errorf("Run printing too much: %v, want ErrOutputLimit", err)
	}
	// A file with a name that needs quoting, made and removed remotely.
	path := "/tmp/kmremote it's " + testguest.UniqueName("f")
	if _, err := m.Run(rctx, machine.Command{Program: "sh", Args: []string{"-c", `printf 12345 > "$1"`, "sh", path}}); err != nil {
		t.Fatal(err)
	}
	fi, err := m.Stat(rctx, path)
	if err != nil || fi.Size() != 5 || !fi.Mode().IsRegular() {
		t.Errorf("Stat = %v, %v; want a 5-byte file", fi, err)
	}
	if err := m.RemoveFile(rctx, path); err != nil {
		t.Error(err)
	}
	if _, err := m.Stat(rctx, path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat after RemoveFile: %v, want not exist", err)
	}
	if err := m.RemoveFile(rctx, path); err != nil {
		t.Errorf("RemoveFile of a missing file: %v", err)
	}
	// Dial the remote sshd's own listener through the tunnel.
	c, err := m.Dial("tcp", "127.0.0.1:"+env.SSHPort, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	banner := make([]byte, 4)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, banner); err != nil || string(banner) != "SSH-" {
		t.Errorf("banner through direct-tcpip: %q %v", banner, err)
	}
	_ = c.Close()
	if n := sshdConns(t, os.Getpid(), env.SSHPort); n != 1 {
		t.Errorf("%d TCP connections from this process to sshd (besides the tunnelled one), want 1", n)
	}
}
