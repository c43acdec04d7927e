//go:build integration

package integration

import (
	"encoding/json"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func hostEvent(state string) func(sseEvent) bool {
	return func(ev sseEvent) bool {
		var h struct{ Name, State string }
		return ev.Type == "host" && json.Unmarshal(ev.Data, &h) == nil && h.Name == "local" && h.State == state
	}
}

func libvirtdPID(t *testing.T) int {
	t.Helper()
	// Root's only: user kvmtest's session daemon (scripts/setup-remote.sh)
	// is a libvirtd too.
	out, err := exec.Command("pgrep", "-x", "-u", "root", "libvirtd").Output()
	if err != nil {
		t.Fatalf("libvirtd is not running: %v", err)
	}
	var pid int
	if _, err := fmtSscan(string(out), &pid); err != nil {
		t.Fatalf("pgrep: %q", out)
	}
	return pid
}

func restartLibvirtd(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("../../scripts/setup-libvirt.sh").CombinedOutput(); err != nil {
		t.Fatalf("restarting libvirtd: %v\n%s", err, out)
	}
}

// TestReconnectAfterLibvirtdKilled kills libvirtd with SIGKILL while a guest
// runs and the event stream is open: the host must go reconnecting, then
// connected by itself once libvirtd is back, with the inventory intact.
func TestReconnectAfterLibvirtdKilled(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	events := openEvents(t, "host,vm")

	pid := libvirtdPID(t)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	t.Cleanup(func() { restartLibvirtd(t) })
	waitEvent(t, events, 15*time.Second, "host reconnecting", hostEvent("reconnecting"))
	t.Logf("reconnecting reported %s after SIGKILL", time.Since(killed).Round(time.Millisecond))

	// While the daemon is down the API says so instead of hanging.
	var e struct{ Error struct{ Code string } }
	if st, b := apiJSON("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/pause", nil, &e); st != 503 || e.Error.Code != "host_unavailable" {
		t.Fatalf("action while libvirtd is down: %d %s", st, b)
	}

	restartLibvirtd(t)
	restarted := time.Now()
	waitEvent(t, events, 20*time.Second, "host connected", hostEvent("connected"))
	t.Logf("connected again %s after libvirtd restarted", time.Since(restarted).Round(time.Millisecond))

	// The running guest survived, and the API knows it and can act on it.
	waitFor(t, 10*time.Second, "the guest listed as running", func() bool { return getVM(t, g.UUID).State == "running" })
	if st, b := api("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/pause", nil); st != 200 {
		t.Fatalf("pause after reconnect: %d %s", st, b)
	}
	waitEvent(t, events, 5*time.Second, "paused event after reconnect", vmEvent(g.UUID, "paused"))
}

// TestReconnectAfterLibvirtdHangs freezes libvirtd (SIGSTOP): the socket
// stays open, so only our heartbeat can notice. The link must be declared
// lost and redialed once the daemon answers again.
func TestReconnectAfterLibvirtdHangs(t *testing.T) {
	events := openEvents(t, "host")
	pid := libvirtdPID(t)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	})
	stopped := time.Now()
	waitEvent(t, events, 20*time.Second, "host reconnecting after a hang", hostEvent("reconnecting"))
	t.Logf("hang detected after %s", time.Since(stopped).Round(time.Millisecond))
	_ = syscall.Kill(pid, syscall.SIGCONT)
	resumed = true
	waitEvent(t, events, 30*time.Second, "host connected after the hang", hostEvent("connected"))
	if st, b := api("GET", "/api/v1/vms", nil); st != 200 {
		t.Fatalf("list after reconnect: %d %s", st, b)
	}
}
