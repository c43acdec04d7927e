package snapshot

import (
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/virt"
)

func TestJobPercent(t *testing.T) {
	p := func(field string, v uint64) virt.TypedParam {
		return virt.TypedParam{Field: field, Value: virt.TypedParamValue{D: 4, I: v}}
	}
	if got := jobPercent(nil); got != -1 {
		t.Errorf("no stats: %d", got)
	}
	if got := jobPercent([]virt.TypedParam{p("memory_total", 200), p("memory_processed", 50)}); got != 25 {
		t.Errorf("memory: %d", got)
	}
	if got := jobPercent([]virt.TypedParam{p("memory_total", 100), p("memory_processed", 100), p("disk_total", 100), p("disk_processed", 100)}); got != 99 {
		t.Errorf("done but running: %d (never 100 before the call returns)", got)
	}
	if got := jobPercent([]virt.TypedParam{p("time_elapsed", 5)}); got != -1 {
		t.Errorf("time only: %d", got)
	}
}
