//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

// TestHostsAPI adds kvmtest's session daemon over SSH through the API, as
// the Hosts page does, and checks the whole round: a connection test that
// shows the untrusted key, bad input refused with nothing saved, the host
// untrusted with an audit entry and a host-key event, approval, its VMs
// listed, the host kept over a restart, a configured host not removable,
// and removal closing its one SSH connection and dropping its VMs.
func TestHostsAPI(t *testing.T) {
	env := setupRemote(t)
	name, uuid := sessionGuest(t)
	fp := hostKeyFingerprint(t, env)
	// An empty known_hosts of the test's own, so that the key starts
	// unknown whatever other tests approved.
	known := filepath.Join(t.TempDir(), "known_hosts")
	uri := env.sshURI("kvmtest", "/session", known)

	s := startWithHosts(t, "local=qemu:///system")
	ctx := context.Background()
	events := fltEvents(t, s)

	// Test before adding: the key is shown, nothing is saved.
	st, b, err := s.Do(ctx, "POST", "/api/v1/hosts/test", map[string]string{"uri": uri})
	if err != nil || st != 200 {
		t.Fatalf("test: %d %v %s", st, err, b)
	}
	var probe struct {
		OK      bool
		State   string
		HostKey struct{ Type, Fingerprint string }
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		t.Fatal(err)
	}
	if probe.OK || probe.State != "untrusted" || probe.HostKey.Fingerprint != fp {
		t.Fatalf("test of an unknown key: %s, want untrusted with %s", b, fp)
	}

	// Bad input: each refused with its code, nothing saved.
	loose := filepath.Join(t.TempDir(), "id_loose")
	keyData, err := os.ReadFile(env.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(loose, keyData, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		body any
		code string
	}{
		{map[string]string{"name": "remote", "uri": "qemu+ssh://kvmtest@127.0.0.1:" + env.SSHPort + "/session?keyfile=" + loose}, "key_file_unsafe"},
		{map[string]string{"name": "remote", "uri": "qemu+ssh://kvmtest@127.0.0.1:" + env.SSHPort + "/session?keyfile=/nonexistent/key"}, "key_file_invalid"},
		{map[string]string{"name": "remote", "uri": "qemu+ftp://127.0.0.1/system"}, "invalid_uri"},
		{map[string]string{"name": "remote", "uri": "qemu+ssh://[::1/system"}, "invalid_uri"},
		{map[string]string{"name": "remote", "uri": "not a uri"}, "invalid_uri"},
		{map[string]string{"name": "remote", "uri": "qemu+ssh://h/system?no_verify=1"}, "invalid_uri"},
		{map[string]string{"name": "../x", "uri": uri}, "invalid_host_name"},
		{map[string]string{"name": "local", "uri": uri}, "duplicate_host"},
		{map[string]string{"name": "remote", "uri": strings.Repeat("x", 9000)}, "body_too_large"},
	} {
		st, b, _ := s.Do(ctx, "POST", "/api/v1/hosts", c.body)
		if errCode(b) != c.code || st < 400 {
			t.Errorf("POST /api/v1/hosts %v: %d %s, want %s", c.body, st, b, c.code)
		}
	}
	if _, err := os.Stat(filepath.Join(s.DataDir(), "hosts.json")); !os.IsNotExist(err) {
		t.Errorf("hosts.json exists after refusals only: %v", err)
	}
	st, b, _ = s.Do(ctx, "DELETE", "/api/v1/hosts/local", nil)
	if st != 409 || errCode(b) != "host_from_config" {
		t.Errorf("DELETE of the configured host: %d %s", st, b)
	}

	// Add: untrusted, audited, announced.
	st, b, err = s.Do(ctx, "POST", "/api/v1/hosts", map[string]string{"name": "remote", "uri": uri})
	if err != nil || st != 201 {
		t.Fatalf("add: %d %v %s", st, err, b)
	}
	h := waitHost(t, s, "remote", "untrusted", 20*time.Second)
	if h.HostKey == nil || h.HostKey.Fingerprint != fp {
		t.Fatalf("untrusted host shows %+v, want %s", h.HostKey, fp)
	}
	waitEvent(t, events.C, 20*time.Second, "a host-key event for remote", func(ev sseEvent) bool {
		return ev.Type == "host-key" && strings.Contains(string(ev.Data), `"host":"remote"`) && strings.Contains(string(ev.Data), fp)
	})
	auditHas(t, s, "host.untrusted", fp)
	auditHas(t, s, "host.add", "remote")

	st, b, _ = s.Do(ctx, "POST", "/api/v1/hosts/remote/trust", map[string]string{"fingerprint": fp})
	if st != 200 {
		t.Fatalf("trust: %d %s", st, b)
	}
	waitHost(t, s, "remote", "connected", 20*time.Second)
	waitFor(t, 15*time.Second, "the added host to list "+name, func() bool { return hasVM(listVMs(t, s, "remote"), uuid) })
	if n := sshdConns(t, s.PID(), env.SSHPort); n != 1 {
		t.Errorf("%d TCP connections to sshd, want 1", n)
	}

	// qemu+tls added through the API, the certificates from the URI's
	// pkipath (per host); a server whose CA is not the one given is
	// refused by the connection test with a message naming the CA file.
	pki := func(d string) string {
		return fmt.Sprintf("qemu+tls://127.0.0.1:%s/system?pkipath=%s", env.TLSPort, filepath.Join(env.Dir, "tls", d))
	}
	st, b, _ = s.Do(ctx, "POST", "/api/v1/hosts/test", map[string]string{"uri": pki("wrongca")})
	wrongCA := filepath.Join(env.Dir, "tls", "wrongca", "cacert.pem")
	if st != 200 || !strings.Contains(string(b), `"ok":false`) || !strings.Contains(string(b), "not signed by the CA in "+wrongCA) {
		t.Errorf("test of a TLS host with the wrong CA: %d %s; want refused, naming %s", st, b, wrongCA)
	}
	st, b, _ = s.Do(ctx, "POST", "/api/v1/hosts", map[string]string{"name": "tls", "uri": pki("client")})
	if st != 201 {
		t.Fatalf("add the TLS host: %d %s", st, b)
	}
	waitHost(t, s, "tls", "connected", 20*time.Second)
	if st, b, _ = s.Do(ctx, "DELETE", "/api/v1/hosts/tls", nil); st != 204 {
		t.Errorf("remove the TLS host: %d %s", st, b)
	}

	// A restart keeps it (same data dir), marked as added through the API.
	data := s.DataDir()
	if _, err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	s2, err := testrig.Start(serverBin, []string{"--host", "local=qemu:///system", "--data-dir", data})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = s2.Stop()
		if t.Failed() {
			t.Log(s2.LogTail(40))
		}
		s2.Close()
	})
	waitHost(t, s2, "remote", "connected", 20*time.Second)
	st, b, _ = s2.Do(ctx, "GET", "/api/v1/hosts", nil)
	if st != 200 || !strings.Contains(string(b), `"name":"remote"`) || !strings.Contains(string(b), `"source":"api"`) ||
		!strings.Contains(string(b), `"source":"config"`) {
		t.Errorf("hosts after restart: %s", b)
	}
	waitFor(t, 15*time.Second, "the kept host to list "+name, func() bool { return hasVM(listVMs(t, s2, "remote"), uuid) })

	// Rename: the host runs under its new name with its approved key (no
	// new approval), its VM is listed there and no longer under the old
	// name, still over one SSH connection; a name in use is refused.
	st, b, _ = s2.Do(ctx, "PUT", "/api/v1/hosts/remote", map[string]string{"name": "local"})
	if st != 409 || errCode(b) != "duplicate_host" {
		t.Errorf("rename to a configured host's name: %d %s", st, b)
	}
	st, b, _ = s2.Do(ctx, "PUT", "/api/v1/hosts/remote", map[string]string{"name": "remote2"})
	if st != 200 || !strings.Contains(string(b), `"name":"remote2"`) {
		t.Fatalf("rename: %d %s", st, b)
	}
	waitHost(t, s2, "remote2", "connected", 20*time.Second)
	waitFor(t, 15*time.Second, "the renamed host to list "+name, func() bool { return hasVM(listVMs(t, s2, "remote2"), uuid) })
	if st, b, _ := s2.Do(ctx, "GET", "/api/v1/hosts/remote/vms/"+uuid, nil); st != 404 || errCode(b) != "host_not_found" {
		t.Errorf("the VM under the old name: %d %s, want 404 host_not_found", st, b)
	}
	if n := sshdConns(t, s2.PID(), env.SSHPort); n != 1 {
		t.Errorf("%d TCP connections to sshd after the rename, want 1", n)
	}
	if saved, err := os.ReadFile(filepath.Join(data, "hosts.json")); err != nil || !strings.Contains(string(saved), `"remote2"`) || strings.Contains(string(saved), `"remote"`) {
		t.Errorf("hosts.json after the rename: %s %v", saved, err)
	}

	// Edit to a URI that cannot connect, then remove.
	st, b, _ = s2.Do(ctx, "PUT", "/api/v1/hosts/remote2", map[string]string{"uri": "qemu+unix:///system?socket=/nonexistent/sock"})
	if st != 200 {
		t.Fatalf("edit: %d %s", st, b)
	}
	waitFor(t, 15*time.Second, "the old SSH connection to close", func() bool { return sshdConns(t, s2.PID(), env.SSHPort) == 0 })
	st, b, _ = s2.Do(ctx, "PUT", "/api/v1/hosts/remote2", map[string]string{"uri": uri})
	if st != 200 {
		t.Fatalf("edit back: %d %s", st, b)
	}
	waitHost(t, s2, "remote2", "connected", 20*time.Second)
	st, b, _ = s2.Do(ctx, "DELETE", "/api/v1/hosts/remote2", nil)
	if st != 204 {
		t.Fatalf("remove: %d %s", st, b)
	}
	if hasVM(listVMs(t, s2, ""), uuid) {
		t.Errorf("the removed host's VM %s is still listed", uuid)
	}
	if n := sshdConns(t, s2.PID(), env.SSHPort); n != 0 {
		t.Errorf("%d TCP connections to sshd after removal, want 0", n)
	}
	st, b, _ = s2.Do(ctx, "GET", "/api/v1/hosts", nil)
	if st != 200 || strings.Contains(string(b), `"name":"remote2"`) {
		t.Errorf("hosts after removal: %s", b)
	}
	auditHas(t, s2, "host.remove", "")
}

// hostKeyFingerprint is the test sshd's SHA256 host key fingerprint.
func hostKeyFingerprint(t *testing.T, env remoteEnv) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", filepath.Join(env.Dir, "ssh", "host_ed25519_key.pub")).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("ssh-keygen: %s", out)
	}
	return f[1]
}

// auditHas checks that the audit log has an entry of action whose JSON
// contains text.
func auditHas(t *testing.T, s *testrig.Server, action, text string) {
	t.Helper()
	st, b, err := s.Do(context.Background(), "GET", "/api/v1/audit?action="+action, nil)
	if err != nil || st != 200 {
		t.Fatalf("GET /api/v1/audit: %d %v %s", st, err, b)
	}
	var out struct{ Entries []json.RawMessage }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for _, e := range out.Entries {
		if strings.Contains(string(e), `"action":"`+action+`"`) && strings.Contains(string(e), text) {
			return
		}
	}
	t.Errorf("no audit entry %s with %q: %s", action, text, b)
}
