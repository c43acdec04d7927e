//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
)

// TestInventoryMatchesVirsh checks that GET /api/v1/vms lists exactly what
// `virsh list --all` lists, with the same states, and the details libvirt
// holds for a test guest.
func TestInventoryMatchesVirsh(t *testing.T) {
	l := lv(t)
	a := newGuest(t, l, "")
	b := newGuest(t, l, "")
	bootAndWait(t, b, func() { virsh(t, "start", b.Name) })

	// Other tests' guests may come and go; compare until both views agree.
	var last string
	ok := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !ok; time.Sleep(100 * time.Millisecond) {
		want := map[string]string{}
		for _, line := range strings.Split(virsh(t, "list", "--all", "--uuid"), "\n") {
			if u := strings.TrimSpace(line); u != "" {
				want[u] = ""
			}
		}
		for u := range want {
			out, err := execVirsh("domstate", u)
			if err != nil {
				continue
			}
			want[u] = apiState(out)
		}
		var body struct{ VMs []vmJSON }
		apiJSON("GET", "/api/v1/vms", nil, &body)
		got := map[string]string{}
		for _, vm := range body.VMs {
			got[vm.UUID] = vm.State
		}
		ok = mapsEqual(want, got)
		last = "virsh: " + fmtMap(want) + "\napi:   " + fmtMap(got)
	}
	if !ok {
		t.Fatalf("the API and virsh disagree:\n%s", last)
	}

	va, vb := getVM(t, a.UUID), getVM(t, b.UUID)
	if va.Name != a.Name || va.State != "shutoff" || vb.State != "running" || vb.Reason != "booted" {
		t.Errorf("a = %+v\nb = %+v", va, vb)
	}
	if va.VCPUs != 1 || va.MemoryMaxKiB != 192*1024 || va.DomainType != domainType {
		t.Errorf("config of a = %+v", va)
	}
	if len(va.Disks) != 1 || va.Disks[0].Target != "vdb" || va.Disks[0].Format != "qcow2" ||
		va.Disks[0].Source != testguest.DataDiskPath(guestDir, a.Name) || va.Disks[0].Capacity == nil || *va.Disks[0].Capacity != 64<<20 {
		t.Errorf("disks of a = %+v", va.Disks)
	}
	if len(vb.Graphics) != 1 || vb.Graphics[0].Type != "vnc" || vb.Graphics[0].Port < 5900 {
		t.Errorf("graphics of running b = %+v", vb.Graphics)
	}
	if !slices.Equal(va.Actions, []string{"start"}) || !slices.Contains(vb.Actions, "shutdown") {
		t.Errorf("actions: a %v, b %v", va.Actions, vb.Actions)
	}
	// Stats arrive for the running guest (interval 500 ms; rates need two ticks).
	waitFor(t, 10*time.Second, "CPU stats of the running guest", func() bool {
		v := getVM(t, b.UUID)
		return v.Stats != nil && v.Stats.CPUPercent != nil
	})
	var hist struct {
		Samples []json.RawMessage `json:"samples"`
	}
	if st, body := apiJSON("GET", "/api/v1/hosts/local/vms/"+b.UUID+"/stats", nil, &hist); st != 200 || len(hist.Samples) < 2 {
		t.Errorf("stats history: %d %s", st, body)
	}
}

func execVirsh(args ...string) (string, error) {
	out, err := execCommand("virsh", append([]string{"-c", "qemu:///system"}, args...)...)
	return strings.TrimSpace(out), err
}

