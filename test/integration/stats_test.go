//go:build integration

package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The server sets a memory stats period on a running guest, so that its
// balloon driver reports and the samples carry what the guest uses of what
// it has, apart from the host's resident size; the period is visible in
// libvirt's live balloon figures (virsh dommemstat shows "last_update").
// Needs a test guest built with virtio_balloon (scripts/build-test-guest.sh).
func TestGuestMemoryStats(t *testing.T) {
	l := lv(t)
	g := newGuest(t, l, "")
	bootAndWait(t, g, func() {
		if st, b := api("POST", "/api/v1/hosts/local/vms/"+g.UUID+"/start", nil); st != 200 {
			t.Fatalf("start: %d %s", st, b)
		}
	})
	type sample struct {
		MemoryUsedKiB  uint64 `json:"memoryUsedKiB"`
		MemoryTotalKiB uint64 `json:"memoryTotalKiB"`
		MemoryRSSKiB   uint64 `json:"memoryRssKiB"`
	}
	var last sample
	waitFor(t, 60*time.Second, "guest memory figures in the VM's stats", func() bool {
		st, b := api("GET", "/api/v1/hosts/local/vms/"+g.UUID+"/stats", nil)
		if st != 200 {
			return false
		}
		var res struct{ Samples []sample }
		if json.Unmarshal(b, &res) != nil || len(res.Samples) == 0 {
			return false
		}
		last = res.Samples[len(res.Samples)-1]
		return last.MemoryUsedKiB > 0 && last.MemoryTotalKiB > 0
	})
	if last.MemoryUsedKiB > last.MemoryTotalKiB {
		t.Errorf("the guest uses %d KiB of %d KiB", last.MemoryUsedKiB, last.MemoryTotalKiB)
	}
	if last.MemoryRSSKiB == 0 {
		t.Error("no host resident size")
	}
	out, err := execVirsh("dommemstat", g.Name)
	if err != nil {
		t.Fatalf("virsh dommemstat: %v", err)
	}
	if !strings.Contains(out, "last_update") || !strings.Contains(out, "usable") {
		t.Errorf("virsh dommemstat shows no guest-reported figures (no stats period?):\n%s", out)
	}
}
