package snapschedule

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestRenameHost: after a host is renamed, a policy for all VMs of that
// host runs on the same VMs under the new name, still prunes the snapshots
// it took before the rename, and still keeps the pinned one.
func TestRenameHost(t *testing.T) {
	r := newRig(t)
	all := r.policy(Spec{Name: "hourly", Schedule: "@hourly", Retention: Retention{Last: 1}, Targets: []Target{{Host: "local", AllVMs: true}}})
	one := r.policy(Spec{Name: "one", Schedule: "@daily", Targets: []Target{{Host: "local", UUID: uuidB}, {Host: "other", UUID: uuidB}}})
	r.at(time.Date(2026, 12, 7, 21, 0, 1, 0, time.UTC))
	if _, err := r.s.SetPin(context.Background(), "local", uuidA, "auto-hourly-20261207-2100", true); err != nil {
		t.Fatal(err)
	}
	r.at(time.Date(2026, 12, 7, 22, 0, 1, 0, time.UTC))

	if err := r.s.RenameHost("local", "kvm1"); err != nil {
		t.Fatal(err)
	}
	// The host comes back under its new name with the same VMs.
	for i := range r.vms.vms {
		r.vms.vms[i].Host = "kvm1"
	}
	r.snaps.mu.Lock()
	for _, u := range []string{uuidA, uuidB} {
		r.snaps.snaps["kvm1/"+u] = r.snaps.snaps["local/"+u]
		delete(r.snaps.snaps, "local/"+u)
	}
	r.snaps.mu.Unlock()
	r.start() // and what it did was saved

	got := r.s.ForVM("kvm1", uuidA)
	if len(got.Policies) != 1 || got.Policies[0].ID != all.ID || len(got.Owned) != 2 || len(got.Pins) != 1 {
		t.Fatalf("VM a under the new name: %+v", got)
	}
	if old := r.s.ForVM("local", uuidA); len(old.Policies)+len(old.Owned)+len(old.Pins) != 0 {
		t.Fatalf("left under the old name: %+v", old)
	}
	v, _ := r.s.Get(one.ID)
	if want := []Target{{Host: "kvm1", UUID: uuidB}, {Host: "other", UUID: uuidB}}; !slices.Equal(v.Targets, want) {
		t.Fatalf("targets of %q: %+v, want %+v", v.Name, v.Targets, want)
	}
	v, _ = r.s.Get(all.ID)
	if v.Targets[0].Host != "kvm1" || !v.Targets[0].AllVMs {
		t.Fatalf("targets of %q: %+v", v.Name, v.Targets)
	}

	// The next run takes a snapshot of a under the new name and prunes the
	// 22:00 one taken under the old name (keep-last 1), not the pinned one.
	r.at(time.Date(2026, 12, 7, 23, 0, 1, 0, time.UTC))
	want := []string{"auto-hourly-20261207-2100", "auto-hourly-20261207-2300"}
	if n := r.snaps.names("kvm1", uuidA); !slices.Equal(n, want) {
		t.Fatalf("after the first run under the new name: %v, want %v", n, want)
	}
	if err := r.s.RenameHost("kvm1", "kvm1"); err != nil {
		t.Fatal(err)
	}
}