func apiState(virshState string) string {
	switch virshState {
	case "shut off":
		return "shutoff"
	case "in shutdown":
		return "shutting-down"
	}
	return virshState
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func fmtMap(m map[string]string) string {
	var s []string
	for k, v := range m {
		s = append(s, k[:8]+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// TestPowerActions drives every power action through the API and checks
// libvirt's state and the guest itself after each.
func TestPowerActions(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	events := openEvents(t, "vm,operation")

	post := func(action string, body any) (int, []byte) {
		return api("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/"+action, body)
	}
	mustState := func(want string) {
		t.Helper()
		if got := virshState(t, g.Name); got != want {
			t.Fatalf("virsh says %s, want %s", got, want)
		}
		waitFor(t, 5*time.Second, "the API to show "+want, func() bool { return getVM(t, g.UUID).State == want })
	}

	// start: the guest really boots.
	boot1 := bootAndWait(t, g, func() {
		if st, b := post("start", nil); st != 200 {
			t.Fatalf("start: %d %s", st, b)
		}
	})
	mustState("running")
	waitEvent(t, events, 5*time.Second, "vm running event", vmEvent(g.UUID, "running"))

	// pause / resume.
	if st, b := post("pause", nil); st != 200 {
		t.Fatalf("pause: %d %s", st, b)
	}
	mustState("paused")
	if st, b := post("resume", nil); st != 200 {
		t.Fatalf("resume: %d %s", st, b)
	}
	mustState("running")

	// reboot (ACPI) and reset both make the guest boot again.
	boot2 := bootAndWait(t, g, func() {
		if st, b := post("reboot", nil); st != 200 {
			t.Fatalf("reboot: %d %s", st, b)
		}
	})
	boot3 := bootAndWait(t, g, func() {
		if st, b := post("reset", nil); st != 200 {
			t.Fatalf("reset: %d %s", st, b)
		}
	})
	if boot1 == boot2 || boot2 == boot3 {
		t.Fatalf("boot ids did not change: %s %s %s", boot1, boot2, boot3)
	}
	mustState("running")

	// shutdown is an operation that ends when the VM is really off.
	var op opJSON
	st, b := apiJSON("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/shutdown", map[string]int{"timeoutSeconds": 60}, &op)
	if st != 202 || op.ID == "" {
		t.Fatalf("shutdown: %d %s", st, b)
	}
	if done := waitOp(t, op.ID, 70*time.Second); done.State != "succeeded" {
		t.Fatalf("shutdown operation: %+v", done)
	}
	mustState("shutoff")
	waitEvent(t, events, 5*time.Second, "operation succeeded event", func(ev sseEvent) bool {
		var o opJSON
		return ev.Type == "operation" && json.Unmarshal(ev.Data, &o) == nil && o.ID == op.ID && o.State == "succeeded"
	})

	// force off.
	bootAndWait(t, g, func() { post("start", nil) })
	if st, b := post("force-off", nil); st != 200 {
		t.Fatalf("force-off: %d %s", st, b)
	}
	mustState("shutoff")
	if vm := getVM(t, g.UUID); vm.Reason != "destroyed" {
		t.Errorf("reason after force off = %q, want destroyed", vm.Reason)
	}

	// autostart on and off, as libvirt holds it.
	if st, b := api("PUT", "/api/v1/hosts/local/vms/"+g.UUID+"/autostart", map[string]bool{"enabled": true}); st != 200 {
		t.Fatalf("autostart: %d %s", st, b)
	}
	if a, _ := l.DomainGetAutostart(g.Dom); a != 1 {
		t.Fatalf("libvirt autostart = %d after enabling", a)
	}
	api("PUT", "/api/v1/hosts/local/vms/"+g.UUID+"/autostart", map[string]bool{"enabled": false})
	if a, _ := l.DomainGetAutostart(g.Dom); a != 0 {
		t.Fatalf("libvirt autostart = %d after disabling", a)
	}
}

// TestShutdownIgnoredByGuest checks the clear failure when the guest does
// not act on ACPI: the VM keeps running and the operation says what to do.
func TestShutdownIgnoredByGuest(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "kvmtest.noacpi")
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	var op opJSON
	st, b := apiJSON("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/shutdown", map[string]int{"timeoutSeconds": 3}, &op)
	if st != 202 {
		t.Fatalf("shutdown: %d %s", st, b)
	}
	done := waitOp(t, op.ID, 15*time.Second)
	if done.State != "failed" || done.Error == nil || done.Error.Code != "shutdown_timeout" ||
		!strings.Contains(done.Error.Hint, "Force off") {
		t.Fatalf("operation = %+v", done)
	}
	if s := virshState(t, g.Name); s != "running" {
		t.Fatalf("the VM is %s after an ignored shutdown", s)
	}
}

// TestExternalChangesArriveAsEvents changes VMs with virsh, behind KVM
// Manager's back, and expects each change on the event stream.
func TestExternalChangesArriveAsEvents(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	events := openEvents(t, "vm,vm-removed")

	virsh(t, "start", g.Name)
	waitEvent(t, events, 10*time.Second, "running after virsh start", vmEvent(g.UUID, "running"))
	virsh(t, "suspend", g.Name)
	waitEvent(t, events, 5*time.Second, "paused after virsh suspend", vmEvent(g.UUID, "paused"))
	virsh(t, "resume", g.Name)
	waitEvent(t, events, 5*time.Second, "running after virsh resume", vmEvent(g.UUID, "running"))
	virsh(t, "destroy", g.Name)
	waitEvent(t, events, 5*time.Second, "shutoff after virsh destroy", vmEvent(g.UUID, "shutoff"))

	// Undefine and define again: removal and re-appearance.
	xml := virsh(t, "dumpxml", "--inactive", g.Name)
	virsh(t, "undefine", g.Name)
	waitEvent(t, events, 5*time.Second, "vm-removed after virsh undefine", func(ev sseEvent) bool {
		return ev.Type == "vm-removed" && strings.Contains(string(ev.Data), g.UUID)
	})
	if st, _ := api("GET", "/api/v1/hosts/local/vms/"+g.UUID, nil); st != 404 {
		t.Fatalf("GET of an undefined VM: %d, want 404", st)
	}
	f := t.TempDir() + "/dom.xml"
	if err := writeFile(f, xml); err != nil {
		t.Fatal(err)
	}
	virsh(t, "define", f)
	waitEvent(t, events, 5*time.Second, "vm after virsh define", vmEvent(g.UUID, "shutoff"))
}

// TestBadInputChangesNothing sends malformed and invalid requests and
// checks each answer and that libvirt's view of the VM is unchanged.
func TestBadInputChangesNothing(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	before := virsh(t, "dumpxml", g.Name)
	vmPath := "/api/v1/hosts/local/vms/" + g.UUID
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown host", "GET", "/api/v1/hosts/nohost/vms/" + g.UUID, nil, 404, "host_not_found"},
		{"unknown vm", "GET", "/api/v1/hosts/local/vms/00000000-0000-4000-8000-000000000000", nil, 404, "vm_not_found"},
		{"bad uuid", "GET", "/api/v1/hosts/local/vms/not-a-uuid", nil, 400, "invalid_uuid"},
		{"unknown action", "POST", vmPath + "/explode", nil, 404, "unknown_action"},
		{"malformed json", "POST", vmPath + "/start", "{", 400, "invalid_json"},
		{"unknown field", "POST", vmPath + "/start", `{"force":true}`, 400, "invalid_json"},
		{"timeout on start", "POST", vmPath + "/start", `{"timeoutSeconds":5}`, 400, "invalid_field"},
		{"shutdown of a stopped vm", "POST", vmPath + "/shutdown", nil, 409, "vm_not_running"},
		{"resume of a stopped vm", "POST", vmPath + "/resume", nil, 409, "vm_not_paused"},
		{"oversized body", "POST", vmPath + "/start", `{"x":"` + strings.Repeat("a", 100<<10) + `"}`, 413, "body_too_large"},
		{"autostart without field", "PUT", vmPath + "/autostart", `{}`, 400, "missing_field"},
		{"delete unknown disk", "DELETE", vmPath, `{"disks":["vdz"]}`, 400, "unknown_disk"},
		{"delete bad snapshots choice", "DELETE", vmPath, `{"snapshots":"keep"}`, 400, "invalid_snapshots_choice"},
		{"unknown route", "GET", "/api/v1/nothing", nil, 404, "no_such_route"},
		{"wrong method", "PATCH", vmPath, nil, 405, "method_not_allowed"},
		{"bad event type", "GET", "/api/v1/events?types=bogus", nil, 400, "unknown_event_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e struct {
				Error struct{ Code, Message, Hint string }
			}
			st, b := apiJSON(tt.method, tt.path, tt.body, &e)
			if st != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("%s %s: %d %s; want %d %s", tt.method, tt.path, st, b, tt.status, tt.code)
			}
		})
	}
	// Start a VM that runs: 409 with a hint, and it keeps running.
	bootAndWait(t, g, func() { virsh(t, "start", g.Name) })
	waitFor(t, 5*time.Second, "running in the API", func() bool { return getVM(t, g.UUID).State == "running" })
	var e struct{ Error struct{ Code, Hint string } }
	if st, b := apiJSON("POST", vmPath+"/start", nil, &e); st != 409 || e.Error.Code != "vm_already_running" || e.Error.Hint == "" {
		t.Fatalf("start on running: %d %s", st, b)
	}
	if st, _ := apiJSON("DELETE", vmPath, nil, &e); st != 409 || e.Error.Code != "vm_running" {
		t.Fatalf("delete of a running VM: %d %+v", st, e)
	}
	if s := virshState(t, g.Name); s != "running" {
		t.Fatalf("state changed to %s", s)
	}
	virsh(t, "destroy", g.Name)
	if after := virsh(t, "dumpxml", g.Name); after != before {
		t.Fatalf("the domain definition changed:\n--- before\n%s\n--- after\n%s", before, after)
	}
	if _, err := os.Stat(testguest.DataDiskPath(guestDir, g.Name)); err != nil {
		t.Fatalf("data disk gone: %v", err)
	}
}

