//go:build integration

package integration

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// Network tests keep their traffic on this machine by construction: they
// run against the libvirtd of the suite's network namespace (netns_test.go,
// scripts/netns-libvirt.sh), so every bridge, dnsmasq and guest NIC is
// inside it, and it has no route out. The one packet a test sends to a
// guest's address (ping) is sent from inside the namespace.

type netJSON struct {
	Name, UUID, Bridge, Forward string
	Active, Autostart           bool
	IPs                         []struct {
		Address, Subnet, DHCPStart, DHCPEnd string
		Prefix                              int
	} `json:"ips"`
	VMs    []struct{ UUID, Name, MAC string } `json:"vms"`
	Leases []struct {
		MAC, IP, Hostname string
		VM                *struct{ UUID string } `json:"vm"`
	} `json:"leases"`
}

type addrVMJSON struct {
	UUID      string
	Addresses []struct{ IP, MAC, Interface, Source string } `json:"addresses"`
	Guest     *struct {
		Agent, Version, OSName, Hostname string
	} `json:"guest"`
}

const netBase = "/api/v1/hosts/local/networks"

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// netCreate creates a network through the API on a random private /24
// (another one when it overlaps a network of the host), and removes it
// when the test ends. Each of staticMACs gets a static lease: the first
// PREFIX.50, the next PREFIX.51, and so on.
func netCreate(t *testing.T, r *netnsRig, mode string, start bool, staticMACs ...string) (netJSON, string) {
	t.Helper()
	name := "kmtest-net-" + randHex(4)
	t.Cleanup(func() {
		r.virshQuiet("net-destroy", name)
		r.virshQuiet("net-undefine", name)
	})
	for range 20 {
		b := make([]byte, 2)
		_, _ = rand.Read(b)
		prefix := fmt.Sprintf("10.%d.%d", 200+int(b[0])%50, b[1])
		var n netJSON
		hosts := []map[string]string{}
		for i, mac := range staticMACs {
			hosts = append(hosts, map[string]string{"mac": mac, "ip": fmt.Sprintf("%s.%d", prefix, 50+i)})
		}
		st, body := r.apiJSON("POST", netBase, map[string]any{
			"name": name, "mode": mode, "subnet": prefix + ".0/24", "bridge": "kmt" + randHex(4),
			"dhcpStart": prefix + ".100", "dhcpEnd": prefix + ".199", "start": start, "hosts": hosts,
		}, &n)
		if st == 409 && strings.Contains(string(body), "subnet_overlap") {
			continue
		}
		if st != 201 {
			t.Fatalf("create network: %d %s", st, body)
		}
		return n, prefix
	}
	t.Fatal("no free 10.x.y.0/24 found in 20 tries")
	return netJSON{}, ""
}

