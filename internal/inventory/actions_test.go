package inventory

import (
	"slices"
	"testing"
)

func TestAllowedActions(t *testing.T) {
	tests := map[State][]string{
		"shutoff": {ActionStart},
		"running": {ActionShutdown, ActionReboot, ActionForceOff, ActionReset, ActionPause},
		"paused":  {ActionForceOff, ActionReset, ActionResume},
		"crashed": {ActionStart, ActionForceOff},
	}
	for state, want := range tests {
		if got := AllowedActions(state); !slices.Equal(got, want) {
			t.Errorf("AllowedActions(%s) = %v, want %v", state, got, want)
		}
	}
}
