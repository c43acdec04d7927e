package inventory

import "slices"

// Power action names, as the API's POST .../vms/{uuid}/{action} takes them.
const (
	ActionStart    = "start"
	ActionShutdown = "shutdown"
	ActionReboot   = "reboot"
	ActionForceOff = "force-off"
	ActionReset    = "reset"
	ActionPause    = "pause"
	ActionResume   = "resume"
)

// Actions lists every power action, in the order a menu shows them.
var Actions = []string{ActionStart, ActionShutdown, ActionReboot, ActionForceOff, ActionReset, ActionPause, ActionResume}

// allowedFrom lists the states each action applies to. It lives with the VM
// model so that every VM the API or the event stream carries says which
// actions it allows, and clients need not copy these rules.
var allowedFrom = map[string][]State{
	ActionStart:    {StateShutoff, StateCrashed},
	ActionShutdown: {StateRunning, StateBlocked},
	ActionReboot:   {StateRunning, StateBlocked},
	ActionForceOff: {StateRunning, StateBlocked, StatePaused, StateShuttingDown, StateCrashed, StatePMSuspended},
	ActionReset:    {StateRunning, StateBlocked, StatePaused},
	ActionPause:    {StateRunning, StateBlocked},
	ActionResume:   {StatePaused},
}

// IsAction reports whether name is a power action.
func IsAction(name string) bool {
	_, ok := allowedFrom[name]
	return ok
}

// Allowed reports whether action applies to a VM in state.
func Allowed(action string, state State) bool {
	return slices.Contains(allowedFrom[action], state)
}

// AllowedActions returns the actions that apply in state (never nil).
func AllowedActions(state State) []string {
	out := []string{}
	for _, a := range Actions {
		if Allowed(a, state) {
			out = append(out, a)
		}
	}
	return out
}
