package lifecycle

import (
	"slices"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestAllowedActions(t *testing.T) {
	tests := map[string][]string{
		"shutoff": {Start},
		"running": {Shutdown, Reboot, ForceOff, Reset, Pause},
		"paused":  {ForceOff, Reset, Resume},
		"crashed": {Start, ForceOff},
	}
	for state, want := range tests {
		if got := inventory.AllowedActions(state); !slices.Equal(got, want) {
			t.Errorf("AllowedActions(%s) = %v, want %v", state, got, want)
		}
	}
}

func TestCheckStateExplains(t *testing.T) {
	tests := []struct {
		action, state, code string
	}{
		{Start, "running", "vm_already_running"},
		{Start, "paused", "vm_paused"},
		{Shutdown, "shutoff", "vm_not_running"},
		{Shutdown, "paused", "vm_paused"},
		{Resume, "running", "vm_not_paused"},
		{Pause, "shutoff", "vm_not_running"},
		{Reboot, "shutting-down", "vm_state_conflict"},
	}
	for _, tt := range tests {
		err := checkState(tt.action, inventory.VM{Name: "v", State: tt.state})
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Conflict || p.Code != tt.code || p.Hint == "" {
			t.Errorf("%s on %s: %v, want conflict %s with a hint", tt.action, tt.state, err, tt.code)
		}
	}
	if err := checkState(Start, inventory.VM{State: "shutoff"}); err != nil {
		t.Errorf("start on shutoff refused: %v", err)
	}
}
