package lifecycle

import (
	"context"
	"errors"
	"testing"

	"github.com/kvm-manager/kvm-manager/internal/inventory"
	"github.com/kvm-manager/kvm-manager/internal/problem"
)

func TestCheckStateExplains(t *testing.T) {
	tests := []struct {
		action string
		state  inventory.State
		code   string
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

// Do with a context that has ended changes nothing and says so (it once
// ignored its context). The service has no inventory or hosts here: reaching
// them would panic, so the test also proves nothing was looked up.
func TestDoStopsOnEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Do(ctx, "local", "5a4d6c1e-4f6a-4d0e-9a57-2c4f5f0b8e11", Start, Request{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do = %v, want context.Canceled", err)
	}
}