// TestDeleteVM checks that deletion refuses while snapshots exist, and then
// removes exactly what the request names.
func TestDeleteVM(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	// A branched tree: snap1 with children snap2 and snap3. Deleting such a
	// tree with libvirt's "delete children" flag crashes libvirtd 9.0.
	virsh(t, "snapshot-create-as", g.Name, "snap1")
	virsh(t, "snapshot-create-as", g.Name, "snap2")
	virsh(t, "snapshot-revert", g.Name, "snap1")
	virsh(t, "snapshot-create-as", g.Name, "snap3")
	disk := testguest.DataDiskPath(guestDir, g.Name)
	path := "/api/v1/hosts/local/vms/" + g.UUID
	var e struct{ Error struct{ Code, Hint string } }
	if st, b := apiJSON("DELETE", path, map[string]any{"disks": []string{"vdb"}}, &e); st != 409 || e.Error.Code != "vm_has_snapshots" {
		t.Fatalf("delete with snapshots: %d %s", st, b)
	}
	if _, err := l.DomainLookupByUUID(g.Dom.UUID); err != nil {
		t.Fatalf("the VM is gone after a refused delete: %v", err)
	}
	if _, err := os.Stat(disk); err != nil {
		t.Fatalf("the disk is gone after a refused delete: %v", err)
	}

	var op opJSON
	if st, b := apiJSON("DELETE", path, map[string]any{"snapshots": "delete", "disks": []string{"vdb"}}, &op); st != 202 {
		t.Fatalf("delete: %d %s", st, b)
	}
	done := waitOp(t, op.ID, 30*time.Second)
	if done.State != "succeeded" {
		t.Fatalf("delete operation: %+v", done)
	}
	var res struct {
		SnapshotsDeleted int      `json:"snapshotsDeleted"`
		RemovedDisks     []string `json:"removedDisks"`
	}
	_ = json.Unmarshal(done.Result, &res)
	if res.SnapshotsDeleted != 3 || !slices.Equal(res.RemovedDisks, []string{disk}) {
		t.Errorf("result = %s", done.Result)
	}
	if _, err := l.DomainLookupByUUID(g.Dom.UUID); !libvirt.IsNotFound(err) {
		t.Fatalf("libvirt still has the VM: %v", err)
	}
	if _, err := os.Stat(disk); !os.IsNotExist(err) {
		t.Fatalf("the named disk still exists: %v", err)
	}
	// Files that were not named are kept.
	if _, err := os.Stat(testguest.SerialLogPath(guestDir, g.Name)); err != nil {
		t.Fatalf("an unnamed file was removed: %v", err)
	}
	if st, _ := api("GET", path, nil); st != 404 {
		t.Fatalf("GET after delete: %d", st)
	}
}

// TestDeleteKeepsUnnamedDisks deletes a VM without naming its disk.
func TestDeleteKeepsUnnamedDisks(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	var op opJSON
	if st, b := apiJSON("DELETE", "/api/v1/hosts/local/vms/"+g.UUID, nil, &op); st != 202 {
		t.Fatalf("delete: %d %s", st, b)
	}
	if done := waitOp(t, op.ID, 30*time.Second); done.State != "succeeded" {
		t.Fatalf("delete: %+v", done)
	}
	if _, err := os.Stat(testguest.DataDiskPath(guestDir, g.Name)); err != nil {
		t.Fatalf("the disk was removed though not named: %v", err)
	}
}
