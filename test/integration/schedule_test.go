//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kvm-manager/kvm-manager/internal/testguest"
	"github.com/kvm-manager/kvm-manager/internal/testrig"
)

type schedRunJSON struct {
	Slot        time.Time
	State       string
	Missed      bool
	MissedSlots int `json:"missedSlots"`
	Message     string
	VMs         []struct {
		State, Operation, Snapshot, Consistency, Reason, Code string
		Pruned                                                []string
	}
}

type schedJSON struct {
	ID, Name, ScheduleText string
	Next                   []time.Time
	Alert, Running         bool
	Status                 struct {
		Failures int
		Last     *schedRunJSON
	}
}

type vmSchedJSON struct {
	Policies []schedJSON
	Owned    []struct {
		Name    string
		Created time.Time
		Policy  string
	}
	Pins []struct{ Name string }
}

// schedServer is a server of the test's own over a data dir that outlives
// it (so that a second one takes over its schedules), with test-only
// "@every" schedules allowed.
func schedServer(t *testing.T, dataDir string) *testrig.Server {
	t.Helper()
	s, err := testrig.Start(serverBin, []string{"--data-dir", dataDir, "--schedule-test-intervals", "--stats-interval", "1s"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func sdo(t *testing.T, s *testrig.Server, method, path string, body, out any) int {
	t.Helper()
	st, b, err := s.Do(context.Background(), method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if st >= 300 && out != nil {
		t.Logf("%s %s: %d %s", method, path, st, b)
	}
	return st
}

// waitRun polls a policy until cond holds for its last finished run, and
// returns that run.
func waitRun(t *testing.T, s *testrig.Server, id, what string, cond func(r schedRunJSON, p schedJSON) bool) (schedRunJSON, schedJSON) {
	t.Helper()
	var p schedJSON
	var last schedRunJSON
	waitFor(t, 60*time.Second, what, func() bool {
		p = schedJSON{}
		if sdo(t, s, "GET", "/api/v1/schedules/"+id, nil, &p) != 200 || p.Status.Last == nil || p.Status.Last.State == "running" {
			return false
		}
		last = *p.Status.Last
		return cond(last, p)
	})
	return last, p
}

// TestSchedulePolicy runs a policy every second against one shut-off test
// guest (disk-only internal snapshots: quick) through the real binary and
// libvirtd: a full pool skips with its reason; snapshots appear and
// keep-last keeps exactly the newest of the policy's own, while a pinned
// one and a hand-made one whose name the pattern could make survive;
// three failures in a row raise the alert and a success clears it; a
// server stopped across several slots runs the missed slot once at start.
//
// The pool is honestly small: a 16 MiB tmpfs holding a second disk of the
// guest, defined as a libvirt dir pool and filled past 90 % by a file.
func TestSchedulePolicy(t *testing.T) {
	l := lv(t)
	small, err := os.MkdirTemp("", "kmtest-smallpool-")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-first: these, registered before the guest, run
	// after the guest (and its snapshots on the small disk) are gone.
	t.Cleanup(func() { _ = os.Remove(small) })
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", small).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", small).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", small, err, out)
		}
	})
	pool := testguest.UniqueName("kmtest-small-")
	virsh(t, "pool-define-as", pool, "dir", "--target", small)
	t.Cleanup(func() {
		_, _ = exec.Command("virsh", "-c", "qemu:///system", "pool-destroy", pool).CombinedOutput()
		_, _ = exec.Command("virsh", "-c", "qemu:///system", "pool-undefine", pool).CombinedOutput()
	})
	g := defineGuest(t, l, "kmtest-", testguest.Options{})
	disk2, raw := filepath.Join(small, "second.qcow2"), filepath.Join(small, "raw.img")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk2, "4M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v: %s", err, out)
	}
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "raw", raw, "1M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v: %s", err, out)
	}
	virsh(t, "attach-disk", g.Name, disk2, "vdc", "--driver", "qemu", "--subdriver", "qcow2", "--config")
	filler := filepath.Join(small, "filler")
	if out, err := exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=1M", "count=15").CombinedOutput(); err != nil {
		t.Fatalf("fill the pool: %v: %s", err, out)
	}
	virsh(t, "pool-start", pool)

	// A snapshot made by hand whose name the policy's pattern could make.
	policy := "p" + strings.TrimPrefix(testguest.UniqueName(""), "-")
	policy = policy[:min(len(policy), 20)]
	handMade := policy + "-20200101-000000"
	virsh(t, "snapshot-create-as", g.Name, handMade)

	dataDir := filepath.Join(t.TempDir(), "data")
	s := schedServer(t, dataDir)
	waitFor(t, 10*time.Second, "the server to list the guest", func() bool {
		return sdo(t, s, "GET", "/api/v1/hosts/local/vms/"+g.UUID, nil, nil) == 200
	})
	spec := map[string]any{
		"name": policy, "schedule": "@every 1s", "namePattern": "{policy}-{yyyyMMdd-HHmmss}",
		"retention": map[string]int{"keepLast": 2}, "runWhileOff": true,
		"targets": []map[string]string{{"host": "local", "uuid": g.UUID}},
	}
	var p schedJSON
	if st := sdo(t, s, "POST", "/api/v1/schedules", spec, &p); st != 201 || p.ID == "" || len(p.Next) != 3 {
		t.Fatalf("create policy: %d %+v", st, p)
	}
	id := p.ID

	// 1. The pool is over 90 % full: skipped, with the pool named.
	run, _ := waitRun(t, s, id, "a run skipped for the full pool", func(r schedRunJSON, _ schedJSON) bool { return r.State == "skipped" })
	if len(run.VMs) != 1 || run.VMs[0].Code != "pool_full" || !strings.Contains(run.VMs[0].Reason, pool) {
		t.Fatalf("skip: %+v", run)
	}
	if names := virshSnapshotNames(t, g.Name); !slices.Equal(names, []string{handMade}) {
		t.Fatalf("a skipped run made snapshots: %v", names)
	}

	// 2. Room again: runs take snapshots; pin the first one taken.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	run, _ = waitRun(t, s, id, "a successful run", func(r schedRunJSON, _ schedJSON) bool { return r.State == "succeeded" })
	first := run.VMs[0].Snapshot
	if st := sdo(t, s, "PUT", snapPath(g.UUID, first, "pin"), map[string]bool{"pinned": true}, nil); st != 200 {
		t.Fatalf("pin %s: %d", first, st)
	}
	// The run is an operation anyone can look at.
	var op opJSON
	if st := sdo(t, s, "GET", "/api/v1/operations/"+run.VMs[0].Operation, nil, &op); st != 200 || op.Kind != "snapshot-schedule" || op.State != "succeeded" {
		t.Fatalf("run operation: %d %+v", st, op)
	}
	if run.VMs[0].Consistency != "shut-off" {
		t.Errorf("consistency %q, want shut-off", run.VMs[0].Consistency)
	}
	// Wait until keep-last 2 has pruned at least twice (runs 4 and 5 at
	// the least), then stop the policy and compare with libvirt.
	prunes := 0
	seenRun := time.Time{}
	waitRun(t, s, id, "two prunes", func(r schedRunJSON, _ schedJSON) bool {
		if r.Slot != seenRun && r.State == "succeeded" {
			seenRun = r.Slot
			if len(r.VMs) == 1 && len(r.VMs[0].Pruned) > 0 {
				prunes++
			}
		}
		return prunes >= 2
	})
	spec["enabled"] = false
	if st := sdo(t, s, "PUT", "/api/v1/schedules/"+id, spec, nil); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	waitRun(t, s, id, "the last run to end", func(_ schedRunJSON, p schedJSON) bool { return !p.Running })
	var mine vmSchedJSON
	sdo(t, s, "GET", "/api/v1/hosts/local/vms/"+g.UUID+"/schedules", nil, &mine)
	var owned []string
	for _, o := range mine.Owned {
		owned = append(owned, o.Name)
	}
	sort.Strings(owned)
	// The policy's own: the pinned first one and the newest two.
	if len(owned) != 3 || !slices.Contains(owned, first) || len(mine.Pins) != 1 || mine.Pins[0].Name != first {
		t.Fatalf("owned %v, pins %+v", owned, mine.Pins)
	}
	want := append([]string{handMade}, owned...)
	sort.Strings(want)
	if got := virshSnapshotNames(t, g.Name); !slices.Equal(got, want) {
		t.Fatalf("libvirt has %v, want %v (hand-made, pinned and the newest two)", got, want)
	}

	// 3. A raw disk makes every snapshot impossible: three failures in a
	// row raise the alert; without it a success clears it.
	virsh(t, "attach-disk", g.Name, raw, "vdd", "--driver", "qemu", "--subdriver", "raw", "--config")
	spec["enabled"] = true
	sdo(t, s, "PUT", "/api/v1/schedules/"+id, spec, nil)
	_, p = waitRun(t, s, id, "three failures", func(r schedRunJSON, p schedJSON) bool { return p.Status.Failures >= 3 })
	if !p.Alert || p.Status.Last.State != "failed" || p.Status.Last.VMs[0].Code != "snapshot_not_possible" {
		t.Fatalf("after 3 failures: alert=%v last=%+v", p.Alert, p.Status.Last)
	}
	virsh(t, "detach-disk", g.Name, "vdd", "--config")
	_, p = waitRun(t, s, id, "a success after the failures", func(r schedRunJSON, _ schedJSON) bool { return r.State == "succeeded" })
	if p.Alert || p.Status.Failures != 0 {
		t.Fatalf("the alert stays after a success: %+v", p.Status)
	}
	// The runs so far, as Prometheus would count them (admins may read the
	// metrics): the pool-full skip, the three failures, the successes.
	st, mb, err := s.Do(context.Background(), "GET", "/metrics", nil)
	if err != nil || st != 200 {
		t.Fatalf("GET /metrics: %d %v", st, err)
	}
	for result, least := range map[string]float64{"skipped": 1, "failed": 3, "succeeded": 1} {
		re := regexp.MustCompile(`(?m)^kvm_manager_snapshot_schedule_runs_total\{result="` + result + `"\} (\S+)$`)
		m := re.FindSubmatch(mb)
		if m == nil {
			t.Errorf("no schedule runs with result %s in /metrics", result)
			continue
		}
		if n, _ := strconv.ParseFloat(string(m[1]), 64); n < least {
			t.Errorf("schedule runs with result %s: %v, want at least %v", result, n, least)
		}
	}

	// 4. Stop the server across several slots: the next one runs the
	// missed slot once at start, and says so.
	spec["retention"] = map[string]int{} // keep all: every run's snapshot stays to be counted
	sdo(t, s, "PUT", "/api/v1/schedules/"+id, spec, nil)
	waitRun(t, s, id, "a run after the change", func(r schedRunJSON, _ schedJSON) bool { return r.State == "succeeded" })
	if _, err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	// Slots pass while no server runs: this wait is the scenario itself.
	time.Sleep(3500 * time.Millisecond)
	s2 := schedServer(t, dataDir)
	up := time.Now()
	// The run at start stands for the slots missed while the server was
	// down, and says so: in the policy's status until the next slot's run
	// replaces it (with a slot a second, that can happen before the test
	// looks: seen in CI), and for good in its audit entry.
	missedRe := regexp.MustCompile(`policy ` + regexp.QuoteMeta(policy) + `, slot (\S+), succeeded, run once at start for (\d+) slot\(s\) missed while the server was down`)
	var missedSlot time.Time
	waitFor(t, 30*time.Second, "the audit entry of the run at start", func() bool {
		st, b, err := s2.Do(context.Background(), "GET", "/api/v1/audit?action=snapshot.schedule", nil)
		if err != nil || st != 200 {
			t.Fatalf("GET /api/v1/audit: %d %v %s", st, err, b)
		}
		m := missedRe.FindSubmatch(b)
		if m == nil {
			return false
		}
		if n, _ := strconv.Atoi(string(m[2])); n < 3 {
			t.Fatalf("the run at start stands for %d slots; the server was down for 3.5 s of one-second slots", n)
		}
		if missedSlot, err = time.Parse(time.RFC3339, string(m[1])); err != nil {
			t.Fatalf("slot %q: %v", m[1], err)
		}
		return true
	})
	if run, _ = waitRun(t, s2, id, "a run after the start", func(r schedRunJSON, _ schedJSON) bool { return r.State != "" }); run.Missed &&
		(run.MissedSlots < 2 || !strings.Contains(run.Message, "missed while the server was down")) {
		t.Fatalf("the run at start, as the policy's status tells it: %+v", run)
	}
	waitRun(t, s2, id, "a regular run after it", func(r schedRunJSON, _ schedJSON) bool { return !r.Missed && r.State == "succeeded" })
	spec["enabled"] = false
	sdo(t, s2, "PUT", "/api/v1/schedules/"+id, spec, nil)
	waitRun(t, s2, id, "the last run to end", func(_ schedRunJSON, p schedJSON) bool { return !p.Running })
	// Names carry the slot: exactly one snapshot stands for the slots
	// while the server was down.
	var during []string
	for _, n := range virshSnapshotNames(t, g.Name) {
		ts, ok := strings.CutPrefix(n, policy+"-")
		if !ok {
			continue
		}
		at, err := time.ParseInLocation("20060102-150405", ts, time.Local)
		if err != nil {
			t.Fatalf("snapshot %q: %v", n, err)
		}
		if at.After(down.Add(time.Second)) && at.Before(up.Add(-time.Second)) {
			during = append(during, n)
		}
	}
	if len(during) > 1 {
		t.Fatalf("slots missed while down ran %d times: %v", len(during), during)
	}
	if name := policy + "-" + missedSlot.Local().Format("20060102-150405"); !slices.Contains(virshSnapshotNames(t, g.Name), name) {
		t.Fatalf("the missed run's snapshot %q is not in libvirt", name)
	}
	if st := sdo(t, s2, "DELETE", "/api/v1/schedules/"+id, nil, nil); st != 204 {
		t.Fatalf("delete policy: %d", st)
	}
}