// TestNetworkLifecycle creates an isolated and a NAT network through the
// API, compares them with virsh, refuses bad input and overlaps without
// creating anything, and deletes them.
func TestNetworkLifecycle(t *testing.T) {
	t.Parallel()
	r := netns(t)
	iso, prefix := netCreate(t, r, "isolated", true)
	if !iso.Active || iso.Forward != "isolated" || len(iso.IPs) != 1 || iso.IPs[0].Subnet != prefix+".0/24" ||
		iso.IPs[0].Address != prefix+".1" || iso.IPs[0].DHCPStart != prefix+".100" || iso.IPs[0].DHCPEnd != prefix+".199" {
		t.Errorf("isolated network: %+v", iso)
	}
	info := r.virsh(t, "net-info", iso.Name)
	if !regexp.MustCompile(`(?m)^Active:\s+yes`).MatchString(info) || !strings.Contains(info, iso.Bridge) || !strings.Contains(info, iso.UUID) {
		t.Errorf("virsh net-info disagrees with %+v:\n%s", iso, info)
	}
	dump := r.virsh(t, "net-dumpxml", iso.Name)
	if strings.Contains(dump, "<forward") {
		t.Errorf("the isolated network forwards:\n%s", dump)
	}

	nat, natPrefix := netCreate(t, r, "nat", false) // defined only: a running NAT network would forward off the machine
	if nat.Active || nat.Forward != "nat" {
		t.Errorf("NAT network: %+v", nat)
	}
	if dump := r.virsh(t, "net-dumpxml", nat.Name); !strings.Contains(dump, "<forward mode='nat'") || !strings.Contains(dump, natPrefix+".1") {
		t.Errorf("virsh net-dumpxml of the NAT network:\n%s", dump)
	}

	var list struct{ Networks []netJSON }
	if st, b := r.apiJSON("GET", netBase, nil, &list); st != 200 {
		t.Fatalf("list: %d %s", st, b)
	}
	found := 0
	for _, n := range list.Networks {
		if n.UUID == iso.UUID || n.UUID == nat.UUID {
			found++
		}
	}
	if found != 2 {
		t.Errorf("the list has %d of the 2 new networks", found)
	}

	// Bad input and overlaps: clear errors, nothing created.
	before := r.virsh(t, "net-list", "--all", "--name")
	bad := "kmtest-net-" + randHex(4)
	for _, c := range []struct {
		body         map[string]any
		status       int
		code, saying string
	}{
		{map[string]any{"name": bad, "mode": "isolated", "subnet": prefix + ".0/24"}, 409, "subnet_overlap", iso.Name},
		{map[string]any{"name": bad, "mode": "isolated", "subnet": prefix + ".128/25"}, 409, "subnet_overlap", iso.Name},
		{map[string]any{"name": "a/b", "mode": "isolated", "subnet": "10.255.255.0/24"}, 400, "invalid_network_name", "'/'"},
		{map[string]any{"name": "..", "mode": "isolated", "subnet": "10.255.255.0/24"}, 400, "invalid_network_name", "'..'"},
		{map[string]any{"name": bad, "mode": "isolated", "subnet": "10.255.255.7/24"}, 400, "invalid_subnet", "10.255.255.0/24"},
		{map[string]any{"name": bad, "mode": "isolated", "subnet": "8.8.8.0/24"}, 400, "invalid_subnet", "private"},
		{map[string]any{"name": bad, "mode": "isolated", "subnet": "10.255.255.0/24", "dhcpStart": "10.255.255.50", "dhcpEnd": "10.255.255.10"}, 400, "invalid_dhcp_range", "before"},
		{map[string]any{"name": bad, "mode": "isolated", "subnet": "10.255.255.0/24", "dhcpStart": "10.255.255.10", "dhcpEnd": "10.255.255.50",
			"hosts": []map[string]string{{"mac": "52:54:00:zz:00:01", "ip": "10.255.255.20"}}}, 400, "invalid_mac", "malformed"},
		{map[string]any{"name": iso.Name, "mode": "isolated", "subnet": "10.255.255.0/24"}, 409, "network_exists", iso.Name},
	} {
		st, b := r.apiJSON("POST", netBase, c.body, nil)
		stWantErr(t, fmt.Sprint(c.body), st, b, c.status, c.code, c.saying)
	}
	if after := r.virsh(t, "net-list", "--all", "--name"); strings.Contains(after, bad) || strings.Count(after, "\n") > strings.Count(before, "\n")+2 {
		t.Errorf("a refused request left a network: before\n%s\nafter\n%s", before, after)
	}

	// A network on an existing bridge (made in the namespace for the test):
	// started by libvirt on that bridge, no addresses of its own. (Whether
	// the bridge exists, libvirt checks only when a guest's NIC attaches.)
	brName := "kmtbr" + randHex(4)
	if out, err := r.inNetns("ip", "link", "add", brName, "type", "bridge"); err != nil {
		t.Fatalf("make a bridge in the namespace: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = r.inNetns("ip", "link", "del", brName) })
	brNet := "kmtest-net-" + randHex(4)
	t.Cleanup(func() { r.virshQuiet("net-destroy", brNet); r.virshQuiet("net-undefine", brNet) })
	var br netJSON
	if st, b := r.apiJSON("POST", netBase, map[string]any{"name": brNet, "mode": "bridge", "bridge": brName, "start": true}, &br); st != 201 ||
		!br.Active || br.Forward != "bridge" || br.Bridge != brName || len(br.IPs) != 0 {
		t.Fatalf("create a bridge network: %d %s", st, b)
	}
	if dump := r.virsh(t, "net-dumpxml", brNet); !strings.Contains(dump, "<forward mode='bridge'/>") || !strings.Contains(dump, "<bridge name='"+brName+"'/>") {
		t.Errorf("virsh net-dumpxml of the bridge network:\n%s", dump)
	}
	if st, b := r.api("DELETE", netBase+"/"+brNet, nil); st != 204 {
		t.Errorf("delete the bridge network: %d %s", st, b)
	}

	// Stop, start, autostart, delete.
	var n netJSON
	if st, b := r.apiJSON("POST", netBase+"/"+iso.Name+"/stop", nil, &n); st != 200 || n.Active {
		t.Fatalf("stop: %d %s", st, b)
	}
	if st, b := r.apiJSON("PUT", netBase+"/"+iso.Name+"/autostart", map[string]bool{"enabled": true}, &n); st != 200 || !n.Autostart {
		t.Fatalf("autostart: %d %s", st, b)
	}
	if !regexp.MustCompile(`(?m)^Autostart:\s+yes`).MatchString(r.virsh(t, "net-info", iso.Name)) {
		t.Error("virsh does not see autostart on")
	}
	if st, b := r.apiJSON("POST", netBase+"/"+iso.Name+"/start", nil, &n); st != 200 || !n.Active {
		t.Fatalf("start: %d %s", st, b)
	}
	for _, name := range []string{iso.Name, nat.Name} {
		if st, b := r.api("DELETE", netBase+"/"+name, nil); st != 204 {
			t.Fatalf("delete %s: %d %s", name, st, b)
		}
		if out, err := exec.Command("virsh", "-c", r.uri, "net-info", name).CombinedOutput(); err == nil {
			t.Errorf("%s still exists after delete:\n%s", name, out)
		}
	}
	st, b := r.api("GET", netBase+"/"+iso.Name, nil)
	stWantErr(t, "get deleted", st, b, 404, "network_not_found")
}

// logLine is the first complete line after byte since of the file that
// starts with marker ("" if none yet).
func logLine(path string, since int64, marker string) string {
	b, _ := os.ReadFile(path)
	if int64(len(b)) < since {
		since = 0
	}
	lines := strings.Split(string(b[since:]), "\n")
	for _, l := range lines[:len(lines)-1] { // the last one is not complete yet
		if l = strings.TrimRight(l, "\r"); strings.HasPrefix(l, marker) {
			return l
		}
	}
	return ""
}

// TestNetworkGuestAddressAndAgent gives the test guest the guest agent's
// channel through the one-click fix, boots it with a NIC on a NAT network
// made through the API (inside the test namespace), and checks that the guest answers a ping from inside the
// namespace, that the API shows the address it got (source agent, then
// lease once the agent stops), the guest's hostname and OS, the network's
// lease naming the VM, that the network cannot be stopped or deleted while
// the VM runs, and that a quiesced snapshot succeeds with the agent and is
// refused with a hint without it, and that a shutdown of the guest, which
// ignores ACPI, goes through the agent.
func TestNetworkGuestAddressAndAgent(t *testing.T) {
	t.Parallel()
	r := netns(t)
	// Its MAC has a static lease on the network.
	mac := "52:54:00:" + randHex(1) + ":" + randHex(1) + ":" + randHex(1)
	n, prefix := netCreate(t, r, "nat", true, mac)
	// The guest ignores ACPI (no acpid): a shutdown must go through the agent.
	// It has no guest agent channel until the one-click fix adds it.
	g := r.defineGuest(t, testguest.Options{Network: n.Name, MAC: mac, ExtraCmdline: "kvmtest.noacpi"})
	vmPath := "/api/v1/hosts/local/vms/" + g.UUID
	var added struct {
		Added, EffectiveAtNextStart bool
		Message                     string
	}
	if st, b := r.apiJSON("POST", vmPath+"/guest-agent/channel", nil, &added); st != 200 || !added.Added || added.EffectiveAtNextStart {
		t.Fatalf("add the guest agent channel to the stopped VM: %d %s", st, b)
	}
	if x := r.virsh(t, "dumpxml", "--inactive", g.Name); !strings.Contains(x, "org.qemu.guest_agent.0") {
		t.Fatalf("the definition has no guest agent channel after the fix:\n%s", x)
	}
	since := testguest.LogSize(g.Log)
	bootAndWait(t, g, func() {
		if st, b := r.api("POST", vmPath+"/start", nil); st != 200 && st != 202 {
			t.Fatalf("start: %d %s", st, b)
		}
	})
	// What the guest itself says: its DHCP client's line, and its hostname.
	var dhcp string
	waitFor(t, 90*time.Second, "the guest's DHCP lease (KVMTEST-DHCP on ttyS1)", func() bool {
		dhcp = logLine(g.Log, since, "KVMTEST-DHCP eth0 ip=")
		return dhcp != ""
	})
	ip, _, _ := strings.Cut(strings.TrimPrefix(dhcp, "KVMTEST-DHCP eth0 ip="), "/")
	if ip != prefix+".50" {
		t.Errorf("the guest got %s; its static lease is %s.50", ip, prefix)
	}
	if logLine(g.Log, since, "KVMTEST-AGENT started") == "" {
		t.Fatalf("the guest did not start its agent; log:\n%s", readFile(g.Log))
	}
	// Asked again while it runs: nothing to add, and nothing changes.
	if st, b := r.apiJSON("POST", vmPath+"/guest-agent/channel", nil, &added); st != 200 || added.Added || added.EffectiveAtNextStart {
		t.Errorf("add the guest agent channel again: %d %s", st, b)
	}
	// The guest answers from inside the namespace (and only there: the
	// host's namespace has no route to the NAT network's subnet).
	var pong string
	var err error
	for range 10 {
		if pong, err = r.inNetns("busybox", "ping", "-c", "1", "-W", "2", ip); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("ping %s from namespace %s: %v\n%s", ip, r.ns, err, pong)
	}
	hostname := strings.TrimPrefix(r.guestSays(t, g, `echo "KVMTEST-HOSTNAME $(hostname)" >/dev/ttyS1`, "KVMTEST-HOSTNAME "), "KVMTEST-HOSTNAME ")

	var vm addrVMJSON
	waitFor(t, 120*time.Second, "the API to show "+ip+" from the agent", func() bool {
		r.apiJSON("GET", vmPath, nil, &vm)
		return hasAddr(vm, ip, "agent") && vm.Guest != nil && vm.Guest.Hostname != ""
	})
	if vm.Guest.Agent != "connected" || vm.Guest.Hostname != hostname || vm.Guest.OSName != "KVM Manager test guest" || vm.Guest.Version == "" {
		t.Errorf("guest facts %+v; the guest says hostname %q", *vm.Guest, hostname)
	}
	// The list carries the same.
	var list struct{ VMs []addrVMJSON }
	r.apiJSON("GET", "/api/v1/vms", nil, &list)
	inList := false
	for _, v := range list.VMs {
		inList = inList || (v.UUID == g.UUID && hasAddr(v, ip, "agent"))
	}
	if !inList {
		t.Error("GET /api/v1/vms does not show the address")
	}

	// The network's lease names the VM; libvirt agrees.
	var got netJSON
	r.apiJSON("GET", netBase+"/"+n.Name, nil, &got)
	leased := false
	for _, le := range got.Leases {
		leased = leased || (le.IP == ip && le.VM != nil && le.VM.UUID == g.UUID && le.Hostname == hostname)
	}
	if !leased || len(got.VMs) != 1 || got.VMs[0].UUID != g.UUID {
		t.Errorf("network %s: leases %+v, vms %+v; want %s leased to %s", n.Name, got.Leases, got.VMs, ip, g.UUID)
	}
	if !strings.Contains(r.virsh(t, "net-dhcp-leases", n.Name), ip) {
		t.Error("virsh net-dhcp-leases does not list " + ip)
	}

	// In use: stop and delete are refused, naming the VM.
	st, b := r.api("POST", netBase+"/"+n.Name+"/stop", nil)
	stWantErr(t, "stop in use", st, b, 409, "network_in_use", g.Name)
	st, b = r.api("DELETE", netBase+"/"+n.Name, nil)
	stWantErr(t, "delete in use", st, b, 409, "network_in_use", g.Name)
	if !regexp.MustCompile(`(?m)^Active:\s+yes`).MatchString(r.virsh(t, "net-info", n.Name)) {
		t.Fatal("a refused stop stopped the network")
	}

	// A quiesced snapshot: offered, and made, while the agent runs.
	var snaps snapListJSON
	r.apiJSON("GET", snapPath(g.UUID), nil, &snaps)
	if caps := snaps.Capabilities; !caps.Quiesce.Possible || caps.GuestAgent != "connected" {
		t.Errorf("snapshot capabilities with the agent connected: %+v", caps)
	}
	if res := r.snapCreate(t, g.UUID, map[string]any{"name": "quiesced", "memory": false, "quiesce": true}); !res.Quiesced {
		t.Errorf("the snapshot was not quiesced: %+v", res)
	}

	// The agent stops: the address now comes from the lease, and quiescing
	// is refused with a hint.
	r.guestSays(t, g, `kill $(cat /run/qemu-ga.pid) && echo KVMTEST-AGENT-STOPPED >/dev/ttyS1`, "KVMTEST-AGENT-STOPPED")
	waitFor(t, 120*time.Second, "the API to show "+ip+" from the lease", func() bool {
		r.apiJSON("GET", vmPath, nil, &vm)
		return hasAddr(vm, ip, "lease") && vm.Guest != nil && vm.Guest.Agent == "disconnected"
	})
	st, b = r.api("POST", snapPath(g.UUID), map[string]any{"name": "unquiesced", "memory": false, "quiesce": true})
	var e stErr
	_ = json.Unmarshal(b, &e)
	if st != 409 || e.Error.Code != "quiesce_unavailable" || !strings.Contains(e.Error.Hint, "start qemu-guest-agent in the guest") {
		t.Errorf("quiesce without the agent: %d %s, want 409 quiesce_unavailable with a hint to start the agent", st, b)
	}

	// The agent starts again: a shutdown powers the guest off through it
	// although the guest ignores ACPI.
	r.guestSays(t, g, `start-qemu-ga`, "KVMTEST-AGENT started")
	waitFor(t, 120*time.Second, "the API to show the agent connected again", func() bool {
		r.apiJSON("GET", vmPath, nil, &vm)
		return vm.Guest != nil && vm.Guest.Agent == "connected"
	})
	since = testguest.LogSize(g.Log)
	var op opJSON
	if st, b := r.apiJSON("POST", vmPath+"/shutdown", nil, &op); st != 200 && st != 202 {
		t.Fatalf("shutdown: %d %s", st, b)
	}
	waitFor(t, 60*time.Second, "the VM to be off after the shutdown through the agent", func() bool {
		return r.virsh(t, "domstate", g.Name) == "shut off"
	})
	if logLine(g.Log, since, "KVMTEST-POWEROFF agent") == "" {
		t.Errorf("the guest did not power off through its agent; ttyS1 log since the shutdown:\n%s", readFile(g.Log)[since:])
	}

	// Off: the network goes.
	waitFor(t, 30*time.Second, "the network to be deletable", func() bool {
		st, _ := r.api("DELETE", netBase+"/"+n.Name, nil)
		return st == 204
	})
}

func hasAddr(vm addrVMJSON, ip, source string) bool {
	for _, a := range vm.Addresses {
		if a.IP == ip && a.Source == source {
			return true
		}
	}
	return false
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
